"""AWS calls for the probe client: boto3 clients held to the provider's declared read RPCs and hosts.

The guard runs twice: before credscope asks botocore for a call, and inside botocore's own `before-call` and
`before-send` events, so not even a retry or a redirect can send an undeclared operation or leave the hosts.
No AWS config or credentials file is read: only the key under test is used.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from credscope.probes.base import ProbeFailure
from credscope.probes.guard import GuardRefusal

if TYPE_CHECKING:
    from credscope.probes.client import ProviderSession

# AWS partitions: each has its own STS and IAM endpoints, and a key is valid in exactly one of them. A GovCloud or
# China key sent to the global endpoint is "InvalidClientTokenId" there: it must be asked in its own partition.
PARTITIONS: dict[str, tuple[str, dict[str, str]]] = {
    "aws": ("us-east-1", {"sts": "https://sts.amazonaws.com", "iam": "https://iam.amazonaws.com"}),
    "aws-us-gov": (
        "us-gov-west-1",
        {"sts": "https://sts.us-gov-west-1.amazonaws.com", "iam": "https://iam.us-gov.amazonaws.com"},
    ),
    "aws-cn": (
        "cn-north-1",
        {"sts": "https://sts.cn-north-1.amazonaws.com.cn", "iam": "https://iam.cn-north-1.amazonaws.com.cn"},
    ),
}


class AwsError(Exception):
    """AWS answered with an error: its code (AccessDenied, InvalidClientTokenId, ...) and HTTP status."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status


class AwsSession:
    def __init__(
        self,
        session: ProviderSession,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None,
        partition: str = "aws",
    ) -> None:
        self._session = session
        self._keys = (access_key_id, secret_access_key, session_token)
        self._clients: dict[str, Any] = {}
        self.partition = partition
        self.region, self._endpoints = PARTITIONS[partition]

    def endpoint_url(self, service: str) -> str:
        endpoint = self._session.endpoint
        if endpoint is not None and endpoint.overridden_by is not None:
            return f"{endpoint.origin}{endpoint.prefix}"  # one test endpoint for every partition (moto: by region)
        return self._endpoints.get(service, f"https://{service}.amazonaws.com")

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One declared read RPC, e.g. call("sts", "GetCallerIdentity"); AWS errors come back as AwsError."""
        from botocore import xform_name  # noqa: PLC0415 - only with --verify
        from botocore.exceptions import (  # noqa: PLC0415
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            ReadTimeoutError,
        )
        from botocore.parsers import ResponseParserError  # noqa: PLC0415

        name = f"{service}:{operation}"
        url = self.endpoint_url(service)
        guard = self._session.guard
        try:
            host = guard.check_url(url)
            guard.check_rpc(name)
        except GuardRefusal:
            self._session.record("RPC", urlsplit(url).netloc, name, "refused")
            raise
        client = self._client(service, url)
        method = getattr(client, xform_name(operation))
        deadline = time.monotonic() + self._session.settings.timeout
        try:
            with self._session.throttle.slot(deadline):
                answer: dict[str, Any] = method(**params)
        except GuardRefusal:
            self._session.record("RPC", host, name, "refused")
            raise
        except ClientError as error:
            response: dict[str, Any] = error.response
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            self._session.record("RPC", host, name, str(status))
            code = str(response.get("Error", {}).get("Code", "Unknown"))
            raise AwsError(code, status, str(response.get("Error", {}).get("Message", ""))) from None
        except (ConnectTimeoutError, ReadTimeoutError):
            self._session.record("RPC", host, name, "timeout")
            raise ProbeFailure(f"timeout: no answer from AWS within {self._session.settings.timeout:g}s") from None
        except ResponseParserError:
            # What a server that lacks the operation sends back (moto: an HTML 500 page).
            self._session.record("RPC", host, name, "unreadable-answer")
            raise ProbeFailure(f"{name}: the endpoint's answer could not be read (not implemented there?)") from None
        except BotoCoreError as error:
            self._session.record("RPC", host, name, "network-error")
            raise ProbeFailure(f"network error: {type(error).__name__}") from None
        status = int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode", 200))
        self._session.record("RPC", host, name, str(status))
        return answer

    def _client(self, service: str, url: str) -> Any:
        if service in self._clients:
            return self._clients[service]
        import botocore.session  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        from credscope.probes.client import USER_AGENT  # noqa: PLC0415

        core = botocore.session.Session()
        # Never the user's ~/.aws files: the key under test is the only credential.
        core.set_config_variable("config_file", os.devnull)
        core.set_config_variable("credentials_file", os.devnull)
        timeout = self._session.settings.timeout
        config = Config(
            region_name=self.region,
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 1 + self._session.settings.max_retries, "mode": "standard"},
            user_agent_extra=USER_AGENT,
        )
        key_id, secret, token = self._keys
        client = core.create_client(
            service,
            region_name=self.region,
            endpoint_url=url,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=config,
        )
        client.meta.events.register("before-call", self._before_call(service))
        client.meta.events.register("before-send", self._before_send)
        self._clients[service] = client
        return client

    def _before_call(self, service: str) -> Any:
        guard = self._session.guard

        def check(model: Any, **_: Any) -> None:
            guard.check_rpc(f"{service}:{model.name}")

        return check

    def _before_send(self, request: Any, **_: Any) -> None:
        self._session.guard.check_url(str(request.url))
