"""Decompression bombs of every format, as photos and as selfies: refused from the header, before any
pixel is decoded, with the documented error, and nothing is left behind (no object, row or spool file)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, NoReturn

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFile
from sqlalchemy import func, select

from eventlens.errors import ApiError
from eventlens.guests import selfie
from eventlens.guests.selfie import decode_selfie
from eventlens.models import GuestSearch, Photo
from eventlens.photos import imaging
from eventlens.photos.decode_budget import budget
from eventlens.photos.errors import IngestError
from tests.factories import assert_error, create_event, signup, upload

from .bombs import BOMBS, PHOTO_BOMBS, Bomb


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return {b.name: b.build() for b in BOMBS}


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> NoReturn:
        raise AssertionError(f"a {self.size} image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def _leftovers(app: Any) -> tuple[list[str], int, int, list[Path]]:
    data_dir = Path(app.state.ctx.site.data_dir)
    spool = data_dir / "spool"
    with app.state.ctx.sessions() as db:
        photos = int(db.scalar(select(func.count()).select_from(Photo)) or 0)
        searches = int(db.scalar(select(func.count()).select_from(GuestSearch)) or 0)
    spooled = [p for p in spool.rglob("*") if p.is_file()] if spool.exists() else []
    return sorted(app.state.ctx.storage.list_keys("events/")), photos, searches, spooled


@pytest.mark.parametrize("bomb", PHOTO_BOMBS, ids=lambda b: b.name)
def test_photo_bombs_are_refused_from_the_header(
    bomb: Bomb, built: dict[str, bytes], tmp_path: Path, no_decoding: None
) -> None:
    path = tmp_path / bomb.name
    path.write_bytes(built[bomb.name])
    with pytest.raises(IngestError) as info:
        imaging.inspect(path, 120_000_000)
    assert (info.value.status, info.value.code) == bomb.photo


@pytest.mark.parametrize("bomb", BOMBS, ids=lambda b: b.name)
def test_selfie_bombs_are_refused_from_the_header(
    bomb: Bomb, built: dict[str, bytes], no_decoding: None
) -> None:
    with pytest.raises(ApiError) as info:
        decode_selfie(built[bomb.name])
    assert (info.value.status, info.value.code) == bomb.selfie


@pytest.fixture
def event(client: TestClient) -> dict[str, Any]:
    signup(client)
    event = create_event(client, name="Bombs")
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return event


def test_photo_bombs_uploaded_answer_their_error_and_leave_nothing(
    client: TestClient, app: Any, event: dict[str, Any], built: dict[str, bytes]
) -> None:
    files = [(b.name, built[b.name]) for b in PHOTO_BOMBS]
    r = upload(client, event["id"], *files)
    err = assert_error(r, 422, "upload_rejected")  # every file refused, for more than one reason
    items = err["details"]["items"]
    assert [(i["error"]["status"], i["error"]["code"]) for i in items] == [b.photo for b in PHOTO_BOMBS]
    assert _leftovers(app) == ([], 0, 0, [])


def test_selfie_bombs_answer_their_error_and_leave_nothing(
    new_client: Any, app: Any, event: dict[str, Any], built: dict[str, bytes]
) -> None:
    guest = new_client()
    for bomb in BOMBS:
        r = guest.post(
            f"/api/public/events/{event['slug']}/search", files={"selfie": (bomb.name, built[bomb.name])}
        )
        assert_error(r, *bomb.selfie)
    assert _leftovers(app) == ([], 0, 0, [])


def test_a_selfie_waits_for_the_decode_budget_then_answers_503(
    new_client: Any, app: Any, event: dict[str, Any], dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selfie, "SELFIE_BUDGET_WAIT", 0.2)
    guest = new_client()
    with budget.reserve(budget.capacity):
        r = guest.post(
            f"/api/public/events/{event['slug']}/search",
            files={"selfie": ("me.jpg", (dataset / "identities/Angelina_Jolie/6.jpg").read_bytes())},
        )
    assert_error(r, 503, "busy")
    assert r.headers["Retry-After"] == "5"
    assert budget.used == 0
    assert _leftovers(app) == ([], 0, 0, [])


def test_an_upload_waits_for_the_decode_budget_then_refuses_the_file_with_503(
    client: TestClient, app: Any, event: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imaging, "PHOTO_BUDGET_WAIT", 0.2)
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(buf, "PNG")
    with budget.reserve(budget.capacity):
        r = upload(client, event["id"], ("small.png", buf.getvalue()))
    err = assert_error(r, 503, "busy")
    assert err["details"]["items"][0]["error"]["code"] == "busy"
    assert _leftovers(app) == ([], 0, 0, [])
