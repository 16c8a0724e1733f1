"""Landing page with sign-in and sign-up forms; sign-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.auth import service, tokens
from eventlens.auth.cookies import clear_session_cookie, client_ip, set_session_cookie
from eventlens.auth.dependencies import OptionalPagePrincipal
from eventlens.auth.schemas import LoginRequest, SignupRequest
from eventlens.context import Ctx, DbSession, ReadDbSession
from eventlens.errors import ApiError
from eventlens.models import User
from eventlens.web.rendering import ANON_CSRF_COOKIE, form_csrf_ok, form_problem, redirect, render, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _landing(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    *,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    anon = request.cookies.get(ANON_CSRF_COOKIE) or tokens.new_token(24)
    first = service.is_first_user(db)
    response = render(
        request,
        "landing.html",
        status_code=status_code,
        anon_csrf=anon,
        errors=errors or [],
        form=form or {},
        first_user=first,
        signup_allowed=first or ctx.site.signup_open,
        password_login=ctx.site.password_login,
        oidc_name=ctx.identity.config.name if ctx.identity else None,
    )
    response.set_cookie(
        ANON_CSRF_COOKIE, anon, httponly=True, secure=ctx.site.cookie_secure, samesite="lax", path="/"
    )
    return response


def _sign_in_with(
    request: Request, ctx: Ctx, db: DbSession, csrf: str, echo: dict[str, Any], who: Callable[[], User]
) -> Response:
    """Signed in as ``who()`` on the events page, or the landing page again with what went wrong."""
    if not form_csrf_ok(csrf, None, request):
        return _landing(request, ctx, db, errors=[t("auth.error.csrf")], form=echo, status_code=403)
    try:
        user = who()
    except (ValidationError, ApiError) as exc:
        status, errors = form_problem(db, exc)
        return _landing(request, ctx, db, errors=errors, form=echo, status_code=status)
    new = service.start_session(
        db, user, days=ctx.site.session_days, user_agent=request.headers.get("user-agent")
    )
    response = redirect("/events")
    set_session_cookie(response, ctx.site, new)
    return response


@router.get("/")
def landing(request: Request, ctx: Ctx, db: DbSession, principal: OptionalPagePrincipal) -> Response:
    if principal is not None:
        return redirect("/events")
    return _landing(request, ctx, db)


@router.post("/signup")
def signup_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    email: FormStr = "",
    password: FormStr = "",
    name: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    def who() -> User:
        body = SignupRequest.model_validate({"email": email, "password": password, "name": name})
        return service.signup(
            db,
            ctx.limiter,
            ctx.site.login_rate_limit,
            email=body.email,
            password=body.password,
            name=body.name,
            signup_open=ctx.site.signup_open,
            client_ip=client_ip(request),
            password_login=ctx.site.password_login,
        )

    return _sign_in_with(request, ctx, db, csrf_token, {"name": name, "signup_email": email}, who)


@router.post("/login")
def login_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    read_db: ReadDbSession,
    email: FormStr = "",
    password: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    def who() -> User:
        body = LoginRequest.model_validate({"email": email, "password": password})
        user = service.authenticate(
            read_db,
            ctx.limiter,
            ctx.site.login_rate_limit,
            email=body.email,
            password=body.password,
            client_ip=client_ip(request),
            password_login=ctx.site.password_login,
        )
        service.upgrade_hash(db, user, body.password)
        return user

    return _sign_in_with(request, ctx, db, csrf_token, {"email": email}, who)


@router.post("/logout")
def logout_form(
    request: Request, ctx: Ctx, db: DbSession, principal: OptionalPagePrincipal, csrf_token: FormStr = ""
) -> Response:
    if principal is not None and principal.session is not None:
        if not form_csrf_ok(csrf_token, principal, request):
            return redirect("/events")
        service.end_session(db, principal.session.id)
    response = redirect("/")
    clear_session_cookie(response, ctx.site)
    return response
