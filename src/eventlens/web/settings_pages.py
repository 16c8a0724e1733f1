"""A photographer's own settings in the browser: API tokens (/tokens) and the account (/account)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from eventlens.auth import service
from eventlens.auth.dependencies import PagePrincipal, Principal
from eventlens.auth.schemas import PasswordChange, ProfileUpdate, TokenCreate
from eventlens.context import Ctx, DbSession
from eventlens.errors import ApiError
from eventlens.web.rendering import form_csrf_ok, form_problem, redirect, render, t

router = APIRouter(include_in_schema=False)
FormStr = Annotated[str, Form()]


def _tokens_page(
    request: Request, db: DbSession, principal: Principal, status_code: int = 200, **extra: Any
) -> Response:
    tokens = service.list_api_tokens(db, principal.user)
    return render(
        request, "tokens.html", principal=principal, tokens=tokens, status_code=status_code, **extra
    )


@router.get("/tokens")
def tokens_page(request: Request, db: DbSession, principal: PagePrincipal) -> Response:
    return _tokens_page(request, db, principal)


@router.post("/tokens")
def create_token_form(
    request: Request, db: DbSession, principal: PagePrincipal, name: FormStr = "", csrf_token: FormStr = ""
) -> Response:
    if not form_csrf_ok(csrf_token, principal, request):
        return _tokens_page(request, db, principal, 403, errors=[t("auth.error.csrf")])
    try:
        body = TokenCreate(name=name.strip())
    except ValidationError:
        return _tokens_page(request, db, principal, 422, errors=[t("tokens.error.name")])
    row, secret = service.create_api_token(db, principal.user, body.name)
    db.flush()
    # Shown once, on this answer only; the server keeps its hash.
    return _tokens_page(request, db, principal, 201, new_token=secret, new_token_name=row.name)


@router.post("/tokens/{token_id}/revoke")
def revoke_token_form(
    token_id: uuid.UUID, request: Request, db: DbSession, principal: PagePrincipal, csrf_token: FormStr = ""
) -> Response:
    if not form_csrf_ok(csrf_token, principal, request):
        return _tokens_page(request, db, principal, 403, errors=[t("auth.error.csrf")])
    try:
        service.revoke_api_token(db, principal.user, token_id)
    except ApiError:
        return _tokens_page(request, db, principal, 404, errors=[t("error.not_found")])
    return redirect("/tokens")


@router.get("/account")
def account_page(request: Request, principal: PagePrincipal) -> Response:
    return render(request, "account.html", principal=principal)


@router.post("/account/profile")
def profile_form(
    request: Request,
    db: DbSession,
    principal: PagePrincipal,
    public_name: FormStr = "",
    website: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    sent = {"public_name": public_name, "website": website}  # shown again as typed when refused

    def again(status_code: int, errors: list[str]) -> Response:
        return render(
            request, "account.html", principal=principal, errors=errors, status_code=status_code, profile=sent
        )

    if not form_csrf_ok(csrf_token, principal, request):
        return again(403, [t("auth.error.csrf")])
    try:
        body = ProfileUpdate(public_name=public_name, website=website)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = f"{first['loc'][-1]}: {str(first['msg']).removeprefix('Value error, ')}"
        return again(422, [t("account.error.profile", message=message)])
    row = service.update_profile(db, principal.user, changes=body.model_dump())
    db.flush()
    return render(
        request, "account.html", principal=principal, user=row, flashes=[t("account.profile_saved")]
    )


@router.post("/account/password")
def change_password_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    principal: PagePrincipal,
    current_password: FormStr = "",
    new_password: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    def again(status_code: int, errors: list[str]) -> Response:
        return render(request, "account.html", principal=principal, errors=errors, status_code=status_code)

    if not form_csrf_ok(csrf_token, principal, request):
        return again(403, [t("auth.error.csrf")])
    try:
        body = PasswordChange(current_password=current_password, new_password=new_password)
        keep = principal.session.id if principal.session else None
        service.change_password(
            db,
            ctx.limiter,
            ctx.site.login_rate_limit,
            principal.user,
            current=body.current_password,
            new=body.new_password,
            keep_session=keep,
        )
    except ValidationError:
        return again(422, [t("account.error.short")])
    except ApiError as exc:
        return again(*form_problem(db, exc))
    return render(request, "account.html", principal=principal, flashes=[t("account.changed")])
