"""The notify settings for a request or a job, from the app's context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from eventlens.context import AppContext, Ctx
from eventlens.notify.service import NotifyConfig


def notify_config(ctx: AppContext) -> NotifyConfig:
    site = ctx.site
    return NotifyConfig(
        smtp_url=site.smtp_url,
        mail_from=site.mail_from,
        base_url=site.base_url,
        secret=site.secret,
        min_minutes=site.notify_min_minutes,
        rate_limit=site.notify_rate_limit,
        client_rate_limit=site.search_rate_limit,
    )


def get_notify_config(ctx: Ctx) -> NotifyConfig:
    return notify_config(ctx)


Notify = Annotated[NotifyConfig, Depends(get_notify_config)]
