from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from eventlens.config import Settings
from tests.notify.smtp_server import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """The suite's settings with a real SMTP server to send through."""
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(smtp.url),
            "mail_from": "EventLens <photos@example.com>",
            "notify_min_minutes": 10,
        }
    )
