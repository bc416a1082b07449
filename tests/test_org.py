"""`credscope org` on a real Dask LocalCluster of two worker processes (never mocked), over fifty repositories
built at test time and served over file://, `git daemon` and a GitHub-organisation API fake on 127.0.0.1.

Runs build on each other (first run, unchanged re-run, commits added and removed) through module fixtures, in
SQLite and, when the PostgreSQL server is installed, in a real PostgreSQL store side by side.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from servers.http import FakeServer, Received, Reply, json_reply

from credscope.model import fingerprint_of
from credscope.org.enumerate import Enumeration, from_list
from credscope.org.forges import forge, github_org
from credscope.org.schedule import Run
from credscope.org.store import RepoRecord, Store
from credscope.org.task import Job, scan_repository
from credscope.org.wire import HistoryMode, Previous, RepoOutcome, RepoSpec, ScanPart, Status

import org_world
from helpers import token
from org_world import (
    DAEMON,
    GITHUB,
    LISTED,
    REPOSITORIES,
    GitHubOrgFake,
    Planted,
    World,
    build_world,
    github_repository,
    start_git_daemon,
)

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


# -- the organisation, the cluster, the stores ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("org")
    made = build_world(root)
    daemon = start_git_daemon(root / "served")
    made.daemon_port = next(daemon).port
    yield made
    daemon.close()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def github(world: World) -> Iterator[GitHubOrgFake]:
    def entries(api: str) -> list[dict[str, object]]:
        listed = [github_repository(world, index, api) for index in GITHUB]
        # A fork and an archived repository: listed by GitHub, scanned only when asked for.
        listed.insert(
            3,
            github_repository(
                world,
                1,
                api,
                name="fork-of-r01",
                full_name="acme/fork-of-r01",
                html_url="https://github.com/acme/fork-of-r01",
                fork=True,
            ),
        )
        listed.append(
            github_repository(
                world,
                2,
                api,
                name="old-r02",
                full_name="acme/old-r02",
                html_url="https://github.com/acme/old-r02",
                archived=True,
            )
        )
        return listed

    fake = GitHubOrgFake(entries)
    with fake.server:
        yield fake


def enumerate_world(world: World, github: GitHubOrgFake) -> Enumeration:
    found = from_list(world.list_file())
    found.extend(github_org("acme", forge("github", github.url, {"GITHUB_TOKEN": "test-org-token"})))
    return found


@dataclass
class Stores:
    """The stores every run of the sequence writes to: SQLite always, PostgreSQL when its server is installed."""

    sqlite: Store
    postgresql: Store | None
    mirrors: Path
    runs: list[dict[str, int]] = field(default_factory=list)  # each stage: store dialect -> run id

    def all(self) -> list[Store]:
        return [self.sqlite, *([self.postgresql] if self.postgresql is not None else [])]


@pytest.fixture(scope="module")
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    base = tmp_path_factory.mktemp("org-stores")
    postgresql = None
    try:
        server = request.getfixturevalue("postgres_server")
    except pytest.skip.Exception:
        server = None
    if server is not None:
        import psycopg

        with psycopg.connect(server.admin_dsn, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS credscope_org")
            admin.execute("CREATE DATABASE credscope_org")
        postgresql = Store.open(server.admin_dsn.rsplit("/", 1)[0] + "/credscope_org", base / "unused.sqlite3")
    made = Stores(Store.open(str(base / "org.sqlite3"), base / "unused.sqlite3"), postgresql, base / "mirrors")
    yield made
    for store in made.all():
        store.close()


def run_all(
    client: Any, stores: Stores, found: Enumeration, job: Job, received: list[object] | None = None
) -> dict[str, list[RepoRecord]]:
    """One stage: the same run in every store (the mirrors are shared; each store plans from its own past)."""
    results: dict[str, list[RepoRecord]] = {}
    stage: dict[str, int] = {}
    for store in stores.all():
        run_id = store.begin_run(job.policy.fail_on.value, job.history)
        collect = received.append if received is not None and store is stores.sqlite else None
        results[store.dialect] = Run(client, store, run_id, job, on_result=collect).scan(found.repos, found.refused)
        store.finish_run(run_id, "finished")
        stage[store.dialect] = run_id
    stores.runs.append(stage)
    return results


def places(record: RepoRecord, secret: str) -> set[tuple[str, str, str]]:
    matches = [f for f in record.findings if f.fingerprint == fingerprint_of(secret)]
    assert len(matches) == 1, f"{record.repo.name}: {len(matches)} credentials for one planted secret"
    return {(loc.reach.value, loc.path, loc.commit or "") for loc in matches[0].locations}


def assert_found_exactly(world: World, records: list[RepoRecord], indices: Iterable[int] = range(REPOSITORIES)) -> None:
    """Every planted credential found once, in its repository, at its paths and commits; nothing else found."""
    wanted = set(indices)
    by_name = {record.repo.name: record for record in records}
    assert len(by_name) == len(records) == len(wanted)
    planted = [p for p in world.planted if p.repo in wanted]
    for each in planted:
        record = by_name[world.name(each.repo)]
        assert places(record, each.secret) == set(each.places), record.repo.name
    found = {(record.repo.name, finding.fingerprint) for record in records for finding in record.findings}
    assert found == {(world.name(p.repo), fingerprint_of(p.secret)) for p in planted}


# -- the sequence of runs ------------------------------------------------------------------------------------


@dataclass
class Stage:
    records: dict[str, list[RepoRecord]]
    received: list[object]


@pytest.fixture(scope="module")
def first(client: Any, world: World, github: GitHubOrgFake, stores: Stores) -> Stage:
    found = enumerate_world(world, github)
    received: list[object] = []
    job = Job(mirrors=str(stores.mirrors))
    return Stage(run_all(client, stores, found, job, received), received)


@pytest.fixture(scope="module")
def second(first: Stage, client: Any, world: World, github: GitHubOrgFake, stores: Stores) -> Stage:
    found = enumerate_world(world, github)
    return Stage(run_all(client, stores, found, Job(mirrors=str(stores.mirrors))), [])


@dataclass
class Changes:
    stage: Stage
    new: dict[int, str]  # repository -> secret
    gone: dict[int, str]
    kept: int  # the repository whose tree lost its credential (still in history)


@pytest.fixture(scope="module")
def changed(second: Stage, client: Any, world: World, github: GitHubOrgFake, stores: Stores) -> Changes:
    """Commits added and removed at the sources, then a third run."""
    repos = world.repos
    new: dict[int, str] = {}
    # r01: a credential committed to the tree.
    new[1] = token("{{github:ghp}}")
    repos[1].write(".env", f"GITHUB_TOKEN={new[1]}\n")
    head = repos[1].commit("local settings")
    world.planted.append(Planted(1, new[1], ".env", frozenset({("tracked", ".env", head), ("history", ".env", head)})))
    # r21 (git daemon): a credential committed and deleted again: only in history; the tree is unchanged.
    new[21] = token("{{github:ghp}}")
    repos[21].write("notes.txt", f"token {new[21]}\n")
    added = repos[21].commit("notes")
    repos[21].git("rm", "-q", "notes.txt")
    repos[21].commit("no notes")
    world.planted.append(Planted(21, new[21], "notes.txt", frozenset({("history", "notes.txt", added)})))
    # r36 (GitHub): a credential on a new branch; the default branch does not move.
    new[36] = token("{{github:ghp}}")
    repos[36].git("checkout", "-q", "-b", "feature")
    repos[36].write("ci/token", f"GH_TOKEN={new[36]}\n")
    added = repos[36].commit("ci token")
    repos[36].git("checkout", "-q", "main")
    world.planted.append(Planted(36, new[36], "ci/token", frozenset({("history", "ci/token", added)})))
    # r00: its credential removed from the tree; it stays in history.
    repos[0].git("rm", "-q", "config/.env")
    repos[0].commit("drop the env file")
    kept = next(p for p in world.planted if p.repo == 0)
    world.planted.remove(kept)
    world.planted.append(replace_places(kept, {place for place in kept.places if place[0] == "history"}))
    # r03: history rewritten (a force-push back to the first commit): its only credential is gone.
    first_commit = repos[3].git("rev-list", "--max-parents=0", "HEAD").strip()
    repos[3].git("reset", "-q", "--hard", first_commit)
    repos[3].git("reflog", "expire", "--expire=now", "--all")
    gone_planted = next(p for p in world.planted if p.repo == 3)
    world.planted.remove(gone_planted)
    found = enumerate_world(world, github)
    stage = Stage(run_all(client, stores, found, Job(mirrors=str(stores.mirrors))), [])
    return Changes(stage, new, {3: gone_planted.secret}, 0)


def replace_places(planted: Planted, kept: set[tuple[str, str, str]]) -> Planted:
    return Planted(planted.repo, planted.secret, planted.path, frozenset(kept))


# -- the tests ---------------------------------------------------------------------------------------------------


def test_first_run_finds_every_planted_credential_once_with_repository_path_and_commit(
    first: Stage, world: World
) -> None:
    records = first.records["sqlite"]
    assert_found_exactly(world, records)
    assert {record.status for record in records} == {Status.SCANNED}
    assert all(record.tree_scanned and record.history is HistoryMode.FULL for record in records)
    # Every repository is new, so every credential is.
    assert all(record.new == {f.fingerprint for f in record.findings} and not record.gone for record in records)
    # The three ways in: 20 from the list as file://, 15 from git daemon, 15 from the GitHub API.
    names = {record.repo.name for record in records}
    assert {world.name(i) for i in LISTED} | {world.name(i) for i in DAEMON} | {world.name(i) for i in GITHUB} == names


def test_the_github_listing_is_paginated_and_forks_and_archived_are_opt_in(
    first: Stage, world: World, github: GitHubOrgFake
) -> None:
    api = forge("github", github.url, {"GITHUB_TOKEN": "test-org-token"})
    listed = github_org("acme", api)
    assert [spec.name for spec in listed.repos] == [f"github.com/acme/r{i:02d}" for i in GITHUB]
    assert listed.notes == [
        "GitHub organisation acme: 1 fork(s) not scanned (--include-forks to scan them)",
        "GitHub organisation acme: 1 archived repositor(y/ies) not scanned (--include-archived)",
    ]
    everything = github_org("acme", api, include_forks=True, include_archived=True)
    assert len(everything.repos) == len(GITHUB) + 2 and not everything.notes
    requests = [r for r in github.server.requests if r.path.startswith(("/orgs/", "/organizations/"))]
    pages = [r.path for r in requests[-4:]]
    assert pages == [
        "/orgs/acme/repos?type=all&per_page=100",
        f"/organizations/{org_world.ORG_ID}/repos?type=all&per_page=100&page=2",
        f"/organizations/{org_world.ORG_ID}/repos?type=all&per_page=100&page=3",
        f"/organizations/{org_world.ORG_ID}/repos?type=all&per_page=100&page=4",
    ]
    assert {r.headers.get("authorization") for r in requests} == {"Bearer test-org-token"}
    assert {r.method for r in requests} == {"GET"}


def test_no_secret_reaches_the_scheduler_nor_the_store(first: Stage, world: World, stores: Stores) -> None:
    secrets = [planted.secret.encode() for planted in world.planted]
    assert first.received and all(isinstance(value, RepoOutcome) for value in first.received)
    for value in first.received:
        data = pickle.dumps(value)
        assert not [s for s in secrets if s in data]
    dump = "\n".join(sqlite3.connect(stores.sqlite.where).iterdump()).encode()
    assert b'INSERT INTO "credentials"' in dump
    files = b"".join(p.read_bytes() for p in Path(stores.sqlite.where).parent.glob("org.sqlite3*"))
    assert not [s for s in secrets if s in dump or s in files]
    if stores.postgresql is not None:
        text = repr(postgres_dump(stores.postgresql)).encode()
        assert b"github" in text
        assert not [s for s in secrets if s in text]


def test_a_second_run_scans_nothing_unchanged(second: Stage, first: Stage, world: World) -> None:
    records = second.records["sqlite"]
    assert {record.status for record in records} == {Status.UNCHANGED}
    assert sum(record.part.files for record in records) == 0
    assert not any(record.tree_scanned or record.history is not HistoryMode.NONE for record in records)
    before = {record.repo.name: record.findings for record in first.records["sqlite"]}
    assert {record.repo.name: record.findings for record in records} == before
    assert not any(record.new or record.gone for record in records)


def test_commits_added_and_removed_are_new_still_and_gone(changed: Changes, world: World) -> None:
    records = changed.stage.records["sqlite"]
    by_name = {record.repo.name: record for record in records}
    assert_found_exactly(world, records)
    touched = {world.name(i) for i in (0, 1, 3, 21, 36)}
    assert {name for name, record in by_name.items() if record.status is Status.SCANNED} == touched
    assert {record.status for name, record in by_name.items() if name not in touched} == {Status.UNCHANGED}
    new = {(name, fp) for name, record in by_name.items() for fp in record.new}
    assert new == {(world.name(i), fingerprint_of(secret)) for i, secret in changed.new.items()}
    gone = {(name, f.fingerprint) for name, record in by_name.items() for f in record.gone}
    assert gone == {(world.name(i), fingerprint_of(secret)) for i, secret in changed.gone.items()}
    # Only what changed was read: the files of a changed tree, the blobs of new commits.
    scanned = {i: by_name[world.name(i)] for i in (0, 1, 3, 21, 36)}
    assert {i: (r.tree_scanned, r.history, r.part.files) for i, r in scanned.items()} == {
        0: (True, HistoryMode.INCREMENTAL, 2),  # README.md and src/app.py; the deleting commit adds no blob
        1: (True, HistoryMode.INCREMENTAL, 4),  # three files in the tree, the one new blob in history
        3: (False, HistoryMode.FULL, 2),  # rewritten: the whole (one-commit) history again; the tree is as before
        21: (False, HistoryMode.INCREMENTAL, 1),
        36: (False, HistoryMode.INCREMENTAL, 1),
    }
    assert by_name[world.name(0)].findings[0].fingerprint not in by_name[world.name(0)].new  # still there


def test_sqlite_and_postgresql_hold_the_same_results(changed: Changes, stores: Stores) -> None:
    if stores.postgresql is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    for stage in stores.runs:
        assert normalized(stores.sqlite, stage["sqlite"]) == normalized(stores.postgresql, stage["postgresql"])
    assert len(stores.runs) == 3
    last = normalized(stores.sqlite, stores.runs[-1]["sqlite"])
    assert len(last["repository_scans"]) == REPOSITORIES and last["gone"] and last["credentials"]


def normalized(store: Store, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """What a run stored, by repository name, without ids, times or worker names."""
    queries = {
        "repository_scans": "SELECT r.name, s.status, s.error, s.head_commit, s.tree_id, s.heads, s.history_covered, "
        "s.tree_scanned, s.history_mode, s.commits_scanned, s.files_scanned, s.bytes_scanned, s.files_skipped "
        "FROM repository_scans s JOIN repositories r ON r.id = s.repository_id WHERE s.run_id = ?",
        "credentials": "SELECT r.name, c.fingerprint, c.provider, c.kind, c.rule, c.preview, c.access, c.destructive, "
        "c.destructive_actions, c.scope_source, c.evidence, c.identity, c.production, c.severity, c.confidence, "
        "c.change FROM credentials c JOIN repositories r ON r.id = c.repository_id WHERE c.run_id = ?",
        "locations": "SELECT r.name, l.fingerprint, l.reach, l.path, l.line, l.col, l.commit_id, l.author_date, "
        "l.context, l.excluded_by FROM locations l JOIN repositories r ON r.id = l.repository_id WHERE l.run_id = ?",
        "gone": "SELECT r.name, g.fingerprint, g.provider, g.kind, g.preview, g.severity FROM gone g "
        "JOIN repositories r ON r.id = g.repository_id WHERE g.run_id = ?",
    }
    return {table: sorted(store._all(sql, (run_id,))) for table, sql in queries.items()}


def postgres_dump(store: Store) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for table in ("runs", "repositories", "repository_scans", "credentials", "locations", "gone"):
        rows += store._all(f"SELECT * FROM {table}")
    return rows


# -- a worker lost mid-run ---------------------------------------------------------------------------------------


def _barrier_task(barrier: str, job: Job, spec: RepoSpec, previous: Previous | None) -> RepoOutcome:
    """Runs on a worker: says it started, waits for the test to release it, then does the real work."""
    base = Path(barrier)
    with open(base / "started", "a") as marks:
        marks.write(f"{spec.name}\t{os.getpid()}\n")
    deadline = time.monotonic() + 120
    while not (base / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return scan_repository(job, spec, previous)


def _started(barrier: Path) -> list[tuple[str, int]]:
    try:
        lines = (barrier / "started").read_text().splitlines()
    except FileNotFoundError:
        return []
    return [(name, int(pid)) for name, pid in (line.split("\t") for line in lines)]


def _wait_for(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_run_loses_nothing_and_counts_nothing_twice(
    changed: Changes, client: Any, world: World, github: GitHubOrgFake, tmp_path: Path
) -> None:
    import cloudpickle

    cloudpickle.register_pickle_by_value(__import__(__name__))
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    store = Store.open(str(tmp_path / "killed.sqlite3"), tmp_path / "unused")
    found = enumerate_world(world, github)
    run_id = store.begin_run("admin", True)
    job = Job(mirrors=str(tmp_path / "mirrors"))
    run = Run(client, store, run_id, job, repo_task=partial(_barrier_task, str(barrier)))
    outcome: dict[str, Any] = {}
    scanning = threading.Thread(target=lambda: outcome.setdefault("records", run.scan(found.repos)))
    scanning.start()
    try:
        # Both workers hold a task at the barrier: kill the process running the first one.
        _wait_for(lambda: len({pid for _, pid in _started(barrier)}) == 2, "both workers to start a task")
        victim_repo, victim = _started(barrier)[0]
        first_pids = {pid for _, pid in _started(barrier)}
        assert victim in set(client.run(os.getpid).values())
        os.kill(victim, signal.SIGKILL)
        # The nanny starts a new worker process, which Dask gives queued work (the lost task among it).
        _wait_for(lambda: {pid for _, pid in _started(barrier)} - first_pids, "a new worker process to take a task")
    finally:
        (barrier / "release").touch()
        scanning.join(timeout=300)
    assert not scanning.is_alive()
    # The lost repository ran again in another process, and was recorded once.
    assert len({pid for name, pid in _started(barrier) if name == victim_repo}) == 2
    store.finish_run(run_id, "finished")
    records = outcome["records"]
    assert sorted(r.repo.name for r in records) == sorted(world.name(i) for i in range(REPOSITORIES))
    assert_found_exactly(world, records)
    assert {record.status for record in records} == {Status.SCANNED}
    assert store._all(
        "SELECT COUNT(*), COUNT(DISTINCT repository_id) FROM repository_scans WHERE run_id = ?", (run_id,)
    ) == [(REPOSITORIES, REPOSITORIES)]
    stored = store._all("SELECT COUNT(*) FROM credentials WHERE run_id = ?", (run_id,))[0][0]
    assert stored == len(world.planted)
    store.close()


# -- probes: one rate limit per provider for the whole cluster ----------------------------------------------------


@dataclass
class CountingGitHub:
    """`GET /user` as GitHub answers a classic token with the `repo` scope, slowly, counting what overlaps."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0
    starts: list[float] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def respond(self, request: Received) -> Reply:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.starts.append(time.monotonic())
            self.paths.append(f"{request.method} {request.path}")
        time.sleep(0.2)
        with self.lock:
            self.in_flight -= 1
        return json_reply(200, b'{"login":"octocat","site_admin":false}', **{"X-OAuth-Scopes": "repo"})


def test_probes_share_one_rate_limit_per_provider_across_all_workers(
    changed: Changes, client: Any, world: World, github: GitHubOrgFake, tmp_path: Path
) -> None:
    from credscope.org.limits import ClusterLimit
    from credscope.probes.settings import ProbeSettings

    # Repositories whose credentials are all GitHub tokens (a Railway one would be probed at Railway itself).
    github_only = {p.repo for p in world.planted} - {p.repo for p in world.planted if p.path == "scripts/deploy.sh"}
    names = {world.name(i) for i in github_only}
    tokens = {p.secret for p in world.planted if p.repo in github_only}
    found = enumerate_world(world, github)
    chosen = [spec for spec in found.repos if spec.name in names]
    counting = CountingGitHub()
    with FakeServer(counting.respond) as fake:
        settings = ProbeSettings(
            timeout=60,
            endpoints={"github": fake.url},
            endpoint_origins={"github": "test"},
            concurrency=1,
            rate_per_second=4.0,
        )
        limit = ClusterLimit(f"credscope-probe-test-{os.getpid()}", concurrency=1, rate_per_second=4.0)
        job = Job(mirrors=str(tmp_path / "mirrors"), verify=settings, probe_limit=limit)
        with Store.open(str(tmp_path / "verify.sqlite3"), tmp_path / "unused") as store:
            run_id = store.begin_run("admin", True)
            records = Run(client, store, run_id, job).scan(chosen)
    assert len(chosen) == len(github_only) >= 8
    assert counting.paths == ["GET /user"] * len(tokens)
    queried = {f.fingerprint: (f.scope_source.value, f.access.value) for r in records for f in r.findings}
    assert queried == {fingerprint_of(secret): ("queried", "write") for secret in tokens}
    # Two worker processes, each allowed 1 request in flight and 4 a second by its own throttle, together
    # never exceeded the cluster's 1 in flight, nor 4 a second (+1, the bucket's burst) over any 2 s window.
    assert counting.most_in_flight == 1
    starts = sorted(counting.starts)
    assert max(sum(1 for t in starts if s <= t < s + 2.0) for s in starts) <= 4 * 2 + 1 + 1  # +1 clock slack


def test_long_histories_are_scanned_in_slices_each_commit_once(
    changed: Changes, client: Any, world: World, github: GitHubOrgFake, stores: Stores, tmp_path: Path
) -> None:
    # Repositories of one to six commits, with credentials in the tree, only in history, on a branch.
    chosen = {0, 1, 2, 3, 5, 10, 21, 36, 45}
    names = {world.name(i) for i in chosen}
    found = [spec for spec in enumerate_world(world, github).repos if spec.name in names]
    received: list[object] = []
    job = Job(mirrors=str(stores.mirrors), split_commits=2)
    with Store.open(str(tmp_path / "sliced.sqlite3"), tmp_path / "unused") as store:
        run_id = store.begin_run("admin", True)
        records = Run(client, store, run_id, job, on_result=received.append).scan(found)
    assert_found_exactly(world, records, chosen)
    outcomes = {value.repo.name: value for value in received if isinstance(value, RepoOutcome)}
    slices = [value for value in received if isinstance(value, ScanPart)]
    assert not [part.error for part in slices if part.error]
    by_name = {record.repo.name: record for record in records}
    for index in chosen:
        name, repo = world.name(index), world.repos[index]
        commits = int(repo.git("rev-list", "--count", "--all"))
        # Every commit read exactly once: the repository's own task, then its slices.
        assert by_name[name].part.commits == commits, name
        # Histories are linear but r36's (two commits, one on a branch: not over the limit): ⌈commits / 2⌉ slices.
        assert len(outcomes[name].pending) == (0 if commits <= 2 else (commits + 1) // 2 - 1), name
    assert len(slices) == sum(len(outcome.pending) for outcome in outcomes.values())
