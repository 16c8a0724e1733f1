"""A full or read-only disk is 507 ``insufficient_storage`` (a page with 507 outside /api), never a
plain-text 500, and leaves no partial file behind: while spooling, while writing the object, on delete.

The disk is made full where the bytes are written (the spool file's write, the local store's copy, the
S3 client's upload), so the tests need no root mount and run on both profiles.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from PIL import Image

from eventlens.storage.base import ObjectStoreError
from tests.factories import assert_error, create_event, signup, upload
from tests.web.test_error_pages import error_page


def _jpeg(seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 30)).save(out, "JPEG")
    return out.getvalue()


def _full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _spool_dir(client: TestClient) -> Path:
    return Path(client.app.state.ctx.site.data_dir) / "spool" / "uploads"  # type: ignore[attr-defined]


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


class _FillsUp:
    """A spool file whose disk fills up after the first bytes: part of the chunk lands, then ENOSPC."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.name = real.name

    def write(self, data: bytes) -> int:
        self._real.write(data[:100])
        self._real.flush()
        raise _full()

    def close(self) -> None:
        self._real.close()


@pytest.fixture
def full_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tempfile.NamedTemporaryFile

    def spool_file(*args: Any, **kwargs: Any) -> Any:
        made = real(*args, **kwargs)
        return _FillsUp(made) if kwargs.get("prefix") == "upload-" else made

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", spool_file)


@pytest.fixture
def full_object_store(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The object store's disk (or bucket) has no room: the write fails part-way."""
    store = client.app.state.ctx.storage  # type: ignore[attr-defined]
    if store.name == "local":

        def copy_then_fail(src: Any, dst: Any, length: int = 0) -> None:
            dst.write(src.read(100))
            raise _full()

        monkeypatch.setattr(shutil, "copyfileobj", copy_then_fail)
    else:
        full = {"Error": {"Code": "XMinioStorageFull", "Message": "Storage backend has reached its limit"}}

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise ClientError(full | {"ResponseMetadata": {"HTTPStatusCode": 507}}, "PutObject")

        monkeypatch.setattr(store.client, "put_object", refuse)
        monkeypatch.setattr(store.client, "upload_part", refuse)
        monkeypatch.setattr(store.client, "create_multipart_upload", refuse)


def _event_photos(client: TestClient, event_id: str) -> list[Any]:
    r = client.get(f"/api/events/{event_id}/photos")
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


def test_a_full_spool_disk_answers_507_and_keeps_no_part(client: TestClient, full_spool: None) -> None:
    signup(client)
    event = create_event(client)
    err = assert_error(upload(client, event["id"], ("a.jpg", _jpeg())), 507, "insufficient_storage")
    assert "disk is full" in err["message"]
    assert _leftovers(_spool_dir(client)) == []
    assert _event_photos(client, event["id"]) == []


def test_a_full_object_store_answers_507_and_keeps_nothing(
    client: TestClient, full_object_store: None
) -> None:
    signup(client)
    event = create_event(client)
    assert_error(upload(client, event["id"], ("a.jpg", _jpeg())), 507, "insufficient_storage")
    assert _leftovers(_spool_dir(client)) == []
    assert _event_photos(client, event["id"]) == []
    store = client.app.state.ctx.storage  # type: ignore[attr-defined]
    assert list(store.list_keys(f"events/{event['id']}/")) == []
    if store.name == "local":  # no half-written temp object either
        assert [p for p in store.root.rglob(".tmp-*")] == []


def test_the_event_page_upload_on_a_full_disk_is_a_507_page(client: TestClient, full_spool: None) -> None:
    signup(client)
    event = create_event(client)
    r = client.post(f"/events/{event['id']}/upload", files=[("files", ("a.jpg", _jpeg(), "image/jpeg"))])
    page = error_page(r, 507)
    assert "disk is full" in page.parts["error-message"]
    assert _leftovers(_spool_dir(client)) == []


def test_deleting_on_a_read_only_store_answers_507_and_keeps_the_photo(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signup(client)
    event = create_event(client)
    r = upload(client, event["id"], ("a.jpg", _jpeg()))
    assert r.status_code == 201, r.text
    photo_id = r.json()["items"][0]["id"]
    store = client.app.state.ctx.storage  # type: ignore[attr-defined]
    if store.name == "local":
        real_unlink = Path.unlink

        def read_only(self: Path, missing_ok: bool = False) -> None:
            if self.is_relative_to(store.root):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
            real_unlink(self, missing_ok=missing_ok)

        monkeypatch.setattr(Path, "unlink", read_only)
        err = assert_error(client.delete(f"/api/photos/{photo_id}"), 507, "insufficient_storage")
        assert "read-only" in err["message"]
    else:  # an S3 endpoint that fails is worth a retry: 503 with Retry-After

        def unreachable(*args: Any, **kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "DeleteObject")

        monkeypatch.setattr(store.client, "delete_object", unreachable)
        r = client.delete(f"/api/photos/{photo_id}")
        assert_error(r, 503, "storage_unavailable")
        assert int(r.headers["Retry-After"]) > 0
    monkeypatch.undo()
    assert client.get(f"/api/photos/{photo_id}").status_code == 200  # the row stays with its objects
    original = client.get(f"/api/photos/{photo_id}/original", follow_redirects=False)
    assert original.status_code in (200, 307)  # streamed, or (S3) a redirect to its signed URL


def test_write_errors_of_the_store_are_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlens.storage.base import StorageFull, write_error
    from eventlens.storage.local import LocalObjectStore

    assert isinstance(write_error("k", OSError(errno.EDQUOT, "quota")), StorageFull)
    read_only = write_error("k", OSError(errno.EROFS, "ro"))
    assert isinstance(read_only, StorageFull) and read_only.read_only
    other = write_error("k", OSError(errno.EIO, "io"))
    assert isinstance(other, ObjectStoreError) and not isinstance(other, StorageFull)

    store = LocalObjectStore(tmp_path / "objects")
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 4096)

    def copy_then_fail(src: Any, dst: Any, length: int = 0) -> None:
        dst.write(src.read(100))
        raise _full()

    monkeypatch.setattr(shutil, "copyfileobj", copy_then_fail)
    with pytest.raises(StorageFull):
        store.put_file("events/a/b.jpg", source)
    with pytest.raises(StorageFull):
        store.put_stream("events/a/c.jpg", io.BytesIO(b"y" * 4096))
    assert [p for p in (tmp_path / "objects").rglob("*") if p.is_file()] == []
