"""``--report DIR``: one self-contained HTML page (inline SVG, no external asset) and contact sheets.

The contact sheets show, at the engine's thresholds, every wrong match, every unverifiable one and
every missed photo: the selfie and the photo side by side (small JPEGs written under DIR/thumbs and
referenced relatively), the face that scored drawn on the photo.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from eventlens.bench import bins, calibrate, svg
from eventlens.bench.accuracy import Results
from eventlens.bench.cells import lookalike_row, mean_sd, num
from eventlens.bench.scoring import Query

THUMB_SIDE = 160
STYLE = """
body { font-family: sans-serif; margin: 1.5rem; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.sheet { display: flex; flex-wrap: wrap; gap: 10px; }
figure { margin: 0; border: 1px solid #ccc; padding: 4px; background: #fafafa; }
figure img { vertical-align: middle; margin-right: 2px; }
figcaption { font-size: 12px; max-width: 330px; }
"""


@dataclass(frozen=True)
class Pair:
    kind: str  # "wrong", "unverifiable" or "missed"
    person: str
    selfie: str  # dataset-relative path
    photo: str
    similarity: float  # -inf: no face found in the photo
    tier: str
    box: tuple[float, float, float, float] | None


def pairs(r: Results) -> list[Pair]:
    ix = r.ix
    high, possible = ix.match_threshold, ix.possible_threshold
    out: list[Pair] = []

    def pair(kind: str, q: Query, slot: int, face: int) -> Pair:
        s = float(q.scores[slot])
        box = None if face < 0 else tuple(float(v) for v in ix.boxes[face])
        tier = "high" if s >= high else "possible" if s >= possible else "-"
        return Pair(kind, q.person, ix.paths[q.selfie_slots[0]], ix.paths[slot], s, tier, box)  # type: ignore[arg-type]

    for q in r.queries:
        returned = q.scores >= possible
        for slot in np.flatnonzero(returned & q.counted & ~q.relevant):
            out.append(pair("wrong", q, int(slot), int(q.best_face[slot])))
        for slot in np.flatnonzero(returned & q.unverifiable):
            out.append(pair("unverifiable", q, int(slot), int(q.best_face[slot])))
        for slot in np.flatnonzero(~returned & q.counted & q.relevant):
            labelled = int(r.truth.labelled_face[slot])
            out.append(pair("missed", q, int(slot), labelled if labelled >= 0 else int(q.best_face[slot])))
    return sorted(out, key=lambda p: (p.kind, -p.similarity if math.isfinite(p.similarity) else 9.0))


def thumbnail(source: Path, box: tuple[float, float, float, float] | None, folder: Path) -> str:
    """A small JPEG of ``source`` (upright) with ``box`` drawn; its path relative to the page."""
    key = hashlib.sha1(f"{source}|{box}".encode(), usedforsecurity=False).hexdigest()[:16]
    name = f"thumbs/{key}.jpg"
    target = folder / name
    if target.exists():
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as im:
        ow, oh = _upright_size(im)
        if im.format == "JPEG":
            im.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))  # decodes smaller: the box is rescaled
        upright = ImageOps.exif_transpose(im).convert("RGB")
    fx, fy = upright.width / max(1, ow), upright.height / max(1, oh)
    if box is not None:
        x, y, w, h = box
        ImageDraw.Draw(upright).rectangle(
            [x * fx, y * fy, (x + w) * fx, (y + h) * fy],
            outline=(255, 40, 40),
            width=max(2, upright.width // 80),
        )
    upright.thumbnail((THUMB_SIDE, THUMB_SIDE))
    upright.save(target, "JPEG", quality=82)
    return name


def _upright_size(im: Image.Image) -> tuple[int, int]:
    """The size of an image once its EXIF orientation is applied, without decoding it."""
    orientation = im.getexif().get(0x0112, 1)
    w, h = im.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _curve_chart(r: Results) -> str:
    ix = r.ix
    lo = max(0.0, min(ix.possible_threshold, r.cv.final.possible) - 0.15)
    hi = min(1.0, max(ix.match_threshold, r.cv.final.high) + 0.15)
    keep = (r.curve.thresholds >= lo - 1e-9) & (r.curve.thresholds <= hi + 1e-9)
    xs = [float(x) for x in r.curve.thresholds[keep]]
    return svg.line_chart(
        f"{ix.engine_id}: precision and recall of the photos returned at or above a threshold",
        "threshold (cosine similarity)",
        xs,
        {
            "precision": [float(v) for v in r.curve.precision[keep]],
            "recall": [float(v) for v in r.curve.recall[keep]],
            "precision, strict": [float(v) for v in r.strict_curve.precision[keep]],
        },
        _markers(r),
    )


def _markers(r: Results) -> dict[str, float]:
    """The engine's two thresholds, and the cross-validated choice where it differs from them."""
    ix, final = r.ix, r.cv.final
    markers = {"possible": ix.possible_threshold, "high": ix.match_threshold}
    if abs(final.possible - ix.possible_threshold) > 1e-9:
        markers["chosen possible"] = final.possible
    if abs(final.high - ix.match_threshold) > 1e-9:
        markers["chosen high"] = final.high
    return markers


def _bins_chart(r: Results) -> str:
    w = r.widths
    return svg.bar_chart(
        "Recall per face width (pixels of the original)",
        list(bins.LABELS),
        {
            "detected": [b.recall for b in w.detection],
            "identified, high": [b.recall for b in w.identification],
            "identified, both": [b.recall_possible for b in w.identification],
        },
        [d.total + i.total for d, i in zip(w.detection, w.identification, strict=True)],
    )


def _sheet(r: Results, items: list[Pair], folder: Path) -> str:
    figures = []
    for p in items:
        selfie = thumbnail(r.data.root / p.selfie, None, folder)
        photo = thumbnail(r.data.root / p.photo, p.box, folder)
        score = "no face found" if not math.isfinite(p.similarity) else f"{p.similarity:.3f} ({p.tier})"
        figures.append(
            f"<figure><img src={quoteattr(selfie)} alt={quoteattr('selfie ' + p.selfie)}/>"
            f"<img src={quoteattr(photo)} alt={quoteattr(p.photo)}/>"
            f"<figcaption>{escape(p.person)} → {escape(p.photo)}: {escape(score)}</figcaption></figure>"
        )
    return '<div class="sheet">' + "".join(figures) + "</div>" if figures else "<p>None.</p>"


def write(r: Results, folder: Path) -> Path:
    """Write DIR/index.html and DIR/thumbs/*.jpg; answer the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    ix, cv, d = r.ix, r.cv, r.defaults
    per_photo = (ix.ingest_seconds + ix.process_seconds) / max(1, ix.files)
    all_pairs = pairs(r)
    parts = [
        f"<h1>Face search accuracy: {escape(ix.engine_id)}</h1>",
        f"<p>{ix.files} files, {ix.photos} photos, {ix.faces} faces, {len(r.queries)} people searched "
        f"with their first photo as the selfie. Time per photo {per_photo * 1000:.0f} ms (ingest and "
        f"processing); search median {float(np.median(ix.search_ms or [math.nan])):.2f} ms.</p>",
        "<h2>At the engine's thresholds</h2>",
        _table(
            ["tier", "threshold", "precision", "recall"],
            [
                ["high", f"{ix.match_threshold:.3f}", num(d.high_precision), num(d.high_recall)],
                [
                    "high + possible",
                    f"{ix.possible_threshold:.3f}",
                    num(d.both_precision),
                    num(d.both_recall),
                ],
                ["possible band", "", num(d.band_precision), f"{d.band_photos} photos"],
            ],
        ),
        f"<p>{r.unverifiable} returned photos are unverifiable (the face that matched is a bystander "
        "in another person's identity photo) and are counted neither right nor wrong; the strict "
        "curve counts them as wrong.</p>",
        _curve_chart(r),
        f"<h2>Cross-validation over people ({len(cv.folds)} folds)</h2>",
        _table(
            ["held-out measure", "mean ± sd"],
            [
                ["high threshold chosen", mean_sd(cv.tier_mean_sd("high"))],
                ["possible threshold chosen", mean_sd(cv.tier_mean_sd("possible"))],
                [
                    f"high-tier precision (goal ≥ {calibrate.MIN_PRECISION})",
                    mean_sd(cv.mean_sd("high_precision")),
                ],
                ["high-tier recall", mean_sd(cv.mean_sd("high_recall"))],
                [
                    f"high + possible recall (goal ≥ {calibrate.MIN_RECALL})",
                    mean_sd(cv.mean_sd("both_recall")),
                ],
                ["possible band precision", mean_sd(cv.mean_sd("band_precision"))],
            ],
        ),
        f"<p>Chosen on every person: high {cv.final.high:.3f}, possible {cv.final.possible:.3f}.</p>",
        _table(
            ["seed", "fold", "people", "high", "possible", "high P", "high R", "both R", "band P"],
            [
                [
                    str(f.seed),
                    str(f.fold),
                    str(f.people),
                    f"{f.tiers.high:.3f}",
                    f"{f.tiers.possible:.3f}",
                    num(f.figures.high_precision),
                    num(f.figures.high_recall),
                    num(f.figures.both_recall),
                    num(f.figures.band_precision),
                ]
                for f in cv.folds
            ],
        ),
        "<h2>Several selfies</h2>",
        _table(
            ["combine", "selfies", "people", "high P", "high R", "both P", "both R"],
            [
                [
                    m.method,
                    str(m.selfies),
                    str(m.people),
                    num(m.figures.high_precision),
                    num(m.figures.high_recall),
                    num(m.figures.both_precision),
                    num(m.figures.both_recall),
                ]
                for m in r.multi
            ],
        ),
        "<h2>Per face width</h2>",
        _bins_chart(r),
        _table(
            ["width (px)", "detected", "identified, high", "identified, both"],
            [
                [
                    det.label,
                    f"{num(det.recall, 3)} ({det.found}/{det.total})",
                    f"{num(idn.recall, 3)} ({idn.found}/{idn.total})",
                    f"{num(idn.recall_possible, 3)} ({idn.found_possible}/{idn.total})",
                ]
                for det, idn in zip(r.widths.detection, r.widths.identification, strict=True)
            ],
        ),
        "<h2>Look-alikes</h2>",
        _table(
            ["person", "closest other", "typical", "tier", "worst pair", "tier", "own median"],
            [lookalike_row(a, ix) for a in r.lookalikes],
        ),
    ]
    for kind, heading in (
        ("wrong", "Wrong matches"),
        ("unverifiable", "Unverifiable matches"),
        ("missed", "Missed photos"),
    ):
        items = [p for p in all_pairs if p.kind == kind]
        parts += [f"<h2>{heading} ({len(items)})</h2>", _sheet(r, items, folder)]
    page = (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>'
        f"<title>EventLens accuracy: {escape(ix.engine_id)}</title><style>{STYLE}</style></head>"
        "<body>" + "".join(parts) + "</body></html>\n"
    )
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
