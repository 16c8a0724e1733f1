"""A load test that looks like an event: cameras, guests and photographers at once, with locust.

    python bench/load.py [--dataset DIR] [--seconds 60] [--api-cameras 2] [--ftp-cameras 2]
                         [--guests 20] [--photographers 2] [--levels 0.5,0.8]

Starts a real ``eventlens serve`` (embedded defaults: web app, job threads and FTPS gateway in one
process) on free loopback ports in a temporary directory; nothing leaves the machine.
1. Capacity: a burst of photos uploaded at once, timed until all are indexed → photos/s this machine
   processes; then sequential selfie searches → searches/s.
2. For each level (a share of that capacity): cameras (API and FTPS, one long session each) upload
   at level x capacity photos/s in all, while guests open the page, search and look at thumbnails and
   photographers keep the live stream open, for ``--seconds``, headless and bounded.
3. Per request type: count, failures, p50 / p95 / p99 (locust), and upload → searchable p50 / p95
   (the photo's processed_at minus the time the API accepted it) once the queue has drained.

Writes locust's HTML report and CSV per level and ``summary.md`` to bench/out/load/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.ftp_live import free_port, start_serve, wait_ready  # noqa: E402

OUT = REPO / "bench" / "out" / "load"
LOCUST = Path(sys.executable).parent / "locust"


def _scene(base: str, ftp_port: int, dataset: Path, cameras: int, workdir: Path) -> dict[str, Any]:
    people = [sorted(d.glob("*.jpg")) for d in sorted((dataset / "identities").iterdir()) if d.is_dir()]
    photos = [p for person in people for p in person[1:]]
    selfies = [person[0] for person in people if len(person) > 1]
    web = httpx.Client(base_url=base, timeout=60)
    r = web.post(
        "/api/auth/signup",
        json={"email": "load@example.com", "password": "load test password", "name": "Load"},
    )
    r.raise_for_status()
    web.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
    token = web.post("/api/tokens", json={"name": "load"}).raise_for_status().json()["token"]
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    event = api.post("/api/events", json={"name": "Load test"}).raise_for_status().json()
    api.post(f"/api/events/{event['id']}/publish").raise_for_status()
    creds = [
        api.post(f"/api/events/{event['id']}/ftp-credentials", json={"label": f"cam {i}"})
        .raise_for_status()
        .json()
        for i in range(cameras)
    ]
    scene = {
        "token": token, "event_id": event["id"], "slug": event["slug"], "ftp_port": ftp_port,
        "ftp": [{"username": c["username"], "password": c["password"]} for c in creds],
        "photos": [str(p) for p in photos], "selfies": [str(p) for p in selfies],
    }  # fmt: skip
    (workdir / "scene.json").write_text(json.dumps(scene))
    return scene


def _photos(api: httpx.Client, event_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        body = api.get(f"/api/events/{event_id}/photos", params=params).raise_for_status().json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def _drain(api: httpx.Client, event_id: str, timeout: float = 600) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        items = _photos(api, event_id)
        if all(p["status"] in {"indexed", "failed"} for p in items) or time.monotonic() > deadline:
            return items
        time.sleep(0.5)


def _capacity(base: str, scene: dict[str, Any], burst: int) -> tuple[float, float]:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {scene['token']}"}, timeout=300)
    files = [Path(p).read_bytes() + os.urandom(16) for p in scene["photos"]]
    files = [files[i % len(files)] + os.urandom(16) for i in range(burst)]
    started = time.monotonic()
    for i in range(0, burst, 8):
        api.post(
            f"/api/events/{scene['event_id']}/photos",
            files=[
                ("files", (f"burst-{i + j}.jpg", data, "image/jpeg"))
                for j, data in enumerate(files[i : i + 8])
            ],
        ).raise_for_status()
    _drain(api, scene["event_id"])
    photos_per_s = burst / (time.monotonic() - started)
    selfie = Path(scene["selfies"][0]).read_bytes()
    started, n = time.monotonic(), 0
    while time.monotonic() - started < 10:
        httpx.post(
            f"{base}/api/public/events/{scene['slug']}/search",
            files={"selfie": ("me.jpg", selfie, "image/jpeg")},
            timeout=60,
        ).raise_for_status()
        n += 1
    return photos_per_s, n / (time.monotonic() - started)


def _run_level(base: str, args: argparse.Namespace, workdir: Path, level: float, rate: float) -> Path:
    cameras = args.api_cameras + args.ftp_cameras
    users = cameras + args.guests + args.photographers
    prefix = OUT / f"level-{int(level * 100)}"
    env = os.environ | {
        "LOAD_SCENE": str(workdir / "scene.json"),
        "LOAD_CAMERA_RATE": f"{rate / cameras:.4f}",
        "LOAD_API_CAMERAS": str(args.api_cameras),
        "LOAD_FTP_CAMERAS": str(args.ftp_cameras),
        "LOAD_GUESTS": str(args.guests),
        "LOAD_PHOTOGRAPHERS": str(args.photographers),
    }
    subprocess.run(
        [
            str(LOCUST), "-f", str(REPO / "bench" / "load_users.py"), "--headless", "--host", base,
            "-u", str(users), "-r", str(max(users // 5, 1)), "--run-time", f"{args.seconds}s",
            "--stop-timeout", "30", "--html", f"{prefix}.html", "--csv", str(prefix), "--only-summary",
        ],
        env=env, check=False, cwd=workdir,
    )  # fmt: skip
    return Path(f"{prefix}_stats.csv")


def _stats_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", type=Path, default=REPO / "tests" / "data" / "faces")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--api-cameras", type=int, default=2)
    ap.add_argument("--ftp-cameras", type=int, default=2)
    ap.add_argument("--guests", type=int, default=20)
    ap.add_argument("--photographers", type=int, default=2)
    ap.add_argument("--burst", type=int, default=40, help="photos in the capacity burst")
    ap.add_argument("--levels", default="0.5,0.8", help="shares of the measured capacity to run at")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        workdir = Path(tmp)
        http_port, ftp_port = free_port(), free_port()
        base = f"http://127.0.0.1:{http_port}"
        # Every simulated guest comes from 127.0.0.1: the per-address limits would stop them, not the server.
        limits = {
            "EVENTLENS_SEARCH_RATE_LIMIT": "100000/minute",
            "EVENTLENS_SEARCH_RATE_LIMIT_EVENT": "100000/minute",
        }
        proc = start_serve(workdir, http_port, ftp_port, limits)
        try:
            wait_ready(base, ftp_port, proc)
            scene = _scene(
                base, ftp_port, args.dataset, args.ftp_cameras * len(args.levels.split(",")), workdir
            )
            photos_s, searches_s = _capacity(base, scene, args.burst)
            lines += [
                f"capacity on {os.cpu_count()} cores: {photos_s:.2f} photos/s processed "
                f"({photos_s / (os.cpu_count() or 1):.2f} per core), {searches_s:.1f} searches/s (one client)",
                "",
            ]
            api = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {scene['token']}"}, timeout=120
            )
            for level in (float(x) for x in args.levels.split(",")):
                rate = level * photos_s
                seen = {p["id"] for p in _photos(api, scene["event_id"])}
                stats = _run_level(base, args, workdir, level, rate)
                done = [p for p in _drain(api, scene["event_id"]) if p["id"] not in seen]
                waits = [
                    datetime.fromisoformat(p["processed_at"]).timestamp()
                    - datetime.fromisoformat(p["created_at"]).timestamp()
                    for p in done
                    if p["processed_at"]
                ]
                lines += [
                    f"## {level:.0%} of capacity: cameras {rate:.2f} photos/s in all, {args.guests} guests, "
                    f"{args.photographers} photographers, {args.seconds} s",
                    "",
                    f"upload → searchable: {len(waits)} photos, p50 {statistics.median(waits):.2f} s, "
                    f"p95 {_pct(waits, 0.95):.2f} s, failed {sum(p['status'] == 'failed' for p in done)}"
                    if waits
                    else "upload → searchable: no photo",
                    "",
                    "| request | count | failures | p50 ms | p95 ms | p99 ms |",
                    "|---|---:|---:|---:|---:|---:|",
                ]
                for row in _stats_rows(stats):
                    lines.append(
                        f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
                        f"| {row['50%']} | {row['95%']} | {row['99%']} |"
                    )
                lines.append("")
                print("\n".join(lines[-12:]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    (OUT / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"reports: {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
