"""Notify me: subscribe with a selfie, match newly indexed photos, batch them into e-mails, unsubscribe.

One entry point per use case, called by the API route, the pages and the jobs alike. What is kept of a
guest is the subscription row: the embeddings of their selfies (never an image), the consent sentence
and its time, and the address. Deleting the row deletes all of it; that happens on unsubscribe, when
the event is archived, and (by cascade) when the event is deleted or its retention runs out.

Only the local face backend hands out embeddings; with Rekognition the feature is unavailable (409).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope, utcnow
from eventlens.errors import ApiError, NotFound
from eventlens.faces.backend import FaceBackend
from eventlens.faces.index import Match
from eventlens.guests import access
from eventlens.guests.selfie import embed_selfies
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import (
    Event,
    EventStatus,
    MailStatus,
    NotifyMail,
    NotifyMatch,
    NotifySubscription,
    Photo,
)
from eventlens.notify import links, message
from eventlens.notify.repository import NotifyRepository
from eventlens.ratelimit import RateLimiter

if TYPE_CHECKING:
    from eventlens.faces.engine.base import FaceEngine
    from eventlens.faces.local import LocalBackend

log = logging.getLogger("eventlens.notify")

CONSENT_TEXT = (
    "We keep a mathematical description of your face, not your photo, until the event ends or you "
    "unsubscribe."
)
MATCH_JOB = "notify.match"
BATCH_JOB = "notify.batch"
DELIVER_JOB = "notify.deliver"
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True)
class NotifyConfig:
    """This install's mail settings, as plain values (the wiring reads them)."""

    smtp_url: str | None
    mail_from: str
    base_url: str
    secret: str
    min_minutes: float
    rate_limit: str  # subscriptions per e-mail address
    client_rate_limit: str  # per guest address: a subscription embeds selfies like a search, so the search's

    @property
    def mail_configured(self) -> bool:
        return bool(self.smtp_url)


@dataclass(frozen=True)
class SubscribeForm:
    selfies: list[bytes]
    email: str
    consent: str


@dataclass(frozen=True)
class Subscribed:
    id: uuid.UUID
    email: str
    consent_text: str
    consented_at: datetime
    selfies_used: int
    skipped_selfies: list[int]


@dataclass(frozen=True)
class SubscriptionResults:
    subscription_id: uuid.UUID
    event: Event
    hits: list[tuple[Match, Photo]]
    guest_pass: str


def enabled_for(event: Event) -> bool:
    """The photographer's switch (``PATCH /api/events/{id}`` ``notify_enabled``); on by default."""
    return bool((event.settings or {}).get("notify_enabled", True))


def _local(faces: FaceBackend) -> LocalBackend | None:
    """The local backend, the one that has embeddings (imported late: it loads the search index)."""
    from eventlens.faces.local import LocalBackend

    return faces if isinstance(faces, LocalBackend) else None


def _local_engine(faces: FaceBackend) -> FaceEngine | None:
    local = _local(faces)
    return local.engine if local is not None else None


def offered(config: NotifyConfig, faces: FaceBackend, event: Event) -> bool:
    """Whether the guest page shows "Tell me when new photos of me arrive" for this event."""
    return (
        config.mail_configured
        and _local_engine(faces) is not None
        and event.status == EventStatus.published
        and enabled_for(event)
    )


def offered_on_page(
    sessions: sessionmaker[Session], faces: FaceBackend, config: NotifyConfig, slug: str
) -> bool:
    """``offered`` for the guest page of ``slug`` (False for an event that is not published)."""
    if not config.mail_configured:
        return False
    with session_scope(sessions) as db:
        event = NotifyRepository(db).published_event(slug)
        return event is not None and offered(config, faces, event)


def require_offered(config: NotifyConfig, faces: FaceBackend, event: Event) -> FaceEngine:
    """The engine to embed selfies with; 404 without SMTP, 409 where the event or engine cannot."""
    if not config.mail_configured:
        raise ApiError(
            404, "not_found", "This server sends no e-mail, so it cannot tell you about new photos."
        )
    engine = _local_engine(faces)
    if engine is None:
        raise ApiError(
            409,
            "notify_unavailable",
            "New-photo e-mails need the local face engine; this server uses another.",
        )
    if not enabled_for(event):
        raise ApiError(409, "notify_off", "The photographer has turned new-photo e-mails off for this event.")
    return engine


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ApiError(
            422,
            "validation_error",
            "Enter a valid e-mail address.",
            [{"field": "email", "message": "not an e-mail address"}],
        )
    return email


def check_client(limiter: RateLimiter, config: NotifyConfig, client: str) -> None:
    """Count one subscription attempt of this guest address (before the body is read)."""
    limiter.hit(config.client_rate_limit, "notify-client", client)


def subscribe(
    sessions: sessionmaker[Session],
    faces: FaceBackend,
    limiter: RateLimiter,
    config: NotifyConfig,
    event: Event,
    form: SubscribeForm,
) -> Subscribed:
    """Keep the selfies' embeddings for new-photo e-mails to ``form.email`` (replacing its earlier ones).

    The selfies are embedded here, in memory, and dropped; only the float rows are stored.
    """
    engine = require_offered(config, faces, event)
    if form.consent.strip().lower() != "true":
        raise ApiError(
            422,
            "consent_required",
            "Agree to keeping a description of your face (consent=true) to be told about new photos.",
            [{"field": "consent", "message": "must be true"}],
        )
    email = normalise_email(form.email)
    limiter.hit(config.rate_limit, "notify-email", email)
    embedded = embed_selfies(engine, form.selfies)
    now = utcnow()
    row = NotifySubscription(
        event_id=event.id,
        email=email,
        embeddings=np.ascontiguousarray(embedded.embeddings, dtype="<f4").tobytes(),
        engine_id=engine.engine_id,
        consent_text=CONSENT_TEXT,
        consented_at=now,
    )
    with session_scope(sessions) as db:
        NotifyRepository(db).replace_subscription(row)
        subscribed = Subscribed(
            row.id, email, CONSENT_TEXT, now, int(embedded.embeddings.shape[0]), embedded.skipped
        )
    log.info(
        "notify.subscribed event=%s subscription=%s selfies=%d",
        event.id,
        subscribed.id,
        subscribed.selfies_used,
    )
    return subscribed


# --- matching new photos ---------------------------------------------------------------------------


def photo_indexed(db: Session, photo: Photo) -> None:
    """Hook of processing: have a newly indexed photo of a published event matched (after the commit)."""
    event = db.get(Event, photo.event_id)
    if event is None or event.status != EventStatus.published or not enabled_for(event):
        return
    if NotifyRepository(db).has_subscribers(event.id):
        enqueue_after_commit(db, MATCH_JOB, str(photo.id))


def match_photo(sessions: sessionmaker[Session], faces: FaceBackend, photo_id: uuid.UUID) -> list[uuid.UUID]:
    """Record the photo for every subscription of its event that it matches at the high tier.

    Answers the subscriptions that gained a match; their e-mail is batched (``make_batch``).
    """
    engine = _local_engine(faces)
    if engine is None:
        return []
    with session_scope(sessions) as db:
        repo = NotifyRepository(db)
        photo = db.get(Photo, photo_id)
        event = db.get(Event, photo.event_id) if photo is not None else None
        if photo is None or event is None or event.status != EventStatus.published or not enabled_for(event):
            return []
        rows = repo.face_embeddings(photo.id, engine.engine_id)
        if not rows:
            return []
        found = np.vstack([np.frombuffer(r, dtype="<f4") for r in rows]).reshape(-1, engine.dim)
        already = repo.matched_subscriptions(photo.id)
        matched: list[uuid.UUID] = []
        for sub in repo.of_event(event.id, engine.engine_id):
            if sub.id in already:
                continue
            wanted = np.frombuffer(sub.embeddings, dtype="<f4").reshape(-1, engine.dim)
            best = float((found @ wanted.T).max())
            if best >= engine.match_threshold:
                repo.add_match(NotifyMatch(subscription_id=sub.id, photo_id=photo.id, similarity=best))
                matched.append(sub.id)
        for sub_id in matched:
            enqueue_after_commit(db, BATCH_JOB, str(sub_id))
    if matched:
        log.info("notify.matched photo=%s subscriptions=%d", photo_id, len(matched))
    return matched


def make_batch(
    sessions: sessionmaker[Session], subscription_id: uuid.UUID, min_minutes: float, now: datetime
) -> uuid.UUID | None:
    """Gather the subscription's unmailed matches into one e-mail, unless one went out too recently.

    The subscription row is locked while the batch is made, so two jobs never make two e-mails. A
    throttled batch waits for the minute sweep (``due``). Answers the new mail's id.
    """
    with session_scope(sessions) as db:
        repo = NotifyRepository(db)
        sub = repo.get(subscription_id, lock=True)
        if sub is None:
            return None
        if sub.last_sent_at is not None and sub.last_sent_at > now - timedelta(minutes=min_minutes):
            return None
        event = db.get(Event, sub.event_id)
        if event is None or event.status != EventStatus.published or not enabled_for(event):
            return None
        pending = repo.unmailed(sub.id)
        if not pending:
            return None
        mail = NotifyMail(
            event_id=sub.event_id, subscription_id=sub.id, photo_count=len(pending), created_at=now
        )
        repo.add_mail(mail)
        for match in pending:
            match.mail_id = mail.id
        sub.last_sent_at = now
        enqueue_after_commit(db, DELIVER_JOB, str(mail.id))
        return mail.id


def due(sessions: sessionmaker[Session], min_minutes: float, now: datetime) -> list[uuid.UUID]:
    """Subscriptions whose waiting matches may be mailed now (the throttle has passed)."""
    with session_scope(sessions) as db:
        return NotifyRepository(db).due(now - timedelta(minutes=min_minutes))


def deliver(
    sessions: sessionmaker[Session],
    config: NotifyConfig,
    mail_id: uuid.UUID,
    send: Callable[[EmailMessage], None],
) -> bool:
    """Send one e-mail; raises when the SMTP server does not take it (the job retries).

    A guest who unsubscribed in the meantime gets nothing. Answers whether it was sent now.
    """
    with session_scope(sessions) as db:
        repo = NotifyRepository(db)
        mail = repo.mail(mail_id)
        if mail is None or mail.status != MailStatus.pending:
            return False
        sub = repo.get(mail.subscription_id) if mail.subscription_id else None
        event = db.get(Event, mail.event_id)
        photos = repo.mail_photos(mail.id)
        if sub is None or event is None or not photos:
            mail.status = MailStatus.dropped
            return False
        mail.attempts += 1
        guest_pass = access.make_pass(config.secret, event.id)
        base = f"{config.base_url.rstrip('/')}/api/public/events/{event.slug}/photos"
        built = message.build(
            message.NewPhotos(
                to=sub.email,
                event_name=event.name,
                count=len(photos),
                thumbnail_urls=[f"{base}/{p.id}/thumbnail?t={guest_pass}" for p in photos],
                results_url=links.results_url(config.base_url, config.secret, sub.id),
                unsubscribe_url=links.unsubscribe_url(config.base_url, config.secret, sub.id),
            ),
            mail_from=message.sender(config.mail_from, config.base_url),
            now=utcnow(),
        )
    send(built)  # outside any transaction: an SMTP server can be slow
    with session_scope(sessions) as db:
        sent = NotifyRepository(db).mail(mail_id)
        if sent is not None:
            sent.status = MailStatus.sent
            sent.sent_at = utcnow()
    log.info("notify.sent mail=%s event=%s photos=%d", mail_id, mail.event_id, len(photos))
    return True


# --- the guest's links -----------------------------------------------------------------------------


def results(
    sessions: sessionmaker[Session], faces: FaceBackend, config: NotifyConfig, token: str
) -> SubscriptionResults:
    """Every photo of the subscriber in the event, found with the kept embeddings (no new selfie)."""
    subscription_id = links.read_token(config.secret, links.RESULTS, token)
    local = _local(faces)
    if subscription_id is None or local is None:
        raise NotFound("subscription")
    with session_scope(sessions) as db:
        sub = NotifyRepository(db).get(subscription_id)
        event = db.get(Event, sub.event_id) if sub is not None else None
        if sub is None or event is None or event.status != EventStatus.published:
            raise NotFound("subscription")
        wanted = np.frombuffer(sub.embeddings, dtype="<f4").reshape(-1, local.engine.dim)
        db.expunge(event)
    found = local.search_index.search(event.id, wanted)
    with session_scope(sessions) as db:
        photos = NotifyRepository(db).photos(event.id, [m.photo_id for m in found.matches])
        for photo in photos.values():
            db.expunge(photo)
    hits = [(m, photos[m.photo_id]) for m in found.matches if m.photo_id in photos]
    return SubscriptionResults(subscription_id, event, hits, access.make_pass(config.secret, event.id))


def subscription_event(sessions: sessionmaker[Session], config: NotifyConfig, token: str) -> str | None:
    """The event name an unsubscribe link is about; None when the subscription is already gone.

    Raises NotFound for a link that was never valid.
    """
    subscription_id = links.read_token(config.secret, links.UNSUBSCRIBE, token)
    if subscription_id is None:
        raise NotFound("subscription")
    with session_scope(sessions) as db:
        sub = NotifyRepository(db).get(subscription_id)
        event = db.get(Event, sub.event_id) if sub is not None else None
        return event.name if event is not None else None


def unsubscribe(sessions: sessionmaker[Session], config: NotifyConfig, token: str) -> bool:
    """Delete the subscription (its embeddings, address and waiting matches) at once.

    Answers whether there was one; a second click is not an error. Raises NotFound for a forged link.
    """
    subscription_id = links.read_token(config.secret, links.UNSUBSCRIBE, token)
    if subscription_id is None:
        raise NotFound("subscription")
    with session_scope(sessions) as db:
        removed = NotifyRepository(db).delete(subscription_id) > 0
    if removed:
        log.info("notify.unsubscribed subscription=%s", subscription_id)
    return removed


def forget_event(db: Session, event_id: uuid.UUID) -> int:
    """Delete every subscription of the event (archived): in the caller's transaction."""
    removed = NotifyRepository(db).delete_of_event(event_id)
    if removed:
        log.info("notify.forgotten event=%s subscriptions=%d", event_id, removed)
    return removed
