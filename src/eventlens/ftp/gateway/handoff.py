"""Finished uploads travel from the gateway's spool to the API, off pyftpdlib's I/O loop.

Each finished file is hard-linked into ``spool/outbox`` with a JSON description beside it, then a pool
of threads POSTs it to the internal upload route. The file leaves the outbox only once the API has
answered: accepted (2xx), or refused for the file's own sake (a 4xx about its content).

The camera usually waits for that first answer (``submit(..., wait=True)``: the item carries a future
the handler watches before its 226): accepted gives 226, a refusal the 55x reply built from the API's
reason, and the refused file is deleted, since the camera was told. A refusal nobody waits for any more
(the camera's wait timed out, the file was sent at the end of its session, or left over from a previous
run) was already acknowledged: such a file is never dropped but set aside in ``spool/refused`` with its
description and an error in the log, for the operator to look at.

When the API cannot be reached, fails (5xx), rejects the gateway itself (401/403/429) or cannot read the
gateway's request (400, ``validation_error``: a fault of the gateway or the API, never of the photo),
the waiting camera is answered "kept" (its 226: the file is safe in the spool) and the file is retried
with growing pauses, with a warning in the log; on start, whatever a previous run left in the outbox is
queued again. A file is never dropped because the API was away or could not read the request.
"""

from __future__ import annotations

import heapq
import json
import logging
import mimetypes
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from eventlens.photos.filenames import clean_name

log = logging.getLogger("eventlens.ftp.gateway")

RETRY_FIRST = 0.5  # seconds before the first retry; doubles up to RETRY_MAX
RETRY_MAX = 30.0
# Answers that are about the gateway or the API, not the file: keep the file and try again later.
RETRY_STATUSES = frozenset({401, 403, 408, 425, 429})
# Refusals of the request rather than the photo (a multipart the API could not read, a missing header):
# retrying them is cheap, and a fixed API or gateway then delivers the photo the camera was told is safe.
RETRY_CODES = frozenset({"bad_upload", "validation_error"})


@dataclass(frozen=True)
class UploadMeta:
    """Everything the API needs besides the bytes; written beside the file so a restart can resend it."""

    event_id: str
    credential_id: str
    username: str
    client_ip: str
    filename: str
    album: str | None
    received_at: float


Outcome = Literal["accepted", "refused", "kept"]


@dataclass(frozen=True)
class Answer:
    """The API's first word on a file: accepted, refused (with its status, code and reason), or kept
    (the API could not be asked; the file stays in the outbox and is sent again)."""

    outcome: Outcome
    status: int = 0
    code: str = ""
    message: str = ""


@dataclass
class Item:
    id: str
    data: Path
    meta: UploadMeta
    attempts: int = 0
    origin: tuple[str, int] | None = None  # the session's path and inode it was linked from
    # Set while a camera waits for the first answer. The handler cancels it when it stops waiting;
    # a sender thread claims it (set_running_or_notify_cancel) before deciding, so exactly one of
    # them answers the camera.
    answer: Future[Answer] | None = field(default=None, repr=False)

    def tell(self, answer: Answer) -> bool:
        """Give the waiting camera its answer; False when no one waits (any more)."""
        waiting, self.answer = self.answer, None
        if waiting is None or not waiting.set_running_or_notify_cancel():
            return False
        waiting.set_result(answer)
        return True


class Outbox:
    """The on-disk queue: ``<id>.data`` (a hard link to the received file) and ``<id>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, source: Path, meta: UploadMeta) -> Item:
        item_id = uuid.uuid4().hex
        data = self.root / f"{item_id}.data"
        # A link, not a copy: no bytes move. The session keeps its name for the file (for SIZE/LIST);
        # anything that later writes to that name detaches it first (see handler.SpoolFS.open).
        os.link(source, data)
        tmp = self.root / f"{item_id}.json.tmp"
        tmp.write_text(json.dumps(asdict(meta)))
        os.replace(tmp, self.root / f"{item_id}.json")  # the item exists once its description does
        return Item(item_id, data, meta, origin=(str(source), data.stat().st_ino))

    def left_over(self) -> list[Item]:
        """Items a previous run did not finish, oldest first; orphaned halves are removed."""
        items: list[Item] = []
        for desc in self.root.glob("*.json"):
            data = desc.with_suffix(".data")
            try:
                meta = UploadMeta(**json.loads(desc.read_text()))
            except (ValueError, TypeError) as exc:
                log.error("ftp.outbox_unreadable file=%s error=%s", desc.name, exc)
                continue
            if not data.exists():
                desc.unlink(missing_ok=True)
                continue
            items.append(Item(desc.stem, data, meta))
        described = {i.id for i in items}
        for orphan in [*self.root.glob("*.data"), *self.root.glob("*.tmp")]:
            if orphan.name.split(".")[0] not in described:
                orphan.unlink(missing_ok=True)
        return sorted(items, key=lambda i: i.meta.received_at)

    def remove(self, item: Item) -> None:
        (self.root / f"{item.id}.json").unlink(missing_ok=True)
        item.data.unlink(missing_ok=True)

    def set_aside(self, item: Item, answer: Answer, to: Path) -> Path:
        """Move a refused file that was already acknowledged to ``to``, its description beside it
        with the API's reason; returns where the file now is."""
        to.mkdir(parents=True, exist_ok=True)
        desc = asdict(item.meta) | {"refused": asdict(answer)}
        (to / f"{item.id}.json").write_text(json.dumps(desc))
        suffix = Path(item.meta.filename).suffix[:10]
        target = to / f"{item.id}{suffix}"
        os.replace(item.data, target)
        (self.root / f"{item.id}.json").unlink(missing_ok=True)
        return target


class Poster:
    """POSTs one item to the API; answers "accepted", "refused", or raises :class:`Retry`."""

    def __init__(self, api_url: str, service_token: str, timeout: float = 120.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {service_token}", "X-EventLens-Source": "ftp"}
        self.timeout = timeout
        self._local = threading.local()

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.api_url, headers=self.headers, timeout=self.timeout)
            self._local.client = client
        return client

    def post(self, item: Item) -> Answer:
        m = item.meta
        # Sent cleaned (the API's own rule), so the form encoding has no control character or
        # separator left to escape and the name arrives as the camera gave it.
        name = clean_name(m.filename, f"{item.id}.jpg")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        headers = {"X-EventLens-FTP-Credential": m.credential_id, "X-Forwarded-For": m.client_ip}
        try:
            with item.data.open("rb") as f:
                r = self._client().post(
                    f"/api/internal/ftp/events/{m.event_id}/photos",
                    files={"files": (name, f, mime)},
                    data={"album": m.album} if m.album else None,
                    headers=headers,
                )
        except httpx.HTTPError as exc:
            raise Retry(f"API unreachable: {exc}") from exc
        if 200 <= r.status_code < 300:
            log.info("ftp.handed_off file=%r event=%s status=%s", m.filename, m.event_id, r.status_code)
            return Answer("accepted", r.status_code)
        code, message = _error_of(r)
        if code == "gateway_unauthorized":
            log.error(
                "ftp.handoff_unauthorized: the API refused the gateway's service token; give both the same "
                "EVENTLENS_FTP_SERVICE_TOKEN (or the same EVENTLENS_SECRET_KEY)"
            )
        if r.status_code >= 500 or r.status_code in RETRY_STATUSES or r.status_code == 400:
            raise Retry(f"API answered {r.status_code} {code}: {message}")
        if code in RETRY_CODES:
            raise Retry(f"API could not read the hand-off ({r.status_code} {code}: {message}); kept")
        log.warning(
            "ftp.handoff_refused file=%r event=%s user=%s ip=%s status=%s code=%s message=%s",
            m.filename,
            m.event_id,
            m.username,
            m.client_ip,
            r.status_code,
            code,
            message,
        )
        return Answer("refused", r.status_code, code, message)


class Retry(Exception):
    """Keep the file and send it again later."""


def _error_of(r: httpx.Response) -> tuple[str, str]:
    try:
        err = r.json()["error"]
        return str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        return "unknown", r.text[:200]


class Handoff:
    """A pool of threads draining the outbox into the API, with retries scheduled by due time."""

    def __init__(
        self,
        outbox: Outbox,
        poster: Poster,
        *,
        threads: int = 4,
        on_done: Callable[[Item, Outcome], None] | None = None,
        refused_dir: Path | None = None,
    ) -> None:
        self.outbox = outbox
        self.poster = poster
        self.threads = threads
        self.on_done = on_done
        self.refused_dir = refused_dir or outbox.root.parent / "refused"
        # What happened so far, for status(): files the API took, refused to a waiting camera, set
        # aside (refused after their 226), and waiting camera answers given as "kept" (API away).
        self.counts = {"accepted": 0, "refused": 0, "set_aside": 0, "kept": 0}
        self._due: list[tuple[float, int, Item]] = []
        self._seq = 0
        self._busy = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._workers: list[threading.Thread] = []

    def start(self) -> int:
        """Queue what a previous run left behind and start the threads; returns how many were left."""
        left = self.outbox.left_over()
        for item in left:
            self._schedule(item, 0.0)
        if left:
            log.info("ftp.outbox_resumed files=%d", len(left))
        for n in range(self.threads):
            t = threading.Thread(target=self._work, name=f"ftp-handoff-{n}", daemon=True)
            t.start()
            self._workers.append(t)
        return len(left)

    def submit(self, source: Path, meta: UploadMeta, answer: Future[Answer] | None = None) -> Item:
        """Put a finished file in the outbox and queue it (cheap: a link and a small JSON file).
        ``answer``: a future the caller watches for the API's first answer (see :class:`Item`)."""
        item = self.outbox.put(source, meta)
        item.answer = answer
        self._schedule(item, 0.0)
        return item

    def pending(self) -> int:
        with self._cond:
            return len(self._due) + self._busy

    def status(self) -> dict[str, int]:
        """Counts since start, and what the spool holds now: ``waiting`` files not yet in the API (they
        are retried), ``set_aside_files`` refused after their acknowledgment (for the operator)."""
        set_aside = len(list(self.refused_dir.glob("*.json"))) if self.refused_dir.is_dir() else 0
        with self._cond:
            return self.counts | {"waiting": len(self._due) + self._busy, "set_aside_files": set_aside}

    def _count(self, what: str) -> None:
        with self._cond:
            self.counts[what] += 1

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is queued or being sent (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._due or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the sends in flight; queued files stay in the outbox for the next start."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._workers:
            t.join(max(0.0, deadline - time.monotonic()))

    def _schedule(self, item: Item, delay: float) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._due, (time.monotonic() + delay, self._seq, item))
            self._cond.notify()

    def _next(self) -> Item | None:
        with self._cond:
            while not self._stopping:
                if self._due:
                    due = self._due[0][0] - time.monotonic()
                    if due <= 0:
                        self._busy += 1
                        return heapq.heappop(self._due)[2]
                    self._cond.wait(due)
                else:
                    self._cond.wait()
            return None

    def _work(self) -> None:
        while (item := self._next()) is not None:
            try:
                self._send(item)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _send(self, item: Item) -> None:
        try:
            answer = self.poster.post(item)
        except Retry as exc:
            if item.tell(Answer("kept", message=str(exc))):
                self._count("kept")
            item.attempts += 1
            delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (item.attempts - 1))
            # Loud on the first failure and then now and again, not on every retry of every file.
            level = logging.WARNING if item.attempts == 1 or item.attempts % 10 == 0 else logging.DEBUG
            log.log(
                level,
                "ftp.handoff_retry file=%r attempt=%d next_in=%.1fs reason=%s",
                item.meta.filename,
                item.attempts,
                delay,
                exc,
            )
            self._schedule(item, delay)
            return
        except Exception as exc:
            # A bug, or the disk: keep the file for the next start rather than lose it.
            log.exception("ftp.handoff_failed file=%r (kept in the outbox)", item.meta.filename)
            item.tell(Answer("kept", message=repr(exc)))
            return
        if answer.outcome == "refused" and not item.tell(answer):
            self._set_aside(item, answer)
            return
        if answer.outcome == "accepted":
            item.tell(answer)
        self.outbox.remove(item)
        self._count(answer.outcome)
        if self.on_done is not None:
            try:
                self.on_done(item, answer.outcome)
            except Exception:
                log.exception("ftp.handoff_callback_failed file=%r", item.meta.filename)

    def _set_aside(self, item: Item, answer: Answer) -> None:
        """Refused, but the camera was already told the file is safe: keep it for a person to see."""
        m = item.meta
        try:
            where = self.outbox.set_aside(item, answer, self.refused_dir)
        except OSError:
            log.exception("ftp.set_aside_failed file=%r (kept in the outbox)", m.filename)
            return
        self._count("set_aside")
        log.error(
            "ftp.refused_after_ack file=%r event=%s user=%s ip=%s status=%s code=%s message=%s kept=%s",
            m.filename,
            m.event_id,
            m.username,
            m.client_ip,
            answer.status,
            answer.code,
            answer.message,
            where,
        )
