"""The event's watermark and download settings, kept in its ``settings`` JSON like the branding.

``{"watermark": {"enabled", "kind", "text", "position", "size", "opacity"}, "downloads": "original"}``.
Each field is checked alone by the models; what depends on the rest of the event (a logo to use, text
to draw, a watermark to download with) is checked on the event as it will be saved (:func:`check`), so
a change of the branding cannot leave a watermark pointing at a logo that is gone.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from eventlens.errors import Invalid
from eventlens.events.branding import branding_of
from eventlens.models import Event
from eventlens.watermark import fonts

Kind = Literal["text", "logo"]
Position = Literal["bottom-right", "bottom-left", "top-right", "top-left", "center", "tiled"]
Downloads = Literal["original", "watermarked", "off"]
MAX_TEXT = 80
# Bump when the drawing changes: every cached rendition is then made again.
RENDER_VERSION = 1


class Watermark(BaseModel):
    enabled: bool = Field(False, description="Burn the mark into guest previews and thumbnails")
    kind: Kind = Field("text", description="`text`, or `logo`: the event's branding logo")
    text: str = Field("", description=f"The text of a `text` mark, up to {MAX_TEXT} characters")
    position: Position = Field("bottom-right", description="A corner, `center`, or `tiled` over the photo")
    size: float = Field(0.25, description="Width of the mark as a fraction of the photo's width")
    opacity: float = Field(0.6, description="0 (invisible) to 1 (solid)")


class WatermarkUpdate(BaseModel):
    """The fields sent change; the others stay. ``null`` is refused for each field (send the value)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enabled: bool = False
    kind: Kind = "text"
    text: str = Field("", max_length=MAX_TEXT, description=f"Up to {MAX_TEXT} characters, any script")
    position: Position = "bottom-right"
    size: float = Field(0.25, ge=0.05, le=1.0, description="0.05 to 1: the mark's width / the photo's")
    opacity: float = Field(0.6, ge=0.05, le=1.0, description="0.05 to 1")

    @field_validator("text")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") for c in value):
            raise ValueError("must be one line of printable characters")
        return unicodedata.normalize("NFC", value)


def watermark_of(event: Event) -> Watermark:
    raw: dict[str, Any] = (event.settings or {}).get("watermark") or {}
    return Watermark.model_validate(raw)


def downloads_of(event: Event) -> Downloads:
    value = (event.settings or {}).get("downloads")
    return value if value in ("watermarked", "off") else "original"


def apply(event: Event, update: WatermarkUpdate | None) -> None:
    """Change the fields sent; ``None`` (``"watermark": null``) goes back to no watermark."""
    current = watermark_of(event).model_dump() if update is not None else Watermark().model_dump()
    if update is not None:
        for name in update.model_fields_set:
            current[name] = getattr(update, name)
    # A new dict, so SQLAlchemy sees the JSON column change.
    event.settings = {**(event.settings or {}), "watermark": current}


def set_downloads(event: Event, downloads: Downloads | None) -> None:
    if downloads is None:
        raise Invalid("downloads: must be original, watermarked or off", field="downloads")
    event.settings = {**(event.settings or {}), "downloads": downloads}


def check(event: Event) -> None:
    """Refuse (422) settings that cannot be honoured, on the event as it is about to be saved."""
    mark = watermark_of(event)
    if mark.enabled and mark.kind == "text":
        if not mark.text.strip():
            raise Invalid("watermark.text: write the text to show (or use the logo)", field="watermark.text")
        bad = fonts.undrawable(mark.text) if fonts.font_for(mark.text) is None else []
        if bad:
            raise Invalid(
                "watermark.text: no font on this server can draw "
                + " ".join(bad)
                + " (install one: README, Watermark)",
                field="watermark.text",
            )
    if mark.enabled and mark.kind == "logo" and branding_of(event).logo_photo_id is None:
        raise Invalid(
            "watermark.kind: a logo watermark uses the event's logo, and it has none: set "
            "branding.logo_photo_id first",
            field="watermark.kind",
        )
    if downloads_of(event) == "watermarked" and not mark.enabled:
        raise Invalid(
            "downloads: watermarked downloads need the watermark turned on (watermark.enabled)",
            field="downloads",
        )


def active(event: Event) -> Watermark | None:
    """The mark to burn into guest images, None when there is none."""
    mark = watermark_of(event)
    return mark if mark.enabled else None


def fingerprint(mark: Watermark, logo: tuple[str, str] | None, font: str | None) -> str:
    """Short hash of everything the drawing depends on: the rendition cache's key part.

    ``logo`` is the logo photo's (id, sha256): another logo, or the same id with other bytes, is
    another fingerprint, so a settings change never serves an old rendition.
    """
    blob = json.dumps(
        {"v": RENDER_VERSION, "mark": mark.model_dump(), "logo": logo, "font": font}, sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
