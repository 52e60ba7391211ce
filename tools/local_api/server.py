"""The HTTP front of the local API (standard library server, one thread per connection)."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tools.local_api.gateway import API_GATEWAY_MAX_BODY, LocalGateway

logger = logging.getLogger("taskly.local.http")


def make_server(gateway: LocalGateway, *, host: str, port: int) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TasklyLocalGateway"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > API_GATEWAY_MAX_BODY:
                self.send_error(413, "Request Entity Too Large")
                return
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            response = gateway.handle(
                method=self.command,
                raw_path=url.path,
                raw_query=url.query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, value)
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
