from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_event, run_jobs, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
JOLIE_LATER = "identities/Angelina_Jolie/4.jpg"
JOLIE_SELFIE = "identities/Angelina_Jolie/6.jpg"
OBAMA = "identities/Barack_Obama/1.jpg"
OBAMA_SELFIE = "identities/Barack_Obama/2.jpg"
NO_FACE = "nofaces/skimage_brick.png"


@pytest.fixture
def gallery(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """A published event: three photos of one person and one of another, indexed."""
    signup(client)
    event = create_event(client, name="Gala")
    names = [*JOLIE, OBAMA]
    r = upload(client, event["id"], *[(n.replace("/", "_"), (dataset / n).read_bytes()) for n in names])
    assert r.json()["stored"] == len(names), r.text
    ids = dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return {"event": event, "ids": ids}


def search(client: TestClient, slug: str, selfie: bytes, **kw: Any) -> set[str]:
    r = client.post(f"/api/public/events/{slug}/search", files={"selfie": ("me.jpg", selfie)}, **kw)
    assert r.status_code == 200, r.text
    return {m["photo_id"] for m in r.json()["matches"]}


def faces_of(client: TestClient, photo_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/photos/{photo_id}/faces")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
