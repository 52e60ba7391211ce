"""The HTTP front of the local API (standard library server, one thread per connection).

``make local`` serves the gateway twice: on the main port through a stand-in for CloudFront,
which adds the ``x-origin-verify`` origin header like the edge stack's distribution does, and
optionally on a "direct" port without it, like a client calling the public execute-api URL
(every route but health answers 403 there).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tools.local.api.gateway import (
    API_GATEWAY_MAX_BODY,
    GatewayResponse,
    LocalGateway,
    payload_too_large,
)

logger = logging.getLogger("taskly.local.http")
# Oversized bodies up to this size are read (and dropped) before the 413; larger ones are not.
_DRAIN_LIMIT = 4 * API_GATEWAY_MAX_BODY


@dataclass(frozen=True)
class OriginHeader:
    """A CloudFront origin custom header: added to every request, replacing a viewer's own."""

    name: str
    value: str

    def apply(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        kept = [(name, value) for name, value in headers if name.lower() != self.name.lower()]
        return [*kept, (self.name, self.value)]


def make_server(
    gateway: LocalGateway, *, host: str, port: int, origin_header: OriginHeader | None = None
) -> ThreadingHTTPServer:
    """An HTTP server for ``gateway``; with ``origin_header``, it plays CloudFront in front."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TasklyLocalGateway"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > API_GATEWAY_MAX_BODY:
                self._refuse_oversized(length)
                return
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            headers = list(self.headers.items())
            if origin_header is not None:
                headers = origin_header.apply(headers)
            response = gateway.handle(
                method=self.command,
                raw_path=url.path,
                raw_query=url.query,
                headers=headers,
                body=body,
                source_ip=self.client_address[0],
            )
            self._send(response)

        def _refuse_oversized(self, length: int) -> None:
            """API Gateway's JSON 413, after reading the body a client is still sending.

            Answering and closing while a client (or the local edge, which streams the body on)
            is still writing makes its next write fail (EPIPE) before it reads the 413. Bodies
            past a few times the limit are not read: the connection closes instead.
            """
            if length <= _DRAIN_LIMIT:
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True
            self._send(payload_too_large())

        def _send(self, response: GatewayResponse) -> None:
            self.send_response(response.status)
            # Like every HTTP API answer; tells "API Gateway answered" from "legacy answered".
            self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
            for name, value in response.headers:
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, value)
            if self.close_connection:
                self.send_header("connection", "close")
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        # BaseHTTPRequestHandler dispatches to do_<METHOD>: the names are the stdlib's.
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _serve  # noqa: N815

        def __getattr__(self, name: str) -> object:
            # Every method reaches the gateway (API Gateway has no 501): QUERY, PROPFIND, ...
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: object) -> None:
            logger.info("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server
