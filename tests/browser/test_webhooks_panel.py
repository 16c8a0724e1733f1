"""The Webhooks section of an event's Settings tab: add an endpoint (secret shown once), send a test
event, see its delivery in the log, delete the endpoint; a real receiver verifies the signature."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.browser.test_dashboard import _signed_in_page
from tests.factories import create_event, signup
from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_retry_delays": "0.2"})


def test_add_a_webhook_send_a_test_and_see_the_delivery(
    client: TestClient, live_server: Any, browser: Any
) -> None:
    user = signup(client)
    event = create_event(client, name="Harbour Run")  # a draft: only the test event goes out
    with Receiver() as receiver:
        page = _signed_in_page(browser, live_server.url, user["email"])
        try:
            page.goto(f"{live_server.url}/events/{event['id']}#settings")
            section = page.locator("#webhooks")
            assert section.is_visible()
            assert "No webhooks yet" in section.inner_text()

            page.fill("#webhook-url", receiver.url)
            page.locator("#webhooks input[value='guest.search']").uncheck()
            page.get_by_role("button", name="Add webhook").click()

            # The answer shows the secret once, in the Settings tab.
            secret = page.locator("#webhook-secret").inner_text()
            assert secret.startswith("whsec_")
            assert page.locator("#webhooks").is_visible()
            hook = page.locator("#webhooks section.webhook")
            assert hook.count() == 1 and receiver.url in hook.inner_text()
            assert "guest.search" not in hook.inner_text() and "photo.indexed" in hook.inner_text()
            receiver.secret = secret

            page.get_by_role("button", name="Send test event").click()
            (item,) = receiver.wait_for(1)
            assert item.error is None and item.verified["type"] == "webhook.test"

            # The log shows it delivered (reload: the try is recorded right after the answer).
            deadline = time.monotonic() + 15
            while "Delivered" not in page.locator("#webhooks table.deliveries").inner_text():
                assert time.monotonic() < deadline, page.locator("#webhooks").inner_text()
                time.sleep(0.2)
                page.reload()
            row = page.locator("#webhooks table.deliveries tbody tr").first
            assert "webhook.test" in row.inner_text() and "HTTP 204" in row.inner_text()
            # A reload shows the secret no more.
            assert page.locator("#webhook-secret").count() == 0

            page.get_by_role("button", name="Delete webhook").click()
            page.wait_for_load_state()
            assert "No webhooks yet" in page.locator("#webhooks").inner_text()
            assert client.get(f"/api/events/{event['id']}/webhooks").json()["items"] == []
        finally:
            page.context.close()
