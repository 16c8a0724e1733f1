"""Collect the test suite and fail when anything outside the clone is opened (scripts/check-fresh-clone.sh).

Allowed besides the clone (and its .venv): the Python installation the venv was made from, the
system's libraries and configuration, and the kernel's pseudo-files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

clone = Path(sys.argv[1]).resolve()
allowed = [
    clone,
    Path(sys.base_prefix).resolve(),
    *(Path(p) for p in ("/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/tmp", "/var/tmp")),  # noqa: S108 (read-allowed roots, not files we create)
]
outside: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event not in {"open", "os.listdir", "os.scandir"} or not args:
        return
    target = args[0]
    if not isinstance(target, str | bytes | os.PathLike):
        return
    path = Path(os.fsdecode(target))
    if not path.is_absolute():
        path = Path.cwd() / path
    path = Path(os.path.normpath(path))
    if not any(path == root or root in path.parents for root in allowed):
        outside.append(str(path))


sys.addaudithook(_audit)
import pytest  # noqa: E402 (after the hook, so its own imports are watched too)

code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(clone / "tests")])
if code != 0:
    sys.exit(f"test collection failed (pytest exit {code})")
if outside:
    sys.exit("opened outside the clone:\n" + "\n".join(sorted(set(outside))[:30]))
