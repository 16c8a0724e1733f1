"""Which engines exist, and one shared instance of each per process."""

from __future__ import annotations

import threading
from collections.abc import Callable

from eventlens.faces.engine.base import EngineError, FaceEngine


def _yunet() -> FaceEngine:
    from eventlens.faces.engine.yunet_sface import YuNetSFaceEngine

    return YuNetSFaceEngine()


FACTORIES: dict[str, Callable[[], FaceEngine]] = {"yunet-sface": _yunet}
DEFAULT_ENGINE = "yunet-sface"

_instances: dict[str, FaceEngine] = {}
_lock = threading.Lock()


def available_engines() -> list[str]:
    return sorted(FACTORIES)


def load_engine(engine_id: str = DEFAULT_ENGINE) -> FaceEngine:
    """The process's engine for ``engine_id`` (models load on first use, not here)."""
    with _lock:
        engine = _instances.get(engine_id)
        if engine is None:
            factory = FACTORIES.get(engine_id)
            if factory is None:
                raise EngineError(
                    f"unknown face engine {engine_id!r}; available: {', '.join(available_engines())}"
                )
            engine = _instances[engine_id] = factory()
        return engine
