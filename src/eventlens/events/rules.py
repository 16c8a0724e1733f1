"""Rules about an event that every door asks, written once (no other product module is imported here,
so the photos and FTP services can use them without an import cycle through the events service)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventlens.errors import ApiError
from eventlens.models import Event, EventStatus


class EventArchived(ApiError):
    """The one answer to "this event is archived": uploads from every door, FTP logins and new FTP
    credentials all refuse with this code and message. 409 except where a door's own convention wins
    (a refused FTP login is 403 whatever the reason)."""

    def __init__(self, status: int = 409) -> None:
        super().__init__(
            status,
            "event_archived",
            "This event is archived: it takes no new photos. Publish it again to add more.",
        )


def takes_photos(event: Event) -> bool:
    """Whether the event accepts new photos: the rule every door asks, written once."""
    return event.status != EventStatus.archived


def require_open(event: Event) -> None:
    """Raise :class:`EventArchived` unless the event takes new photos."""
    if not takes_photos(event):
        raise EventArchived()


# The dashboard warns this long before the retention task deletes an event.
RETENTION_WARNING = timedelta(days=7)


def deletion_soon(expires_at: datetime | None, now: datetime | None = None) -> datetime | None:
    """When the retention task will delete the event, if that is within the warning period; else None."""
    if expires_at is None or expires_at - (now or datetime.now(UTC)) > RETENTION_WARNING:
        return None
    return expires_at
