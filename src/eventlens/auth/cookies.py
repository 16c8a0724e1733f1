"""The session cookie a sign-in sets and a sign-out clears, for the API and the pages alike."""

from __future__ import annotations

from fastapi import Request, Response

from eventlens.auth import service
from eventlens.auth.dependencies import CSRF_HEADER, SESSION_COOKIE
from eventlens.context import SiteConfig


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, settings: SiteConfig, new: service.NewSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        new.cookie_value,
        max_age=settings.session_days * 86400,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )
    response.headers[CSRF_HEADER] = new.session.csrf_token


def clear_session_cookie(response: Response, settings: SiteConfig) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=settings.cookie_secure, samesite="lax"
    )
