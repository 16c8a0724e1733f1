"""Sign-in with the configured OpenID Connect provider: ``/auth/oidc/login`` and ``/auth/oidc/callback``.

Authorization code flow with PKCE; state and nonce travel in a short-lived signed cookie
(``auth.oidc_state``). The session it ends in is the one a password sign-in starts (``service.start_session``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from eventlens.auth import oidc_state, service, tokens
from eventlens.auth.cookies import set_session_cookie
from eventlens.auth.oidc import IdentityProvider
from eventlens.context import AppContext, Ctx
from eventlens.db import session_scope
from eventlens.errors import ApiError, NotFound
from eventlens.web.rendering import redirect

router = APIRouter(include_in_schema=False)


def _provider(ctx: AppContext) -> IdentityProvider:
    if ctx.identity is None:
        raise NotFound("sign-in provider")
    return ctx.identity


def _local(next_url: str) -> str:
    """Only a path of this site to go to after signing in (never an open redirect)."""
    ok = next_url.startswith("/") and not next_url.startswith(("//", "/\\")) and len(next_url) <= 500
    return next_url if ok else "/events"


@router.get("/auth/oidc/login")
def oidc_login(ctx: Ctx, next: str = "/events") -> Response:
    provider = _provider(ctx)
    pending = oidc_state.start(_local(next))
    url = provider.authorization_url(
        state=pending.state, nonce=pending.nonce, code_verifier=pending.code_verifier
    )
    response = redirect(url)
    response.set_cookie(
        oidc_state.COOKIE,
        oidc_state.seal(pending, ctx.site.secret),
        max_age=oidc_state.LIFETIME,
        httponly=True,
        secure=ctx.site.cookie_secure,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        path=oidc_state.COOKIE_PATH,
    )
    return response


@router.get("/auth/oidc/callback")
def oidc_callback(
    request: Request,
    ctx: Ctx,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    provider = _provider(ctx)
    pending = oidc_state.unseal(request.cookies.get(oidc_state.COOKIE, ""), ctx.site.secret)
    if pending is None:
        raise ApiError(
            400, "oidc_state_missing", "This sign-in expired or was started in another browser. Start again."
        )
    if not state or not tokens.same(state, pending.state):
        raise ApiError(
            400, "oidc_state_mismatch", "This sign-in answer is not for this browser. Start again."
        )
    if error:
        raise ApiError(403, "oidc_denied", f"The sign-in provider did not sign you in ({error[:100]}).")
    if not code:
        raise ApiError(400, "oidc_failed", "The sign-in provider sent no authorization code.")
    # The provider is asked with no transaction open: a slow provider holds no database lock.
    id_token = provider.exchange_code(code=code, code_verifier=pending.code_verifier)
    identity = provider.identity(provider.verify_id_token(id_token, nonce=pending.nonce))
    with session_scope(ctx.sessions) as db:  # a GET that writes: the sign-in's account and session
        user = service.sign_in_external(db, identity, signup_open=ctx.site.signup_open)
        new = service.start_session(
            db, user, days=ctx.site.session_days, user_agent=request.headers.get("user-agent")
        )
    response = redirect(pending.next_url)
    set_session_cookie(response, ctx.site, new)
    response.delete_cookie(oidc_state.COOKIE, path=oidc_state.COOKIE_PATH, secure=ctx.site.cookie_secure)
    return response
