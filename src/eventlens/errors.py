"""One error handler for the whole app.

Under ``/api`` an error is the API's shape, ``{"error": {"code", "message", "details"}}`` with a fitting
status; anywhere else a person is reading, so the app's page renderer (given by the wiring, so this
module knows nothing of templates) answers a page with the same status and message.

Failures of what the app stands on are answers too, never a bare 500: a full or read-only disk (spool,
object store, SQLite) is 507 ``insufficient_storage``; a database that stays locked or cannot be
reached is 503 ``database_busy`` and an unreachable object store 503 ``storage_unavailable``, both with
``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from eventlens.storage.base import ObjectNotFound, ObjectStoreError, StorageFull

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


class InsufficientStorage(ApiError):
    def __init__(self, read_only: bool = False) -> None:
        why = "its storage is read-only" if read_only else "its disk is full"
        super().__init__(
            507,
            "insufficient_storage",
            f"The server cannot store anything right now: {why}. Nothing was kept; "
            "try again once an administrator has freed space.",
        )


class Unavailable(ApiError):
    """503: a part the app depends on is busy or unreachable; worth retrying after ``retry_after``."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(503, code, message, headers={"Retry-After": str(retry_after)})


DB_RETRY_SECONDS = 5
STORAGE_RETRY_SECONDS = 30
# SQLite's words for a full disk and for a file or folder it may not write (SQLITE_FULL, SQLITE_READONLY);
# PostgreSQL's SQLSTATE class 53 is "insufficient resources" (53100 disk full).
_SQLITE_FULL = ("database or disk is full",)
_SQLITE_READ_ONLY = ("readonly database", "read-only database")
_PG_DISK_FULL = "53100"


def database_error(exc: OperationalError | PoolTimeout) -> ApiError:
    """The answer for a database failure that is not the request's fault."""
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        if any(s in text for s in _SQLITE_FULL) or getattr(exc.orig, "sqlstate", None) == _PG_DISK_FULL:
            return InsufficientStorage()
        if any(s in text for s in _SQLITE_READ_ONLY):
            return InsufficientStorage(read_only=True)
    # SQLite's lock still held after the busy timeout, PostgreSQL refusing connections, the pool empty.
    return Unavailable(
        "database_busy", "The database is busy or unreachable. Try again in a few seconds.", DB_RETRY_SECONDS
    )


def storage_error(exc: ObjectStoreError) -> ApiError:
    if isinstance(exc, StorageFull):
        return InsufficientStorage(read_only=exc.read_only)
    if isinstance(exc, ObjectNotFound):
        return NotFound("file")
    return Unavailable(
        "storage_unavailable",
        "The photo storage cannot be reached. Try again in a minute.",
        STORAGE_RETRY_SECONDS,
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
    500: "internal_error",
    503: "unavailable",
    507: "insufficient_storage",
}


_BYTES: dict[Any, Any] = {bytes: lambda b: b.decode("utf-8", "replace")}
_UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's words for a body it cannot decode


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


async def error_response(request: Request, exc: ApiError, page: PageRenderer | None = None) -> Response:
    """The answer to ``exc``: the API's JSON shape under ``/api``, else ``page`` (when given)."""
    if page is not None and not wants_json(request):
        return await page(request, exc)
    # jsonable_encoder: details may carry what the client sent (bytes that are not UTF-8, say).
    body = jsonable_encoder(error_body(exc.code, exc.message, exc.details), custom_encoder=_BYTES)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def install_error_handlers(app: FastAPI, page: PageRenderer | None = None) -> None:
    """``page``: how a non-API path shows an error; without it every path answers JSON."""

    async def respond(request: Request, exc: ApiError) -> Response:
        return await error_response(request, exc, page)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return await respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, details = _humanise(list(exc.errors()))
        return await respond(request, ApiError(422, "validation_error", message, details))

    @app.exception_handler(ObjectStoreError)
    async def _storage(request: Request, exc: ObjectStoreError) -> Response:
        log.error("storage.failed path=%s error=%s", request.url.path, exc)
        return await respond(request, storage_error(exc))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> Response:
        log.error("database.failed path=%s error=%s", request.url.path, exc)
        assert isinstance(exc, OperationalError | PoolTimeout)
        return await respond(request, database_error(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback and re-raises after this answer; the client still gets the shape.
        return await respond(request, ApiError(500, "internal_error", "Something went wrong on our side."))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not wants_json(request):
            return await respond(request, NotFound("page"))  # Starlette's "Not Found" says less
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
        if message == _UNREADABLE_BODY:
            message = "The body cannot be read: send UTF-8 JSON."
        headers = getattr(exc, "headers", None)
        return await respond(request, ApiError(exc.status_code, code, message, headers=headers))
