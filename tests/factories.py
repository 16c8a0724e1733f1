"""Small factories for test data, made through the real API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.support.processes import clean_env

PASSWORD = "correct horse battery staple"


def signup(client: TestClient, *, email: str | None = None, name: str = "Pat Photographer") -> dict[str, Any]:
    """Sign up on ``client`` (which then carries the session cookie and CSRF header); return the user."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    r = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
    user: dict[str, Any] = r.json()
    return user


def api_token(client: TestClient, name: str = "script") -> str:
    r = client.post("/api/tokens", json={"name": name})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


def create_event(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Summer Gala"} | fields
    r = client.post("/api/events", json=body)
    assert r.status_code == 201, r.text
    event: dict[str, Any] = r.json()
    return event


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an API error of the documented shape with that status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    err: dict[str, Any] = body["error"]
    assert isinstance(err["code"], str) and err["code"], err
    assert isinstance(err["message"], str) and err["message"], err
    if code is not None:
        assert err["code"] == code, err
    return err


def run_jobs(app: Any, limit: int = 10_000) -> int:
    """Run every queued job now, in this thread, through the real queue; return how many ran."""
    huey = app.state.ctx.queue.huey
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    raise AssertionError(f"more than {limit} jobs: is a job re-queueing itself?")


def upload(client: TestClient, event_id: str, *files: tuple[str, bytes], **kw: Any) -> Any:
    """POST files (name, bytes) to the event; returns the response."""
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post(f"/api/events/{event_id}/photos", files=parts, **kw)


def fetch(client: TestClient, url: str) -> Any:
    """GET an image URL of the app; follow a redirect to a signed S3 URL with a real HTTP client."""
    import httpx

    r = client.get(url, follow_redirects=False)
    if r.status_code in (302, 303, 307) and r.headers["location"].startswith("http"):
        return httpx.get(r.headers["location"])
    return r


def settings_env(settings: Any, **overrides: object) -> dict[str, str]:
    """The environment for an ``eventlens`` subprocess that uses exactly ``settings`` (plus overrides).

    Every Settings field becomes ``EVENTLENS_<NAME>`` (secrets revealed, None left out); inherited
    ``EVENTLENS_*`` variables are dropped so nothing from the test runner leaks in.
    """

    from pydantic import SecretStr

    env = clean_env()
    values = {name: getattr(settings, name) for name in type(settings).model_fields} | overrides
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[f"EVENTLENS_{name.upper()}"] = str(value)
    return env


def gradient_jpeg(width: int = 800, height: int = 600, seed: int = 0) -> bytes:
    """A small, smooth JPEG (no faces), different for each ``seed``: re-encoding it adds little noise, so
    a test can tell a drawn mark from compression."""
    import io

    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = seed * 0.7
    rgb = np.stack(
        [
            96 + 64 * np.sin(x / width * 3.1 + phase),
            96 + 64 * np.cos(y / height * 2.3 + phase),
            80 + 48 * np.sin((x + y) / (width + height) * 4.0),
        ],
        axis=-1,
    )
    buf = io.BytesIO()
    Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB").save(buf, "JPEG", quality=95)
    return buf.getvalue()
