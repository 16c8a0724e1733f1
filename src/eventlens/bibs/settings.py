"""An event's bib settings, kept in ``Event.settings`` (JSON): no column of the events table changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventlens.bibs import formats
from eventlens.models import Event

ENABLED = "bib_search"
DIGITS = "bib_digits"


@dataclass(frozen=True)
class BibSettings:
    enabled: bool
    format: formats.BibFormat


def of(event: Event) -> BibSettings:
    stored: dict[str, Any] = event.settings or {}
    try:
        fmt = formats.parse(str(stored.get(DIGITS) or formats.DEFAULT_DIGITS))
    except formats.BadBibFormat:
        fmt = formats.DEFAULT
    return BibSettings(enabled=bool(stored.get(ENABLED, False)), format=fmt)


def change(event: Event, *, enabled: bool | None, digits: str | None) -> bool:
    """Apply the sent fields; True when reading was just turned on (the event's photos need reading).

    ``digits`` was validated by the request schema. A new dict is assigned so the JSON column is saved.
    """
    before = of(event)
    stored = dict(event.settings or {})
    if enabled is not None:
        stored[ENABLED] = enabled
    if digits is not None:
        stored[DIGITS] = str(formats.parse(digits))
    event.settings = stored
    return not before.enabled and bool(stored.get(ENABLED))
