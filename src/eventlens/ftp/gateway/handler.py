"""pyftpdlib's FTPS handler, narrowed to what a camera needs: log in, make folders, upload, rename, list.

Nothing here blocks the I/O loop that serves every connection: the login's HTTP call runs in a thread
pool (the channel stops reading meanwhile, as pyftpdlib itself does after a failed login), and a
finished file gets a quick look (size, first bytes) and a hard link into the outbox; the hand-off
threads send it to the API while the connection waits for their answer (polled from the loop).

A 226 (or a rename's 250) means the photo is safe: the API took it, or the API could not be asked (or
did not answer within ``answer_timeout``) and the file stays in the spool, sent again until it is
taken. A file the API refuses gets the 55x reply built from the API's reason instead, and is deleted.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from OpenSSL import SSL
from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.log import logger as ftp_logger
from pyftpdlib.utils import is_ssl_sock

from eventlens.ftp.gateway.authorizer import ApiAuthorizer, Login, LoginRefused
from eventlens.ftp.gateway.handoff import Answer, Handoff, Item, Outcome
from eventlens.ftp.gateway.session import UploadSession, has_final_name
from eventlens.ftp.gateway.spoolfs import SpoolFS, make_placeholder
from eventlens.photos.errors import IngestError, format_bytes
from eventlens.photos.imaging import sniff_bytes

log = logging.getLogger("eventlens.ftp.gateway")

# Commands a camera has no business sending here, and the reply they get.
REFUSED = {
    "RETR": "550 Downloads are not possible: this server only receives photos.",
    "DELE": "550 Deleting is not possible: EventLens keeps every photo it receives.",
    "RMD": "550 Removing folders is not possible here.",
    "XRMD": "550 Removing folders is not possible here.",
    "MFMT": "502 Changing file times is not supported.",
    "SITE": "502 SITE commands are not supported.",
}
# Commands whose argument names a file or folder: '..' and control characters are refused there.
# (CWD and CDUP may go up: that is navigation, and pyftpdlib keeps it inside the session's area.)
NAMING_COMMANDS = frozenset(
    {"STOR", "APPE", "STOU", "RNFR", "RNTO", "MKD", "XMKD", "SIZE", "MDTM", "LIST", "NLST", "MLSD", "MLST"}
)
LOGIN_POLL_SECONDS = 0.01
ANSWER_POLL_SECONDS = 0.01
UNCLEAN_GRACE_SECONDS = 1.0
TRANSFER_OK = "226 Transfer complete."
RENAME_OK = "250 Renaming ok."


def bad_name(arg: str) -> bool:
    parts = arg.replace("\\", "/").split("/")
    return ".." in parts or any(ord(c) < 32 or c == "\x7f" for c in arg)


def refusal_reply(answer: Answer) -> str:
    """The API's refusal as an FTP reply a camera's log shows: 552 too large (bytes or pixels), 553 a
    name refused, else 550; the API's reason on one short line."""
    code = 552 if answer.status == 413 else 553 if "name" in answer.code else 550
    reason = " ".join(answer.message.split())[:200] or "The photo service refused the file."
    return f"{code} {reason}"


@dataclass
class Runtime:
    """What every connection of one gateway shares."""

    authorizer: ApiAuthorizer
    logins: ThreadPoolExecutor
    handoff: Handoff
    sessions_dir: Path
    max_bytes: int
    answer_timeout: float = 30.0  # longest a camera waits for the API's answer before its 226
    # (session path, inode) of files the API has: their session copies shrink to placeholders
    released: deque[tuple[str, int]] = field(default_factory=deque)

    def item_done(self, item: Item, outcome: Outcome) -> None:
        """Hand-off thread: the API answered. Accepted files become placeholders (on the I/O loop)."""
        if item.origin is not None and outcome == "accepted":
            self.released.append(item.origin)

    def drain_released(self) -> None:
        """I/O loop: session files the API has are swapped for sparse placeholders."""
        while self.released:
            path, inode = self.released.popleft()
            try:
                make_placeholder(path, inode)
            except OSError as exc:
                log.debug("ftp.placeholder_failed path=%s error=%s", path, exc)


class GatewayDTPHandler(TLS_DTPHandler):
    """The data channel: cuts off files past the size limit, and checks each file before its 226."""

    _resp: tuple[Any, ...]  # pyftpdlib's pending reply: (text, log function), or () for none

    def push(self, data: bytes) -> None:
        if not data:
            # An empty listing. asynchat would still call send(b"") on it, which pyOpenSSL fails
            # while the TLS handshake is under way, and pyftpdlib then drops the connection mid-
            # handshake. Nothing to send: only arm the channel; it closes cleanly after the handshake.
            self._initialized = True
            self.modify_ioloop_events(self.ioloop.WRITE)
            self._wanted_io_events = self.ioloop.WRITE
            return
        super().push(data)

    def secure_connection(self, ssl_context: Any) -> None:
        # The data connection's own context (tls.make_context(data_channel=True)): no unread TLS 1.3
        # tickets, so a client's close cannot reset away the end of its upload.
        super().secure_connection(self.cmd_channel.data_ssl_context or ssl_context)

    def handle_read_event(self) -> None:
        # (DTPHandler binds handle_read_event to its own handle_read, so the check hooks in here.)
        super().handle_read_event()
        channel = self.cmd_channel
        if self.receive and not self._closed and self.file_obj is not None:
            limit = channel.runtime.max_bytes
            if self.file_obj.tell() > limit:
                self._resp = (
                    f"552 The file is larger than the {format_bytes(limit)} limit.",
                    ftp_logger.info,
                )
                self.transfer_finished = False
                self.close()

    def close(self) -> None:
        if not self._closed and self.receive and self.transfer_finished and self.file_obj is not None:
            channel = self.cmd_channel
            self.file_obj.flush()
            path = Path(self.file_obj.name)
            if is_ssl_sock(self.socket) and not self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN:
                # The stream ended without TLS's close_notify. A client killed mid-transfer looks like
                # that (its kernel closes the socket), but so do some clients that skip the TLS close
                # now and then: the control channel decides (see GatewayHandler.hold_unclean).
                channel.hold_unclean(path)
                self._resp = ()  # no reply yet
                self.transfer_finished = False
            else:
                verdict = channel.accept_upload(path)
                if isinstance(verdict, str):
                    self._resp = (verdict, ftp_logger.info)
                    self.transfer_finished = False  # → on_incomplete_file_received: the file is deleted
                elif verdict is not None:
                    self._resp = ()  # the control channel answers once the API has
                    channel.await_answer(verdict, path, TRANSFER_OK)
        super().close()


class GatewayHandler(TLS_FTPHandler):
    """One control connection. ``runtime`` is set on a per-gateway subclass (see server.py)."""

    runtime: Runtime
    _rnfr: str | None  # pyftpdlib's: the path RNFR named
    data_ssl_context: Any = None  # TLS 1.2 for data connections (set by server.py; see tls.py)
    dtp_handler = GatewayDTPHandler
    abstracted_fs = SpoolFS
    tls_control_required = True
    tls_data_required = True
    use_sendfile = False
    banner = "EventLens FTPS: upload photos to your event (AUTH TLS, passive mode)."
    auth_failed_timeout = 1.0

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.upload: UploadSession | None = None
        self._login_pending = False
        self._deferred: list[tuple[str, str, str]] = []
        self._held: Path | None = None
        self._held_timer: Any = None
        self._awaiting = False  # a reply waits for the API's answer on a file
        super().__init__(conn, server, ioloop)

    def decode(self, data: bytes) -> str:
        # Modern clients send UTF-8 (FEAT announces it); an old camera may send Latin-1 names, which
        # then keep their accents instead of becoming replacement characters.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

    # --- commands refused, names refused, TLS required

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        if self._held is not None:
            self._release_held()  # a command proves the client is alive: the held upload was whole
        if self._login_pending or self._awaiting:
            # Commands sent before the pending reply (after PASS, or a pipelining client's next
            # command after STOR) wait for it: replies go out in order.
            self._deferred.append((line, cmd, arg))
            return
        if cmd in REFUSED:
            self.respond(REFUSED[cmd])
            log.info("ftp.command_refused cmd=%s user=%s ip=%s", cmd, self.username, self.remote_ip)
            return
        if cmd in NAMING_COMMANDS and arg and bad_name(arg):
            self.respond("553 File name not allowed: no '..' parts or control characters.")
            log.info("ftp.name_refused cmd=%s name=%r user=%s ip=%s", cmd, arg, self.username, self.remote_ip)
            return
        super().pre_process_command(line, cmd, arg)

    def _replay_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        for line, cmd, arg in deferred:
            if not self._closed:
                self.pre_process_command(line, cmd, arg)

    def process_command(self, cmd: str, *args: Any, **kwargs: Any) -> None:
        if cmd in ("USER", "PASS") and self.tls_control_required and not self._ssl_established:
            self.respond("530 TLS is required: connect with explicit FTPS (AUTH TLS) and log in again.")
            log.info("ftp.plain_refused ip=%s", self.remote_ip)
            return
        if cmd in ("PASV", "EPSV", "PORT", "EPRT") and self.tls_data_required and not self._prot:
            self.respond("521 Data connections must be encrypted: send PBSZ 0 and PROT P first.")
            return
        super().process_command(cmd, *args, **kwargs)

    def ftp_TYPE(self, line: str) -> None:
        # Photos are bytes: an ASCII transfer would rewrite line ends inside them, so every transfer
        # is binary whatever the client asks (it also keeps REST and SIZE available).
        kind = line.upper().replace(" ", "")
        if kind in ("A", "L7", "I", "L8"):
            self.respond(
                "200 Type set to: Binary." if kind in ("I", "L8") else "200 ASCII noted; stored as sent."
            )
            self._current_type = "i"
        else:
            self.respond(f'504 Unsupported type "{line}".')

    # --- login, off the I/O loop

    def ftp_PASS(self, line: str) -> None:
        if self.authenticated:
            self.respond("503 User already authenticated.")
            return
        if not self.username:
            self.respond("503 Login with USER first.")
            return
        username = self.username
        future = self.runtime.logins.submit(self.runtime.authorizer.login, username, line, self.remote_ip)
        self._login_pending = True
        self.del_channel()  # read nothing more until the API has answered
        self.call_later(LOGIN_POLL_SECONDS, self._await_login, future, username)

    def _await_login(self, future: Future[Login], username: str) -> None:
        if not future.done():
            self.call_later(LOGIN_POLL_SECONDS, self._await_login, future, username)
            return
        self._login_pending = False
        if self._closed:
            return
        try:
            login = future.result()
        except LoginRefused as refused:
            self._refuse_login(refused, username)
            return
        except Exception as exc:  # a bug in the client code: answer, don't hang the camera
            log.exception("ftp.login_error user=%s", username)
            self._refuse_login(
                LoginRefused(421, "Login failed; try again.", repr(exc), disconnect=True), username
            )
            return
        self.add_channel()
        if self.upload is not None:  # a second login on one connection (USER again, REIN)
            self._end_session()
        session = UploadSession.open(self.runtime.sessions_dir, login, self.remote_ip)
        self.upload = session
        log.info(
            "ftp.session_start user=%s ip=%s event=%s session=%s",
            username,
            self.remote_ip,
            login.event_id,
            session.id,
        )
        self.handle_auth_success(str(session.home), "", f"Logged in to {login.event_name[:40]}.")
        self._replay_deferred()

    def _refuse_login(self, refused: LoginRefused, username: str) -> None:
        log.warning("ftp.login_refused user=%s ip=%s reason=%s", username, self.remote_ip, refused.reason)
        self.username = ""

        def reply() -> None:
            if self._closed:
                return
            self.add_channel()
            self.attempted_logins += 1
            self.respond(f"{refused.code} {refused.message}")
            if refused.disconnect or self.attempted_logins >= self.max_login_attempts:
                self.close_when_done()
            self.on_login_failed(username, "")
            self._replay_deferred()

        # Wrong passwords wait a moment before the answer; the API's rate limit does the real work.
        self.call_later(self.auth_failed_timeout if refused.code == 530 else 0, reply)

    # --- files

    def accept_upload(self, path: Path) -> str | Future[Answer] | None:
        """A file arrived whole (called before its reply): a reply refusing it at once (the file is
        then deleted), None to answer 226 now (kept until it gets its final name), or the future of
        the API's answer to wait for (see :meth:`await_answer`)."""
        session = self.upload
        if session is None:
            return "451 Not logged in."
        try:
            if path.stat().st_size == 0:
                return "550 The file is empty; nothing was stored."
            with path.open("rb") as f:
                sniff_bytes(f.read(256))  # the type by content, as the API will check it
        except IngestError as exc:
            return f"550 {exc.message}"
        except OSError as exc:
            log.error("ftp.check_failed file=%s error=%s", path, exc)
            return "451 The file could not be read back; send it again."
        session.received += 1
        if not has_final_name(path):
            session.pending.add(path)
            return None
        session.pending.discard(path)
        answer: Future[Answer] = Future()
        if not self._submit(session, path, answer):
            return "451 The file could not be queued; send it again."
        return answer

    def _submit(self, session: UploadSession, path: Path, answer: Future[Answer] | None = None) -> bool:
        try:
            self.runtime.handoff.submit(path, session.meta_for(path), answer)
        except OSError as exc:
            log.error("ftp.queue_failed file=%s error=%s", path, exc)
            return False
        return True

    def await_answer(self, answer: Future[Answer], path: Path, ok: str) -> None:
        """Reply ``ok`` once the API has the file (or cannot be asked), a 55x if it refuses it."""
        self._awaiting = True
        deadline = time.monotonic() + self.runtime.answer_timeout
        self.call_later(ANSWER_POLL_SECONDS, self._poll_answer, answer, path, ok, deadline)

    def _poll_answer(self, answer: Future[Answer], path: Path, ok: str, deadline: float) -> None:
        if self._closed:
            answer.cancel()  # no one to tell: a later refusal is set aside, never dropped
            return
        if not answer.done():
            if time.monotonic() < deadline or not answer.cancel():  # (not cancelled: answering now)
                self.call_later(ANSWER_POLL_SECONDS, self._poll_answer, answer, path, ok, deadline)
                return
            log.warning(
                "ftp.answer_timeout file=%r user=%s ip=%s after=%.0fs (acknowledged; kept in the spool "
                "until the API takes it)",
                path.name,
                self.username,
                self.remote_ip,
                self.runtime.answer_timeout,
            )
            self._answered(ok)
            return
        result = answer.result()
        if result.outcome == "refused":
            path.unlink(missing_ok=True)
            self._answered(refusal_reply(result))
            return
        if result.outcome == "kept":
            log.warning(
                "ftp.kept_in_spool file=%r user=%s ip=%s reason=%s (acknowledged; sent again until the "
                "API takes it)",
                path.name,
                self.username,
                self.remote_ip,
                result.message,
            )
        self._answered(ok)

    def _answered(self, reply: str) -> None:
        self._awaiting = False
        self.respond(reply)
        self._replay_deferred()

    def hold_unclean(self, path: Path) -> None:
        """The data stream ended without a TLS close. Wait a moment before answering: when the
        control connection drops too, the client died mid-transfer and the file is discarded with its
        session; when it lives on (or sends a command), the upload was finished and is accepted."""
        self._held = path
        self._held_timer = self.call_later(UNCLEAN_GRACE_SECONDS, self._release_held)

    def _release_held(self) -> None:
        path, self._held = self._held, None
        if self._held_timer is not None and not self._held_timer.cancelled:
            self._held_timer.cancel()
        self._held_timer = None
        if path is None:
            return
        log.info(
            "ftp.unclean_tls_close file=%r user=%s ip=%s (accepted)", path.name, self.username, self.remote_ip
        )
        verdict = self.accept_upload(path)
        if verdict is None:
            self.respond(TRANSFER_OK)
        elif isinstance(verdict, str):
            path.unlink(missing_ok=True)
            self.respond(verdict)
        else:
            self.await_answer(verdict, path, TRANSFER_OK)

    def on_incomplete_file_received(self, file: str) -> None:
        if self._held is not None and Path(file) == self._held:
            return  # not incomplete, only undecided (hold_unclean)
        Path(file).unlink(missing_ok=True)
        if self.upload is not None:
            self.upload.pending.discard(Path(file))
        log.info(
            "ftp.upload_incomplete file=%r user=%s ip=%s",
            os.path.basename(file),
            self.username,
            self.remote_ip,
        )

    def ftp_RNFR(self, path: str) -> None:
        if self.fs.isdir(path):
            self.respond("550 Only files can be renamed here.")
            return
        super().ftp_RNFR(path)

    def ftp_RNTO(self, path: str) -> None:
        # pyftpdlib's, with the reply left to _renamed: a rename that gives an upload its final name
        # is answered like the upload's own 226, once the API has the file.
        if not self._rnfr:
            self.respond("503 Bad sequence of commands: use RNFR first.")
            return
        src, self._rnfr = self._rnfr, None
        try:
            self.fs.rename(src, path)
        except OSError as err:
            self.respond(f"550 {err.strerror or err}.")
            return
        self._renamed(Path(src), Path(path))

    def _renamed(self, src: Path, dst: Path) -> None:
        session = self.upload
        if session is None or src not in session.pending:
            self.respond(RENAME_OK)
            return
        # An upload under a temporary name got its real one: now it goes to the API.
        session.pending.discard(src)
        answer: Future[Answer] = Future()
        if not has_final_name(dst) or not self._submit(session, dst, answer):
            session.pending.add(dst)  # sent as it is when the session ends
            self.respond(RENAME_OK)
            return
        self.await_answer(answer, dst, RENAME_OK)

    # --- end of session

    def on_disconnect(self) -> None:
        if self._held is not None:
            # The client vanished right after its data stream ended without a TLS close: killed
            # mid-transfer. The partial file goes with the session's area.
            log.info(
                "ftp.upload_incomplete file=%r user=%s ip=%s (connection lost)",
                self._held.name,
                self.username,
                self.remote_ip,
            )
            self._held = None
        if self.upload is not None:
            self._end_session()

    def _end_session(self) -> None:
        """Files still under a temporary name arrived whole: send them as they are, then clean up."""
        session = self.upload
        assert session is not None
        self.upload = None
        for path in sorted(session.pending):
            if path.is_file():
                self._submit(session, path)
        session.remove()
        log.info(
            "ftp.session_end user=%s ip=%s session=%s files=%d",
            session.login.username,
            session.client_ip,
            session.id,
            session.received,
        )


class ImplicitGatewayHandler(GatewayHandler):
    """Implicit FTPS: TLS from the first byte, so the greeting waits for the handshake."""

    def handle(self) -> None:
        self.secure_connection(self.ssl_context)
        self._pbsz = True
        self._prot = True
        super().handle()
