"""Model files shipped inside pip packages, checked against pinned SHA-256 digests before use.

Nothing is ever downloaded: an engine's weights come from a carrier package found with
``importlib.util.find_spec`` (which does not import it: some carriers load models at import time).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

from eventlens.faces.engine.base import EngineError, ModelIntegrityError


def require_module(module: str, install: str) -> None:
    """Raise EngineError naming the pip command when ``module`` is not installed."""
    if importlib.util.find_spec(module) is None:
        raise EngineError(f"the Python package {module!r} is not installed: {install}")


def package_dir(module: str, install: str) -> Path:
    """The folder of an installed package, without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(f"the model package {module!r} is not installed: {install}")
    return Path(next(iter(spec.submodule_search_locations)))


def distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pinned(path: Path, expected: str, reinstall: str) -> bytes:
    """The file's bytes once their SHA-256 is the pinned one.

    Engines that can load a model from memory use these very bytes, so the file checked is the file run.
    """
    if not path.is_file():
        raise EngineError(f"face model {path.name} not found in {path.parent} ({reinstall})")
    data = path.read_bytes()
    got = sha256_hex(data)
    if got != expected:
        raise ModelIntegrityError(
            f"face model {path} has SHA-256 {got}, expected {expected}: refusing to start ({reinstall})"
        )
    return data
