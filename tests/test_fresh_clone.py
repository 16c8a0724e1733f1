"""A fresh clone installs itself and collects its tests without reading anything outside the clone.

It runs the committed scripts/check-fresh-clone.sh: `git clone` of HEAD into an empty temp folder (no
../shared beside it, no venv), the install steps of `make run` and `make test`, the installed command,
then the suite's collection under an audit hook. Only the embedded run does it: it installs a whole
venv (a minute or two from pip's cache) and does not depend on the profile.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROFILE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(PROFILE != "embedded", reason="runs once per CI run, in the embedded profile")
@pytest.mark.timeout(900)
def test_a_fresh_clone_installs_and_collects_its_suite_on_its_own() -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.fail("the check clones this repository: it needs a git checkout")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check-fresh-clone.sh")],
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "collected without reading outside the clone" in done.stdout
