"""One login's upload area: its home directory in the spool, whose event it feeds, what is still pending.

Every login gets a fresh, empty home (two cameras on one credential never see each other's files). A
finished file is handed to the API at once when its name is final (an image suffix); a file under a
temporary name (``IMG_0001.JPG.part``, ``.in.IMG_0001.JPG``, no suffix) waits until a rename gives it its final
name, or until the session ends, so the API sees the name the camera meant.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from eventlens.ftp.gateway.authorizer import Login
from eventlens.ftp.gateway.handoff import UploadMeta

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
MAX_ALBUM = 200  # Photo.album's length


def has_final_name(path: Path) -> bool:
    """An image suffix, and not a hidden or backup-style name: clients that upload under a temporary
    name use ``IMG.JPG.part``, ``IMG.tmp``, ``.in.IMG.JPG.`` (lftp) or ``~IMG.JPG``."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith((".", "~"))


@dataclass
class UploadSession:
    login: Login
    client_ip: str
    home: Path
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    pending: set[Path] = field(default_factory=set)
    received: int = 0

    @classmethod
    def open(cls, sessions_dir: Path, login: Login, client_ip: str) -> UploadSession:
        session_id = uuid.uuid4().hex
        home = sessions_dir / session_id
        home.mkdir(parents=True)
        return cls(login=login, client_ip=client_ip, home=home, id=session_id)

    def album_of(self, path: Path) -> str | None:
        """The folder inside the upload area (``Ceremony/Day 1``), or None at its top."""
        parent = PurePosixPath(*path.parent.relative_to(self.home).parts)
        text = str(parent)
        return None if text in ("", ".") else text[:MAX_ALBUM]

    def meta_for(self, path: Path) -> UploadMeta:
        return UploadMeta(
            event_id=str(self.login.event_id),
            credential_id=str(self.login.credential_id),
            username=self.login.username,
            client_ip=self.client_ip,
            filename=path.name,
            album=self.album_of(path),
            received_at=time.time(),
        )

    def remove(self) -> None:
        """Delete the home (files already handed off live on in the outbox through their own link)."""
        shutil.rmtree(self.home, ignore_errors=True)
