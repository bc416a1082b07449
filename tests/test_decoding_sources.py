"""Secrets that exist only base64-encoded: Kubernetes Secret `data`, kubeconfig `*-data`, Docker config `auth`.

Each is decoded and scanned; the finding points at the encoded value's line, with the context that says
whose secret it is. Tokens are generated at run time and encoded here.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import load_catalogue
from credscope.detect.decode_sources import ENCODED_HINTS, ENCODED_KEYS, may_hold_encoded
from credscope.detect.engine import Detector, DocumentStats
from credscope.detect.joined import JOINED_HINTS
from credscope.detect.prefilter import Prefilter
from credscope.model import Candidate, Document, Reach
from credscope.testing.generate import expand


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_catalogue())


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def token(template: str) -> str:
    return expand(template).text


def detect(detector: Detector, path: str, text: str) -> list[Candidate]:
    stats = DocumentStats()
    found = detector.detect(Document(path, text.encode(), Reach.TRACKED), stats)
    assert stats.parse_errors == 0, stats.parse_error
    return found


def summary(found: list[Candidate]) -> list[tuple[str, str, str, int, dict[str, str]]]:
    return [(c.rule, c.kind, c.secret, c.location.line, dict(c.location.context)) for c in found]


def test_kubernetes_secret_data_is_decoded_and_string_data_read_plain(detector: Detector) -> None:
    github, docker = token("{{github:ghp}}"), token("{{docker}}")
    manifest = (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: api-credentials\n"
        "  namespace: prod\n"
        "type: Opaque\n"
        "data:\n"
        f"  GITHUB_TOKEN: {b64(github)}\n"
        f"  LOG_LEVEL: {b64('debug')}\n"
        "stringData:\n"
        f"  DOCKERHUB_TOKEN: {docker}\n"
    )
    found = detect(detector, "k8s/secret.yaml", manifest)
    assert summary(found) == [
        (
            "github-pat-classic",
            "personal-access-token",
            github,
            8,
            {"secret_name": "api-credentials", "key": "GITHUB_TOKEN", "k8s_namespace": "prod", "name": "GITHUB_TOKEN"},
        ),
        (
            "docker-hub-pat",
            "personal-access-token",
            docker,
            11,
            {
                "k8s_kind": "Secret",
                "k8s_name": "api-credentials",
                "secret_name": "api-credentials",
                "k8s_namespace": "prod",
                "key_path": "stringData.DOCKERHUB_TOKEN",
                "name": "DOCKERHUB_TOKEN",
            },
        ),
    ]
    # The finding sits on the encoded value itself.
    assert found[0].location.column == len("  GITHUB_TOKEN: ") + 1


def test_kubernetes_secret_as_json_and_among_other_documents(detector: Detector) -> None:
    github = token("{{github:ghp}}")
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"
    secret = json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ci"}, "data": {"token": b64(github)}}, indent=2
    )
    found = detect(detector, "exported/secret.json", secret)
    assert summary(found) == [
        (
            "github-pat-classic",
            "personal-access-token",
            github,
            8,
            {"secret_name": "ci", "key": "token", "name": "token"},
        )
    ]
    as_yaml = (
        config_map + "---\n" + f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  token: {b64(github)}\n"
    )
    found = detect(detector, "k8s/all.yaml", as_yaml)
    assert [(c.secret, c.location.line) for c in found] == [(github, 13)]


def test_docker_config_auth_is_a_registry_credential_with_its_user(detector: Detector) -> None:
    docker = token("{{docker}}")
    password = token("{{password:24}}")
    config = json.dumps(
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": b64(f"deployer:{docker}")},
                "registry.example.com": {"auth": b64(f"ci-bot:{password}")},
            },
            "credsStore": "desktop",
        },
        indent=2,
    )
    found = detect(detector, ".docker/config.json", config)
    assert summary(found) == [
        (
            "docker-hub-pat",
            "personal-access-token",
            docker,
            4,
            {"registry": "https://index.docker.io/v1/", "username": "deployer", "name": "password"},
        ),
        (
            "docker-config-auth",
            "registry-auth",
            password,
            7,
            {"registry": "registry.example.com", "username": "ci-bot", "name": "password"},
        ),
    ]


def test_docker_config_json_inside_a_kubernetes_secret(detector: Detector) -> None:
    github = token("{{github:ghp}}")
    docker_config = json.dumps({"auths": {"ghcr.io": {"auth": b64(f"octo-bot:{github}")}}})
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull-secret\ntype: kubernetes.io/dockerconfigjson\n"
        f"data:\n  .dockerconfigjson: {b64(docker_config)}\n"
    )
    found = detect(detector, "k8s/pull-secret.yaml", manifest)
    assert summary(found) == [
        (
            "github-pat-classic",
            "personal-access-token",
            github,
            7,
            {
                "secret_name": "pull-secret",
                "key": ".dockerconfigjson",
                "registry": "ghcr.io",
                "username": "octo-bot",
                "name": "password",
            },
        )
    ]


def test_two_secrets_in_one_decoded_value_are_both_reported(detector: Detector) -> None:
    github, docker = token("{{github:ghp}}"), token("{{docker}}")
    env_file = f"GITHUB_TOKEN={github}\nDOCKERHUB_TOKEN={docker}\n"
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: env\ndata:\n  app.env: {b64(env_file)}\n"
    found = detect(detector, "k8s/env-secret.yaml", manifest)
    assert sorted((c.rule, c.secret, c.location.line, c.location.context["name"]) for c in found) == sorted(
        [("github-pat-classic", github, 6, "GITHUB_TOKEN"), ("docker-hub-pat", docker, 6, "DOCKERHUB_TOKEN")]
    )


def test_kubeconfig_client_key_data_is_a_private_key(detector: Detector) -> None:
    pem = token("{{pem:ec}}")
    kubeconfig = f"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: {b64(pem)}\n"
    found = detect(detector, ".kube/config", kubeconfig)
    assert [(c.rule, c.location.line, dict(c.location.context)) for c in found] == [
        ("private-key-pem", 6, {"key": "client-key-data", "key_type": "EC PRIVATE KEY", "name": "client-key-data"})
    ]
    assert found[0].secret.strip() == pem.strip()


@pytest.mark.parametrize(
    "value",
    [
        b64("changeme"),  # a placeholder, decoded
        "not base64 at all!",
        b64("\x00\x01binary"),
        base64.b64encode(bytes(range(256))).decode(),  # not UTF-8
        "",
    ],
    ids=["placeholder", "not-base64", "control-bytes", "not-utf8", "empty"],
)
def test_decoded_values_that_are_not_credentials_report_nothing(detector: Detector, value: str) -> None:
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: '{value}'\n"
    assert detect(detector, "k8s/s.yaml", manifest) == []


@pytest.mark.parametrize("login", ["ci:changeme", "ci:", "ci:${REGISTRY_PASSWORD}"])
def test_docker_auth_with_a_placeholder_password_reports_nothing(detector: Detector, login: str) -> None:
    config = json.dumps({"auths": {"registry.example.com": {"auth": b64(login)}}}, indent=2)
    pull_secret = json.dumps({"auths": {"registry.example.com": {"auth": b64(login)}}})
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\ndata:\n  .dockerconfigjson: {b64(pull_secret)}\n"
    assert detect(detector, ".docker/config.json", config) == []
    assert detect(detector, "k8s/pull.yaml", manifest) == []


def test_a_model_that_only_names_secrets_is_not_parsed_for_encoded_values(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An API model's `SecretString` shape: no Kubernetes object (no apiVersion), no `auths`, no `*-data` key, so
    # nothing in it can be an encoded value; it is not parsed whole for that. A Secret beside an apiVersion is.
    from credscope.detect import parsers

    parsed: list[str] = []
    original = parsers.parse_document

    def counted(path: str, text: str, **kwargs: bool) -> object:
        parsed.append(path)
        return original(path, text, **kwargs)

    monkeypatch.setattr(parsers, "parse_document", counted)
    model = {
        "metadata": {"apiVersion": "2017-10-17"},
        "shapes": {"SecretString": {"type": "string", "documentation": 'The "value"\n'}, "Name": {"type": "string"}},
    }
    assert detect(detector, "secretsmanager/service-2.json", json.dumps(model, indent=1)) == []
    # botocore's models: an apiVersion in the metadata, "kind" in the documentation, `<` escaped as \u003c.
    model["shapes"]["Name"]["documentation"] = "Any kind of name \u003cb\u003eSecret\u003c/b\u003e"
    assert detect(detector, "secretsmanager/service-2.json", json.dumps(model, indent=1)) == []
    assert parsed == []
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"url": b64("x")}}
    detect(detector, "secret.json", json.dumps(secret))
    assert parsed == ["secret.json"]


def test_a_secret_whose_keys_are_spelled_with_escapes_is_still_decoded(detector: Detector) -> None:
    github = token("{{github:ghp}}")
    spelled = '{"apiVersion": "v1", "\\u006bind": "Secret", "metadata": {"name": "ci"}, "d\\u0061ta": {"token": "%s"}}'
    found = detect(detector, "exported/secret.json", spelled % b64(github))
    assert [(c.secret, c.location.context.get("secret_name")) for c in found] == [(github, "ci")]
    # A YAML string's escaped line break joins its lines: `client-key-data` is nowhere as written.
    pem = token("{{pem:ec}}")
    joined = f'# Secret material\nusers:\n- name: admin\n  user:\n    ? "client-key-\\\n      data"\n    : {b64(pem)}\n'
    found = detect(detector, ".kube/config", joined)
    assert [(c.rule, c.location.context.get("key")) for c in found] == [("private-key-pem", "client-key-data")]


@pytest.mark.parametrize(
    "kind",
    [
        "kind: Secret",
        "kind: 'Secret'",
        '"kind" : "Secret"',
        "kind: !!str Secret",
        "kind: &k Secret",
        "kind:\n  Secret",
        "kind: # of object\n  Secret",
        "kind: >-\n  Secret",
        "? kind\n: Secret",
        "kind: *k1",
    ],
)
def test_every_way_yaml_spells_a_secrets_kind_is_decoded(detector: Detector, kind: str) -> None:
    github = token("{{github:ghp}}")
    manifest = f"x-names: [&k1 Secret]\napiVersion: v1\n{kind}\nmetadata:\n  name: ci\ndata:\n  token: {b64(github)}\n"
    found = detect(detector, "k8s/secret.yaml", manifest)
    assert [(c.secret, c.location.context.get("secret_name")) for c in found] == [(github, "ci")]


@pytest.fixture(scope="module")
def hinted(tmp_path_factory: pytest.TempPathFactory) -> Prefilter:
    """A Hyperscan prefilter of the detector's literals: the hints and the keys `may_hold_encoded` looks at."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("hints-cache")))
        rules = [rule for rule in load_catalogue().rules if rule.id == "github-pat-classic"]
        literals = tuple(dict.fromkeys(ENCODED_HINTS + JOINED_HINTS + ENCODED_KEYS))
        prefilter = Prefilter(rules, use_hyperscan=True, literals=literals)
        prefilter.warm()
    assert prefilter.engine == "hyperscan"
    return prefilter


_PIECES = st.sampled_from(
    [
        '"apiVersion": "v1"',
        "apiVersion: v1",
        '"kind": "Secret"',
        "kind: Secret",
        '"auths": {}',
        "auths",
        "client-certificate-data: x",
        "client-key-data: x",
        "token-data",
        "Secret",
        "\\u0061",
        "\u00e9t\u00e9",
        "\U0001f511",
        '{"name": "value"}',
        "\n",
        "x" * 300,
    ]
)


def test_the_keys_the_prefilter_found_decide_as_a_search_does(hinted: Prefilter) -> None:
    # `may_hold_encoded` takes the keys it looks for from the prefilter's pass (`seen`) rather than searching the
    # document for each: the same answer, for JSON and YAML, UTF-8 or not.
    @settings(max_examples=300, deadline=None)
    @given(st.lists(_PIECES, min_size=1, max_size=8), st.sampled_from(["k8s/secret.yaml", "conf/config.json"]))
    def check(pieces: list[str], path: str) -> None:
        content = "\n".join(pieces).encode("utf-8", "surrogateescape")
        for document in (content, content + b"\xff"):  # the second is not UTF-8: read as bytes
            seen = hinted.select(document, path).literals
            hints = seen.intersection(ENCODED_HINTS + JOINED_HINTS)
            assert seen.issuperset(key for key in ENCODED_KEYS if key in document)
            assert may_hold_encoded(path, hints, document, seen) == may_hold_encoded(path, hints, document)

    check()
