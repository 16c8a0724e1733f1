"""A subscription keeps the selfie's embedding and nothing of its image: not in the object store, not
in the data folder, not in any column of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, String, Text, select

from eventlens.db import Base, session_scope
from eventlens.models import NotifySubscription
from tests.factories import create_event, signup

SELFIE = "identities/Angelina_Jolie/6.jpg"
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8")


def _everything_stored(app: Any) -> list[bytes]:
    """Every object in the store and every file under the data folder, as bytes."""
    ctx = app.state.ctx
    found = [b"".join(ctx.storage.iter_chunks(key)) for key in ctx.storage.list_keys("events/")]
    for path in Path(ctx.site.data_dir).rglob("*"):
        if path.is_file():
            found.append(path.read_bytes())
    return found


def test_no_image_of_the_selfie_is_stored_anywhere(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    selfie = (dataset / SELFIE).read_bytes()
    before = len(list(app.state.ctx.storage.list_keys("events/")))
    r = new_client().post(
        f"/api/public/events/{event['slug']}/subscriptions",
        files=[("selfie", ("me.jpg", selfie, "image/jpeg"))],
        data={"email": "a@example.org", "consent": "true"},
    )
    assert r.status_code == 201, r.text

    # Object store and data folder (SQLite file, queue, spool): no new object, no piece of the selfie.
    assert len(list(app.state.ctx.storage.list_keys("events/"))) == before
    chunks = [selfie[i : i + 256] for i in range(0, len(selfie) - 256, len(selfie) // 8)]
    for blob in _everything_stored(app):
        assert not any(chunk in blob for chunk in chunks)

    # Database: every binary or text column of every table holds no image.
    with session_scope(app.state.ctx.sessions) as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, LargeBinary | String | Text)]
            for column in columns:
                for value in db.scalars(select(column)):
                    data = value.encode() if isinstance(value, str) else bytes(value or b"")
                    assert not data.startswith(IMAGE_MAGIC), (table.name, column.name)
                    assert not any(chunk in data for chunk in chunks), (table.name, column.name)
        sub = db.scalars(select(NotifySubscription)).one()
        dim = app.state.ctx.face_engine.dim
        rows = np.frombuffer(sub.embeddings, dtype="<f4").reshape(-1, dim)
        # What is kept is one unit-length face description per selfie: 4 bytes per dimension.
        assert rows.shape == (1, dim) and len(sub.embeddings) == 4 * dim
        assert abs(float(np.linalg.norm(rows[0])) - 1.0) < 1e-3
