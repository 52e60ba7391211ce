"""Preflight fixtures: an emulated account over HTTP, a real TLS legacy origin, stubs.

Every server here listens on 127.0.0.1 and is stopped by the fixture that started it.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber

from tests.preflight.moto_account import ACCOUNT, REGION, MotoAccount
from tests.preflight.tls_origin import LEGACY, Origin
from tools.ops.preflight.cli import main

PREFLIGHT_TESTS = Path(__file__).resolve().parent
SENDER_DOMAIN = "taskly.test"
# Real-looking values for every field that ships as a placeholder (dev stage).
READY_CONTEXT = (
    "-c",
    f"taskly:compute.legacy_origin_domain={LEGACY}",
    "-c",
    f"taskly:compute.sender_email=no-reply@{SENDER_DOMAIN}",
    "-c",
    f"taskly:compute.ses_identity={SENDER_DOMAIN}",
    "-c",
    'taskly:ops.alarm_emails=["oncall@taskly.test"]',
    "-c",
    'taskly:auth.callback_urls=["http://localhost:5173/callback","https://app.taskly.test/callback"]',
    "-c",
    'taskly:auth.logout_urls=["http://localhost:5173/","https://app.taskly.test/"]',
    "-c",
    "taskly:network.nat_instance_ami=ami-0123456789abcdef0",
    # The sender's domain, verified before (moto_account.ready), used by its ARN.
    "-c",
    f"taskly:compute.ses_identity=arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SENDER_DOMAIN}",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Sockets may reach this machine only (moto, the TLS origin); never AWS.
    for item in items:
        if PREFLIGHT_TESTS in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.allow_hosts(["127.0.0.1", "::1"]))


FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region so boto3 never looks further (no IMDS, no profile)."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names other than localhost do not resolve in-process: a lookup would leave the machine.

    (pytest-socket guards connections, not the C resolver.) Subprocess runs avoid lookups by
    probing the legacy origin with --connect-to localhost, or by leaving it a placeholder.
    """
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOCAL_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


_SHARED_LOADER = botocore.loaders.create_loader()


@pytest.fixture(autouse=True)
def _shared_service_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """One botocore model loader for all in-process runs: each run builds a new session, and
    parsing the service models again (SES v2's alone takes a second) would dominate the suite."""
    monkeypatch.setattr(botocore.session, "create_loader", lambda *_: _SHARED_LOADER)


@pytest.fixture(scope="session")
def moto_account() -> Iterator[MotoAccount]:
    account = MotoAccount()
    yield account
    account.stop()


@pytest.fixture
def account(moto_account: MotoAccount) -> MotoAccount:
    moto_account.reset()
    return moto_account


@dataclass
class Run:
    code: int
    out: str
    err: str

    def line(self, check: str) -> str:
        """The checklist line of ``check`` (the first one when a check has several)."""
        for line in self.out.splitlines():
            if line[2:].startswith(check + " "):
                return line
        raise AssertionError(f"no line for {check!r} in:\n{self.out}")

    def fix(self, check: str) -> str:
        """The fix lines under ``check``'s line."""
        lines = self.out.splitlines()
        start = lines.index(self.line(check)) + 1
        fixes = []
        for line in lines[start:]:
            if not line.startswith("   ") or "fix:" not in line:
                break
            fixes.append(line.split("fix: ", 1)[1])
        return "\n".join(fixes)


Stubs = dict[str, list[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]]]


def stub_hook(stubs: Stubs, errors: dict[str, tuple[str, str, str]] | None = None) -> Any:
    """A client hook that answers the named services' operations from a botocore Stubber.

    ``stubs``: service -> [(operation, response[, expected params])]; ``errors``: service ->
    (operation, error code, message). Other services go to the emulator unchanged.
    """
    errors = errors or {}

    def hook(service: str, client: Any) -> Any:
        if service not in stubs and service not in errors:
            return client
        stubber = Stubber(client)
        for entry in stubs.get(service, []):
            operation, response, *params = entry
            stubber.add_response(operation, response, params[0] if params else None)
        if service in errors:
            operation, code, message = errors[service]
            stubber.add_client_error(operation, service_error_code=code, service_message=message)
        stubber.activate()
        return client

    return hook


@pytest.fixture
def preflight(account: MotoAccount) -> Callable[..., Run]:
    """Run the CLI in-process against the emulated account, like `make preflight` does."""

    def run(*argv: str, hook: Any = None, stage: str = "dev") -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["--stage", stage, "--endpoint-url", account.endpoint, *argv],
            hook=hook,
            out=out,
            err=err,
        )
        return Run(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def legacy_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origin]:
    """A real HTTPS server for LEGACY on 127.0.0.1, its certificate from a test CA."""
    directory = tmp_path_factory.mktemp("origin")
    origin = Origin(directory)
    yield origin
    origin.stop()


@pytest.fixture
def trusted_origin(legacy_origin: Origin, monkeypatch: pytest.MonkeyPatch) -> Origin:
    """The origin, with the test CA as the trust store (as if a public CA had issued it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(legacy_origin.ca))
    return legacy_origin
