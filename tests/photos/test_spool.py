"""Spooling uploads to disk: limits, hashing, and never leaving a temp file behind."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.datastructures import UploadFile

from eventlens.photos.errors import EmptyFile, TooLarge
from eventlens.photos.spool import CHUNK_SIZE, Spooled, SpoolWriter, spool_stream, spool_upload

from .badfiles import ACCEPTED_NAMES, REFUSED_NAMES, UPLOAD_LIMIT, Corpus

MiB = 2**20


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    d = tmp_path / "spool"
    d.mkdir()
    return d


def leftovers(d: Path) -> list[Path]:
    return sorted(d.iterdir())


def chunks_of(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


class FakeUpload:
    """Just the part of starlette's UploadFile we use, recording how it is read."""

    def __init__(self, data: bytes | None = None, *, total: int = 0, block: int = MiB) -> None:
        self.data = data
        self.total = total if data is None else len(data)
        self.block = block
        self.position = 0
        self.requests: list[int] = []

    async def read(self, size: int = -1) -> bytes:
        self.requests.append(size)
        n = self.total - self.position if size < 0 else min(size, self.total - self.position)
        chunk = b"\xab" * n if self.data is None else self.data[self.position : self.position + n]
        self.position += n
        await asyncio.sleep(0)
        return chunk


# --- synchronous ---------------------------------------------------------------------------------------


def test_spools_chunks_with_size_and_hash(spool_dir: Path) -> None:
    data = os.urandom(3 * MiB + 123)
    spooled = spool_stream(chunks_of(data, 64 * 1024), spool_dir, max_bytes=10 * MiB)
    assert spooled.size == len(data)
    assert spooled.sha256 == hashlib.sha256(data).hexdigest()
    assert spooled.path.parent == spool_dir
    assert spooled.path.read_bytes() == data


def test_spools_a_binary_file_in_1mib_reads(spool_dir: Path) -> None:
    data = os.urandom(2 * MiB + 5)
    reads: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    spooled = spool_stream(Recording(data), spool_dir, max_bytes=10 * MiB)
    assert (spooled.size, spooled.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert set(reads) == {CHUNK_SIZE}


def test_exactly_the_limit_is_allowed(spool_dir: Path) -> None:
    spooled = spool_stream([b"x" * 1000], spool_dir, max_bytes=1000)
    assert spooled.size == 1000


@pytest.mark.parametrize("pieces", [[b"x" * 1001], [b"x" * 600, b"x" * 401], [b"x" * 1000, b"y"]])
def test_one_byte_over_is_too_large_and_cleaned_up(spool_dir: Path, pieces: list[bytes]) -> None:
    with pytest.raises(TooLarge) as info:
        spool_stream(pieces, spool_dir, max_bytes=1000)
    assert info.value.limit == 1000
    assert (info.value.status, info.value.code) == (413, "file_too_large")
    assert leftovers(spool_dir) == []


def test_too_large_stops_reading_early(spool_dir: Path) -> None:
    consumed = 0

    def endless() -> Iterator[bytes]:
        nonlocal consumed
        while True:
            consumed += MiB
            yield b"\0" * MiB

    with pytest.raises(TooLarge):
        spool_stream(endless(), spool_dir, max_bytes=5 * MiB)
    assert consumed == 6 * MiB
    assert leftovers(spool_dir) == []


@pytest.mark.parametrize("source", [[], [b""], [b"", b""], io.BytesIO(b"")])
def test_empty_is_refused_and_cleaned_up(spool_dir: Path, source: list[bytes] | io.BytesIO) -> None:
    with pytest.raises(EmptyFile) as info:
        spool_stream(source, spool_dir, max_bytes=1000)
    assert (info.value.status, info.value.code) == (422, "empty_file")
    assert leftovers(spool_dir) == []


def test_failing_source_leaves_nothing(spool_dir: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"a" * 1000
        yield b"b" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        spool_stream(broken(), spool_dir, max_bytes=MiB)
    assert leftovers(spool_dir) == []


def test_context_manager_deletes_unless_kept(spool_dir: Path) -> None:
    with spool_stream([b"photo"], spool_dir, max_bytes=100) as spooled:
        assert spooled.path.exists()
    assert not spooled.path.exists()

    with pytest.raises(RuntimeError), spool_stream([b"photo"], spool_dir, max_bytes=100) as spooled:
        raise RuntimeError("storing failed")
    assert not spooled.path.exists()

    with spool_stream([b"photo"], spool_dir, max_bytes=100) as spooled:
        kept = spooled.keep()
    assert kept == spooled.path and kept.read_bytes() == b"photo"
    spooled.discard()
    spooled.discard()  # idempotent
    assert leftovers(spool_dir) == []


def test_push_writer(spool_dir: Path) -> None:
    writer = SpoolWriter(spool_dir, max_bytes=10)
    writer.write(b"12345")
    writer.write(b"")
    writer.write(b"67890")
    spooled = writer.finish()
    assert (spooled.size, spooled.sha256) == (10, hashlib.sha256(b"1234567890").hexdigest())
    spooled.discard()

    writer = SpoolWriter(spool_dir, max_bytes=10)
    writer.write(b"12345")
    with pytest.raises(TooLarge):
        writer.write(b"678901")
    assert writer.size == 5  # the refused chunk was never written
    writer.abort()
    writer.abort()

    writer = SpoolWriter(spool_dir, max_bytes=10)
    with pytest.raises(EmptyFile):
        writer.finish()
    writer.abort()  # harmless after finish() already cleaned up
    assert leftovers(spool_dir) == []


@pytest.mark.parametrize("name", REFUSED_NAMES + ACCEPTED_NAMES)
def test_corpus_spooling(corpus: Corpus, spool_dir: Path, name: str) -> None:
    sample = corpus[name]
    with open(sample.path, "rb") as f:
        if sample.spool_error is not None:
            with pytest.raises(sample.spool_error):
                spool_stream(f, spool_dir, max_bytes=UPLOAD_LIMIT)
            assert leftovers(spool_dir) == []
            return
        with spool_stream(f, spool_dir, max_bytes=UPLOAD_LIMIT) as spooled:
            assert spooled.sha256 == hashlib.sha256(sample.path.read_bytes()).hexdigest()
            assert spooled.size == sample.path.stat().st_size
    assert leftovers(spool_dir) == []


def test_memory_stays_flat_for_a_60mb_upload(corpus: Corpus, spool_dir: Path) -> None:
    path = corpus["big_60mb"].path
    tracemalloc.start()
    try:
        with open(path, "rb") as f, spool_stream(f, spool_dir, max_bytes=100 * MiB) as spooled:
            assert spooled.size == 60 * 10**6
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MiB


# --- async ---------------------------------------------------------------------------------------------


def test_async_spools_a_starlette_upload(spool_dir: Path) -> None:
    data = os.urandom(2 * MiB + 77)
    upload = UploadFile(file=io.BytesIO(data), filename="IMG_0001.JPG")
    spooled = asyncio.run(spool_upload(upload, spool_dir, max_bytes=10 * MiB))
    assert (spooled.size, spooled.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert spooled.path.read_bytes() == data
    spooled.discard()


def test_async_reads_1mib_at_a_time_and_stops_at_the_limit(spool_dir: Path) -> None:
    upload = FakeUpload(total=60 * 10**6)
    with pytest.raises(TooLarge):
        asyncio.run(spool_upload(upload, spool_dir, max_bytes=UPLOAD_LIMIT))
    assert set(upload.requests) == {CHUNK_SIZE}
    assert upload.position <= UPLOAD_LIMIT + CHUNK_SIZE  # stopped at the limit, not at the end
    assert leftovers(spool_dir) == []


def test_async_memory_stays_flat(spool_dir: Path) -> None:
    upload = FakeUpload(total=40 * MiB)
    tracemalloc.start()
    try:
        spooled = asyncio.run(spool_upload(upload, spool_dir, max_bytes=UPLOAD_LIMIT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert spooled.size == 40 * MiB
    assert peak < 8 * MiB
    spooled.discard()


def test_async_empty_upload(spool_dir: Path) -> None:
    with pytest.raises(EmptyFile):
        asyncio.run(spool_upload(FakeUpload(b""), spool_dir, max_bytes=100))
    assert leftovers(spool_dir) == []


def test_async_cancelled_upload_leaves_nothing(spool_dir: Path) -> None:
    async def main() -> None:
        stalled = asyncio.Event()

        class Stalling(FakeUpload):
            async def read(self, size: int = -1) -> bytes:
                if self.position >= 3 * MiB:
                    stalled.set()
                    await asyncio.Event().wait()  # the client stops sending
                return await super().read(size)

        task = asyncio.create_task(spool_upload(Stalling(total=10 * MiB), spool_dir, max_bytes=UPLOAD_LIMIT))
        await asyncio.wait_for(stalled.wait(), timeout=10)
        assert len(leftovers(spool_dir)) == 1  # the partial file exists while the upload hangs
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert leftovers(spool_dir) == []


def test_spooled_is_a_plain_record(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"1")
    with Spooled(path=path, size=1, sha256="0" * 64) as spooled:
        assert "_kept" not in repr(spooled)
    assert not path.exists()
