"""One error handler for the whole app.

Under ``/api`` an error is the API's shape, ``{"error": {"code", "message", "details"}}`` with a fitting
status; anywhere else a person is reading, so the app's page renderer (given by the wiring, so this
module knows nothing of templates) answers a page with the same status and message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a client can act on. Services raise these; the app renders them."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


class NotFound(ApiError):
    def __init__(self, what: str = "resource") -> None:
        super().__init__(404, "not_found", f"That {what} does not exist.")


class Unauthorized(ApiError):
    def __init__(self, message: str = "Sign in or send an API token.") -> None:
        super().__init__(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(403, code, message)


class Conflict(ApiError):
    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(409, code, message)


class Invalid(ApiError):
    """422 for input that parses but makes no sense (end before start, ...)."""

    def __init__(self, message: str, field: str | None = None, code: str = "validation_error") -> None:
        details = [{"field": field, "message": message}] if field else None
        super().__init__(422, code, message, details)


class RateLimited(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "rate_limited",
            f"Too many attempts. Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[-1] if loc else "body")


def _humanise(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    details = []
    for err in errors:
        field = _field_path(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "is invalid"))
        msg = msg.removeprefix("Value error, ")
        details.append({"field": field, "message": msg, "type": err.get("type")})
    first = details[0] if details else {"field": "body", "message": "is invalid"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"{first['field']}: {first['message']}{more}", details


PageRenderer = Callable[[Request, ApiError], Awaitable[Response]]


def wants_json(request: Request) -> bool:
    """The API answers JSON; every other path is a page (or a page's asset) a browser asked for."""
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def install_error_handlers(app: FastAPI, page: PageRenderer | None = None) -> None:
    """``page``: how a non-API path shows an error; without it every path answers JSON."""

    async def respond(request: Request, exc: ApiError) -> Response:
        if page is not None and not wants_json(request):
            return await page(request, exc)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return await respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, details = _humanise(list(exc.errors()))
        return await respond(request, ApiError(422, "validation_error", message, details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not wants_json(request):
            return await respond(request, NotFound("page"))  # Starlette's "Not Found" says less
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
        headers = getattr(exc, "headers", None)
        return await respond(request, ApiError(exc.status_code, code, message, headers=headers))
