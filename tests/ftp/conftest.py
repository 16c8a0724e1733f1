"""Fixtures for the FTP tests: the API on a socket, the gateway in-process, a photographer's camera login.

The gateway runs in a thread of the test process (its own pyftpdlib I/O loop) and reaches the test's
app over real HTTP, exactly as a gateway on another host would; the clients are real (ftplib, curl,
lftp). Ports are all picked by the kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.config import Settings
from eventlens.ftp.gateway.server import Gateway
from eventlens.ftp.gateway.tls import make_self_signed
from tests.factories import create_event, signup
from tests.ftp.harness import ApiServer, Camera, make_camera

StartGateway = Callable[..., Gateway]


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One certificate for every test's gateway (RSA key generation is the slow part of a start)."""
    d = tmp_path_factory.mktemp("ftp-tls")
    make_self_signed(d / "cert.pem", d / "key.pem", ["127.0.0.1", "localhost"])
    return d / "cert.pem", d / "key.pem"


@pytest.fixture
def cafile(cert: tuple[Path, Path]) -> Path:
    return cert[0]


@pytest.fixture
def api(app: Any, client: TestClient) -> Iterator[ApiServer]:
    server = ApiServer(app)
    server.start()
    yield server
    server.stop()


def gateway_settings(
    settings: Settings, api: ApiServer, cert: tuple[Path, Path], **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "ftp_host": "127.0.0.1",
        "ftp_port": 0,
        "ftp_passive_ports": "",
        "ftp_cert_file": cert[0],
        "ftp_key_file": cert[1],
        "ftp_api_url": api.url,
    }
    return settings.model_copy(update=values | overrides)


@pytest.fixture
def start_gateway(settings: Settings, api: ApiServer, cert: tuple[Path, Path]) -> Iterator[StartGateway]:
    started: list[Gateway] = []

    def start(**overrides: Any) -> Gateway:
        gw = Gateway(gateway_settings(settings, api, cert, **overrides), auth_failed_delay=0.0)
        gw.start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(start_gateway: StartGateway) -> Gateway:
    return start_gateway()


@pytest.fixture
def camera(client: TestClient) -> Camera:
    """A photographer (signed in on ``client``), an event, and one FTP login for it."""
    signup(client)
    event = create_event(client, name="Gala 2026")
    return make_camera(client, event["id"], label="Body 1")
