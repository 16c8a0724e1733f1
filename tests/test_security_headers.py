"""Every answer carries the security headers; unknown Host names are refused before any route runs."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from tests.factories import signup
from tests.support.routes import app_routes

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _assert_secure(r) -> None:  # type: ignore[no-untyped-def]
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (r.request.method, r.request.url, name)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["strict-transport-security"].startswith("max-age=")  # the test base URL is https


def test_every_route_answers_with_the_headers(client: TestClient) -> None:
    signup(client)
    checked = 0
    for template, methods in app_routes(client.app.routes):  # type: ignore[attr-defined]
        path = re.sub(r"\{[^}]+\}", lambda m: str(uuid.uuid4()) if "id" in m[0] else "x", template)
        for method in sorted(methods):
            if method == "HEAD" or path.endswith("/stream"):
                continue  # the live stream never ends; its headers come from the same middleware
            r = client.request(method, path, follow_redirects=False)
            _assert_secure(r)
            checked += 1
    assert checked > 50


def test_a_forged_host_header_is_refused(client: TestClient) -> None:
    r = client.get("/events", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 400 and "evil.example" not in r.headers.get("location", "")
    _assert_secure(r)
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_an_unknown_host_gets_the_api_error_shape_under_api(client: TestClient) -> None:
    r = client.get("/api/events", headers={"Host": "evil.example"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    assert r.json() == {
        "error": {
            "code": "unknown_host",
            "message": "This server does not answer to that host name.",
            "details": None,
        }
    }
    _assert_secure(r)


def test_an_unknown_host_gets_the_error_page_elsewhere(client: TestClient) -> None:
    r = client.get("/e/some-event", headers={"Host": "evil.example:8000"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "<main" in r.text and "host name" in r.text
    # Links on the page (stylesheet, icon) name the site's own host, never the forged one.
    assert "evil.example" not in r.text and 'rel="stylesheet"' in r.text
    _assert_secure(r)


def test_an_unhandled_exception_answers_500_with_the_headers(app) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/test-boom", boom)
    app.add_api_route("/test-boom", boom)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        api = client.get("/api/test-boom")
        page = client.get("/test-boom")
    assert api.status_code == 500 and api.json()["error"]["code"] == "internal_error"
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    _assert_secure(api)
    _assert_secure(page)
