"""``eventlens upload`` against a real server process over a socket, with an API token."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.factories import api_token, create_event, settings_env, signup
from tests.photos.names import NFD_CAFE, THAI, jpeg
from tests.support.processes import clean_env, free_port, wait_healthy

EVENTLENS = Path(sys.executable).parent / "eventlens"


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``eventlens api`` on the test's database and object store (the in-process app shares them)."""
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    proc = subprocess.Popen(
        [str(EVENTLENS), "api", "--port", str(port)],
        env=settings_env(settings),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, lambda: (tmp_path / "api.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def _upload(folder: Path, event_id: str, url: str, token: str) -> subprocess.CompletedProcess[str]:
    """Run the command; its messages (rich console, stderr) are in ``stdout`` of the result."""
    return subprocess.run(
        [str(EVENTLENS), "upload", str(folder), "--event", event_id, "--server", url, "--parallel", "3"],
        env={
            **clean_env(),
            "EVENTLENS_TOKEN": token,
            "COLUMNS": "200",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
    )


def test_upload_a_folder_then_again_skips_what_is_there(
    client: TestClient, server: str, dataset: Path, tmp_path: Path, app: Any
) -> None:
    signup(client)
    token = api_token(client)
    event = create_event(client, name="Folder upload")
    event_id = event["id"]
    folder = tmp_path / "card"
    photos = sorted(dataset.glob("identities/*/*.jpg"))[:4]
    for i, src in enumerate(photos):
        dest = folder / ("DCIM/100CANON" if i % 2 else "") / f"IMG_{i:04d}.JPG"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    (folder / "notes.jpg").write_text("not a photo, only named like one")
    (folder / "DCIM" / "broken.jpg").write_bytes(photos[0].read_bytes()[:300] + b"\x00" * 10)

    first = _upload(folder, event_id, server, token)
    assert first.returncode == 1, first.stdout  # one file failed: the summary says so
    assert "4 uploaded" in first.stdout and "1 failed" in first.stdout, first.stdout
    assert "broken.jpg" in first.stdout and "notes.jpg" not in first.stdout, first.stdout
    items = client.get(f"/api/events/{event_id}/photos").json()["items"]
    assert sorted(i["original_filename"] for i in items) == [f"IMG_{i:04d}.JPG" for i in range(4)]
    assert {i["source"] for i in items} == {"cli"}

    (folder / "DCIM" / "broken.jpg").unlink()
    again = _upload(folder, event["slug"], server, token)  # the link name works as well as the id
    assert again.returncode == 0, again.stdout
    assert "0 uploaded" in again.stdout and "4 already there" in again.stdout, again.stdout
    assert len(client.get(f"/api/events/{event_id}/photos").json()["items"]) == 4


def test_a_wrong_token_or_event_stops_with_a_clear_message(
    client: TestClient, server: str, dataset: Path, tmp_path: Path
) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(next(iter(sorted(dataset.glob("identities/*/*.jpg")))).read_bytes())
    bad_token = _upload(folder, event_id, server, "not-a-token")
    assert bad_token.returncode == 1
    assert "Cannot use event" in bad_token.stdout, bad_token.stdout
    token = api_token(client)
    missing = _upload(folder, "00000000-0000-0000-0000-000000000000", server, token)
    assert missing.returncode == 1 and "Cannot use event" in missing.stdout, missing.stdout
    no_slug = _upload(folder, "no-such-link-name", server, token)
    assert no_slug.returncode == 1 and "no-such-link-name" in no_slug.stdout, no_slug.stdout
    assert client.get(f"/api/events/{event_id}/photos").json()["items"] == []


def test_unicode_and_odd_file_names_upload_under_their_names(
    client: TestClient, server: str, tmp_path: Path
) -> None:
    """Names as phones, Macs (decomposed accents) and old camera cards (not UTF-8) write them."""
    signup(client)
    token = api_token(client)
    event_id = create_event(client, name="Names from the CLI")["id"]
    folder = tmp_path / "names"
    folder.mkdir()
    expected = {
        "фото.jpg": "фото.jpg",
        "写真.jpg": "写真.jpg",
        f"{THAI}.jpg": f"{THAI}.jpg",
        f"{NFD_CAFE}.jpg": "café ü.jpg",
        "🎉 party.jpg": "🎉 party.jpg",
        "ctl\x01\x0b\x7fname.jpg": "ctlname.jpg",
        'quote"name.jpg': 'quote"name.jpg',
    }
    for i, name in enumerate(expected):
        (folder / name).write_bytes(jpeg(500 + i))
    with open(os.path.join(os.fsencode(folder), b"caf\xe9 latin1.jpg"), "wb") as f:
        f.write(jpeg(499))
    done = _upload(folder, event_id, server, token)
    assert done.returncode == 0, done.stdout
    assert f"{len(expected) + 1} uploaded" in done.stdout, done.stdout
    items = client.get(f"/api/events/{event_id}/photos").json()["items"]
    assert sorted(i["original_filename"] for i in items) == sorted(
        [*expected.values(), "caf\ufffd latin1.jpg"]
    )
