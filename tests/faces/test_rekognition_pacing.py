"""Rekognition calls stay under the configured rate across every process sharing the limiter.

Scaled profile: two worker processes share Redis, each makes N calls through the product's pacer, and
the calls of both together never exceed the rate in any one-second window. A control run with a
limiter per process (no Redis) shows the same check catching a combined rate over the limit.
Embedded profile (one process, the limiter in memory): the same with two threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from eventlens.config import Settings
from eventlens.faces.rekognition.calls import PacedCalls, make_client
from eventlens.ratelimit import RateLimiter
from tests.conftest import PROFILE
from tests.support.processes import clean_env

RATE = 10  # per second: small, so the test takes seconds, not minutes
CALLS = 15  # per worker: 30 in all, three windows' worth
# A call is stamped a moment after it took its slot; on a busy 2-core machine that moment can be long.
SLACK = 0.15
ROOT = Path(__file__).resolve().parents[2]


def busiest_second(stamps: list[float]) -> int:
    """The most calls in any window of one second (each window starting at a call)."""
    s = sorted(stamps)
    return max(sum(1 for t in s[i:] if t < start + 1.0 - SLACK) for i, start in enumerate(s))


def _workers(url: str, prefix: str) -> list[float]:
    env = clean_env() | {
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    cmd = [sys.executable, "-m", "tests.faces.pacing_worker", url, prefix, f"{RATE}/second", str(CALLS)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    stamps: list[float] = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        stamps += json.loads(out)
    assert len(stamps) == 2 * CALLS
    return stamps


@pytest.mark.skipif(
    PROFILE != "scaled", reason="two processes share a rate only through Redis (scaled profile)"
)
def test_two_worker_processes_sharing_redis_stay_within_the_rate(settings: Settings) -> None:
    assert settings.redis_url
    stamps = _workers(settings.redis_url, settings.redis_prefix)
    assert busiest_second(stamps) <= RATE
    span = max(stamps) - min(stamps)
    assert span >= (2 * CALLS / RATE - 1) - SLACK, "30 calls at 10/s take two seconds at least"
    # Control: each process with its own limiter goes past the rate together, and the check sees it.
    alone = _workers("memory", settings.redis_prefix)
    assert busiest_second(alone) > RATE


@pytest.mark.skipif(PROFILE != "embedded", reason="the in-process check of the embedded profile")
def test_two_threads_of_one_process_stay_within_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    limiter = RateLimiter(None)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        client = make_client("eu-west-1")

        def stamp(**_kw: Any) -> None:
            with lock:
                stamps.append(time.time())

        client.meta.events.register("provide-client-params.rekognition.DeleteFaces", stamp)
        calls = PacedCalls(client, limiter, f"{RATE}/second")
        with Stubber(client) as stubber:
            for _ in range(CALLS):
                stubber.add_response(
                    "delete_faces", {"DeletedFaces": ["f"]}, {"CollectionId": "c", "FaceIds": ["f"]}
                )
            for _ in range(CALLS):
                calls("DeleteFaces", "delete_faces", CollectionId="c", FaceIds=["f"])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(stamps) == 2 * CALLS
    assert busiest_second(stamps) <= RATE
    assert max(stamps) - min(stamps) >= (2 * CALLS / RATE - 1) - SLACK
