"""``bench accuracy --engine rekognition``: the dev set measured through AWS (needs credentials; costs money).

Rekognition gives no embeddings, only similarities of a selfie to the collection's faces. So each
selfie becomes one coordinate: a face's row holds its similarity (0-1) to every selfie, a selfie is the
unit vector of its own coordinate, and ``matrix @ selfie`` is exactly what SearchFacesByImage answered
(with FaceMatchThreshold 0 and MaxFaces 4096: every face it scores). The measures built on selfie-to-face
similarities (curves, tiers, several selfies by max or mean of similarities, face widths) are then
those of AWS; "mean embedding" and look-alikes (face-to-face) do not apply and are left out.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore.exceptions import ClientError
from PIL import Image
from sqlalchemy import select

if TYPE_CHECKING:
    from eventlens.bench.dataset import Dataset
    from eventlens.bench.pipeline import Indexed, Progress
    from eventlens.context import AppContext
    from eventlens.faces.rekognition.backend import RekognitionBackend

MAX_SELFIES = 3


def _scores(backend: RekognitionBackend, collection: str, pixels: np.ndarray) -> dict[str, float] | None:
    """FaceId -> similarity (0-1) of every face Rekognition scores for this selfie; None: no face."""
    from eventlens.faces.rekognition.calls import error_code
    from eventlens.faces.rekognition.images import jpeg_under

    try:
        answer: dict[str, Any] = backend.calls(
            "SearchFacesByImage",
            "search_faces_by_image",
            CollectionId=collection,
            Image={"Bytes": jpeg_under(Image.fromarray(pixels), 1920)},
            MaxFaces=4096,
            FaceMatchThreshold=0.0,
        )
    except ClientError as exc:
        if error_code(exc) == "InvalidParameterException":
            return None
        raise
    return {m["Face"]["FaceId"]: float(m["Similarity"]) / 100.0 for m in answer.get("FaceMatches", [])}


def indexed(
    ctx: AppContext,
    event_id: uuid.UUID,
    data: Dataset,
    photo_of: dict[str, uuid.UUID],
    progress: Progress,
    base: dict[str, Any],
) -> Indexed:
    """The ``Indexed`` of an event whose photos Rekognition indexed; deletes its collection at the end."""
    from eventlens.bench.pipeline import Indexed
    from eventlens.db import session_scope
    from eventlens.faces.rekognition.backend import RekognitionBackend
    from eventlens.guests.selfie import decode_selfie
    from eventlens.models import Face, Photo

    backend = ctx.faces
    assert isinstance(backend, RekognitionBackend)
    collection = backend.collection_name(event_id)
    try:
        with session_scope(ctx.sessions) as db:
            rows = db.execute(
                select(Face.photo_id, Face.box_x, Face.box_y, Face.box_w, Face.box_h, Face.external_id)
                .where(Face.event_id == event_id, Face.searchable.is_(True))
                .order_by(Face.created_at)
            ).all()
            dims = {p.id: (p.width or 0, p.height or 0) for p in db.query(Photo).all()}
        slots: dict[uuid.UUID, int] = {}
        for r in rows:
            slots.setdefault(r.photo_id, len(slots))
        for pid in photo_of.values():
            slots.setdefault(pid, len(slots))
        order = sorted(slots, key=slots.__getitem__)
        first_path = {pid: rel for rel, pid in reversed(photo_of.items())}
        row_of = {r.external_id: i for i, r in enumerate(rows)}

        people = data.people()
        columns: list[dict[str, float]] = []
        per_person: dict[str, list[int | None]] = {}
        selfie_ms: list[float] = []
        for i, person in enumerate(people):
            progress("selfies", i, len(people))
            mine: list[int | None] = []
            for rel in data.photos_of(person)[:MAX_SELFIES]:
                t0 = time.perf_counter()
                found = _scores(backend, collection, decode_selfie((data.root / rel).read_bytes()))
                selfie_ms.append((time.perf_counter() - t0) * 1000)
                if found is None:
                    mine.append(None)
                else:
                    mine.append(len(columns))
                    columns.append(found)
            per_person[person] = mine
        progress("selfies", len(people), len(people))

        matrix = np.zeros((len(rows), max(1, len(columns))), dtype=np.float32)
        for j, found in enumerate(columns):
            for face_id, sim in found.items():
                if face_id in row_of:
                    matrix[row_of[face_id], j] = sim
        eye = np.eye(matrix.shape[1], dtype=np.float32)
        ix = Indexed(
            engine_id=backend.engine_id,
            match_threshold=backend.match_threshold / 100.0,
            possible_threshold=backend.possible_threshold / 100.0,
            paths=[first_path[pid] for pid in order],
            sizes=[dims.get(pid, (0, 0)) for pid in order],
            matrix=matrix,
            boxes=np.array([(r.box_x, r.box_y, r.box_w, r.box_h) for r in rows], dtype=np.float32).reshape(
                -1, 4
            ),
            face_photo=np.array([slots[r.photo_id] for r in rows], dtype=np.int64),
            slot_of={rel: slots[pid] for rel, pid in photo_of.items()},
            has_embeddings=False,
            **base,
        )
        ix.selfies = {p: [None if j is None else eye[j] for j in cols] for p, cols in per_person.items()}
        ix.selfie_ms = selfie_ms
        ix.search_ms = list(selfie_ms)  # one call is both the selfie's analysis and the search
        return ix
    finally:
        backend.drop_collection(collection)
