"""Merging a bib lookup into a face search's answer: photos matching either, both first."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from eventlens.bibs.service import BibHit
from eventlens.faces.index import Match
from eventlens.models import Photo

if TYPE_CHECKING:
    from eventlens.guests.service import SearchOutcome


def with_bib_hits(outcome: SearchOutcome, hits: Sequence[BibHit], photos: Sequence[Photo]) -> SearchOutcome:
    """``outcome`` with the bib's photos added, in this order: found by face and bib, by face (tier
    high), by bib alone (most confident read first), by face (tier possible).

    A bib read is exact, so a photo with both is "high" whatever its face's similarity was.
    """
    visible = {p.id: p for p in photos}
    by_bib = {h.photo_id: h for h in hits if h.photo_id in visible}
    both: list[tuple[Match, Photo]] = []
    high: list[tuple[Match, Photo]] = []
    possible: list[tuple[Match, Photo]] = []
    for match, photo in outcome.hits:
        if match.photo_id in by_bib:
            both.append((dataclasses.replace(match, tier="high"), photo))
        elif match.tier == "high":
            high.append((match, photo))
        else:
            possible.append((match, photo))
    by_face = {m.photo_id for m, _ in outcome.hits}
    alone = [
        (Match(photo_id=h.photo_id, similarity=0.0, box=h.box, tier="high"), visible[h.photo_id])
        for h in sorted(by_bib.values(), key=lambda h: -h.confidence)
        if h.photo_id not in by_face
    ]
    return dataclasses.replace(
        outcome,
        hits=[*both, *high, *alone, *possible],
        bibs=by_bib,
        bib_only=frozenset(m.photo_id for m, _ in alone),
    )
