"""Reading numbers in a photo with RapidOCR (PP-OCRv4 detection + recognition, ONNX, on the CPU).

The models are files inside the ``rapidocr-onnxruntime`` wheel (Apache-2.0, like the PaddleOCR models
they are converted from): loading them reads the package's directory and never the network. One engine
per process, made on first use (about a second) and shared by the worker's jobs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from eventlens.bibs.formats import BibFormat

# The long side the photo is read at: digits 20 px tall in a 1600 px frame stay about 20 px for the
# detector. Bigger costs time with the square of the side (about 1 s per 1600 px photo on one core).
READ_SIDE = 1600
# Below this the recogniser is guessing (blurred or tiny text, textures read as digits).
MIN_CONFIDENCE = 0.85


@dataclass(frozen=True)
class BibRead:
    number: str
    confidence: float
    box: tuple[float, float, float, float]  # x, y, width, height in the pixels of the image read


class BibReader:
    def __init__(
        self, *, threads: int = 1, min_confidence: float = MIN_CONFIDENCE, side: int = READ_SIDE
    ) -> None:
        # One thread: a worker runs one job per core, and ONNX's own thread pool would fight it.
        self.threads = threads
        self.side = side
        self.min_confidence = min_confidence
        self._engine: Any = None
        self._lock = threading.Lock()

    def _ocr(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR(
                    intra_op_num_threads=self.threads,
                    inter_op_num_threads=1,
                    max_side_len=self.side,
                    use_cls=False,  # bibs are upright, give or take a few degrees
                    print_verbose=False,
                )
            return self._engine

    def read(self, image: Image.Image, fmt: BibFormat) -> list[BibRead]:
        """The numbers of an allowed length in ``image`` (RGB), best read first, one per number."""
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        found, _ = self._ocr()(bgr, use_cls=False)
        lines = [(_box_of(quad), str(text)) for quad, text, _ in found or []]
        best: dict[str, BibRead] = {}
        for (_quad, text, score), (box, _) in zip(found or [], lines, strict=True):
            confidence = float(score)
            if confidence < self.min_confidence or _words_touch(box, lines):
                continue
            for number in fmt.numbers_in(str(text)):
                if number not in best or best[number].confidence < confidence:
                    best[number] = BibRead(number, round(confidence, 4), box)
        return sorted(best.values(), key=lambda r: -r.confidence)


Box = tuple[float, float, float, float]


def _box_of(quad: Any) -> Box:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _words_touch(box: Box, lines: list[tuple[Box, str]]) -> bool:
    """Whether a word read as a box of its own follows ``box`` closely on its line.

    The detector can split "23rd" on a backdrop into "23" and "RD": the number belongs to a word, and
    a bib stands alone on its card.
    """
    x, y, w, h = box
    gap = 0.5 * h
    for (ox, oy, ow, oh), text in lines:
        if (ox, oy, ow, oh) == box or not text.strip():
            continue
        overlap = min(y + h, oy + oh) - max(y, oy)
        if overlap < 0.5 * min(h, oh):
            continue  # another line
        # Boxes of one line may overlap a little (a superscript "rd" tucked in after "23").
        # Only after: "23rd", "10 km", "5K" are not bibs, but "No 1234", "Bib 1234" are.
        if ox > x and -gap <= ox - (x + w) <= gap and text.strip()[0].isalpha():
            return True
    return False


_shared: BibReader | None = None


def shared_reader() -> BibReader:
    """The process's reader (the OCR engine is loaded once, on first use)."""
    global _shared
    if _shared is None:
        _shared = BibReader()
    return _shared
