"""The job queue on huey: SQLite file by default, Redis when several machines share the work.

Jobs are declared beside their domain with ``@job("photos.process")`` (a plain function taking the
worker's AppContext first); ``JobQueue`` binds every declared job to one huey instance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

log = logging.getLogger("eventlens.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int
    retry_delay: int
    retry_backoff: float
    every_minute: bool = False  # also run it once a minute (and when a worker starts)
    every_hour: bool = False  # also run it once an hour (and when a worker starts)
    # also enqueued by every worker every ``sweep_seconds``: huey's schedule is a minute at the finest,
    # too slow for taking over a killed worker's photos within seconds
    often: bool = False

    @property
    def periodic(self) -> bool:
        return self.every_minute or self.every_hour


_SPECS: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    retries: int = 5,
    retry_delay: int = 2,
    retry_backoff: float = 2.0,
    every_minute: bool = False,
    every_hour: bool = False,
    often: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job. The function gets the worker's context first, then the enqueued arguments.

    Periodic (``every_minute``, ``every_hour``) jobs take no arguments; they also run once when a
    worker starts.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _SPECS and _SPECS[name].func is not func:
            raise RuntimeError(f"job {name!r} declared twice")
        _SPECS[name] = JobSpec(
            name, func, retries, retry_delay, retry_backoff, every_minute, every_hour, often
        )
        return func

    return register


def declared_jobs() -> dict[str, JobSpec]:
    return dict(_SPECS)


def build_huey(*, redis_url: str | None, name: str, sqlite_path: Path, immediate: bool = False) -> Huey:
    """A huey instance on Redis when a URL is given, else on a SQLite file (one machine)."""
    if immediate:
        return Huey(name, immediate=True)
    if redis_url:
        return RedisHuey(name, url=redis_url, utc=True)
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(sqlite_path), utc=True, timeout=30)


class JobQueue:
    """Every declared job bound to one huey instance; ``context_provider`` feeds the worker side."""

    def __init__(self, huey: Huey, context_provider: Callable[[], Any]) -> None:
        self.huey = huey
        self._context = context_provider
        self._tasks: dict[str, TaskWrapper] = {}
        for spec in declared_jobs().values():
            self._bind(spec)

    def _bind(self, spec: JobSpec) -> None:
        context = self._context

        def run(*args: Any) -> Any:
            return spec.func(context(), *args)

        run.__name__ = spec.name.replace(".", "_")
        options: dict[str, Any] = {
            "retries": spec.retries,
            "retry_delay": spec.retry_delay,
            "retry_backoff": spec.retry_backoff,
            "name": spec.name,
        }
        if spec.periodic:
            # The consumer's scheduler enqueues it on time; it can also be enqueued by hand.
            when = crontab() if spec.every_minute else crontab(minute="17")
            self._tasks[spec.name] = self.huey.periodic_task(when, **options)(run)
        else:
            self._tasks[spec.name] = self.huey.task(**options)(run)

    def kick_periodic(self) -> None:
        """Enqueue every periodic job once now: a starting worker catches up without waiting a minute."""
        for spec in declared_jobs().values():
            if spec.periodic:
                self.enqueue(spec.name)

    def enqueue_frequent(self) -> None:
        """Enqueue every ``often`` job once, unless one is already waiting (several workers tick)."""
        for spec in declared_jobs().values():
            if spec.often and not self.pending_args(spec.name):
                self.enqueue(spec.name)

    def enqueue(self, name: str, *args: Any, delay: float | None = None) -> None:
        task = self._tasks.get(name)
        if task is None:
            spec = declared_jobs().get(name)
            if spec is None:
                raise KeyError(f"no job named {name!r}")
            self._bind(spec)  # declared after this queue was built (late import)
            task = self._tasks[name]
        if delay:
            task.schedule(args=args, delay=delay)
        else:
            task(*args)
        log.debug("job.enqueued name=%s args=%s", name, args)

    def pending_args(self, name: str) -> set[tuple[Any, ...]]:
        """The arguments of every queued (not yet running) ``name`` job."""
        return {tuple(t.args) for t in self.huey.pending() if t.name == name}

    def pending_count(self) -> int:
        return int(self.huey.pending_count())

    def check(self) -> None:
        """Raise when the queue's storage can't be reached (for /readyz)."""
        self.huey.pending_count()
