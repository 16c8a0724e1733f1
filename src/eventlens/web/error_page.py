"""How a page shows an error: signed out, the sign-in page; otherwise ``error.html`` with the status.

The app's one error handler (``eventlens.errors``) calls this for every path outside ``/api``, so pages
raise ``ApiError`` like the API does and never build an error answer themselves.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from eventlens.auth.dependencies import Principal, SignInRequired, page_principal
from eventlens.errors import ApiError
from eventlens.web.rendering import redirect, render, t

log = logging.getLogger(__name__)
SIGN_IN_URL = "/"


def _viewer(request: Request) -> Principal | None:
    try:
        return page_principal(request, request.app.state.ctx)
    except Exception:  # the error page must show even when the database is what failed
        log.warning("error_page.principal_unavailable path=%s", request.url.path, exc_info=True)
        return None


async def error_page(request: Request, exc: ApiError) -> Response:
    if isinstance(exc, SignInRequired):
        return redirect(SIGN_IN_URL)
    # Usually already known from the route's dependencies (cached on the request): no query then.
    principal = await run_in_threadpool(_viewer, request)
    # A 404 does not say whether the thing exists and belongs to someone else.
    message = t("error.not_found") if exc.status == 404 else exc.message
    response = render(
        request, "error.html", principal=principal, status_code=exc.status, status=exc.status, message=message
    )
    response.headers.update(exc.headers or {})
    return response
