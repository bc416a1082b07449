"""A value is judged by what it is assigned to: one planted token per format, read through the structure.

Each row is (file, text with one `{{github:ghp}}` token, expected line, expected location context). The
token is generated at run time; the context is what the detector reports for it, exactly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector, DocumentStats
from credscope.detect.parsers import REGISTRY, parse_document, parser_for
from credscope.group import group
from credscope.model import Candidate, Document, Reach
from credscope.testing.generate import expand

GHP = "{{github:ghp}}"


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    text: str
    line: int
    context: dict[str, str]


def _notebook(*cells: list[str]) -> str:
    document = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Demo\n"]},
            *({"cell_type": "code", "metadata": {}, "outputs": [], "source": cell} for cell in cells),
        ],
        "metadata": {},
        "nbformat": 4,
    }
    return json.dumps(document, indent=1)


CASES = [
    # dotenv
    Case("dotenv-export", ".env", f'# local\nexport GITHUB_TOKEN="{GHP}"\n', 2, {"name": "GITHUB_TOKEN"}),
    Case("dotenv-comment", "config/.env.production", f"A=1\nGH_PAT='{GHP}' # ci\n", 2, {"name": "GH_PAT"}),
    # JSON: MCP configs, nested keys, argument lists
    Case(
        "mcp-env",
        ".cursor/mcp.json",
        '{\n  "mcpServers": {\n    "github": {\n      "command": "npx",\n      "env": {\n'
        f'        "GITHUB_PERSONAL_ACCESS_TOKEN": "{GHP}"\n      }}\n    }}\n  }}\n}}\n',
        6,
        {
            "name": "GITHUB_PERSONAL_ACCESS_TOKEN",
            "key_path": "mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN",
            "mcp_server": "github",
        },
    ),
    Case(
        "claude-json-args",
        ".claude.json",
        '{"projects": {"/srv/app": {"mcpServers": {"gh": {\n'
        f'  "args": ["-y", "server-github", "--token", "{GHP}"]\n}}}}}}}}}}\n',
        2,
        {"name": "token", "key_path": "projects./srv/app.mcpServers.gh.args.token", "mcp_server": "gh"},
    ),
    Case(
        "vscode-jsonc",
        ".vscode/settings.json",
        f'{{\n  // editor settings\n  "github.auth": {{"pat": "{GHP}",}},\n}}\n',
        3,
        {"name": "pat", "key_path": "github.auth.pat"},
    ),
    # YAML: compose, Kubernetes, workflows
    Case(
        "compose-list",
        "docker-compose.yml",
        f"services:\n  api:\n    image: app\n    environment:\n      - PORT=80\n      - GITHUB_TOKEN={GHP}\n",
        6,
        {"name": "GITHUB_TOKEN", "key_path": "services.api.environment.GITHUB_TOKEN", "service": "api"},
    ),
    Case(
        "compose-map",
        "compose.yaml",
        f"services:\n  worker:\n    environment:\n      GH_TOKEN: '{GHP}'\n",
        4,
        {"name": "GH_TOKEN", "key_path": "services.worker.environment.GH_TOKEN", "service": "worker"},
    ),
    Case(
        "k8s-env-name-value",
        "k8s/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          env:\n            - name: GITHUB_TOKEN\n"
        f"              value: {GHP}\n",
        13,
        {
            "name": "GITHUB_TOKEN",
            "key_path": "spec.template.spec.containers.0.env.0.GITHUB_TOKEN",
            "k8s_kind": "Deployment",
            "k8s_name": "web",
            "k8s_namespace": "prod",
        },
    ),
    Case(
        "k8s-secret-stringdata",
        "k8s/secret.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: gh\nstringData:\n  token: {GHP}\n",
        6,
        {"name": "token", "key_path": "stringData.token", "k8s_kind": "Secret", "k8s_name": "gh", "secret_name": "gh"},
    ),
    Case(
        "workflow-env",
        ".github/workflows/ci.yml",
        f"on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    env:\n      GH_TOKEN: {GHP}\n",
        6,
        {"name": "GH_TOKEN", "key_path": "jobs.release.env.GH_TOKEN", "job": "release"},
    ),
    Case(
        "workflow-run-header",
        ".github/workflows/deploy.yml",
        "jobs:\n  deploy:\n    steps:\n      - run: |\n          echo start\n"
        f'          curl -H "Authorization: Bearer {GHP}" https://api.github.com/user\n',
        6,
        # The value is a script: the header in it names the token, the structure says where it lives.
        {"name": "Authorization", "key_path": "jobs.deploy.steps.0.run", "job": "deploy"},
    ),
    # TOML, INI, properties, npmrc
    Case(
        "codex-toml",
        ".codex/config.toml",
        f'model = "o3"\n\n[mcp_servers.github]\ncommand = "npx"\nenv = {{ GITHUB_TOKEN = "{GHP}" }}\n',
        5,
        {"name": "GITHUB_TOKEN", "key_path": "mcp_servers.github.env.GITHUB_TOKEN", "mcp_server": "github"},
    ),
    Case(
        "ini-section",
        "deploy/settings.ini",
        f"[DEFAULT]\nregion = eu\n\n[github]\noauth = {GHP}\n",
        5,
        {"name": "oauth", "key_path": "github.oauth", "section": "github"},
    ),
    Case(
        "properties",
        "src/main/resources/application.properties",
        f"server.port=8080\ngithub.api.credential={GHP}\n",
        2,
        {"name": "github.api.credential"},
    ),
    Case(
        "npmrc",
        ".npmrc",
        f"@acme:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken={GHP}\n",
        2,
        {"name": "_authToken", "registry": "//npm.pkg.github.com/"},
    ),
    # HCL
    Case("tfvars", "prod.tfvars", f'region = "eu-west-1"\ngithub_token = "{GHP}"\n', 2, {"name": "github_token"}),
    Case(
        "terraform-block",
        "main.tf",
        f'provider "github" {{\n  owner = "acme"\n  token = "{GHP}"\n}}\n',
        3,
        {"name": "token", "key_path": "provider.github.token"},
    ),
    # Notebook: Python inside JSON strings, mapped back to the file's lines
    Case(
        "notebook-kwarg",
        "analysis.ipynb",
        _notebook(["import github\n", "client = github.Github(\n", f'    login_or_token="{GHP}",\n', ")\n"]),
        17,
        {"name": "login_or_token", "cell": "1"},
    ),
    # Shell
    Case("shell-export", "scripts/deploy.sh", f"#!/bin/sh\nexport GH_TOKEN='{GHP}'\n", 2, {"name": "GH_TOKEN"}),
    Case(
        "shell-header",
        "scripts/check.sh",
        f"curl -sS \\\n  -H 'Authorization: token {GHP}' \\\n  https://api.github.com/user\n",
        2,
        {"name": "Authorization"},
    ),
    Case("shell-flag", "scripts/release.sh", f"gh-release --repo acme/app --token {GHP}\n", 1, {"name": "token"}),
    # Source code through tree-sitter
    Case(
        "python-kwarg-multiline",
        "app/client.py",
        'import github\n\nclient = github.Github(\n    base_url="https://api.github.com",\n'
        f'    login_or_token=(\n        "{GHP}"\n    ),\n)\n',
        6,
        {"name": "login_or_token"},
    ),
    Case(
        "python-dict",
        "app/settings.py",
        f'SETTINGS = {{\n    "github": {{\n        "token": "{GHP}",\n    }},\n}}\n',
        3,
        {"name": "token", "key_path": "SETTINGS.github.token"},
    ),
    Case("python-environ", "app/boot.py", f'import os\nos.environ["GH_TOKEN"] = "{GHP}"\n', 2, {"name": "GH_TOKEN"}),
    Case("python-tuple", "app/pair.py", f'user, secret = "octocat", "{GHP}"\n', 1, {"name": "secret"}),
    Case(
        "javascript-object",
        "web/config.js",
        f'module.exports = {{\n  github: {{\n    apiToken: "{GHP}",\n  }},\n}};\n',
        3,
        {"name": "apiToken", "key_path": "exports.github.apiToken"},
    ),
    Case(
        "typescript-field",
        "web/client.ts",
        f'export class Client {{\n  private readonly token: string =\n    "{GHP}";\n}}\n',
        3,
        {"name": "token"},
    ),
    Case(
        "go-struct-field",
        "cmd/main.go",
        f'package main\n\nfunc main() {{\n\tcfg := Config{{\n\t\tToken: "{GHP}",\n\t}}\n\t_ = cfg\n}}\n',
        5,
        {"name": "Token"},
    ),
    Case(
        "go-short-var",
        "cmd/pair.go",
        f'package main\n\nfunc f() {{\n\tuser, pat := "octocat",\n\t\t"{GHP}"\n\t_, _ = user, pat\n}}\n',
        5,
        {"name": "pat"},
    ),
    Case(
        "java-setter",
        "src/Main.java",
        f'class Main {{\n  void f(Client c) {{\n    c.setToken(\n        "{GHP}");\n  }}\n}}\n',
        4,
        {"name": "setToken"},
    ),
    Case(
        "java-field",
        "src/Keys.java",
        f'class Keys {{\n  private static final String GITHUB_TOKEN =\n      "{GHP}";\n}}\n',
        3,
        {"name": "GITHUB_TOKEN"},
    ),
    Case(
        "ruby-hash-symbol",
        "config/github.rb",
        f'Octokit.configure(\n  access_token:\n    "{GHP}",\n)\n',
        3,
        {"name": "access_token"},
    ),
    Case(
        "ruby-hash-rocket",
        "config/keys.rb",
        f'KEYS = {{\n  "github" =>\n    "{GHP}",\n}}\n',
        3,
        {"name": "github", "key_path": "KEYS.github"},
    ),
    Case("ruby-env", "config/boot.rb", f'ENV["GH_TOKEN"] = "{GHP}"\n', 1, {"name": "GH_TOKEN"}),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_catalogue())


def _detect(detector: Detector, path: str, text: str) -> tuple[list[Candidate], DocumentStats]:
    stats = DocumentStats()
    found = detector.detect(Document(path, text.encode("utf-8", "surrogateescape"), Reach.TRACKED), stats)
    return found, stats


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_planted_token_is_judged_by_its_assignment(detector: Detector, case: Case) -> None:
    expansion = expand(case.text)
    (token,) = expansion.values
    found, stats = _detect(detector, case.path, expansion.text)
    assert [(c.rule, c.secret, c.location.line) for c in found] == [("github-pat-classic", token, case.line)]
    assert dict(found[0].location.context) == case.context
    assert stats.parse_errors == 0, stats.parse_error


def test_every_format_of_the_table_has_a_parser() -> None:
    formats = {parser_for(case.path).format for case in CASES}  # type: ignore[union-attr]
    expected = {"dotenv", "json", "yaml", "toml", "ini", "hcl", "notebook", "shell"}
    expected |= {"python", "javascript", "typescript", "go", "java", "ruby"}
    assert formats == expected
    assert {type(p).__name__ for p in REGISTRY.values()} >= {"DotenvParser", "SourceParser", "NotebookParser"}


def test_structure_beats_the_line_when_the_line_says_nothing(detector: Detector) -> None:
    # The line holding the token is a bare string; only the structure knows it is GITHUB_TOKEN's value.
    expansion = expand(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - env:\n"
        f"    - name: GITHUB_TOKEN\n      value: >-\n        {GHP}\n"
    )
    found, _ = _detect(detector, "pod.yaml", expansion.text)
    assert [(c.location.line, c.location.context["name"]) for c in found] == [(10, "GITHUB_TOKEN")]


def test_unparsed_formats_keep_the_line_based_name(detector: Detector) -> None:
    expansion = expand(f"Deploy with GITHUB_TOKEN={GHP} in the shell.\n")
    found, stats = _detect(detector, "docs/deploy.md", expansion.text)
    assert [(c.location.line, dict(c.location.context)) for c in found] == [(1, {"name": "GITHUB_TOKEN"})]
    assert stats.parse_errors == 0


# --- malformed input: never an exception, counted, and the line-based fallback still finds the token --------


MALFORMED = [
    ("truncated-json", "config/app.json", f'{{"github": {{"token": "{GHP}",\n  "other": [1, 2', "json"),
    ("truncated-yaml", "deploy.yaml", f'services:\n  api:\n    environment:\n      GH: "{GHP}"\n    ports: [8', "yaml"),
    (
        "truncated-notebook",
        "nb.ipynb",
        '{"cells": [{"cell_type": "code", "source": ["t = \\"' + GHP + '\\"\\n"',
        "notebook",
    ),
    ("binary-junk-json", "blob.json", '\x00\x01\xff{"token": "' + GHP + '"}\x00\x9c', "json"),
    ("bad-toml", "pyproject.toml", f'[tool.x\ntoken = "{GHP}"\n', "toml"),
    ("open-dotenv-quote", ".env", f'GH_TOKEN={GHP}\nOTHER="never closed\n', "dotenv"),
    ("unbalanced-hcl", "main.tf", f'provider "github" {{\n  token = "{GHP}"\n', "hcl"),
]


@pytest.mark.parametrize(("label", "path", "template", "format_name"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_falls_back_to_the_line(
    detector: Detector, label: str, path: str, template: str, format_name: str
) -> None:
    expansion = expand(template)
    (token,) = expansion.values
    text = expansion.text
    if label == "binary-junk-json":
        content = b"\x00\x01\xff" + text[3:].encode("latin-1")
        text = content.decode("utf-8", "surrogateescape")
    parsed = parse_document(path, text)
    assert parsed is not None
    assert parsed.format == format_name
    assert parsed.error
    found, stats = _detect(detector, path, text)
    assert [c.secret for c in found] == [token]
    assert stats.parse_errors == 1
    assert stats.parse_error is not None
    assert stats.parse_error.startswith(f"{format_name}: ")


def test_yaml_alias_bomb_costs_nothing(detector: Detector) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        levels.append(f"a{level}: &a{level} [{refs}]")
    expansion = expand("\n".join(levels) + f"\ngithub:\n  token: {GHP}\n")
    (token,) = expansion.values
    started = time.monotonic()
    parsed = parse_document("bomb.yaml", expansion.text)
    found, stats = _detect(detector, "bomb.yaml", expansion.text)
    assert time.monotonic() - started < 5
    assert parsed is not None and parsed.error is None
    # Expanded, the aliases would make 9**10 assignments; visited once each, the nine strings and the token.
    assert len(parsed.assignments) == 10
    assert [(c.secret, c.location.line, c.location.context["key_path"]) for c in found] == [(token, 12, "github.token")]
    assert stats.parse_errors == 0


def test_parse_document_never_raises_on_junk() -> None:
    junk = [
        "",
        "\x00" * 50,
        "{" * 5000,
        "[" * 5000 + "]" * 5000,
        "a: b: c: [",
        '"""unterminated',
        "key = {{{{",
        "<<EOF\nno end",
        "\ud800 surrogate \udcff",
    ]
    one_path_per_format = {parser_for(case.path).format: case.path for case in CASES}  # type: ignore[union-attr]
    for path in sorted(one_path_per_format.values()):
        for text in junk:
            parsed = parse_document(path, text)
            assert parsed is not None, path


# --- multi-line secrets: one finding where the secret starts, one credential however it is written ----------


def test_pem_in_json_and_yaml_is_one_credential_at_its_first_line(detector: Detector) -> None:
    pem = expand("{{pem:rsa}}").text.strip()
    # Not a service-account file (that has its own rule): a plain JSON document with an escaped PEM.
    service_account = json.dumps({"name": "edge", "tls": "on", "private_key": pem}, indent=2)
    block = "tls:\n  key: |\n" + "".join(f"    {line}\n" for line in pem.split("\n"))
    found_json, _ = _detect(detector, "sa.json", service_account)
    found_yaml, _ = _detect(detector, "tls.yaml", block)
    found_raw, _ = _detect(detector, "id_rsa", pem + "\n")
    assert [(c.rule, c.location.line, c.location.context.get("name")) for c in found_json] == [
        ("private-key-pem", 4, "private_key")
    ]
    assert [(c.rule, c.location.line, c.location.context.get("key_path")) for c in found_yaml] == [
        ("private-key-pem", 3, "tls.key")
    ]
    assert [(c.rule, c.location.line) for c in found_raw] == [("private-key-pem", 1)]
    (credential,) = group([*found_json, *found_yaml, *found_raw])
    assert [(loc.path, loc.line) for loc in credential.locations] == [("id_rsa", 1), ("sa.json", 4), ("tls.yaml", 3)]


@pytest.mark.parametrize(("path", "template"), [("deep.py", 'x = {}"{}"\n'), ("deep.js", "const x = {}'{}';\n")])
def test_deep_expressions_stay_linear(detector: Detector, path: str, template: str) -> None:
    # 20,000 nested `+` operators: each string's ancestors come from one walk, not from `.parent` searches.
    expansion = expand(template.format('"part" + ' * 20_000, GHP))
    (token,) = expansion.values
    started = time.monotonic()
    found, _ = _detect(detector, path, expansion.text)
    assert time.monotonic() - started < 20
    assert [(c.secret, c.location.line, c.location.context["name"]) for c in found] == [(token, 1, "x")]


def test_a_path_gets_the_parser_of_the_first_pattern_it_matches() -> None:
    def first_match(path: str) -> object:
        lowered = path.lower()
        base = lowered.rsplit("/", 1)[-1]
        for pattern, parser in REGISTRY.items():
            tail = "/" in pattern and (lowered == pattern or lowered.endswith("/" + pattern))
            if tail or ("/" not in pattern and fnmatchcase(base, pattern)):
                return parser
        return None

    names = [pattern.replace("*", "x") for pattern in REGISTRY] + [pattern.replace("*", "") for pattern in REGISTRY]
    names += ["README.md", "notes", "x.yaml.bak", ".env.production", "values.YAML", "a.b.c.json"]
    for name in names:
        for path in (name, "deep/dir/" + name, name.upper(), "deep/" + name.upper()):
            assert parser_for(path) is first_match(path), path


def test_a_notebook_cell_with_a_lone_surrogate_escape_is_parsed_and_named(detector: Detector) -> None:
    # `\ud800` in a cell's JSON is a surrogate no UTF-8 holds: the cell's Python is parsed with U+FFFD in its place
    # (the same offsets), never raising (found by the parser fuzz test).
    token = expand(GHP).text
    cell = '\ud800x = 1\nAPI_TOKEN = "' + token + '"\n'
    text = json.dumps({"cells": [{"cell_type": "code", "source": [cell], "outputs": []}], "nbformat": 4})
    parsed = parse_document("nb.ipynb", text)
    assert parsed is not None
    assert [a.name for a in parsed.assignments if a.value == token] == ["API_TOKEN"]
    found = detector.detect(Document(path="nb.ipynb", content=text.encode(), reach=Reach.FILE))
    assert [c.secret for c in found if c.rule == "github-pat-classic"] == [token]
