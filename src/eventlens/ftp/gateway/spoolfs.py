"""A session's upload area on disk, as pyftpdlib sees it.

Two differences from pyftpdlib's ``AbstractedFS``:

* ``chdir`` never calls ``os.chdir``: the gateway may share its process with the web app (``serve``),
  and the working directory is process-wide. Folders that do not exist yet are made on the way.
* A file handed to the outbox shares its inode with the outbox's link. Before anything writes to such
  a name again (STOR over it, APPE, REST + STOR) the name is detached from that inode, so the bytes on
  their way to the API never change under them.
"""

from __future__ import annotations

import errno
import os
import shutil
from typing import IO, Any

from pyftpdlib.filesystems import AbstractedFS


def detach(path: str, keep_content: bool) -> None:
    """Give ``path`` an inode of its own if another link (the outbox's) shares it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if st.st_nlink <= 1:
        return
    if not keep_content:
        os.unlink(path)  # STOR truncates: a fresh file will do
        return
    tmp = f"{path}.detach"
    shutil.copyfile(path, tmp)
    os.replace(tmp, path)


def make_placeholder(path: str, inode: int) -> bool:
    """Swap a file the API already has for a sparse file of the same size and time.

    SIZE and LIST keep answering what the session uploaded while the session's bytes no longer take
    disk space (a long session may send hundreds of photos). Only when ``path`` is still that inode and
    nothing else links to it; True when swapped.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    if st.st_ino != inode or st.st_nlink != 1:
        return False
    tmp = f"{path}.placeholder"
    with open(tmp, "wb") as f:
        f.truncate(st.st_size)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)
    return True


class SpoolFS(AbstractedFS):
    def chdir(self, path: str) -> None:
        # Any folder works: a camera configured with a target folder may CWD into it without MKD, and
        # a client that reconnects finds a fresh session where its folders do not exist yet.
        os.makedirs(path, exist_ok=True)
        if not os.path.isdir(path):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        self.cwd = self.fs2ftp(path)

    def open(self, filename: str, mode: str) -> IO[Any]:
        if any(c in mode for c in "wa+"):
            os.makedirs(os.path.dirname(filename), exist_ok=True)  # STOR sub/IMG.JPG without MKD
            detach(filename, keep_content="w" not in mode)
        return open(filename, mode)  # pyftpdlib closes it when the transfer ends
