"""``bench/ingest.py --compare REV``: CPU per ingested photo, this tree against another revision.

Each measurement is a fresh process that imports EventLens from one tree (PYTHONPATH), so the two trees
never share a process, a warm cache or a decode budget. It writes raw figures as JSON; the parent
alternates the trees round by round and compares medians and per-round ratios.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ingest_install import environment, free_port, sign_up, start, wait_ready

REPO = Path(__file__).resolve().parents[1]
MAX_PIXELS = 120_000_000  # the pixel setting's default
STEPS = ("upload check", "decode", "previews", "faces")
IDLE_SECONDS = 10.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- in the measuring process ----------------------------------------------------------------------


def step_costs(photos: list[Path]) -> tuple[dict[str, list[float]], list[int]]:
    """CPU seconds per photo of each processing step, in this process, one photo at a time.

    Calls only what every revision since f56937f has: ``imaging.inspect`` as the upload path calls it,
    ``load_for_analysis`` as the job decodes, ``renditions_of`` and the engine. The first photo warms up
    (models, allocator) and is not counted.
    """
    import numpy as np

    from eventlens.faces.engine.registry import load_engine
    from eventlens.photos import imaging, processing

    engine = load_engine()
    engine.warm_up()
    side = max(imaging.PREVIEW_SIDE, engine.analysis_side)
    costs: dict[str, list[float]] = {name: [] for name in STEPS}
    counts = []
    for i, path in enumerate([photos[0], *photos]):
        t0 = time.process_time()
        imaging.inspect(path, MAX_PIXELS)
        t1 = time.process_time()
        analysed = imaging.load_for_analysis(path, side, slack=processing.DECODE_SLACK)
        t2 = time.process_time()
        imaging.renditions_of(analysed.image)
        t3 = time.process_time()
        found = engine.detect_and_embed(np.asarray(analysed.image.convert("RGB")))
        t4 = time.process_time()
        if i == 0:
            continue
        counts.append(len(found))
        for name, took in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            costs[name].append(took)
    return costs, counts


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) and of its children that have ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def wait_indexed(db: Path, expected: int, procs: list[subprocess.Popen[bytes]], tmp: Path) -> None:
    """Until ``expected`` photos are finished, read from the database (polling the API would cost the
    measured server CPU)."""
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            (done,) = conn.execute(
                "SELECT count(*) FROM photos WHERE status IN ('indexed', 'failed')"
            ).fetchone()
            (failed,) = conn.execute("SELECT count(*) FROM photos WHERE status = 'failed'").fetchone()
        if failed:
            raise SystemExit(f"{failed} photos failed")
        if done >= expected:
            return
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"a process exited:\n{(tmp / 'worker.log').read_text()[-3000:]}")
        time.sleep(0.5)
    raise SystemExit("the photos were not indexed within 20 minutes")


def end_to_end(photos: list[Path]) -> dict[str, Any]:
    """CPU seconds per photo that ``eventlens api`` and ``eventlens worker --threads 1`` spend on
    ``photos[1:]``, each uploaded alone and indexed; ``photos[0]`` warms both up first (another event,
    so that it is not a duplicate)."""
    with tempfile.TemporaryDirectory(prefix="eventlens-ingest-cpu-") as tmp_name:
        tmp = Path(tmp_name)
        env = environment(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        api = start(["api", "--port", str(port)], env, tmp / "api.log")
        worker = start(["worker", "--threads", "1"], env, tmp / "worker.log")
        try:
            wait_ready(url, api, tmp / "api.log")
            db = tmp / "data" / "eventlens.db"
            with httpx.Client(base_url=url, timeout=300) as client:
                sign_up(client)
                warm, measured = (client.post("/api/events", json={"name": n}).json()["id"] for n in "WM")
                _upload(client, warm, photos[0])
                wait_indexed(db, 1, [api, worker], tmp)
                time.sleep(1)  # the job's last writes
                # What the processes spend doing nothing (the queue's polling, the sweep): the bench
                # takes it off, since on a loaded machine it would grow with the wall time per photo.
                idle_from = (cpu_seconds(api.pid), cpu_seconds(worker.pid))
                time.sleep(IDLE_SECONDS)
                before = (cpu_seconds(api.pid), cpu_seconds(worker.pid))
                idle = [(b - a) / IDLE_SECONDS for a, b in zip(idle_from, before, strict=True)]
                t0 = time.perf_counter()
                for path in photos[1:]:
                    _upload(client, measured, path)
                wait_indexed(db, len(photos), [api, worker], tmp)
                wall = time.perf_counter() - t0
                after = (cpu_seconds(api.pid), cpu_seconds(worker.pid))
                faces = client.get(f"/api/events/{measured}").json()["counts"]["faces"]
        finally:
            for proc in (worker, api):
                proc.terminate()
                proc.wait(30)
    n = len(photos) - 1
    api_s, worker_s = ((after[i] - before[i] - idle[i] * wall) / n for i in (0, 1))
    return {
        "api_s": api_s,
        "worker_s": worker_s,
        "idle_cpu_per_s": idle,
        "wall_s": wall / n,
        "faces": faces / n,
    }


def _upload(client: httpx.Client, event_id: str, path: Path) -> None:
    with path.open("rb") as fh:
        r = client.post(f"/api/events/{event_id}/photos", files={"files": (path.name, fh, "image/jpeg")})
    r.raise_for_status()
    assert r.json()["stored"] == 1, r.text


def measure(photos: list[Path], raw: Path) -> None:
    costs, counts = step_costs(photos[1:])
    figures = end_to_end(photos)
    raw.write_text(json.dumps({"steps": costs, "faces_found": counts, **figures}))


# --- in the comparing process ----------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _measure_in(tree_src: Path, photos: int, raw: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree_src)}
    cmd = [sys.executable, str(REPO / "bench" / "ingest.py"), "--measure-only", str(raw)]
    subprocess.run([*cmd, "--photos", str(photos)], env=env, check=True)
    result: dict[str, Any] = json.loads(raw.read_text())
    return result


def compare(rev: str, rounds: int, photos: list[Path]) -> None:
    here = f"this tree ({git('rev-parse', '--abbrev-ref', 'HEAD')}@{git('rev-parse', '--short', 'HEAD')}"
    here += " + uncommitted changes)" if git("status", "--porcelain", "src") else ")"
    there = f"{rev}@{git('rev-parse', '--short', rev)}"
    runs: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="ingest-compare-") as tmp_name:
        tmp = Path(tmp_name)
        tree = tmp / "tree"
        git("worktree", "add", "--detach", str(tree), rev)
        sources = {"A": REPO / "src", "B": tree / "src"}
        try:
            for r in range(rounds):
                for tag in "AB" if r % 2 == 0 else "BA":
                    log(f"round {r + 1}/{rounds}: {tag} = {here if tag == 'A' else there}")
                    runs[tag].append(_measure_in(sources[tag], len(photos) - 1, tmp / f"{tag}{r}.json"))
        finally:
            git("worktree", "remove", "--force", str(tree))
    print(f"A = {here}\nB = {there}\n{len(photos) - 1} photos of 6000x4000 with 5 faces, {rounds} rounds")
    report(runs)


def _total(run: dict[str, Any]) -> float:
    return float(run["api_s"] + run["worker_s"])


def report(runs: dict[str, list[dict[str, Any]]]) -> None:
    med = statistics.median
    rows: list[tuple[str, float, float]] = []
    for name in STEPS:
        a, b = (med(med(run["steps"][name]) for run in runs[t]) * 1000 for t in "AB")
        rows.append((f"step: {name} (CPU ms/photo, in-process)", a, b))
    for key, label in (("api_s", "upload acceptance"), ("worker_s", "processing job")):
        a, b = (med(run[key] for run in runs[t]) * 1000 for t in "AB")
        rows.append((f"{label} (CPU ms/photo, eventlens api/worker)", a, b))
    a, b = (med(_total(run) for run in runs[t]) * 1000 for t in "AB")
    rows.append(("ingest, upload + job (CPU ms/photo)", a, b))
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'A':>8}  {'B':>8}  {'B/A':>6}")
    for label, a, b in rows:
        print(f"{label:{width}}  {a:8.0f}  {b:8.0f}  {b / a:6.2f}")
    idle = {t: med(sum(run["idle_cpu_per_s"]) for run in runs[t]) * 1000 for t in "AB"}
    print(f"idle CPU of api + worker, taken off the above: A {idle['A']:.0f} ms/s, B {idle['B']:.0f} ms/s")
    a_rate, b_rate = (1 / med(_total(run) for run in runs[t]) for t in "AB")
    print(f"photos/s per core (1 / CPU s per photo): A {a_rate:.2f}, B {b_rate:.2f}")
    ratios = [_total(b) / _total(a) for a, b in zip(runs["A"], runs["B"], strict=True)]
    print(
        "speed-up A over B, per round: "
        + ", ".join(f"{x:.2f}" for x in ratios)
        + f"; median {med(ratios):.2f}x"
    )
    faces = {t: [run["faces"] for run in runs[t]] for t in "AB"}
    print(f"faces indexed per photo: A {faces['A']}, B {faces['B']}")
