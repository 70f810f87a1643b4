"""cratedig's own temp root: every job folder lives in the folder of the live process that made
it, `<root>/<pid>-<random>/`, which holds a lock for that process's lifetime. The sweep at
worker start removes the folders whose lock it can take: their process is gone (killed,
crashed), since the kernel drops a process's locks when it dies, however it dies.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT_NAME = "cratedig"
LOCK_NAME = ".lock"
# `<pid>-<mkdtemp's random part>`: a sweep touches nothing else, even in a root shared by mistake.
FOLDER_NAME = re.compile(r"[0-9]+-[A-Za-z0-9_]+")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessFolder:
    """This process's folder under a temp root and the open, locked lock file inside it."""

    root: Path
    path: Path
    lock_fd: int


@dataclass(frozen=True)
class Swept:
    """What a sweep removed: folders of ended processes and the bytes they held."""

    folders: int = 0
    bytes: int = 0


_configured: Path | None = None  # CRATEDIG_TEMP_DIR, set when the runtime starts
_claimed: dict[Path, ProcessFolder] = {}
_guard = threading.Lock()
_removal_at_exit = False


def use_root(root: Path | None) -> None:
    """Make `root` (None: `<system temp dir>/cratedig`) where this process's jobs work."""
    global _configured
    _configured = root


def temp_root() -> Path:
    """The temp root now in use: the configured one, or `cratedig` in the system temp dir."""
    return _configured if _configured is not None else Path(tempfile.gettempdir()) / ROOT_NAME


def process_folder() -> Path:
    """This process's folder under the temp root, made and locked on first use."""
    root = temp_root()
    with _guard:
        owned = _claimed.get(root)
        if owned is None or not owned.path.is_dir():
            if owned is not None:  # someone removed it under us: make a new one
                os.close(owned.lock_fd)
            owned = _claimed[root] = _claim(root)
        return owned.path


def release_process_folders() -> None:
    """Remove this process's folders (and whatever jobs left in them) and drop their locks."""
    with _guard:
        owned = list(_claimed.values())
        _claimed.clear()
    for folder in owned:
        shutil.rmtree(folder.path, ignore_errors=True)
        os.close(folder.lock_fd)


def sweep(root: Path | None = None) -> Swept:
    """Remove the folders under the temp root whose process has ended; log what went."""
    root = root or temp_root()
    try:
        children = sorted(root.iterdir())
    except FileNotFoundError:
        return Swept()
    except OSError as exc:  # a worker with an unreadable temp root still works (jobs say why)
        log.warning("temp root %s not swept: %s", root, exc)
        return Swept()
    folders = total = 0
    for child in children:
        if not FOLDER_NAME.fullmatch(child.name) or child.is_symlink() or not child.is_dir():
            continue  # not a process folder: leave what we did not make alone
        size = _remove_if_abandoned(child)
        if size is not None:
            folders, total = folders + 1, total + size
    if folders:
        log.info(
            "temp root %s: removed %d folders of ended processes (%d bytes)", root, folders, total
        )
    return Swept(folders, total)


def _claim(root: Path) -> ProcessFolder:
    global _removal_at_exit
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    found = os.lstat(root)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        # In a shared /tmp another user could have put a link or a folder of theirs there.
        raise PermissionError(f"temp root {root} is not a folder of this user (CRATEDIG_TEMP_DIR)")
    while True:
        path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        fd = _lock_if_free(path)
        if fd is not None:
            if not _removal_at_exit:
                atexit.register(release_process_folders)
                _removal_at_exit = True
            return ProcessFolder(root, path, fd)
        # A sweep took the new folder's lock first (and is removing it): make another.


def _remove_if_abandoned(folder: Path) -> int | None:
    """Remove `folder` and return its size when no live process holds its lock."""
    fd = _lock_if_free(folder)
    if fd is None:
        return None
    try:
        size = _tree_size(folder)
        shutil.rmtree(folder, ignore_errors=True)
        return size
    finally:
        os.close(fd)


def _lock_if_free(folder: Path) -> int | None:
    """The folder's lock file, opened and locked; None when a live process holds it (or the
    folder went away meanwhile)."""
    lock = folder / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None  # gone meanwhile, or another user's: not ours to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Between open and lock the folder may have been removed (by a sweep holding the lock
        # then): a lock on a file no longer at its path protects nothing.
        if os.stat(lock).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(lock)
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return fd


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total
