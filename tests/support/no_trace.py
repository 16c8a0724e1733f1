"""Proof that a selfie left no trace: no piece of its bytes in the object store, the data folder or any
text or binary column of the database, and no image at all in those columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, String, Text, select

from eventlens.db import Base, session_scope

IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8")


def _everything_stored(app: Any) -> list[bytes]:
    """Every object in the store and every file under the data folder, as bytes."""
    ctx = app.state.ctx
    found = [b"".join(ctx.storage.iter_chunks(key)) for key in ctx.storage.list_keys("events/")]
    for path in Path(ctx.site.data_dir).rglob("*"):
        if path.is_file():
            found.append(path.read_bytes())
    return found


def assert_no_trace_of(app: Any, selfie: bytes) -> None:
    # Eight 256-byte pieces spread over the file: any copy, whole or in part, holds one of them.
    chunks = [selfie[i : i + 256] for i in range(0, len(selfie) - 256, len(selfie) // 8)]
    for blob in _everything_stored(app):
        assert not any(chunk in blob for chunk in chunks)
    with session_scope(app.state.ctx.sessions) as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, LargeBinary | String | Text)]
            for column in columns:
                for value in db.scalars(select(column)):
                    data = value.encode() if isinstance(value, str) else bytes(value or b"")
                    assert not data.startswith(IMAGE_MAGIC), (table.name, column.name)
                    assert not any(chunk in data for chunk in chunks), (table.name, column.name)
