"""Search tiers and several selfies through the API: "high" before "possible", more selfies only add."""

from __future__ import annotations

import io
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.faces.test_guest_search import _files_containing
from tests.factories import assert_error, create_event, run_jobs, signup, upload
from tests.tiers import (
    FAR,
    GALLERY,
    HIGH,
    LOOK_ALIKE,
    MATCH_THRESHOLD,
    NEAR,
    NO_FACE,
    OTHERS,
    POSSIBLE,
    POSSIBLE_THRESHOLD,
    pin_thresholds,
)


def search(client: TestClient, slug: str, *selfies: bytes) -> Any:
    parts = [("selfie", (f"me-{i}.jpg", data)) for i, data in enumerate(selfies)]
    return client.post(f"/api/public/events/{slug}/search", files=parts)


@pytest.fixture
def banded(client: TestClient, app: Any, dataset: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A published event of tests/tiers.py's gallery, searched with its pinned thresholds."""
    pin_thresholds(monkeypatch, app.state.ctx.face_engine)
    signup(client)
    event = create_event(client, name="Tiers")
    r = upload(
        client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(GALLERY)]
    )
    assert r.json()["stored"] == len(GALLERY), r.text
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    ids = dict(zip(GALLERY, [i["id"] for i in r.json()["items"]], strict=True))
    return {"slug": event["slug"], "ids": ids}


def tiers_of(matches: list[dict[str, Any]]) -> dict[str, str]:
    return {m["photo_id"]: m["tier"] for m in matches}


def test_matches_carry_their_tier_high_first(banded: dict[str, Any], new_client: Any, dataset: Path) -> None:
    r = search(new_client(), banded["slug"], (dataset / FAR).read_bytes())
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    ids = banded["ids"]
    assert tiers_of(matches) == {
        **{ids[n]: "high" for n in HIGH},
        **{ids[n]: "possible" for n in [*POSSIBLE, LOOK_ALIKE]},
    }
    tiers = [m["tier"] for m in matches]
    assert tiers == sorted(tiers, key=["high", "possible"].index), "every high match comes first"
    for tier in ("high", "possible"):
        sims = [m["similarity"] for m in matches if m["tier"] == tier]
        assert sims == sorted(sims, reverse=True)
    assert all(m["similarity"] >= MATCH_THRESHOLD for m in matches if m["tier"] == "high")
    assert all(
        POSSIBLE_THRESHOLD <= m["similarity"] < MATCH_THRESHOLD for m in matches if m["tier"] == "possible"
    )
    assert not set(tiers_of(matches)) & {ids[n] for n in OTHERS}
    assert r.json()["skipped_selfies"] == []


def test_a_second_selfie_only_adds_or_raises_matches(
    banded: dict[str, Any], new_client: Any, dataset: Path
) -> None:
    far, near = (dataset / FAR).read_bytes(), (dataset / NEAR).read_bytes()
    guest = new_client()
    one = search(guest, banded["slug"], far).json()["matches"]
    both = search(guest, banded["slug"], far, near).json()["matches"]
    rank = {"high": 0, "possible": 1}
    before, after = tiers_of(one), tiers_of(both)
    assert set(after) >= set(before), "nothing the first selfie found is lost"
    assert all(rank[after[p]] <= rank[t] for p, t in before.items()), "no match is demoted"
    sims_before = {m["photo_id"]: m["similarity"] for m in one}
    assert all(m["similarity"] >= sims_before.get(m["photo_id"], 0) for m in both)
    ids = banded["ids"]
    # the second selfie lifts his two "possible" photos into "high"; the stranger stays a "maybe"
    assert after == {**{ids[n]: "high" for n in [*HIGH, *POSSIBLE]}, ids[LOOK_ALIKE]: "possible"}
    three = search(guest, banded["slug"], far, near, far)
    assert three.status_code == 200 and tiers_of(three.json()["matches"]) == after


def test_a_selfie_without_a_face_among_several_is_skipped(
    banded: dict[str, Any], new_client: Any, dataset: Path
) -> None:
    guest = new_client()
    far, brick = (dataset / FAR).read_bytes(), (dataset / NO_FACE).read_bytes()
    alone = search(guest, banded["slug"], far).json()
    r = search(guest, banded["slug"], far, brick)
    assert r.status_code == 200, r.text
    assert r.json()["skipped_selfies"] == [1]
    assert tiers_of(r.json()["matches"]) == tiers_of(alone["matches"])
    assert search(guest, banded["slug"], brick, far).json()["skipped_selfies"] == [0]
    assert_error(search(guest, banded["slug"], brick, brick), 422, "no_face_found")


def test_more_than_three_selfies_or_a_bad_one_is_refused(
    banded: dict[str, Any], new_client: Any, dataset: Path
) -> None:
    guest = new_client()
    far = (dataset / FAR).read_bytes()
    err = assert_error(search(guest, banded["slug"], far, far, far, far), 422, "too_many_selfies")
    assert "at most 3" in err["message"]
    err = assert_error(search(guest, banded["slug"], far, b"not an image"), 422, "invalid_image")
    assert err["details"][0]["index"] == 1
    # each part is bounded (15 MB) and so are all together (30 MB)
    big = b"\xff\xd8" + b"\0" * (11 * 1024 * 1024)
    assert_error(search(guest, banded["slug"], big, big, big), 413, "file_too_large")
    assert_error(search(guest, banded["slug"], b"\xff\xd8" + b"\0" * (16 * 1024 * 1024)), 413)
    # an empty part is what a form sends for an unused file input: the other one is searched
    assert search(guest, banded["slug"], b"", far).status_code == 200
    assert_error(search(guest, banded["slug"], b""), 422, "validation_error")


def test_several_selfies_are_not_written_anywhere(
    banded: dict[str, Any], new_client: Any, app: Any, dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    markers = [f"SELFIE-{i}-{uuid.uuid4().hex}".encode() for i in range(2)]
    selfies = []
    for name, marker in zip((FAR, NEAR), markers, strict=True):
        with Image.open(dataset / name) as im:
            buf = io.BytesIO()
            # over 1 MB each, where a framework's form parser would spool to a temporary file
            big = im.convert("RGB").resize((2400, 2400))
            grain = Image.effect_noise(big.size, 24).convert("RGB")  # grain, so the JPEG stays big
            Image.blend(big, grain, 0.08).save(buf, "JPEG", quality=97, comment=marker)
        assert buf.tell() > 1024 * 1024
        selfies.append(buf.getvalue())
    since = time.time() - 1
    r = search(new_client(), banded["slug"], *selfies)
    assert r.status_code == 200 and r.json()["matches"]
    roots = [Path(app.state.ctx.site.data_dir), Path(tempfile.gettempdir())]
    for marker in markers:
        assert _files_containing(roots, marker, since) == []
        assert marker.decode() not in caplog.text
