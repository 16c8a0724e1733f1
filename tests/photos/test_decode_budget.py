"""The process-wide decode budget: never more than its capacity held, first come first served, a
bounded wait."""

from __future__ import annotations

import threading
import time

import pytest

from eventlens.photos.decode_budget import DecodeBudget, DecodeBusy


def test_reservations_beyond_the_capacity_wait_for_a_release() -> None:
    budget = DecodeBudget(100)
    order: list[str] = []
    with budget.reserve(70):
        waiter = threading.Thread(target=lambda: _hold(budget, 50, order, "second"))
        waiter.start()
        time.sleep(0.2)
        assert order == [] and budget.used == 70  # 70 + 50 does not fit: it waits
        order.append("first released")
    waiter.join(5)
    assert order == ["first released", "second"]
    assert budget.used == 0


def _hold(budget: DecodeBudget, n: int, order: list[str], name: str) -> None:
    with budget.reserve(n):
        order.append(name)


def test_a_wait_is_bounded() -> None:
    budget = DecodeBudget(100)
    with budget.reserve(100):
        started = time.monotonic()
        with pytest.raises(DecodeBusy), budget.reserve(1, timeout=0.2):
            pass
        assert 0.15 < time.monotonic() - started < 2
    assert budget.used == 0
    with budget.reserve(100, timeout=0):  # nothing held: no wait at all
        assert budget.used == 100


def test_a_reservation_larger_than_the_budget_runs_alone() -> None:
    budget = DecodeBudget(100)
    with budget.reserve(10**9) as held:
        assert held == 100 == budget.used


def test_first_come_first_served_so_a_big_decode_is_not_starved() -> None:
    budget = DecodeBudget(100)
    order: list[str] = []
    first = budget.reserve(60)
    first.__enter__()
    big = threading.Thread(target=lambda: _hold(budget, 90, order, "big"))
    big.start()
    time.sleep(0.1)
    # 60 + 30 would fit, but the big one asked first: the small one queues behind it.
    small = threading.Thread(target=lambda: _hold(budget, 30, order, "small"))
    small.start()
    time.sleep(0.1)
    assert order == []
    first.__exit__(None, None, None)
    big.join(5)
    small.join(5)
    assert order == ["big", "small"]


def test_many_threads_never_hold_more_than_the_capacity() -> None:
    budget = DecodeBudget(1000)
    peak = 0
    lock = threading.Lock()

    def work(n: int) -> None:
        nonlocal peak
        with budget.reserve(n):
            with lock:
                peak = max(peak, budget.used)
            time.sleep(0.01)

    threads = [threading.Thread(target=work, args=(100 + 37 * i % 400,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert 0 < peak <= 1000
    assert budget.used == 0
