"""The "new photos of you" e-mail: plain text and HTML, built with the standard library's ``email``.

Thumbnails are links to signed guest thumbnail URLs (nothing is attached); every message carries the
one-click unsubscribe of RFC 8058 (``List-Unsubscribe`` + ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from urllib.parse import urlsplit

THUMBNAILS = 6  # how many pictures the message shows; the link shows every one


@dataclass(frozen=True)
class NewPhotos:
    to: str
    event_name: str
    count: int
    thumbnail_urls: list[str]
    results_url: str
    unsubscribe_url: str


def sender(mail_from: str, base_url: str) -> str:
    """The configured sender, else ``EventLens <eventlens@HOST>`` with the host of the base URL."""
    if mail_from.strip():
        return mail_from.strip()
    host = urlsplit(base_url).hostname or "localhost"
    return str(Address("EventLens", "eventlens", host))


def build(photos: NewPhotos, *, mail_from: str, now: datetime) -> EmailMessage:
    what = "1 new photo" if photos.count == 1 else f"{photos.count} new photos"
    msg = EmailMessage()
    msg["Subject"] = f"{what} of you at {photos.event_name}"
    msg["From"] = mail_from
    msg["To"] = photos.to
    msg["Date"] = format_datetime(now)
    domain = mail_from.rsplit("@", 1)[-1].strip("> ") or None
    msg["Message-ID"] = make_msgid("notify", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["List-Unsubscribe"] = f"<{photos.unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(_text(photos, what))
    msg.add_alternative(_html(photos, what), subtype="html")
    return msg


def _text(photos: NewPhotos, what: str) -> str:
    return (
        f"{what} of you arrived at {photos.event_name}.\n\n"
        f"See them (and every photo of you there):\n{photos.results_url}\n\n"
        "You get this because you asked to be told about new photos of you at this event. We keep a "
        "mathematical description of your face, not your photo, until the event ends or you "
        "unsubscribe.\n"
        f"Unsubscribe (deletes it at once): {photos.unsubscribe_url}\n"
    )


def _html(photos: NewPhotos, what: str) -> str:
    link = escape(photos.results_url)
    pictures = "".join(
        f'<a href="{link}"><img src="{escape(url)}" alt="" width="160" '
        'style="margin:4px;border-radius:6px;max-width:45%"></a>'
        for url in photos.thumbnail_urls[:THUMBNAILS]
    )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>{escape(what)} of you arrived at <strong>{escape(photos.event_name)}</strong>.</p>"
        f"<p>{pictures}</p>"
        f'<p><a href="{link}">See your photos</a></p>'
        '<p style="color:#666;font-size:small">You get this because you asked to be told about new '
        "photos of you at this event. We keep a mathematical description of your face, not your photo, "
        "until the event ends or you unsubscribe. "
        f'<a href="{escape(photos.unsubscribe_url)}">Unsubscribe</a> (deletes it at once).</p>'
        "</body></html>"
    )
