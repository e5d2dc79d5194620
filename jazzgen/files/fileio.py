"""Files in and out: atomic writes, bounded reads, and names shown safely in messages.

Every file jazzgen writes goes to a temporary name beside it and is then renamed, so a kill or a
full disk leaves either the old file or the new one, never half of one. Every small file jazzgen
reads (JSON settings, vocabularies, text) is read through read_bytes: a regular file under a size
cap, so a link to /dev/zero or a FIFO cannot exhaust memory or block.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from jazzgen.errors import DataError, UsageError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
MAX_SHOWN = 80  # characters of a user's input repeated in a message


class DiskFull(DataError):
    """The disk (or the user's quota) filled up while jazzgen wrote; what it wrote was undone."""


def disk_full(where: str | Path, undone: str = "it was left as it was") -> DiskFull:
    return DiskFull(f"disk full while writing {shown(where)}: {undone}; free some space and run again")


def is_disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in DISK_FULL


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        if is_disk_full(err):
            raise disk_full(path) from None
        raise UsageError(
            f"cannot write {shown(path)}: {_why_unwritable(path) or err.strerror or err}; "
            "choose a writable folder"
        ) from None
    os.close(fd)
    os.chmod(tmp, file_mode())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if is_disk_full(err):
            raise disk_full(path) from None
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a file jazzgen writes gets: 0666 less the umask (mkstemp alone gives 0600)."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """The mode a folder jazzgen makes gets: 0777 less the umask (mkdtemp alone gives 0700)."""
    return 0o777 & ~_umask()


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def check_writable(path: str | Path, folder: bool = False) -> None:
    """UsageError, before any work is done, when path cannot be written: a file where a folder
    must be, or a folder jazzgen may not write in. folder: path is to be a folder, not a file."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise UsageError(f"cannot write {shown(path)}: it is a file; give a folder name")
    if not folder and path.is_dir():
        raise UsageError(f"cannot write {shown(path)}: it is a folder; give a file name")
    why = _why_unwritable(path)
    if why:
        raise UsageError(f"cannot write {shown(path)}: {why}; choose a writable folder")


def _why_unwritable(path: Path) -> str:
    """Why nothing can be written at path, judged from its nearest existing ancestor; '' if it can."""
    ancestor = next((p for p in path.parents if p.exists()), None)
    if ancestor is None:
        return ""
    if not ancestor.is_dir():
        return f"{shown(ancestor)} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{shown(ancestor)} is not writable"
    return ""


# ---------------------------------------------------------------- reading


def read_bytes(path: str | Path, limit: int, fix: str = "restore it or give another file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; DataError naming the file and `fix`
    for anything else (a folder, a device, a FIFO, a link to one, a larger file, an unreadable one).
    A missing file is the caller's to report."""
    path = Path(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{shown(path)}: not a regular file ({_file_kind(info.st_mode)}); {fix}")
        if info.st_size > limit:
            raise DataError(
                f"{shown(path)}: {_size(info.st_size)}, over the {_size(limit)} jazzgen reads "
                f"for such a file; {fix}"
            )
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as err:
        raise DataError(f"{shown(path)}: cannot read it ({err.strerror or err}); {fix}") from None
    if len(data) > limit:  # it grew while being read
        raise DataError(f"{shown(path)}: over the {_size(limit)} jazzgen reads for such a file; {fix}")
    return data


def read_json(path: str | Path, limit: int, fix: str = "restore it or give another file"):
    """The JSON value in a regular file of at most `limit` bytes; DataError for anything else,
    nesting too deep for Python included."""
    data = read_bytes(path, limit, fix)
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise DataError(f"{shown(path)}: not UTF-8 text (byte {err.start}); {fix}") from None
    except RecursionError:
        raise DataError(f"{shown(path)}: its JSON is nested too deeply to be jazzgen's; {fix}") from None
    except ValueError as err:
        raise DataError(f"{shown(path)}: unreadable JSON ({err}); {fix}") from None


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def _size(count: int) -> str:
    if count >= 2**20:
        return f"{count / 2**20:.1f} MiB"
    return f"{count / 2**10:.1f} KiB" if count >= 2**10 else f"{count} bytes"


# ---------------------------------------------------------------- messages


def shown(name: str | Path) -> str:
    """A file name as a message shows it: as it is when it prints plainly, else quoted with its
    control characters escaped, so a name holding a line break cannot forge a line of output."""
    text = str(name)
    if text.isprintable() and text.strip() == text:
        return text
    return repr(text)


def one_line(text: str) -> str:
    """text with its line breaks and other control characters escaped: one line of output."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clipped(text: str, limit: int = MAX_SHOWN) -> str:
    """A user's input cut for a message: the first `limit` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def json_text(data, **options) -> str:
    """JSON text, readable where it can be; a file name that is not UTF-8 (Python holds its bytes
    as surrogate escapes) is written with \\u escapes, which read back to the same name."""
    text = json.dumps(data, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, **options)
    return text
