"""The cluster's processes for bench/cluster.py: a database of its own, 2 api, 2 worker, 1 ftp."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import redis
from bench.cluster_net import Balancer, Proxy

EVENTLENS = Path(sys.executable).parent / "eventlens"
LEASE_SECONDS = 5  # short, so the bench sees a takeover quickly; the product's default is 20
SWEEP_SECONDS = 1


@dataclass(frozen=True)
class ClusterConfig:
    database_url: str  # postgresql://host:port/db: the server; the cluster makes a database of its own
    redis_url: str
    s3_endpoint: str
    s3_key: str
    s3_secret: str
    workdir: Path
    prefix: str  # Redis prefix, database and bucket names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """One ``eventlens`` process in its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(EVENTLENS), *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.wait(15)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.wait(10)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Cluster:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.workdir = config.workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        server = urlsplit(config.database_url)
        self._admin_dsn = f"postgresql://{server.netloc}/{server.path.lstrip('/') or 'postgres'}"
        self.db_name = config.prefix.replace("-", "_")
        self.pg_proxy = Proxy(server.hostname or "127.0.0.1", server.port or 5432)
        self.api_ports = [_free_port(), _free_port()]
        self.balancer = Balancer(self.api_ports)
        self.ftp_port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.balancer.port}"
        self.apis: list[Proc] = []
        self.workers: list[Proc] = []
        self.ftp: Proc | None = None
        user = f"{server.username}@" if server.username else ""
        self.database_url = f"postgresql+psycopg://{user}127.0.0.1:{self.pg_proxy.port}/{self.db_name}"

    # --- life cycle

    def __enter__(self) -> Cluster:
        with psycopg.connect(self._admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc in [*self.apis, *self.workers, *([self.ftp] if self.ftp else [])]:
            proc.signal(signal.SIGCONT)
            proc.stop()
        self.balancer.close()
        self.pg_proxy.close()
        with psycopg.connect(self._admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.drop_redis_keys()

    def _start(self) -> None:
        upgrade = subprocess.run(
            [str(EVENTLENS), "db", "upgrade"], env=self.env("migrate"), capture_output=True, text=True
        )
        if upgrade.returncode != 0:
            raise RuntimeError(f"db upgrade failed:\n{upgrade.stdout}\n{upgrade.stderr}")
        for i, port in enumerate(self.api_ports):
            self.apis.append(self._api(i, port))
        for i in range(2):
            self.workers.append(Proc(f"worker-{i}", ["worker"], self.env(f"worker-{i}"), self.workdir))
        passive = _free_port()
        ftp_env = self.env("ftp") | {
            "EVENTLENS_FTP_HOST": "127.0.0.1",
            "EVENTLENS_FTP_PORT": str(self.ftp_port),
            "EVENTLENS_FTP_PASSIVE_PORTS": f"{passive}-{passive + 20}",
            "EVENTLENS_FTP_PUBLIC_HOST": "127.0.0.1",
        }
        self.ftp = Proc("ftp", ["ftp"], ftp_env, self.workdir)
        for api in self.apis:
            self.wait_healthy(api)
        self._wait_port(self.ftp_port, self.ftp)

    def env(self, name: str) -> dict[str, str]:
        c = self.config
        data = self.workdir / name
        data.mkdir(exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLENS_")}
        return base | {
            "EVENTLENS_DATA_DIR": str(data),  # one per process: nothing shared but the services
            "EVENTLENS_DATABASE_URL": self.database_url,
            "EVENTLENS_REDIS_URL": c.redis_url,
            "EVENTLENS_REDIS_PREFIX": c.prefix,
            "EVENTLENS_STORAGE": "s3",
            "EVENTLENS_S3_ENDPOINT_URL": c.s3_endpoint,
            "EVENTLENS_S3_ACCESS_KEY_ID": c.s3_key,
            "EVENTLENS_S3_SECRET_ACCESS_KEY": c.s3_secret,
            "EVENTLENS_S3_BUCKET": c.prefix,
            "EVENTLENS_SECRET_KEY": f"{c.prefix}-shared-secret",  # one secret for the whole cluster
            "EVENTLENS_BASE_URL": self.base_url,
            "EVENTLENS_COOKIE_SECURE": "false",
            "EVENTLENS_FTP_API_URL": self.base_url,
            "EVENTLENS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "EVENTLENS_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "EVENTLENS_WORKER_THREADS": "1",
            "EVENTLENS_LOG_LEVEL": "INFO",
        }

    def _api(self, i: int, port: int) -> Proc:
        return Proc(
            f"api-{i}",
            ["api", "--host", "127.0.0.1", "--port", str(port)],
            self.env(f"api-{i}"),
            self.workdir,
        )

    def api_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[i]}"

    def wait_healthy(self, api: Proc, timeout: float = 90) -> None:
        port = self.api_ports[self.apis.index(api)]
        deadline = time.monotonic() + timeout
        while True:
            with suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return
            if not api.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{api.name} did not come up:\n{api.tail()}")
            time.sleep(0.2)

    def _wait_port(self, port: int, proc: Proc, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{proc.name} did not come up:\n{proc.tail()}")
            time.sleep(0.2)

    def restart_api(self, i: int) -> float:
        """SIGTERM api ``i`` (it finishes what is in flight), start it again; seconds it was away."""
        api = self.apis[i]
        started = time.monotonic()
        api.stop()
        api.start()
        self.wait_healthy(api)
        return time.monotonic() - started

    # --- looking inside

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """A query straight to PostgreSQL (not through the proxy: the bench watches even during an outage)."""
        server = urlsplit(self.config.database_url)
        with psycopg.connect(f"postgresql://{server.netloc}/{self.db_name}") as conn:
            return list(conn.execute(query, params).fetchall())  # type: ignore[arg-type]

    def drop_redis_keys(self) -> int:
        client = redis.Redis.from_url(self.config.redis_url)
        try:
            keys = list(client.scan_iter(match=f"*{self.config.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            return len(keys)
        finally:
            client.close()

    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in [*self.apis, *self.workers, *([self.ftp] if self.ftp else [])]}

    def log_tails(self) -> dict[str, str]:
        return {p.name: p.tail(1500) for p in [*self.apis, *self.workers, *([self.ftp] if self.ftp else [])]}


def new_id() -> str:
    return uuid.uuid4().hex[:8]
