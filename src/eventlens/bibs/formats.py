"""Which numbers count as bibs in an event: digits only, a length range (``bib_digits``, "2-6")."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer runs of digits are dates, phone numbers, serials: not bibs.
MAX_DIGITS = 8
DEFAULT_DIGITS = "2-6"
_RANGE = re.compile(r"^([1-9])(?:-([1-9]))?$")
# A run of digits standing alone: "No.1234" and "1234 " give 1234, "23RD" and "A12" nothing (ordinals,
# model names and codes written on backdrops are not bibs).
_RUN = re.compile(r"(?<!\w)\d+(?!\w)")


class BadBibFormat(ValueError):
    pass


@dataclass(frozen=True)
class BibFormat:
    min_digits: int
    max_digits: int

    def __str__(self) -> str:
        if self.min_digits == self.max_digits:
            return str(self.min_digits)
        return f"{self.min_digits}-{self.max_digits}"

    def accepts(self, number: str) -> bool:
        return number.isascii() and number.isdigit() and self.min_digits <= len(number) <= self.max_digits

    def numbers_in(self, text: str) -> list[str]:
        """The runs of digits in ``text`` not touching a letter, of an allowed length."""
        return [run for run in _RUN.findall(text) if run.isascii() and self.accepts(run)]


def parse(value: str) -> BibFormat:
    """``"4"`` or ``"2-6"`` (digits of a bib, 1 to MAX_DIGITS)."""
    found = _RANGE.match(value.strip())
    if found is None:
        raise BadBibFormat(f'use a digit count or a range such as "2-6" (1 to {MAX_DIGITS})')
    low = int(found.group(1))
    high = int(found.group(2) or low)
    if low > high or high > MAX_DIGITS:
        raise BadBibFormat(f"the range must go up, from 1 to at most {MAX_DIGITS} digits")
    return BibFormat(low, high)


DEFAULT = parse(DEFAULT_DIGITS)
