"""`eventlens serve` as a real process under hostile images: its memory stays within the decode budget.

Ten selfies at once, each just under the selfie caps (16-MP RGBA PNGs, ~100 KB each), and four photos
just under the PNG cap (50-MP RGBA PNGs, ~200 KB each), sent while the server indexes them. Without the
budget the same load took the server from 0.7 to 5.9 GB (issue 11). The server's peak resident memory
(VmHWM) minus its resident memory when warmed up must stay within the budget plus a stated margin for
what is not pixel decoding (the face engine's own buffers, request bodies, the worker's 1600 px copy).

Run with ``-s`` to see the figures the README quotes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from eventlens.photos.decode_budget import DEFAULT_BUDGET_BYTES
from tests.factories import PASSWORD
from tests.photos.bombs import flat_png
from tests.support.processes import clean_env, free_port, wait_healthy

MB = 2**20
# Not pixel decoding, and not bounded by the budget: the engine's work on the decoded copies, request
# bodies, the allocator's rounding. README "Memory" states budget + this as the server's peak growth.
MARGIN = 160 * MB


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def _wait_up(base: str, proc: subprocess.Popen[str]) -> None:
    wait_healthy(base, proc, lambda: proc.stdout.read() if proc.stdout else "")


def _wait_indexed(api: httpx.Client, event_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 240
    while True:
        items: list[dict[str, Any]] = api.get(f"/api/events/{event_id}/photos").json()["items"]
        if len(items) == count and all(p["status"] in ("indexed", "failed") for p in items):
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.3)


def test_hostile_images_at_once_stay_within_the_decode_budget(tmp_path: Path, dataset: Path) -> None:
    port = free_port()
    env = clean_env()
    env |= {
        "EVENTLENS_PORT": str(port),
        "EVENTLENS_COOKIE_SECURE": "false",
        "EVENTLENS_FTP_ENABLED": "false",
        "EVENTLENS_SEARCH_RATE_LIMIT": "1000/minute",
    }
    eventlens = Path(sys.executable).parent / "eventlens"
    proc = subprocess.Popen(
        [str(eventlens), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    selfie = flat_png(4000, 4000)  # 16.0 MP RGBA: the largest PNG selfie accepted
    # 50 MP RGBA, each a different size so none is a duplicate of another.
    photos = [flat_png(7070 - i, 7070) for i in range(4)]
    try:
        _wait_up(base, proc)
        with httpx.Client(base_url=base, timeout=120) as browser:
            r = browser.post(
                "/api/auth/signup", json={"email": "m@example.com", "password": PASSWORD, "name": "M"}
            )
            csrf = {"X-CSRF-Token": r.headers["X-CSRF-Token"]}
            token = browser.post("/api/tokens", json={"name": "cli"}, headers=csrf).json()["token"]
        api = httpx.Client(base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"})
        event = api.post("/api/events", json={"name": "Memory"}).json()
        assert api.post(f"/api/events/{event['id']}/publish").status_code == 200
        search_url = f"{base}/api/public/events/{event['slug']}/search"

        # Warm up: the face engine loaded, one photo indexed, one search answered.
        warm = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
        assert (
            api.post(f"/api/events/{event['id']}/photos", files={"files": ("w.jpg", warm)}).status_code == 201
        )
        _wait_indexed(api, event["id"], 1)
        r = httpx.post(search_url, files={"selfie": ("me.jpg", warm)}, timeout=60)
        assert r.status_code == 200, r.text
        baseline = _status(proc.pid, "VmRSS")
        before_peak = _status(proc.pid, "VmHWM")

        def search(_: int) -> tuple[int, str]:
            r = httpx.post(search_url, files={"selfie": ("me.png", selfie)}, timeout=120)
            return r.status_code, r.json()["error"]["code"]

        def send(data: bytes) -> int:
            r = api.post(f"/api/events/{event['id']}/photos", files={"files": ("big.png", data)})
            return r.status_code

        started = time.monotonic()
        with ThreadPoolExecutor(14) as pool:
            uploads = list(pool.map(send, photos))
            answers = list(pool.map(search, range(10)))
        items = _wait_indexed(api, event["id"], 5)
        took = time.monotonic() - started
        peak = _status(proc.pid, "VmHWM")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

    assert uploads == [201] * 4
    # A flat selfie has no face; a selfie that waited too long for the budget is told to retry.
    assert set(answers) <= {(422, "no_face_found"), (503, "busy")} and (422, "no_face_found") in answers
    assert sorted(p["status"] for p in items) == ["indexed"] * 5
    growth = peak - baseline
    print(
        f"\nbaseline RSS {baseline / MB:.0f} MB (peak before {before_peak / MB:.0f} MB); "
        f"peak under load {peak / MB:.0f} MB: growth {growth / MB:.0f} MB "
        f"(budget {DEFAULT_BUDGET_BYTES / MB:.0f} MB + margin {MARGIN / MB:.0f} MB); {took:.1f} s; "
        f"selfie answers {sorted(answers)}"
    )
    assert growth <= DEFAULT_BUDGET_BYTES + MARGIN
