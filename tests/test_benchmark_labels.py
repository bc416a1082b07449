"""The registry-based false-positive benchmark, offline: label file, precision table, pinned set, safe unpacking.

Nothing here downloads: tarballs are built in tmp_path, findings are made by hand.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    """benchmarks/NAME.py under a name of its own (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


labels = _load("labels")
registry = _load("registry")

FP = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("a", "b", "c", "d", "e", "f", "g")}


def finding(fp: str, path: str, rule: str, severity: str = "low", confidence: str | None = "possible", failing=False):
    return labels.Finding(
        package="pypi:app",
        path=path,
        line=3,
        fingerprint=FP[fp],
        rule=rule,
        provider="generic",
        kind="secret",
        severity=severity,
        confidence=confidence,
        failing=failing,
        preview="ab… (12 chars, a-z)",
    )


def label(fp: str, path: str, category: str, package: str = "pypi:app"):
    return labels.Label(package=package, path=path, fingerprint=FP[fp], category=category)


def test_the_table_counts_each_category_and_the_three_targets() -> None:
    findings = [
        finding("a", "settings.py", "generic-secret-quoted", failing=True),  # a credential
        finding("b", "docs/install.rst", "postgres-uri", severity="high", confidence="likely", failing=True),
        finding("c", "locale/nl.json", "generic-secret-quoted"),  # a UI label
        finding("d", "tests/keys.pem", "private-key-pem", severity="medium", confidence="certain", failing=True),
        finding("e", "tests/test_api.py", "generic-secret-quoted"),  # a fixture the gate leaves alone
        finding("f", "new.py", "generic-secret-quoted"),  # nobody has looked at it yet
        finding("g", "README.md", "generic-secret-quoted"),  # a placeholder at low: as it should be
    ]
    known = {
        item.key: item
        for item in (
            label("a", "settings.py", "credential"),
            label("b", "docs/install.rst", "placeholder"),
            label("c", "locale/nl.json", "not-credential"),
            label("d", "tests/keys.pem", "test-fixture"),
            label("e", "tests/test_api.py", "test-fixture"),
            label("g", "README.md", "placeholder"),
            label("a", "gone.py", "credential"),  # its finding was fixed away: stale
            label("b", "other.py", "placeholder", package="npm:elsewhere"),  # a package not scanned: not stale
        )
    }
    precision = labels.measure(findings, known, ["pypi:app"])
    assert precision.overall.as_dict() == {
        "findings": 7,
        "by_category": {"credential": 1, "test-fixture": 2, "placeholder": 2, "not-credential": 1, "unlabelled": 1},
        "not_credentials": 3,
        "not_credential_share": 0.5,  # of the 6 labelled
        "placeholders_above_low": 1,
        "fixtures_failing_default_gate": 1,
        "failing_default_gate": 3,
    }
    assert precision.stale_labels == 1
    assert not precision.meets_target
    assert {rule: row.total for rule, row in precision.by_rule.items()} == {
        "generic-secret-quoted": 5,
        "postgres-uri": 1,
        "private-key-pem": 1,
    }
    assert precision.by_confidence["certain"].fixtures_failing == 1
    assert precision.by_confidence["likely"].placeholders_above_low == 1
    assert precision.by_severity["high"].by_category["placeholder"] == 1

    table = labels.render(precision).splitlines()
    assert "placeholders above severity low:                1   (target 0)" in table
    assert "test fixtures failing the default gate:         1   (target 0)" in table
    assert "not credentials (placeholder + not-credential): 3 of 6 labelled = 50.0 %   (target ≤ 10 %)" in table
    assert "unlabelled               1    14.3 %" in table
    assert "the set misses the target" in table


def test_a_scanner_without_confidence_is_shown_as_na() -> None:
    precision = labels.measure([finding("a", "x.py", "generic-secret-quoted", confidence=None)], {}, ["pypi:app"])
    assert list(precision.by_confidence) == ["n/a"]
    assert "possible" not in labels.render(precision)


def test_a_clean_fully_labelled_set_meets_the_target() -> None:
    findings = [finding("a", "x.py", "generic-secret-quoted", failing=True), finding("e", "tests/t.py", "r")]
    known = {item.key: item for item in (label("a", "x.py", "credential"), label("e", "tests/t.py", "test-fixture"))}
    assert labels.measure(findings, known, ["pypi:app"]).meets_target


def test_labels_round_trip_and_hold_no_value(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    written = [label("a", "x.py", "credential"), label("c", "locale/nl.json", "not-credential")]
    labels.save_labels(written, path)
    assert sorted(labels.load_labels(path).values(), key=lambda item: item.key) == sorted(
        written, key=lambda item: item.key
    )
    assert len(path.read_text().splitlines()) == 4 + len(written) + 2  # one label a line


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "x.py", "fingerprint": FP["a"], "category": "credential"}, "needs package, path, fingerprint"),
        ({"package": "pypi:app", "path": "x.py", "fingerprint": FP["a"], "category": "secret"}, "is not one of"),
        ({"package": "pypi:app", "path": "x.py", "fingerprint": FP["a"][:16], "category": "credential"}, "SHA-256"),
        ({"package": "pypi:app", "path": "x.py", "fingerprint": FP["a"].upper(), "category": "credential"}, "SHA-256"),
    ],
)
def test_a_malformed_label_is_refused_by_name(tmp_path: Path, entry: dict[str, str], message: str) -> None:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"labels": [entry]}))
    with pytest.raises(labels.LabelError, match=re.escape("labels.json: label 0: ")) as raised:
        labels.load_labels(path)
    assert message in str(raised.value)


def test_a_finding_labelled_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    entry = {"package": "pypi:app", "path": "x.py", "fingerprint": FP["a"], "category": "credential"}
    path.write_text(json.dumps({"labels": [entry, {**entry, "category": "placeholder"}]}))
    with pytest.raises(labels.LabelError, match=re.escape("label 1: pypi:app x.py is labelled twice")):
        labels.load_labels(path)


def test_the_checked_in_set_and_labels_are_consistent() -> None:
    packages = registry.load_manifest()
    keys = {package.key for package in packages}
    assert len(keys) == len(packages) >= 20
    for package in packages:
        assert re.fullmatch(r"[0-9a-f]{64}", package.sha256), package.key
        assert re.fullmatch(
            r"https://(files\.pythonhosted\.org/packages|registry\.npmjs\.org)/\S+\.(tar\.gz|tgz)", package.url
        ), package.key
        assert package.version and package.version in package.url, package.key
    known = labels.load_labels()
    assert known, "benchmarks/labels.json holds the labels of the registry-based set"
    assert {key[0] for key in known} <= keys


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o4777  # set-uid and world-writable in the archive: never taken over
    return info


def test_unpacking_writes_only_regular_files_inside_the_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    archive = _tar(
        tmp_path / "hostile.tar.gz",
        [
            (_member("pkg-1.0/", tarfile.DIRTYPE), b""),
            (_member("pkg-1.0/app/settings.py"), b"DEBUG = True\n"),
            (_member("pkg-1.0/../outside/escaped.txt"), b"climbed out\n"),
            (_member(str(outside / "absolute.txt")), b"absolute\n"),
            (_member("pkg-1.0/link", tarfile.SYMTYPE, link=str(outside)), b""),
            (_member("pkg-1.0/hard", tarfile.LNKTYPE, link="pkg-1.0/app/settings.py"), b""),
            (_member("pkg-1.0/fifo", tarfile.FIFOTYPE), b""),
            (_member("pkg-1.0/app/settings.py"), b"SECOND = 'copy'\n"),  # a second member of one name
        ],
    )
    result = registry.unpack(archive, tmp_path / "target")
    assert result.root == tmp_path / "target" / "pkg-1.0"
    assert result.files == 1
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "hostile.tar.gz",
        "target/pkg-1.0/app/settings.py",
    ]
    assert (result.root / "app" / "settings.py").read_text() == "DEBUG = True\n"
    assert (result.root / "app" / "settings.py").stat().st_mode & 0o7777 == 0o644
    assert result.refused == (
        "pkg-1.0/../outside/escaped.txt",
        str(outside / "absolute.txt"),
        "pkg-1.0/link",
        "pkg-1.0/hard",
        "pkg-1.0/fifo",
        "pkg-1.0/app/settings.py",
    )
    assert not outside.exists()


def test_member_paths_are_judged_before_anything_is_written() -> None:
    assert registry.safe_member_path("package/lib/index.js").as_posix() == "package/lib/index.js"
    assert registry.safe_member_path("./package/./a.js").as_posix() == "package/a.js"
    for hostile in ("/etc/passwd", "../x", "package/../../x", "C:/x", "package\\..\\..\\x", "", "."):
        assert registry.safe_member_path(hostile) is None, hostile


def test_a_tarball_that_does_not_match_its_pin_is_refused_and_removed(tmp_path: Path) -> None:
    package = registry.Package("npm", "app", "1.0.0", "https://registry.npmjs.org/app/-/app-1.0.0.tgz", "0" * 64)
    cached = tmp_path / "downloads" / f"{package.slug}.tgz"
    cached.parent.mkdir()
    cached.write_bytes(b"not what was pinned")
    with pytest.raises(registry.RegistryError, match="is not the pinned"):
        registry.tarball(package, tmp_path)
    assert not cached.exists()


def test_only_the_registries_are_fetched_from() -> None:
    for url in ("http://registry.npmjs.org/a.tgz", "https://example.com/a.tgz", "file:///etc/passwd"):
        with pytest.raises(registry.RegistryError, match="only https from"):
            registry.download(url, Path("unused"))


def test_a_relative_pypi_file_address_becomes_the_canonical_one() -> None:
    digest_path = "3a/64/" + "b" * 60 + "/app-1.0.tar.gz"
    expected = f"https://files.pythonhosted.org/packages/{digest_path}"
    assert registry.pypi_file_url(f"../../packages/packages/{digest_path}") == expected
    assert registry.pypi_file_url(expected) == expected
