"""File names: the one rule for what a name may be when it comes in and how it goes back out.

In (API, pages, CLI, FTPS hand-off): any Unicode name is kept as given, NFC-normalised, without control
characters, bidi overrides or path parts, at most 255 UTF-8 bytes (what a file system takes for one name,
so a guest can unpack the ZIP), never empty. Out: ``Content-Disposition`` with an ASCII ``filename=`` for
old clients and ``filename*=UTF-8''...`` (RFC 6266 / RFC 5987) for every other; ZIP entries cleaned and
made unique (the archive writer marks non-ASCII names as UTF-8).

Names are cleaned again on the way out, so rows stored before this rule are served safely too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal
from urllib.parse import quote, unquote_to_bytes

MAX_NAME_BYTES = 255
MAX_EXTENSION_CHARS = 16
# Explicit bidi embeddings, overrides and isolates: they make ``gpj.exe`` look like ``exe.jpg``.
# (Arabic and Hebrew names display right to left without them; ZWJ and ZWNJ stay, emoji and Persian need them.)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Control characters, lone surrogates (not encodable), line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# RFC 5987 attr-char besides letters and digits: the rest is percent-encoded in ``filename*``.
_ATTR_CHARS = "!#$&+-.^_`|~"
# The HTML form encoding of a name: browsers write ``"``, CR and LF as %22, %0D, %0A; httpx and urllib3
# (requests) every control character as %00-%1F.
_FORM_ESCAPES = re.compile(r"%(22|[01][0-9A-F])")
# What the ASCII fallback keeps: no quotes, backslashes, semicolons or controls that a parser could trip on.
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,=@-]+")

Disposition = Literal["inline", "attachment"]


def clean_name(raw: str, fallback: str = "photo") -> str:
    """The name to store and serve: ``raw`` without control characters and path parts, NFC, bounded.

    ``fallback`` (the photo's id, say) is used when nothing usable is left (empty, only dots, a path
    ending in a separator); the result is never empty.
    """
    name = _clean(raw)
    if name:
        return name
    return _clean(fallback) or "photo"


def _clean(raw: str) -> str:
    kept = "".join(
        c for c in raw if unicodedata.category(c) not in _DROPPED_CATEGORIES and c not in _BIDI_CONTROLS
    )
    # Windows clients send backslashes as separators (and no name of theirs contains one).
    base = unicodedata.normalize("NFC", kept).replace("\\", "/").rsplit("/", 1)[-1]
    # Leading and trailing spaces, and trailing dots, vanish when a Windows user saves the file anyway.
    base = base.strip().rstrip(". ").strip()
    if not base.strip("."):
        return ""
    return _bounded(base)


def _bounded(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > MAX_EXTENSION_CHARS or not ext.strip():
        stem, dot, ext = name, "", ""
    budget = MAX_NAME_BYTES - len(f"{dot}{ext}".encode())
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    # Do not leave a combining mark or joiner without what it belongs to at the cut.
    while cut and (unicodedata.combining(cut[-1]) or unicodedata.category(cut[-1]) in ("Mn", "Me", "Cf")):
        cut = cut[:-1]
    cut = cut.rstrip(". ")
    return f"{cut}{dot}{ext}" if cut else name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore")


def ascii_name(name: str) -> str:
    """An ASCII stand-in for ``filename=``: accents folded (``café`` → ``cafe``), anything else ``_``;
    a stem with nothing readable left (a Cyrillic or Thai name) becomes ``photo``, keeping the extension."""
    cleaned = clean_name(name)
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem:
        stem, ext = cleaned, ""
    ascii_stem = _ascii(stem) or "photo"
    ascii_ext = _ascii(ext)
    return f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in folded if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return _ASCII_UNSAFE.sub("_", plain).strip(" ._")


def content_disposition(kind: Disposition, name: str) -> str:
    """``inline`` or ``attachment`` with both name forms (RFC 6266 section 4.3; RFC 5987 encoding)."""
    cleaned = clean_name(name)
    encoded = quote(cleaned, safe=_ATTR_CHARS, encoding="utf-8")
    return f"{kind}; filename=\"{ascii_name(cleaned)}\"; filename*=UTF-8''{encoded}"


def zip_names(names: Sequence[str], fallbacks: Sequence[str] | None = None) -> list[str]:
    """Entry names for a ZIP: each cleaned (``fallbacks[i]`` for one with nothing left), none twice.

    Unique without regard to case, as an archive is unpacked on case-insensitive disks too: the second
    ``IMG_1.jpg`` becomes ``IMG_1 (2).jpg``.
    """
    used: set[str] = set()
    result: list[str] = []
    for i, raw in enumerate(names):
        name = clean_name(raw, fallbacks[i] if fallbacks else f"photo-{i + 1}")
        candidate, n = name, 1
        while candidate.casefold() in used:
            n += 1
            stem, dot, ext = name.rpartition(".")
            if not dot or not stem:
                stem, dot, ext = name, "", ""
            candidate = clean_name(f"{_shorten(stem, ext, n)} ({n}){dot}{ext}")
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def _shorten(stem: str, ext: str, n: int) -> str:
    # Room for " (n)" within the byte bound, so the counter is never the part that gets cut.
    room = MAX_NAME_BYTES - len(f" ({n}).{ext}".encode())
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore")


def name_from_form(filename: str | None, filename_star: str | None) -> str | None:
    """The file name of a multipart part from its ``filename`` / ``filename*`` parameters (unquoted).

    ``filename*`` (RFC 2231 / 5987: ``UTF-8''%D1%84.jpg``) wins where a client sends both. Browsers send
    ``filename`` as raw UTF-8 with ``"`` and control characters percent-encoded (the HTML form
    encoding); those escapes are read back (the controls are then removed by ``clean_name``), other
    ``%`` sequences are the name's own characters.
    """
    if filename_star is not None:
        decoded = _ext_value(filename_star)
        if decoded is not None:
            return decoded
    if filename is None:
        return None
    return _FORM_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), filename)


def _ext_value(value: str) -> str | None:
    charset, sep, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not sep or not sep2:
        return None
    data = unquote_to_bytes(encoded)
    try:
        return data.decode(charset.strip() or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")
