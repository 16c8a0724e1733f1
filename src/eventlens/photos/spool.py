"""Stream an upload to a temporary file, hashing and counting as it goes.

Nothing here holds more than one chunk in memory, so a 50 MB photo and a 5 GB attack cost the same RAM,
and an oversized upload is cut off as soon as it passes the limit rather than after it has been read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO, Protocol, Self, cast

from eventlens.photos.errors import EmptyFile, TooLarge
from eventlens.storage.base import write_error

__all__ = [
    "CHUNK_SIZE",
    "AsyncReadable",
    "EmptyFile",
    "SpoolWriter",
    "Spooled",
    "TooLarge",
    "spool_stream",
    "spool_upload",
]

CHUNK_SIZE = 1024 * 1024


class AsyncReadable(Protocol):
    """What we need from starlette's ``UploadFile`` (or anything like it)."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class Spooled:
    """A spooled upload on local disk.

    Used as a context manager it deletes its file on exit, whether the block succeeded or not, unless
    :meth:`keep` was called: the caller that takes ownership of the file says so explicitly.
    """

    path: Path
    size: int
    sha256: str
    _kept: bool = field(default=False, repr=False, compare=False)

    def keep(self) -> Path:
        """Take ownership of the file: it will no longer be deleted on exit. Returns its path."""
        self._kept = True
        return self.path

    def discard(self) -> None:
        """Delete the file now (idempotent)."""
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._kept:
            self.discard()


class SpoolWriter:
    """Push-style spooling, for callers that receive data in callbacks (a multipart parser, an FTP
    handler): ``write()`` each chunk, then ``finish()``; on any failure call ``abort()``.

    ``write`` raises :class:`TooLarge` before writing the chunk that would pass ``max_bytes``, so even the
    partial file never exceeds the limit. ``finish`` raises :class:`EmptyFile` for zero bytes (and has
    already deleted the file). A full disk or a read-only spool folder raises
    :class:`~eventlens.storage.base.StorageFull` (other I/O errors ``ObjectStoreError``) and the partial
    file is gone. ``abort`` is idempotent. Blocking: call it from a worker thread in async code.
    """

    def __init__(self, dest_dir: Path, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        try:
            # delete=False: the file must outlive this object (it becomes the Spooled); we unlink on failure.
            self._file: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish()/abort()
                mode="wb", dir=dest_dir, prefix="upload-", suffix=".part", delete=False
            )
        except OSError as exc:
            raise write_error("the upload spool", exc) from exc
        self.path = Path(self._file.name)

    def write(self, chunk: bytes) -> None:
        """Hash and append ``chunk``; raise :class:`TooLarge` instead if it would pass the limit."""
        if not chunk:
            return
        if self.size + len(chunk) > self.max_bytes:
            raise TooLarge(self.max_bytes)
        self._hash.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.abort()
            raise write_error("the upload spool", exc) from exc
        self.size += len(chunk)

    def finish(self) -> Spooled:
        """Close the file and hand it over as a :class:`Spooled`."""
        try:
            self._file.close()  # flushes the last buffered bytes: the disk can fill up here too
        except OSError as exc:
            self.abort()
            raise write_error("the upload spool", exc) from exc
        if self.size == 0:
            self.abort()
            raise EmptyFile()
        return Spooled(path=self.path, size=self.size, sha256=self._hash.hexdigest())

    def abort(self) -> None:
        """Close and delete the partial file."""
        # Closing flushes the buffer, which fails again on a full disk; the unlink must happen anyway.
        with contextlib.suppress(OSError):
            self._file.close()
        self.path.unlink(missing_ok=True)


def _chunks_of(source: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    # Duck-typed, not isinstance(io.IOBase): file-likes such as starlette's SpooledTemporaryFile or a
    # socket's makefile() only promise read().
    if hasattr(source, "read"):
        reader = cast(BinaryIO, source)
        while chunk := reader.read(CHUNK_SIZE):
            yield chunk
    else:
        yield from cast(Iterable[bytes], source)


def spool_stream(chunks: Iterable[bytes] | BinaryIO, dest_dir: Path, max_bytes: int) -> Spooled:
    """Write ``chunks`` (an iterable of byte strings, or a binary file read 1 MiB at a time) to a new
    temporary file in ``dest_dir``.

    Raises :class:`TooLarge` as soon as more than ``max_bytes`` arrive and :class:`EmptyFile` for zero
    bytes. On any failure, including an exception from the source itself, the partial file is deleted.
    """
    writer = SpoolWriter(dest_dir, max_bytes)
    try:
        for chunk in _chunks_of(chunks):
            writer.write(chunk)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


async def spool_upload(upload: AsyncReadable, dest_dir: Path, max_bytes: int) -> Spooled:
    """Async twin of :func:`spool_stream` for starlette's ``UploadFile``: reads 1 MiB at a time.

    Hashing and writing run in a worker thread so a large upload does not stall the event loop;
    cancellation (client gone) deletes the partial file like any other failure.
    """
    writer = await asyncio.to_thread(SpoolWriter, dest_dir, max_bytes)
    try:
        while chunk := await upload.read(CHUNK_SIZE):
            await asyncio.to_thread(writer.write, chunk)
        return await asyncio.to_thread(writer.finish)
    except BaseException:
        # Not via to_thread: on cancellation we must still clean up, and an unlink is quick.
        writer.abort()
        raise
