"""A bounded thread pool of its own for CPU-heavy work requested by the API (selfie decode, inference).

Not the event loop (it would stall every other request) and not the shared thread pool that also runs
the blocking database calls (forty decodes at once would starve them, and multiply memory). Work waits
its turn in this pool instead: at most ``threads`` selfies are decoded and analysed at a time.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def default_threads() -> int:
    return max(2, os.cpu_count() or 2)


class CpuPool:
    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError("a CPU pool needs at least one thread")
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="eventlens-cpu")

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``func(*args, **kwargs)`` on the pool, awaited without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
