"""What the event page's FTP panel shows: where cameras connect, the event's logins, a new password."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from eventlens.config import Settings
from eventlens.ftp import derived, service
from eventlens.ftp.gateway.tls import CERT_NAME, fingerprint
from eventlens.models import Event

if TYPE_CHECKING:  # pages pass the request's session on; they run no SQL
    from sqlalchemy.orm import Session

NEW_CREDENTIAL = "ftp_new_credential"  # request.state key: the login just made, shown once


@cache
def _fingerprint(path: Path, mtime_ns: int) -> str:
    return fingerprint(path)


def certificate_fingerprint(settings: Settings) -> str | None:
    """The gateway's certificate fingerprint when this machine can read it (same data dir)."""
    path = settings.ftp_cert_file or settings.data_dir / "ftp" / CERT_NAME
    try:
        return _fingerprint(path.resolve(), path.stat().st_mtime_ns)
    except (OSError, ValueError):
        return None


def panel_context(request: Request, db: Session, settings: Settings, event: Event) -> dict[str, Any]:
    return {
        "host": derived.public_host(settings),
        "port": settings.ftp_port,
        "implicit_port": settings.ftp_implicit_port,
        "plain_allowed": settings.ftp_allow_plain,
        "fingerprint": certificate_fingerprint(settings),
        "credentials": [service.to_read(r, settings) for r in service.list_credentials(db, event)],
        "new": getattr(request.state, NEW_CREDENTIAL, None),
    }
