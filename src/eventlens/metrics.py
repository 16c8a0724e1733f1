"""/metrics for Prometheus: what the product does (uploads, processing, searches) and its queue.

Counters live in the process's default registry; the queue length and the face index size are read
when scraped. Behind several `api` processes each is scraped on its own, as Prometheus expects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from eventlens.context import Ctx
from eventlens.db import session_scope, utcnow
from eventlens.photos import service as photos_service

UPLOADS = Counter("eventlens_uploads", "Files received, by outcome", ["outcome", "source"])
PROCESSED = Counter("eventlens_photos_processed", "Photos processed, by final status", ["status"])
FACES = Counter("eventlens_faces_indexed", "Faces stored by the processing job")
SEARCHES = Counter("eventlens_searches", "Guest selfie searches, by outcome", ["outcome"])
LEFTOVERS = Counter(
    "eventlens_leftovers_removed",
    "Crash leftovers removed (spool parts, work files, temp and orphan objects)",
)
WATERMARK_RENDERS = Counter(
    "eventlens_watermark_renders",
    "Watermarked renditions drawn (each is then served from the store): small (preview and thumbnail) or full",
    ["size"],
)
EVENTS_EXPIRED = Counter("eventlens_events_expired", "Events deleted because their retention ran out")
EXPIRED_PHOTOS = Counter("eventlens_expired_photos", "Photos deleted with events whose retention ran out")
SEARCH_SECONDS = Histogram(
    "eventlens_search_seconds",
    "Server time of a guest search that found a face",
    buckets=(0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5),
)

STEP_SECONDS = Histogram(
    "eventlens_processing_step_seconds",
    "Time of each step of processing a photo (fetch, decode, previews, faces, decode_full)",
    ["step"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0),
)
UPLOAD_TO_INDEXED = Histogram(
    "eventlens_upload_to_indexed_seconds",
    "From a photo's upload being accepted to its faces being searchable",
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0),
)

router = APIRouter(include_in_schema=False)


@contextmanager
def step(name: str) -> Iterator[None]:
    """Time one step of processing a photo into ``STEP_SECONDS``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        STEP_SECONDS.labels(name).observe(time.perf_counter() - started)


def _gauges(ctx: Ctx) -> bytes:
    pending = ctx.queue.pending_count()
    index = ctx.faces.index_sizes()
    with session_scope(ctx.read_sessions) as db:
        waited = photos_service.oldest_waiting_seconds(db, utcnow())
    lines = [
        "# HELP eventlens_queue_pending Jobs waiting in the queue",
        "# TYPE eventlens_queue_pending gauge",
        f"eventlens_queue_pending {pending}",
        "# HELP eventlens_queue_oldest_seconds How long the photo waiting longest for processing has waited",
        "# TYPE eventlens_queue_oldest_seconds gauge",
        f"eventlens_queue_oldest_seconds {waited:.1f}",
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
