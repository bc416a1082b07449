"""A YAML document whose matches need names is not walked whole: the value at a match is named by going down the
one branch that holds it (`Parsed.locate`), in the document of the stream that holds it. Each span gets the
assignment the whole walk (`YamlParser.parse`) gives it: its name, path, line and context, whatever the style
(block or flow, plain, quoted, block or multi-line scalars, comments, anchors and tags, several documents, Helm
actions). Where a place alone may not give the walk's name (an alias, a Kubernetes object nested in another, more
nodes than the walk visits, an error), the stream is walked as before."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from unittest import mock

import pytest
import yaml
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from credscope.detect import prefilter
from credscope.detect.context import DocumentContext
from credscope.detect.parsers import parse_document, tree, yaml_format
from credscope.detect.parsers.base import Assignment
from credscope.detect.parsers.tree import MapNode, Node, Scalar
from credscope.detect.parsers.yaml_format import YamlParser
from credscope.detect.prefilter import names_are_raw_text
from credscope.testing.generate import expand

_KEYS = [
    *("name", "value", "services", "jobs", "auths", "credHelpers", "mcpServers", "servers", "env", "environment"),
    *("args", "command", "password", "token", "0", "a b", "apiVersion", "kind", "metadata", "namespace", "data"),
]
_WORDS = st.sampled_from(
    [
        *("x", "plain value", "--token", "-p", "--password", "API_KEY=abc123", "EMPTY=", "=", "NAME=a=b"),
        *("export TOKEN=t0k", "tok\u00e9n", 'q"uote', "it's", "a: b", "# no comment", "[x]", "{y}", "a, b"),
        *("*star", "&amp", "!bang", "%pct", "@at", "v1", "Secret", "postgres://u:p@db/app", " padded ", "tab\there"),
        *("two\nlines", "three\n\nlines\n", expand("{{github:ghp}}").text, "", "~", "null", "yes", "12"),
        "caf\udce9",  # an invalid UTF-8 byte, as the engine decodes it
    ]
) | st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=6)
_SCALARS = _WORDS | st.integers(-5, 5) | st.booleans() | st.none()
_FLAG_ITEMS = st.lists(
    st.sampled_from(["--token", "-p", "x", "API_KEY=abc", "NAME=", "--flag=1", "EMPTY="]), max_size=5
)


def _kubernetes(kind: str, name: str, body: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "prod"}, "data": body}


def _shapes(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    pair = st.builds(lambda name, value: {"name": name, "value": value}, _WORDS, children)
    return (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS), children, max_size=4)
        | pair
        | st.builds(lambda items: {"env": items}, st.lists(pair, max_size=3))
        | _FLAG_ITEMS
        | st.builds(
            lambda key, name, body: {key: {name: body}},
            st.sampled_from(["services", "jobs", "mcpServers", "auths"]),
            _WORDS,
            children,
        )
        | st.builds(_kubernetes, st.sampled_from(["Secret", "ConfigMap"]), _WORDS, children)
    )


_VALUES = st.recursive(_SCALARS, _shapes, max_leaves=20)
_ROOTS = st.builds(_kubernetes, st.sampled_from(["Secret", "Deployment", "List"]), _WORDS, _VALUES) | _VALUES
_STREAMS = st.lists(_ROOTS, min_size=1, max_size=3)
# Strings written plain where they may be: in a block (a colon not before a space) and in a flow collection.
_PLAIN = re.compile(r"(?:-+[A-Za-z]|[A-Za-z0-9_\u00e9])(?:[A-Za-z0-9_\u00e9 .=/@~+\-]|:(?=[^ ]))*")
_FLOW_PLAIN = re.compile(r"(?:-+[A-Za-z]|[A-Za-z0-9_\u00e9])[A-Za-z0-9_\u00e9 .=/@~+\-]*")
_EXAMPLES = settings(deadline=None, database=None, phases=[Phase.explicit, Phase.generate, Phase.shrink])


@dataclass(frozen=True)
class _Written:
    text: str
    aliased: bool  # some value was written as an alias of an anchored node


class _Writer:
    """Writes values as a YAML stream in styles hypothesis draws: block or flow collections, plain, quoted, block
    and multi-line scalars, comments, anchors, tags, aliases (in some streams), and Helm actions (in others)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.anchors = 0
        self.defined: list[str] = []  # the anchors of the document being written
        self.aliasing = self.chance(2)
        self.aliased = False
        self.templated = self.chance(3)

    def chance(self, tenths: int) -> bool:
        return self.data.draw(st.integers(0, 9)) < tenths

    def stream(self, roots: list[object]) -> _Written:
        parts = []
        for index, root in enumerate(roots):
            self.defined = []
            text, block = self.document(root)
            if index or self.chance(3):
                text = ("--- " + text) if not block and self.chance(5) else "---\n" + text
            if self.chance(2) and text.strip():
                text += "...\n"  # not after an empty document that no `---` opened: "\n...\n" is no YAML
            parts.append(text)
        # Brackets in a comment over-estimate flow nesting: the pure-Python composer reads the stream, not libyaml.
        lead = self.data.draw(st.sampled_from(["", "# head comment\n", "# " + "[" * 201 + "\n"]))
        return _Written(lead + "".join(parts), self.aliased)

    def document(self, value: object) -> tuple[str, bool]:
        """One document's text, from column 0, ending with a newline; and whether it is a block collection."""
        if isinstance(value, dict | list) and value and self.chance(8):
            return self.block(value, 0), True
        return self.inline(value, 0, flow=False) + "\n", False

    def block(self, value: dict[str, object] | list[object], indent: int, *, compact: bool = False) -> str:
        """A non-empty block collection whose lines start at column `indent`, indentation included (`compact`: its
        first line is its first key or item, to follow a `- `)."""
        pad = " " * indent
        lines: list[str] = []
        pairs = list(value.items()) if isinstance(value, dict) else [(None, item) for item in value]
        for index, (key, item) in enumerate(pairs):
            if (index or not compact) and self.chance(1):
                lines.append(f"{pad}# a comment line\n")
            if (index or not compact) and self.templated and self.chance(1):
                lines.append(f"{pad}{{{{- if .Values.enabled }}}}\n")  # a Helm action alone on its line
            lead = f"{pad}- " if key is None else f"{pad}{self.key(key)}:"
            if isinstance(item, dict | list) and item and self.chance(7):
                if key is None and self.chance(5):
                    # `- - a` and `- k: v`: the nested collection starts on the item's own line.
                    lines.append(lead + self.block(item, indent + 2, compact=True)[indent + 2 :])
                    continue
                # A list under a key may be indented as the key is (an indentless sequence): then without properties.
                nested = indent + 2 if key is None or isinstance(item, dict) or self.chance(5) else indent
                properties = self.properties().rstrip() if nested > indent else ""
                head = (lead.rstrip() + " " + properties).rstrip()
                lines.append(f"{head}{self.comment()}\n{self.block(item, nested)}")
                continue
            space = " " if key is not None else ""
            lines.append(lead + space + self.inline(item, indent, flow=False) + self.comment() + "\n")
        return "".join(lines)

    def inline(self, value: object, indent: int, *, flow: bool) -> str:
        """A node written where a value goes, on the current line (block scalars and multi-line ones continue on
        lines indented past `indent`)."""
        if self.aliasing and self.defined and self.chance(1):
            self.aliased = True
            return "*" + self.data.draw(st.sampled_from(self.defined))
        if isinstance(value, dict):
            pairs = [f"{self.key(key)}: {self.inline(item, indent, flow=True)}" for key, item in value.items()]
            return self.properties() + "{" + self.separator(indent).join(pairs) + "}"
        if isinstance(value, list):
            items = [self.inline(item, indent, flow=True) for item in value]
            return self.properties() + "[" + self.separator(indent).join(items) + "]"
        if self.templated and self.chance(1):
            return "{{ .Values.token }}-{{ .Release.Name }}"  # not YAML until its actions are stood in for
        if value is None:
            return self.data.draw(st.sampled_from(["null", "~", "" if not flow else "~"]))
        if isinstance(value, bool | int):
            return json.dumps(value)
        assert isinstance(value, str)
        return self.string(value, indent, flow=flow)

    def string(self, value: str, indent: int, *, flow: bool) -> str:
        continued = "\n" + " " * (indent + 2)
        plain = (_FLOW_PLAIN if flow else _PLAIN).fullmatch(value) is not None and value == value.strip()
        styles = ["single", "double"] + ["plain"] * plain + ["block"] * (not flow)
        if plain and " " in value and not flow:
            styles.append("plain lines")
        style = self.data.draw(st.sampled_from(styles))
        properties = self.properties() if style != "plain lines" else ""
        if style == "plain":
            return properties + value
        if style == "plain lines":
            return value.replace(" ", continued, 1)
        if style == "single":
            return properties + "'" + value.replace("'", "''").replace("\n", "\n" + continued) + "'"
        if style == "double":
            quoted = json.dumps(value, ensure_ascii=False)
            return properties + (quoted.replace(" ", continued, 1) if self.chance(3) else quoted)
        indicator = self.data.draw(st.sampled_from(["|", "|-", "|+", ">", ">-"]))
        lines = [line.lstrip(" \t") for line in value.split("\n")]
        return properties + indicator + self.comment() + "".join(continued + line for line in lines)

    def key(self, key: str) -> str:
        """A key, on one line as an implicit key must be."""
        if _FLOW_PLAIN.fullmatch(key) and key == key.strip() and self.chance(8):
            return key
        if "\n" in key or self.chance(5):
            return json.dumps(key, ensure_ascii=False)
        return "'" + key.replace("'", "''") + "'"

    def properties(self) -> str:
        """An anchor or a tag to put before a node, or nothing."""
        if self.chance(8):
            return ""
        self.anchors += 1
        chosen = self.data.draw(st.sampled_from([f"&a{self.anchors} ", "!custom ", "!!str "]))
        if chosen.startswith("&"):
            self.defined.append(chosen[1:-1])
        return chosen

    def comment(self) -> str:
        return "  # note: [x], y" if self.chance(2) else ""

    def separator(self, indent: int) -> str:
        return ",\n" + " " * (indent + 2) if self.chance(2) else ", "


def _innermost(assignments: tuple[Assignment, ...], start: int, end: int) -> Assignment | None:
    holding = [a for a in assignments if a.start <= start and end <= a.end]
    return max(holding, key=lambda a: (a.start, -a.end)) if holding else None


def _nested_object(value: object, depth: int = 0) -> bool:
    """Whether a Kubernetes object (apiVersion and kind) sits below the root: walked first, on its own."""
    if isinstance(value, dict):
        here = (
            depth > 0
            and {"apiVersion", "kind"} <= value.keys()
            and not isinstance(value["apiVersion"], dict | list)
            and not isinstance(value["kind"], dict | list)
        )
        return here or any(_nested_object(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return any(_nested_object(item, depth + 1) for item in value)
    return False


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    """Every scalar's span in the text, keys too, as PyYAML marks them."""
    spans: list[tuple[int, int]] = []
    seen: set[int] = set()

    def visit(node: yaml.Node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            spans.append((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                visit(key)
                visit(value)
        else:
            for item in node.value:
                visit(item)

    read = text.replace("\udce9", "\ufffd")
    if "{{" in read:
        read = yaml_format._ACTION.sub(yaml_format._stand_in, read)  # a Helm template, read as the parser reads it
    for root in yaml.compose_all(read, Loader=yaml.SafeLoader):
        if root is not None:
            visit(root)
    return spans


@settings(_EXAMPLES, max_examples=400)
@given(_STREAMS, st.data())
def test_each_span_is_named_as_the_whole_walk_names_it(roots: list[object], data: st.DataObject) -> None:
    written = _Writer(data).stream(roots)
    text = written.text
    walked = YamlParser().parse(text)
    located = parse_document("deploy/app.yaml", text, on_demand=True)
    assert located is not None and walked.error is None, text
    # Named on demand unless a node is aliased or Kubernetes objects nest in a document (walked first, alone).
    assert (located.locate is None) == (written.aliased or any(_nested_object(root) for root in roots)), text
    assert located.error is None and located.assignments == (walked.assignments if located.locate is None else ())
    context = DocumentContext("deploy/app.yaml", text)
    spans = [(a.start, a.end) for a in walked.assignments] + _scalar_spans(text)
    spans += [(start + 1, max(start + 1, end - 1)) for start, end in spans]
    spans += [
        tuple(sorted(data.draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))) for _ in range(5)
    ]
    for start, end in spans:
        assert context.assignment_at(start, end) == _innermost(walked.assignments, start, end), (start, end, text)


@settings(_EXAMPLES, max_examples=200)
@given(_STREAMS, st.data())
def test_mappings_and_lists_hold_their_values_in_text_order(roots: list[object], data: st.DataObject) -> None:
    # What `tree.locate` bisects by: each collection's span holds its values' spans, one after another, and the
    # documents of a stream follow one another. Both composers (libyaml's, and PyYAML's after the bracket comment).
    written = _Writer(data).stream(roots)
    _, composed = yaml_format._read(written.text)
    assert composed.error is None and composed.aliased == written.aliased, written.text
    seen: set[int] = set()
    previous = 0
    for document in composed.documents:
        assert previous <= document.start <= document.end <= len(written.text)
        previous = document.end
        _assert_nested(document, seen)


def _assert_nested(node: Node, seen: set[int]) -> None:
    seen.add(id(node))
    if isinstance(node, Scalar):
        return
    children = [child for _, child in node.items] if isinstance(node, MapNode) else node.items
    previous = node.start
    for child in children:
        if id(child) in seen:
            continue  # an alias: the node is where its anchor is
        assert previous <= child.start <= child.end <= node.end, (node, child)
        previous = child.end
        _assert_nested(child, seen)


_FEW_NODES = 100


@pytest.fixture
def few_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """MAX_NODES made small, for the composer and for the walk alike: a text past it is small and quick to read."""
    monkeypatch.setattr(yaml_format, "MAX_NODES", _FEW_NODES)
    monkeypatch.setattr(tree, "MAX_NODES", _FEW_NODES)


def _same_as_the_walk(path: str, text: str) -> tuple[Assignment, ...]:
    """The assignments `parse` gives, after checking `parse_on_demand` walks the text the same way."""
    walked = YamlParser().parse(text)
    located = parse_document(path, text, on_demand=True)
    assert located is not None and located.locate is None
    assert (located.assignments, located.error) == (walked.assignments, walked.error)
    return walked.assignments


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("x-db: &db\n  password: s3cret-value\nservices:\n  api:\n    environment: *db\n", ("x-db.password", 2)),
        # By its place the value would be `b`'s: the alias's node starts where `a`'s does, and `b` comes later.
        ("a: &x {token: s3cret-value}\nb: *x\n", ("a.token", 1)),
        # A node inside itself: going down by place would not end.
        ("a: &x\n  token: s3cret-value\n  again: *x\n", ("a.token", 2)),
    ],
)
def test_an_alias_is_walked_as_before(text: str, named: tuple[str, int]) -> None:
    # The walk names an aliased node where it first meets it, once.
    assignments = _same_as_the_walk("compose.yaml", text)
    assert [(a.key_path, a.line, a.value) for a in assignments] == [(*named, "s3cret-value")]


def test_kubernetes_objects_nested_in_a_document_are_walked_as_before() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: db\n  stringData:\n    password: s3cret-value\n"
    )
    assignments = _same_as_the_walk("list.yaml", text)
    (password,) = [a for a in assignments if a.name == "password"]
    assert (password.key_path, password.line, dict(password.context)) == (
        "stringData.password",
        9,
        {"k8s_kind": "Secret", "k8s_name": "db", "secret_name": "db"},
    )


@pytest.mark.parametrize(
    ("text", "error", "named"),
    [
        ("a: [b\n", "did not find expected ',' or ']' at line 2, column 1", []),
        # After an error, each following document is read on its own: the Secret after it is still named.
        (
            "a: [\n---\nkind: Secret\npassword: s3cret-value\n",
            "did not find expected node content at line 2, column 1",
            ["kind", "password"],
        ),
        ("token: x\nlist: [" + "1, " * _FEW_NODES + "1]\n", "too many nodes", []),
    ],
)
def test_an_error_is_reported_as_before(text: str, error: str, named: list[str], few_nodes: None) -> None:
    assignments = _same_as_the_walk("broken.yaml", text)
    assert YamlParser().parse(text).error == error
    assert [a.key_path for a in assignments] == named


def test_a_stream_with_more_nodes_than_the_walk_visits_is_walked_as_before(few_nodes: None) -> None:
    # Each document is within the limit, the stream is not: the walk stops at MAX_NODES, and so does the naming.
    half = "list: [" + ", ".join(["x"] * (_FEW_NODES // 2)) + "]\n"
    text = half + "---\n" + half + "---\ntoken: last-value\n"
    assignments = _same_as_the_walk("big.yaml", text)
    assert "token" not in {a.name for a in assignments}


def test_a_document_of_a_stream_names_its_values_with_its_own_context() -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: first\nstringData:\n  token: one-value\n"
        "---\n# the second object\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: second}\nspec:\n  containers:\n"
        "  - args: [--token, two-value]\n    env:\n    - name: API_TOKEN\n      value: three-value\n"
    )
    located = parse_document("deploy.yaml", text, on_demand=True)
    assert located is not None and located.locate is not None and located.assignments == ()
    named = {}
    for value in ("one-value", "two-value", "three-value"):
        start = text.index(value)
        found = located.locate(start, start + len(value))
        assert found is not None
        named[value] = (found.name, found.key_path, found.line, dict(found.context))
    assert named == {
        "one-value": (
            "token",
            "stringData.token",
            6,
            {"k8s_kind": "Secret", "k8s_name": "first", "secret_name": "first"},
        ),
        "two-value": ("token", "spec.containers.0.args.token", 14, {"k8s_kind": "Deployment", "k8s_name": "second"}),
        "three-value": (
            "API_TOKEN",
            "spec.containers.0.env.0.API_TOKEN",
            17,
            {"k8s_kind": "Deployment", "k8s_name": "second"},
        ),
    }
    # Between the documents, and in a comment, no value.
    assert located.locate(text.index("# the"), text.index("# the") + 5) is None


def test_a_helm_template_is_named_on_demand_at_the_offsets_it_was_read() -> None:
    # Not YAML until rendered: read with its actions stood in for, character for character.
    text = (
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include "app.fullname" . }}\n'
        "{{- if .Values.enabled }}\nstringData:\n  password: {{ .Values.password | quote }}\n"
        "  token: s3cret-{{ .Release.Name }}\n{{- end }}\n"
    )
    walked = YamlParser().parse(text)
    located = parse_document("templates/secret.yaml", text, on_demand=True)
    assert located is not None and located.locate is not None and located.error is walked.error is None
    for assignment in walked.assignments:
        assert located.locate(assignment.start, assignment.end) == assignment
    start = text.index("s3cret")
    found = located.locate(start, start + 6)
    assert found is not None and (found.key_path, found.line) == ("stringData.token", 8)


def _composed_by_pyyaml(text: str) -> object:
    """`_read` as it was before the events were read directly (every stream through PyYAML's composer), shaped."""
    with mock.patch.object(yaml_format, "_plain_stream", return_value=None):
        return _shape(yaml_format._read(text))


def _read(text: str) -> object:
    return _shape(yaml_format._read(text))


def _shape(read: tuple[str, yaml_format._Composed]) -> object:
    """What `_read` gave, as nested tuples: a node met again (an alias, maybe inside itself) by its first place."""
    text, composed = read
    seen: dict[int, int] = {}

    def shape(node: Node) -> object:
        if id(node) in seen:
            return ("again", seen[id(node)])
        seen[id(node)] = len(seen)
        if isinstance(node, Scalar):
            return (node.value, node.start, node.end, node.is_string)
        if isinstance(node, MapNode):
            return ("map", node.start, node.end, [(key, shape(value)) for key, value in node.items])
        return ("list", node.start, node.end, [shape(item) for item in node.items])

    documents = [shape(document) for document in composed.documents]
    return text, documents, composed.error, composed.nodes, composed.aliased


@settings(_EXAMPLES, max_examples=400)
@given(_STREAMS, st.data())
def test_the_tree_made_from_the_events_is_the_tree_made_from_pyyaml_nodes(
    roots: list[object], data: st.DataObject
) -> None:
    written = _Writer(data).stream(roots)
    text = written.text
    assert _read(text) == _composed_by_pyyaml(text), text
    if not written.aliased and "{{" not in text and "[" * 201 not in text:
        # Read from the events, not handed back to the composer.
        read = yaml_format._plain_stream(text.replace("\udce9", "\ufffd"), yaml.CSafeLoader, 0)
        assert read is not None, text


_DEEP = "".join(" " * depth + f"k{depth}:\n" for depth in range(210)) + " " * 210 + "v: 1\n"


@pytest.mark.parametrize(
    "text",
    [
        # Tags: explicit, non-specific, and resolved from the plain value (YAML 1.1: 0x1F and yes are not strings).
        "a: !!int '5'\nb: 0x1F\nc: inf\nd: .inf\ne: yes\nf: !!str 12\ng: ! 12\nh: 1_000\ni: !custom 7\nj: ''\n",
        "a: [1, 2.5, ~, null, true, 'x', \"y\", z]\n",
        "&k a: 1\nb: *k\n",  # an anchor on a key, its alias a value: left to the composer
        "? [a, b]\n: v\nc: d\n",  # a collection as a key
        "? a\n: v\n",
        "a: &x 1\nb: &x 2\n",  # an anchor used twice: the composer's error
        "a: *nowhere\n",  # an undefined alias: the composer's error
        "a: &x 1\n---\nb: &x 2\nc: *x\n",  # anchors are a document's own
        "---\n---\n...\n",
        "",
        "# only a comment\n",
        "\ufeffa: b\n",
        "a: b\n...\n%YAML 1.1\n---\nc: d\n",
        "a: [b\n---\nkind: Secret\npassword: s3cret-value\n",
        "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n",
        "- - - x\n    - y\n  - z\n- {a: [1, {b: c}]}\n",
        "a:\n- 1\n- 2\nb: c\n",
        _DEEP,  # nested past the depth the conversion allows
        "a: b\n\tc: d\n",
    ],
)
def test_streams_read_from_the_events_are_read_as_the_composer_reads_them(text: str) -> None:
    assert _read(text) == _composed_by_pyyaml(text)


def test_too_many_nodes_are_left_to_the_composer(few_nodes: None) -> None:
    text = "token: x\nlist: [" + "1, " * _FEW_NODES + "1]\n"
    assert yaml_format._plain_stream(text, yaml.CSafeLoader, 0) is None
    assert _read(text) == _composed_by_pyyaml(text)
    assert yaml_format._read(text)[1].error == "too many nodes"


def _plain_non_string_by_definition(value: str) -> bool:
    if value.lower() in {"true", "false", "yes", "no", "on", "off", "null", "~", ""}:
        return True
    try:
        float(value.replace("_", ""))
    except ValueError:
        return False
    return True


@settings(max_examples=3000, deadline=None)
@given(
    st.text(max_size=12)
    | st.sampled_from(["inf", "Infinity", "NaN", "nan", "-inf", "TRUE", "Off", "yes", "1_000", "1e5", "ｉｎｆ", "١٢"])
)
def test_a_plain_value_is_read_as_a_string_as_its_definition_reads_it(value: str) -> None:
    assert yaml_format._plain_non_string(value) == _plain_non_string_by_definition(value)


@settings(_EXAMPLES, max_examples=1000)
@given(_STREAMS, st.data())
def test_where_yaml_names_are_said_to_be_as_written_every_name_is(roots: list[object], data: st.DataObject) -> None:
    # What lets the prefilter drop a rule from a YAML document with none of its names in it (prefilter._nameable).
    text = _Writer(data).stream(roots).text
    if "\udce9" in text:
        return  # not UTF-8: the prefilter has no view of it, and never takes its names as text (Prefilter.select)
    raw = names_are_raw_text("deploy/app.yaml", text.encode())
    event("names as written" if raw else "names perhaps not as written")
    if not raw:
        return
    for assignment in YamlParser().parse(text).assignments:
        assert assignment.name in text, (assignment.name, text)


@pytest.mark.parametrize(
    "text",
    [
        "env:\n- name: ALCHEMY\n    API_KEY\n  value: x\n",  # a pair's name folded from two lines
        'env:\n- {name: "ALCHEMY\n    API_KEY", value: x}\n',
        'env:\n- "name": ALCHEMY_API_KEY\n  value: x\n',
        "? ALCHEMY\n  API_KEY\n: x\n",  # an explicit key over two lines
        "[? a: b]\n",
        "'alchemy''s key': x\n",  # a quote escaped in a key
        "{{ .Values.prefix }}_KEY: x\n",  # read with the template stood in for
        'alchemy_key: "a\\x41"\n',
    ],
)
def test_yaml_whose_names_may_not_be_written_as_read_is_not_said_to_be(text: str) -> None:
    assert not names_are_raw_text("deploy/app.yaml", text.encode())


@pytest.mark.parametrize(
    "text",
    [
        "alchemy:\n  api_key: x\nempty: ''\nargs: [--token, x]\nenv:\n- ALCHEMY_API_KEY=x\n",
        "hostname: x\nusername: y\n# a comment: it's\n",
    ],
)
def test_yaml_with_keys_and_items_only_is_said_to_be_written_as_read(text: str) -> None:
    assert names_are_raw_text("deploy/app.yaml", text.encode())


# What `names_are_raw_text` looked for in YAML as one pattern (tried at every space of a document), kept here as the
# definition the cheaper search must agree with.
_NOT_AS_WRITTEN_BY_DEFINITION = re.compile(
    rb"""(?:^|[\s{,\[])["']?name["']?[ \t]*:|(?:^[ \t]*(?:-[ \t]+)*|[{,\[][ \t]*)\?(?:[ \t]|$)|\{\{""",
    re.MULTILINE,
)
_YAMLISH = st.lists(
    st.sampled_from(["name", "name:", "?", "? ", "- ", "-", " ", "\t", "\n", "'", '"', "{", ",", "[", ":", "x", "{{"]),
    max_size=30,
).map("".join)


@settings(max_examples=5000, deadline=None)
@given(_YAMLISH)
def test_yaml_keys_that_may_not_be_as_written_are_found_as_their_pattern_finds_them(text: str) -> None:
    content = text.encode()
    by_definition = _NOT_AS_WRITTEN_BY_DEFINITION.search(content) is not None
    found = b"{{" in content or prefilter._yaml_name_key(content) or prefilter._yaml_explicit_key(content)
    assert found == by_definition, text
