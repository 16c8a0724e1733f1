"""A small event whose photos fall in both search tiers for a known selfie, shared by API and browser tests.

The tier thresholds are pinned here (not the engine's calibrated ones, which may move). The photos are
dlib's 150 x 150 face chips of one man, John Schneider: chips of one person score 0.68-0.88 to each other
with the default engine, so the pinned "high" line sits inside that range to split them. With these
thresholds the selfie ``FAR`` scores two of his chips "high", two more of his and one stranger (Barack
Obama, about 0.26) "possible", and two other people nowhere. ``NEAR`` (another chip of him) lifts his
other two chips into "high"; the stranger stays "possible". Every score sits at least 0.05 from a
threshold (measured with the default engine, as indexed).
"""

from __future__ import annotations

from typing import Any

import pytest

MATCH_THRESHOLD = 0.76
POSSIBLE_THRESHOLD = 0.20

FAR = "identities/John_Schneider/1.jpg"
NEAR = "identities/John_Schneider/10.jpg"
HIGH = ["identities/John_Schneider/9.jpg", "identities/John_Schneider/4.jpg"]  # ~0.86, ~0.83 to FAR
POSSIBLE = ["identities/John_Schneider/11.jpg", "identities/John_Schneider/6.jpg"]  # ~0.70, ~0.68
LOOK_ALIKE = "identities/Barack_Obama/3.jpg"  # ~0.26 to FAR, ~0.17 to NEAR
OTHERS = ["identities/George_Clooney/1.jpg", "identities/Angelina_Jolie/3.jpg"]  # under 0.15 to both
GALLERY = [*HIGH, *POSSIBLE, LOOK_ALIKE, *OTHERS]
NO_FACE = "nofaces/skimage_brick.png"


def pin_thresholds(monkeypatch: pytest.MonkeyPatch, engine: Any) -> None:
    """Set the engine's two thresholds to this module's for the test (undone after it)."""
    monkeypatch.setattr(engine, "match_threshold", MATCH_THRESHOLD)
    monkeypatch.setattr(engine, "possible_threshold", POSSIBLE_THRESHOLD)
