"""Face jobs: removing faces and collections from an external index (Rekognition) after the rows went."""

from __future__ import annotations

import uuid

from eventlens.context import AppContext
from eventlens.faces import service
from eventlens.jobs.queue import job


@job(service.DELETE_JOB, retries=8, retry_delay=5, retry_backoff=2.0)
def delete_faces(ctx: AppContext, event_id: str, face_ids: list[str]) -> None:
    ctx.faces.delete_faces(uuid.UUID(event_id), face_ids)


@job(service.DROP_COLLECTION_JOB, retries=8, retry_delay=5, retry_backoff=2.0)
def drop_collection(ctx: AppContext, name: str) -> None:
    ctx.faces.drop_collection(name)
    service.collection_dropped(ctx.sessions, name)
