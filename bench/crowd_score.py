"""Scoring and printing for ``bench/crowd.py``: raw pipeline results against the scenes' ground truth.

Both trees of a comparison are scored here, by the same code, from the raw JSON their runs wrote.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crowd_scenes import BINS

MATCH_IOU = 0.3


def iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def on_face(found: list[float], truth: list[float]) -> bool:
    """A found box is on a true face: IoU >= 0.3, or its centre inside the true box."""
    cx, cy = found[0] + found[2] / 2, found[1] + found[3] / 2
    inside = truth[0] <= cx <= truth[0] + truth[2] and truth[1] <= cy <= truth[1] + truth[3]
    return inside or iou(found, truth) >= MATCH_IOU


STEPS = ("decode", "full_decode", "faces")


@dataclass
class Score:
    faces: dict[str, int] = field(default_factory=dict)
    detected: dict[str, int] = field(default_factory=dict)
    searchable: dict[str, int] = field(default_factory=dict)  # detected and kept for search
    identified: dict[str, int] = field(default_factory=dict)
    false_detections: int = 0
    bystanders: list[int] = field(default_factory=lambda: [0, 0])  # in the scenes, detected
    skipped: Counter[str] = field(default_factory=Counter)  # detections not searchable, by reason
    returned: int = 0
    wrong: int = 0
    blurred: list[int] = field(default_factory=lambda: [0, 0, 0])  # faces, detected, identified
    timing: dict[str, float] = field(default_factory=dict)
    no_face_selfies: list[str] = field(default_factory=list)  # their faces count as not identified
    not_indexed: list[str] = field(default_factory=list)  # scenes processing failed on


def _truth(scenes_dir: Path) -> dict[str, dict[str, Any]]:
    """Each scene's ground truth (its JSON), by image name."""
    return {
        meta["image"]: meta
        for meta in (json.loads(p.read_text()) for p in sorted(scenes_dir.glob("scene-*.json")))
    }


def _match(dets: list[dict[str, Any]], gts: list[dict[str, Any]]) -> dict[int, int]:
    """Ground-truth face -> its detection: one to one, best overlap first (a second box is a false one)."""
    pairs = sorted(
        (
            (iou(d["box"], g["box"]), di, gi)
            for di, d in enumerate(dets)
            for gi, g in enumerate(gts)
            if on_face(d["box"], g["box"])
        ),
        reverse=True,
    )
    matched: dict[int, int] = {}
    for _overlap, di, gi in pairs:
        if di not in matched.values() and gi not in matched:
            matched[gi] = di
    return matched


def score(scenes_dir: Path, raw: dict[str, Any]) -> Score:
    s = Score(**{k: {b[0]: 0 for b in BINS} for k in ("faces", "detected", "searchable", "identified")})
    truth = _truth(scenes_dir)
    detected: dict[tuple[str, int], bool] = {}  # face -> searchable
    for photo in raw["photos"]:
        dets = photo["detections"]
        meta = truth[photo["image"]]
        matched = _match(dets, meta["faces"])
        for gi, di in matched.items():
            detected[(photo["image"], gi)] = dets[di]["searchable"]
        # A face in the pasted part of a source photo that is not its person is real, not false.
        rest = [d for di, d in enumerate(dets) if di not in matched.values()]
        bystanders = _match(rest, [{"box": b} for b in meta.get("bystanders", [])])
        s.bystanders[0] += len(meta.get("bystanders", []))
        s.bystanders[1] += len(bystanders)
        s.false_detections += len(rest) - len(bystanders)
        s.skipped.update(d["skip_reason"] or "?" for d in dets if not d["searchable"])
    identified: set[tuple[str, int]] = set()
    for person, matches in raw["found"].items():
        for m in matches:
            s.returned += 1
            hit = [
                gi
                for gi, g in enumerate(truth[m["image"]]["faces"] if m["image"] in truth else [])
                if g["identity"] == person and on_face(m["box"], g["box"])
            ]
            if hit:
                identified.add((m["image"], hit[0]))
            else:
                s.wrong += 1
    for image, meta in truth.items():
        for gi, g in enumerate(meta["faces"]):
            face = (image, gi)
            s.faces[g["bin"]] += 1
            s.detected[g["bin"]] += face in detected
            s.searchable[g["bin"]] += detected.get(face, False)
            s.identified[g["bin"]] += face in identified
            if g["blur_sigma"]:
                s.blurred[0] += 1
                s.blurred[1] += face in detected
                s.blurred[2] += face in identified
    s.no_face_selfies = list(raw["no_face_selfies"])
    s.not_indexed = [f"{p['image']} ({p['status']})" for p in raw["photos"] if "indexed" not in p["status"]]
    photos = raw["photos"]
    for key in ("process_s", "ingest_s", "cpu_s"):
        s.timing[key] = statistics.median(p[key] for p in photos)
    for step in STEPS:
        for key in (step, f"{step}_cpu"):
            spent = [p["steps"][key] for p in photos if key in p["steps"]]
            if spent:
                s.timing[key] = statistics.median(spent)
    return s


# --- printing -----------------------------------------------------------------------------------------


def ratio(n: int, d: int) -> str:
    return f"{n / d:.2f}" if d else "-"


def counts(s: Score) -> list[tuple[str, int, int, int, int]]:
    """Per bin and in all: faces, detected, searchable, identified."""
    out = [(b, s.faces[b], s.detected[b], s.searchable[b], s.identified[b]) for b, _low, _high in BINS]
    total = [sum(d.values()) for d in (s.faces, s.detected, s.searchable, s.identified)]
    out.append(("all", total[0], total[1], total[2], total[3]))
    return out


def table(headers: list[str], lines: list[list[object]]) -> None:
    widths = [max(len(str(v)) for v in [h, *(line[i] for line in lines)]) + 2 for i, h in enumerate(headers)]
    for line in [headers, *lines]:
        print(
            "".join(
                str(v).rjust(w) if i else str(v).ljust(w)
                for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )


def cost_line(s: Score) -> str:
    t = s.timing
    steps = ", ".join(f"{k} {t[k]:.2f}" for k in STEPS if k in t)
    steps_cpu = ", ".join(f"{k} {t[k + '_cpu']:.2f}" for k in STEPS if k + "_cpu" in t)
    return (
        f"median per photo: processing {t['process_s']:.2f} s wall ({steps}), ingest {t['ingest_s']:.2f} s wall; "
        f"CPU ingest + processing {t['cpu_s']:.2f} s ({steps_cpu}) = {1 / t['cpu_s']:.2f} photos/s per core"
    )


def summary_lines(s: Score) -> list[str]:
    precision = ratio(s.returned - s.wrong, s.returned)
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(s.skipped.items())) or "none"
    lines = [
        f"false detections {s.false_detections} (besides {s.bystanders[1]} of the {s.bystanders[0]} bystander "
        f"faces in the pasted crops); detections kept out of search: {skipped}",
        f"search results {s.returned}, wrong {s.wrong}, precision {precision}",
        f"blurred faces {s.blurred[0]}: detected {s.blurred[1]}, identified {s.blurred[2]}",
        cost_line(s),
    ]
    if s.no_face_selfies:
        lines.append(f"selfies without a face (never identified): {', '.join(s.no_face_selfies)}")
    if s.not_indexed:
        lines.append(f"NOT INDEXED (counted as nothing found): {', '.join(s.not_indexed)}")
    return lines


def describe(raw: dict[str, Any]) -> str:
    return f"{raw['eventlens']} | {raw['engine']} | threshold {raw['threshold']} | face_detail {raw['face_detail']}"


def print_one(s: Score, raw: dict[str, Any]) -> None:
    print(describe(raw))
    headers = ["face width", "faces", "detected", "det recall", "searchable", "identified", "id recall"]
    table(headers, [[b, n, d, ratio(d, n), k, i, ratio(i, n)] for b, n, d, k, i in counts(s)])
    for line in summary_lines(s):
        print(line)


def print_both(
    a: Score, raw_a: dict[str, Any], b: Score, raw_b: dict[str, Any], names: tuple[str, str]
) -> None:
    print(f"A = {names[0]}: {describe(raw_a)}")
    print(f"B = {names[1]}: {describe(raw_b)}")
    headers = ["face width", "faces", "det A", "det B", "det rec A", "det rec B", "srch A", "srch B"]
    headers += ["id A", "id B", "id rec A", "id rec B"]
    lines: list[list[object]] = []
    for (label, n, da, ka, ia), (_l, _n, db, kb, ib) in zip(counts(a), counts(b), strict=True):
        lines.append(
            [label, n, da, db, ratio(da, n), ratio(db, n), ka, kb, ia, ib, ratio(ia, n), ratio(ib, n)]
        )
    table(headers, lines)
    for tag, s in (("A", a), ("B", b)):
        for line in summary_lines(s):
            print(f"{tag}: {line}")
    ratios = [
        f"{label} {b.timing[key] / a.timing[key]:.2f}x"
        for key, label in (("process_s", "processing wall"), ("cpu_s", "CPU"), ("faces_cpu", "face step CPU"))
        if key in a.timing and key in b.timing
    ]
    print("B/A per photo (medians): " + ", ".join(ratios))
