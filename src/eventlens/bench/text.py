"""The accuracy results as terminal tables."""

from __future__ import annotations

import math

import numpy as np
from rich.console import Console
from rich.table import Table

from eventlens.bench import bins, calibrate
from eventlens.bench.accuracy import Results
from eventlens.bench.cells import lookalike_row, mean_sd, num


def print_results(out: Console, r: Results, lookalike_rows: int | None = 12) -> None:
    ix = r.ix
    per_photo = (ix.ingest_seconds + ix.process_seconds) / max(1, ix.files)
    out.print(
        f"[bold]{ix.engine_id}[/]: {ix.files} files, {ix.photos} photos, {ix.faces} faces; "
        f"{len(r.queries)} people searched with their first photo as the selfie"
    )
    out.print(
        f"time per photo {per_photo * 1000:.0f} ms (ingest {ix.ingest_seconds / max(1, ix.files) * 1000:.0f}"
        f" + processing {ix.process_seconds / max(1, ix.files) * 1000:.0f}); "
        f"selfie decode+embed median {float(np.median(ix.selfie_ms or [math.nan])):.1f} ms; "
        f"search median {float(np.median(ix.search_ms or [math.nan])):.2f} ms over {ix.faces} faces"
    )

    d = r.defaults
    table = Table("tier", "threshold", "precision", "recall", title="At the engine's thresholds")
    table.add_row("high", f"{ix.match_threshold:.3f}", num(d.high_precision), num(d.high_recall))
    table.add_row(
        "high + possible", f"{ix.possible_threshold:.3f}", num(d.both_precision), num(d.both_recall)
    )
    table.add_row("possible band", "", num(d.band_precision), f"{d.band_photos} photos")
    out.print(table)
    strict_p, _ = r.strict_curve.at(ix.match_threshold)
    out.print(
        f"{r.unverifiable} returned photos were unverifiable (best face is a bystander in another "
        f"person's photo) and left out; counted as wrong, high-tier precision would be {strict_p:.4f}."
    )

    cv = r.cv
    folds = len(cv.folds)
    seeds = len({f.seed for f in cv.folds})
    table = Table("held-out measure", "mean ± sd", title=f"Cross-validation: {folds} folds ({seeds} seeds)")
    table.add_row("high threshold chosen", mean_sd(cv.tier_mean_sd("high")))
    table.add_row("possible threshold chosen", mean_sd(cv.tier_mean_sd("possible")))
    table.add_row(
        f"high-tier precision (goal ≥ {calibrate.MIN_PRECISION})", mean_sd(cv.mean_sd("high_precision"))
    )
    table.add_row("high-tier recall", mean_sd(cv.mean_sd("high_recall")))
    table.add_row(
        f"high + possible recall (goal ≥ {calibrate.MIN_RECALL})", mean_sd(cv.mean_sd("both_recall"))
    )
    table.add_row("high + possible precision", mean_sd(cv.mean_sd("both_precision")))
    table.add_row("possible band precision", mean_sd(cv.mean_sd("band_precision")))
    out.print(table)
    f = cv.final_figures
    out.print(
        f"chosen on every person (the defaults): high {cv.final.high:.3f}, possible {cv.final.possible:.3f}"
        f" (on every person: high precision {f.high_precision:.4f}, recall {f.high_recall:.4f}; "
        f"both recall {f.both_recall:.4f})"
    )
    if (abs(cv.final.high - ix.match_threshold) > 1e-9) or (
        abs(cv.final.possible - ix.possible_threshold) > 1e-9
    ):
        out.print(
            f"[yellow]the engine's thresholds ({ix.match_threshold}, {ix.possible_threshold}) "
            "are not the chosen ones[/]"
        )

    table = Table(
        "combine", "selfies", "people", "high P", "high R", "both P", "both R", title="Several selfies"
    )
    for row in r.multi:
        g = row.figures
        table.add_row(
            row.method,
            str(row.selfies),
            str(row.people),
            num(g.high_precision),
            num(g.high_recall),
            num(g.both_precision),
            num(g.both_recall),
        )
    out.print(table)

    w = r.widths
    table = Table(
        "face width (px)", "detected", "identified (high)", "identified (both)", title="Per face width"
    )
    for det, ident in zip(w.detection, w.identification, strict=True):
        table.add_row(
            det.label,
            f"{num(det.recall, 3)} ({det.found}/{det.total})",
            f"{num(ident.recall, 3)} ({ident.found}/{ident.total})",
            f"{num(ident.recall_possible, 3)} ({ident.found_possible}/{ident.total})",
        )
    out.print(table)
    out.print(
        f"detection: boxes of {len(r.data.face_boxes)} annotated group photos (IoU ≥ {bins.MIN_IOU}); "
        f"identification: labelled faces of identity photos vs the first selfie; "
        f"{w.identity_photos_without_face} identity photos had no face found"
    )

    rows = r.lookalikes if lookalike_rows is None else r.lookalikes[:lookalike_rows]
    table = Table(
        "person",
        "closest other",
        "typical",
        "tier",
        "worst pair",
        "tier",
        "own median",
        title="Look-alikes: the closest other person, as the person's own searches score them",
    )
    for a in rows:
        table.add_row(*lookalike_row(a, ix))
    out.print(table)
