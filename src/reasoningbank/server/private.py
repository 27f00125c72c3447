"""The state dir kept private: created 0700 with 0600 files whatever the umask; looser modes warned about.

The state dir holds the API keys' hashes and the queued learning requests,
so no other local user may read it. A directory or file this module creates
gets its mode by ``chmod`` right after creation, since the umask can only take
bits away and a ``0o022`` umask would leave group and others able to read.
SQLite creates a database's ``-wal`` and ``-shm`` sidecars with the main
file's mode, so a private database keeps private sidecars.

A directory or file that already exists is never changed behind its owner's
back (they may share it with a group on purpose): :func:`loose_modes` names
each one that group or others may use, with the ``chmod`` that makes it private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) if needed; the directory itself is made 0700 when new."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:  # made by another process in the meantime: its mode is its own
        return
    path.chmod(DIR_MODE)


def private_file(path: Path) -> int:
    """Open ``path`` read-write, creating it 0600 when it is new; returns the descriptor."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    os.fchmod(fd, FILE_MODE)
    return fd


def touch_private(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (so SQLite opens a file that is already private)."""
    os.close(private_file(path))


def loose_modes(state_dir: Path) -> list[str]:
    """One line for the state dir, and one for each file in it, that group or others may use."""
    found: list[str] = []
    paths = [state_dir, *sorted(p for p in state_dir.iterdir() if p.is_file())] if state_dir.is_dir() else []
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = DIR_MODE if path.is_dir() else FILE_MODE
        if mode & 0o077:
            kind = "directory" if path.is_dir() else "file"
            found.append(
                f"the state {kind} {path} is mode {mode:o}, open to other users: run 'chmod {want:o} {path}'"
            )
    return found
