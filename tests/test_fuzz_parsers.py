"""Property-based fuzzing of every parser that reads scanned content: the format parsers (dotenv, JSON, YAML,
TOML, INI/properties, HCL, notebooks, shell, source code), the credential-store parsers (kubeconfig, Docker
config, MCP configs, AWS files, .netrc, .pgpass, ...) and the base64 sub-document decoder.

Each property: no exception escapes (store parsers may raise only ValueError, which their caller catches), the
answer is well formed (offsets inside the text, lines that exist) and the work is bounded structurally (alias
bombs and deep nesting never multiply the result). Hypothesis' own deadline bounds the time per example.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credscope.detect.decode_sources import decoded_values
from credscope.detect.parsers import REGISTRY, Parsed, parse_document, parser_for
from credscope.detect.parsers.base import MAX_PARSE_CHARS, MAX_SOURCE_PARSE_CHARS
from credscope.detect.parsers.tree import MAX_NODES
from credscope.model import Document, Reach
from credscope.sources.home import HOME_STORES, REPO_STORES
from credscope.sources.stores import Entry, parse_store
from credscope.sources.stores.config_files import aws_config_profiles, aws_credentials, ini_sections
from credscope.sources.stores.spans import SpanError, parse_json, parse_yaml

from helpers import token

# Bounded for CI: every property below runs in a few seconds on a shared 2-core machine.
FUZZ = settings(
    # CREDSCOPE_FUZZ_SCALE=20 for a deeper local run; CI keeps the default.
    max_examples=40 * int(os.environ.get("CREDSCOPE_FUZZ_SCALE", "1")),
    deadline=3000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# One path per parser in the registry (the parser is chosen by file name).
PATHS = {
    "dotenv": ".env",
    "json": "config/app.json",
    "yaml": "deploy/k8s.yaml",
    "toml": "pyproject.toml",
    "ini": "setup.cfg",
    "hcl": "main.tf",
    "notebook": "analysis.ipynb",
    "shell": "deploy.sh",
    "python": "app/settings.py",
    "javascript": "src/index.js",
    "typescript": "src/index.ts",
    "tsx": "src/App.tsx",
    "go": "main.go",
    "java": "src/Main.java",
    "ruby": "config/boot.rb",
}


def test_every_registered_parser_is_fuzzed() -> None:
    assert {id(parser_for(path)) for path in PATHS.values()} >= {id(p) for p in REGISTRY.values()} - _SAME_LANGUAGE


# Parsers registered twice for one language (`*.py` and `*.pyi` each get a SourceParser("python")).
_SAME_LANGUAGE = {
    id(p)
    for pattern, p in REGISTRY.items()
    if pattern in {"*.pyi", "*.mjs", "*.cjs", "*.jsx", "*.mts", "*.cts", "gemfile", "rakefile"}
}


# Seeds: small valid documents of each format around a generated token; the fuzzer mutates them.
GHP = "{{github:ghp}}"
SEEDS = {
    # credscope: ignore-next-line (a fake fixture value)
    "dotenv": f'export GITHUB_TOKEN={GHP}\nDB_URL="postgres://u:p@h/db"\n# c\nMULTI="a\nb"\n',
    # credscope: ignore-next-line (a fake fixture value)
    "json": '{"auths": {"r.io": {"auth": "dXNlcjpwYXNz"}}, "token": "' + GHP + '", "list": [1, {"a": null}]}',
    "yaml": (
        "apiVersion: v1\nkind: Secret\ndata:\n  token: dG9rZW4=\nstringData:\n  GH: " + GHP + "\n"
        "x: &a [1, 2]\ny: *a\nz: |\n  block\n---\n- name: T\n  value: v\n"
    ),
    "toml": f'[tool.x]\ntoken = "{GHP}"\narr = [1, "a"]\n[[servers]]\nenv = {{ K = "v" }}\nml = """\na\n"""\n',
    "ini": f"[default]\naws_secret_access_key = {GHP}\n; c\nkey: value\n  continued\n[s]\nx=1\n",
    "hcl": f'provider "github" {{\n  token = "{GHP}"\n  nested {{ a = [1, "b"] }}\n}}\n'
    'variable "v" { default = <<EOT\nx\nEOT\n}\n',
    "notebook": '{"cells": [{"cell_type": "code", "source": ["t = \\"'
    + GHP
    + '\\"\\n"], "outputs": []}], "nbformat": 4}',
    "shell": f'export GH={GHP}\ncurl -H "Authorization: token {GHP}" --user a:b https://x\ncat <<EOF\nq\nEOF\n',
    "python": f'TOKEN = "{GHP}"\nclient = Client(api_key="{GHP}")\nd = {{"k": "v"}}\n',
    "javascript": f'const token = "{GHP}";\nfetch(u, {{headers: {{Authorization: `token ${{x}}`}}}});\n',
    "typescript": f'export const token: string = "{GHP}";\ninterface A {{ b: number }}\n',
    "tsx": f'const T = () => <div key="{GHP}">{{x}}</div>;\n',
    "go": f'package main\nconst token = "{GHP}"\nfunc main() {{ x := map[string]string{{"k": "v"}} }}\n',
    "java": f'class K {{ static final String TOKEN = "{GHP}"; }}\n',
    "ruby": f'ENV["GH_TOKEN"] = "{GHP}"\nh = {{ "k" => "v", token: "x" }}\n',
}

# Syntax fragments that stress parsers: openers without closers, anchors and aliases, escapes, odd bytes.
FRAGMENTS = [
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    '"',
    "'",
    "`",
    "\\",
    "\\u",
    "\\ud800",
    "\n",
    "\r\n",
    "\t",
    "  ",
    ":",
    "=",
    ",",
    "#",
    "//",
    "/*",
    "*/",
    "<<EOF\n",
    "EOF\n",
    '"""',
    "'''",
    "${",
    "}}",
    "{{",
    "&a ",
    "*a",
    "*a, *a, *a",
    "!!binary ",
    "!Ref ",
    "? ",
    "- ",
    "---\n",
    "...\n",
    "|",
    ">-",
    "%YAML 1.1\n",
    "<<: *a\n",
    "[[",
    "]]",
    "export ",
    "\x00",
    "\ufeff",
    "\udcff",
    "\u2028",
    "é",
    "0x",
    "1e999",
    "-",
    "nan",
    "true",
    "null",
    ";",
    "@",
    "=>",
    "<div>",
    "\\n",
    '\\"',
]


def _mutations(seed: str) -> st.SearchStrategy[str]:
    """The seed with fragments inserted, spans deleted and slices duplicated at random places."""

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = seed
        for _ in range(draw(st.integers(0, 8))):
            if not text:
                text = draw(st.sampled_from(FRAGMENTS))
                continue
            at = draw(st.integers(0, len(text)))
            match draw(st.integers(0, 3)):
                case 0:
                    text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
                case 1:
                    text = text[:at] + text[at + draw(st.integers(1, 20)) :]
                case 2:
                    end = min(len(text), at + draw(st.integers(1, 40)))
                    text = text[:end] + text[at:end] * draw(st.integers(1, 4)) + text[end:]
                case _:
                    text = text[:at] + draw(st.text(max_size=12)) + text[at:]
        return text

    return mutate()


def _soup() -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8), st.just("key"), st.just("value"))
    return st.lists(pieces, max_size=60).map("".join)


def _bytes_as_text() -> st.SearchStrategy[str]:
    # What sources hand the detector: any bytes, decoded the way the engine decodes them.
    return st.binary(max_size=400).map(lambda b: b.decode("utf-8", "surrogateescape"))


def _documents(format_name: str) -> st.SearchStrategy[str]:
    expanded = _expand(SEEDS[format_name])
    return st.one_of(_mutations(expanded), _soup(), _bytes_as_text(), st.text(max_size=300))


@functools.cache
def _expand(template: str) -> str:
    return template.replace(GHP, token(GHP))


def _check_parsed(parsed: Parsed | None, text: str, format_name: str) -> None:
    assert parsed is not None
    assert parsed.format == format_name
    assert parsed.error is None or isinstance(parsed.error, str)
    assert len(parsed.assignments) <= MAX_NODES
    line_count = text.count("\n") + 1
    for assignment in parsed.assignments:
        assert isinstance(assignment.value, str)
        assert isinstance(assignment.name, str)
        assert 0 <= assignment.start <= assignment.end <= len(text), assignment
        assert 1 <= assignment.line <= line_count, assignment


@pytest.mark.parametrize("format_name", sorted(PATHS))
def test_format_parser_never_raises_and_stays_in_the_text(format_name: str) -> None:
    path = PATHS[format_name]
    parser = parser_for(path)
    assert parser is not None
    expected = parser.format

    @FUZZ
    @given(_documents(format_name))
    def check(text: str) -> None:
        # The parser itself, not only parse_document's safety net: `parse` promises never to raise.
        _check_parsed(parser.parse(text), text, expected)
        _check_parsed(parse_document(path, text), text, expected)
        # Decoding nested base64 (Kubernetes Secret data, Docker auth) on whatever the parser found.
        parsed = parse_document(path, text)
        assert parsed is not None
        for decoded in decoded_values(parsed.assignments):
            assert 0 <= decoded.start <= decoded.end <= len(text)

    check()


def test_documents_beyond_the_parse_limit_are_not_parsed() -> None:
    assert parse_document("big.json", "[" + "1," * (MAX_PARSE_CHARS // 2) + "1]") is None


def test_source_beyond_its_parse_limit_is_read_by_the_line() -> None:
    # tree-sitter's tree is some 45 times the text: a bundle over the limit takes its names from the line.
    line = 'const label = "x";\n'
    below = line * (MAX_SOURCE_PARSE_CHARS // len(line) - 1)
    assert parse_document("bundle.js", below, on_demand=True) is not None
    assert parse_document("bundle.js", below + line * 2, on_demand=True) is None


# --- billion laughs and deep nesting: bounded by structure, not by luck ---------------------------------------


def _alias_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@FUZZ
@given(st.integers(2, 12), st.integers(2, 12))
def test_yaml_alias_bombs_are_visited_once(levels: int, width: int) -> None:
    text = _alias_bomb(levels, width)
    parsed = parse_document("bomb.yaml", text)
    assert parsed is not None and parsed.error is None
    # Expanded there would be width**levels strings; shared nodes are walked once: only the first level's.
    assert [a.value for a in parsed.assignments] == ["lol"] * width
    # The store reader (Continue's config.yaml, kubeconfig) shares aliased nodes the same way.
    root = parse_yaml(text + "models: *a" + str(levels - 1) + "\n")
    assert root.get("models") is root.get(f"a{levels - 1}")


def test_yaml_store_alias_bomb_is_linear() -> None:
    # Regression: spans.parse_yaml expanded every alias (9**9 nodes: the scan of a repository holding this
    # .continue/config.yaml never finished). Shared nodes are now converted once.
    text = _alias_bomb(9, 9) + "models: *a8\nmcpServers: *a8\n"
    entries = _parse_store_text(".continue/config.yaml", text)
    # Continue's models list is a list of lists here: one entry per item, each item the same shared node.
    assert len(entries) == 18


def test_yaml_nested_beyond_the_c_stack_is_an_error_not_a_crash() -> None:
    # Regression: libyaml's composer recursed in C and 50k flow levels crashed the process with SIGSEGV
    # (`credscope scan` exited 139 on a repository holding such a .yaml file next to a token).
    depth = 100_000
    parsed = parse_document("deep.yaml", "token: " + token(GHP) + "\nx: " + "[" * depth + "]" * depth + "\n")
    assert parsed is not None
    assert parsed.error == "nested too deeply"


def test_invalid_utf8_keeps_the_yaml_structure() -> None:
    # Regression: a lone surrogate (how the engine decodes an invalid UTF-8 byte) made libyaml raise
    # UnicodeEncodeError: the whole file lost its structure for one bad byte in a comment.
    secret = token(GHP)
    content = b"# caf\xe9\nservices:\n  api:\n    environment:\n      GH: " + secret.encode() + b"\n"
    text = content.decode("utf-8", "surrogateescape")
    parsed = parse_document("compose.yaml", text)
    assert parsed is not None and parsed.error is None
    assert [(a.key_path, a.value, a.line) for a in parsed.assignments] == [("services.api.environment.GH", secret, 5)]


@pytest.mark.parametrize("depth", [300, 3_000])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    for path, text in [
        ("deep.json", "[" * depth + "]" * depth),
        ("deep.json", '{"a":' * depth + "1" + "}" * depth),
        ("deep.yaml", "[" * depth + "]" * depth),
        ("deep.yaml", "".join(" " * i + "a:\n" for i in range(min(depth, 2_000)))),
        ("deep.tf", "a {" * depth + "}" * depth),
        ("deep.toml", "a = " + "[" * depth + "]" * depth),
        ("deep.ipynb", '{"cells": ' + "[" * depth + "]" * depth + "}"),
        ("deep.py", "x = " + "(" * depth + ")" * depth),
        ("deep.js", "x = " + "[" * depth + "]" * depth),
    ]:
        parsed = parse_document(path, text)
        assert parsed is not None, path
        assert len(parsed.assignments) <= 2, path


def test_moderate_nesting_in_a_store_parses() -> None:
    assert parse_json("[" * 300 + "]" * 300).first_line == 1
    assert parse_yaml("[" * 300 + "]" * 300).first_line == 1


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_deep_nesting_in_a_store_is_a_value_error(depth: int) -> None:
    # Regression: spans.parse_json recursed per level; a repository's .cursor/mcp.json of `[[[[…` raised
    # RecursionError out of the tree source and the scan died with an internal error (exit 3).
    with pytest.raises(SpanError, match="nested too deeply"):
        parse_json("[" * depth + "]" * depth)
    with pytest.raises(SpanError, match="nested too deeply"):
        parse_yaml("[" * depth + "]" * depth)
    with pytest.raises(SpanError, match="nested too deeply"):
        _parse_store_text(".cursor/mcp.json", '{"mcpServers": ' + "[" * depth + "]" * depth + "}")


# --- credential stores ------------------------------------------------------------------------------------------

STORE_SEEDS: dict[str, str] = {
    "aws-config": (
        "[default]\nregion = us-east-1\n[profile admin]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n"
    ),
    "aws-credentials": "[default]\naws_access_key_id = {{aws}}\naws_secret_access_key = {{aws-secret}}\n",
    "pgpass": "db.example:5432:app:alice:s3cr\\:et\n*:*:*:postgres:pw\n",
    "netrc": "machine api.example login bob password hunter2\ndefault login x password y\nmacdef init\n\n",
    "npmrc": "//registry.npmjs.org/:_authToken={{npm}}\nregistry=https://r\n",
    "pypirc": "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\npassword = {{pypi}}\n",
    "docker-config": '{"auths": {"ghcr.io": {"auth": "{{docker-auth}}"}}, "credsStore": "desktop"}',
    "kubeconfig": (
        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k.example:6443\n  name: c\n"
        "users:\n- name: admin\n  user:\n    token: {{kubernetes}}\n    client-key-data: eA==\n"
        "contexts:\n- context: {cluster: c, user: admin}\n  name: x\n"
    ),
    "gh-hosts": "github.com:\n  oauth_token: {{github:gho}}\n  user: me\n",
    "gcloud-adc": '{"type": "authorized_user", "client_id": "x", "refresh_token": "y"}',
    "cursor-mcp": '{"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "{{github:ghp}}"}}}}',
    "continue": (
        "models:\n- title: gpt\n  provider: openai\n  apiKey: {{openai}}\nmcpServers:\n- name: s\n  command: x\n"
    ),
    "codex": '[mcp_servers.gh]\ncommand = "npx"\n[mcp_servers.gh.env]\nGITHUB_TOKEN = "{{github:ghp}}"\n',
    "shell-history": "export GH={{github:ghp}}\n: 1700000000:0;curl -u a:b x\n",
    "railway-config": '{"projects": {"/a": {"name": "a"}}, "user": {"id": "u", "token": "{{uuid4}}"}}',
    "doctl": "access-token: {{digitalocean}}\nauth-contexts:\n  work: {{digitalocean:doo}}\n",
    "flyctl": "access_token: {{fly}}\nsend_metrics: true\n",
    "vercel-cli": '{"// Note": "x", "token": "{{vercel:legacy}}"}',
    "netlify-cli": '{"users": {"u": {"email": "e", "auth": {"token": "{{netlify}}", "github": {"token": "t"}}}}}',
    "supabase-cli": "{{supabase:pat}}\n",
    "neonctl": '{"access_token": "{{password:40}}", "refresh_token": "r", "user_id": "u"}',
    "terraform-credentials": '{"credentials": {"app.terraform.io": {"token": "{{terraform}}"}}}',
    "terraformrc": 'credentials "app.terraform.io" {\n  token = "{{terraform}}"\n}\n',
    "pulumi": '{"accessTokens": {"https://api.pulumi.com": "pul-x"}, "accounts": {"u": {"accessToken": "y"}}}',
    "wrangler": 'oauth_token = "{{password:40}}"\napi_token = "cfut_x"\n[env]\nx = "1"\n',
    "firebase-cli": '{"user": {"email": "e"}, "tokens": {"refresh_token": "1//0x"}, "additionalAccounts": [{}]}',
    "stripe-cli": '[default]\naccount_id = "acct_1"\ntest_mode_api_key = "{{stripe:rk_test}}"\n',
    "stripe-cli-keyring-file": '{"default.live_mode_api_key": "{{stripe:rk_live}}"}',
    "vault-token": "hvs.{{password:40}}\n",
    "cargo": '[registry]\ntoken = "cio{{password:32}}"\n[registries.internal]\ntoken = "x"\n',
    "rubygems": "---\n:rubygems_api_key: rubygems_x\nhttps://rubygems.pkg.github.com/o: Bearer {{github:ghp}}\n",
    "maven-settings": (
        "<servers><server>\n<id>a</id><username>u</username>\n<password>p&amp;w</password>\n</server></servers>"
    ),
    "gradle-properties": "ossrhUsername=u\nossrhPassword={{password}}\n[x]\n",
    "nuget-config": (
        '<packageSourceCredentials>\n<a>\n<add key="Username" value="u" />\n'
        '<add key="ClearTextPassword" value="{{password}}" />\n</a>\n</packageSourceCredentials>\n'
    ),
    "composer-auth": (
        '{"http-basic": {"h": {"username": "u", "password": "p"}}, "github-oauth": {"github.com": "{{github:ghp}}"},'
        ' "gitlab-token": {"gitlab.com": {"username": "u", "token": "t"}}, "bearer": {"h": "b"},'
        ' "bitbucket-oauth": {"bitbucket.org": {"consumer-key": "k", "consumer-secret": "s"}}}'
    ),
    "gcloud-credentials-db": '{"account_id": "a", "type": "authorized_user", "refresh_token": "1//0x"}\n',
    "gcloud-access-tokens-db": '{"account_id": "a", "access_token": "ya29.x", "token_expiry": "2026-01-01"}\n',
    "gcloud-boto": "[Credentials]\ngs_oauth2_refresh_token = 1//0{{password:40}}\n",
    "azure-msal-cache": (
        '{"Account": {"k": {"home_account_id": "h", "username": "u"}}, "RefreshToken": {"r": {"secret": "s",'
        ' "home_account_id": "h", "client_id": "c"}}, "AccessToken": {"a": {"secret": "t", "target": "x"}}}'
    ),
    "azure-service-principals": '[{"client_id": "c", "tenant": "t", "client_secret": "{{password}}"}]',
    "azure-access-tokens": '[{"accessToken": "a", "refreshToken": "r", "_clientId": "c"}, {"servicePrincipalId": "s"}]',
    "aws-sso-cache": '{"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "aoa"}',
    "aws-cli-cache": '{"Credentials": {"AccessKeyId": "{{aws:asia}}", "SecretAccessKey": "{{aws-secret}}"}}',
    "git-credentials": "https://user:{{github:ghp}}@github.com\n",
}


def _all_stores() -> dict[str, Callable[[str], list[Entry]]]:
    stores: dict[str, Callable[[str], list[Entry]]] = {}
    for store in (*HOME_STORES, *REPO_STORES):
        stores.setdefault(store.store, store.parser)
    return stores


STORES = _all_stores()


def _parse_store_text(path: str, text: str) -> list[Entry]:
    store = next(s for s in REPO_STORES if path.endswith(s.pattern.replace("*", "")) or path == s.pattern)
    return store.parser(text)


def test_every_store_parser_is_fuzzed() -> None:
    seeded = {name for name in STORE_SEEDS}
    assert set(STORES) - seeded <= {
        "vscode-settings",
        "vscode-mcp",
        "claude-code",
        "claude-code-settings",
        "claude-desktop",
        "claude-code-mcp",
        "windsurf",
    }, "a new store parser needs a seed here"
    # The unseeded ones share a parser with a seeded store.
    assert {STORES[name] for name in set(STORES) - seeded} <= {STORES[name] for name in seeded}


@pytest.mark.parametrize("store", sorted(STORE_SEEDS))
def test_store_parser_raises_only_value_error(store: str) -> None:
    parser = STORES[store]
    seed = _expand_all(STORE_SEEDS[store])

    @FUZZ
    @given(st.one_of(_mutations(seed), _soup(), _bytes_as_text()))
    def check(text: str) -> None:
        try:
            entries = parser(text)
        except ValueError:
            entries = []
        line_count = text.count("\n") + 1
        for entry in entries:
            assert 1 <= entry.first <= max(entry.last, entry.first), entry
            assert all(isinstance(v, str) for v in entry.hints.values())
            assert all(1 <= line <= line_count for line in entry.rewrites), entry
            assert all(1 <= claim.line <= line_count and claim.value for claim in entry.claims), entry
        # parse_store (what the sources call) never raises, whatever the parser does.
        document = Document("~/store", text.encode("utf-8", "surrogateescape"), Reach.HOME)
        errors: list[str] = []
        parse_store(document, store, parser, errors.append)
        assert all("\n" not in error for error in errors)

    check()


@functools.cache
def _expand_all(template: str) -> str:
    from credscope.testing.generate import expand

    return expand(template).text


@FUZZ
@given(st.one_of(_mutations(_expand_all(STORE_SEEDS["aws-config"])), _bytes_as_text()))
def test_aws_profiles_and_ini_sections_never_raise(text: str) -> None:
    profiles = aws_config_profiles(text)
    aws_credentials(text, profiles)
    for section in ini_sections(text):
        assert 1 <= section.first <= section.last + 1
