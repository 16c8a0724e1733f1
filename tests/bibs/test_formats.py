"""What counts as a bib in the text the OCR read, and the event's bib_digits setting."""

from __future__ import annotations

import pytest

from eventlens.bibs.formats import BadBibFormat, parse


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("4817", ["4817"]),
        ("No.4817", ["4817"]),
        ("#4817 ", ["4817"]),
        ("12 34", ["12", "34"]),
        ("23RD", []),  # an ordinal on a backdrop
        ("A12", []),  # a code
        ("4817a", []),  # not "481"
        ("1234567", []),  # too long: a date, a phone number
        ("7", []),  # too short
        ("١٢٣٤", []),  # digits, but not 0-9
    ],
)
def test_numbers_in_text(text: str, numbers: list[str]) -> None:
    assert parse("2-5").numbers_in(text) == numbers


@pytest.mark.parametrize(("value", "shown"), [("4", "4"), ("2-6", "2-6"), (" 1-8 ", "1-8"), ("3-3", "3")])
def test_digit_ranges(value: str, shown: str) -> None:
    assert str(parse(value)) == shown


@pytest.mark.parametrize("value", ["0", "9", "1-9", "6-2", "2-", "-2", "two", "2-6-8", "", "²"])
def test_bad_digit_ranges(value: str) -> None:
    with pytest.raises(BadBibFormat):
        parse(value)
