"""The guest service for a request, built from the app's context (the wiring reads the settings here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from eventlens.context import Ctx
from eventlens.guests.service import GuestLimits, GuestService


def get_guests(ctx: Ctx) -> GuestService:
    settings = ctx.site
    return GuestService(
        ctx.sessions,
        ctx.read_sessions,
        ctx.storage,
        ctx.faces,
        ctx.limiter,
        secret=settings.secret,
        limits=GuestLimits(
            search_per_client=settings.search_rate_limit,
            search_per_event=settings.search_rate_limit_event,
            access_per_client=settings.login_rate_limit,
        ),
        work_dir=settings.data_dir / "work",
    )


Guests = Annotated[GuestService, Depends(get_guests)]

# How a guest proves access on the public routes: the event's code, or the pass an earlier answer gave.
AccessCode = Annotated[str | None, Header(alias="X-Access-Code")]
GuestPass = Annotated[str | None, Query(alias="t", description="Guest pass from a search answer")]
