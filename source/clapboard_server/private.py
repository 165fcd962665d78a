"""Files and folders only their owner may read, whatever the process's umask."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = stat.S_IRWXU  # 0700
FILE_MODE = stat.S_IRUSR | stat.S_IWUSR  # 0600


def make_folder(path: Path) -> Path:
    """Create folder ``path`` (and missing parents) with mode 0700.

    A folder that already exists keeps its mode; a warning names it when others may read it.
    """
    path = Path(path)
    if not path.parent.exists():
        make_folder(path.parent)
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        if path.is_dir() and stat.S_IMODE(path.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s can be read by other users; make it private with: chmod 700 %s", path, path)
        return path
    os.chmod(path, FOLDER_MODE)  # mkdir's mode is reduced by the umask
    return path


def create_file(path: Path) -> None:
    """Create an empty file at ``path`` with mode 0600 unless it exists."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
    os.chmod(path, FILE_MODE)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (replacing its content) with mode 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, FILE_MODE)
