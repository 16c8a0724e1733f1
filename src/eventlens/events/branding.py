"""The event's own look on the guest page and the live screen: a logo and an accent colour.

Kept in the event's ``settings`` JSON (``{"branding": {"logo_photo_id": ..., "accent": "#rrggbb"}}``):
a few values read with the event, no table of their own. The logo is one of the event's photos (upload
the logo as a photo and hide it from guests: it still shows as the logo). The accent reaches the pages
as a small stylesheet (``/e/{slug}/theme.css``), since the pages allow no inline style.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from eventlens.errors import Invalid
from eventlens.models import Event, Photo

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class Branding(BaseModel):
    logo_photo_id: uuid.UUID | None = Field(None, description="A photo of this event shown as its logo")
    accent: str | None = Field(
        None, description="Accent colour `#rrggbb` for buttons, links and the live screen"
    )


class BrandingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    logo_photo_id: uuid.UUID | None = Field(
        None, description="A photo of this event (hidden ones too) shown as its logo; null removes the logo"
    )
    accent: str | None = Field(None, description="`#rrggbb`; null goes back to the default colours")

    @field_validator("accent")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not HEX.match(value):
            raise ValueError("must be a colour written #rrggbb")
        return value.lower() if value else value


def branding_of(event: Event) -> Branding:
    raw: dict[str, Any] = (event.settings or {}).get("branding") or {}
    return Branding.model_validate(raw)


def apply(db: Session, event: Event, update: BrandingUpdate) -> None:
    """Change the fields sent (a field sent as null clears it); the logo must be a photo of this event."""
    current = branding_of(event).model_dump(mode="json")
    for name in update.model_fields_set:
        current[name] = getattr(update, name)
    logo = update.logo_photo_id if "logo_photo_id" in update.model_fields_set else None
    if logo is not None:
        photo = db.get(Photo, logo)
        if photo is None or photo.event_id != event.id:
            raise Invalid("branding.logo_photo_id: not a photo of this event", field="branding.logo_photo_id")
        current["logo_photo_id"] = str(logo)
    # A new dict, so SQLAlchemy sees the JSON column change.
    event.settings = {
        **(event.settings or {}),
        "branding": {k: v for k, v in current.items() if v is not None},
    }


def ink_for(accent: str) -> str:
    """Black or white text on the accent, whichever reads better (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(accent[i : i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


def theme_css(branding: Branding) -> str:
    """The event's stylesheet: its accent for light and dark schemes (empty without one)."""
    if not branding.accent:
        return ""
    decl = f"--accent: {branding.accent}; --accent-ink: {ink_for(branding.accent)};"
    return f":root {{ {decl} }}\n@media (prefers-color-scheme: dark) {{ :root {{ {decl} }} }}\n"
