"""photos.ingest on its own: a multipart body in, stored photos and one answer per file out.

No HTTP route is involved; the body is encoded by httpx and fed in chunks, as a server would stream it.
The database, object store and job queue are the app's real ones.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from eventlens.auth.service import create_user
from eventlens.db import session_scope
from eventlens.errors import Invalid
from eventlens.events.schemas import EventCreate
from eventlens.events.service import EventArchived, change_status, create_event
from eventlens.models import Photo, PhotoSource, Role
from eventlens.photos import ingest

CHUNK = 64 * 1024


def _multipart(*files: tuple[str, bytes], **fields: str) -> tuple[str, bytes]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    request = httpx.Request("POST", "https://testserver/", files=parts, data=fields)
    return request.headers["content-type"], request.read()


class Body:
    """The request body as a server hands it over; remembers whether anyone read it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        for i in range(0, len(self.data), CHUNK):
            yield self.data[i : i + CHUNK]
            await asyncio.sleep(0)


@pytest.fixture
def sender(client: TestClient, app: Any) -> ingest.Sender:
    # ``client`` only so the app's lifespan runs and disposes of its engine after the test.
    with session_scope(app.state.ctx.sessions) as db:
        user = create_user(
            db, email="p@example.com", password="long enough pass", name="P", role=Role.photographer
        )
        event = create_event(db, user, EventCreate(name="Ingest"))
    return ingest.Sender(event, user, PhotoSource.api)


def _spool_is_empty(inbox: ingest.Inbox) -> bool:
    return not inbox.spool_dir.exists() or not any(inbox.spool_dir.iterdir())


def test_stores_new_files_points_duplicates_at_the_first_and_says_why_others_are_refused(
    app: Any, sender: ingest.Sender, dataset: Path
) -> None:
    inbox = ingest.Inbox.of(app.state.ctx)
    photo = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    ctype, data = _multipart(
        ("a.jpg", photo), ("copy.jpg", photo), ("notes.jpg", b"plain text"), album="Dinner"
    )

    result = asyncio.run(ingest.receive_photos(inbox, sender, ctype, Body(data)))

    assert (result.stored, result.duplicates, result.rejected) == (1, 1, 1)
    first, copy, notes = result.items
    assert first.id is not None and first.duplicate_of is None and first.error is None
    assert copy.duplicate_of == first.id
    assert notes.error is not None and (notes.error.code, notes.error.status) == (
        "unsupported_media_type",
        415,
    )
    with session_scope(app.state.ctx.sessions) as db:
        row = db.get(Photo, first.id)
        assert row is not None
        assert (row.album, row.source, row.uploader_id, row.original_filename) == (
            "Dinner",
            PhotoSource.api,
            sender.uploader.id,
            "a.jpg",
        )
    assert list(inbox.storage.list_keys(f"events/{sender.event.id}/")) == [row.object_key]
    assert app.state.ctx.queue.huey.pending_count() == 1  # processing queued once the row was committed
    assert _spool_is_empty(inbox)


def test_an_archived_event_is_refused_before_the_body_is_read(app: Any, sender: ingest.Sender) -> None:
    with session_scope(app.state.ctx.sessions) as db:
        archived = change_status(db, db.merge(sender.event), "archive")
    ctype, data = _multipart(("a.jpg", b"\xff\xd8\xff" + b"0" * 1000))
    body = Body(data)
    with pytest.raises(EventArchived) as refused:
        asyncio.run(
            ingest.receive_photos(
                ingest.Inbox.of(app.state.ctx),
                ingest.Sender(archived, sender.uploader, PhotoSource.ftp),
                ctype,
                body,
            )
        )
    assert (refused.value.status, refused.value.code) == (409, "event_archived")
    assert not body.read


def test_the_doors_own_form_check_and_the_file_count_refuse_before_anything_is_stored(
    app: Any, sender: ingest.Sender, dataset: Path
) -> None:
    inbox = ingest.Inbox.of(app.state.ctx)
    photo = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    seen: list[dict[str, str]] = []

    def stale_form(fields: Any) -> bool:
        seen.append(dict(fields))
        return False

    ctype, data = _multipart(("a.jpg", photo), csrf_token="old")
    with pytest.raises(ingest.FormRefused):
        asyncio.run(ingest.receive_photos(inbox, sender, ctype, Body(data), accept_fields=stale_form))
    assert seen == [{"csrf_token": "old"}]

    ctype, data = _multipart(("a.jpg", photo), ("b.jpg", photo))
    with pytest.raises(Invalid, match="exactly one file"):
        asyncio.run(ingest.receive_photos(inbox, sender, ctype, Body(data), single=True))

    # httpx sends a form without files urlencoded, so this one is written by hand.
    ctype, data = (
        "multipart/form-data; boundary=b0",
        b'--b0\r\nContent-Disposition: form-data; name="album"\r\n\r\nx\r\n--b0--\r\n',
    )
    with pytest.raises(Invalid, match="one or more files"):
        asyncio.run(ingest.receive_photos(inbox, sender, ctype, Body(data)))

    with pytest.raises(ingest.BadUpload):
        asyncio.run(ingest.receive_photos(inbox, sender, "application/json", Body(b"{}")))

    assert list(inbox.storage.list_keys(f"events/{sender.event.id}/")) == []
    assert app.state.ctx.queue.huey.pending_count() == 0
    assert _spool_is_empty(inbox)


def test_an_event_archived_while_files_arrive_refuses_each_remaining_file(
    app: Any, sender: ingest.Sender, dataset: Path
) -> None:
    """The check before the body only sees the event as it was; the store checks again per file."""
    ctx = app.state.ctx
    photo = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    ctype, data = _multipart(("a.jpg", photo))

    class ArchivedMeanwhile(Body):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            with session_scope(ctx.sessions) as db:
                change_status(db, db.merge(sender.event), "archive")
            async for chunk in Body(self.data):
                yield chunk

    event_id: uuid.UUID = sender.event.id
    result = asyncio.run(ingest.receive_photos(ingest.Inbox.of(ctx), sender, ctype, ArchivedMeanwhile(data)))
    [item] = result.items
    assert item.error is not None and (item.error.status, item.error.code) == (409, "event_archived")
    assert result.rejected == 1 and result.stored == 0
    assert list(ctx.storage.list_keys(f"events/{event_id}/")) == []
