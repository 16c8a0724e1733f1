"""A subscription keeps the selfie's embedding and nothing of its image: not in the object store, not
in the data folder, not in any column of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.db import session_scope
from eventlens.models import NotifySubscription
from tests.factories import create_event, signup
from tests.support.no_trace import assert_no_trace_of

SELFIE = "identities/Angelina_Jolie/6.jpg"


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
    assert_no_trace_of(app, selfie)
    with session_scope(app.state.ctx.sessions) as db:
        sub = db.scalars(select(NotifySubscription)).one()
        dim = app.state.ctx.face_engine.dim
        rows = np.frombuffer(sub.embeddings, dtype="<f4").reshape(-1, dim)
        # What is kept is one unit-length face description per selfie: 4 bytes per dimension.
        assert rows.shape == (1, dim) and len(sub.embeddings) == 4 * dim
        assert abs(float(np.linalg.norm(rows[0])) - 1.0) < 1e-3
