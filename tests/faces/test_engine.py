"""The default face engine on real photos: embeddings, matching, integrity check, threads."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from eventlens.faces.engine.base import ModelIntegrityError
from eventlens.faces.engine.registry import load_engine
from eventlens.faces.engine.yunet_sface import SFACE_FILE, YuNetSFaceEngine, default_model_dir


def rgb(path: Path, scale: float = 1.0) -> np.ndarray:
    with Image.open(path) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
    if scale != 1.0:
        upright = upright.resize((round(upright.width * scale), round(upright.height * scale)))
    return np.asarray(upright)


def test_same_person_matches_and_another_does_not(dataset: Path) -> None:
    engine = load_engine()
    a1 = engine.embed_largest(rgb(dataset / "identities/Barack_Obama/1.jpg"))
    a2 = engine.embed_largest(rgb(dataset / "identities/Barack_Obama/2.jpg"))
    b = engine.embed_largest(rgb(dataset / "identities/George_Clooney/1.jpg"))
    assert a1 and a2 and b
    for face in (a1, a2, b):
        assert face.embedding.shape == (128,) and face.embedding.dtype == np.float32
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4
        assert face.landmarks is not None and len(face.landmarks) == 5
    assert engine.is_match(a1.embedding, a2.embedding)
    assert not engine.is_match(a1.embedding, b.embedding)
    assert (
        engine.similarity(a1.embedding, b.embedding)
        < engine.match_threshold
        <= engine.similarity(a1.embedding, a2.embedding)
    )


def test_groups_have_several_faces_and_textures_none(dataset: Path) -> None:
    engine = load_engine()
    assert len(engine.detect_and_embed(rgb(dataset / "groups/fr_obama_and_biden.jpg"))) >= 2
    assert engine.detect_and_embed(rgb(dataset / "nofaces/skimage_brick.png")) == []


def test_boxes_are_in_the_given_images_pixels_however_big(dataset: Path) -> None:
    engine = load_engine()
    small = engine.embed_largest(rgb(dataset / "identities/Angelina_Jolie/1.jpg"))
    big = engine.embed_largest(rgb(dataset / "identities/Angelina_Jolie/1.jpg", scale=3.0))
    assert small and big
    ratio = np.array(big.box) / np.array(small.box)
    assert np.allclose(ratio, 3.0, rtol=0.15), (small.box, big.box)
    assert engine.similarity(small.embedding, big.embedding) > 0.8


def test_a_tampered_model_refuses_to_load(tmp_path: Path, dataset: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(default_model_dir(), models)
    data = bytearray((models / SFACE_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (models / SFACE_FILE).write_bytes(bytes(data))
    engine = YuNetSFaceEngine(model_dir=models)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        engine.detect_and_embed(rgb(dataset / "identities/Barack_Obama/1.jpg"))


def test_threads_get_the_same_answers_as_one_thread(dataset: Path) -> None:
    engine = load_engine()
    images = [rgb(p) for p in sorted((dataset / "identities/Angelina_Jolie").iterdir())[:6]]
    alone = [engine.detect_and_embed(im) for im in images]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(engine.detect_and_embed, images))
    for a, b in zip(alone, together, strict=True):
        assert len(a) == len(b)
        for fa, fb in zip(a, b, strict=True):
            assert np.allclose(fa.embedding, fb.embedding, atol=1e-5)
            assert np.allclose(fa.box, fb.box, atol=1e-3)


def test_every_engine_fits_the_columns_that_record_it() -> None:
    from eventlens.faces.engine.registry import FACTORIES
    from eventlens.models import Face

    columns = Face.__table__.c
    for name, factory in FACTORIES.items():
        engine = factory()
        assert engine.engine_id == name
        assert len(engine.engine_id) <= columns.engine_id.type.length, engine.engine_id
        assert len(engine.version) <= columns.engine_version.type.length, engine.version
