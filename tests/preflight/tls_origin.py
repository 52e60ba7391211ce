"""A stand-in legacy origin: a real HTTPS server on 127.0.0.1 with a certificate from a test CA.

The CA and the certificate come from tools/local/db/certs.py (made at run time, valid for a
day). Only processes told to trust the CA through ``SSL_CERT_FILE`` do, as if a public CA had
issued the certificate.
"""

from __future__ import annotations

import http.server
import ssl
import threading
from pathlib import Path

from tools.local.db.certs import TlsFiles, write_server_tls

LEGACY = "legacy.taskly.test"


def certificate_for(name: str, directory: Path) -> TlsFiles:
    """A certificate for ``name`` (wildcards allowed), its key and the CA that signed it."""
    return write_server_tls(directory, names=(name,))


class _Legacy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"legacy\n"
        self.send_response(404 if self.path == "/" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class Origin:
    """The HTTPS server for ``name`` in a thread; ``stop()`` shuts it down."""

    def __init__(self, directory: Path, name: str = LEGACY) -> None:
        files = certificate_for(name, directory)
        self.ca = files.ca_file
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Legacy)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.cert_file, files.key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def connect_to(self, name: str = LEGACY) -> tuple[str, str]:
        return ("--connect-to", f"{name}:443:localhost:{self.port}")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
