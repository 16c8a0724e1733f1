"""The app served by uvicorn on a real socket, in a thread of the test process, with its job consumer.

It shares the test's database and object store, so a test can click through pages (or stream
events) and also look at what landed.
"""

from __future__ import annotations

import threading
import time

import uvicorn

from eventlens.app import create_app
from eventlens.config import Settings
from tests.support.processes import free_port


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings.model_copy(update={"base_url": self.url}), run_jobs=True)
        proxies = settings.trusted_proxies.strip()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            # as `eventlens serve` does: X-Forwarded-For only from the configured proxies
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive(), "the live server stopped while starting"
            assert time.monotonic() < deadline, "the live server did not start within 30 s"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
