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


def test_a_number_followed_by_a_word_on_its_line_is_not_a_bib() -> None:
    from eventlens.bibs.reader import _words_touch

    number = (106.0, 1078.0, 130.0, 109.0)
    # "23" then a superscript "RD" read as a box of its own, tucked in: the backdrop's "23rd".
    assert _words_touch(number, [(number, "23"), ((221.0, 1091.0, 55.0, 62.0), "RI")])
    assert _words_touch(number, [(number, "10"), ((250.0, 1080.0, 90.0, 100.0), "km")])
    # A label before the number is fine: "No 1234", "Bib 1234".
    assert not _words_touch(number, [(number, "23"), ((20.0, 1080.0, 80.0, 100.0), "No")])
    # A word far away on the line, another line, or punctuation: the number stands alone.
    assert not _words_touch(number, [(number, "23"), ((600.0, 1080.0, 80.0, 100.0), "RUN")])
    assert not _words_touch(number, [(number, "23"), ((120.0, 1300.0, 80.0, 100.0), "RUN")])
    assert not _words_touch(number, [(number, "23"), ((240.0, 1080.0, 30.0, 100.0), "#")])
