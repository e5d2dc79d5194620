"""Output folders: a command writes only where it may, one writer at a time, and several files as one change.

- claim_folder: a command writes into a new or empty folder, or into one that already holds its
  own kind of output (a corpus over a corpus, a bundle over a bundle); anything else is refused
  before any work is done, so `-o ~/music` never touches the music.
- locked: one command at a time writes a folder (an advisory lock on the folder itself, released
  when the process ends however it ends); a second one is told so at once.
- write_together: several files published as one change; a full disk while they are written
  changes nothing.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from jazzgen.errors import UsageError
from jazzgen.files.fileio import disk_full, file_mode, is_disk_full, shown


def entries(folder: Path) -> list[str]:
    """The names in a folder, without the temporary files jazzgen's own writes leave on a kill."""
    return sorted(name for name in os.listdir(folder) if not is_temporary(name))


def is_temporary(name: str) -> bool:
    """Whether a name is one of fileio's temporary names ('.NAME.xxxx.tmp')."""
    return name.startswith(".") and name.endswith(".tmp")


def claim_folder(path: str | Path, kind: str, holds_own: Callable[[Path], bool], option: str = "-o") -> str:
    """'new', 'empty' or 'own' (path holds a `kind` already, as holds_own(path) judges); UsageError
    when path is a file, or a folder that holds anything else."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {shown(path)}: it is a file; give a folder name for the {kind}")
    if not path.exists():
        return "new"
    try:
        names = entries(path)
    except OSError as err:
        raise UsageError(
            f"{option} {shown(path)}: cannot list it ({err.strerror or err}); choose another folder"
        ) from None
    if not names:
        return "empty"
    if holds_own(path):
        return "own"
    raise UsageError(
        f"{option} {shown(path)}: this folder holds files that are not a jazzgen {kind} "
        f"({_some(names)}); jazzgen writes a {kind} only into a new or empty folder or over "
        f"a {kind} it wrote: give a new folder name"
    )


def _some(names: list[str]) -> str:
    listed = ", ".join(shown(n) for n in names[:3])
    return listed + (f" and {len(names) - 3:,} more" if len(names) > 3 else "")


def is_cwd_or_above(path: Path) -> bool:
    """Whether path is the current folder or one of the folders it is in."""
    here = Path.cwd().resolve()
    target = path.resolve()
    return here == target or target in here.parents


@contextmanager
def locked(folder: Path, what: str = "writing"):
    """Hold the folder's lock while the block runs; UsageError at once when another process holds it.
    The folder must exist."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another jazzgen command is {what} {shown(folder)}; wait for it to finish, "
                "or choose another folder"
            ) from None
        yield
    finally:
        os.close(fd)


def write_together(folder: Path, files: list[tuple[str, bytes]]) -> None:
    """Write files into folder as one change: every file is written under a temporary name first,
    and only when all are written are they renamed into place, in the order given (put the file
    that vouches for the others last). A full disk while writing leaves the folder as it was."""
    staged: list[tuple[str, str]] = []
    try:
        for name, data in files:
            staged.append((_stage(folder, name, data), name))
        for tmp, name in staged:
            os.replace(tmp, folder / name)
    except OSError as err:
        if is_disk_full(err):
            raise disk_full(folder, "nothing was changed") from None
        raise
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _stage(folder: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, file_mode())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp
