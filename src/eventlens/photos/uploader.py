"""The client side of ``eventlens upload``: find photos in a folder and send them to a server.

It talks only HTTP (so it works against a remote server with an API token): files already in the event
(by SHA-256) are skipped, a few uploads run at once, transient failures are retried with backoff.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eventlens.photos.errors import UnsupportedType
from eventlens.photos.filenames import clean_name
from eventlens.photos.imaging import sniff_bytes

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


@dataclass
class LocalPhoto:
    path: Path
    size: int
    sha256: str = ""


@dataclass
class Outcome:
    photo: LocalPhoto
    status: str  # stored | duplicate | skipped | failed
    reason: str = ""
    photo_id: str | None = None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def find_photos(root: Path) -> Iterator[LocalPhoto]:
    """Image files under ``root`` (recursively), judged by their first bytes, not their names."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            with path.open("rb") as fh:
                head = fh.read(64)
            sniff_bytes(head)
        except (OSError, UnsupportedType):
            continue
        yield LocalPhoto(path, path.stat().st_size)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


class UploadClient:
    def __init__(self, server: str, token: str, *, timeout: float = 120.0, retries: int = 4) -> None:
        self.http = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "X-EventLens-Source": "cli"},
            timeout=httpx.Timeout(timeout, connect=10.0),
        )
        self.retries = retries

    def close(self) -> None:
        self.http.close()

    def check_event(self, ref: str) -> dict[str, object]:
        """The event named by its id or its link name (slug), among the events the token may use."""
        try:
            uuid.UUID(ref)
        except ValueError:
            return self._event_by_slug(ref)
        r = self.http.get(f"/api/events/{ref}")
        if r.status_code != 200:
            raise UploadError(_message(r))
        body: dict[str, object] = r.json()
        return body

    def _event_by_slug(self, slug: str) -> dict[str, object]:
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            r = self.http.get("/api/events", params=params)
            if r.status_code != 200:
                raise UploadError(_message(r))
            page = r.json()
            for item in page["items"]:
                if item["slug"] == slug.strip().lower():
                    found: dict[str, object] = item
                    return found
            cursor = page.get("next_cursor")
            if not cursor:
                raise UploadError(f"None of your events has the id or link name '{slug}'.")

    def existing(self, event_id: str, hashes: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(hashes), 500):
            batch = hashes[i : i + 500]

            def ask(batch: list[str] = batch) -> httpx.Response:
                return self.http.post(f"/api/events/{event_id}/photos/exists", json={"sha256": batch})

            r = self._with_retries(ask)
            if r.status_code != 200:
                raise UploadError(_message(r))
            found |= r.json()["existing"]
        return found

    def upload(self, event_id: str, photo: LocalPhoto) -> Outcome:
        def send() -> httpx.Response:
            with photo.path.open("rb") as fh:
                return self.http.post(f"/api/events/{event_id}/photos", files={"files": (_name(photo), fh)})

        try:
            r = self._with_retries(send)
        except httpx.HTTPError as exc:
            return Outcome(photo, "failed", f"network: {exc}")
        if r.status_code in (200, 201):
            item = r.json()["items"][0]
            if item.get("duplicate_of"):
                return Outcome(photo, "duplicate", photo_id=item["duplicate_of"])
            return Outcome(photo, "stored", photo_id=item["id"])
        return Outcome(photo, "failed", _message(r))

    def _with_retries(self, call: Callable[[], httpx.Response]) -> httpx.Response:
        delay = 1.0
        for attempt in range(self.retries + 1):
            try:
                r = call()
            except (httpx.TransportError, httpx.TimeoutException):
                if attempt == self.retries:
                    raise
            else:
                if r.status_code not in RETRYABLE_STATUS or attempt == self.retries:
                    return r
                retry_after = r.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = max(delay, float(retry_after))
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")


class UploadError(Exception):
    pass


def _message(r: httpx.Response) -> str:
    try:
        err = r.json()["error"]
        return f"{r.status_code} {err['code']}: {err['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {r.status_code}"


def upload_all(
    client: UploadClient,
    event_id: str,
    photos: list[LocalPhoto],
    *,
    parallel: int = 4,
    on_done: Callable[[Outcome], None] = lambda _o: None,
) -> Report:
    """Upload ``photos`` (hashes already computed) skipping those the event has; report every outcome."""
    report = Report()
    existing = client.existing(event_id, [p.sha256 for p in photos])
    todo: list[LocalPhoto] = []
    seen: set[str] = set()
    for p in photos:
        if p.sha256 in existing or p.sha256 in seen:
            outcome = Outcome(p, "skipped", "already in the event", existing.get(p.sha256))
            report.outcomes.append(outcome)
            on_done(outcome)
        else:
            seen.add(p.sha256)
            todo.append(p)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(client.upload, event_id, p) for p in todo]
        for fut in as_completed(futures):
            outcome = fut.result()
            report.outcomes.append(outcome)
            on_done(outcome)
    return report


def _name(photo: LocalPhoto) -> str:
    # A name that is not valid UTF-8 on disk (copied from an old camera card) would make httpx fail to
    # encode the request: its odd bytes become U+FFFD instead. Cleaned here as the server would clean it.
    raw = os.fsencode(photo.path.name).decode("utf-8", "replace")
    return clean_name(raw, f"photo{photo.path.suffix.lower()}")
