"""A small event whose photos fall in both search tiers for a known selfie, shared by API and browser tests.

The tier thresholds are pinned here (not the engine's calibrated ones, which may move): with them, the
selfie ``FAR`` (a side-lit photo of Angelina Jolie) scores two of her photos "high", two more of hers and
one look-alike stranger (Jennifer Lopez, about 0.37) "possible", and two other people nowhere. ``NEAR``
(a frontal photo of her) lifts her other two photos into "high"; the stranger stays "possible".
Every score sits at least 0.05 from a threshold (measured with the default engine, as indexed).
"""

from __future__ import annotations

from typing import Any

import pytest

MATCH_THRESHOLD = 0.48
POSSIBLE_THRESHOLD = 0.30

FAR = "identities/Angelina_Jolie/13.jpg"
NEAR = "identities/Angelina_Jolie/6.jpg"
HIGH = ["identities/Angelina_Jolie/12.jpg", "identities/Angelina_Jolie/21.jpg"]  # ~0.56, ~0.58 to FAR
POSSIBLE = ["identities/Angelina_Jolie/7.jpg", "identities/Angelina_Jolie/17.jpg"]  # ~0.41, ~0.43
LOOK_ALIKE = "identities/Jennifer_Lopez/1.jpg"  # ~0.37 to FAR, ~0.09 to NEAR
OTHERS = ["identities/Tony_Blair/1.jpg", "identities/George_Clooney/1.jpg"]
GALLERY = [*HIGH, *POSSIBLE, LOOK_ALIKE, *OTHERS]
NO_FACE = "nofaces/skimage_brick.png"


def pin_thresholds(monkeypatch: pytest.MonkeyPatch, engine: Any) -> None:
    """Set the engine's two thresholds to this module's for the test (undone after it)."""
    monkeypatch.setattr(engine, "match_threshold", MATCH_THRESHOLD)
    monkeypatch.setattr(engine, "possible_threshold", POSSIBLE_THRESHOLD)
