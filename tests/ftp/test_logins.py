"""Logging in through the gateway: wrong passwords, revoked or expired logins, archived events, throttling."""

from __future__ import annotations

import ftplib
import io
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from eventlens.config import Settings
from eventlens.ftp.derived import service_token
from eventlens.ftp.gateway.server import Gateway
from eventlens.models import FtpCredential
from tests.ftp.conftest import StartGateway
from tests.ftp.harness import ApiServer, Camera, ftps, photos
from tests.ftp.test_uploads import small_jpeg
from tests.support.password_checks import count_password_checks

LIMIT = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A tight limit on failed logins, so throttling shows after a few attempts."""
    return settings.model_copy(update={"ftp_login_rate_limit": f"{LIMIT}/minute"})


def _refused(gateway: Gateway, cafile: Path, camera: Camera, password: str | None = None) -> str:
    with pytest.raises(ftplib.Error) as refused:
        ftps(gateway, cafile, camera, password=password).close()
    return str(refused.value)


def test_wrong_password_or_unknown_user_is_530(
    gateway: Gateway, camera: Camera, cafile: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="eventlens.ftp")
    assert _refused(gateway, cafile, camera, password="not-the-password").startswith("530 Login incorrect")
    ghost = Camera(camera.event_id, "nobody-here", "whatever", "")
    assert _refused(gateway, cafile, ghost).startswith("530 Login incorrect")
    lines = [r.getMessage() for r in caplog.records if "ftp.login_refused" in r.getMessage()]
    assert any(camera.username in m and "wrong_password" in m for m in lines), lines
    assert "not-the-password" not in caplog.text


def test_revoking_takes_effect_at_the_next_login(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        r = client.delete(f"/api/events/{camera.event_id}/ftp-credentials/{camera.credential_id}")
        assert r.status_code == 204
        ftp.storbinary("STOR during.jpg", io.BytesIO(small_jpeg(1)))  # the open session finishes its work
        assert gateway.handoff.wait_idle(10)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["during.jpg"]
    assert _refused(gateway, cafile, camera).startswith("530 This login was revoked")


def test_an_expired_login_is_530(app: Any, gateway: Gateway, camera: Camera, cafile: Path) -> None:
    with app.state.ctx.sessions() as db, db.begin():
        db.get(FtpCredential, uuid.UUID(camera.credential_id)).expires_at = datetime.now(UTC) - timedelta(
            seconds=1
        )
    assert _refused(gateway, cafile, camera).startswith("530 This login has expired")


def test_an_archived_event_is_530(client: TestClient, gateway: Gateway, camera: Camera, cafile: Path) -> None:
    assert client.post(f"/api/events/{camera.event_id}/archive").status_code == 200
    assert _refused(gateway, cafile, camera).startswith("530 The event is archived")


def test_failed_logins_are_throttled_per_address(gateway: Gateway, camera: Camera, cafile: Path) -> None:
    for _ in range(LIMIT):
        assert _refused(gateway, cafile, camera, password="guess").startswith("530")
    # Past the limit even the right password is turned away, and the connection is closed.
    reply = _refused(gateway, cafile, camera)
    assert reply.startswith("421 Too many failed logins") and "try again in" in reply


def test_three_failures_on_one_connection_disconnect(gateway: Gateway, camera: Camera, cafile: Path) -> None:
    ftp = ftps(gateway, cafile)
    replies = []
    for _ in range(3):
        try:
            ftp.login(camera.username, "guess")
        except ftplib.error_perm as exc:
            replies.append(str(exc)[:3])
    assert replies == ["530", "530", "530"]
    with pytest.raises((EOFError, OSError)):
        ftp.voidcmd("NOOP")  # pyftpdlib's max_login_attempts ended the session
    ftp.close()


def test_while_the_api_is_away_logins_get_421(
    api: ApiServer, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    api.stop()
    try:
        assert _refused(gateway, cafile, camera).startswith("421 The photo service cannot be reached")
    finally:
        api.start()
    ftps(gateway, cafile, camera).quit()  # and back in once it is there again


def test_a_gateway_with_the_wrong_service_token_says_so(
    start_gateway: StartGateway, camera: Camera, cafile: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="eventlens.ftp")
    gateway = start_gateway(ftp_service_token=SecretStr("not-the-api-s-token"))
    assert _refused(gateway, cafile, camera).startswith("421 The photo service is not available")
    assert any("EVENTLENS_FTP_SERVICE_TOKEN" in r.getMessage() for r in caplog.records)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_password_checks(monkeypatch)


def test_concurrent_guesses_from_one_address_try_at_most_the_limit(
    gateway: Gateway, camera: Camera, cafile: Path, checks: list[int]
) -> None:
    def guess(_n: int) -> str:
        try:
            ftps(gateway, cafile, camera, password="guess").close()
        except ftplib.Error as exc:
            return str(exc)[:3]
        return "230"

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(guess, range(24)))
    # Counted before the password is checked: no guess slips past while the first are checked.
    assert replies.count("530") <= LIMIT and len(checks) <= LIMIT
    assert replies.count("421") >= 24 - LIMIT and set(replies) <= {"530", "421"}


def test_limits_are_per_address_and_per_user_name_and_address(
    client: TestClient, settings: Settings, camera: Camera
) -> None:
    headers = {"Authorization": f"Bearer {service_token(settings)}"}

    def login(ip: str, password: str, username: str = camera.username) -> int:
        body = {"username": username, "password": password, "client_ip": ip}
        return client.post("/api/internal/ftp/login", json=body, headers=headers).status_code

    assert [login("192.0.2.1", "guess") for _ in range(LIMIT + 1)] == [401] * LIMIT + [429]
    # Another address is not locked out by the first one's guesses on the same login.
    assert login("192.0.2.2", camera.password) == 200
    # A success clears its address's counts: a camera logging in for every photo is never held back.
    assert [login("192.0.2.3", camera.password) for _ in range(LIMIT + 2)] == [200] * (LIMIT + 2)
    assert [login("192.0.2.3", "guess") for _ in range(LIMIT)] == [401] * LIMIT
    assert login("192.0.2.3", camera.password) == 429
