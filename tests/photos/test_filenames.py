"""The file-name rule on its own: any text in, a safe non-empty name and a header h11 sends out."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventlens.photos.filenames import (
    MAX_NAME_BYTES,
    clean_name,
    content_disposition,
    name_from_form,
    zip_names,
)
from eventlens.photos.multipart import disposition_params

from .names import CORPUS, check_disposition

# Any code point, surrogates and controls included: what a broken client or file system can produce.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=400)
NAMES = st.one_of(
    ANY_TEXT,
    st.lists(
        st.sampled_from(
            ["..", ".", "/", "\\", "\x00", "\x7f", " ", "a", "é", "e\u0301", "фото", "写真", "🎉"]
        )
    ).map("".join),
)


def _safe(name: str, fallback: str = "photo") -> None:
    assert name, "empty"
    assert "/" not in name and "\\" not in name
    assert name.strip(".") and name not in (".", "..")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in name)
    assert unicodedata.is_normalized("NFC", name)
    assert name == name.strip()


@settings(max_examples=400, deadline=None)
@given(NAMES)
def test_any_text_cleans_to_a_safe_name_that_cleans_to_itself(raw: str) -> None:
    name = clean_name(raw, "fallback-id.jpg")
    _safe(name)
    assert clean_name(name, "other") == name  # stable: cleaning on the way out changes nothing


@settings(max_examples=300, deadline=None)
@given(NAMES, st.sampled_from(["inline", "attachment"]))
def test_any_name_gives_a_header_h11_accepts_that_decodes_to_the_clean_name(raw: str, kind: str) -> None:
    header = content_disposition(kind, raw)  # type: ignore[arg-type]
    assert check_disposition(header, kind) == clean_name(raw)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMES, max_size=12))
def test_zip_names_are_clean_and_unique_whatever_the_names(raws: list[str]) -> None:
    names = zip_names(raws + raws)  # every name at least twice
    assert len(names) == 2 * len(raws)
    for name in names:
        _safe(name)
    assert len({n.casefold() for n in names}) == len(names)


def test_the_corpus_cleans_as_expected() -> None:
    for case in CORPUS:
        assert clean_name(case.raw, "ID.jpg") == (case.expected or "ID.jpg"), case


def test_a_long_name_keeps_its_extension_and_whole_characters() -> None:
    thai = "ภาพถ่าย" * 60 + ".JPG"  # 3 bytes a character: cut at a character boundary
    name = clean_name(thai)
    assert name.endswith(".JPG") and len(name.encode()) <= MAX_NAME_BYTES
    assert thai.startswith(name[:-4]) and not unicodedata.combining(name[-5])


def test_the_ascii_fallback_folds_accents_and_keeps_the_extension() -> None:
    assert content_disposition("attachment", "café ü.jpg").startswith('attachment; filename="cafe u.jpg"; ')
    assert content_disposition("inline", "фото.jpg").startswith('inline; filename="photo.jpg"; ')
    assert content_disposition("inline", 'a"b;c.jpg').startswith('inline; filename="a_b_c.jpg"; ')


def test_duplicates_in_a_zip_get_a_counter_whatever_their_case() -> None:
    assert zip_names(["IMG_1.jpg", "img_1.JPG", "IMG_1.jpg", "", "..", "IMG_1 (2).jpg"], None) == [
        "IMG_1.jpg",
        "img_1 (2).JPG",
        "IMG_1 (3).jpg",
        "photo-4",
        "photo-5",
        "IMG_1 (2) (2).jpg",
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('form-data; name="files"; filename="фото.jpg"', "фото.jpg"),
        ('form-data; name="files"; filename="a%22b.jpg"', 'a"b.jpg'),  # browsers' form encoding
        ('form-data; name="files"; filename="a\\\\b\\"c.jpg"', 'a\\b"c.jpg'),  # quoted-pairs (httpx)
        ('form-data; name="files"; filename="a;b=c.jpg"', "a;b=c.jpg"),
        ("form-data; name=files; filename=plain.jpg", "plain.jpg"),
        ('form-data; name="files"; filename="x.jpg"; filename*=UTF-8\'\'%E5%86%99.jpg', "写.jpg"),
        ("form-data; filename*=iso-8859-1'fr'caf%E9.jpg; name=\"files\"", "café.jpg"),
        ('form-data; name="files"; filename="unterminated.jpg', "unterminated.jpg"),
    ],
)
def test_part_headers_are_read_in_every_form_clients_use(header: str, expected: str) -> None:
    params = disposition_params(header)
    assert params["name"] == "files"
    assert name_from_form(params.get("filename"), params.get("filename*")) == expected
