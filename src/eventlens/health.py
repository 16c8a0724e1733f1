"""/healthz (the process answers) and /readyz (what it depends on answers too)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from eventlens.context import Ctx
from eventlens.migrate import is_current

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


class Readiness(BaseModel):
    status: str = Field(description="`ready`, or `unavailable` when any check failed.")
    checks: dict[str, str] = Field(description="Each dependency: `ok` or `error: ...`.")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Something the app depends on does not answer."}},
)
def readyz(ctx: Ctx) -> JSONResponse:
    def database() -> None:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if not is_current(ctx.engine):
            raise RuntimeError("schema is not at the newest migration: run `eventlens db upgrade`")

    checks: dict[str, Callable[[], None]] = {
        "database": database,
        "storage": ctx.storage.check,
        "rate_limits": ctx.limiter.check,
        "queue": ctx.queue.check,
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            log.warning("readyz.failed check=%s error=%s", name, exc)
            results[name] = f"error: {exc}"
    ready = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": results}, status_code=200 if ready else 503
    )
