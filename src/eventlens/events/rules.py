"""Rules about an event that every door asks, written once (no other product module is imported here,
so the photos and FTP services can use them without an import cycle through the events service)."""

from __future__ import annotations

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
