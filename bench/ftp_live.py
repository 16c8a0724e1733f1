"""FTPS during a live event: several cameras upload at a steady pace while photos are processed.

    python bench/ftp_live.py [--dataset DIR] [--clients 8] [--photos 50] [--interval 1.0] [--megapixels 0]

Starts a real ``eventlens serve`` (web app, API, job threads and the FTPS gateway, embedded defaults)
on free loopback ports in a temporary directory, makes an event and one FTP login per camera, then runs
``--clients`` FTPS clients (ftplib, explicit TLS, passive, private data channel), each in one long
session uploading ``--photos`` real photos from ../shared/datasets/faces (or ``--dataset DIR``), one
every ``--interval`` seconds. A poller watches the event's photo list.

Prints:
1. sustained upload throughput: MB/s and photos/s from the first upload's start to the last's 226;
2. the time a camera waits for each upload (STOR to 226), p50 / p95;
3. the time from an upload's 226 to the photo being searchable (status ``indexed``: faces found and
   in the event's index), p50 / p95 / max, measured by polling every 0.2 s.

``--megapixels N`` re-encodes the photos upscaled to about N megapixels first (cached in bench/out),
for camera-sized files; the default sends the dataset's files as they are.
"""

from __future__ import annotations

import argparse
import ftplib
import hashlib
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image

BENCH_OUT = Path(__file__).resolve().parent / "out"
DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces"
EVENTLENS = Path(sys.executable).parent / "eventlens"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_photos(dataset: Path, count: int, megapixels: float) -> list[Path]:
    """``count`` distinct dataset photos (JPEG, PNG, WebP), upscaled to ``megapixels`` when asked."""
    files = sorted(p for p in dataset.glob("identities/*/*") if p.suffix.lower() in {".jpg", ".png", ".webp"})
    files += sorted(p for p in dataset.glob("groups/*") if p.suffix.lower() in {".jpg", ".png", ".webp"})
    if len(files) < count:
        raise SystemExit(f"only {len(files)} photos in {dataset}; ask for fewer")
    files = files[:count]
    if not megapixels:
        return files
    # the cache is per dataset: another --dataset must not reuse the first one's upscaled files
    tag = hashlib.sha256(str(dataset.resolve()).encode()).hexdigest()[:8]
    out = BENCH_OUT / f"ftp-{megapixels:g}mp-{tag}"
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i, src in enumerate(files):
        dst = out / f"{i:04d}.jpg"
        if not dst.exists():
            with Image.open(src) as im:
                scale = (megapixels * 1e6 / (im.width * im.height)) ** 0.5
                im.convert("RGB").resize((int(im.width * scale), int(im.height * scale))).save(
                    dst, quality=90
                )
        made.append(dst)
    return made


def start_serve(
    workdir: Path, http_port: int, ftp_port: int, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLENS_")} | (extra or {})
    env |= {
        "EVENTLENS_PORT": str(http_port),
        "EVENTLENS_FTP_PORT": str(ftp_port),
        "EVENTLENS_FTP_PASSIVE_PORTS": "",
        "EVENTLENS_COOKIE_SECURE": "false",
        "EVENTLENS_LOG_LEVEL": "WARNING",
    }
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen(
        [str(EVENTLENS), "serve"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_ready(base: str, ftp_port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"eventlens serve exited with {proc.returncode}")
        try:
            ok = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            ok = False
        with socket.socket() as s:
            if ok and s.connect_ex(("127.0.0.1", ftp_port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("eventlens serve did not come up")


@dataclass
class Camera:
    index: int
    username: str
    password: str
    files: list[Path]
    done_at: dict[str, float] = field(default_factory=dict)  # name → monotonic time of its 226
    waited: list[float] = field(default_factory=list)  # STOR → 226, seconds
    sent_bytes: int = 0
    first_start: float | None = None
    error: str | None = None


def run_camera(cam: Camera, port: int, interval: float, start_at: float) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the self-signed certificate of a fresh install
    try:
        ftp = ftplib.FTP_TLS(context=ctx, timeout=60)  # noqa: S321 (FTPS is what is measured)
        ftp.connect("127.0.0.1", port)
        ftp.login(cam.username, cam.password)
        ftp.prot_p()
        for i, path in enumerate(cam.files):
            delay = start_at + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # a steady pace, like a photographer shooting
            name = f"cam{cam.index}-{i:03d}{path.suffix.lower()}"
            began = time.monotonic()
            cam.first_start = cam.first_start or began
            with path.open("rb") as f:
                ftp.storbinary(f"STOR {name}", f)
            ended = time.monotonic()
            cam.done_at[name] = ended
            cam.waited.append(ended - began)
            cam.sent_bytes += path.stat().st_size
        ftp.quit()
    except (ftplib.Error, OSError) as exc:
        cam.error = repr(exc)


def poll_indexed(client: httpx.Client, event_id: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Record when each photo is first seen indexed (or failed, marked as -1)."""
    while not stop.is_set():
        try:
            items = client.get(f"/api/events/{event_id}/photos", params={"limit": 500}).json()["items"]
        except (httpx.HTTPError, KeyError, ValueError):
            items = []
        now = time.monotonic()
        for p in items:
            if p["original_filename"] not in seen and p["status"] in ("indexed", "failed"):
                seen[p["original_filename"]] = now if p["status"] == "indexed" else -1.0
        stop.wait(0.2)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--dataset",
        type=Path,
        default=DATASET,
        help="the face dataset (identities/, groups/); default ../shared/datasets/faces beside the repository."
        " The repository's tests/data/faces holds only the few photos the tests need",
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--photos", type=int, default=50, help="per client")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between one client's uploads")
    ap.add_argument("--megapixels", type=float, default=0, help="upscale the photos first (0: as they are)")
    ap.add_argument("--keep", action="store_true", help="keep the server's temporary directory")
    args = ap.parse_args()

    photos = pick_photos(args.dataset, args.clients * args.photos, args.megapixels)
    workdir = Path(tempfile.mkdtemp(prefix="eventlens-ftp-bench-"))
    http_port, ftp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    proc = start_serve(workdir, http_port, ftp_port)
    try:
        wait_ready(base, ftp_port, proc)
        client = httpx.Client(base_url=base, timeout=30)
        r = client.post(
            "/api/auth/signup", json={"email": "bench@example.com", "password": "benchmark-pw", "name": "B"}
        )
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
        event_id = client.post("/api/events", json={"name": "FTP live bench"}).json()["id"]
        cameras = []
        for i in range(args.clients):
            made = client.post(f"/api/events/{event_id}/ftp-credentials", json={"label": f"cam {i}"}).json()
            files = photos[i * args.photos : (i + 1) * args.photos]
            cameras.append(Camera(i, made["username"], made["password"], files))

        seen: dict[str, float] = {}
        stop = threading.Event()
        poller = threading.Thread(target=poll_indexed, args=(client, event_id, seen, stop), daemon=True)
        poller.start()
        start_at = time.monotonic() + 0.5
        threads = [
            threading.Thread(
                target=run_camera,
                args=(c, ftp_port, args.interval, start_at + c.index * args.interval / args.clients),
            )
            for c in cameras
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done = {n: t for c in cameras for n, t in c.done_at.items()}
        deadline = time.monotonic() + 600
        while len([n for n in done if n in seen]) < len(done) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        poller.join()
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    errors = [f"camera {c.index}: {c.error}" for c in cameras if c.error]
    first = min(c.first_start for c in cameras if c.first_start)
    last = max(done.values())
    total = sum(c.sent_bytes for c in cameras)
    waited = [w for c in cameras for w in c.waited]
    latency = [seen[n] - t for n, t in done.items() if seen.get(n, -1) >= 0]
    failed = [n for n in done if seen.get(n) == -1]
    missing = [n for n in done if n not in seen]
    print(
        f"{len(done)} photos ({total / 1e6:.1f} MB, {total / len(done) / 1e3:.0f} kB each) from {args.clients} "
        f"FTPS clients, one every {args.interval:g} s each, in {last - first:.1f} s"
    )
    print(
        f"sustained upload: {total / 1e6 / (last - first):.2f} MB/s, {len(done) / (last - first):.1f} photos/s"
    )
    print(f"STOR → 226: p50 {pct(waited, 50) * 1000:.0f} ms, p95 {pct(waited, 95) * 1000:.0f} ms")
    if latency:
        print(
            f"226 → searchable (indexed): p50 {pct(latency, 50):.2f} s, p95 {pct(latency, 95):.2f} s, "
            f"max {max(latency):.2f} s ({len(latency)} photos)"
        )
    if failed or missing or errors:
        print(f"failed processing: {len(failed)}, never indexed: {len(missing)}; {'; '.join(errors)}")


if __name__ == "__main__":
    main()
