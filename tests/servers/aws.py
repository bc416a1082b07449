"""moto's real server (server mode, in a thread) on 127.0.0.1, with IAM authentication switched on.

Users: `admin` (AdministratorAccess), `auditor` (ReadOnlyAccess, through a group), `departed`, whose access key was
deleted; `partial`, who may read its inline policy but not its group's managed one; `scoped`, who may read its
policies and delete objects in one bucket; `blind`, who may delete objects in one bucket and simulate, but read no
policy; and `gov-admin` and `cn-ops`, made in the GovCloud and China partitions (moto keeps IAM per partition and
picks it by the request's signing region, as AWS keeps a key to its partition). Keys come from moto at run time;
none is written anywhere.

moto has no iam:SimulatePrincipalPolicy: `iam_simulator` is a proxy in front of it that answers that operation in
botocore's documented shape, by evaluating the principal's identity policies (read from moto) for each action on
each resource asked about — Allow and Deny statements, wildcards in actions and resources — and passes every other
request to moto unchanged.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest


@dataclass(frozen=True)
class AwsKey:
    key_id: str
    secret: str


@dataclass(frozen=True)
class MotoServer:
    endpoint: str
    admin: AwsKey
    reader: AwsKey
    deleted: AwsKey
    role: AwsKey  # temporary keys of the assumed role `deployer`
    role_session_token: str
    partial: AwsKey
    scoped: AwsKey
    blind: AwsKey
    gov: AwsKey  # valid only in aws-us-gov
    china: AwsKey  # valid only in aws-cn


BUCKET_OBJECTS = "arn:aws:s3:::rentals-uploads/*"


def _statement(effect: str, actions: list[str], resource: str = "*") -> dict[str, object]:
    return {"Effect": effect, "Action": actions, "Resource": resource}


def _document(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# A form content type would make moto's server read the body as a form and see no count.
_PLAIN = {"Content-Type": "text/plain"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    # AWS's managed policies (AdministratorAccess, ReadOnlyAccess) are loaded only when asked for.
    previous = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # setup runs before authentication is switched on
        )

        def user_with_key(name: str) -> AwsKey:
            iam.create_user(UserName=name)
            made = iam.create_access_key(UserName=name)["AccessKey"]
            return AwsKey(made["AccessKeyId"], made["SecretAccessKey"])

        admin = user_with_key("admin")
        iam.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        reader = user_with_key("auditor")
        iam.create_group(GroupName="auditors")
        iam.add_user_to_group(GroupName="auditors", UserName="auditor")
        iam.attach_group_policy(GroupName="auditors", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        deleted = user_with_key("departed")
        iam.attach_user_policy(UserName="departed", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        iam.delete_access_key(UserName="departed", AccessKeyId=deleted.key_id)
        trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS":'
        trust += ' "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}'
        iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)
        iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        sts = boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=admin.key_id,
            aws_secret_access_key=admin.secret,
        )
        assumed = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/deployer", RoleSessionName="ci")
        temporary = assumed["Credentials"]
        role = AwsKey(temporary["AccessKeyId"], temporary["SecretAccessKey"])
        partial = user_with_key("partial")
        iam.put_user_policy(
            UserName="partial",
            PolicyName="self-read",
            PolicyDocument=_document(
                _statement("Allow", ["iam:List*", "iam:GetUserPolicy", "iam:GetGroupPolicy"]),
                _statement("Allow", ["s3:DeleteObject"], BUCKET_OBJECTS),
            ),
        )
        ops_policy = iam.create_policy(PolicyName="ops-wide", PolicyDocument=_document(_statement("Allow", ["ec2:*"])))[
            "Policy"
        ]["Arn"]
        iam.create_group(GroupName="ops")
        iam.add_user_to_group(GroupName="ops", UserName="partial")
        iam.attach_group_policy(GroupName="ops", PolicyArn=ops_policy)
        scoped = user_with_key("scoped")
        iam.put_user_policy(
            UserName="scoped",
            PolicyName="uploads-cleanup",
            PolicyDocument=_document(
                _statement("Allow", ["iam:List*", "iam:Get*", "iam:SimulatePrincipalPolicy"]),
                _statement("Allow", ["s3:DeleteObject"], BUCKET_OBJECTS),
            ),
        )
        blind = user_with_key("blind")
        iam.put_user_policy(
            UserName="blind",
            PolicyName="uploads-cleanup",
            PolicyDocument=_document(
                _statement("Allow", ["iam:SimulatePrincipalPolicy"]),
                _statement("Allow", ["s3:DeleteObject"], BUCKET_OBJECTS),
            ),
        )

        def partition_user(name: str, region: str) -> AwsKey:
            other = boto3.client(
                "iam",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            other.create_user(UserName=name)
            other.put_user_policy(
                UserName=name, PolicyName="everything", PolicyDocument=_document(_statement("Allow", ["*"]))
            )
            made = other.create_access_key(UserName=name)["AccessKey"]
            return AwsKey(made["AccessKeyId"], made["SecretAccessKey"])

        gov = partition_user("gov-admin", "us-gov-west-1")
        china = partition_user("cn-ops", "cn-north-1")
        # From now on every request is authenticated and authorised like AWS does it.
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers=_PLAIN)
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        yield MotoServer(
            endpoint, admin, reader, deleted, role, temporary["SessionToken"], partial, scoped, blind, gov, china
        )
    finally:
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"inf", method="POST", headers=_PLAIN)
        try:
            urllib.request.urlopen(request, timeout=10).close()
        finally:
            server.stop()
            if previous is None:
                os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
            else:
                os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous


@dataclass
class IamSimulator:
    """The proxy's address and the SimulatePrincipalPolicy requests it answered (their form fields)."""

    url: str
    simulations: list[dict[str, list[str]]] = field(default_factory=list)


def _glob(pattern: str, value: str, *, fold: bool) -> bool:
    if fold:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _decision(documents: list[dict[str, Any]], action: str, resource: str) -> str:
    """IAM's evaluation for identity policies: an explicit Deny wins, then an Allow, else an implicit deny."""
    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            resources = statement.get("Resource", ["*"])
            actions = actions if isinstance(actions, list) else [actions]
            resources = resources if isinstance(resources, list) else [resources]
            if any(_glob(a, action, fold=True) for a in actions) and any(
                _glob(r, resource, fold=False) for r in resources
            ):
                if statement.get("Effect") == "Deny":
                    return "explicitDeny"
                allowed = allowed or statement.get("Effect") == "Allow"
    return "allowed" if allowed else "implicitDeny"


def _identity_documents(iam: Any, user: str) -> list[dict[str, Any]]:
    documents = []
    for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
        documents.append(iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"])
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    for group in iam.list_groups_for_user(UserName=user)["Groups"]:
        group_name = group["GroupName"]
        attached += iam.list_attached_group_policies(GroupName=group_name)["AttachedPolicies"]
        for name in iam.list_group_policies(GroupName=group_name)["PolicyNames"]:
            documents.append(iam.get_group_policy(GroupName=group_name, PolicyName=name)["PolicyDocument"])
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        got = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)
        documents.append(got["PolicyVersion"]["Document"])
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def _simulation_xml(fields: dict[str, list[str]], documents: list[dict[str, Any]]) -> bytes:
    actions = [fields[k][0] for k in sorted(fields, key=_member_order) if k.startswith("ActionNames.member.")]
    resources = [fields[k][0] for k in sorted(fields, key=_member_order) if k.startswith("ResourceArns.member.")]
    members = []
    for action in actions:
        if not resources:
            decision = _decision(documents, action, "*")
            members.append(_member(action, "*", decision, ""))
            continue
        specific = [(resource, _decision(documents, action, resource)) for resource in resources]
        overall = "allowed" if all(d == "allowed" for _, d in specific) else "implicitDeny"
        if any(d == "explicitDeny" for _, d in specific):
            overall = "explicitDeny"
        results = "".join(
            f"<member><EvalResourceName>{escape(r)}</EvalResourceName><EvalResourceDecision>{d}</EvalResourceDecision>"
            "<MatchedStatements/><MissingContextValues/></member>"
            for r, d in specific
        )
        members.append(_member(action, "*", overall, f"<ResourceSpecificResults>{results}</ResourceSpecificResults>"))
    return (
        '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
        f"<EvaluationResults>{''.join(members)}</EvaluationResults></SimulatePrincipalPolicyResult>"
        "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>"
        "</SimulatePrincipalPolicyResponse>"
    ).encode()


def _member_order(key: str) -> tuple[str, int]:
    head, _, number = key.rpartition(".")
    return head, int(number) if number.isdigit() else 0


def _member(action: str, resource: str, decision: str, extra: str) -> str:
    return (
        f"<member><EvalActionName>{escape(action)}</EvalActionName><EvalResourceName>{escape(resource)}"
        f"</EvalResourceName><EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/>"
        f"{extra}</member>"
    )


@pytest.fixture(scope="session")
def iam_simulator(moto_server: MotoServer) -> Iterator[IamSimulator]:
    boto3 = pytest.importorskip("boto3")
    iam = boto3.client(
        "iam",
        endpoint_url=moto_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=moto_server.admin.key_id,
        aws_secret_access_key=moto_server.admin.secret,
    )
    target = urlsplit(moto_server.endpoint)
    simulator = IamSimulator("")

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fields = parse_qs(body.decode("utf-8", "replace")) if body else {}
            if fields.get("Action") == ["SimulatePrincipalPolicy"]:
                simulator.simulations.append(fields)
                user = fields["PolicySourceArn"][0].rsplit("/", 1)[-1]
                self._reply(200, {"Content-Type": "text/xml"}, _simulation_xml(fields, _identity_documents(iam, user)))
                return
            connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                answer = connection.getresponse()
                payload = answer.read()
                headers = {
                    k: v
                    for k, v in answer.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")
                }
                self._reply(answer.status, headers, payload)
            finally:
                connection.close()

        def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    simulator.url = f"http://{host}:{port}"
    try:
        yield simulator
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
