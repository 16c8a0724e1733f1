"""Fixtures for the image layer: the odd-file corpus and a 24-MP JPEG, built once per session.

Both depend on the root ``dataset`` fixture, which fails (never skips) when the photo dataset is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from .badfiles import LANDSCAPE, Corpus, dataset_path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, dataset: Path) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def jpeg_24mp(tmp_path_factory: pytest.TempPathFactory, dataset: Path) -> Path:
    """A 6000 x 4000 JPEG (q90), made by upscaling a dataset photo, the size a 24-MP camera delivers."""
    path = tmp_path_factory.mktemp("big") / "24mp.jpg"
    with Image.open(dataset_path(LANDSCAPE)) as im:
        im.convert("RGB").resize((6000, 4000), Image.Resampling.BILINEAR).save(path, quality=90)
    return path
