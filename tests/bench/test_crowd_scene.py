"""The crowd benchmark's scene generator (bench/crowd_scenes.py) at a small size: is its ground truth true?"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from eventlens.faces.engine.registry import load_engine

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _scenes_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crowd_scenes", BENCH / "crowd_scenes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scene(dataset: Path) -> tuple[np.ndarray, list[dict[str, object]], object]:
    cs = _scenes_module()
    engine = load_engine()
    rng = np.random.default_rng(3)
    # Every person in tests/data/faces, two photos each: six of them have two usable photos (the dlib
    # chips are all face, too tight to paste), one per width below.
    catalog = cs.build_catalog(
        dataset, lambda im: [f.box for f in engine.detect_and_embed(im)], rng, per_person=2
    )
    widths = [20.0, 30.0, 50.0, 80.0, 110.0, 140.0]
    canvas, truth, _bystanders = cs.compose(catalog, (900, 600), widths, cs.textures(dataset)[:2], rng)
    return canvas, truth, catalog


def test_boxes_lie_inside_the_canvas_apart_and_at_the_asked_width(scene: tuple) -> None:
    canvas, truth, catalog = scene
    assert canvas.shape == (600, 900, 3)
    boxes = [f["box"] for f in truth]
    assert sorted(round(b[2]) for b in boxes) == [20, 30, 50, 80, 110, 140]
    for x, y, w, h in boxes:
        assert x >= 0 and y >= 0 and x + w <= 900 and y + h <= 600
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
            assert apart, (a, b)
    # Each face is a different person, and never their held-out selfie.
    assert len({f["identity"] for f in truth}) == len(truth)
    for f in truth:
        assert f["source"] != catalog.selfies[f["identity"]].name
        assert all(s.path != catalog.selfies[f["identity"]] for s in catalog.pool[f["identity"]])


def test_the_engine_finds_the_big_faces_where_the_ground_truth_says(scene: tuple) -> None:
    canvas, truth, _catalog = scene
    found = [f.box for f in load_engine().detect_and_embed(canvas)]
    for face in truth:
        x, y, w, h = face["box"]
        if w < 100:
            continue
        best = max(found, key=lambda b: _iou(b, (x, y, w, h)), default=None)
        assert best is not None and _iou(best, (x, y, w, h)) > 0.6, (face, found)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)
