"""/api/auth, /api/me and /api/tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from eventlens.auth import clerk, service
from eventlens.auth.cookies import clear_session_cookie, client_ip, set_session_cookie
from eventlens.auth.dependencies import (
    CurrentPrincipal,
    CurrentUser,
    OptionalPrincipal,
    require_principal,
)
from eventlens.auth.schemas import (
    LoginRequest,
    PasswordChange,
    ProfileUpdate,
    SignupRequest,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenRead,
    UserRead,
    WebhookResult,
)
from eventlens.context import Ctx, DbSession, ReadDbSession
from eventlens.errors import ApiError, NotFound
from eventlens.openapi import errors

router = APIRouter(prefix="/api", tags=["accounts"])


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=errors(400, 403, 409, 422, 429),
)
def signup(body: SignupRequest, request: Request, response: Response, ctx: Ctx, db: DbSession) -> UserRead:
    """Create an account and sign in. The first account on a server becomes its admin."""
    user = service.signup(
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
    new = service.start_session(
        db, user, days=ctx.site.session_days, user_agent=request.headers.get("user-agent")
    )
    set_session_cookie(response, ctx.site, new)
    return UserRead.model_validate(user)


@router.post("/auth/login", response_model=UserRead, responses=errors(400, 401, 403, 422, 429))
async def login(
    body: LoginRequest, request: Request, response: Response, ctx: Ctx, read_db: ReadDbSession, db: DbSession
) -> UserRead:
    """Sign in with e-mail and password (rate limited per client, and per account and client).

    The password check (argon2) runs on the CPU pool with no transaction open, so a flood of wrong
    passwords neither holds the database's write lock nor takes every request thread.
    """
    user = await ctx.cpu.run(
        service.authenticate,
        read_db,
        ctx.limiter,
        ctx.site.login_rate_limit,
        email=body.email,
        password=body.password,
        client_ip=client_ip(request),
        password_login=ctx.site.password_login,
    )
    await ctx.cpu.run(service.upgrade_hash, db, user, body.password)
    new = await run_in_threadpool(
        service.start_session,
        db,
        user,
        days=ctx.site.session_days,
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(response, ctx.site, new)
    return UserRead.model_validate(user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403))
def logout(request: Request, principal: OptionalPrincipal, ctx: Ctx, db: DbSession) -> Response:
    """End this browser's session (Bearer tokens are revoked under /api/tokens instead)."""
    if principal is not None and principal.via == "session" and principal.session is not None:
        require_principal(request, principal)  # the CSRF check
        service.end_session(db, principal.session.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, ctx.site)
    return response


@router.get("/me", response_model=UserRead, responses=errors(401))
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me", response_model=UserRead, responses=errors(400, 401, 403, 422))
def update_me(body: ProfileUpdate, user: CurrentUser, db: DbSession) -> UserRead:
    """`{public_name?, website?}`: what guests see on your events' pages ("" or null clears one).
    The website must be an http(s) address with a host (422 otherwise)."""
    row = service.update_profile(db, user, changes=body.model_dump(include=body.model_fields_set))
    db.flush()
    return UserRead.model_validate(row)


@router.post(
    "/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 401, 403, 422, 429)
)
def change_password(body: PasswordChange, principal: CurrentPrincipal, db: DbSession, ctx: Ctx) -> None:
    """Change the password; every other browser session is signed out (rate limited per account)."""
    service.change_password(
        db,
        ctx.limiter,
        ctx.site.login_rate_limit,
        principal.user,
        current=body.current_password,
        new=body.new_password,
        keep_session=principal.session.id if principal.session else None,
    )


@router.get("/tokens", response_model=TokenList, responses=errors(401))
def list_tokens(user: CurrentUser, db: DbSession) -> TokenList:
    return TokenList(items=[TokenRead.model_validate(t) for t in service.list_api_tokens(db, user)])


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=errors(400, 401, 403, 422),
)
def create_token(body: TokenCreate, user: CurrentUser, db: DbSession) -> TokenCreated:
    """Create an API token for scripts and the CLI. The token is in this answer only."""
    row, value = service.create_api_token(db, user, body.name)
    return TokenCreated(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        token=value,
    )


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422)
)
def revoke_token(token_id: uuid.UUID, user: CurrentUser, db: DbSession) -> None:
    service.revoke_api_token(db, user, token_id)


async def _capped_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (before all of it is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "payload_too_large", f"The body is larger than {limit} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "payload_too_large", f"The body is larger than {limit} bytes.")
    return bytes(body)


@router.post("/webhooks/clerk", response_model=WebhookResult, responses=errors(400, 401, 404, 409, 413))
async def clerk_webhook(request: Request, ctx: Ctx, db: DbSession) -> WebhookResult:
    """Clerk's user events, Svix-signed: `user.created` / `user.updated` keep the linked account's name
    and e-mail, `user.deleted` signs the person out everywhere and deactivates the account.

    404 unless both `EVENTLENS_CLERK_WEBHOOK_SECRET` and `EVENTLENS_OIDC_ISSUER` are set. A stale
    timestamp or a message id already handled is a 400, a wrong signature a 401.
    """
    secret = ctx.site.clerk_webhook_secret
    if not secret or ctx.identity is None:
        raise NotFound("webhook")
    body = await _capped_body(request, clerk.MAX_BODY_BYTES)
    event = clerk.verify(secret, body, request.headers)
    issuer = ctx.identity.link_issuer
    return await run_in_threadpool(_handle_clerk_event, db, issuer, event)


def _handle_clerk_event(db: DbSession, issuer: str, event: clerk.ClerkUserEvent) -> WebhookResult:
    service.record_webhook_message(db, "clerk", event.message_id, keep=clerk.REMEMBER_IDS)
    if event.user_id is None:
        return WebhookResult(status="ignored")
    if event.type == "user.deleted":
        found = service.deactivate_external(db, issuer, event.user_id)
        return WebhookResult(status="deactivated" if found else "ignored")
    found = service.sync_external_profile(db, issuer, event.user_id, email=event.email, name=event.name)
    return WebhookResult(status="updated" if found else "ignored")
