"""What the event page's FTP panel shows: where cameras connect, the event's logins, a new password."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request

from eventlens.context import SiteConfig
from eventlens.ftp import service
from eventlens.ftp.gateway.tls import fingerprint
from eventlens.models import Event, User

if TYPE_CHECKING:  # pages pass the request's session on; they run no SQL
    from sqlalchemy.orm import Session

NEW_CREDENTIAL = "ftp_new_credential"  # request.state key: the login just made, shown once


@cache
def _fingerprint(path: Path, mtime_ns: int) -> str:
    return fingerprint(path)


def certificate_fingerprint(site: SiteConfig) -> str | None:
    """The gateway's certificate fingerprint when this machine can read it (same data dir)."""
    path = site.ftp_cert_path
    try:
        return _fingerprint(path.resolve(), path.stat().st_mtime_ns)
    except (OSError, ValueError):
        return None


def panel_context(
    request: Request, db: Session, site: SiteConfig, event: Event, user: User
) -> dict[str, Any]:
    """The panel as ``user`` sees it: the owner every login of the event, a photographer their own."""
    credentials = [service.to_read(r, site) for r in service.list_credentials(db, event, user)]
    return {
        "host": site.ftp_public_host,
        "port": site.ftp_port,
        "implicit_port": site.ftp_implicit_port,
        "plain_allowed": site.ftp_allow_plain,
        "fingerprint": certificate_fingerprint(site),
        "credentials": credentials,
        # Once a camera has logged in the set-up steps are known: the page folds them away.
        "connected": any(c.last_login_at for c in credentials),
        "new": getattr(request.state, NEW_CREDENTIAL, None),
    }
