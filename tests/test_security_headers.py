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
