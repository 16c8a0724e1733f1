"""Serving a photo's image: streamed from the object store, or a redirect to a signed URL where it has one."""

from __future__ import annotations

import uuid
from typing import Literal

from starlette.responses import RedirectResponse, Response, StreamingResponse

from eventlens.context import AppContext
from eventlens.db import session_scope
from eventlens.errors import ApiError, NotFound
from eventlens.events.permissions import Action
from eventlens.models import Photo, User
from eventlens.photos import keys
from eventlens.photos.filenames import clean_name, content_disposition
from eventlens.photos.service import get_photo_for
from eventlens.storage.base import ObjectNotFound

Variant = Literal["original", "preview", "thumbnail"]
# What an image answer can be: an original as uploaded, or a WebP preview or thumbnail.
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


def image_response(ctx: AppContext, photo: Photo, variant: Variant, *, download: bool = False) -> Response:
    """The image bytes streamed from the store, or a redirect to a signed URL where the store has one."""
    # Cleaned again: rows stored before the file-name rule may hold control characters.
    stored_name = clean_name(photo.original_filename, f"{photo.id}.{photo.extension}")
    if variant == "original":
        key, mime, name = photo.object_key, photo.mime, stored_name
    else:
        if not photo.has_preview:
            raise ApiError(404, "not_ready", "The preview is not made yet; the photo is still processing.")
        key = (keys.preview_key if variant == "preview" else keys.thumbnail_key)(photo.event_id, photo.id)
        stem = stored_name.rsplit(".", 1)[0] if "." in stored_name.lstrip(".") else stored_name
        mime, name = "image/webp", f"{stem}-{variant}.webp"
    # An original is whatever the uploader sent: always a file to save, never shown by the browser
    # (the dashboard and guest page display previews). Previews and thumbnails are ours: inline.
    return object_response(ctx, key, mime, name, attachment=download or variant == "original")


def object_response(ctx: AppContext, key: str, mime: str, name: str, *, attachment: bool) -> Response:
    """One stored object as the answer: streamed, or a redirect to a signed URL where the store has one."""
    disposition = content_disposition("attachment" if attachment else "inline", name)
    signed = ctx.storage.signed_url(key, disposition)  # S3 answers with the same header
    if signed:
        return RedirectResponse(signed, status_code=307)
    try:
        size = ctx.storage.size(key)
        chunks = ctx.storage.iter_chunks(key)
    except ObjectNotFound as exc:
        raise NotFound("image") from exc
    headers = {
        "Content-Length": str(size),
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": disposition,
    }
    return StreamingResponse(chunks, media_type=mime, headers=headers)


def variant_name(photo: Photo, suffix: str, ext: str) -> str:
    """``{stem}{suffix}.{ext}``, from the photo's cleaned file name."""
    stored_name = clean_name(photo.original_filename, f"{photo.id}.{photo.extension}")
    stem = stored_name.rsplit(".", 1)[0] if "." in stored_name.lstrip(".") else stored_name
    return f"{stem}{suffix}.{ext}"


def owned_image(
    ctx: AppContext, user: User, photo_id: uuid.UUID, variant: Variant, *, download: bool = False
) -> Response:
    """A photo of an event the user may view (owner, member, admin); 404 for anyone else."""
    # The session closes before streaming starts: a slow download holds no database connection.
    with session_scope(ctx.sessions) as db:
        photo = get_photo_for(db, user, photo_id, Action.view)
    return image_response(ctx, photo, variant, download=download)
