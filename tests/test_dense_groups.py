"""Rules without a literal (wide character classes, the costliest patterns for Hyperscan) are read only in
documents holding their keywords, one database per set of keywords: a document pays for the few it needs."""

from __future__ import annotations

import dataclasses
import functools
import random
from pathlib import Path
from typing import Any

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect import prefilter as prefilter_module
from credscope.detect.engine import _on_lines
from credscope.detect.prefilter import Prefilter, _plan
from credscope.testing.generate import expand

pytest.importorskip("hyperscan")


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _index(rule_id: str) -> int:
    """Where the rule is in the catalogue (the prefilter's rule index)."""
    return next(index for index, rule in enumerate(_catalogue().rules) if rule.id == rule_id)


class _Counted:
    """A Hyperscan database that counts its scans."""

    def __init__(self, database: Any) -> None:
        self.database, self.scans, self.bytes = database, 0, 0

    def scan(self, content: bytes, **kwargs: Any) -> None:
        self.scans += 1
        self.bytes += len(content)
        self.database.scan(content, **kwargs)


def _counting(engine: Any) -> None:
    """The engine's dense databases, each counting its scans."""
    engine._dense = [dataclasses.replace(group, database=_Counted(group.database)) for group in engine._dense]


def _group_of(engine: Any, index: int) -> Any:
    """The dense database that holds rule `index` and reads around its names."""
    [group] = [group for group in engine._dense if any(held == index for held, _, _ in group.reaches)]
    return group


def _prefilter(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Prefilter:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(cache))
    prefilter = Prefilter(_catalogue().rules, use_hyperscan=True)
    prefilter.warm()
    assert prefilter.engine == "hyperscan"
    return prefilter


def test_a_document_is_read_only_by_the_dense_databases_its_keywords_call_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _catalogue().rules
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    assert len(engine._dense) > 20  # one per keyword set, not one for all
    _counting(engine)
    secret = expand("{{aws-secret}}").text
    text = "import os\n" * 50 + f"aws_secret_access_key = {secret}\n"
    selection = prefilter.select(text.encode(), "settings.cfg")
    aws = _index("aws-secret-access-key")
    assert [m.group("secret") for m in _on_lines(rules[aws], text, selection.windows[aws])] == [secret]
    scanned = [group.database.scans for group in engine._dense]
    assert 1 <= sum(scanned) <= 5  # the AWS rules' databases (and those of other keywords the text holds)
    # A document holding none of their keywords is read by none of them.
    prefilter.select(b"import os\n" * 200, "app.py")
    assert [group.database.scans for group in engine._dense] == scanned


def test_each_dense_database_reads_exactly_the_documents_holding_one_of_its_keywords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which databases a document calls for is looked up from the keywords it holds, not asked of each database:
    # the same ones either way, each read once (whole, here), whatever keywords and how many.
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    engine.place_names = False
    # Which of them find one of their rules' runs is for the tests of `_gates` below: here each reads what it is
    # called for.
    _ungated(prefilter)
    _counting(engine)
    keywords = [keyword.decode() for keyword in prefilter._keywords]
    rng = random.Random(17)
    for _ in range(40):
        chosen = rng.sample(keywords, rng.randint(0, 6))
        text = "\n".join(f"value = {keyword.upper() if rng.random() < 0.3 else keyword} + 1" for keyword in chosen)
        before = [group.database.scans for group in engine._dense]
        prefilter.select(text.encode(), "notes.txt")
        held = {engine._keyword_base + index for index, keyword in enumerate(keywords) if keyword in text.lower()}
        expected = [int(group.wanted is None or not group.wanted.isdisjoint(held)) for group in engine._dense]
        assert [group.database.scans - was for group, was in zip(engine._dense, before, strict=True)] == expected


def test_the_dense_databases_come_back_from_the_cache_as_they_were_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _prefilter(tmp_path, monkeypatch)
    assert list(tmp_path.glob("prefilter-*.hsdb"))
    loaded = _prefilter(tmp_path, monkeypatch)
    first: Any = compiled._engine
    second: Any = loaded._engine
    assert [(group.wanted, group.reaches, group.gates) for group in first._dense] == [
        (group.wanted, group.reaches, group.gates) for group in second._dense
    ]
    assert len(first._gates) == len(second._gates) > 20
    # The windows' plans come back as read from each pattern, not parsed again.
    rules = _catalogue().rules
    assert second.plans == {
        index: _plan(rules[index].pattern.pattern, rules[index].pattern.flags) for index in first.plans
    }
    assert second.plans == first.plans
    secret = expand("{{aws-secret}}").text
    content = f"AWS_SECRET_ACCESS_KEY={secret}\nAZURE_STORAGE_KEY=x\n".encode() * 30
    assert compiled.select(content, ".env") == loaded.select(content, ".env")


def test_a_torn_cache_entry_is_compiled_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _prefilter(tmp_path, monkeypatch)
    [entry] = tmp_path.glob("prefilter-*.hsdb")
    entry.write_bytes(entry.read_bytes()[:-100])
    prefilter = _prefilter(tmp_path, monkeypatch)
    secret = expand("{{aws-secret}}").text
    assert prefilter.select(f"aws_secret_access_key = {secret}\n".encode(), "a.cfg").windows


def test_a_cache_entry_written_by_other_code_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What is cached (layout, plans, databases) is the output of the code that reads the patterns: another
    # version of that code keys its entries apart, whatever the version string says.
    _prefilter(tmp_path, monkeypatch)
    assert len(list(tmp_path.glob("prefilter-*.hsdb"))) == 1
    monkeypatch.setattr(prefilter_module, "_code_digest", lambda: b"other code")
    _prefilter(tmp_path, monkeypatch)
    assert len(list(tmp_path.glob("prefilter-*.hsdb"))) == 2


def test_presence_databases_read_only_documents_where_their_rule_may_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each rule that needs a name has its `names` and `near` patterns in a database of its own: a document
    # where none of those rules may match is read by none of them; one where a rule may match, by its own.
    rules = _catalogue().rules
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    assert len(engine._presence_databases) > 20
    engine._presence_databases = {index: _Counted(database) for index, database in engine._presence_databases.items()}
    prefilter.select(b"import os\n" * 200, "app.py")
    assert sum(counted.scans for counted in engine._presence_databases.values()) == 0
    quoted = _index("generic-secret-quoted")
    secret = expand("{{random:alnum:24}}").text
    text = "import os\n" * 50 + f'db_password = "{secret}"\n'
    selection = prefilter.select(text.encode(), "app.py")
    assert quoted in selection.rules
    assert engine._presence_databases[quoted].scans == 1
    assert [m.group("secret") for m in _on_lines(rules[quoted], text, selection.windows[quoted])] == [secret]


def test_names_are_placed_alike_by_the_cached_databases_and_by_ones_compiled_on_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each rule's names and near patterns reporting every end are kept in the cache entry; without it (an entry
    # that could not hold one) they are compiled on first use. Both place the same names.
    rules = _catalogue().rules
    _prefilter(tmp_path, monkeypatch)
    cached: Any = _prefilter(tmp_path, monkeypatch)._engine
    compiled: Any = _prefilter(tmp_path, monkeypatch)._engine
    compiled._namer_serialised = {}
    assert len(cached._namer_serialised) == len(cached.namers)
    secret = expand("{{aws-secret}}").text
    text = (f"aws_secret_access_key = {secret}\nsecret: {secret}\n" * 3).encode()
    for index in cached.namers:
        assert cached.nearby(index, rules[index], text) == compiled.nearby(index, rules[index], text)
    aws = _index("aws-secret-access-key")
    assert cached.nearby(aws, rules[aws], text).names


def test_a_dense_database_reads_around_names_and_they_are_not_looked_for_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Around the names, always (not by what each way had cost so far: see `place_names`); the names placed for it
    # are not looked for again in the same document.
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    assert engine.place_names is True
    aws = _index("aws-secret-access-key")
    group = _group_of(engine, aws)
    counted = _Counted(group.database)
    group.database = counted
    engine._presence_databases[aws] = _Counted(engine._presence_databases[aws])
    secret = expand("{{aws-secret}}").text
    text = "import os\n" * 5000 + f"aws_secret_access_key = {secret}\n" + "import os\n" * 5000
    selection = prefilter.select(text.encode(), "settings.cfg")
    assert aws in selection.rules and selection.placed[aws].names
    assert engine._presence_databases[aws].scans == 0
    # The dense database read a stretch around the one name, not the 100 KB of text.
    assert counted.scans >= 1 and counted.bytes < len(text) // 10


def test_names_standing_every_few_kilobytes_are_not_placed_and_the_whole_text_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bundle where a name of the rule stands every kilobyte: placing them all would cost more than the dense
    # scan it saves (their stretches would cover the text in thousands of pieces). The names scan stops early,
    # the database reads the whole text once, and the rule's match is found as before.
    rules = _catalogue().rules
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    engine.place_names = True
    aws = _index("aws-secret-access-key")
    group = _group_of(engine, aws)
    counted = _Counted(group.database)
    group.database = counted
    secret = expand("{{aws-secret}}").text
    block = "aws_secret_access_key_name = lookup(x)\n" + "x = compute(index, offset)\n" * 40
    text = block * 400 + f"aws_secret_access_key = {secret}\n" + block * 400
    selection = prefilter.select(text.encode(), "settings.cfg")
    assert aws not in selection.placed
    assert counted.scans == 1
    assert [m.group("secret") for m in _on_lines(rules[aws], text, selection.windows[aws])] == [secret]
    # Sparse names are placed, and only stretches around them are read.
    sparse = "x = compute(index, offset)\n" * 20_000 + f"aws_secret_access_key = {secret}\n"
    selection = prefilter.select(sparse.encode(), "settings.cfg")
    assert selection.placed[aws].names
    assert [m.group("secret") for m in _on_lines(rules[aws], sparse, selection.windows[aws])] == [secret]


# A dense database reads a document only when a run every match of one of its rules holds is there (`_gates`).


def test_a_dense_database_reads_only_documents_holding_one_of_its_rules_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefilter = _prefilter(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    engine.place_names = False
    index = _index("azure-devops-pat-legacy")
    group = _group_of(engine, index)
    assert group.gates is not None
    group.database = _Counted(group.database)
    prose = "# deploy to azure devops with the pipeline's token\n" + "value = compute(items, limit=10)\n" * 400
    prefilter.select(prose.encode(), "deploy.py")
    assert group.database.scans == 0
    # A run of the rule's set, even one that is no token (too long), lets the database read.
    prefilter.select((prose + "x = '" + "abcdefgh234567" * 5 + "'\n").encode(), "deploy.py")
    assert group.database.scans == 1
    token = expand("{{azure-devops-legacy}}").text
    text = prose + f"AZURE_DEVOPS_EXT_PAT={token}\n"
    selection = prefilter.select(text.encode(), ".env")
    assert group.database.scans == 2
    assert index in selection.rules


def _ungated(prefilter: Any) -> Any:
    engine = prefilter._engine
    engine._dense = [dataclasses.replace(group, gates=None) for group in engine._dense]
    return prefilter


@pytest.mark.parametrize("place_names", [False, True])
def test_gates_change_no_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, place_names: bool) -> None:
    # Every rule's positive examples, among filler with and without runs of the dense rules' sets: what the
    # prefilter selects (rules, windows) is the same with the gates and without.
    gated = _prefilter(tmp_path, monkeypatch)
    ungated = _ungated(_prefilter(tmp_path, monkeypatch))
    for prefilter in (gated, ungated):
        prefilter._engine.place_names = place_names
    assert any(group.gates is not None for group in gated._engine._dense)
    rng = random.Random(5)
    fillers = [
        "value = compute(items, limit=10)\n",
        f"digest = '{expand('{{random:hex:40}}').text}'\n",
        f"blob = '{expand('{{random:alnum:90}}').text}'\n",
    ]
    compared = 0
    for rule in _catalogue().rules:
        for example in rule.examples:
            if not example.positive:
                continue
            body = expand(example.text).text
            filler = "".join(rng.choice(fillers) for _ in range(rng.randint(0, 60)))
            for text in (body, filler + body + "\n" + filler):
                content = text.encode()
                kept, every = gated.select(content, example.path), ungated.select(content, example.path)
                # Names a skipped database would have placed are placed when a match asks for them (`nearby`).
                assert kept._replace(placed={}) == every._replace(placed={}), rule.id
                assert all(every.placed[index] == placed for index, placed in kept.placed.items()), rule.id
                compared += 1
    assert compared > 500
