"""``/e/{slug}/theme.css``: a published event's accent colour as a stylesheet.

The pages allow no inline style (security.py), so the guest page and the live screen link this small
stylesheet after their own; its address carries the colour, so a new colour is a new address.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from eventlens.events.branding import Branding, theme_css
from eventlens.guests.dependencies import Guests

router = APIRouter(include_in_schema=False)


@router.get("/e/{slug}/theme.css")
def theme(slug: str, guests: Guests) -> Response:
    event = guests.public_view(slug)
    return Response(
        theme_css(Branding(accent=event.accent)),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400"},
    )
