"""/metrics: Prometheus text with the product's counters moving as photos and searches happen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import create_event, run_jobs, signup, upload

STEPS = ("fetch", "decode", "previews", "faces")


def _value(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def test_metrics_count_uploads_processing_and_searches(client: TestClient, app: Any, dataset: Path) -> None:
    before = client.get("/metrics").text
    signup(client)
    event = create_event(client)
    photo = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
    upload(client, event["id"], ("a.jpg", photo), ("b.jpg", photo), ("c.jpg", b"nope"))
    waiting = client.get("/metrics").text
    assert waiting.count("eventlens_queue_pending 1") == 1  # one job waits
    assert _value(waiting, "eventlens_queue_oldest_seconds") >= 0.0
    assert re.search(r"^eventlens_queue_oldest_seconds \d", waiting, re.MULTILINE)
    steps_before = {
        s: _value(before, "eventlens_processing_step_seconds_count", f'{{step="{s}"}}') for s in STEPS
    }
    run_jobs(app)
    client.post(f"/api/events/{event['id']}/publish")
    selfie = {"selfie": ("me.jpg", (dataset / "identities/Angelina_Jolie/6.jpg").read_bytes())}
    assert client.post(f"/api/public/events/{event['slug']}/search", files=selfie).status_code == 200
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = r.text
    for labels, delta in (
        ('{outcome="stored",source="web"}', 1),
        ('{outcome="duplicate",source="web"}', 1),
        ('{outcome="rejected",source="web"}', 1),
    ):
        name = "eventlens_uploads_total"
        assert _value(after, name, labels) - _value(before, name, labels) == delta, labels
    assert _value(after, "eventlens_photos_processed_total", '{status="indexed"}') >= 1
    assert _value(after, "eventlens_searches_total", '{outcome="found"}') >= 1
    assert _value(after, "eventlens_search_seconds_count") >= 1
    assert "eventlens_queue_pending 0" in after
    assert _value(after, "eventlens_face_index_faces") >= 1
    assert _value(after, "eventlens_queue_oldest_seconds") == 0.0  # nothing waits any more
    for s in STEPS:  # each step of the one photo processed was timed once
        got = _value(after, "eventlens_processing_step_seconds_count", f'{{step="{s}"}}') - steps_before[s]
        assert got == 1, s
    assert _value(after, "eventlens_upload_to_indexed_seconds_count") >= 1
