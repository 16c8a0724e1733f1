"""Who is calling: a browser session cookie (with CSRF on unsafe methods) or a Bearer token: one of our
API tokens, or a JWT of the configured OpenID Connect provider (a Clerk session token, say).

API routes take ``CurrentUser`` / ``CurrentPrincipal`` (401 in JSON when absent); pages take
``PagePrincipal`` (cookie only; absent: the error handler sends the browser to the sign-in page).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from eventlens.auth import service, tokens
from eventlens.context import AppContext, Ctx
from eventlens.db import session_scope
from eventlens.errors import ApiError, Forbidden, Unauthorized
from eventlens.models import ApiToken, User, UserSession

SESSION_COOKIE = "eventlens_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Principal:
    user: User
    via: Literal["session", "token"]  # "token": any Bearer (an API token, or a provider's JWT)
    session: UserSession | None = None
    token: ApiToken | None = None  # None for a provider's JWT


def resolve_principal(request: Request, ctx: Ctx) -> Principal | None:
    """The caller, or None when anonymous. A bad Bearer token is an error, not anonymity.

    Uses a short transaction of its own: a long request (an upload) must not hold the request's
    database session (on SQLite, its write lock) just because it is authenticated.
    """
    cached: Principal | bool | None = getattr(request.state, "principal", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    bearer = _bearer(request)
    # A provider's JWT is checked before any transaction opens: the first one may fetch the JWKS.
    claims = _provider_claims(ctx, bearer) if bearer else None
    with session_scope(ctx.sessions) as db:
        principal = _lookup(request, db, ctx, bearer, claims)
    request.state.principal = principal
    return principal


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    return value.strip()


def _provider_claims(ctx: AppContext, bearer: str) -> dict[str, Any] | None:
    """The verified claims when ``bearer`` is a JWT and a provider is configured; None otherwise."""
    if ctx.identity is None or bearer.startswith(tokens.API_TOKEN_PREFIX) or bearer.count(".") != 2:
        return None
    return ctx.identity.verify_bearer(bearer)


def _lookup(
    request: Request, db: Session, ctx: AppContext, bearer: str | None, claims: dict[str, Any] | None
) -> Principal | None:
    if claims is not None:
        assert ctx.identity is not None
        # Session tokens rarely carry the role claim: the role is the provider's say at browser sign-in.
        identity = replace(ctx.identity.identity(claims), admin=None)
        try:
            user = service.sign_in_external(
                db, identity, signup_open=ctx.site.signup_open, create=identity.email is not None
            )
        except ApiError as exc:  # deactivated, sign-up closed, e-mail taken: not signed in, and why
            raise Unauthorized(exc.message) from exc
        return Principal(user=user, via="token")
    if bearer is not None:
        found = service.resolve_api_token(db, bearer)
        if found is None:
            raise Unauthorized("That API token is not valid (revoked or mistyped).")
        return Principal(user=found[1], via="token", token=found[0])
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        got = service.resolve_session(db, cookie)
        if got is not None:
            return Principal(user=got[1], via="session", session=got[0])
    return None


OptionalPrincipal = Annotated[Principal | None, Depends(resolve_principal)]


def require_principal(request: Request, principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise Unauthorized()
    if principal.via == "session" and request.method not in SAFE_METHODS:
        # Cookies ride along on cross-site requests; a token the page got from us proves the origin.
        sent = request.headers.get(CSRF_HEADER, "")
        assert principal.session is not None
        if not sent or not tokens.same(sent, principal.session.csrf_token):
            raise Forbidden("Missing or wrong CSRF token (header X-CSRF-Token).", "csrf_failed")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


def require_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(require_user)]


class SignInRequired(Unauthorized):
    """A page was asked for without a browser session: the page error handler redirects to sign in."""

    def __init__(self) -> None:
        super().__init__("Sign in to see this page.")


def page_principal(request: Request, ctx: Ctx) -> Principal | None:
    """The signed-in browser user (cookie only: pages are not for Bearer tokens)."""
    if request.headers.get("authorization"):
        return None
    principal = resolve_principal(request, ctx)
    return principal if principal and principal.via == "session" else None


OptionalPagePrincipal = Annotated[Principal | None, Depends(page_principal)]


def require_page_principal(principal: OptionalPagePrincipal) -> Principal:
    # Forms check their CSRF token themselves: what a failed check answers differs from form to form.
    if principal is None:
        raise SignInRequired()
    return principal


PagePrincipal = Annotated[Principal, Depends(require_page_principal)]
