"""The network between the cluster's processes, with faults on demand (used by bench/cluster.py).

- ``Proxy``: a TCP proxy in front of one server (PostgreSQL). ``outage(seconds)`` cuts every open
  connection and refuses new ones for a while, as a database restart does, without touching the
  machine's shared PostgreSQL that other programs use.
- ``Balancer``: a TCP load balancer over several api processes, round robin; a backend that refuses
  the connection is skipped for the next one, as nginx's ``proxy_next_upstream error`` does. A request
  already sent to a process that dies is not retried (it was in flight).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from contextlib import suppress


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class _Listener:
    """Accepts on a free loopback port and hands each client to ``_serve`` in a thread."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        raise NotImplementedError

    def _join(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            self._open.update((client, upstream))
        try:
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            _pump(client, upstream)
            back.join()
        finally:
            with self._lock:
                self._open.difference_update((client, upstream))
            client.close()
            upstream.close()

    def cut_all(self) -> int:
        with self._lock:
            doomed = list(self._open)
        for s in doomed:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        return len(doomed) // 2

    def close(self) -> None:
        self._closed = True
        self._sock.close()
        self.cut_all()


class Proxy(_Listener):
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._refuse_until = 0.0
        super().__init__()

    def outage(self, seconds: float) -> int:
        """Cut every connection and refuse new ones for ``seconds``; returns how many were cut."""
        self._refuse_until = time.monotonic() + seconds
        return self.cut_all()

    def _serve(self, client: socket.socket) -> None:
        if time.monotonic() < self._refuse_until:
            client.close()  # the server is "restarting"
            return
        try:
            upstream = socket.create_connection(self._target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        self._join(client, upstream)


class Balancer(_Listener):
    def __init__(self, backends: list[int]) -> None:
        self._backends = backends
        self._next = itertools.cycle(range(len(backends)))
        super().__init__()

    def _serve(self, client: socket.socket) -> None:
        for _ in range(len(self._backends)):
            port = self._backends[next(self._next)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
                upstream.settimeout(None)
            except OSError:
                continue  # down or restarting: the next one
            self._join(client, upstream)
            return
        client.close()
