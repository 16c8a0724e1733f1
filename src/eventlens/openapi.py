"""OpenAPI descriptions of request bodies that routes read themselves (streamed multipart)."""

from __future__ import annotations

from typing import Any

BINARY = {"type": "string", "format": "binary"}


def multipart_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """``openapi_extra`` for a route that parses its own multipart/form-data body."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}
