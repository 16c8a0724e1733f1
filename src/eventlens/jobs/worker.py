"""Running the huey consumer: on its own (``eventlens worker``) or as threads inside ``eventlens serve``."""

from __future__ import annotations

import logging

from huey.consumer import Consumer

from eventlens.jobs.queue import JobQueue

log = logging.getLogger("eventlens.jobs")


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (uvicorn in ``serve``)."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded(queue: JobQueue, workers: int) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(
        queue.huey, workers=workers, worker_type="thread", periodic=True, max_delay=2.0
    )
    consumer.start()
    queue.kick_periodic()
    return consumer


def run_standalone(queue: JobQueue, workers: int) -> None:
    """Block running a consumer; SIGINT/SIGTERM stop it (gracefully on SIGINT)."""
    consumer = Consumer(queue.huey, workers=workers, worker_type="thread", periodic=True, max_delay=2.0)
    queue.kick_periodic()
    consumer.run()
