"""Template rendering and the pieces every page needs: CSRF for forms, form errors, strings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from eventlens.auth import tokens
from eventlens.auth.dependencies import Principal
from eventlens.errors import ApiError
from eventlens.web.i18n import Translator

if TYPE_CHECKING:  # pages pass the request's session on; they run no SQL
    from sqlalchemy.orm import Session

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
ANON_CSRF_COOKIE = "eventlens_csrf"

t = Translator()
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["t"] = t


def render(
    request: Request,
    name: str,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    base: dict[str, Any] = {
        "user": principal.user if principal else None,
        "csrf_token": principal.session.csrf_token if principal and principal.session else None,
        "flashes": [],
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def form_csrf_ok(form_token: object, principal: Principal | None, request: Request) -> bool:
    """Signed-in forms carry the session's token; anonymous ones the double-submit cookie's."""
    if not isinstance(form_token, str) or not form_token:
        return False
    if principal is not None and principal.session is not None:
        return tokens.same(form_token, principal.session.csrf_token)
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    return bool(cookie) and tokens.same(form_token, cookie)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def validation_messages(exc: ValidationError) -> list[str]:
    """One readable line per field error ("form" for errors of the whole form)."""
    return [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]


def form_problem(db: Session, exc: ValidationError | ApiError) -> tuple[int, list[str]]:
    """The status and the lines a form shown again with its errors carries.

    For a form the user can fix in place (better there than on an error page). Rolls back first: the
    form is shown with a normal answer, so the request's session would otherwise commit whatever the
    failed call had changed.
    """
    db.rollback()
    if isinstance(exc, ValidationError):
        return 422, validation_messages(exc)
    return exc.status, [exc.message]
