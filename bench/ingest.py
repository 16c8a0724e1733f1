"""Photo ingest: upload throughput, server memory while 200 MB streams in, worker throughput.

    python bench/ingest.py [--photos 24] [--parallel 3] [--threads 2]

Runs the real processes on loopback: ``eventlens api`` (web only) receives the uploads from an httpx
client; then ``eventlens worker`` processes the queued photos (previews, thumbnails, faces). The photos
are 24-megapixel JPEGs (6000 x 4000, camera EXIF) with five real faces from ../shared/datasets/faces
pasted on a noisy background, so they weigh what a camera's JPEGs weigh (8-10 MB).

Prints:
1. upload throughput: MB/s and photos/s, single-file requests, ``--parallel`` at once;
2. the server's RSS before and at its peak while one ~200 MB multipart request streams in;
3. worker throughput (photos/s, and per core) for the whole processing job, steady state, and the
   same job's image part alone (decode, previews, thumbnail) and face part alone, in-process, one core.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

BENCH_OUT = Path(__file__).resolve().parent / "out"
DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces"
EVENTLENS = Path(sys.executable).parent / "eventlens"
SIZE = (6000, 4000)


def make_photos(dataset: Path, count: int) -> list[Path]:
    """``count`` distinct 24-MP JPEGs with five faces each (cached in bench/out)."""
    out = BENCH_OUT / "24mp"
    out.mkdir(parents=True, exist_ok=True)
    faces = sorted(dataset.glob("identities/*/*.jpg"))
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = out / f"event-{i:03d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        base = rng.normal(128, 40, (SIZE[1] // 8, SIZE[0] // 8, 3)).clip(0, 255).astype(np.uint8)
        canvas = Image.fromarray(base).resize(SIZE, Image.Resampling.BICUBIC)
        for k in range(5):
            with Image.open(faces[(i * 5 + k) % len(faces)]) as face:
                face = face.convert("RGB").resize((900, 900 * face.height // face.width))
                canvas.paste(face, (300 + k * 1100, 900 + (k % 2) * 900))
        grain = rng.normal(0, 6, (SIZE[1], SIZE[0], 3)).astype(np.int16)
        canvas = Image.fromarray((np.asarray(canvas, np.int16) + grain).clip(0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
        exif.get_ifd(0x8769)[0x9003] = f"2026:06:20 18:{i // 60:02d}:{i % 60:02d}"
        canvas.save(path, quality=92, exif=exif)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.01)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(EVENTLENS), *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


def upload_one(client: httpx.Client, event_id: str, path: Path) -> float:
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        r = client.post(f"/api/events/{event_id}/photos", files={"files": (path.name, fh, "image/jpeg")})
    r.raise_for_status()
    assert r.json()["stored"] == 1, r.text
    return time.perf_counter() - t0


def bench_upload(client: httpx.Client, event_id: str, photos: list[Path], parallel: int) -> None:
    total_mb = sum(p.stat().st_size for p in photos) / 2**20
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        times = list(pool.map(lambda p: upload_one(client, event_id, p), photos))
    wall = time.perf_counter() - t0
    print(
        f"upload: {len(photos)} photos, {total_mb:.0f} MB, {parallel} in parallel: "
        f"{total_mb / wall:.1f} MB/s, {len(photos) / wall:.2f} photos/s "
        f"(median request {statistics.median(times) * 1000:.0f} ms)"
    )


def bench_stream(client: httpx.Client, event_id: str, photos: list[Path], pid: int) -> None:
    """One multipart request of ~200 MB; the server's RSS is sampled every 10 ms while it runs."""
    chosen, size = [], 0
    for p in photos:
        if size >= 200 * 2**20:
            break
        chosen.append(p)
        size += p.stat().st_size
    before = rss_mb(pid)
    sampler = RssSampler(pid)
    sampler.start()
    handles = [p.open("rb") for p in chosen]
    try:
        t0 = time.perf_counter()
        files = [
            ("files", (f"stream-{p.name}", fh, "image/jpeg")) for p, fh in zip(chosen, handles, strict=True)
        ]
        r = client.post(f"/api/events/{event_id}/photos", files=files, timeout=600)
        wall = time.perf_counter() - t0
    finally:
        for fh in handles:
            fh.close()
    peak = sampler.stop()
    r.raise_for_status()
    print(
        f"stream: one request of {len(chosen)} files, {size / 2**20:.0f} MB in {wall:.1f} s "
        f"({size / 2**20 / wall:.1f} MB/s); server RSS {before:.0f} MB before, peak {peak:.0f} MB "
        f"(+{peak - before:.0f} MB)"
    )


def processed_times(client: httpx.Client, event_id: str) -> list[datetime]:
    items, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": 200, "status": "indexed"}
        if cursor:
            params["cursor"] = cursor
        body = client.get(f"/api/events/{event_id}/photos", params=params).json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return sorted(datetime.fromisoformat(i["processed_at"]) for i in items)


def bench_worker(
    client: httpx.Client, event_ids: list[str], env: dict[str, str], tmp: Path, threads: int
) -> None:
    expected = sum(client.get(f"/api/events/{e}").json()["counts"]["photos"]["total"] for e in event_ids)
    worker = start(["worker", "--threads", str(threads)], env, tmp / "worker.log")
    t0 = time.perf_counter()
    try:
        while True:
            counts = [client.get(f"/api/events/{e}").json()["counts"] for e in event_ids]
            done = sum(c["photos"]["indexed"] + c["photos"]["failed"] for c in counts)
            if done >= expected:
                break
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited:\n{(tmp / 'worker.log').read_text()[-3000:]}")
            time.sleep(0.25)
        wall = time.perf_counter() - t0
    finally:
        worker.terminate()
        worker.wait(30)
    failed = sum(c["photos"]["failed"] for c in counts)
    faces = sum(c["faces"] for c in counts)
    stamps = sorted(t for e in event_ids for t in processed_times(client, e))
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]).total_seconds()
    print(
        f"worker ({threads} threads): {expected} photos in {wall:.1f} s from start ({expected / wall:.2f} photos/s); "
        f"steady state {steady:.2f} photos/s = {steady / (os.cpu_count() or 1):.2f} per core; "
        f"{faces / max(1, expected - failed):.1f} faces per photo, {failed} failed"
    )


def bench_steps(photos: list[Path]) -> None:
    """The processing job's two halves in this process, one photo at a time (one core)."""
    from eventlens.faces.engine.registry import load_engine
    from eventlens.photos import imaging, processing

    engine = load_engine()
    engine.warm_up()
    steps: dict[str, list[float]] = {"inspect + EXIF": [], "decode": [], "previews": [], "faces": []}
    counts = []
    for p in photos[:8]:
        t0 = time.perf_counter()
        imaging.inspect(p, 120_000_000)  # at upload: type, size, pixel limit, EXIF
        t1 = time.perf_counter()
        side = max(imaging.PREVIEW_SIDE, engine.analysis_side)
        analysed = imaging.load_for_analysis(p, side, slack=processing.DECODE_SLACK)
        t2 = time.perf_counter()
        imaging.renditions_of(analysed.image)
        t3 = time.perf_counter()
        counts.append(len(engine.detect_and_embed(np.asarray(analysed.image.convert("RGB")))))
        t4 = time.perf_counter()
        for name, took in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            steps[name].append(took)
    medians = {name: statistics.median(v) for name, v in steps.items()}
    image = medians["inspect + EXIF"] + medians["decode"] + medians["previews"]
    print(
        "one core, median ms/photo: "
        + ", ".join(f"{name} {ms * 1000:.0f}" for name, ms in medians.items())
        + f"; EXIF + previews alone {1 / image:.2f} photos/s, all steps {1 / sum(medians.values()):.2f} photos/s;"
        f" faces found per photo {counts}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--photos", type=int, default=26, help="distinct 24-MP photos (>= 200 MB for the stream)")
    ap.add_argument("--parallel", type=int, default=3, help="uploads at once")
    ap.add_argument("--threads", type=int, default=2, help="worker job threads")
    args = ap.parse_args()

    t0 = time.perf_counter()
    photos = make_photos(args.dataset, args.photos)
    mb = [p.stat().st_size / 2**20 for p in photos]
    print(
        f"{len(photos)} photos of 6000x4000, median {statistics.median(mb):.1f} MB ({time.perf_counter() - t0:.0f} s)"
    )
    bench_steps(photos)

    with tempfile.TemporaryDirectory(prefix="eventlens-bench-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLENS_")}
        env |= {
            "EVENTLENS_DATA_DIR": str(tmp / "data"),
            "EVENTLENS_SECRET_KEY": "bench",
            "EVENTLENS_COOKIE_SECURE": "false",  # the bench client talks plain http on loopback
            "EVENTLENS_LOG_LEVEL": "WARNING",
        }
        subprocess.run([str(EVENTLENS), "db", "upgrade"], env=env, check=True, capture_output=True)
        url = f"http://127.0.0.1:{port}"
        server = start(["api", "--port", str(port)], env, tmp / "api.log")
        try:
            wait_ready(url, server, tmp / "api.log")
            with httpx.Client(base_url=url, timeout=120) as client:
                r = client.post(
                    "/api/auth/signup",
                    json={"email": "bench@example.com", "password": "bench password 123", "name": "Bench"},
                )
                r.raise_for_status()
                client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
                events = [
                    client.post("/api/events", json={"name": f"Ingest {n}"}).json()["id"] for n in (1, 2)
                ]
                bench_upload(client, events[0], photos, args.parallel)
                bench_stream(client, events[1], photos, server.pid)
                bench_worker(client, events, env, tmp, args.threads)
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
