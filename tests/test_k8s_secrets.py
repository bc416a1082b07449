"""Kubernetes Secrets in every layout they are committed in: multi-document files, `stringData`, Helm-rendered
output, the JSON form, `kind: List`, `kubectl get -o yaml` dumps, Secrets inside Helm values, kustomize
`secretGenerator` literals; and what is not a secret there (Sealed Secrets, placeholders, non-secret keys).

Every secret is built at run time and encoded here. Each row asserts exactly what is reported: rule, provider,
path, the line of the (encoded) value in the original file, and the secret, each once.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap

import pytest
import yaml

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach

from helpers import token

Row = tuple[str, str, str, int, str]  # rule, provider, path, line, secret


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_catalogue())


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def line_of(text: str, anchor: str) -> int:
    """The line `anchor` (unique in `text`) starts on."""
    assert text.count(anchor) == 1, anchor
    return text[: text.index(anchor)].count("\n") + 1


def found(detector: Detector, path: str, text: str, parse_error: str | None = None) -> list[Row]:
    stats = DocumentStats()
    candidates = detector.detect(Document(path, text.encode(), Reach.TRACKED), stats)
    assert stats.parse_error == parse_error
    return sorted((c.rule, c.provider, c.location.path, c.location.line, c.secret.strip()) for c in candidates)


def certificate() -> str:
    """A PEM certificate's shape (a certificate is public: never a finding)."""
    body = base64.b64encode(os.urandom(600)).decode()
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(body, 64)) + "\n-----END CERTIFICATE-----\n"


def sealed(length: int = 600) -> str:
    """A Sealed Secrets `encryptedData` value: version bytes, an RSA-OAEP session key, AES-GCM ciphertext."""
    return base64.b64encode(b"\x02\x00" + os.urandom(length)).decode()


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: registry.example.net/shop/web:1.4.2
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: web-credentials, key: DB_PASSWORD}
"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LOG_LEVEL: info\n  mode: fast\n"


# --- a. multi-document files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("position", [2, 3])
def test_secret_after_other_documents(detector: Detector, position: int) -> None:
    github, password, random_user = token("{{github:ghp}}"), token("{{random:alnum:32}}"), token("{{random:alnum:24}}")
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\n  namespace: shop\ntype: Opaque\ndata:\n"
        f"  GITHUB_TOKEN: {b64(github)}\n"
        f"  DB_PASSWORD: {b64(password)}\n"
        # Values under names that are not secret, however random, are not findings.
        f"  username: {b64(random_user)}\n"
        f"  host: {b64('db.internal.example.net')}\n"
        f"  port: {b64('5432')}\n"
    )
    documents = [DEPLOYMENT, CONFIG_MAP] if position == 3 else [DEPLOYMENT]
    text = "---\n".join([*documents, secret, *([] if position == 3 else [CONFIG_MAP])])
    assert found(detector, "deploy/all.yaml", text) == sorted(
        [
            ("github-pat-classic", "github", "deploy/all.yaml", line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", "deploy/all.yaml", line_of(text, b64(password)), password),
        ]
    )


def test_secret_after_a_document_that_is_not_yaml(detector: Detector) -> None:
    """A broken manifest costs only itself: the Secret after it is still read, and decoded."""
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  modes: [fast, safe\n"
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\ndata:\n"
        f"  GITHUB_TOKEN: {b64(github)}\n  DB_PASSWORD: {b64(password)}\n"
    )
    text = "---\n".join([DEPLOYMENT, broken, secret, CONFIG_MAP])
    error = f"yaml: did not find expected ',' or ']' at line {line_of(text, secret) - 1}, column 1"
    assert found(detector, "deploy/all.yaml", text, parse_error=error) == sorted(
        [
            ("github-pat-classic", "github", "deploy/all.yaml", line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", "deploy/all.yaml", line_of(text, b64(password)), password),
        ]
    )


# --- b. stringData ---------------------------------------------------------------------------------------------


def test_string_data_values_are_read_plain_and_named_by_their_key(detector: Detector) -> None:
    github, password, api_key, nested = (
        token(t) for t in ("{{github:ghp}}", "{{password:28}}", "{{random:alnum:40}}", "{{random:alnum:30}}")
    )
    text = (
        f"{CONFIG_MAP}---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ntype: Opaque\nstringData:\n"
        f"  GITHUB_TOKEN: {github}\n"
        f'  DB_PASSWORD: "{password}"\n'
        f"  api-key: {api_key}\n"
        "  username: deploy\n"
        "  config.yaml: |\n"
        "    endpoint: https://api.example.net\n"
        f"    client_secret: {nested}\n"
    )
    path = "k8s/api-secret.yml"
    assert found(detector, path, text) == sorted(
        [
            ("github-pat-classic", "github", path, line_of(text, github), github),
            ("generic-secret-quoted", "generic", path, line_of(text, password), password),
            ("generic-secret-unquoted", "generic", path, line_of(text, api_key), api_key),
            ("generic-secret-unquoted", "generic", path, line_of(text, nested), nested),
        ]
    )


# --- c. Helm-rendered output -----------------------------------------------------------------------------------


def test_helm_rendered_secrets_of_every_type(detector: Detector) -> None:
    password, stripe, github, basic, key = (
        token(t)
        for t in ("{{random:alnum:32}}", "{{stripe:sk_live}}", "{{github:ghp}}", "{{password:24}}", "{{pem:rsa}}")
    )
    pull = json.dumps({"auths": {"ghcr.io": {"auth": b64(f"shop-bot:{github}")}}})
    checksum = token("{{random:hex:64}}")
    text = f"""\
---
# Source: shop/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: shop-credentials
  labels:
    app.kubernetes.io/name: shop
    app.kubernetes.io/instance: shop
    helm.sh/chart: shop-1.2.3
  annotations:
    checksum/config: {checksum}
type: Opaque
data:
  DB_PASSWORD: "{b64(password)}"
  STRIPE_SECRET_KEY: "{b64(stripe)}"
  LOG_LEVEL: "{b64("info")}"
---
# Source: shop/templates/pull-secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: shop-registry
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: "{b64(pull)}"
---
# Source: shop/templates/basic-auth.yaml
apiVersion: v1
kind: Secret
metadata:
  name: shop-basic-auth
type: kubernetes.io/basic-auth
data:
  username: "{b64("admin")}"
  password: "{b64(basic)}"
---
# Source: shop/templates/tls.yaml
apiVersion: v1
kind: Secret
metadata:
  name: shop-tls
type: kubernetes.io/tls
data:
  tls.crt: "{b64(certificate())}"
  tls.key: "{b64(key)}"
---
# Source: shop/templates/deployment.yaml
{DEPLOYMENT}"""
    path = "rendered/shop.yaml"
    assert found(detector, path, text) == sorted(
        [
            ("generic-secret-quoted", "generic", path, line_of(text, b64(password)), password),
            ("stripe-secret-key-live", "stripe", path, line_of(text, b64(stripe)), stripe),
            ("github-pat-classic", "github", path, line_of(text, b64(pull)), github),
            ("generic-secret-quoted", "generic", path, line_of(text, b64(basic)), basic),
            ("private-key-pem", "private-key", path, line_of(text, b64(key)), key.strip()),
        ]
    )


def test_helm_chart_template_with_a_hard_coded_value(detector: Detector) -> None:
    """A chart's own template is not YAML until rendered; with its actions read as blanks, the value written into it
    is decoded, and what the template fills in (`{{ .Values.x | b64enc }}`) is no finding."""
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    text = f"""\
{{{{- if .Values.secret.create }}}}
apiVersion: v1
kind: Secret
metadata:
  name: {{{{ include "shop.fullname" . }}}}
  labels:
    {{{{- include "shop.labels" . | nindent 4 }}}}
type: Opaque
data:
  GITHUB_TOKEN: {b64(github)}
  DB_PASSWORD: "{b64(password)}"
  api-key: {{{{ .Values.apiKey | b64enc | quote }}}}
  {{{{- range $key, $value := .Values.extraSecrets }}}}
  {{{{ $key }}}}: {{{{ $value | b64enc | quote }}}}
  {{{{- end }}}}
{{{{- end }}}}
"""
    path = "charts/shop/templates/secret.yaml"
    assert found(detector, path, text) == sorted(
        [
            ("github-pat-classic", "github", path, line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", path, line_of(text, b64(password)), password),
        ]
    )


# --- d. the JSON form, kind: List, kubectl dumps ---------------------------------------------------------------


def secret_object(name: str, data: dict[str, str], **extra: object) -> dict[str, object]:
    """A Secret as the API server returns it (kubectl's key order: apiVersion, data, kind, metadata, type)."""
    metadata = {"name": name, "namespace": "shop", "uid": token("{{uuid4}}"), "resourceVersion": "48213"}
    return {"apiVersion": "v1", "data": data, "kind": "Secret", "metadata": metadata, "type": "Opaque", **extra}


def test_secret_in_json(detector: Detector) -> None:
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    text = json.dumps(
        secret_object("ci", {"GITHUB_TOKEN": b64(github), "DB_PASSWORD": b64(password), "username": b64("ci")}),
        indent=2,
    )
    assert found(detector, "exported/ci-secret.json", text) == sorted(
        [
            ("github-pat-classic", "github", "exported/ci-secret.json", line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", "exported/ci-secret.json", line_of(text, b64(password)), password),
        ]
    )


def test_secrets_in_a_json_list(detector: Detector) -> None:
    github, password, docker = token("{{github:ghp}}"), token("{{random:alnum:32}}"), token("{{docker}}")
    items = [
        {"apiVersion": "v1", "data": {"mode": "fast"}, "kind": "ConfigMap", "metadata": {"name": "settings"}},
        secret_object("ci", {"GITHUB_TOKEN": b64(github), "api-key": b64(password)}),
        secret_object("hub", {"token": b64(docker)}),
    ]
    text = json.dumps(
        {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, indent=4
    )
    path = "backup/secrets.json"
    assert found(detector, path, text) == sorted(
        [
            ("github-pat-classic", "github", path, line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", path, line_of(text, b64(password)), password),
            ("docker-hub-pat", "docker", path, line_of(text, b64(docker)), docker),
        ]
    )


def test_secrets_in_a_yaml_list(detector: Detector) -> None:
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    text = (
        "apiVersion: v1\nitems:\n"
        f"- apiVersion: v1\n  data:\n    GITHUB_TOKEN: {b64(github)}\n  kind: Secret\n"
        "  metadata:\n    name: ci\n  type: Opaque\n"
        f"- apiVersion: v1\n  data:\n    DB_PASSWORD: {b64(password)}\n  kind: Secret\n"
        "  metadata:\n    name: db\n  type: Opaque\n"
        'kind: List\nmetadata:\n  resourceVersion: ""\n'
    )
    assert found(detector, "backup/secrets.yaml", text) == sorted(
        [
            ("github-pat-classic", "github", "backup/secrets.yaml", line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", "backup/secrets.yaml", line_of(text, b64(password)), password),
        ]
    )


def test_kubectl_get_secret_output(detector: Detector) -> None:
    """`kubectl get secret -o yaml` of a Secret created with `kubectl apply`: its last-applied annotation holds
    a copy of the same data, which is the same secret, reported once at `data`."""
    github, password, old = token("{{github:ghp}}"), token("{{random:alnum:32}}"), token("{{random:alnum:32}}")
    applied = json.dumps(
        {
            "apiVersion": "v1",
            "data": {"GITHUB_TOKEN": b64(github), "DB_PASSWORD": b64(old)},
            "kind": "Secret",
            "metadata": {"annotations": {}, "name": "web", "namespace": "shop"},
            "type": "Opaque",
        },
        separators=(",", ":"),
    )
    text = f"""\
apiVersion: v1
data:
  DB_PASSWORD: {b64(password)}
  GITHUB_TOKEN: {b64(github)}
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {applied}
  creationTimestamp: "2024-05-01T10:00:00Z"
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:data:
        .: {{}}
        f:DB_PASSWORD: {{}}
        f:GITHUB_TOKEN: {{}}
      f:metadata:
        f:annotations:
          .: {{}}
          f:kubectl.kubernetes.io/last-applied-configuration: {{}}
      f:type: {{}}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2024-05-01T10:00:00Z"
  name: web
  namespace: shop
  resourceVersion: "48213"
  uid: {token("{{uuid4}}")}
type: Opaque
"""
    path = "dump/web-secret.yaml"
    annotation = line_of(text, "kubectl.kubernetes.io/last-applied-configuration: |")
    assert found(detector, path, text) == sorted(
        [
            ("github-pat-classic", "github", path, line_of(text, f"GITHUB_TOKEN: {b64(github)}"), github),
            ("generic-secret-quoted", "generic", path, line_of(text, f"DB_PASSWORD: {b64(password)}"), password),
            # The value applied before this one was rotated in place: a different secret, still in the file.
            ("generic-secret-quoted", "generic", path, annotation, old),
        ]
    )


def test_kubectl_dump_of_a_secret_applied_with_string_data(detector: Detector) -> None:
    """Applied with `stringData`, the annotation's copy holds the values in plain: still the same secrets."""
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    applied = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"annotations": {}, "name": "web"},
            "stringData": {"DB_PASSWORD": password, "GITHUB_TOKEN": github},
        },
        separators=(",", ":"),
    )
    text = (
        f"apiVersion: v1\ndata:\n  DB_PASSWORD: {b64(password)}\n  GITHUB_TOKEN: {b64(github)}\nkind: Secret\n"
        "metadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n"
        f"      {applied}\n  name: web\ntype: Opaque\n"
    )
    assert found(detector, "dump/web.yaml", text) == sorted(
        [
            ("github-pat-classic", "github", "dump/web.yaml", line_of(text, b64(github)), github),
            ("generic-secret-quoted", "generic", "dump/web.yaml", line_of(text, b64(password)), password),
        ]
    )


# --- e. Secrets in Helm values, kustomize secretGenerator ------------------------------------------------------


def test_secret_manifest_inside_helm_values(detector: Detector) -> None:
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    text = (
        "replicaCount: 2\nimage:\n  repository: registry.example.net/shop/web\n  tag: 1.4.2\n"
        "extraObjects:\n"
        "  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: shop-extra\n    data:\n"
        f"      DB_PASSWORD: {b64(password)}\n"
        f"      GITHUB_TOKEN: {b64(github)}\n"
        f"      username: {b64('shop')}\n"
    )
    assert found(detector, "charts/shop/values.yaml", text) == sorted(
        [
            ("generic-secret-quoted", "generic", "charts/shop/values.yaml", line_of(text, b64(password)), password),
            ("github-pat-classic", "github", "charts/shop/values.yaml", line_of(text, b64(github)), github),
        ]
    )


def test_kustomize_secret_generator_literals(detector: Detector) -> None:
    github, password = token("{{github:ghp}}"), token("{{random:alnum:32}}")
    text = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n"
        "secretGenerator:\n  - name: web-credentials\n    literals:\n"
        f"      - DB_PASSWORD={password}\n"
        f"      - GITHUB_TOKEN={github}\n"
        "      - DB_USER=shop\n"
        "    files:\n      - tls.crt\n"
    )
    path = "overlays/prod/kustomization.yaml"
    assert found(detector, path, text) == sorted(
        [
            ("generic-secret-unquoted", "generic", path, line_of(text, password), password),
            ("github-pat-classic", "github", path, line_of(text, github), github),
        ]
    )


# --- not secrets -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
def test_sealed_secrets_are_encrypted(detector: Detector, as_json: bool) -> None:
    encrypted = {"DB_PASSWORD": sealed(), "GITHUB_TOKEN": sealed(), "api-key": sealed(40), "token": sealed(24)}
    obj = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "web-credentials", "namespace": "shop"},
        "spec": {
            "encryptedData": encrypted,
            "template": {"metadata": {"name": "web-credentials", "namespace": "shop"}, "type": "Opaque"},
        },
    }
    if as_json:
        text, path = json.dumps(obj, indent=2), "sealed/web.json"
    else:
        text, path = yaml.safe_dump(obj, sort_keys=False, width=10_000), "sealed/web.yaml"
    assert found(detector, path, text) == []


@pytest.mark.parametrize(
    "value",
    [
        "Y2hhbmdlbWU=",  # changeme
        "cGFzc3dvcmQ=",  # password
        '""',
        b64("<your-api-key>"),
        b64("${DB_PASSWORD}"),
        b64("REPLACE_ME"),
        b64("xxxxxxxxxxxxxxxx"),
    ],
    ids=["changeme", "password", "empty", "angle-placeholder", "env-reference", "replace-me", "x-run"],
)
def test_secrets_holding_placeholders_report_nothing(detector: Detector, value: str) -> None:
    text = (
        f"{DEPLOYMENT}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\ntype: Opaque\ndata:\n"
        f"  DB_PASSWORD: {value}\n  api-key: {value}\n  password: {value}\n"
    )
    assert found(detector, "k8s/web.yaml", text) == []
    as_json = json.dumps(secret_object("web", {"DB_PASSWORD": value.strip('"'), "api-key": value.strip('"')}))
    assert found(detector, "k8s/web.json", as_json) == []
