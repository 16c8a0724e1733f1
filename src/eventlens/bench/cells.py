"""Table cells shared by the terminal tables (text.py) and the HTML report (report.py)."""

from __future__ import annotations

import math

from eventlens.bench.lookalikes import LookAlike
from eventlens.bench.pipeline import Indexed


def num(v: float, digits: int = 4) -> str:
    return "-" if math.isnan(v) else f"{v:.{digits}f}"


def mean_sd(pair: tuple[float, float]) -> str:
    mean, sd = pair
    return "-" if math.isnan(mean) else f"{mean:.4f} ± {sd:.4f}"


def tier(value: float, high: float, possible: float) -> str:
    return "high" if value >= high else "possible" if value >= possible else "below"


def lookalike_row(a: LookAlike, ix: Indexed) -> list[str]:
    """person, closest other, typical score and its tier, worst pair and its tier, own median."""
    return [
        a.person,
        a.closest,
        f"{a.score:.3f}",
        tier(a.score, ix.match_threshold, ix.possible_threshold),
        f"{a.best_pair:.3f}",
        tier(a.best_pair, ix.match_threshold, ix.possible_threshold),
        num(a.own_median, 3),
    ]
