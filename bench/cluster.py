"""A cluster on one machine: 2 api + 2 worker + 1 ftp processes on PostgreSQL + Redis + S3, with faults.

    python bench/cluster.py [--short] [--dataset DIR] [--json FILE]
        [--database-url URL] [--redis-url URL] [--s3-endpoint URL --s3-key K --s3-secret S]

Every process gets a data directory of its own (no shared disk, as on separate machines); they share
only PostgreSQL (through a proxy that can cut it), Redis and the S3 store (SeaweedFS, started here when
no ``--s3-endpoint`` is given). Guests and the FTPS gateway reach the api processes through a load
balancer. The checks, each printed with its figure and target:

1. ``search_across_apis``: a photo uploaded to api A is found by a guest search on api B as soon as
   it is indexed (the first search that starts after indexing finds it; the lag is quoted, target 1 s).
2. ``worker_killed``: a worker SIGKILLed mid-photo loses nothing; its photos are taken over (target
   30 s) and every photo is indexed exactly once over FTPS uploads.
3. ``queue_lost`` (full run): Redis loses the queue while photos wait; the sweep queues them again
   from the database and every photo is indexed.
4. ``database_outage`` (full run): PostgreSQL's connections are cut and refused for 5 s under guest
   load; requests fail fast with 503 meanwhile and succeed again afterwards, no process restarted.
5. ``api_restarted`` (full run): one api process is stopped (SIGTERM) and started again under guest
   load through the balancer; no guest request fails.

``--short`` runs checks 1 and 2 (what ``tests/test_cluster.py`` runs in the scaled profile).
Photos come from the repository's ``tests/data/faces`` unless ``--dataset`` names a bigger set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench/ and tests/support are tools of this checkout, not the package

from bench.cluster_checks import CHECKS, SHORT  # noqa: E402
from bench.cluster_procs import Cluster, ClusterConfig  # noqa: E402


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--short", action="store_true", help="only the checks the test suite runs (1 and 2)")
    p.add_argument("--dataset", type=Path, default=REPO / "tests" / "data" / "faces")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--database-url", default="postgresql://127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--s3-endpoint", help="an S3 server to use (default: start SeaweedFS)")
    p.add_argument("--s3-key", default="")
    p.add_argument("--s3-secret", default="")
    p.add_argument("--workdir", type=Path, help="where the processes' data and logs go (default: a temp dir)")
    return p.parse_args()


def main() -> int:
    args = _parse()
    import tempfile

    results: list[dict[str, Any]] = []
    with ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cluster-")))
        s3 = (args.s3_endpoint, args.s3_key, args.s3_secret)
        if not args.s3_endpoint:
            from tests.support.seaweedfs import run_seaweedfs

            weed = stack.enter_context(run_seaweedfs(workdir / "weed"))
            s3 = (weed.endpoint_url, weed.access_key, weed.secret_key)
        config = ClusterConfig(
            database_url=args.database_url,
            redis_url=args.redis_url,
            s3_endpoint=s3[0],
            s3_key=s3[1],
            s3_secret=s3[2],
            workdir=workdir,
            prefix=f"elcluster{uuid.uuid4().hex[:8]}",  # huey keeps only letters and digits of it,
        )
        cluster = stack.enter_context(Cluster(config))
        print(
            f"cluster up: apis {cluster.api_ports}, balancer :{cluster.balancer.port}, ftp :{cluster.ftp_port}"
        )
        for name in SHORT if args.short else list(CHECKS):
            started = time.monotonic()
            try:
                result = CHECKS[name](cluster, args.dataset)
            except Exception as exc:  # a check that breaks is a failed check, with the logs to see why
                result = {
                    "passed": False,
                    "error": f"{type(exc).__name__}: {exc}",
                    "logs": cluster.log_tails(),
                }
            result = {"check": name, "seconds": round(time.monotonic() - started, 1)} | result
            results.append(result)
            print(_line(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["passed"] for r in results) else 1


def _line(result: dict[str, Any]) -> str:
    mark = "ok  " if result["passed"] else "FAIL"
    shown = {k: v for k, v in result.items() if k not in {"check", "passed", "logs"}}
    return f"{mark} {result['check']:<20} " + "  ".join(f"{k}={v}" for k, v in shown.items())


if __name__ == "__main__":
    raise SystemExit(main())
