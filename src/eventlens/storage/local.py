"""Object store in a local folder: atomic writes (temp file + rename), keys that cannot escape the root."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from eventlens.storage.base import (
    InvalidKey,
    ObjectNotFound,
    ObjectStoreError,
    validate_key,
    validate_prefix,
    write_error,
)

_TMP_PREFIX = ".tmp-"


class LocalObjectStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = (self.root / key).resolve()
        # validate_key already forbids '..'; this guards against symlinks inside the root as well.
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"invalid object key: {key!r}")
        return path

    def _write(self, key: str, fill: BinaryIO | Path) -> int:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(fill, Path):
                    with fill.open("rb") as src:
                        shutil.copyfileobj(src, out, 1024 * 1024)
                else:
                    shutil.copyfileobj(fill, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return size

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        try:
            self._write(key, Path(path))
        except OSError as exc:
            raise write_error(key, exc) from exc

    def put_stream(self, key: str, stream: BinaryIO, content_type: str | None = None) -> int:
        try:
            return self._write(key, stream)
        except OSError as exc:
            raise write_error(key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except IsADirectoryError as exc:
            raise ObjectNotFound(key) from exc

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        fh = self.open(key)  # opened now, so a missing object fails before streaming starts

        def chunks() -> Iterator[bytes]:
            with fh:
                while chunk := fh.read(chunk_size):
                    yield chunk

        return chunks()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # a read-only folder: the caller keeps its row and says why
            raise write_error(key, exc) from exc
        self._prune(path.parent)

    def _prune(self, folder: Path) -> None:
        """Remove empty folders up to the root, so deleted events leave no empty trees."""
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def list_keys(self, prefix: str) -> Iterator[str]:
        validate_prefix(prefix)
        base = self._path(prefix[:-1])
        if not base.is_dir():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if not name.startswith(_TMP_PREFIX):
                    yield str((Path(dirpath) / name).relative_to(self.root))

    def list_objects(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        for key in self.list_keys(prefix):
            try:
                modified = self._path(key).stat().st_mtime
            except FileNotFoundError:
                continue  # deleted while we listed
            yield key, datetime.fromtimestamp(modified, UTC)

    def sweep_temporary(self, before: datetime) -> int:
        removed = 0
        cutoff = before.timestamp()
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath) / name
                with contextlib.suppress(FileNotFoundError):
                    if name.startswith(_TMP_PREFIX) and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                        self._prune(path.parent)
        return removed

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list_keys(prefix))
        for key in keys:
            try:
                self._path(key).unlink(missing_ok=True)
            except OSError as exc:
                raise write_error(key, exc) from exc
        base = self._path(prefix[:-1])
        if base.is_dir():
            shutil.rmtree(base, ignore_errors=True)
        self._prune(base.parent)
        return len(keys)

    def signed_url(self, key: str, disposition: str | None = None) -> str | None:
        return None

    def read_head(self, key: str, size: int) -> bytes:
        with self.open(key) as f:
            return f.read(size)

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, seconds: int) -> None:
        return None  # files reach this store through the API

    def check(self) -> None:
        if not self.root.is_dir() or not os.access(self.root, os.W_OK):
            raise ObjectStoreError(f"object folder {self.root} is missing or not writable")
