"""Which engines exist, and one shared instance of each per process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from eventlens.faces.engine.base import EngineError, FaceEngine


def _yunet() -> FaceEngine:
    import cv2

    from eventlens.faces.engine.yunet_sface import YuNetSFaceEngine

    # OpenCV 5's DNN prints a WARN line per net it builds ("Targets are not supported by the new graph
    # engine"): noise at every start, nothing an operator can act on. Its errors still show.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return YuNetSFaceEngine()


def _dlib() -> FaceEngine:
    from eventlens.faces.engine.dlib_engine import DlibEngine

    return DlibEngine()


def _insightface() -> FaceEngine:
    from eventlens.faces.engine.insightface_engine import InsightFaceEngine

    return InsightFaceEngine()


FACTORIES: dict[str, Callable[[], FaceEngine]] = {
    "yunet-sface": _yunet,
    "dlib": _dlib,
    "insightface": _insightface,
}
DEFAULT_ENGINE = "yunet-sface"

_instances: dict[str, FaceEngine] = {}
_lock = threading.Lock()
log = logging.getLogger("eventlens.faces")


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
            if engine.licence_notice:
                # Once per process, when the engine is selected (serve, worker, CLI all come through here).
                log.warning("face engine %s: %s", engine_id, engine.licence_notice)
        return engine
