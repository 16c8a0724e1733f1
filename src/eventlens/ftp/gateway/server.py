"""The FTPS gateway: listeners, TLS, spool, login and hand-off threads, and the I/O loop that runs them.

Runs in its own process (``eventlens ftp``) or as a thread of ``eventlens serve``; it has its own
pyftpdlib I/O loop either way (never the process-wide singleton), so several can live in one process.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from eventlens.config import Settings
from eventlens.ftp import derived
from eventlens.ftp.gateway.authorizer import ApiAuthorizer
from eventlens.ftp.gateway.handler import GatewayHandler, ImplicitGatewayHandler, Runtime
from eventlens.ftp.gateway.handoff import Handoff, Outbox, Poster
from eventlens.ftp.gateway.tls import TlsFiles, ensure_certificate, make_context

log = logging.getLogger("eventlens.ftp.gateway")

LOOP_TICK = 0.05  # longest the loop sleeps, so stop() and scheduled calls are never late by more
REPORT_SECONDS = 60.0  # how often files waiting for the API (or set aside) are reported in the log


class GatewayError(Exception):
    """The gateway cannot start (port taken, spool in use, certificate missing, bad setting)."""


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        api_url: str | None = None,
        auth_failed_delay: float = 1.0,
        handoff_threads: int = 4,
        login_threads: int = 8,
    ) -> None:
        self.settings = settings
        self.api_url = api_url or derived.api_url(settings)
        ftp_dir = settings.data_dir.resolve() / "ftp"
        spool = ftp_dir / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        self._lock_file = _lock(spool / ".lock")
        try:
            try:
                passive = derived.passive_ports(settings.ftp_passive_ports)
            except ValueError as exc:
                raise GatewayError(str(exc)) from None
            names = [derived.public_host(settings), settings.ftp_masquerade_address or "", "localhost"]
            try:
                self.tls: TlsFiles = ensure_certificate(
                    ftp_dir, settings.ftp_cert_file, settings.ftp_key_file, names
                )
            except (OSError, ValueError) as exc:
                raise GatewayError(f"FTPS certificate: {exc}") from exc
            sessions_dir = spool / "sessions"
            # Sessions of a previous run: their files were either handed off (the outbox has its own
            # links) or never finished; nothing in them is owed to anyone.
            shutil.rmtree(sessions_dir, ignore_errors=True)
            sessions_dir.mkdir()
            token = derived.service_token(settings)
            self.handoff = Handoff(
                Outbox(spool / "outbox"), Poster(self.api_url, token), threads=handoff_threads
            )
            self._logins = ThreadPoolExecutor(login_threads, thread_name_prefix="ftp-login")
            self.runtime = Runtime(
                authorizer=ApiAuthorizer(self.api_url, token),
                logins=self._logins,
                handoff=self.handoff,
                sessions_dir=sessions_dir,
                max_bytes=settings.max_upload_mb * 1024 * 1024,
                answer_timeout=settings.ftp_answer_timeout,
            )
            self.handoff.on_done = self.runtime.item_done
            plain = settings.ftp_allow_plain
            attrs: dict[str, Any] = {
                "runtime": self.runtime,
                "authorizer": self.runtime.authorizer,
                "ssl_context": make_context(self.tls),
                "data_ssl_context": make_context(self.tls, data_channel=True),
                "passive_ports": passive,
                "masquerade_address": settings.ftp_masquerade_address or None,
                "auth_failed_timeout": auth_failed_delay,
                "tls_control_required": not plain,
                "tls_data_required": not plain,
            }
            self.ioloop = IOLoop()
            host = derived.listen_host(settings)
            explicit = type("EventLensFTPHandler", (GatewayHandler,), attrs)
            self.servers = [self._listen(host, settings.ftp_port, explicit)]
            if settings.ftp_implicit_port is not None:
                implicit = type("EventLensImplicitFTPHandler", (ImplicitGatewayHandler,), attrs)
                self.servers.append(self._listen(host, settings.ftp_implicit_port, implicit))
        except BaseException:
            self._release()
            raise
        if plain:
            log.warning(
                "ftp.plain_allowed: cameras may log in and upload WITHOUT encryption "
                "(EVENTLENS_FTP_ALLOW_PLAIN=true); passwords and photos can be read on the network"
            )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _listen(self, host: str, port: int, handler: type) -> FTPServer:
        try:
            return FTPServer((host, port), handler, ioloop=self.ioloop)
        except OSError as exc:
            self.ioloop.close()
            raise GatewayError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    @property
    def address(self) -> tuple[str, int]:
        """Where explicit FTPS listens (the real port, also when 0 was asked for)."""
        host, port = self.servers[0].address
        return str(host), int(port)

    @property
    def implicit_address(self) -> tuple[str, int] | None:
        if len(self.servers) < 2:
            return None
        host, port = self.servers[1].address
        return str(host), int(port)

    def status(self) -> dict[str, int]:
        """The hand-off's counts since start and what the spool holds (see Handoff.status)."""
        return self.handoff.status()

    def report(self) -> None:
        """A log line while files wait for the API or were set aside after a refusal."""
        status = self.status()
        if status["waiting"] or status["set_aside_files"]:
            log.warning(
                "ftp.spool_status waiting=%d set_aside_files=%d (in %s) accepted=%d refused=%d kept=%d",
                status["waiting"],
                status["set_aside_files"],
                self.handoff.refused_dir,
                status["accepted"],
                status["refused"],
                status["kept"],
            )

    def describe(self) -> str:
        host, port = self.address
        text = f"FTPS gateway on {host}:{port} (explicit FTPS"
        if self.implicit_address:
            text += f", implicit on port {self.implicit_address[1]}"
        text += f"), photos go to {self.api_url}\n  certificate {self.tls.cert}"
        text += " (made now, self-signed)" if self.tls.generated else ""
        return text + f"\n  SHA-256 fingerprint {self.tls.fingerprint}"

    def serve_forever(self) -> None:
        """Run until :meth:`stop` (from any thread). Files still queued stay in the outbox."""
        self.handoff.start()
        self.ioloop.call_every(0.5, self.runtime.drain_released)
        self.ioloop.call_every(REPORT_SECONDS, self.report)
        host, port = self.address
        log.info("ftp.gateway_started address=%s:%s fingerprint=%s", host, port, self.tls.fingerprint)
        try:
            timeout = LOOP_TICK
            while not self._stop.is_set():
                soonest = self.ioloop.loop(timeout, blocking=False)
                timeout = LOOP_TICK if soonest is None else max(0.0, min(LOOP_TICK, soonest))
        finally:
            self._shutdown()

    def start(self) -> threading.Thread:
        """Serve in a background thread (``serve`` and tests)."""
        self._thread = threading.Thread(target=self.serve_forever, name="ftp-gateway", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _shutdown(self) -> None:
        # Close every connection ourselves, then run the disconnect callbacks this schedules (they end
        # the sessions: files under temporary names go to the outbox) before the loop is torn down.
        for channel in list(self.ioloop.socket_map.values()):
            try:
                channel.close()
            except Exception:
                log.exception("ftp.close_failed")
        self.ioloop.sched.poll()
        self.ioloop.close()
        self.handoff.stop()
        self._logins.shutdown(wait=False, cancel_futures=True)
        self._release()
        log.info("ftp.gateway_stopped")

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None


def _lock(path: Path) -> IO[str] | None:
    """One gateway per spool: two would each resend the other's outbox."""
    f = path.open("a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise GatewayError(
            f"another FTPS gateway already uses {path.parent} (each needs its own EVENTLENS_DATA_DIR)"
        ) from None
    return f
