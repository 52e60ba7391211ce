"""An emulated AWS account for preflight: a moto server on localhost, over real HTTP.

moto 5.2 has no Lambda ``GetAccountSettings``, no SES v2 ``GetAccount`` and answers DocumentDB's
``DescribeOrderableDBInstanceOptions`` with an empty list (it implements the call for Aurora
PostgreSQL and Neptune only). For runs of the real CLI in another process, where a botocore
Stubber cannot reach, ``MissingApis`` answers those three operations in front of moto with
the documented AWS response (wire format included: REST-JSON for the first two, RDS query XML
for the third). What it does not prove: how the real services fill those responses for a
given account (limits, sandbox state, offered zones), and that the caller has permission.

``python -m tests.preflight.moto_account`` starts a ready account and a legacy origin and
prints how to point ``make preflight`` at them (Ctrl-C stops both).
"""

from __future__ import annotations

import io
import json
import logging
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import requests
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from tests.preflight.tls_origin import LEGACY, Origin

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
# moto accepts any signature; explicit keys keep the account independent of the caller's
# environment (no credentials at all, or real ones that must never reach it).
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
QUALIFIER = "hnb659fds"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class AccountState:
    """What the three stand-in operations answer; off (moto's own answer) unless enabled."""

    enabled: bool = False
    concurrency_limit: int = 1000
    unreserved_concurrency: int = 1000
    production_access: bool = True
    docdb_zones: tuple[str, ...] = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    calls: list[str] = field(default_factory=list)


def _docdb_xml(zones: Iterable[str]) -> str:
    zone_xml = "".join(f"<AvailabilityZone><Name>{z}</Name></AvailabilityZone>" for z in zones)
    options = (
        "<OrderableDBInstanceOption><Engine>docdb</Engine><EngineVersion>5.0.0</EngineVersion>"
        "<DBInstanceClass>db.serverless</DBInstanceClass><LicenseModel>na</LicenseModel>"
        f"<AvailabilityZones>{zone_xml}</AvailabilityZones><Vpc>true</Vpc>"
        "</OrderableDBInstanceOption>"
        if zone_xml
        else ""
    )
    return (
        '<DescribeOrderableDBInstanceOptionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
        "<DescribeOrderableDBInstanceOptionsResult>"
        f"<OrderableDBInstanceOptions>{options}</OrderableDBInstanceOptions>"
        "</DescribeOrderableDBInstanceOptionsResult>"
        "<ResponseMetadata><RequestId>preflight-docdb</RequestId></ResponseMetadata>"
        "</DescribeOrderableDBInstanceOptionsResponse>"
    )


class MissingApis:
    """WSGI middleware: the three operations moto lacks, everything else to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]], state: AccountState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.state.enabled:
            return self.app(environ, start_response)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "GET" and path.rstrip("/") == "/2016-08-19/account-settings":
            self.state.calls.append("lambda:GetAccountSettings")
            body = {
                "AccountLimit": {
                    "TotalCodeSize": 80530636800,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": self.state.concurrency_limit,
                    "UnreservedConcurrentExecutions": self.state.unreserved_concurrency,
                },
                "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
            }
            return self._reply(start_response, "application/json", json.dumps(body))
        if method == "GET" and path == "/v2/email/account":
            self.state.calls.append("sesv2:GetAccount")
            body = {
                "DedicatedIpAutoWarmupEnabled": False,
                "EnforcementStatus": "HEALTHY",
                "ProductionAccessEnabled": self.state.production_access,
                "SendQuota": {
                    "Max24HourSend": 50000.0 if self.state.production_access else 200.0,
                    "MaxSendRate": 14.0 if self.state.production_access else 1.0,
                    "SentLast24Hours": 0.0,
                },
                "SendingEnabled": True,
            }
            return self._reply(start_response, "application/json", json.dumps(body))
        if method == "POST" and path == "/":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(raw)
            form = parse_qs(raw.decode("utf-8", "replace"))
            if form.get("Action") == ["DescribeOrderableDBInstanceOptions"] and form.get(
                "Engine"
            ) == ["docdb"]:
                self.state.calls.append("docdb:DescribeOrderableDBInstanceOptions")
                return self._reply(start_response, "text/xml", _docdb_xml(self.state.docdb_zones))
        return self.app(environ, start_response)

    @staticmethod
    def _reply(start_response: StartResponse, content_type: str, body: str) -> list[bytes]:
        data = body.encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(data))),
                ("x-amzn-RequestId", "preflight-stand-in"),
            ],
        )
        return [data]


class MotoAccount:
    """A moto server with the stand-ins on 127.0.0.1 (ephemeral port), in a thread."""

    def __init__(self) -> None:
        self.state = AccountState()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._app = MissingApis(DomainDispatcherApplication(create_backend_app), self.state)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        # localhost, not 127.0.0.1: moto reads the first host label of some services as a name.
        self.endpoint = f"http://localhost:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget every resource and go back to the default stand-in answers."""
        self.state = AccountState()
        self._app.state = self.state
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **CREDENTIALS)

    def environment(self) -> dict[str, str]:
        """What a process needs to use this account: endpoint, region and the dummy keys."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def bootstrap(
    account: MotoAccount,
    *,
    qualifier: str = QUALIFIER,
    version: int = 30,
    stack_name: str = "CDKToolkit",
) -> None:
    """What `cdk bootstrap` leaves: the stack with its Qualifier and version, the SSM version."""
    template = {
        "Parameters": {"Qualifier": {"Type": "String"}},
        "Resources": {"StagingBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {"BootstrapVersion": {"Value": str(version)}},
    }
    account.client("ssm").put_parameter(
        Name=f"/cdk-bootstrap/{qualifier}/version", Value=str(version), Type="String"
    )
    account.client("cloudformation").create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Qualifier", "ParameterValue": qualifier}],
    )


def ready(account: MotoAccount, *, sender_domain: str) -> None:
    """Everything a first deploy of dev needs: bootstrapped, sender domain verified."""
    bootstrap(account)
    account.client("ses").verify_domain_identity(Domain=sender_domain)


def demo() -> None:
    """A ready dev account and legacy origin for trying `make preflight` by hand.

    Ctrl-C or SIGTERM stops both and removes the temporary directory (the origin's CA).
    """
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background (ignored)
    with tempfile.TemporaryDirectory(prefix="preflight-demo-") as temporary:
        origin = Origin(Path(temporary))
        account = MotoAccount()
        try:
            account.state.enabled = True
            ready(account, sender_domain="taskly.test")
            exports = " ".join(
                f"{name}={value}"
                for name, value in {"SSL_CERT_FILE": origin.ca, **account.environment()}.items()
            )
            print(
                f"moto account {ACCOUNT} ({REGION}) on {account.endpoint}, legacy origin "
                f"https://{LEGACY} on localhost:{origin.port}; Ctrl-C stops both\n"
                f"export {exports}\n"
                f"PREFLIGHT_ARGS='--connect-to {LEGACY}:443:localhost:{origin.port}'",
                flush=True,
            )
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            account.stop()
            origin.stop()


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    demo()
