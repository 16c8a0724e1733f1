"""Rate limits on the ``limits`` library: in memory on one machine, in Redis when several share the work."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from eventlens.errors import RateLimited


class RateLimiter:
    def __init__(self, redis_url: str | None, key_prefix: str = "eventlens") -> None:
        if redis_url:
            storage = storage_from_string(redis_url, key_prefix=f"{key_prefix}:limits")
        else:
            storage = storage_from_string("memory://")
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, limit: str | RateLimitItem, *key: str) -> None:
        """Count one attempt under ``key``; raise RateLimited (429 with Retry-After) past the limit."""
        item = parse(limit) if isinstance(limit, str) else limit
        if not self._limiter.hit(item, *key):
            raise RateLimited(self.retry_after(item, *key))

    def acquire(
        self,
        limit: str | RateLimitItem,
        *key: str,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Wait for a free slot under ``key`` and take it: paces calls to the rate instead of refusing.

        Each try is one atomic hit, so every process sharing the store (Redis) shares the rate. Raises
        TimeoutError after ``timeout`` seconds without a slot.
        """
        item = parse(limit) if isinstance(limit, str) else limit
        deadline = time.monotonic() + timeout
        while not self._limiter.hit(item, *key):
            reset, _remaining = self._limiter.get_window_stats(item, *key)
            # Until the oldest call leaves the window; a little jitter so waiting processes don't all
            # wake at the same instant and race for one slot.
            wait = min(max(reset - time.time(), 0.002), float(item.get_expiry())) + random.uniform(0, 0.005)
            if time.monotonic() + wait > deadline:
                raise TimeoutError(f"no free slot under {limit} within {timeout:.0f} s")
            sleep(wait)

    def count(self, limit: str, *key: str) -> bool:
        """Count one attempt without raising; False when it went past the limit."""
        return bool(self._limiter.hit(parse(limit), *key))

    def test(self, limit: str, *key: str) -> bool:
        """True when one more attempt would be allowed (without counting it)."""
        return bool(self._limiter.test(parse(limit), *key))

    def retry_after(self, item: RateLimitItem, *key: str) -> int:
        reset, _remaining = self._limiter.get_window_stats(item, *key)
        return max(1, math.ceil(reset - time.time()))

    def clear(self, limit: str, *key: str) -> None:
        self._limiter.clear(parse(limit), *key)

    def check(self) -> None:
        """Raise when the backing store is unreachable (for /readyz)."""
        if not self._storage.check():
            raise ConnectionError("rate-limit storage unreachable")
