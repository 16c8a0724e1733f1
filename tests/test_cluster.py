"""The cluster harness's short form: 2 api + 2 worker + 1 ftp processes on PostgreSQL, Redis and S3.

Runs ``bench/cluster.py --short`` (the same harness as the full bench) against this suite's PostgreSQL,
Redis and SeaweedFS: a photo uploaded to one api process is found by a search on the other as soon as
it is indexed, and a worker SIGKILLed mid-photo loses nothing and its photos are taken over.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL, PROFILE, REDIS_URL
from tests.support.processes import clean_env
from tests.support.seaweedfs import SeaweedFS

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(
    PROFILE != "scaled", reason="a cluster needs the scaled profile's PostgreSQL, Redis and S3"
)
def test_two_apis_two_workers_and_a_gateway_survive_a_killed_worker(
    s3_server: SeaweedFS, tmp_path: Path
) -> None:
    out = tmp_path / "cluster.json"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "cluster.py"),
            "--short",
            "--json",
            str(out),
            "--workdir",
            str(tmp_path / "cluster"),
            "--database-url",
            PG_URL.replace("postgresql+psycopg://", "postgresql://"),
            "--redis-url",
            REDIS_URL,
            "--s3-endpoint",
            s3_server.endpoint_url,
            "--s3-key",
            s3_server.access_key,
            "--s3-secret",
            s3_server.secret_key,
        ],
        env=clean_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), f"the harness wrote no results (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    results = {r["check"]: r for r in json.loads(out.read_text())}
    assert set(results) == {"search_across_apis", "worker_killed"}, run.stdout
    across = results["search_across_apis"]
    assert across["found_on_b"] is True, across
    killed = results["worker_killed"]
    assert killed["held_at_kill"] >= 1, killed  # the worker really was killed mid-photo
    assert killed["photos"] == 16 and killed["failed"] == 0, killed
    assert killed["takeover_s"] <= 30, killed
    assert killed["extra_attempts"] <= killed["held_at_kill"], killed  # no photo done twice over
    assert run.returncode == 0, run.stdout
