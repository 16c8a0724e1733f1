"""The file-name corpus every door is tested with, and the checks every answer's name must pass.

Names are built here (no committed files): scripts of several writing systems, decomposed accents,
paths that climb out, every control character, an over-long name, names with nothing usable left.
``expected`` is what the photo must be stored as; None means "nothing usable: the photo's id".
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote

import h11
from PIL import Image

CONTROLS = "".join(chr(c) for c in range(32)) + "\x7f"
ARABIC = "صُورَةٌ مُشَكَّلَة"  # right to left, with harakat (combining marks) and a shadda
THAI = "ภาพถ่ายงานแต่ง"
NFD_CAFE = "cafe\u0301 u\u0308"  # "café ü" as macOS writes it


@dataclass(frozen=True)
class NameCase:
    raw: str
    expected: str | None  # None: the photo's id and extension

    def stored_as(self, photo_id: str, ext: str = "jpg") -> str:
        return self.expected if self.expected is not None else f"{photo_id}.{ext}"


CORPUS: list[NameCase] = [
    NameCase("фото.jpg", "фото.jpg"),
    NameCase("写真.jpg", "写真.jpg"),
    NameCase(f"{THAI}.jpg", f"{THAI}.jpg"),
    NameCase(f"{ARABIC}.jpg", unicodedata.normalize("NFC", f"{ARABIC}.jpg")),
    NameCase("🎉 party 👨\u200d👩\u200d👧.jpg", "🎉 party 👨\u200d👩\u200d👧.jpg"),
    NameCase(f"{NFD_CAFE}.jpg", "café ü.jpg"),
    NameCase("..\\..\\x.jpg", "x.jpg"),
    NameCase("/etc/passwd", "passwd"),
    NameCase(f"ctl{CONTROLS}name.jpg", "ctlname.jpg"),
    NameCase("a" * 296 + ".jpg", "a" * 251 + ".jpg"),  # 300 characters: cut to 255 bytes, suffix kept
    NameCase('quote"semi;colon.jpg', 'quote"semi;colon.jpg'),
    NameCase("...", None),
    NameCase("", None),
]


def jpeg(i: int) -> bytes:
    """A small valid JPEG whose bytes differ for every ``i`` (each upload is a new photo)."""
    out = io.BytesIO()
    Image.new("RGB", (48, 32), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)).save(out, "JPEG")
    return out.getvalue()


def form_quoted(name: str) -> bytes:
    """A name as a browser writes it in ``filename="..."``: raw UTF-8, with ``"`` CR LF percent-encoded
    (other control characters go as they are: the raw form the issue's probe sent)."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A").encode("utf-8")


def raw_multipart(
    parts: list[bytes], field: str = "files", start: int = 0, fields: dict[str, str] | None = None
) -> tuple[str, bytes]:
    """A multipart body built byte by byte; each part is its Content-Disposition parameters after
    ``name``, e.g. ``b'filename="x.jpg"'``, and gets its own JPEG (``jpeg(start + i)``); ``fields`` are
    text parts sent first (a form's CSRF token). Returns (content type, body)."""
    boundary = f"eventlens-{uuid.uuid4().hex}".encode()
    texts = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary, key.encode(), value.encode())
        for key, value in (fields or {}).items()
    )
    files = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"; %s\r\nContent-Type: image/jpeg\r\n\r\n%s\r\n'
        % (boundary, field.encode(), params, jpeg(start + i))
        for i, params in enumerate(parts)
    )
    return f"multipart/form-data; boundary={boundary.decode()}", texts + files + b"--%s--\r\n" % boundary


def check_disposition(value: str, kind: str) -> str:
    """``value`` is a Content-Disposition h11 sends as it is, with a safe ASCII ``filename`` and a
    ``filename*`` (RFC 5987); returns the name ``filename*`` decodes to."""
    h11.Response(status_code=200, headers=[("Content-Disposition", value)])  # raises on illegal values
    assert value.isascii(), value
    assert value.split(";", 1)[0] == kind, value
    fallback = re.fullmatch(r'[a-z]+; filename="([^"\\]*)"; filename\*=UTF-8\'\'([^;\s]+)', value)
    assert fallback is not None, value
    assert fallback.group(1) and all(32 <= ord(c) < 127 for c in fallback.group(1)), value
    # RFC 5987 ext-value: only attr-chars and %XX; decoded strictly as UTF-8.
    encoded = fallback.group(2)
    assert re.fullmatch(r"(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+", encoded), value
    name = unquote(encoded, encoding="utf-8", errors="strict")
    assert name, value
    return name


def check_zip(data: bytes) -> list[str]:
    """The archive's entry names, after checking each is flagged UTF-8 where it needs it, is no path,
    and is unique regardless of case."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        assert z.testzip() is None
    names = [i.filename for i in infos]
    for info in infos:
        if not info.filename.isascii():
            assert info.flag_bits & 0x800, info.filename  # the UTF-8 flag: unpackers read it right
        assert "/" not in info.filename and "\\" not in info.filename, info.filename
        assert info.filename.strip(".") and ".." not in info.filename.split("/"), info.filename
        assert len(info.filename.encode()) <= 255, info.filename
    assert len({n.casefold() for n in names}) == len(names), names
    return names
