"""The API's CPU pool runs work off the event loop and never more than its size at once."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from eventlens.cpu import CpuPool


def test_work_runs_on_the_pool_bounded_by_its_size() -> None:
    pool = CpuPool(2)
    running, peak, lock = 0, 0, threading.Lock()
    loop_thread: list[int] = []

    def work(i: int) -> tuple[int, str]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return i, threading.current_thread().name

    async def main() -> list[tuple[int, str]]:
        loop_thread.append(threading.get_ident())
        return await asyncio.gather(*(pool.run(work, i) for i in range(8)))

    try:
        results = asyncio.run(main())
    finally:
        pool.shutdown()
    assert [i for i, _ in results] == list(range(8))
    assert all(name.startswith("eventlens-cpu") for _, name in results)
    assert peak == 2


def test_a_pool_needs_a_thread() -> None:
    with pytest.raises(ValueError):
        CpuPool(0)
