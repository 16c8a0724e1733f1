"""Notify jobs: match a newly indexed photo, batch a subscriber's matches, send the e-mail, sweep."""

from __future__ import annotations

import logging
import uuid

from eventlens.context import AppContext
from eventlens.db import utcnow
from eventlens.jobs.queue import job
from eventlens.notify import mailer, service
from eventlens.notify.dependencies import notify_config

log = logging.getLogger("eventlens.notify")


@job(service.MATCH_JOB)
def match(ctx: AppContext, photo_id: str) -> None:
    if ctx.site.smtp_url:
        service.match_photo(ctx.sessions, ctx.faces, uuid.UUID(photo_id))


@job(service.BATCH_JOB)
def batch(ctx: AppContext, subscription_id: str) -> None:
    service.make_batch(ctx.sessions, uuid.UUID(subscription_id), ctx.site.notify_min_minutes, utcnow())


# An SMTP server that is down or refuses for a while: tries over about 15 minutes.
@job(service.DELIVER_JOB, retries=5, retry_delay=30, retry_backoff=2.0)
def deliver(ctx: AppContext, mail_id: str) -> None:
    if not ctx.site.smtp_url:
        log.warning("notify.not_sent mail=%s (no SMTP server configured)", mail_id)
        return
    server = mailer.SmtpServer.from_url(ctx.site.smtp_url)
    service.deliver(ctx.sessions, notify_config(ctx), uuid.UUID(mail_id), lambda m: mailer.send(server, m))


@job("notify.sweep", retries=0, every_minute=True)
def sweep(ctx: AppContext) -> None:
    """Batch the matches that waited for the throttle (and any whose batch job was lost)."""
    for subscription_id in service.due(ctx.sessions, ctx.site.notify_min_minutes, utcnow()):
        ctx.queue.enqueue(service.BATCH_JOB, str(subscription_id))
