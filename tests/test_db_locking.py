"""The SQLite rule of db.py: a GET takes no write lock, so it never queues behind a writer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.factories import create_event, signup


def test_a_read_request_is_answered_while_another_transaction_holds_the_write_lock(
    client: TestClient, new_client
) -> None:  # type: ignore[no-untyped-def]
    signup(client)
    event = create_event(client, name="Locked")
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    writer = ctx.sessions()
    try:
        # A write transaction that has begun and not committed: on SQLite it holds the write lock.
        writer.execute(
            text("UPDATE events SET description = 'being edited' WHERE slug = :s"), {"s": event["slug"]}
        )
        guest = new_client()
        r = guest.get(f"/api/public/events/{event['slug']}")
        assert r.status_code == 200, r.text
        assert r.json()["description"] == ""  # the writer's change is not visible before it commits
    finally:
        writer.rollback()
        writer.close()
