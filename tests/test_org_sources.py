"""Where an organisation's repositories come from, attacked: API answers that point elsewhere (another origin's next
page, a redirect, clone URLs on other hosts or running commands), GitLab's listing, the token's reach, and a store
made by a newer credscope. No cluster: these are the parts before and after it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from servers.http import FakeServer, Received, Reply, Responder, json_reply

from credscope.errors import CredscopeError, UsageError
from credscope.org.enumerate import Refused, check_clone_url, from_directory
from credscope.org.forges import forge, github_org, gitlab_group
from credscope.org.mirror import MirrorError, git_environment, git_prefix, mirror_path, update_mirror
from credscope.org.store import Store
from credscope.org.wire import RepoSpec

from helpers import Repo

StartServer = Callable[[Responder], FakeServer]


def _entry(name: str, clone_url: str, **fields: object) -> dict[str, object]:
    return {"full_name": f"acme/{name}", "html_url": f"https://github.com/acme/{name}", "clone_url": clone_url,
            "fork": False, "archived": False, **fields}  # fmt: skip


def test_github_answers_naming_other_hosts_or_commands_are_refused(fake_server: StartServer) -> None:
    def respond(request: Received) -> Reply:
        entries = [
            _entry("good", "git://127.0.0.1:9/good"),
            _entry("runs", "ext::sh -c touch% /tmp/pwned"),
            _entry("elsewhere", "https://evil.example/acme/elsewhere.git"),
            _entry("option", "--upload-pack=touch /tmp/pwned"),
            {"full_name": 7, "clone_url": None},
        ]
        return json_reply(200, json.dumps(entries).encode())

    server = fake_server(respond)
    listed = github_org("acme", forge("github", server.url, {}))
    assert [spec.name for spec in listed.repos] == ["github.com/acme/good"]
    assert listed.refused == [
        Refused("github.com/acme/runs", "refused clone URL from the GitHub API: not https on 127.0.0.1"),
        Refused("github.com/acme/elsewhere", "refused clone URL from the GitHub API: not https on 127.0.0.1"),
        Refused("github.com/acme/option", "refused clone URL from the GitHub API: not https on 127.0.0.1"),
        Refused("?", "malformed repository entry in the API answer"),
    ]
    assert "authorization" not in server.requests[0].headers  # no GITHUB_TOKEN in this environment


def test_a_next_page_on_another_origin_is_not_fetched_and_the_token_never_leaves(fake_server: StartServer) -> None:
    elsewhere = fake_server(lambda request: json_reply(200, b"[]"))
    other = urlsplit(elsewhere.url)
    link = f'<http://localhost:{other.port}/organizations/1/repos?page=2>; rel="next"'
    api = fake_server(lambda request: json_reply(200, b"[]", Link=link))
    with pytest.raises(CredscopeError) as refused:
        github_org("acme", forge("github", api.url, {"GITHUB_TOKEN": "fake-org-reading-token"}))
    assert str(refused.value) == f"GitHub API: refused a next page on another origin than {api.url}"
    assert elsewhere.requests == [] and elsewhere.connections == 0
    assert [r.headers["authorization"] for r in api.requests] == ["Bearer fake-org-reading-token"]


def test_a_redirect_is_not_followed(fake_server: StartServer) -> None:
    target = fake_server(lambda request: json_reply(200, b"[]"))
    api = fake_server(lambda request: (301, {"Location": f"{target.url}/orgs/acme/repos"}, b""))
    with pytest.raises(CredscopeError) as stopped:
        github_org("acme", forge("github", api.url, {"GITHUB_TOKEN": "fake-org-reading-token"}))
    assert str(stopped.value) == "GitHub API: redirected (HTTP 301); redirects are not followed"
    assert target.connections == 0


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (401, "GitHub API: 401 Unauthorized: GITHUB_TOKEN is missing, invalid or expired", UsageError),
        (404, "GitHub API: organisation 'acme' not found (or not visible with this token)", UsageError),
        (503, "GitHub API: HTTP 503 for organisation 'acme'", CredscopeError),
    ],
)
def test_api_errors_are_one_line(fake_server: StartServer, status: int, message: str, kind: type[Exception]) -> None:
    api = fake_server(lambda request: json_reply(status, b'{"message":"x"}'))
    with pytest.raises(kind) as failed:
        github_org("acme", forge("github", api.url, {}))
    assert str(failed.value) == message


def test_apis_are_https_unless_on_loopback() -> None:
    for url in ("http://api.github.example", "ftp://api.github.com", "https://user:pw@api.github.com"):
        with pytest.raises(UsageError):
            forge("github", url, {})
    assert forge("github", None, {"GITHUB_TOKEN": "t"}).api == "https://api.github.com"
    assert forge("gitlab", None, {"CREDSCOPE_GITLAB_API": "https://gitlab.example.org/"}).api == (
        "https://gitlab.example.org"
    )


def test_gitlab_group_projects_are_paginated_forks_and_archived_opt_in(fake_server: StartServer) -> None:
    def project(number: int, **fields: object) -> dict[str, object]:
        path = f"acme/platform/p{number}"
        return {"id": number, "path_with_namespace": path, "web_url": f"https://gitlab.com/{path}",
                "http_url_to_repo": f"http://127.0.0.1:9/{path}.git", "archived": False, **fields}  # fmt: skip

    projects = [project(1), project(2, forked_from_project={"id": 99}), project(3, archived=True), project(4)]

    def respond(request: Received) -> Reply:
        parts = urlsplit(request.path)
        if parts.path != "/api/v4/groups/acme%2Fplatform/projects":
            return json_reply(404, b'{"message":"404 Group Not Found"}')
        page = int(dict(p.split("=") for p in parts.query.split("&")).get("page", "1"))
        body = json.dumps(projects[(page - 1) * 2 : page * 2]).encode()
        if page == 1:
            return json_reply(200, body, Link=f'<{api.url}{parts.path}?{parts.query}&page=2>; rel="next"')
        return json_reply(200, body)

    api = fake_server(respond)
    listed = gitlab_group("acme/platform", forge("gitlab", api.url, {"GITLAB_TOKEN": "fake-group-reader-token"}))
    assert [spec.name for spec in listed.repos] == ["gitlab.com/acme/platform/p1", "gitlab.com/acme/platform/p4"]
    assert listed.notes == [
        "GitLab group acme/platform: 1 fork(s) not scanned (--include-forks to scan them)",
        "GitLab group acme/platform: 1 archived repositor(y/ies) not scanned (--include-archived)",
    ]
    assert [r.headers["private-token"] for r in api.requests] == ["fake-group-reader-token", "fake-group-reader-token"]
    assert "include_subgroups=true" in api.requests[0].path and "archived=false" in api.requests[0].path


def test_the_forge_token_goes_only_to_its_own_https_host_and_never_on_a_command_line() -> None:
    environ = {"GITHUB_TOKEN": "the-org-token", "GIT_DIR": "/elsewhere", "GIT_CONFIG_PARAMETERS": "'core.x=1'"}
    spec = RepoSpec("github.com/acme/api", "https://github.com/acme/api.git", auth="github")
    env = git_environment(spec, environ)
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("Authorization: Basic ")
    assert "GIT_DIR" not in env and env["GIT_CONFIG_COUNT"] == "1" and env["GIT_TERMINAL_PROMPT"] == "0"
    assert not [arg for arg in git_prefix(spec) if "the-org-token" in arg]
    assert "credential.helper=" in git_prefix(spec)  # an API-listed URL never gets the user's stored passwords
    for other in (RepoSpec("a", "git://127.0.0.1/a", auth="github"), RepoSpec("b", "https://github.com/b")):
        assert "GIT_CONFIG_KEY_0" not in git_environment(other, environ)
    prefix = git_prefix(RepoSpec("c", "file:///srv/c"))
    assert prefix[prefix.index("protocol.allow=never") + 2] == "protocol.file.allow=always"
    assert "protocol.file.allow=always" not in git_prefix(RepoSpec("d", "https://github.com/d"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ext::sh -c id", "a git remote-helper address (transport::address) is never used"),
        ("fd::3", "a git remote-helper address (transport::address) is never used"),
        ("-oProxyCommand=id", "starts with '-' (git would read it as an option)"),
        ("http://example.com/a.git", "plain http is only allowed on loopback; use https"),
        ("https://example.com/a\n.git", "empty, padded or holding control characters"),
        ("file://host/srv/a", "file:// URLs name a local path, not a host"),
        ("gopher://example.com/a", "scheme 'gopher' is not one of https, ssh, git, file (http only on loopback)"),
    ],
)
def test_clone_urls_that_could_run_or_redirect_git_are_refused(url: str, problem: str) -> None:
    assert check_clone_url(url) == problem


def test_a_directory_of_clones_and_mirrors(tmp_path: Path) -> None:
    clone = Repo(tmp_path / "clones" / "api")
    clone.path.mkdir(parents=True)
    clone.git("init", "-q", "-b", "main")
    Repo(tmp_path).git("init", "-q", "--bare", str(tmp_path / "clones" / "web.git"))
    (tmp_path / "clones" / "notes").mkdir()
    (tmp_path / "clones" / "link").symlink_to(clone.path)
    found = from_directory(tmp_path / "clones")
    assert [(s.name, s.url) for s in found.repos] == [
        (str(clone.path), clone.path.as_uri()),
        (str(tmp_path / "clones" / "web"), (tmp_path / "clones" / "web.git").as_uri()),
    ]
    assert found.notes == [
        f"{tmp_path / 'clones'}: 2 entr(y/ies) that are not git repositories (or are symlinks) skipped"
    ]


def test_a_store_made_by_a_newer_credscope_is_refused_and_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "org.sqlite3"
    Store.open(str(path), path).close()
    with Store.open(str(path), path) as store:  # opened again: nothing to migrate, nothing duplicated
        assert store._all("SELECT version FROM schema_version") == [(1,)]
        store._execute("INSERT INTO schema_version (version) VALUES (2)")
    with pytest.raises(UsageError) as refused:
        Store.open(str(path), path)
    assert (
        str(refused.value)
        == f"{path}: the store is at schema version 2, newer than this credscope knows (1); upgrade credscope"
    )


def test_with_the_real_api_only_https_clone_urls_on_the_forge_s_own_host_are_used() -> None:
    from credscope.org.forges import _spec

    api = forge("github", None, {"GITHUB_TOKEN": "the-org-token"})
    web = "https://github.com/acme/api"
    assert _spec(api, "https://github.com/acme/api.git", web, "acme/api") == RepoSpec(
        "github.com/acme/api", "https://github.com/acme/api.git", auth="github"
    )
    for clone in (
        "https://evil.example/acme/api.git",
        "git://github.com/acme/api",
        "file:///etc",
        "http://github.com/a",
    ):
        assert _spec(api, clone, web, "acme/api") == Refused(
            "github.com/acme/api", "refused clone URL from the GitHub API: not https on api.github.com"
        )


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a mirror owned by another user needs root (as CI runs)")
def test_a_mirror_planted_by_another_user_is_not_used(tmp_path: Path) -> None:
    # Another user who can write the mirrors directory (a shared --mirrors path) plants a "mirror" where credscope
    # will look for the repository's, its configuration running a command on the next fetch. git's ownership
    # check refuses it; nothing of it runs.
    source = Repo(tmp_path / "source")
    source.path.mkdir()
    source.git("init", "-q", "-b", "main")
    source.write("README", "hello\n")
    source.commit()
    spec = RepoSpec("acme/source", source.path.as_uri())
    root = tmp_path / "mirrors"
    root.mkdir()
    planted = mirror_path(root, spec)
    Repo(tmp_path).git("clone", "-q", "--mirror", source.path.as_uri(), str(planted))
    marker = tmp_path / "ran"
    with (planted / "config").open("a") as config:
        config.write(f'[remote "origin"]\n\tuploadpack = touch {marker}; git-upload-pack\n')
    for directory, _, files in os.walk(planted):
        for name in [directory, *(os.path.join(directory, f) for f in files)]:
            os.chown(name, 65534, 65534)
    with pytest.raises(MirrorError) as refused:
        update_mirror(spec, root)
    assert not marker.exists()
    assert str(refused.value) == f"git fetch refused: the mirror {planted} belongs to another user"
