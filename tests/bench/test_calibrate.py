"""The threshold chooser and the cross-validation over people, on synthetic scores."""

from __future__ import annotations

import numpy as np
import pytest

from eventlens.bench import calibrate
from eventlens.bench.scoring import Query, curve, tier_figures


def synthetic(people: int = 20, photos_each: int = 10, seed: int = 0) -> tuple[list[Query], list[set[str]]]:
    """Each person owns ``photos_each`` photos; a query scores its own ~0.6 and strangers' ~0.15, with a
    stranger per query up near 0.45 (the look-alikes a threshold must keep out)."""
    rng = np.random.default_rng(seed)
    names = [f"p{i:02d}" for i in range(people)]
    members = [{name} for name in names for _ in range(photos_each)]
    n = len(members)
    qs = []
    for name in names:
        relevant = np.array([name in m for m in members])
        scores = np.where(relevant, rng.normal(0.65, 0.07, n), rng.normal(0.1, 0.07, n))
        strangers = np.flatnonzero(~relevant)
        scores[rng.choice(strangers)] = rng.uniform(0.35, 0.55)
        own = np.flatnonzero(relevant)
        counted = np.ones(n, dtype=bool)
        counted[own[0]] = False  # the selfie photo
        best = np.arange(n)
        qs.append(Query(name, [int(own[0])], scores, best, relevant, counted, np.zeros(n, dtype=bool)))
    return qs, members


def test_high_threshold_meets_the_precision_goal_with_the_best_recall() -> None:
    qs, _ = synthetic()
    c = curve(qs, calibrate.GRID)
    tiers = calibrate.choose(c)
    p, r = c.at(tiers.high)
    assert p >= calibrate.TRAIN_PRECISION
    # Every lower threshold either misses the precision goal or finds no more.
    lower = c.thresholds < tiers.high - 1e-9
    assert np.all((c.precision[lower] < calibrate.TRAIN_PRECISION) | (c.recall[lower] <= r + 1e-12))
    assert tiers.possible < tiers.high  # the synthetic look-alikes make a band worth having
    assert c.at(tiers.possible)[1] >= calibrate.MIN_RECALL
    # The highest such: one step up no longer reaches the recall goal (unless that is the high tier).
    if tiers.possible < tiers.high:
        assert c.at(tiers.possible + calibrate.STEP)[1] < calibrate.MIN_RECALL


def test_out_of_reach_recall_goal_takes_the_most_recall_a_mostly_right_band_gives() -> None:
    qs, _ = synthetic()
    for q in qs:  # a tenth of each person's photos score like strangers: 0.98 is out of reach
        q.scores[q.relevant & (np.arange(q.scores.size) % 10 == 9)] = 0.05
    c = curve(qs, calibrate.GRID)
    tiers = calibrate.choose(c)
    chosen = tier_figures(c, tiers.high, tiers.possible)
    assert chosen.both_recall < calibrate.MIN_RECALL
    assert chosen.band_precision >= calibrate.BAND_MIN_PRECISION
    for t in c.thresholds[c.thresholds < tiers.possible - 1e-9]:
        lower = tier_figures(c, tiers.high, float(t))
        assert lower.both_recall <= chosen.both_recall or lower.band_precision < calibrate.BAND_MIN_PRECISION


def test_no_threshold_reaching_the_goal_takes_the_most_precise() -> None:
    qs, _ = synthetic()
    for q in qs:
        q.scores[~q.relevant] = 0.99  # strangers outscore everyone: precision never reaches 0.99
    c = curve(qs, calibrate.GRID)
    tiers = calibrate.choose(c)
    assert c.at(tiers.high)[0] == c.precision.max()


def test_folds_deal_every_person_into_exactly_one_fold() -> None:
    people = [f"p{i}" for i in range(23)]
    for seed in range(4):
        parts = calibrate.folds(people, 5, seed)
        assert sorted(p for part in parts for p in part) == sorted(people)
        assert {len(part) for part in parts} <= {4, 5}
    assert calibrate.folds(people, 5, 0) != calibrate.folds(people, 5, 1)


def test_cross_validation_never_chooses_on_the_people_it_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    qs, members = synthetic(people=10)
    seen: list[tuple[set[str], set[str]]] = []
    real_choose = calibrate.choose
    real_curve = calibrate.curve

    def spy_curve(chosen_on: list[Query], grid: np.ndarray, drop: np.ndarray | None = None):  # type: ignore[no-untyped-def]
        c = real_curve(chosen_on, grid, drop)
        c.people = {q.person for q in chosen_on}  # type: ignore[attr-defined]
        c.dropped = set() if drop is None else {p for m, d in zip(members, drop, strict=True) if d for p in m}  # type: ignore[attr-defined]
        return c

    def spy_choose(c):  # type: ignore[no-untyped-def]
        seen.append((c.people, c.dropped))
        return real_choose(c)

    monkeypatch.setattr(calibrate, "curve", spy_curve)
    monkeypatch.setattr(calibrate, "choose", spy_choose)
    cv = calibrate.cross_validate(qs, members, k=5, seeds=(0, 1))
    assert len(cv.folds) == 10
    everyone = {q.person for q in qs}
    for (train, dropped), fold in zip(seen[:-1], cv.folds, strict=True):
        held_out = everyone - train
        assert len(held_out) == fold.people == 2
        assert dropped == held_out  # their photos are out of the training queries too
    assert seen[-1][0] == everyone  # the defaults are chosen on everyone
    mean, sd = cv.mean_sd("high_precision")
    assert 0.9 <= mean <= 1.0 and sd >= 0.0
