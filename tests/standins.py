"""Local stand-ins for the HTTP services we call: Twilio's REST API, webhook receivers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.dbserver import free_port

# (path, raw body, headers) -> (status, JSON payload)
Responder = Callable[[str, bytes, dict[str, str]], tuple[int, dict]]


class Received(list):
    """What a stand-in was sent: (path, raw body, headers), in order."""


@contextmanager
def standin(respond: Responder) -> Iterator[tuple[str, Received]]:
    """An HTTP server on loopback answering every POST with `respond`; yields (url, received)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append((self.path, body, headers))
            status, payload = respond(self.path, body, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(payload).encode())

        def do_DELETE(self):  # noqa: N802 - http.server's naming
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append(("DELETE " + self.path, b"", headers))
            status, payload = respond("DELETE " + self.path, b"", headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if status != 204:
                self.wfile.write(json.dumps(payload).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def twilio_responder(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """Twilio's REST API: 201 with a sid, or 400 for the number +15550000000."""
    if b"15550000000" in body:
        return 400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
    prefix = "SM" if path.endswith("/Messages.json") else "CA"
    return 201, {"sid": prefix + "f" * 32, "status": "queued"}


def form_of(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode())
