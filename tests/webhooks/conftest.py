from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventlens.config import Settings
from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with receivers on loopback allowed and retries a fraction of a second apart."""
    return settings.model_copy(
        update={"webhook_allow_private": True, "webhook_retry_delays": "0.2,0.2,0.2,0.2"}
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r
