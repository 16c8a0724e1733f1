"""A removal keeps the selfie's embedding and nothing of its image: not in the object store, not in the
data folder, not in any column of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from eventlens.db import session_scope
from eventlens.models import FaceBlock
from tests.hiding.conftest import JOLIE_SELFIE
from tests.support.no_trace import assert_no_trace_of


def test_no_image_of_the_selfie_is_stored_anywhere(
    new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    before = sorted(app.state.ctx.storage.list_keys("events/"))
    r = new_client().post(
        f"/api/public/events/{gallery['event']['slug']}/removals",
        files=[("selfie", ("me.jpg", selfie, "image/jpeg"))],
        data={"confirm": "true"},
    )
    assert r.status_code == 201, r.text

    assert sorted(app.state.ctx.storage.list_keys("events/")) == before
    assert_no_trace_of(app, selfie)
    with session_scope(app.state.ctx.sessions) as db:
        block = db.scalars(select(FaceBlock)).one()
        dim = app.state.ctx.face_engine.dim
        rows = np.frombuffer(block.embeddings, dtype="<f4").reshape(-1, dim)
        # What is kept is one unit-length face description per selfie, and when the guest confirmed.
        assert rows.shape == (1, dim) and len(block.embeddings) == 4 * dim
        assert abs(float(np.linalg.norm(rows[0])) - 1.0) < 1e-3
        assert block.confirmed_at is not None
