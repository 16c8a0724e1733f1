"""Photo ingest: upload throughput, server memory while 200 MB streams in, worker throughput.

    python bench/ingest.py [--photos 24] [--parallel 3] [--threads 2]
    python bench/ingest.py --compare REV [--rounds 5] [--photos 8]

Runs the real processes on loopback: ``eventlens api`` (web only) receives the uploads from an httpx
client; then ``eventlens worker`` processes the queued photos (previews, thumbnails, faces). The photos
are 24-megapixel JPEGs (6000 x 4000, camera EXIF) with five real faces from ../shared/datasets/faces
pasted on a noisy background, so they weigh what a camera's JPEGs weigh (8-10 MB).

Prints:
1. upload throughput: MB/s and photos/s, single-file requests, ``--parallel`` at once;
2. the server's RSS before and at its peak while one ~200 MB multipart request streams in;
3. worker throughput (photos/s, and per core) for the whole processing job, steady state, and the
   same job's image part alone (decode, previews, thumbnail) and face part alone, in-process, one core.

``--compare REV`` measures CPU per photo instead, this tree against REV (a temporary ``git worktree``) on
the same photos: each round runs one fresh process per tree, back to back, in alternating order (AB, BA,
AB...), because on a shared machine only a paired, interleaved comparison is fair. Each process times the
steps in-process (CPU ms per photo: the upload's check, decode, previews, faces), then runs the real
``eventlens api`` and ``eventlens worker --threads 1``, uploads one warm-up photo, and counts the CPU
seconds both processes spend on ``--photos`` more, uploaded one at a time and indexed, less what they
spend idle (measured for 10 s before): that is ingest's cost per photo (upload acceptance +
processing), and 1 / it is photos/s per core. Prints both trees'
medians over the rounds and the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from ingest_compare import compare, measure, step_costs
from ingest_install import environment, free_port, sign_up, start, wait_ready

BENCH_OUT = Path(__file__).resolve().parent / "out"
DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces"
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
    """The processing job's steps in this process, one photo at a time (one core)."""
    costs, counts = step_costs(photos[:8])
    medians = {name: statistics.median(v) for name, v in costs.items()}
    image = sum(medians.values()) - medians["faces"]
    print(
        "one core, median CPU ms/photo: "
        + ", ".join(f"{name} {s * 1000:.0f}" for name, s in medians.items())
        + f"; without faces {1 / image:.2f} photos/s, all steps {1 / sum(medians.values()):.2f} photos/s;"
        f" faces found per photo {counts}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument(
        "--photos", type=int, help="distinct 24-MP photos: 26 (>= 200 MB for the stream); 8 with --compare"
    )
    ap.add_argument("--parallel", type=int, default=3, help="uploads at once")
    ap.add_argument("--threads", type=int, default=2, help="worker job threads")
    ap.add_argument("--compare", metavar="REV", help="CPU per photo of this tree against git revision REV")
    ap.add_argument("--rounds", type=int, default=5, help="paired runs of --compare")
    ap.add_argument("--measure-only", type=Path, metavar="RAW", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.measure_only or args.compare:  # one more photo: the warm-up
        photos = make_photos(args.dataset, (args.photos or 8) + 1)
        if args.measure_only:  # the child process of a comparison: raw figures only
            measure(photos, args.measure_only)
        else:
            compare(args.compare, args.rounds, photos)
        return
    args.photos = args.photos or 26
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
        env = environment(tmp)
        url = f"http://127.0.0.1:{port}"
        server = start(["api", "--port", str(port)], env, tmp / "api.log")
        try:
            wait_ready(url, server, tmp / "api.log")
            with httpx.Client(base_url=url, timeout=120) as client:
                sign_up(client)
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
