"""One process-wide memory budget for decoding images, shared by selfie searches, uploads and jobs.

Each decode reserves the bytes its pixels will take (from the header, before anything is decoded) and
gives them back when done; a decode that does not fit waits its turn. So N hostile files at once cost at
most the budget, not N times the worst file: the API's thread pool, the CPU pool and the job workers all
draw from the same budget. Waiters are served first come, first served, so a stream of small selfies
cannot starve a big photo. A reservation larger than the whole budget waits until the budget is free
and then runs alone (the per-format pixel caps in ``imaging`` keep every reservation below it).

The budget bounds the pixels alive at once; :func:`return_freed_images_to_the_os` makes sure freed ones
do not stay in the process's resident memory, thread after thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DEFAULT_BUDGET_BYTES", "DecodeBudget", "DecodeBusy", "budget", "return_freed_images_to_the_os"]

log = logging.getLogger(__name__)

# Sized from the largest single decode (a 50-MP non-JPEG photo: ~400 MB for WebP/HEIC, whose decoders
# hold their own copy while Pillow copies it out) plus room for a few selfies; README "Memory".
DEFAULT_BUDGET_BYTES = 512 * 2**20


class DecodeBusy(Exception):
    """The budget stayed taken for longer than the caller was willing to wait."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"no decode memory free after {waited:.1f} s")
        self.waited = waited


class DecodeBudget:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a decode budget needs at least one byte")
        self.capacity = capacity
        self._used = 0
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()

    @property
    def used(self) -> int:
        with self._cond:
            return self._used

    @contextmanager
    def reserve(self, nbytes: int, timeout: float | None = None) -> Iterator[int]:
        """Hold ``nbytes`` of the budget (clamped to the whole budget) for the ``with`` block.

        Waits at most ``timeout`` seconds (None: as long as it takes), then raises :class:`DecodeBusy`.
        """
        amount = max(0, min(nbytes, self.capacity))
        self._acquire(amount, timeout)
        try:
            yield amount
        finally:
            with self._cond:
                self._used -= amount
                self._cond.notify_all()

    def _acquire(self, amount: int, timeout: float | None) -> None:
        ticket = object()
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._used + amount > self.capacity:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise DecodeBusy(time.monotonic() - started)
                    self._cond.wait(left)
                self._used += amount
            finally:
                self._queue.remove(ticket)
                # The next in line may fit now that the head has moved (or given up).
                self._cond.notify_all()


budget = DecodeBudget(DEFAULT_BUDGET_BYTES)


# glibc's mallopt parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
_M_MMAP_THRESHOLD = -3


def return_freed_images_to_the_os(threshold: int = 2**20) -> bool:
    """Have glibc serve allocations of ``threshold`` bytes or more with their own mmap (False when the
    C library is not glibc).

    By default glibc raises that threshold to the size of the first big block freed (Pillow keeps images
    in 16 MB blocks), after which image memory comes from per-thread heaps that keep freed memory for
    that thread: with the API's, the CPU pool's and the workers' threads each decoding in turn, the
    server measured 1.2 GB over its baseline for a load the budget held to 0.4 GB in use. Fixing the
    threshold returns every freed image to the OS at once. ``MALLOC_MMAP_THRESHOLD_=1048576`` in the
    environment does the same for a server started another way (README: Memory).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        log.info("memory.mallopt unavailable: freed image memory may stay resident")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
