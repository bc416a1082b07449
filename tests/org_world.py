"""An organisation built at test time for `credscope org`: fifty small git repositories with credentials planted
in the tree and only in history (fresh tokens each run), served over file://, over `git daemon` on 127.0.0.1,
and listed by a GitHub-organisation API fake shaped from GitHub's documented answers (pagination included)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from servers.http import FakeServer, Received, Reply, json_reply

from helpers import GIT_ENV, Repo, token

REPOSITORIES = 50
LISTED = range(0, 20)  # file:// URLs in a list file
DAEMON = range(20, 35)  # git:// URLs on the local git daemon, in the same list file
GITHUB = range(35, 50)  # listed by the GitHub API fake, cloned from the git daemon
PAGE = 5  # the fake's page size, so that 17 entries take 4 pages
ORG_ID = 9919


@dataclass(frozen=True)
class Planted:
    """A credential written into a repository: where a scan must find it (reach, path, commit)."""

    repo: int
    secret: str
    path: str
    places: frozenset[tuple[str, str, str]]  # (reach, path, commit)


@dataclass
class World:
    root: Path
    repos: dict[int, Repo] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)
    daemon_port: int = 0

    def path(self, index: int) -> Path:
        return self.root / "served" / f"r{index:02d}"

    def git_url(self, index: int) -> str:
        return f"git://127.0.0.1:{self.daemon_port}/r{index:02d}"

    def name(self, index: int) -> str:
        if index in GITHUB:
            return f"github.com/acme/r{index:02d}"
        if index in DAEMON:
            return f"127.0.0.1:{self.daemon_port}/r{index:02d}"
        return str(self.path(index))

    def list_file(self) -> Path:
        listing = self.root / "repos.txt"
        lines = ["# the organisation's repositories", ""]
        lines += [self.path(i).as_uri() for i in LISTED]
        lines += [f"{self.git_url(i)}  # served by git daemon" for i in DAEMON]
        listing.write_text("\n".join(lines) + "\n")
        return listing


def build_world(root: Path) -> World:
    """Every fifth repository holds a GitHub token in `config/.env` at HEAD; every seventh (from the fourth) held
    a Railway token in `scripts/deploy.sh` that a later commit deleted: it is only in history."""
    world = World(root)
    for index in range(REPOSITORIES):
        path = world.path(index)
        path.mkdir(parents=True)
        repo = Repo(path)
        repo.git("init", "-q", "-b", "main")
        repo.write("README.md", f"# service {index}\n")
        repo.write("src/app.py", "import os\n\nTOKEN = os.environ['API_TOKEN']\n")
        repo.commit("initial import")
        if index % 7 == 3:
            secret = token("{{uuid4}}")
            repo.write("scripts/deploy.sh", f"#!/bin/sh\nexport RAILWAY_TOKEN={secret}\nrailway up\n")
            added = repo.commit("deploy script")
            repo.git("rm", "-q", "scripts/deploy.sh")
            repo.commit("remove deploy script")
            places = frozenset({("history", "scripts/deploy.sh", added)})
            world.planted.append(Planted(index, secret, "scripts/deploy.sh", places))
        if index % 5 == 0:
            secret = token("{{github:ghp}}")
            repo.write("config/.env", f"APP_ENV=production\nGITHUB_TOKEN={secret}\n")
            added = repo.commit("configuration")
            repo.write("src/app.py", "import os\n\nTOKEN = os.environ['API_TOKEN']\nDEBUG = False\n")
            head = repo.commit("no debug")
            places = frozenset({("tracked", "config/.env", head), ("history", "config/.env", added)})
            world.planted.append(Planted(index, secret, "config/.env", places))
        world.repos[index] = repo
    return world


@dataclass
class GitDaemon:
    port: int
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_git_daemon(base: Path) -> Iterator[GitDaemon]:
    """`git daemon` serving every repository under `base` on 127.0.0.1, stopped when the generator closes."""
    port = free_port()
    process = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={base}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        env={**os.environ, **GIT_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.05)
        yield GitDaemon(port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def github_repository(world: World, index: int, api: str, **overrides: object) -> dict[str, object]:
    """One entry of `GET /orgs/{org}/repos`, with the fields GitHub documents (a subset of them)."""
    name = f"r{index:02d}"
    entry: dict[str, object] = {
        "id": 100000 + index,
        "node_id": f"R_kgDO{index:06d}",
        "name": name,
        "full_name": f"acme/{name}",
        "private": False,
        "owner": {"login": "acme", "id": ORG_ID, "type": "Organization"},
        "html_url": f"https://github.com/acme/{name}",
        "description": None,
        "fork": False,
        "url": f"{api}/repos/acme/{name}",
        "clone_url": world.git_url(index),
        "git_url": world.git_url(index),
        "ssh_url": f"git@github.com:acme/{name}.git",
        "default_branch": "main",
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "pushed_at": "2026-04-01T12:00:00Z",
        "size": 12,
    }
    entry.update(overrides)
    return entry


class GitHubOrgFake:
    """`GET /orgs/acme/repos` and the `/organizations/{id}/repos?page=N` pages its Link header names, as GitHub
    answers them; records every request (with its Authorization header) for the tests."""

    def __init__(self, entries_for: Callable[[str], list[dict[str, object]]]) -> None:
        self._entries_for = entries_for
        self.server = FakeServer(self.respond)

    @property
    def url(self) -> str:
        return self.server.url

    def respond(self, request: Received) -> Reply:
        parts = urlsplit(request.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/orgs/acme/repos":
            page = 1
        elif parts.path == f"/organizations/{ORG_ID}/repos":
            page = int(query.get("page", "1"))
        else:
            return json_reply(404, b'{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}')
        entries = self._entries_for(self.url)
        size = min(PAGE, int(query.get("per_page", "30")))
        last = max(1, -(-len(entries) // size))
        body = json.dumps(entries[(page - 1) * size : page * size]).encode()
        links = []
        base = f"{self.url}/organizations/{ORG_ID}/repos?type=all&per_page={query.get('per_page', '30')}"
        if page > 1:
            links += [f'<{base}&page={page - 1}>; rel="prev"', f'<{base}&page=1>; rel="first"']
        if page < last:
            links += [f'<{base}&page={page + 1}>; rel="next"', f'<{base}&page={last}>; rel="last"']
        headers = {"X-GitHub-Api-Version-Selected": "2022-11-28", "X-RateLimit-Remaining": "4999"}
        if links:
            headers["Link"] = ", ".join(links)
        return json_reply(200, body, **headers)
