"""Receive a multipart upload straight to disk: each file part is hashed and size-checked as it streams.

Starlette's own form parser would buffer every part to a temporary file before we see it and only then
let us check sizes; here an oversized part is cut off at the limit while the other parts still arrive,
and memory holds one network chunk at a time whatever the files weigh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from eventlens.photos.errors import IngestError, TooLarge
from eventlens.photos.filenames import name_from_form
from eventlens.photos.spool import Spooled, SpoolWriter
from eventlens.storage.base import ObjectStoreError, write_error


class MalformedUpload(Exception):
    """The body is not a multipart/form-data request we can read."""


@dataclass
class ReceivedFile:
    """One file part: spooled to disk, or refused with the reason."""

    filename: str  # as the client sent it, decoded; ``filenames.clean_name`` makes the stored name
    spooled: Spooled | None = None
    error: IngestError | None = None


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    writer: SpoolWriter | None = None
    error: IngestError | None = None
    text: bytearray = field(default_factory=bytearray)


class _Receiver:
    """Parser callbacks; runs in a worker thread (hashing and writing are blocking)."""

    def __init__(self, dest_dir: Path, max_bytes: int, max_files: int, file_field: str) -> None:
        self.dest_dir = dest_dir
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.file_field = file_field
        self.files: list[ReceivedFile] = []
        self.fields: dict[str, str] = {}
        self.part: _Part | None = None
        self._hname = bytearray()
        self._hvalue = bytearray()

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        assert self.part is not None
        self.part.headers[self._hname.decode("latin-1").lower()] = _header_text(bytes(self._hvalue))
        self._hname.clear()
        self._hvalue.clear()

    def on_headers_finished(self) -> None:
        part = self.part
        assert part is not None
        params = disposition_params(part.headers.get("content-disposition", ""))
        part.name = params.get("name", "")
        part.filename = name_from_form(params.get("filename"), params.get("filename*"))
        if part.name == self.file_field and part.filename is not None:
            if len(self.files) >= self.max_files:
                raise MalformedUpload(f"At most {self.max_files} files per request.")
            part.writer = SpoolWriter(self.dest_dir, self.max_bytes)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        assert part is not None
        if part.writer is not None and part.error is None:
            try:
                part.writer.write(data[start:end])
            except TooLarge as exc:
                part.writer.abort()
                part.error = exc
        elif part.filename is None and len(part.text) < 10_000:
            part.text += data[start:end]

    def on_part_end(self) -> None:
        part = self.part
        assert part is not None
        if part.writer is not None:
            result = ReceivedFile(filename=part.filename or "")
            if part.error is not None:
                result.error = part.error
            else:
                try:
                    result.spooled = part.writer.finish()
                except IngestError as exc:
                    part.writer.abort()
                    result.error = exc
            self.files.append(result)
        elif part.filename is None:
            self.fields[part.name] = part.text.decode("utf-8", "replace")
        self.part = None

    def abort(self) -> None:
        """Remove everything spooled so far (the request failed part-way)."""
        if self.part is not None and self.part.writer is not None:
            self.part.writer.abort()
        for f in self.files:
            if f.spooled is not None:
                f.spooled.discard()


def _header_text(raw: bytes) -> str:
    # RFC 7578: names are sent as raw UTF-8 (every browser, curl, httpx). A client that sends Latin-1
    # (old Windows tools) still gets its accents rather than replacement characters.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def disposition_params(value: str) -> dict[str, str]:
    """The parameters of a part's ``Content-Disposition`` (``form-data; name="files"; filename="a.jpg"``),
    keys lower-case, quoted strings unquoted.

    Not python-multipart's ``parse_options_header``: it re-encodes the value as Latin-1 and fails on
    any other name (``фото.jpg`` made the whole request a 400), and drops ``filename*``.
    """
    params: dict[str, str] = {}
    i, n = value.find(";"), len(value)
    if i < 0:
        return params
    while i < n:
        while i < n and value[i] in "; \t":
            i += 1
        eq = value.find("=", i)
        semi = value.find(";", i)
        if eq < 0 or (0 <= semi < eq):
            i = n if semi < 0 else semi  # a parameter without a value: skip it
            continue
        key = value[i:eq].strip().lower()
        i = eq + 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] == '"':
            text, i = _quoted(value, i + 1)
        else:
            end = value.find(";", i)
            end = n if end < 0 else end
            text, i = value[i:end].strip(), end
        params.setdefault(key, text)
    return params


def _quoted(value: str, i: int) -> tuple[str, int]:
    """A quoted string from just after its opening quote; returns the text and the index after it."""
    out: list[str] = []
    n = len(value)
    while i < n:
        c = value[i]
        if c == "\\" and i + 1 < n and value[i + 1] in '"\\':
            # Only these two are escapes: browsers send a name's other backslashes as they are.
            out.append(value[i + 1])
            i += 2
        elif c == '"':
            return "".join(out), i + 1
        else:
            out.append(c)
            i += 1
    return "".join(out), n  # no closing quote: take the rest


@dataclass
class Received:
    files: list[ReceivedFile]
    fields: dict[str, str]

    def discard(self) -> None:
        for f in self.files:
            if f.spooled is not None:
                f.spooled.discard()


async def receive_multipart(
    content_type: str,
    body: AsyncIterator[bytes],
    *,
    dest_dir: Path,
    max_bytes: int,
    max_files: int = 1000,
    file_field: str = "files",
) -> Received:
    """Spool every ``file_field`` part of a multipart body to ``dest_dir``; other fields come back as text.

    On any failure (client gone, malformed body, full disk) everything spooled so far is removed.
    """
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise MalformedUpload("Send the photos as multipart/form-data with one or more parts named 'files'.")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error("the upload spool", exc) from exc
    receiver = _Receiver(dest_dir, max_bytes, max_files, file_field)
    callbacks = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in body:
            if chunk:
                await asyncio.to_thread(parser.write, chunk)
        parser.finalize()
        if receiver.part is not None:
            raise MalformedUpload("The upload ended in the middle of a file.")
    except BaseException as exc:
        receiver.abort()
        if isinstance(exc, MalformedUpload | ObjectStoreError):  # a full spool disk is ours, not the client's
            raise
        if isinstance(exc, Exception) and not isinstance(exc, OSError):
            raise MalformedUpload(f"The multipart body could not be read: {exc}") from exc
        raise
    return Received(receiver.files, receiver.fields)
