"""Speed corpora that look like real repositories, built from pinned registry packages.

benchmarks/speed_set.json pins (version, sha256) the packages that give the corpora what real code is full of
and small benchmarks lack: large JSON (botocore's API models unzipped, cfn-lint's schemas, aws-sdk's models,
test fixtures), minified and bundled JavaScript (monaco, echarts, pdf.js, the TypeScript compiler, Jupyter's
static bundles), vendored code (pip, setuptools), notebooks (statsmodels' examples) and lockfiles. The
application packages of benchmarks/registry_set.json are added to them. Everything is downloaded over HTTPS
from PyPI and npm only, checked against its pinned sha256 and unpacked by hand (regular files only, no link, no
absolute or `..` path, a size cap) into a cache outside the repository (~/.cache/credscope-bench, or
$CREDSCOPE_BENCH_CACHE). Files ending in `.json.gz` are decompressed: botocore ships its models gzipped, and a
checkout of its repository has them as plain JSON.

A corpus of N MB takes text files round-robin across packages (in a fixed order) until N MB: the corpora are
nested and have the same mix at every size, so time and memory can be compared across sizes. Files are
hard-linked from the unpacked packages (no copy); directory names credscope leaves out by default
(node_modules, site-packages, ...) get a `_` suffix so that every tool reads the same files.

The history repository is generated with `git fast-import` from the files of one package, deterministically
(seeded): tens of thousands of commits, each adding files or growing, editing or deleting one, with
credentials built at run time by credscope.testing.generate (seeded too) committed and later removed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from registry import (
    CHUNK,
    RegistryError,
    default_cache,
    download,
    load_manifest,
    safe_member_path,
    sha256_of,
    unpack,
    unpacked,
)

HERE = Path(__file__).resolve().parent
SPEED_SET = HERE / "speed_set.json"
MB = 1024 * 1024
MAX_UNPACKED = 3 * 1024 * MB
MAX_GUNZIPPED = 64 * MB  # one decompressed `.json.gz`
# Never text worth scanning, whatever the tool: skipped when the corpora are built (every tool sees the same).
SKIP_SUFFIXES = (
    ".pyc", ".pyo", ".so", ".a", ".o", ".dll", ".dylib", ".exe", ".whl", ".zip", ".gz", ".xz", ".bz2", ".tgz",
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".pdf", ".mo",
    ".wasm", ".bcmap", ".pfb", ".mp3", ".mp4", ".sqlite", ".db", ".pkl", ".npy", ".npz", ".jar", ".br",
)  # fmt: skip
RENAMED_DIRS = {"venv", ".venv", "site-packages", "node_modules", "__pycache__", ".tox", ".nox", "bower_components"}
SNIFF = 8192


@dataclass(frozen=True)
class Artifact:
    """One pinned file from a registry: a wheel, an sdist or an npm tarball."""

    registry: str  # pypi | npm
    name: str
    version: str
    url: str
    sha256: str
    what: str  # for people: "API models (large JSON)", ...

    @property
    def slug(self) -> str:
        filename = PurePosixPath(self.url).name
        return f"{self.registry}-{filename}".replace("@", "").replace("/", "+")


def load_speed_set(path: Path = SPEED_SET) -> list[Artifact]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Artifact(**entry) for entry in data["artifacts"]]


def pin(spec: str) -> Artifact:
    """`pypi:NAME==VERSION[:wheel|:sdist]` or `npm:NAME@VERSION` as a pinned artifact (one registry look-up)."""
    from urllib.request import Request, urlopen  # noqa: PLC0415

    registry, _, rest = spec.partition(":")
    if registry == "pypi":
        rest, _, kind = rest.partition(":")
        name, _, version = rest.partition("==")
        request = Request(f"https://pypi.org/pypi/{name}/json", headers={"User-Agent": "credscope-bench"})
        with urlopen(request, timeout=60) as response:
            project = json.load(response)
        files = project.get("releases", {}).get(version) or []
        if not files and project["info"]["version"] == version:
            files = project["urls"]
        if not files:
            raise RegistryError(f"{spec}: no files listed for that version")
        wanted = [f for f in files if f["packagetype"] == ("sdist" if kind == "sdist" else "bdist_wheel")]
        if kind != "sdist":
            wanted = [f for f in wanted if f["filename"].endswith("-none-any.whl")] or wanted
        chosen = wanted[0]
        return Artifact("pypi", name, version, chosen["url"], chosen["digests"]["sha256"], "")
    if registry == "npm":
        at = rest.find("@", 1)
        name, version = rest[:at], rest[at + 1 :]
        url = f"https://registry.npmjs.org/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        target = default_cache() / "downloads" / f"npm-{PurePosixPath(url).name}"
        return Artifact("npm", name, version, url, download(url, target), "")
    raise RegistryError(f"{spec}: expected pypi:NAME==VERSION or npm:NAME@VERSION")


def fetched(artifact: Artifact, cache: Path) -> Path:
    target = cache / "downloads" / artifact.slug
    if not target.exists():
        download(artifact.url, target)
    found = sha256_of(target)
    if found != artifact.sha256:
        target.unlink()
        raise RegistryError(f"{artifact.name} {artifact.version}: sha256 {found} is not the pinned {artifact.sha256}")
    return target


def unpacked_artifact(artifact: Artifact, cache: Path) -> Path:
    """The artifact's files, unpacked once (with `.json.gz` decompressed) into the cache."""
    final = cache / "speed-trees" / artifact.slug
    if not (final / ".complete").exists():
        archive = fetched(artifact, cache)
        shutil.rmtree(final, ignore_errors=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=artifact.slug + ".", dir=final.parent))
        try:
            if archive.name.endswith(".whl"):
                _unzip(archive, scratch / "files")
            else:
                unpack(archive, scratch / "files")
            _gunzip_json(scratch / "files")
            (scratch / ".complete").touch()
            scratch.replace(final)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return final / "files"


def _unzip(archive: Path, target: Path) -> None:
    """A wheel's regular files under `target`: no link, no absolute or escaping path, a size cap."""
    target.mkdir(parents=True)
    written = 0
    with zipfile.ZipFile(archive) as wheel:
        for member in wheel.infolist():
            relative = safe_member_path(member.filename)
            if relative is None or member.is_dir() or (member.external_attr >> 16) & 0o170000 == 0o120000:
                continue
            written += member.file_size
            if written > MAX_UNPACKED:
                raise RegistryError(f"{archive.name}: unpacks past {MAX_UNPACKED // MB} MB")
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with wheel.open(member) as source, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)


def _gunzip_json(root: Path) -> None:
    for path in sorted(root.rglob("*.json.gz")):
        if path.is_symlink() or not path.is_file():
            continue
        with gzip.open(path, "rb") as source:
            data = source.read(MAX_GUNZIPPED + 1)
        if len(data) <= MAX_GUNZIPPED:
            path.with_suffix("").write_bytes(data)
            path.unlink()


# --- corpora --------------------------------------------------------------------------------------------------


def package_roots(cache: Path) -> list[tuple[str, Path]]:
    """(label, directory) of every package in the speed set and the registry set, in a fixed order."""
    roots = [(artifact.slug, unpacked_artifact(artifact, cache)) for artifact in load_speed_set()]
    for package in load_manifest():
        roots.append((package.slug, unpacked(package, cache)))
    return roots


def text_files(root: Path) -> Iterator[tuple[Path, int]]:
    """Regular text files under `root` (sorted, binaries left out), with their sizes."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if name.endswith(SKIP_SUFFIXES) or name == ".complete" or path.is_symlink():
                continue
            size = path.stat().st_size
            if size == 0:
                continue
            with path.open("rb") as handle:
                if b"\0" in handle.read(SNIFF):
                    continue
            yield path, size


def build_corpora(sizes_mb: list[int], cache: Path) -> list[tuple[Path, int]]:
    """One tree per size (nested: each holds the smaller ones' files), with its size in bytes."""
    roots = package_roots(cache)
    listing = cache / "corpora" / "files.json"
    if listing.exists():
        queues = json.loads(listing.read_text(encoding="utf-8"))
    else:
        queues = [
            [label, str(root), [[str(p.relative_to(root)), s] for p, s in text_files(root)]] for label, root in roots
        ]
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(json.dumps(queues), encoding="utf-8")
    order = _round_robin(queues)
    built = []
    for size_mb in sorted(sizes_mb):
        tree = cache / "corpora" / f"{size_mb}mb"
        stamp = tree.with_name(tree.name + ".done")
        budget, used, chosen = size_mb * MB, 0, []
        for label, root, relative, size in order:
            if used >= budget:
                break
            chosen.append((label, root, relative))
            used += size
        if not stamp.exists():
            shutil.rmtree(tree, ignore_errors=True)
            for label, root, relative in chosen:
                target = tree / "real" / label / _safe_relative(Path(relative))
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(Path(root) / relative, target)
            stamp.write_text(f"{len(chosen)} files, {used} bytes\n", encoding="utf-8")
        plant(tree / "planted")
        built.append((tree, tree_bytes(tree)))
    return built


def _round_robin(queues: list[list[object]]) -> list[tuple[str, str, str, int]]:
    """Files one from each package in turn, so that every prefix has the same mix."""
    pending = [(label, root, list(files)) for label, root, files in queues]  # type: ignore[misc]
    order: list[tuple[str, str, str, int]] = []
    index = [0] * len(pending)
    active = [i for i, (_, _, files) in enumerate(pending) if files]
    while active:
        still = []
        for i in active:
            label, root, files = pending[i]
            relative, size = files[index[i]]
            order.append((label, root, relative, size))
            index[i] += 1
            if index[i] < len(files):
                still.append(i)
        active = still
    return order


def _safe_relative(relative: Path) -> Path:
    return Path(*(f"{part}_" if part in RENAMED_DIRS else part for part in relative.parts))


def tree_bytes(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and not p.is_symlink())


def plant(directory: Path, seed: int | None = None) -> int:
    """Every provider's positive examples, expanded into fresh tokens now (never committed); how many files."""
    sys.path.insert(0, str(HERE.parent))
    from credscope.catalogue import load_catalogue  # noqa: PLC0415
    from credscope.testing.generate import expand  # noqa: PLC0415

    rng = random.Random(seed) if seed is not None else None
    shutil.rmtree(directory, ignore_errors=True)
    count = 0
    for provider in load_catalogue().providers.values():
        for rule in provider.rules:
            for number, example in enumerate(e for e in rule.examples if e.positive):
                expansion = expand(example.text, rng) if rng is not None else expand(example.text)
                target = directory / provider.id / f"{rule.id}-{number}" / example.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(expansion.text + "\n", encoding="utf-8")
                count += 1
    return count


# --- history ----------------------------------------------------------------------------------------------------


def build_history(cache: Path, commits: int, source_label: str, seed: int = 17) -> Path:
    """A repository of `commits` commits generated from one package's files (see the module docstring)."""
    repo = cache / "history" / f"{source_label}-{commits}"
    stamp = repo.with_name(repo.name + ".done")
    if stamp.exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    root = dict(package_roots(cache))[source_label]
    files = [(path, path.relative_to(root).as_posix()) for path, size in text_files(root) if size <= 256 * 1024]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    process = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE)
    assert process.stdin is not None
    for mark, (when, number, changes) in enumerate(_history(files, commits, random.Random(seed)), start=1):
        process.stdin.write(_commit(mark, when, number, changes))
    process.stdin.write(b"done\n")
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=False)
    stamp.write_text(f"{commits} commits\n", encoding="utf-8")
    return repo


Change = tuple[str, bytes | None]  # a path and its new content (None: deleted)


def _history(
    files: list[tuple[Path, str]], commits: int, rng: random.Random
) -> Iterator[tuple[int, int, list[Change]]]:
    """(time, number, changes) of each commit: files added a part at a time, grown, edited; credentials
    committed every 300 commits and deleted up to 200 commits later."""
    sys.path.insert(0, str(HERE.parent))
    from credscope.catalogue import load_catalogue  # noqa: PLC0415
    from credscope.testing.generate import expand  # noqa: PLC0415

    examples = [
        (provider.id, rule.id, example)
        for provider in load_catalogue().providers.values()
        for rule in provider.rules
        for example in rule.examples
        if example.positive
    ]
    contents: dict[str, list[str]] = {}  # the lines of every file at its full length
    shown: dict[str, int] = {}  # how many of them the current commit holds
    planted: dict[str, int] = {}  # credential files and the commit that deletes them
    when = 1_500_000_000
    for number in range(commits):
        when += rng.randint(60, 7200)
        changes: list[Change] = []
        if number < 50 or (rng.random() < 0.25 and len(shown) < len(files)):
            for _ in range(rng.randint(1, 4) if number < 50 else 1):
                path, relative = files[len(shown) % len(files)]
                if relative in shown:
                    break
                contents[relative] = path.read_bytes().decode("utf-8", "replace").splitlines(keepends=True)
                shown[relative] = max(1, len(contents[relative]) // rng.randint(2, 4))
                changes.append((relative, "".join(contents[relative][: shown[relative]]).encode()))
        elif shown:
            changes.append(_edit(rng, contents, shown, number))
        if number % 300 == 150:
            provider, rule, example = examples[rng.randrange(len(examples))]
            name = f"config/{provider}/{rule}-{number}/{example.path}"
            planted[name] = number + rng.randint(1, 200)
            changes.append((name, (expand(example.text, rng).text + "\n").encode()))
        for name, until in list(planted.items()):
            if until == number:
                changes.append((name, None))
                del planted[name]
        if changes:
            yield when, number, changes


def _edit(rng: random.Random, contents: dict[str, list[str]], shown: dict[str, int], number: int) -> Change:
    """One file grown by up to 40 lines, or one of its lines changed."""
    relative = rng.choice(list(shown))
    lines = contents[relative]
    if rng.random() < 0.6 and shown[relative] < len(lines):
        shown[relative] = min(len(lines), shown[relative] + rng.randint(1, 40))
        return relative, "".join(lines[: shown[relative]]).encode()
    body = list(lines[: shown[relative]])
    if body:
        body[rng.randrange(len(body))] = f"# changed in commit {number}\n"
    return relative, "".join(body).encode()


def _commit(mark: int, when: int, number: int, changes: list[Change]) -> bytes:
    message = f"change {number}\n".encode()
    parts = [
        b"commit refs/heads/main\nmark :%d\n" % mark,
        b"author Bench <bench@example.invalid> %d +0000\n" % when,
        b"committer Bench <bench@example.invalid> %d +0000\n" % when,
        b"data %d\n%s" % (len(message), message),
    ]
    for name, data in changes:
        if data is None:
            parts.append(b"D %s\n" % name.encode())
        else:
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
    parts.append(b"\n")
    return b"".join(parts)


def history_stats(repo: Path) -> tuple[int, int]:
    """(commits, bytes of distinct blobs) of a repository."""
    commits = int(subprocess.run(["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True,
                                 text=True, check=True).stdout)  # fmt: skip
    listed = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blobs = sum(int(size) for kind, size in (line.split() for line in listed.splitlines()) if kind == "blob")
    return commits, blobs


def digest_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
