"""/metrics for Prometheus: what the product does (uploads, processing, searches) and its queue.

Counters live in the process's default registry; the queue length and the face index size are read
when scraped. Behind several `api` processes each is scraped on its own, as Prometheus expects.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from eventlens.context import Ctx

UPLOADS = Counter("eventlens_uploads", "Files received, by outcome", ["outcome", "source"])
PROCESSED = Counter("eventlens_photos_processed", "Photos processed, by final status", ["status"])
FACES = Counter("eventlens_faces_indexed", "Faces stored by the processing job")
SEARCHES = Counter("eventlens_searches", "Guest selfie searches, by outcome", ["outcome"])
LEFTOVERS = Counter(
    "eventlens_leftovers_removed",
    "Crash leftovers removed (spool parts, work files, temp and orphan objects)",
)
EVENTS_EXPIRED = Counter("eventlens_events_expired", "Events deleted because their retention ran out")
EXPIRED_PHOTOS = Counter("eventlens_expired_photos", "Photos deleted with events whose retention ran out")
SEARCH_SECONDS = Histogram(
    "eventlens_search_seconds",
    "Server time of a guest search that found a face",
    buckets=(0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
)

router = APIRouter(include_in_schema=False)


def _gauges(ctx: Ctx) -> bytes:
    pending = ctx.queue.pending_count()
    index = ctx.faces.index_sizes()
    lines = [
        "# HELP eventlens_queue_pending Jobs waiting in the queue",
        "# TYPE eventlens_queue_pending gauge",
        f"eventlens_queue_pending {pending}",
        "# HELP eventlens_face_index_faces Faces held in this process's search indexes",
        "# TYPE eventlens_face_index_faces gauge",
        f"eventlens_face_index_faces {index['faces']}",
        "# HELP eventlens_face_index_bytes Bytes held by this process's search indexes",
        "# TYPE eventlens_face_index_bytes gauge",
        f"eventlens_face_index_bytes {index['bytes']}",
        "# HELP eventlens_live_screens Live screens (/e/{slug}/live) open on this process",
        "# TYPE eventlens_live_screens gauge",
        f"eventlens_live_screens {ctx.live_viewers.total()}",
    ]
    return ("\n".join(lines) + "\n").encode()


@router.get("/metrics")
async def metrics(ctx: Ctx) -> Response:
    body = generate_latest(REGISTRY) + await run_in_threadpool(_gauges, ctx)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
