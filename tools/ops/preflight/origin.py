"""Does the legacy origin answer HTTPS the way CloudFront and API Gateway will call it?

Both call ``https://<legacy_origin_domain>:443`` (HTTPS only, TLS 1.2 or later) and accept
only a certificate from a public CA that covers that name. The probe does the same three
steps with short timeouts: resolve the name, complete a verified TLS handshake (SNI and
hostname check for the configured domain), and read one HTTP response; any status counts,
since the question is whether something answers, not what ``GET /`` returns.

The trust store is the machine's (Python's default, which honours ``SSL_CERT_FILE``); CloudFront
trusts the Mozilla CA list, which matches common system stores but is not the same file.
``connect_to`` sends the connection elsewhere while keeping SNI, the hostname check and the
``Host`` header (like ``curl --connect-to``): to try a new server before DNS points at it.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from tools.ops.preflight.report import Result, failed, passed

CHECK = "legacy origin"
HTTPS_PORT = 443


@dataclass(frozen=True)
class ConnectTo:
    """``HOST:PORT:TARGET_HOST:TARGET_PORT``: connections to HOST:PORT go to the target."""

    host: str
    port: int
    target_host: str
    target_port: int

    @classmethod
    def parse(cls, text: str) -> ConnectTo:
        parts = text.rsplit(":", 3)
        if len(parts) != 4 or not all(parts) or not (parts[1].isdigit() and parts[3].isdigit()):
            raise ValueError(f"{text!r} is not HOST:PORT:TARGET_HOST:TARGET_PORT")
        return cls(parts[0], int(parts[1]), parts[2], int(parts[3]))


def probe_origin(
    domain: str, *, connect_to: ConnectTo | None = None, timeout: float = 5.0
) -> Result:
    host, port = domain, HTTPS_PORT
    if connect_to is not None and (connect_to.host, connect_to.port) == (domain, HTTPS_PORT):
        host, port = connect_to.target_host, connect_to.target_port
    where = domain if host == domain else f"{domain} (via {host}:{port})"
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        return failed(
            CHECK,
            f"{host} does not resolve ({error})",
            f"publish a DNS record for {host}, or set compute.legacy_origin_domain to the "
            "name the legacy backend answers on",
        )
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # CloudFront's origin policy here
    pool = urllib3.HTTPSConnectionPool(
        host,
        port,
        server_hostname=domain,
        assert_hostname=domain,
        ssl_context=context,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=False,
        maxsize=1,
    )
    try:
        response = pool.request(
            "GET", "/", headers={"Host": domain}, redirect=False, preload_content=False
        )
        status = response.status
        response.release_conn()
    except SSLError as error:
        return failed(
            CHECK,
            f"{where}: TLS handshake failed ({_reason(error)})",
            f"serve a certificate for {domain} from a public CA (CloudFront and API Gateway "
            "reject self-signed or mismatched ones), TLS 1.2 or later",
        )
    except (ConnectTimeoutError, NewConnectionError, NameResolutionError) as error:
        return failed(
            CHECK,
            f"{where}: nothing answers on port {port} ({_reason(error)})",
            f"open TCP {port} to the internet (CloudFront and API Gateway call from AWS "
            "address ranges) and serve HTTPS there",
        )
    except (ReadTimeoutError, ProtocolError) as error:
        return failed(
            CHECK,
            f"{where}: TLS works but no HTTP response within {timeout:g} s ({_reason(error)})",
            "make the legacy backend answer HTTP requests on its HTTPS port",
        )
    finally:
        pool.close()
    return passed(CHECK, f"{where} answers HTTPS (HTTP {status}, certificate valid for {domain})")


def _reason(error: Exception) -> str:
    """The innermost cause in one line (urllib3 wraps the ssl/socket error)."""
    cause: BaseException = error
    while getattr(cause, "reason", None) is not None and cause is not cause.reason:  # type: ignore[attr-defined]
        cause = cause.reason  # type: ignore[attr-defined]
    while cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return text[:200]
