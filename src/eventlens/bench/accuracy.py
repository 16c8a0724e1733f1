"""``eventlens bench accuracy``: every accuracy measure of one engine on one dataset, from one index run.

The product never imports this package (the CLI loads it inside the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eventlens.bench import bins, calibrate, lookalikes, pipeline, scoring
from eventlens.bench.dataset import Dataset

MULTI_SELFIES = (1, 2, 3)


@dataclass(frozen=True)
class MultiRow:
    method: str
    selfies: int
    people: int
    figures: scoring.TierFigures


@dataclass
class Results:
    data: Dataset
    ix: pipeline.Indexed
    truth: scoring.Truth
    queries: list[scoring.Query]  # one selfie (the first photo) per person
    curve: scoring.Curve  # of ``queries``, every person
    strict_curve: scoring.Curve  # the same with unverifiable photos counted as wrong
    cv: calibrate.CrossValidation
    defaults: scoring.TierFigures  # at the engine's thresholds
    multi: list[MultiRow]
    widths: bins.WidthBins
    lookalikes: list[lookalikes.LookAlike]

    @property
    def unverifiable(self) -> int:
        """Photos at or above the default possible threshold left unjudged (bystander faces)."""
        t = self.ix.possible_threshold
        return sum(int((q.unverifiable & (q.scores >= t)).sum()) for q in self.queries)


def _strict(qs: list[scoring.Query]) -> list[scoring.Query]:
    return [
        scoring.Query(
            q.person,
            q.selfie_slots,
            q.scores,
            q.best_face,
            q.relevant,
            q.counted | q.unverifiable,
            np.zeros_like(q.unverifiable),
        )
        for q in qs
    ]


def multi_selfie(ix: pipeline.Indexed, truth: scoring.Truth, tiers: calibrate.Tiers) -> list[MultiRow]:
    """Every way of combining 1-3 selfies, on the same people and target photos (their first
    MAX_SELFIES photos are never targets, so more selfies do not shrink what is to be found)."""
    k_max = max(MULTI_SELFIES)
    eligible = [
        p
        for p in truth.people
        if sum(e is not None for e in ix.selfies[p][:k_max]) == k_max and len(truth.photos_of[p]) > k_max
    ]
    sub = scoring.Truth(eligible, truth.photos_of, truth.members, truth.labelled_face)
    rows = []
    for method in scoring.METHODS:
        for k in MULTI_SELFIES:
            if k == 1 and method != scoring.METHODS[0]:
                continue  # one selfie: every method is the same
            if method == scoring.MEAN_EMBEDDING and not ix.has_embeddings:
                continue  # Rekognition gives no embeddings to average
            qs = scoring.queries(ix, sub, k=k, skip=k_max, method=method)
            c = scoring.curve(qs, calibrate.GRID)
            rows.append(MultiRow(method, k, len(qs), scoring.tier_figures(c, tiers.high, tiers.possible)))
    return rows


def analyse(data: Dataset, ix: pipeline.Indexed, seeds: tuple[int, ...] = calibrate.SEEDS) -> Results:
    truth = scoring.Truth.build(data, ix)
    qs = scoring.queries(ix, truth)
    c = scoring.curve(qs, calibrate.GRID)
    cv = calibrate.cross_validate(qs, truth.members, k=5, seeds=seeds)
    return Results(
        data=data,
        ix=ix,
        truth=truth,
        queries=qs,
        curve=c,
        strict_curve=scoring.curve(_strict(qs), calibrate.GRID),
        cv=cv,
        defaults=scoring.tier_figures(c, ix.match_threshold, ix.possible_threshold),
        multi=multi_selfie(ix, truth, cv.final),
        widths=bins.measure(data, ix, truth, ix.match_threshold, ix.possible_threshold),
        lookalikes=lookalikes.closest_others(ix, truth) if ix.has_embeddings else [],
    )


def run(dataset: Path, progress: pipeline.Progress = lambda _s, _i, _n: None) -> Results:
    data = Dataset(dataset)
    return analyse(data, pipeline.run(data, progress))
