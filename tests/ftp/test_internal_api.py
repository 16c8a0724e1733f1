"""/api/internal/ftp: the gateway's login check and upload route, behind the service token."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.ftp.derived import service_token
from eventlens.models import FtpCredential
from tests.factories import assert_error, signup
from tests.ftp.harness import Camera, photos

LOGIN = "/api/internal/ftp/login"


def _gateway_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {service_token(settings)}"}


def _login(
    client: TestClient,
    settings: Settings,
    camera: Camera,
    password: str | None = None,
    ip: str = "192.0.2.10",
) -> Any:
    body = {"username": camera.username, "password": password or camera.password, "client_ip": ip}
    return client.post(LOGIN, json=body, headers=_gateway_headers(settings))


def test_only_the_gateway_may_call(client: TestClient, settings: Settings, camera: Camera) -> None:
    body = {"username": camera.username, "password": camera.password, "client_ip": "192.0.2.1"}
    anonymous = TestClient(client.app, base_url="https://testserver")
    assert_error(anonymous.post(LOGIN, json=body), 401, "gateway_unauthorized")
    assert_error(
        anonymous.post(LOGIN, json=body, headers={"Authorization": "Bearer nope"}),
        401,
        "gateway_unauthorized",
    )
    # A photographer's own session or API token is not the gateway either.
    assert_error(client.post(LOGIN, json=body), 401, "gateway_unauthorized")
    upload = f"/api/internal/ftp/events/{camera.event_id}/photos"
    assert_error(anonymous.post(upload, files={"files": ("a.jpg", b"x")}), 401, "gateway_unauthorized")


def test_the_default_token_is_derived_from_the_secret(settings: Settings) -> None:
    token = service_token(settings)
    assert len(token) == 64 and settings.secret not in token
    other = Settings(data_dir=settings.data_dir, secret_key=SecretStr("another secret"))
    assert service_token(other) != token
    assert service_token(Settings(data_dir=settings.data_dir, secret_key=settings.secret_key)) == token
    configured = Settings(data_dir=settings.data_dir, ftp_service_token=SecretStr("configured-token"))
    assert service_token(configured) == "configured-token"


def test_login_answers_the_event_and_records_the_time(
    client: TestClient, settings: Settings, camera: Camera
) -> None:
    r = _login(client, settings, camera)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event_id"] == camera.event_id and body["credential_id"] == camera.credential_id
    assert body["event_slug"].startswith("gala-2026-") and body["event_name"] == "Gala 2026"
    # user names are not case-sensitive (camera keyboards capitalise)
    assert (
        _login(
            client, settings, Camera(camera.event_id, camera.username.upper(), camera.password, "")
        ).status_code
        == 200
    )
    [listed] = client.get(f"/api/events/{camera.event_id}/ftp-credentials").json()["items"]
    assert listed["last_login_at"] is not None


def test_refusals_say_why_and_the_log_never_holds_the_password(
    client: TestClient, app: Any, settings: Settings, camera: Camera, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="eventlens.ftp")
    assert_error(_login(client, settings, camera, password="wrong-password-123"), 401, "invalid_credentials")
    ghost = Camera(camera.event_id, "no-such-user", "whatever-pass", "")
    assert_error(_login(client, settings, ghost), 401, "invalid_credentials")
    refused = [r.getMessage() for r in caplog.records if "ftp.login_refused" in r.getMessage()]
    assert any(f"user={camera.username}" in m and "reason=wrong_password" in m for m in refused), refused
    assert any("user=no-such-user" in m and "reason=unknown_user" in m for m in refused), refused
    assert all("192.0.2.10" in m for m in refused)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "wrong-password-123" not in logged and camera.password not in logged

    with app.state.ctx.sessions() as db, db.begin():
        db.get(FtpCredential, uuid.UUID(camera.credential_id)).expires_at = datetime.now(UTC) - timedelta(
            seconds=1
        )
    assert_error(_login(client, settings, camera), 403, "credential_expired")
    assert (
        client.delete(f"/api/events/{camera.event_id}/ftp-credentials/{camera.credential_id}").status_code
        == 204
    )
    assert_error(_login(client, settings, camera), 403, "credential_revoked")


def test_an_archived_event_refuses_logins(client: TestClient, settings: Settings, camera: Camera) -> None:
    assert client.post(f"/api/events/{camera.event_id}/archive").status_code == 200
    assert_error(_login(client, settings, camera), 403, "event_archived")
    assert client.post(f"/api/events/{camera.event_id}/publish").status_code == 200
    assert _login(client, settings, camera).status_code == 200


def test_failed_logins_are_rate_limited_per_address(settings: Settings) -> None:
    tight = settings.model_copy(update={"ftp_login_rate_limit": "3/minute"})
    with TestClient(create_app(tight), base_url="https://testserver") as client:
        signup(client)
        event = client.post("/api/events", json={"name": "Gala 2026"}).json()
        made = client.post(f"/api/events/{event['id']}/ftp-credentials", json={}).json()
        camera = Camera(event["id"], made["username"], made["password"], made["id"])
        for _ in range(3):
            assert_error(_login(client, tight, camera, password="nope-nope-nope"), 401, "invalid_credentials")
        limited = _login(client, tight, camera)  # even the right password, from that address
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) > 0
        assert _login(client, tight, camera, ip="198.51.100.7").status_code == 200  # another address


def test_upload_route_stores_with_source_ftp_and_album(
    client: TestClient, settings: Settings, camera: Camera, dataset: Path
) -> None:
    url = f"/api/internal/ftp/events/{camera.event_id}/photos"
    headers = _gateway_headers(settings) | {"X-EventLens-FTP-Credential": camera.credential_id}
    photo = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    r = client.post(url, files={"files": ("IMG_1.JPG", photo)}, data={"album": "Ceremony"}, headers=headers)
    assert r.status_code == 201, r.text
    again = client.post(url, files={"files": ("IMG_1 copy.JPG", photo)}, headers=headers)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert_error(client.post(url, files={"files": ("notes.jpg", b"just text")}, headers=headers), 415)
    [stored] = photos(client, camera.event_id)
    assert (stored["source"], stored["album"], stored["original_filename"]) == (
        "ftp",
        "Ceremony",
        "IMG_1.JPG",
    )

    other = client.post("/api/events", json={"name": "Other"}).json()
    wrong_event = f"/api/internal/ftp/events/{other['id']}/photos"
    assert_error(
        client.post(wrong_event, files={"files": ("b.jpg", photo)}, headers=headers), 404, "not_found"
    )
    assert client.post(f"/api/events/{camera.event_id}/archive").status_code == 200
    assert_error(client.post(url, files={"files": ("c.jpg", photo)}, headers=headers), 409, "event_archived")
