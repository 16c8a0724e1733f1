"""Events: create, read, update, change status, delete with everything in it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from eventlens.auth import passwords
from eventlens.bibs import settings as bib_settings
from eventlens.bibs.service import read_whole_event
from eventlens.db import session_scope, utcnow
from eventlens.errors import ApiError, Conflict, Invalid
from eventlens.events import branding, permissions, slugs
from eventlens.events.links import guest_url
from eventlens.events.permissions import Access, Action
from eventlens.events.repository import EventRepository
from eventlens.events.rules import (  # noqa: F401 (one import point)
    EventArchived,
    deletion_soon,
    require_open,
    takes_photos,
)
from eventlens.events.schemas import EventCounts, EventCreate, EventRead, EventUpdate, dump
from eventlens.faces.service import forget_event_collections
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.members.repository import MemberRepository
from eventlens.models import Event, EventStatus, FaceDetail, Photo, User
from eventlens.notify.service import enabled_for as notify_enabled
from eventlens.notify.service import forget_event as forget_subscriptions
from eventlens.pagination import decode_cursor, encode_cursor
from eventlens.photos.keys import event_prefix
from eventlens.photos.service import reprocess
from eventlens.storage.base import ObjectStore
from eventlens.watermark import settings as watermark
from eventlens.watermark.jobs import FORGET_STALE_JOB
from eventlens.webhooks.publisher import publish

log = logging.getLogger("eventlens.events")

# Which status each action may start from.
TRANSITIONS: dict[str, tuple[set[EventStatus], EventStatus]] = {
    "publish": ({EventStatus.draft, EventStatus.archived}, EventStatus.published),
    "unpublish": ({EventStatus.published}, EventStatus.draft),
    "archive": ({EventStatus.draft, EventStatus.published}, EventStatus.archived),
}


def get_event_for(db: Session, user: User, event_id: uuid.UUID, action: Action = Action.manage) -> Event:
    """The event when the user may take ``action`` on it (``permissions.ALLOWED``): a stranger gets 404,
    never 403; a member whose role does not allow it gets 403.

    Without an action this is ``manage`` (owner or admin), so a caller written without roles in mind
    never lets a member in.
    """
    event = EventRepository(db).get(event_id)
    permissions.require(db, user, event, action)
    assert event is not None
    return event


def access_to(db: Session, user: User, event: Event) -> Access | None:
    """What the user is to the event (owner, admin, photographer, viewer), None for a stranger."""
    return permissions.access_to(db, user, event)


def upload_times(db: Session, event: Event) -> list[datetime]:
    """When each of the event's photos arrived, for the uploads chart."""
    return EventRepository(db).upload_times(event.id)


def _expires_at(event: Event) -> datetime | None:
    if event.retention_days is None:
        return None
    start = event.ends_at or event.starts_at or event.created_at or utcnow()
    return start + timedelta(days=event.retention_days)


def _unique_slug(repo: EventRepository, wanted: str | None, name: str, event_id: uuid.UUID | None) -> str:
    if wanted is not None:
        if repo.slug_taken(wanted, except_id=event_id):
            raise Conflict(f"The link name '{wanted}' is taken; choose another.", "slug_taken")
        return wanted
    # A random suffix by default, so a guest link cannot be guessed from the event's name.
    base = slugs.slugify(name)
    slug = slugs.with_suffix(base)
    while repo.slug_taken(slug, except_id=event_id):
        slug = slugs.with_suffix(base)
    return slug


def create_event(db: Session, owner: User, data: EventCreate) -> Event:
    repo = EventRepository(db)
    name = data.name.strip()
    if not name:
        raise Invalid("name: must not be blank", field="name")
    event = Event(
        owner_id=owner.id,
        name=name,
        slug=_unique_slug(repo, data.slug, name, None),
        description=data.description or "",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        retention_days=data.retention_days,
        face_detail=data.face_detail or FaceDetail.standard,
        access_code_hash=passwords.hash_password(data.access_code) if data.access_code else None,
        settings={},
        created_at=utcnow(),
    )
    event.expires_at = _expires_at(event)
    repo.add(event)
    log.info("event.created id=%s owner=%s", event.id, owner.id)
    return event


def update_event(db: Session, event: Event, data: EventUpdate) -> Event:
    changes: dict[str, Any] = dump(data)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise Invalid("name: must not be blank", field="name")
        event.name = name
    if "description" in changes:
        event.description = changes["description"] or ""
    if "starts_at" in changes:
        event.starts_at = changes["starts_at"]
    if "ends_at" in changes:
        event.ends_at = changes["ends_at"]
    if event.starts_at and event.ends_at and event.ends_at < event.starts_at:
        raise Invalid("ends_at: must not be before starts_at", field="ends_at")
    if "retention_days" in changes:
        event.retention_days = changes["retention_days"]
    if "access_code" in changes:
        code = changes["access_code"]
        event.access_code_hash = passwords.hash_password(code) if code else None
    if "cover_photo_id" in changes:
        cover = changes["cover_photo_id"]
        photo = db.get(Photo, cover) if cover else None
        if cover and (photo is None or photo.event_id != event.id):
            raise Invalid("cover_photo_id: not a photo of this event", field="cover_photo_id")
        event.cover_photo_id = cover
    if "branding" in changes:
        branding.apply(
            db, event, changes["branding"] or branding.BrandingUpdate(logo_photo_id=None, accent=None)
        )
    look_before = (watermark.watermark_of(event), branding.branding_of(event).logo_photo_id)
    if "watermark" in changes:
        watermark.apply(event, changes["watermark"])
    if "downloads" in changes:
        watermark.set_downloads(event, changes["downloads"])
    if {"watermark", "downloads", "branding"} & set(changes):
        watermark.check(event)  # on the event as it will be saved: a logo to use, text to draw
    if look_before != (watermark.watermark_of(event), branding.branding_of(event).logo_photo_id):
        # Renditions drawn with the old look are not asked for again: a job removes them.
        enqueue_after_commit(db, FORGET_STALE_JOB, str(event.id))
    detail_changed = False
    if "face_detail" in changes:
        if changes["face_detail"] is None:
            raise Invalid("face_detail: must be standard or crowd", field="face_detail")
        detail_changed = changes["face_detail"] != event.face_detail
        event.face_detail = changes["face_detail"]
    if "notify_enabled" in changes:
        if changes["notify_enabled"] is None:
            raise Invalid("notify_enabled: must be true or false", field="notify_enabled")
        event.settings = {**(event.settings or {}), "notify_enabled": bool(changes["notify_enabled"])}
    bibs_on = bib_settings.change(event, enabled=changes.get("bib_search"), digits=changes.get("bib_digits"))
    if "slug" in changes and changes["slug"] is not None and changes["slug"] != event.slug:
        event.slug = _unique_slug(EventRepository(db), changes["slug"], event.name, event.id)
    event.expires_at = _expires_at(event)
    event.updated_at = utcnow()
    db.flush()
    if detail_changed:
        # Photos already processed were looked at with the other setting: look again (queued after
        # commit; photos not yet processed pick the new setting up by themselves).
        reprocess(db, event, only_failed=False)
    if bibs_on:
        read_whole_event(db, event)  # its own job: the photos are not indexed for faces again
    log.info("event.updated id=%s fields=%s", event.id, ",".join(sorted(changes)))
    return event


def change_status(db: Session, event: Event, action: str) -> Event:
    allowed, target = TRANSITIONS[action]
    if event.status not in allowed:
        raise ApiError(
            409, "invalid_status_change", f"Cannot {action} an event that is {event.status.value}."
        )
    event.status = target
    if target == EventStatus.published:
        event.published_at = utcnow()
    event.updated_at = utcnow()
    db.flush()
    if target == EventStatus.archived:
        forget_subscriptions(db, event.id)  # guests' face descriptions go when the event closes
    if target in (EventStatus.published, EventStatus.archived):
        publish(db, event, f"event.{target.value}", {})
    log.info("event.%s id=%s", action, event.id)
    return event


def delete_event(db: Session, storage: ObjectStore, event: Event) -> None:
    """Delete every object under the event, then its rows (photos, faces, credentials cascade).

    Objects go first: if the store fails, the event is still there and the user can try again;
    the other order could leave objects nobody can find or delete any more.
    """
    removed = storage.delete_prefix(event_prefix(event.id))
    forget_event_collections(db, event.id)
    EventRepository(db).delete(event)
    log.info("event.deleted id=%s objects=%d", event.id, removed)


def purge_expired(
    sessions: sessionmaker[Session], storage: ObjectStore, now: datetime
) -> list[tuple[uuid.UUID, int]]:
    """Delete every event whose retention ran out, each exactly as ``DELETE /api/events/{id}`` does.

    One unit of work per event, so a store that fails on one event (it stays, tried again next hour)
    does not keep the others. Answers ``(event id, photo count)`` for each event deleted.
    """
    with session_scope(sessions) as db:
        expired = EventRepository(db).expired_ids(now)
    purged: list[tuple[uuid.UUID, int]] = []
    for event_id in expired:
        try:
            with session_scope(sessions) as db:
                repo = EventRepository(db)
                event = repo.get(event_id)
                # Deleted by its owner or given a longer retention since the list was read.
                if event is None or event.expires_at is None or event.expires_at > now:
                    continue
                photos = repo.counts([event_id])[event_id].photos.total
                delete_event(db, storage, event)
        except Exception:
            log.exception("event.expire_failed id=%s", event_id)
            continue
        log.info("event.expired id=%s photos=%d", event_id, photos)
        purged.append((event_id, photos))
    return purged


def to_read(event: Event, counts: EventCounts, base_url: str, role: Access | None = None) -> EventRead:
    return EventRead(
        id=event.id,
        owner_id=event.owner_id,
        name=event.name,
        slug=event.slug,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
        has_access_code=event.access_code_hash is not None,
        retention_days=event.retention_days,
        expires_at=event.expires_at,
        face_detail=event.face_detail,
        notify_enabled=notify_enabled(event),
        bib_search=bib_settings.of(event).enabled,
        bib_digits=str(bib_settings.of(event).format),
        cover_photo_id=event.cover_photo_id,
        branding=branding.branding_of(event),
        watermark=watermark.watermark_of(event),
        downloads=watermark.downloads_of(event),
        created_at=event.created_at,
        updated_at=event.updated_at,
        published_at=event.published_at,
        guest_url=guest_url(base_url, event.slug),
        counts=counts,
        role=role,
    )


def read_event(db: Session, event: Event, base_url: str, user: User | None = None) -> EventRead:
    """The event with its counts, and ``role``: what ``user`` is to it (None when no user is given)."""
    role = permissions.access_to(db, user, event) if user is not None else None
    return to_read(event, EventRepository(db).counts([event.id])[event.id], base_url, role)


def list_events(
    db: Session, user: User, *, base_url: str, limit: int, cursor: str | None, everyone: bool = False
) -> tuple[list[EventRead], str | None]:
    """The events the user owns or is a member of, newest first, each with the user's ``role`` on it
    (admins asking for ``everyone``: every event)."""
    repo = EventRepository(db)
    viewer = None if (everyone and user.is_admin) else user.id
    rows = repo.page(viewer, limit=limit + 1, after=decode_cursor(cursor))
    more = len(rows) > limit
    rows = rows[:limit]
    counts = repo.counts([e.id for e in rows])
    roles = MemberRepository(db).roles_in(user.id, [e.id for e in rows])

    def role(e: Event) -> Access:
        if e.owner_id == user.id:
            return Access.owner
        if user.is_admin:
            return Access.admin
        return Access(roles[e.id].value)

    items = [to_read(e, counts[e.id], base_url, role(e)) for e in rows]
    return items, (encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None)


def covers(db: Session, events: list[EventRead]) -> dict[uuid.UUID, uuid.UUID]:
    """The photo each event shows as its cover: the owner's pick, else its first photo with a face."""
    auto = EventRepository(db).first_with_faces([e.id for e in events if e.cover_photo_id is None])
    return {e.id: e.cover_photo_id for e in events if e.cover_photo_id} | auto


def event_ref(db: Session, ref: str) -> uuid.UUID | None:
    """The id of the event named by its id or its link name (slug), or None when there is none."""
    repo = EventRepository(db)
    try:
        event = repo.get(uuid.UUID(ref))
    except ValueError:
        event = repo.by_slug(ref.strip().lower())
    return event.id if event is not None else None
