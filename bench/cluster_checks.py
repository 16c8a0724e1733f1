"""The checks bench/cluster.py runs against a live cluster; each returns its figures and ``passed``."""

from __future__ import annotations

import ftplib
import io
import signal
import ssl
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from bench.cluster_procs import LEASE_SECONDS, SWEEP_SECONDS, Cluster, new_id

TAKEOVER_TARGET = 30.0
LAG_TARGET = 1.0


@dataclass
class Scene:
    """A photographer (API token) with a published event of the check's own, made through api A."""

    token: str
    event_id: str = ""
    slug: str = ""

    def api(self, cluster: Cluster, i: int) -> httpx.Client:
        return httpx.Client(
            base_url=cluster.api_url(i), headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        )


_tokens: dict[int, str] = {}


def scene(cluster: Cluster) -> Scene:
    """A new published event (the same photo in two events is two photos: no duplicate refused)."""
    if id(cluster) not in _tokens:
        _tokens[id(cluster)] = _photographer(cluster)
    made = Scene(_tokens[id(cluster)])
    with made.api(cluster, 0) as api:
        event = api.post("/api/events", json={"name": f"Cluster check {new_id()}"}).raise_for_status().json()
        api.post(f"/api/events/{event['id']}/publish").raise_for_status()
    made.event_id, made.slug = event["id"], event["slug"]
    return made


def _photographer(cluster: Cluster) -> str:
    with httpx.Client(base_url=cluster.api_url(0), timeout=60) as web:
        r = web.post(
            "/api/auth/signup",
            json={
                "email": f"pat-{new_id()}@example.com",
                "password": "a long enough password",
                "name": "Pat",
            },
        )
        r.raise_for_status()
        web.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
        token: str = web.post("/api/tokens", json={"name": "cluster"}).raise_for_status().json()["token"]
    return token


def _people(dataset: Path) -> list[list[Path]]:
    """Each person's photos, people with at least two first."""
    people = [sorted(d.glob("*.jpg")) for d in sorted((dataset / "identities").iterdir()) if d.is_dir()]
    return sorted((p for p in people if p), key=lambda p: -len(p))


def _photo(api: httpx.Client, photo_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/api/photos/{photo_id}").raise_for_status().json()
    return body


def _search(base: str, slug: str, selfie: bytes) -> list[str]:
    r = httpx.post(
        f"{base}/api/public/events/{slug}/search",
        files={"selfie": ("me.jpg", selfie, "image/jpeg")},
        timeout=60,
    )
    r.raise_for_status()
    return [m["photo_id"] for m in r.json()["matches"]]


def _wait(what: str, done: Callable[[], bool], timeout: float, interval: float = 0.05) -> float:
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


def search_across_apis(cluster: Cluster, dataset: Path) -> dict[str, Any]:
    s = scene(cluster)
    person = _people(dataset)[0]
    with s.api(cluster, 0) as api_a, s.api(cluster, 1) as api_b:
        r = api_a.post(
            f"/api/events/{s.event_id}/photos",
            files=[("files", (person[0].name, person[0].read_bytes(), "image/jpeg"))],
        )
        photo_id = r.raise_for_status().json()["items"][0]["id"]
        _wait("the photo indexed", lambda: _photo(api_b, photo_id)["status"] == "indexed", 120)
        indexed_at = datetime.fromisoformat(_photo(api_b, photo_id)["processed_at"]).timestamp()
    # The first search that starts once the photo is indexed, on the other process, must find it.
    found = photo_id in _search(cluster.api_url(1), s.slug, person[1].read_bytes())
    lag = time.time() - indexed_at
    return {"found_on_b": found, "lag_s": round(lag, 2), "target_s": LAG_TARGET, "passed": found}


def _ftp_upload(cluster: Cluster, s: Scene, files: list[Path]) -> None:
    with s.api(cluster, 0) as api:
        cred = (
            api.post(f"/api/events/{s.event_id}/ftp-credentials", json={"label": "cam"})
            .raise_for_status()
            .json()
        )
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the gateway's self-signed certificate
    ftp = ftplib.FTP_TLS(context=ctx, timeout=60)  # noqa: S321 (FTPS is what is exercised)
    ftp.connect("127.0.0.1", cluster.ftp_port)
    ftp.login(cred["username"], cred["password"])
    ftp.prot_p()
    try:
        for i, path in enumerate(files):
            ftp.storbinary(f"STOR {i:03d}-{path.name}", io.BytesIO(path.read_bytes()))
    finally:
        ftp.quit()


def worker_killed(cluster: Cluster, dataset: Path) -> dict[str, Any]:
    s = scene(cluster)
    photos = [p for person in _people(dataset) for p in person][:16]
    _ftp_upload(cluster, s, photos)

    def batch() -> list[tuple[Any, ...]]:
        return cluster.sql(
            "SELECT id, status, lease_token, attempts FROM photos WHERE event_id = %s", s.event_id
        )

    _wait("the batch handed to the API", lambda: len(batch()) == len(photos), 120)
    _wait("worker-0 mid-photo", lambda: any(r[1] == "processing" for r in batch()), 120, interval=0.02)
    victim = cluster.workers[0]
    victim.signal(signal.SIGKILL)
    victim.wait(10)
    held = {r[0]: r[2] for r in batch() if r[1] == "processing"}

    def moved_on() -> bool:
        now = {r[0]: r[2] for r in batch()}
        return all(now[pid] != token for pid, token in held.items())

    takeover = _wait("the killed worker's photos taken over", moved_on, 120)
    _wait(
        "every photo indexed", lambda: all(r[1] in {"indexed", "failed"} for r in batch()), 300, interval=0.2
    )
    victim.start()  # back to two workers for the checks that follow
    rows = batch()
    failed = sum(r[1] == "failed" for r in rows)
    attempts = sum(r[3] for r in rows)
    return {
        "photos": len(rows),
        "held_at_kill": len(held),
        "takeover_s": round(takeover, 1),
        "target_s": TAKEOVER_TARGET,
        "failed": failed,
        "extra_attempts": attempts - len(rows),
        "passed": failed == 0 and len(rows) == len(photos) and takeover <= TAKEOVER_TARGET,
    }


def queue_lost(cluster: Cluster, dataset: Path) -> dict[str, Any]:
    s = scene(cluster)
    files = [p for person in _people(dataset) for p in person][:6]
    for w in cluster.workers:
        w.signal(signal.SIGSTOP)
    try:
        with s.api(cluster, 1) as api:
            r = api.post(
                f"/api/events/{s.event_id}/photos",
                files=[
                    ("files", (f"q-{i}-{p.name}", p.read_bytes(), "image/jpeg")) for i, p in enumerate(files)
                ],
            )
            ids = [item["id"] for item in r.raise_for_status().json()["items"] if item.get("id")]
        dropped = cluster.drop_redis_keys()  # what a Redis restart without persistence does to the queue
    finally:
        for w in cluster.workers:
            w.signal(signal.SIGCONT)

    def statuses() -> list[str]:
        return [r[0] for r in cluster.sql("SELECT status FROM photos WHERE id = ANY(%s)", ids)]

    took = _wait(
        "every photo indexed after the queue was lost", lambda: all(st == "indexed" for st in statuses()), 180
    )
    return {
        "photos": len(ids),
        "redis_keys_dropped": dropped,
        "indexed_after_s": round(took, 1),
        "bound_s": LEASE_SECONDS + SWEEP_SECONDS,
        "passed": len(ids) == len(files),
    }


class GuestLoad:
    """Guests opening the event page through the balancer, each request on a new connection."""

    def __init__(self, cluster: Cluster, slug: str, every: float = 0.05) -> None:
        self._url = f"{cluster.base_url}/api/public/events/{slug}"
        self._every = every
        self._stop = threading.Event()
        self.results: list[tuple[float, int, float]] = []  # (start, status or 0 for no answer, seconds)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> GuestLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status = httpx.get(self._url, timeout=10).status_code
            except httpx.HTTPError:
                status = 0
            self.results.append((started, status, time.monotonic() - started))
            self._stop.wait(self._every)


def database_outage(cluster: Cluster, dataset: Path) -> dict[str, Any]:
    s = scene(cluster)
    pids = cluster.pids()
    outage = 5.0
    with GuestLoad(cluster, s.slug) as load:
        time.sleep(2)
        cut_at = time.monotonic()
        cut = cluster.pg_proxy.outage(outage)
        time.sleep(outage + 10)
    during = [r for r in load.results if cut_at <= r[0] < cut_at + outage]
    after = [r for r in load.results if r[0] >= cut_at + outage]
    recovered = next((r[0] - (cut_at + outage) for r in after if r[1] == 200), None)
    bad = [r for r in load.results if r[1] not in {200, 503}]
    return {
        "connections_cut": cut,
        "requests": len(load.results),
        "during_503": sum(r[1] == 503 for r in during),
        "during_slowest_s": round(max((r[2] for r in during), default=0), 2),
        "recovered_after_s": None if recovered is None else round(recovered, 2),
        "other_errors": len(bad),
        "processes_restarted": sum(cluster.pids()[k] != v for k, v in pids.items()),
        "passed": recovered is not None and not bad and cluster.pids() == pids,
    }


def api_restarted(cluster: Cluster, dataset: Path) -> dict[str, Any]:
    s = scene(cluster)
    with GuestLoad(cluster, s.slug, every=0.02) as load:
        time.sleep(2)
        away = cluster.restart_api(0)
        time.sleep(3)
    failed = [r for r in load.results if r[1] != 200]
    latencies = sorted(r[2] for r in load.results)
    return {
        "requests": len(load.results),
        "failed": len(failed),
        "api_away_s": round(away, 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]) if latencies else None,
        "median_ms": round(1000 * statistics.median(latencies)) if latencies else None,
        "passed": not failed,
    }


CHECKS: dict[str, Callable[[Cluster, Path], dict[str, Any]]] = {
    "search_across_apis": search_across_apis,
    "worker_killed": worker_killed,
    "queue_lost": queue_lost,
    "database_outage": database_outage,
    "api_restarted": api_restarted,
}
SHORT = ["search_across_apis", "worker_killed"]
