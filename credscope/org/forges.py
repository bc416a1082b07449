"""A GitHub organisation's or a GitLab group's repositories, listed through their REST APIs.

Read-only GETs, following `Link: <…>; rel="next"` pagination within the API's own origin; the token comes from
GITHUB_TOKEN / GITLAB_TOKEN and is sent to that origin only. The API is https unless it is on loopback (a test
endpoint set with `--github-api` / CREDSCOPE_GITHUB_API). Redirects are never followed, no proxy is taken from
the environment, answers are bounded in size. An answer is untrusted: every clone URL must be https on the
forge's own host (any loopback or file URL for a loopback test endpoint) and passes `check_clone_url`.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from credscope import __version__
from credscope.errors import CredscopeError, UsageError
from credscope.org.enumerate import Enumeration, Refused, check_clone_url, is_loopback, repo_name, spec_for
from credscope.org.wire import RepoSpec
from credscope.report.common import printable

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com"
MAX_ANSWER_BYTES = 16 * 2**20
MAX_PAGES = 10_000  # 1,000,000 repositories at 100 a page
TIMEOUT = 30.0
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Forge:
    kind: str  # "github" or "gitlab": also the name of the token variable's prefix
    api: str  # base URL, no trailing slash
    token: str | None

    @property
    def label(self) -> str:
        return "GitHub" if self.kind == "github" else "GitLab"

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"credscope/{__version__} (organisation inventory, read-only)"}
        if self.kind == "github":
            headers |= {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
        elif self.token:
            headers["PRIVATE-TOKEN"] = self.token
        return headers


def forge(kind: str, api: str | None, environ: Mapping[str, str]) -> Forge:
    """The forge's API: the option, else CREDSCOPE_<KIND>_API, else the public service; https unless loopback."""
    variable = f"CREDSCOPE_{kind.upper()}_API"
    base = (api or environ.get(variable) or (GITHUB_API if kind == "github" else GITLAB_API)).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{variable} / --{kind}-api: {base!r} is not an https URL with a host")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"--{kind}-api: plain http is only allowed on loopback (a test endpoint); use https")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(f"--{kind}-api: the API URL may carry no user, password, query or fragment")
    token = environ.get(f"{kind.upper()}_TOKEN") or None
    return Forge(kind, base, token)


def github_org(org: str, api: Forge, include_forks: bool = False, include_archived: bool = False) -> Enumeration:
    """GET /orgs/{org}/repos?type=all, every page."""
    url = f"{api.api}/orgs/{quote(org, safe='')}/repos?type=all&per_page=100"
    found = Enumeration()
    skipped = {"fork": 0, "archived": 0}
    for entry in _pages(api, url, f"organisation {org!r}"):
        name, clone = _field(entry, "full_name"), _field(entry, "clone_url")
        web = _field(entry, "html_url")
        if name is None or clone is None:
            found.add(Refused(printable(str(name or "?")), "malformed repository entry in the API answer"))
            continue
        if entry.get("fork") is True and not include_forks:
            skipped["fork"] += 1
            continue
        if (entry.get("archived") is True or entry.get("disabled") is True) and not include_archived:
            skipped["archived"] += 1
            continue
        found.add(_spec(api, clone, web, name))
    _note_skipped(found, skipped, f"GitHub organisation {org}")
    return found


def gitlab_group(group: str, api: Forge, include_forks: bool = False, include_archived: bool = False) -> Enumeration:
    """GET /api/v4/groups/{group}/projects?include_subgroups=true, every page."""
    query = "include_subgroups=true&per_page=100&order_by=id&sort=asc" + ("" if include_archived else "&archived=false")
    url = f"{api.api}/api/v4/groups/{quote(group, safe='')}/projects?{query}"
    found = Enumeration()
    skipped = {"fork": 0, "archived": 0}
    for entry in _pages(api, url, f"group {group!r}"):
        name, clone = _field(entry, "path_with_namespace"), _field(entry, "http_url_to_repo")
        web = _field(entry, "web_url")
        if name is None or clone is None:
            found.add(Refused(printable(str(name or "?")), "malformed project entry in the API answer"))
            continue
        if entry.get("forked_from_project") is not None and not include_forks:
            skipped["fork"] += 1
            continue
        if entry.get("archived") is True and not include_archived:
            skipped["archived"] += 1
            continue
        found.add(_spec(api, clone, web, name))
    _note_skipped(found, skipped, f"GitLab group {group}")
    return found


def _spec(api: Forge, clone: str, web: str | None, full_name: str) -> RepoSpec | Refused:
    api_host = urlsplit(api.api).hostname or ""
    name = repo_name(web) if web and check_clone_url(web) is None else f"{api_host.removeprefix('api.')}/{full_name}"
    parts = urlsplit(clone)
    if is_loopback(api_host):
        allowed = parts.scheme == "file" or (parts.scheme in ("http", "https", "git") and is_loopback(parts.hostname))
    else:
        allowed = parts.scheme == "https" and parts.hostname in (api_host, api_host.removeprefix("api."))
    if not allowed:
        return Refused(printable(name), f"refused clone URL from the {api.label} API: not https on {api_host}")
    return spec_for(clone, auth=api.kind if parts.scheme == "https" else None, name=name)


def _note_skipped(found: Enumeration, skipped: dict[str, int], what: str) -> None:
    if skipped["fork"]:
        found.notes.append(f"{what}: {skipped['fork']} fork(s) not scanned (--include-forks to scan them)")
    if skipped["archived"]:
        found.notes.append(f"{what}: {skipped['archived']} archived repositor(y/ies) not scanned (--include-archived)")


def _field(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    return value if isinstance(value, str) and value else None


def _pages(api: Forge, first: str, what: str) -> Iterator[Mapping[str, Any]]:
    origin = _origin(api.api)
    url: str | None = first
    for _ in range(MAX_PAGES):
        if url is None:
            return
        document, next_url = _get(api, url, what)
        if not isinstance(document, list):
            raise CredscopeError(f"{api.label} API: the answer for {what} is not a list of repositories")
        for entry in document:
            if isinstance(entry, dict):
                yield entry
        if next_url is not None and _origin(next_url) != origin:
            raise CredscopeError(f"{api.label} API: refused a next page on another origin than {origin}")
        url = next_url
    raise CredscopeError(f"{api.label} API: more than {MAX_PAGES} pages for {what}; stopped")


def _get(api: Forge, url: str, what: str) -> tuple[Any, str | None]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    request = urllib.request.Request(url, headers=api.headers(), method="GET")
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
            link = response.headers.get("Link")
    except urllib.error.HTTPError as error:
        raise _http_error(api, error.code, what, error.headers.get("X-RateLimit-Remaining")) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise CredscopeError(f"{api.label} API {_origin(api.api)}: {printable(str(reason))}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise CredscopeError(f"{api.label} API: an answer larger than {MAX_ANSWER_BYTES // 2**20} MiB; stopped")
    try:
        document = json.loads(body)
    except ValueError:
        raise CredscopeError(f"{api.label} API: the answer for {what} is not JSON") from None
    found = _NEXT.search(link or "")
    return document, found.group(1) if found else None


def _http_error(api: Forge, status: int, what: str, remaining: str | None) -> CredscopeError:
    variable = f"{api.kind.upper()}_TOKEN"
    if status == 401:
        return UsageError(f"{api.label} API: 401 Unauthorized: {variable} is missing, invalid or expired")
    if status in (403, 429) and remaining == "0":
        return CredscopeError(f"{api.label} API: rate limit exhausted (set {variable} for a higher limit)")
    if status == 403:
        return UsageError(f"{api.label} API: 403 Forbidden for {what} ({variable} lacks access?)")
    if status == 404:
        return UsageError(f"{api.label} API: {what} not found (or not visible with this token)")
    if 300 <= status < 400:
        return CredscopeError(f"{api.label} API: redirected (HTTP {status}); redirects are not followed")
    return CredscopeError(f"{api.label} API: HTTP {status} for {what}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it could carry the token to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
