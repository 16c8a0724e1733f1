"""The object store interface: keys and bytes. It knows nothing of events or photos."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

# Keys are relative, slash-separated paths of safe characters: nothing can climb out of the store.
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
MAX_KEY_LENGTH = 500


class ObjectStoreError(Exception):
    """The store failed (I/O, network, credentials)."""


class StorageFull(ObjectStoreError):
    """No write can succeed until someone acts: the disk or quota is full, or the folder is read-only.

    Unlike a network blip, retrying soon does not help, so the API answers 507 rather than 503.
    """

    def __init__(self, message: str, *, read_only: bool = False) -> None:
        super().__init__(message)
        self.read_only = read_only


class ObjectNotFound(ObjectStoreError, KeyError):
    """No object under that key."""


class InvalidKey(ObjectStoreError, ValueError):
    """The key is not a safe relative path."""


_FULL = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def write_error(what: str, exc: OSError) -> ObjectStoreError:
    """The store's error for an ``OSError`` while writing ``what``: :class:`StorageFull` for a full disk
    or quota and a read-only (or unwritable) folder, a plain :class:`ObjectStoreError` otherwise."""
    if exc.errno in _FULL:
        return StorageFull(f"cannot write {what}: the disk is full ({exc.strerror})")
    if exc.errno in _READ_ONLY:
        return StorageFull(f"cannot write {what}: the folder is read-only ({exc.strerror})", read_only=True)
    return ObjectStoreError(f"cannot write {what}: {exc}")


def validate_key(key: str) -> str:
    """Return the key when it is safe; raise InvalidKey otherwise (absolute, '..', odd characters)."""
    if (
        not isinstance(key, str)
        or len(key) > MAX_KEY_LENGTH
        or not _KEY_RE.match(key)
        or any(part in {".", ".."} for part in key.split("/"))
    ):
        raise InvalidKey(f"invalid object key: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """A prefix for listing/deleting: a valid key followed by '/'."""
    if not prefix.endswith("/"):
        raise InvalidKey(f"prefix must end with '/': {prefix!r}")
    validate_key(prefix[:-1])
    return prefix


@dataclass(frozen=True)
class PresignedPost:
    """A form a browser POSTs a file to, straight into the store: ``url``, then ``fields``, then the file."""

    url: str
    fields: dict[str, str]


@runtime_checkable
class ObjectStore(Protocol):
    """Where originals, previews and thumbnails live."""

    name: str

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Store the file at ``path`` under ``key`` (replacing any object there) atomically."""
        ...

    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        """Store everything read from ``stream`` under ``key`` atomically; return the byte count."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object; the caller closes it. Raises ObjectNotFound."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """The object's bytes in chunks (for streaming responses). Raises ObjectNotFound."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes. Raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; no error when it is already gone."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix`` (ends with '/'); return how many."""
        ...

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix`` (ends with '/'), in no particular order."""
        ...

    def list_objects(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """(key, last modified in UTC) of every object under ``prefix`` (ends with '/')."""
        ...

    def sweep_temporary(self, before: datetime) -> int:
        """Remove what writes cut short by a crash left (temp files, unfinished multipart uploads)
        that began before ``before``; return how many."""
        ...

    def signed_url(self, key: str, disposition: str | None = None) -> str | None:
        """A time-limited download URL where the backend has one; None for the local store.

        ``disposition`` is the ``Content-Disposition`` the download answers with (already safe ASCII:
        ``photos.filenames.content_disposition`` makes it)."""
        ...

    def read_head(self, key: str, size: int) -> bytes:
        """The object's first ``size`` bytes (fewer when it is shorter). Raises ObjectNotFound."""
        ...

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, seconds: int
    ) -> PresignedPost | None:
        """A form for a browser to upload one file of ``content_type`` and at most ``max_bytes`` under
        ``key`` for ``seconds``; None when this store has no such thing (the local store)."""
        ...

    def check(self) -> None:
        """Raise ObjectStoreError when the store cannot be reached (for /readyz)."""
        ...
