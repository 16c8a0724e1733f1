"""Every route an app serves, also inside included routers (FastAPI nests them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Route


def app_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route."""
    for route in routes:
        if isinstance(route, APIRoute | Route):
            yield prefix + route.path, set(route.methods or ())
        elif hasattr(route, "original_router"):
            yield from app_routes(route.original_router.routes, prefix + route.include_context.prefix)
