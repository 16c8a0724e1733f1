"""Without an SMTP server configured the option is not there: not on the page, 404 from the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.factories import assert_error, create_event, signup


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"smtp_url": None})


def test_without_smtp_the_option_is_absent(client: TestClient, new_client: Any, dataset: Path) -> None:
    signup(client)
    event = create_event(client)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    page = new_client().get(f"/e/{event['slug']}")
    assert page.status_code == 200 and 'id="notify"' not in page.text and "notify.js" not in page.text
    r = new_client().post(
        f"/api/public/events/{event['slug']}/subscriptions",
        files=[
            ("selfie", ("me.jpg", (dataset / "identities/Angelina_Jolie/6.jpg").read_bytes(), "image/jpeg"))
        ],
        data={"email": "a@example.org", "consent": "true"},
    )
    assert_error(r, 404, "not_found")
