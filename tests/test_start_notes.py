"""What `eventlens serve` tells a newcomer at start: who becomes admin, and where guest links point."""

from __future__ import annotations

from fastapi.testclient import TestClient

from eventlens.cli import _start_notes
from eventlens.config import Settings
from eventlens.events.links import is_loopback
from tests.factories import signup


def test_the_admin_line_shows_only_while_nobody_has_signed_up(settings: Settings, client: TestClient) -> None:
    assert any("first account you create becomes the admin" in n for n in _start_notes(settings))
    signup(client)
    assert not any("becomes the admin" in n for n in _start_notes(settings))


def test_a_loopback_base_url_is_flagged_with_how_to_set_it(settings: Settings) -> None:
    local = settings.model_copy(update={"base_url": "http://127.0.0.1:8000"})
    assert any("EVENTLENS_BASE_URL" in n for n in _start_notes(local))
    public = settings.model_copy(update={"base_url": "https://photos.example.com"})
    assert not any("EVENTLENS_BASE_URL" in n for n in _start_notes(public))


def test_loopback_addresses() -> None:
    for url in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:8000", "http://app.localhost"):
        assert is_loopback(url), url
    for url in ("https://photos.example.com", "http://192.168.1.20:8000", "http://10.0.0.5"):
        assert not is_loopback(url), url
