"""A removal keeps the selfie's embedding and nothing of its image: not in the object store, not in the
data folder, not in any column of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import LargeBinary, String, Text, select

from eventlens.db import Base, session_scope
from eventlens.models import FaceBlock
from tests.hiding.conftest import JOLIE_SELFIE

IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8")


def _everything_stored(app: Any) -> list[bytes]:
    ctx = app.state.ctx
    found = [b"".join(ctx.storage.iter_chunks(key)) for key in ctx.storage.list_keys("events/")]
    for path in Path(ctx.site.data_dir).rglob("*"):
        if path.is_file():
            found.append(path.read_bytes())
    return found


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
    chunks = [selfie[i : i + 256] for i in range(0, len(selfie) - 256, len(selfie) // 8)]
    for blob in _everything_stored(app):
        assert not any(chunk in blob for chunk in chunks)

    with session_scope(app.state.ctx.sessions) as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, LargeBinary | String | Text)]
            for column in columns:
                for value in db.scalars(select(column)):
                    data = value.encode() if isinstance(value, str) else bytes(value or b"")
                    assert not data.startswith(IMAGE_MAGIC), (table.name, column.name)
                    assert not any(chunk in data for chunk in chunks), (table.name, column.name)
        block = db.scalars(select(FaceBlock)).one()
        dim = app.state.ctx.face_engine.dim
        rows = np.frombuffer(block.embeddings, dtype="<f4").reshape(-1, dim)
        # What is kept is one unit-length face description per selfie, and when the guest confirmed.
        assert rows.shape == (1, dim) and len(block.embeddings) == 4 * dim
        assert abs(float(np.linalg.norm(rows[0])) - 1.0) < 1e-3
        assert block.confirmed_at is not None
