"""Browser uploads straight to the S3 store: the API signs a form, the browser sends the bytes to the
bucket, the API registers the photo. The API never carries the file.

1. ``presign``: the file's name, size, type and SHA-256 (the browser hashes it) → a presigned POST bound
   to one key, that type and at most that size, and an upload ticket (signed, so the API keeps no state
   between the two calls); or the photo it duplicates, and nothing is sent at all.
2. The browser POSTs the file to the bucket.
3. ``complete``: the ticket → the object is checked (there, exactly the announced size, an accepted image
   from its header, within the pixel cap) and the photo is registered like any other upload; a refused
   object is deleted. The worker later checks the SHA-256 the browser announced (``verify_digest``).

A ticket that is never completed leaves an object without a row, which the hourly leftovers sweep
removes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope
from eventlens.errors import ApiError, Conflict, Invalid
from eventlens.events.rules import require_open
from eventlens.models import Event, PhotoSource, User
from eventlens.photos import imaging, keys
from eventlens.photos.errors import IngestError, TooLarge, UnsupportedType
from eventlens.photos.repository import PhotoRepository
from eventlens.photos.service import Arrival, Stored, register_stored
from eventlens.storage.base import ObjectNotFound, ObjectStore

TICKET_SECONDS = 3600  # a form for a big file on a slow line must outlive its upload
HEAD_BYTES = 512 * 1024  # enough for any header and EXIF block a camera writes
KINDS = {kind.mime: kind for kind in imaging.ImageKind}
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class DirectUploadsOff(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This server receives photos itself: send them to POST /api/events/{id}/photos.",
            "direct_uploads_off",
        )


class BadTicket(ApiError):
    def __init__(self, why: str) -> None:
        super().__init__(422, "upload_ticket_invalid", f"The upload ticket is not valid: {why}.")


@dataclass(frozen=True)
class Offer:
    """What ``presign`` answers: where to send the file, or the photo it already is."""

    duplicate_of: uuid.UUID | None = None
    url: str | None = None
    fields: dict[str, str] | None = None
    ticket: str | None = None
    expires_in: int = TICKET_SECONDS


@dataclass(frozen=True)
class Ticket:
    event_id: uuid.UUID
    photo_id: uuid.UUID
    key: str
    sha256: str
    size: int
    mime: str
    uploader_id: uuid.UUID
    expires: int


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), b"direct-upload:" + body, hashlib.sha256).hexdigest()[:32]


def _encode(secret: str, t: Ticket) -> str:
    body = json.dumps(
        [str(t.event_id), str(t.photo_id), t.key, t.sha256, t.size, t.mime, str(t.uploader_id), t.expires]
    ).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _sign(secret, body)


def _decode(secret: str, ticket: str) -> Ticket:
    data, _, sig = ticket.partition(".")
    try:
        body = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except ValueError as exc:
        raise BadTicket("unreadable") from exc
    if not sig or not hmac.compare_digest(sig, _sign(secret, body)):
        raise BadTicket("not issued by this server")
    event_id, photo_id, key, sha256, size, mime, uploader_id, expires = json.loads(body)
    return Ticket(
        uuid.UUID(event_id), uuid.UUID(photo_id), key, sha256, size, mime, uuid.UUID(uploader_id), expires
    )


def presign(
    db: Session,
    storage: ObjectStore,
    *,
    secret: str,
    event: Event,
    uploader: User,
    size: int,
    content_type: str,
    sha256: str,
    max_bytes: int,
    enabled: bool,
) -> Offer:
    """A form for one file, or the photo it duplicates. Raises 4xx errors before anything is signed."""
    if not enabled:
        raise DirectUploadsOff()
    require_open(event)
    kind = KINDS.get(content_type.lower())
    if kind is None:
        raise UnsupportedType(content_type)
    if size <= 0:
        raise Invalid("size: the file is empty", field="size")
    if size > max_bytes:
        raise TooLarge(max_bytes)
    sha256 = sha256.lower()
    if not _HEX64.match(sha256):
        raise Invalid("sha256: 64 hexadecimal digits of the file's SHA-256", field="sha256")
    existing = PhotoRepository(db).by_sha256(event.id, sha256)
    if existing is not None:
        return Offer(duplicate_of=existing.id)
    photo_id = uuid.uuid4()
    key = keys.original_key(event.id, photo_id, kind.ext)
    # Exactly the announced size is checked at completion; the policy caps it on the way in.
    form = storage.presigned_post(key, content_type=kind.mime, max_bytes=size, seconds=TICKET_SECONDS)
    if form is None:
        raise DirectUploadsOff()
    ticket = Ticket(
        event.id, photo_id, key, sha256, size, kind.mime, uploader.id, int(time.time()) + TICKET_SECONDS
    )
    return Offer(url=form.url, fields=form.fields, ticket=_encode(secret, ticket))


def complete(
    sessions: sessionmaker[Session],
    storage: ObjectStore,
    *,
    secret: str,
    event: Event,
    uploader: User,
    ticket: str,
    filename: str,
    max_pixels: int,
    album: str | None = None,
) -> Stored:
    """Register the uploaded object as a photo. Raises BadTicket, or an IngestError (the object deleted)."""
    t = _decode(secret, ticket)
    if t.event_id != event.id or t.uploader_id != uploader.id:
        raise BadTicket("issued for another event or person")
    if t.expires < time.time():
        raise BadTicket("expired; upload the file again")
    with session_scope(sessions) as db:
        existing = PhotoRepository(db).get(t.photo_id)
    if existing is not None:  # completed twice (a retry after a lost answer): the same photo
        return Stored(existing.id, existing.status, True, existing.original_filename)
    try:
        stored_size = storage.size(t.key)
    except ObjectNotFound as exc:
        raise IngestError("The file has not arrived in the store; send it to the form's URL first.") from exc
    try:
        if stored_size != t.size:
            raise IngestError(f"The stored file has {stored_size} bytes, not the {t.size} announced.")
        info = _inspect_head(storage, t.key, max_pixels)
        if info.kind.mime != t.mime:
            raise UnsupportedType(info.kind.mime)
    except BaseException:
        storage.delete(t.key)  # a refused file leaves nothing behind
        raise
    arrival = Arrival(
        event.id, t.photo_id, t.key, t.sha256, t.size, filename, PhotoSource.direct, uploader, album
    )
    return register_stored(sessions, storage, arrival, info)


def _inspect_head(storage: ObjectStore, key: str, max_pixels: int) -> imaging.ImageInfo:
    """Type, size and EXIF from the object's first bytes; the worker's full decode proves the rest."""
    with tempfile.NamedTemporaryFile(suffix=".head") as tmp:
        tmp.write(storage.read_head(key, HEAD_BYTES))
        tmp.flush()
        return imaging.inspect(Path(tmp.name), max_pixels, verify=False)


def verify_digest(expected: str, actual: str) -> None:
    """The worker's check that the bytes in the store are the ones the browser hashed."""
    if not hmac.compare_digest(expected, actual):
        raise IngestError("The stored file does not match the checksum sent with it; upload it again.")
