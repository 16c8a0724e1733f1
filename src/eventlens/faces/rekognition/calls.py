"""Rekognition calls paced to a rate shared by every process, and retried with backoff when throttled.

AWS limits each operation per account and region (50 calls per second for IndexFaces and
SearchFacesByImage in the large regions). Every call first takes a slot from the shared rate limiter
(``limits``: Redis when several processes run, memory otherwise), so the install as a whole stays under
it; a throttling answer anyway (another client on the same account) is retried after a growing, jittered
pause, each retry taking a slot again. botocore's own retries are off: they would not be paced.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from eventlens.faces.backend import BackendBusy
from eventlens.ratelimit import RateLimiter

log = logging.getLogger("eventlens.faces")

THROTTLED = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException"})


class Throttled(BackendBusy):
    """Rekognition kept throttling after every retry."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def make_client(region: str | None) -> Any:
    """A Rekognition client from boto3's usual credential chain, without botocore's own retries."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return boto3.client("rekognition", region_name=region, config=config)


class PacedCalls:
    def __init__(
        self,
        client: Any,
        limiter: RateLimiter,
        rate: str,
        *,
        attempts: int = 6,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.rate = rate
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep

    def __call__(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        """``client.<method>(**params)`` once a slot of ``operation``'s rate is free; throttling retried.

        After ``attempts`` throttled tries raises Throttled: a photo's job then fails and is retried by
        the queue like any other failure (the photo stays), a guest gets 503 with Retry-After.
        """
        for attempt in range(1, self.attempts + 1):
            self.limiter.acquire(self.rate, "rekognition", operation)
            try:
                result: dict[str, Any] = getattr(self.client, method)(**params)
                return result
            except ClientError as exc:
                code = error_code(exc)
                if code not in THROTTLED:
                    raise
                if attempt == self.attempts:
                    raise Throttled(f"Rekognition {operation} throttled {attempt} times") from exc
                pause = min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                log.warning("rekognition.throttled op=%s attempt=%d pause=%.2f", operation, attempt, pause)
                self.sleep(pause)
        raise AssertionError("unreachable")
