"""The provider catalogue: `providers/*.yaml` loaded, validated against its schema and compiled."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from credscope.errors import CatalogueError, key_name, validation_problem, yaml_problem
from credscope.model import Access, Confidence

_PACKAGED_DIR = "_providers"  # where the wheel carries providers/ (see pyproject.toml)


class _Search(Protocol):
    def __call__(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...


class _FindIter(Protocol):
    def __call__(self, string: str, pos: int = ..., endpos: int = ...) -> Iterator[re.Match[str]]: ...


class _FindAll(Protocol):
    def __call__(self, string: str, pos: int = ..., endpos: int = ...) -> list[Any]: ...


# The slots of a `Regex` that are filled from its compiled pattern the first time one is used.
_COMPILED_SLOTS = ("search", "match", "fullmatch", "finditer", "findall", "groupindex")


class Regex:
    """A catalogue regular expression, compiled the first time one of its matching methods is used.

    A one-file scan runs a handful of the catalogue's ~280 expressions, and unpickling the cached catalogue
    with `re.Pattern`s in it compiled every one of them (half of that scan's start). A `Regex` reads like the
    `re.Pattern` it stands for: `pattern` and `flags` (as `re.Pattern.flags` reports them, inline flags
    included) without compiling; `search`, `match`, `fullmatch`, `finditer`, `findall` and `groupindex` are
    the compiled pattern's own, looked up as plain slots once filled (no wrapper call on the hot path). It
    pickles as its source and flags, so worker processes and the catalogue cache compile only what they use.
    """

    __slots__ = ("pattern", "flags", *_COMPILED_SLOTS)

    pattern: str
    flags: int
    search: _Search
    match: _Search
    fullmatch: _Search
    finditer: _FindIter
    findall: _FindAll
    groupindex: Mapping[str, int]

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    @classmethod
    def of(cls, compiled: re.Pattern[str]) -> Regex:
        """The already compiled `compiled`, as a `Regex` (used while building the catalogue)."""
        regex = cls(compiled.pattern, compiled.flags)
        regex._fill(compiled)
        return regex

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)  # `re` keeps its own cache of recent patterns

    def _fill(self, compiled: re.Pattern[str]) -> None:
        self.search = compiled.search
        self.match = compiled.match
        self.fullmatch = compiled.fullmatch
        self.finditer = compiled.finditer
        self.findall = compiled.findall
        self.groupindex = compiled.groupindex

    if not TYPE_CHECKING:  # hidden from mypy: any other attribute name stays a type error

        def __getattr__(self, name: str) -> Any:
            # Reached only while a compiled slot is still empty: compile once, fill them all.
            if name not in _COMPILED_SLOTS:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self._fill(self.compiled())
            return object.__getattribute__(self, name)

    def __reduce__(self) -> tuple[type[Regex], tuple[str, int]]:
        return (Regex, (self.pattern, self.flags))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Regex):
            return NotImplemented
        return (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r}, {self.flags})"


@dataclass(frozen=True)
class Capability:
    id: str
    level: Access
    destructive: bool = False
    description: str = ""
    doc: str = ""


@dataclass(frozen=True)
class KindInfo:
    name: str
    description: str = ""
    breadth: str = "unknown"
    capabilities: tuple[str, ...] = ()
    evidence: str = ""
    narrower: str = ""  # the narrower credential to create instead, and where
    revoke: str = ""  # where a credential of this kind is revoked


@dataclass(frozen=True)
class Pair:
    part: str
    rule: str
    within_lines: int = 5
    required: bool = False


@dataclass(frozen=True)
class Near:
    pattern: Regex
    within: int = 300
    names: Regex | None = None


@dataclass(frozen=True)
class Example:
    text: str
    positive: bool
    path: str = "example.txt"
    kind: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    provider: str
    kind: str
    pattern: Regex
    keywords: tuple[str, ...] = ()
    names: Regex | None = None
    requires_name: bool = False
    exclude_names: Regex | None = None
    # Providers whose credentials have this rule's format too (detect/attribution.py decides between them).
    shared_with: tuple[str, ...] = ()
    kind_by_name: tuple[tuple[Regex, str], ...] = ()
    near: Near | None = None
    entropy: float = 0.0
    min_length: int = 1
    validate: str | None = None
    pairs: tuple[Pair, ...] = ()
    paths: Regex | None = None
    companion: bool = False
    multiline: bool = False
    # How sure a match is a credential, when the rule knows better than its form (detect/confidence.py).
    confidence: Confidence | None = None
    description: str = ""
    examples: tuple[Example, ...] = ()

    def kind_for(self, name: str | None) -> str:
        if name:
            for names, kind in self.kind_by_name:
                if names.search(name):
                    return kind
        return self.kind


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    source: str
    rules: tuple[Rule, ...]
    docs: str = ""
    description: str = ""
    hosts: tuple[str, ...] = ()
    probe: str | None = None
    reads: tuple[str, ...] = ()
    kinds: Mapping[str, KindInfo] = field(default_factory=dict)
    capabilities: Mapping[str, Capability] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    providers: Mapping[str, Provider]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for provider in self.providers.values() for rule in provider.rules)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# What only the user may give a provider: where its credentials are sent, and which calls are made with them.
SENDING_KEYS = ("hosts", "probe", "reads")


@dataclass(frozen=True)
class ProviderDir:
    """A directory of extra provider YAML, and whose it is.

    `repository` is the root of the repository whose own configuration named the directory: its files may only
    add detection rules (no `hosts`, `probe` or `reads`) and must resolve inside that root. None: the user named
    it (--config FILE, the user-level configuration, or a caller of the Python API passing a plain Path).
    """

    path: Path
    repository: Path | None = None


def builtin_provider_dir() -> Path:
    """`providers/` beside the package in a checkout, or its copy inside an installed wheel."""
    # The package's own directory (what importlib.resources answers for it, without importing it at each start).
    packaged = Path(__file__).resolve().parent / _PACKAGED_DIR
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "providers"


@cache
def _schema() -> dict[str, Any]:
    from importlib import resources  # noqa: PLC0415 - only when the catalogue is built

    text = resources.files("credscope").joinpath("schemas/provider.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_catalogue(extra_dirs: Sequence[Path | ProviderDir] = ()) -> Catalogue:
    """Load the built-in providers, then those in `extra_dirs`, which may only add providers, never replace one.

    Parsing and validating the YAML dominates a one-file scan's start, so the compiled catalogue is kept in
    the user cache, keyed by every provider file's path, size and mtime, by whose each directory is, and by
    this code's own files.
    """
    from credscope.cache import read_pickled, write_pickled  # noqa: PLC0415

    extras = tuple(entry if isinstance(entry, ProviderDir) else ProviderDir(entry) for entry in extra_dirs)
    key = _cache_key(extras)
    cached = read_pickled(key, Catalogue)
    if cached is not None:
        return cached
    catalogue = _load_catalogue(extras)
    write_pickled(key, catalogue)
    return catalogue


def _cache_key(extras: Sequence[ProviderDir]) -> str | None:
    """None when a directory is missing: the uncached load then reports it."""
    import hashlib  # noqa: PLC0415
    import sys  # noqa: PLC0415

    digest = hashlib.sha256(f"{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    code = Path(__file__).resolve().parent
    try:
        for path in (code / "catalogue.py", code / "model.py", code / "schemas" / "provider.schema.json"):
            digest.update(_stamp(path))
        for directory, repository in ((builtin_provider_dir(), None), *((d.path, d.repository) for d in extras)):
            if not directory.is_dir():
                return None
            digest.update(f"dir\0{directory.resolve()}\0{repository}\0".encode())
            for path in sorted(directory.glob("*.yaml")):
                digest.update(_stamp(path.resolve()) if repository is not None else _stamp(path))
    except OSError:
        return None
    return f"catalogue-{digest.hexdigest()[:32]}.pickle"


def _stamp(path: Path) -> bytes:
    status = path.stat()
    return f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0".encode()


def _load_catalogue(extras: Sequence[ProviderDir]) -> Catalogue:
    builtin = builtin_provider_dir()
    if not builtin.is_dir():
        raise CatalogueError(str(builtin), "", "provider directory does not exist")
    providers = {provider.id: provider for provider in map(load_provider, sorted(builtin.glob("*.yaml")))}
    if not providers:
        raise CatalogueError(str(builtin), "", "no provider YAML found")
    for extra in extras:
        for path in _provider_files(extra):
            provider = load_provider(path, builtin=False, repository=extra.repository)
            if provider.id in providers:
                earlier = providers[provider.id].source
                what = "a built-in provider" if Path(earlier).parent == builtin else f"the provider in {earlier}"
                raise CatalogueError(
                    str(path), "id", f"would replace {what}; extra provider files may only add new providers"
                )
            providers[provider.id] = provider
    _check_rule_ids_unique(providers.values())
    return Catalogue(providers=providers)


def _provider_files(extra: ProviderDir) -> list[Path]:
    """The directory's `*.yaml`; from a repository's configuration, each one must resolve inside the repository."""
    if not extra.path.is_dir():
        raise CatalogueError(str(extra.path), "", "provider directory does not exist")
    files = sorted(extra.path.glob("*.yaml"))
    if extra.repository is not None:
        for path in files:
            if not is_inside(path, extra.repository):
                # The same words whether the file it points to exists or not: nothing outside is revealed.
                raise CatalogueError(
                    str(path),
                    "",
                    f"a provider file named by the repository's configuration must be inside it ({extra.repository})",
                )
    for path in files:
        if not path.is_file():  # a FIFO or a device would block the read, or never end
            raise CatalogueError(str(path), "", "is not a regular file")
    return files


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, symbolic links followed (to the end, existing or not), lies within `root`."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symbolic link loop: not a path inside anything
        return False


def load_provider(path: Path, *, builtin: bool = True, repository: Path | None = None) -> Provider:
    """One provider file. `builtin`: credscope's own (libyaml, anchors allowed); else read as untrusted YAML.

    `repository`: the file came from a repository's configuration and may not name hosts, a probe or reads.
    """
    import yaml  # noqa: PLC0415 - only loaded when a catalogue is built

    from credscope.safe_yaml import load_untrusted  # noqa: PLC0415

    try:
        text = path.read_text("utf-8")
        # libyaml's parser when present for credscope's own files: several times faster than the pure-Python one.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(text, Loader=loader) if builtin else load_untrusted(text)
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(str(path), "", f"cannot be read: {_one_line(error)}") from None
    except yaml.YAMLError as error:
        raise CatalogueError(str(path), "", f"cannot be read as YAML: {yaml_problem(error)}") from None
    if repository is not None and isinstance(document, dict):
        for key in SENDING_KEYS:
            if key in document:
                raise CatalogueError(
                    str(path),
                    key,
                    f"a provider file from the repository's own configuration may not set {key}: only provider"
                    " directories the user names (--config FILE, the user-level configuration) decide where"
                    " credentials are sent and which calls are made",
                )
    _validate(path, document)
    return _build_provider(path, document)


def _validate(path: Path, document: Any) -> None:
    import jsonschema  # noqa: PLC0415

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(part) for part in e.absolute_path])
    if errors:
        parts, problem = validation_problem(errors[0])
        raise CatalogueError(str(path), ".".join(parts) or "(top level)", problem)


def _build_provider(path: Path, document: dict[str, Any]) -> Provider:
    provider_id: str = document["id"]
    capabilities = {
        entry["id"]: Capability(
            id=entry["id"],
            level=Access(entry["level"]),
            destructive=bool(entry.get("destructive", False)),
            description=entry.get("description", ""),
            doc=entry.get("doc", ""),
        )
        for entry in document.get("capabilities", [])
    }
    kinds = {
        name: KindInfo(
            name=name,
            description=entry.get("description", ""),
            breadth=entry.get("breadth", "unknown"),
            capabilities=tuple(entry.get("capabilities", [])),
            evidence=entry.get("evidence", ""),
            narrower=entry.get("narrower", ""),
            revoke=entry.get("revoke", ""),
        )
        for name, entry in document.get("kinds", {}).items()
    }
    for name, kind in kinds.items():
        for number, capability in enumerate(kind.capabilities):
            if capability not in capabilities:
                where = f"kinds.{key_name(name)}.capabilities.{number}"
                raise CatalogueError(str(path), where, "names no capability listed under `capabilities`")
    rules = tuple(_build_rule(path, provider_id, index, entry) for index, entry in enumerate(document["rules"]))
    rule_ids = {rule.id for rule in rules}
    for index, rule in enumerate(rules):
        for number, pair in enumerate(rule.pairs):
            if pair.rule not in rule_ids:
                raise CatalogueError(str(path), f"rules.{index}.pairs.{number}.rule", "names no rule of this file")
    return Provider(
        id=provider_id,
        name=document["name"],
        source=str(path),
        rules=rules,
        docs=document.get("docs", ""),
        description=document.get("description", ""),
        hosts=tuple(document.get("hosts", [])),
        probe=document.get("probe"),
        reads=tuple(document.get("reads", [])),
        kinds=kinds,
        capabilities=capabilities,
    )


def _build_rule(path: Path, provider_id: str, index: int, entry: dict[str, Any]) -> Rule:
    where = f"rules.{index}"

    def compile_(key: str, source: str) -> Regex:
        try:
            return Regex.of(re.compile(source))
        except re.error as error:
            raise CatalogueError(str(path), f"{where}.{key}", f"invalid regular expression: {error}") from None

    pattern = compile_("pattern", entry["pattern"])
    if "secret" not in pattern.groupindex:
        raise CatalogueError(str(path), f"{where}.pattern", "needs a named group (?P<secret>...)")
    examples = entry.get("examples", {})
    return Rule(
        id=entry["id"],
        provider=provider_id,
        kind=entry["kind"],
        pattern=pattern,
        keywords=tuple(keyword.lower() for keyword in entry.get("keywords", [])),
        names=compile_("names", entry["names"]) if "names" in entry else None,
        requires_name=bool(entry.get("requires_name", False)),
        exclude_names=compile_("exclude_names", entry["exclude_names"]) if "exclude_names" in entry else None,
        shared_with=tuple(entry.get("shared_with", [])),
        kind_by_name=tuple(
            (compile_(f"kind_by_name.{i}.names", item["names"]), item["kind"])
            for i, item in enumerate(entry.get("kind_by_name", []))
        ),
        near=_near(entry["near"], compile_) if "near" in entry else None,
        entropy=float(entry.get("entropy", 0.0)),
        min_length=int(entry.get("min_length", 1)),
        validate=entry.get("validate"),
        pairs=tuple(Pair(**item) for item in entry.get("pairs", [])),
        paths=compile_("paths", entry["paths"]) if "paths" in entry else None,
        companion=bool(entry.get("companion", False)),
        multiline=bool(entry.get("multiline", False)),
        confidence=Confidence(entry["confidence"]) if "confidence" in entry else None,
        description=entry.get("description", ""),
        examples=tuple(_examples(examples)),
    )


def _near(entry: Mapping[str, Any], compile_: Callable[[str, str], Regex]) -> Near:
    return Near(
        pattern=compile_("near.pattern", entry["pattern"]),
        within=int(entry.get("within", 300)),
        names=compile_("near.names", entry["names"]) if "names" in entry else None,
    )


def _examples(examples: Mapping[str, Any]) -> Iterable[Example]:
    for item in examples.get("positive", []):
        yield Example(text=item["text"], positive=True, path=item.get("path", "example.txt"), kind=item.get("kind"))
    for item in examples.get("negative", []):
        if isinstance(item, str):
            yield Example(text=item, positive=False)
        else:
            yield Example(text=item["text"], positive=False, path=item.get("path", "example.txt"))


def _check_rule_ids_unique(providers: Iterable[Provider]) -> None:
    seen: dict[str, str] = {}
    for provider in providers:
        for index, rule in enumerate(provider.rules):
            if rule.id in seen and seen[rule.id] != provider.source:
                raise CatalogueError(
                    provider.source, f"rules.{index}.id", f"rule id already defined in {seen[rule.id]}"
                )
            seen[rule.id] = provider.source


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
