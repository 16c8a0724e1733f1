"""Log setup shared by every entry point."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_eventlens", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._eventlens = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    logging.getLogger("eventlens").setLevel(level.upper())
