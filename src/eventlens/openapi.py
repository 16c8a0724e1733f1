"""What the OpenAPI document says beyond the route signatures: the error answers every route declares
(``errors(...)``), the content types of answers that are not JSON, and request bodies that routes read
themselves (streamed multipart).

Every error has one shape, :class:`ErrorBody`; ``tests/test_openapi_conformance.py`` runs schemathesis
against the app and fails when a route answers a status, content type or body its entry does not list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

BINARY = {"type": "string", "format": "binary"}


class ErrorInfo(BaseModel):
    code: str = Field(
        description="Stable, snake_case: what a client matches on (`not_found`, `rate_limited`)."
    )
    message: str = Field(description="A sentence for people.")
    details: Any = Field(
        None, description="The facts behind the message: for 422 a list of `{field, message, type}`."
    )


class ErrorBody(BaseModel):
    """Every error answer of the API: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_WHY: dict[int, str] = {
    400: "The body cannot be read (not the multipart or JSON the route takes).",
    401: "Not signed in, or the API token is wrong or revoked.",
    403: "Not allowed: a wrong or missing CSRF token, access code or guest pass, or sign-up is closed.",
    404: "No such thing, or it belongs to someone else (never a 403 that would confirm it exists).",
    409: "Not in this state: the event is archived, the name or e-mail is taken, the change is not allowed.",
    413: "Too large: more bytes or pixels than the limit.",
    415: "Not a type this route takes (JPEG, PNG, WebP, HEIC/HEIF photos; JSON or a form).",
    422: "The input is invalid; `details` lists each field and why.",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "The database (or photo storage) is busy or unreachable; `Retry-After` says when to try again.",
    507: "The server's disk (database, upload spool or photo storage) is full or read-only: nothing was stored.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can answer these error statuses, each with :class:`ErrorBody`.

    503 and 507 are always added: every route reads or writes the database (a Bearer token's last use
    is recorded even on a GET), which answers 503 when it stays locked or cannot be reached and 507
    when its disk is full or read-only.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 503, 507}):
        entry: dict[str, Any] = {"model": ErrorBody, "description": _WHY[status]}
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        out[status] = entry
    return out


def content(*media_types: str, description: str, binary: bool = True) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry for a 200 that is not JSON (images, ZIP, SVG, an event stream)."""
    schema = BINARY if binary else {"type": "string"}
    return {200: {"description": description, "content": {m: {"schema": schema} for m in media_types}}}


# Where an image route may send the browser instead (the S3 store's signed URL).
REDIRECT: dict[int | str, dict[str, Any]] = {
    307: {
        "description": "The image is at a signed, time-limited URL of the object store (S3 only).",
        "headers": {"Location": {"required": True, "schema": {"type": "string", "format": "uri"}}},
    }
}


def multipart_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """``openapi_extra`` for a route that parses its own multipart/form-data body."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
