"""moto's real server (server mode, in a thread) on 127.0.0.1, with IAM authentication switched on.

Users: `admin` (AdministratorAccess), `auditor` (ReadOnlyAccess, through a group), and `departed`, whose
access key was deleted. Keys come from moto at run time; none is written anywhere.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

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
        # From now on every request is authenticated and authorised like AWS does it.
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers=_PLAIN)
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        yield MotoServer(endpoint, admin, reader, deleted, role, temporary["SessionToken"])
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
