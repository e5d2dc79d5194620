"""Atomic writes: every file jazzgen writes goes to a temporary name beside it, then is renamed."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from jazzgen.errors import UsageError


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {_why_unwritable(path) or err.strerror or err}; "
                         "choose a writable folder") from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
        raise UsageError(f"cannot write {path}: it is a file; give a folder name")
    if not folder and path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder; give a file name")
    why = _why_unwritable(path)
    if why:
        raise UsageError(f"cannot write {path}: {why}; choose a writable folder")


def _why_unwritable(path: Path) -> str:
    """Why nothing can be written at path, judged from its nearest existing ancestor; '' if it can."""
    ancestor = next((p for p in path.parents if p.exists()), None)
    if ancestor is None:
        return ""
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable"
    return ""


def json_text(data, **options) -> str:
    """JSON text, readable where it can be; a file name that is not UTF-8 (Python holds its bytes
    as surrogate escapes) is written with \\u escapes, which read back to the same name."""
    text = json.dumps(data, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, **options)
    return text
