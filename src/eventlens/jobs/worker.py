"""Running the huey consumer: on its own (``eventlens worker``) or as threads inside ``eventlens serve``."""

from __future__ import annotations

import logging
import threading

from huey.consumer import Consumer

from eventlens.jobs.queue import JobQueue

log = logging.getLogger("eventlens.jobs")


class Ticker:
    """Enqueues the ``often`` jobs every ``seconds`` from a thread beside the consumer."""

    def __init__(self, queue: JobQueue, seconds: float) -> None:
        self._queue = queue
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-ticker", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self._queue.enqueue_frequent()
            except Exception as exc:  # the queue's storage away for a moment (Redis restarting)
                log.warning("jobs.tick_failed error=%s", exc)


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (uvicorn in ``serve``)."""

    ticker: Ticker | None = None

    def _set_signal_handlers(self) -> None:
        pass

    def stop(self, graceful: bool = False) -> None:
        if self.ticker is not None:
            self.ticker.stop()
        super().stop(graceful=graceful)


def start_embedded(queue: JobQueue, workers: int, tick_seconds: float) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(
        queue.huey, workers=workers, worker_type="thread", periodic=True, max_delay=2.0
    )
    consumer.start()
    queue.kick_periodic()
    consumer.ticker = Ticker(queue, tick_seconds).start()
    return consumer


def run_standalone(queue: JobQueue, workers: int, tick_seconds: float) -> None:
    """Block running a consumer; SIGINT/SIGTERM stop it (gracefully on SIGINT)."""
    consumer = Consumer(queue.huey, workers=workers, worker_type="thread", periodic=True, max_delay=2.0)
    queue.kick_periodic()
    Ticker(queue, tick_seconds).start()  # a daemon thread: it ends with the process
    consumer.run()
