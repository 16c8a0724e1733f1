"""A real webhook receiver: an HTTP server in a thread that verifies each message with ``standardwebhooks``.

It answers the statuses it is given in turn (then 204), and keeps what arrived for the test to read.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the parsed payload when the signature checked out
    error: str | None = None


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)  # statuses to answer first, in order
    secret: str | None = None  # verify with this (set once the endpoint is made)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                item = Received(dict(self.headers.items()), body)
                if outer.secret:
                    try:
                        item.verified = Webhook(outer.secret).verify(body, item.headers)
                    except WebhookVerificationError as exc:
                        item.error = str(exc)
                outer.received.append(item)
                status = outer.answers.pop(0) if outer.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/eventlens?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        return [json.loads(r.body)["type"] for r in self.received]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} deliveries arrived"
            time.sleep(0.05)
        return self.received
