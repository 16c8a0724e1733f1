"""The same contract for every object store: the local folder and S3 (a real SeaweedFS server)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eventlens.photos.filenames import content_disposition
from eventlens.storage.base import InvalidKey, ObjectNotFound, ObjectStore, ObjectStoreError
from eventlens.storage.local import LocalObjectStore
from eventlens.storage.s3 import S3ObjectStore
from tests.photos.names import check_disposition
from tests.support.seaweedfs import SeaweedFS, run_seaweedfs


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    with run_seaweedfs(tmp_path_factory.mktemp("weed-contract")) as server:
        yield server


def _s3(server: SeaweedFS, *, secret: str | None = None, bucket: str | None = None) -> S3ObjectStore:
    return S3ObjectStore(
        bucket or f"c-{uuid.uuid4().hex[:12]}",
        endpoint_url=server.endpoint_url,
        access_key_id=server.access_key,
        secret_access_key=secret or server.secret_key,
        region=server.region,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    return _s3(request.getfixturevalue("weed"))


def test_put_read_size_exists_delete(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)
    src.write_bytes(data)
    store.put_file("events/e1/photos/a.jpg", src, "image/jpeg")
    assert store.exists("events/e1/photos/a.jpg")
    assert store.size("events/e1/photos/a.jpg") == len(data)
    with store.open("events/e1/photos/a.jpg") as fh:
        assert fh.read() == data
    assert b"".join(store.iter_chunks("events/e1/photos/a.jpg", 65536)) == data
    store.delete("events/e1/photos/a.jpg")
    store.delete("events/e1/photos/a.jpg")  # already gone: no error
    assert not store.exists("events/e1/photos/a.jpg")


def test_put_stream_counts_and_overwrites(store: ObjectStore) -> None:
    assert store.put_stream("k/x.bin", io.BytesIO(b"first version")) == 13
    assert store.put_stream("k/x.bin", io.BytesIO(b"second")) == 6
    with store.open("k/x.bin") as fh:
        assert fh.read() == b"second"


def test_missing_objects_raise_not_found(store: ObjectStore) -> None:
    for call in (store.open, store.size, store.iter_chunks):
        with pytest.raises(ObjectNotFound):
            call("nope/missing.jpg")
    assert not store.exists("nope/missing.jpg")


def test_prefix_listing_and_deletion_stay_inside_the_prefix(store: ObjectStore) -> None:
    for key in ("events/a/photos/1.jpg", "events/a/photos/2.jpg", "events/a/x.webp", "events/ab/1.jpg"):
        store.put_stream(key, io.BytesIO(b"x"))
    assert sorted(store.list_keys("events/a/")) == [
        "events/a/photos/1.jpg",
        "events/a/photos/2.jpg",
        "events/a/x.webp",
    ]
    assert store.delete_prefix("events/a/") == 3
    assert list(store.list_keys("events/a/")) == []
    assert list(store.list_keys("events/ab/")) == ["events/ab/1.jpg"]
    assert store.delete_prefix("events/none/") == 0


@pytest.mark.parametrize(
    "key", ["../x", "/abs", "a/../b", "a//b", "", "a\\b", "a/./b", "with space", "nul\x00", "a/"]
)
def test_unsafe_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_stream(key, io.BytesIO(b"x"))
    with pytest.raises(InvalidKey):
        store.exists(key)


def test_a_failing_stream_leaves_no_object_and_no_temp_file(store: ObjectStore, tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            if self.sent >= 2 * 1024 * 1024:
                raise OSError("client went away")
            n = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024)
            self.sent += n
            return b"x" * n

    with pytest.raises((OSError, ObjectStoreError)):
        store.put_stream("events/e/broken.jpg", Broken())  # type: ignore[arg-type]
    assert not store.exists("events/e/broken.jpg")
    if isinstance(store, LocalObjectStore):
        assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_local_keys_cannot_escape_through_a_symlink(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    (tmp_path / "objects").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "objects" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(InvalidKey):
        store.put_stream("link/evil.txt", io.BytesIO(b"x"))
    assert list((tmp_path / "outside").iterdir()) == []


def test_local_store_has_no_signed_urls(tmp_path: Path) -> None:
    assert LocalObjectStore(tmp_path).signed_url("a/b.jpg") is None


def test_s3_signed_url_downloads_the_bytes_with_the_filename(weed: SeaweedFS) -> None:
    store = _s3(weed)
    store.put_stream("events/e/p.jpg", io.BytesIO(b"jpeg bytes"), "image/jpeg")
    url = store.signed_url("events/e/p.jpg", content_disposition("attachment", "фото party.jpg"))
    assert url is not None
    r = httpx.get(url)
    assert r.status_code == 200 and r.content == b"jpeg bytes"
    assert check_disposition(r.headers["content-disposition"], "attachment") == "фото party.jpg"


def test_s3_wrong_secret_fails_clearly(weed: SeaweedFS) -> None:
    good = _s3(weed)
    bad = S3ObjectStore(
        good.bucket,
        endpoint_url=weed.endpoint_url,
        access_key_id=weed.access_key,
        secret_access_key="wrong-secret",
        create_bucket=False,
    )
    with pytest.raises(ObjectStoreError):
        bad.check()
    with pytest.raises(ObjectStoreError):
        bad.put_stream("a/b.jpg", io.BytesIO(b"x"))
    good.check()
