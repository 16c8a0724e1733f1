"""/api/docs works offline: Swagger UI renders the API and every request stays on the app's origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_api_docs_render_from_the_app_alone(browser: Any, live_server: Any) -> None:
    origin = urlsplit(live_server.url)
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{live_server.url}/api/docs")
        page.wait_for_selector(".opblock", timeout=15_000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/public/events/{slug}/search" in text.replace("\u200b", "") for text in operations)
    finally:
        page.close()
    assert requested, "the page made no request at all"
    foreign = [url for url in requested if urlsplit(url)[:2] != origin[:2] and not url.startswith("data:")]
    assert foreign == []
    assert f"{live_server.url}/api/openapi.json" in requested
