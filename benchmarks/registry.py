"""The registry-based real-code set: application packages from PyPI and npm, pinned by version and sha256.

benchmarks/registry_set.json names each package (registry, name, version, tarball URL, sha256). Tarballs are
fetched with plain HTTP from the registries into a cache outside the repository (~/.cache/credscope-bench, or
$CREDSCOPE_BENCH_CACHE, or --cache), checked against the pinned sha256 and unpacked by hand: only regular files
and directories, never an absolute path, a `..` component or a link, and never more than a size cap.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = Path(__file__).resolve().parent / "registry_set.json"
USER_AGENT = "credscope-benchmark (+false_positives.py)"
MAX_UNPACKED = 2 * 1024 * 1024 * 1024  # a tarball that unpacks past this is refused (a bomb, not a package)
CHUNK = 1024 * 1024


class RegistryError(Exception):
    """A package could not be fetched, verified or unpacked; the message says which and why."""


@dataclass(frozen=True)
class Package:
    registry: str  # "pypi" or "npm"
    name: str
    version: str
    url: str
    sha256: str
    kind: str = ""  # what it is, for people: "CMS", "workflow automation", ...
    # Paths left out of the scan (POSIX, relative to the package root; glob patterns allowed), as `scan
    # --exclude` would: vendored bundles and most translations of the largest packages, to keep the set varied.
    exclude: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """How labels name the package: registry and name, not version, so labels survive a version bump."""
        return f"{self.registry}:{self.name}"

    @property
    def slug(self) -> str:
        return f"{self.registry}-{self.name.replace('/', '+').lstrip('@')}-{self.version}"


def default_cache() -> Path:
    configured = os.environ.get("CREDSCOPE_BENCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "credscope-bench"


def load_manifest(path: Path = MANIFEST) -> list[Package]:
    data = json.loads(path.read_text(encoding="utf-8"))
    packages = []
    for entry in data["packages"]:
        if entry["registry"] not in ("pypi", "npm"):
            raise RegistryError(f"{path}: {entry['name']}: unknown registry {entry['registry']!r}")
        packages.append(
            Package(
                registry=entry["registry"],
                name=entry["name"],
                version=entry["version"],
                url=entry["url"],
                sha256=entry["sha256"],
                kind=entry.get("kind", ""),
                exclude=tuple(entry.get("exclude", ())),
            )
        )
    return packages


def save_manifest(packages: Iterable[Package], path: Path = MANIFEST) -> None:
    """One package a line, sorted by registry and name, so a pin is a one-line diff."""
    rows = []
    for package in sorted(packages, key=lambda p: (p.registry, p.name)):
        entry: dict[str, object] = {
            "registry": package.registry,
            "name": package.name,
            "version": package.version,
            "kind": package.kind,
            "url": package.url,
            "sha256": package.sha256,
        }
        if package.exclude:
            entry["exclude"] = list(package.exclude)
        rows.append("    " + json.dumps(entry, ensure_ascii=False))
    about = (
        "Application packages scanned by benchmarks/false_positives.py --registry; "
        "pin more with --pin pypi:NAME[==VERSION] npm:NAME[@VERSION]"
    )
    text = '{\n  "about": ' + json.dumps(about) + ',\n  "packages": [\n' + ",\n".join(rows) + "\n  ]\n}\n"
    path.write_text(text, encoding="utf-8")


def _get(url: str) -> urllib.request.Request:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in ("pypi.org", "files.pythonhosted.org", "registry.npmjs.org"):
        raise RegistryError(f"{url}: only https from pypi.org, files.pythonhosted.org and registry.npmjs.org")
    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT})


def _json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(_get(url), timeout=60) as response:
        loaded: dict[str, object] = json.load(response)
    return loaded


def download(url: str, target: Path) -> str:
    """Fetch `url` into `target` (atomically) and return its sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(_get(url), timeout=120) as response, partial.open("wb") as out:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    partial.replace(target)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_PYPI_FILE = re.compile(r"(?:^|/)packages/(?:packages/)?([0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/[^/]+)$")


def pypi_file_url(url: str) -> str:
    """The canonical files.pythonhosted.org address of a PyPI file (some mirrors answer with a relative one)."""
    found = _PYPI_FILE.search(url)
    return f"https://files.pythonhosted.org/packages/{found.group(1)}" if found else url


def resolve(spec: str, cache: Path) -> Package:
    """`pypi:NAME[==VERSION]` or `npm:NAME[@VERSION]` to a pinned Package (the newest version when none given)."""
    registry, _, rest = spec.partition(":")
    if registry == "pypi":
        name, _, version = rest.partition("==")
        info = _json(f"https://pypi.org/pypi/{name}/json")  # one address every PyPI mirror answers
        releases = info["releases"]
        assert isinstance(releases, dict)
        if version and version not in releases:
            raise RegistryError(f"{spec}: PyPI has no version {version}")
        files = releases[version] if version else info["urls"]
        assert isinstance(files, list)
        sdists = [f for f in files if f["packagetype"] == "sdist" and f["filename"].endswith(".tar.gz")]
        if not sdists:
            raise RegistryError(f"{spec}: no .tar.gz sdist on PyPI")
        meta = info["info"]
        assert isinstance(meta, dict)
        url = pypi_file_url(sdists[0]["url"])
        return Package("pypi", meta["name"], version or meta["version"], url, sdists[0]["digests"]["sha256"])
    if registry == "npm":
        at = rest.find("@", 1)  # a scope starts with '@'
        name, version = (rest[:at], rest[at + 1 :]) if at > 0 else (rest, "latest")
        meta = _json(f"https://registry.npmjs.org/{name.replace('/', '%2F')}/{version}")
        dist = meta["dist"]
        assert isinstance(dist, dict)
        package = Package("npm", name, str(meta["version"]), dist["tarball"], "")
        # npm publishes sha1 and sha512 (the integrity field); the manifest pins sha256 of the bytes fetched.
        target = cache / "downloads" / f"{package.slug}.tgz"
        sha256 = download(package.url, target)
        _check_integrity(target, str(dist.get("integrity", "")))
        return Package(package.registry, package.name, package.version, package.url, sha256)
    raise RegistryError(f"{spec}: expected pypi:NAME or npm:NAME")


def _check_integrity(path: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        return
    digest = hashlib.sha512(path.read_bytes()).digest()
    if base64.b64encode(digest).decode() != expected:
        path.unlink()
        raise RegistryError(f"{path.name}: does not match the registry's sha512 integrity")


def tarball(package: Package, cache: Path) -> Path:
    """The package's tarball in the cache, downloaded when missing; always checked against the pinned sha256."""
    target = cache / "downloads" / (package.slug + (".tar.gz" if package.registry == "pypi" else ".tgz"))
    if not target.exists():
        download(package.url, target)
    found = sha256_of(target)
    if found != package.sha256:
        target.unlink()
        raise RegistryError(f"{package.key} {package.version}: sha256 {found} is not the pinned {package.sha256}")
    return target


@dataclass(frozen=True)
class Unpacked:
    root: Path  # the package's own top directory (the tarball's single leading directory stripped)
    files: int
    refused: tuple[str, ...]  # members not written: links, devices, absolute or escaping paths


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path a tar member may be written to, or None when it is absolute or leaves the target."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or not path.parts or any(part in ("..", "") for part in path.parts):
        return None
    if ":" in path.parts[0]:  # a Windows drive
        return None
    parts = [part for part in path.parts if part != "."]
    return PurePosixPath(*parts) if parts else None


def unpack(archive: Path, target: Path) -> Unpacked:
    """Write the regular files of a tar archive under `target`, and nothing else.

    Member data is copied by hand (never TarFile.extract): no link, device or FIFO is created, no path is
    absolute or climbs with `..`, no mode or owner is taken from the archive, and the total is capped.
    """
    refused: list[str] = []
    written = 0
    files = 0
    target.mkdir(parents=True)
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        tops = {PurePosixPath(m.name).parts[0] for m in members if safe_member_path(m.name) is not None}
        for member in members:
            relative = safe_member_path(member.name)
            if relative is None or not (member.isfile() or member.isdir()):
                refused.append(member.name)
                continue
            destination = target.joinpath(*relative.parts)
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            written += member.size
            if written > MAX_UNPACKED:
                raise RegistryError(f"{archive.name}: unpacks past {MAX_UNPACKED // (1024 * 1024)} MB")
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                refused.append(member.name)
                continue
            # O_EXCL: a second member of the same name (or a path through a file) is refused, not followed.
            try:
                fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except (FileExistsError, NotADirectoryError):
                refused.append(member.name)
                continue
            with source, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            files += 1
    root = target / next(iter(tops)) if len(tops) == 1 and (target / next(iter(tops))).is_dir() else target
    return Unpacked(root, files, tuple(refused))


def excluded_paths(package: Package, root: Path) -> tuple[str, ...]:
    """The package's exclusions as literal paths under `root` (glob patterns expanded)."""
    found: list[str] = []
    for pattern in package.exclude:
        if any(c in pattern for c in "*?["):
            found.extend(sorted(p.relative_to(root).as_posix() for p in root.glob(pattern)))
        else:
            found.append(pattern)
    return tuple(found)


def unpacked(package: Package, cache: Path) -> Path:
    """The package's files, unpacked once into the cache (a half-written tree is never reused)."""
    trees = cache / "trees"
    final = trees / package.slug
    if not (final / ".complete").exists():
        archive = tarball(package, cache)
        shutil.rmtree(final, ignore_errors=True)
        trees.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=package.slug + ".", dir=trees))
        try:
            result = unpack(archive, scratch / "files")
            (scratch / "root").write_text(str(result.root.relative_to(scratch)), encoding="utf-8")
            (scratch / "refused").write_text("".join(f"{name}\n" for name in result.refused), encoding="utf-8")
            (scratch / ".complete").touch()
            scratch.replace(final)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return final / (final / "root").read_text(encoding="utf-8")
