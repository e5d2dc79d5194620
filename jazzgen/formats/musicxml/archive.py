"""The text of a MusicXML file, read and checked before music21 parses it, so that time and
memory stay bounded whatever the file holds.

- A file (.musicxml, .xml, or an .mxl archive: a zip, whatever its name says) is read up to
  MAX_XML_BYTES. An archive gives the score music21 would pick (its first .musicxml, .xml or .mxl
  member outside META-INF/); one whose declared size is over MAX_XML_BYTES is refused unread, and
  no more than MAX_XML_BYTES inflated bytes are read whatever it declares (a zip bomb).
- The text is decoded by its byte-order mark or the XML declaration's encoding, else as UTF-8.
- jazzgen.formats.musicxml.scan then checks it in one pass, before music21 builds a thing.
"""

from __future__ import annotations

import codecs
import io
import lzma
import re
import zipfile
import zlib
from pathlib import PurePosixPath

from jazzgen.errors import DataError
from jazzgen.formats.musicxml.scan import check_score

MAX_XML_BYTES = 16 * 2**20  # notation programs write 300 to 800 bytes a note: a long solo takes 1 to 4 MiB
ZIP_MAGIC = b"PK\x03\x04"
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl")  # the archive members music21 takes for the score
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)
_DECLARED = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]*)["']""")
_DECLARATION_ENCODING = re.compile(r"""^(<\?xml[^>]*?)\s+encoding\s*=\s*(["'])[^"']*\2""")


def score_text(source, name: str) -> str:
    """The checked MusicXML text of a path or file object (bytes or text); DataError naming the
    file, the limit and the fix for anything over a limit."""
    data = _read(source, name)
    if isinstance(data, bytes):
        data = _decoded(_archive_score(data, name) if data.startswith(ZIP_MAGIC) else data, name)
    text = _DECLARATION_ENCODING.sub(r"\1", data, count=1)  # decoded: the declared encoding holds no more
    check_score(text, name)
    return text


def _read(source, name: str) -> bytes | str:
    """At most MAX_XML_BYTES of the file, refused when there is more."""
    try:
        if hasattr(source, "read"):
            data = source.read(MAX_XML_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_XML_BYTES + 1)
    except OSError as err:
        raise DataError(f"{name}: cannot read it ({err.strerror or err})") from None
    if len(data) > MAX_XML_BYTES:
        raise DataError(
            f"{name}: it is over {_size(MAX_XML_BYTES)}; jazzgen reads MusicXML files of up to "
            f"{_size(MAX_XML_BYTES)}: split the score or remove parts"
        )
    return data


def _archive_score(data: bytes, name: str) -> bytes:
    """The score member of an .mxl archive, read without inflating more than MAX_XML_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = next((m for m in archive.infolist() if _is_score(m.filename)), None)
            if member is None:
                raise DataError(f"{name}: its archive holds no .musicxml or .xml score")
            if member.file_size > MAX_XML_BYTES:
                raise DataError(
                    f"{name}: its score {member.filename!r} inflates to "
                    f"{_size(member.file_size)}; jazzgen reads MusicXML of up to "
                    f"{_size(MAX_XML_BYTES)}: split the score"
                )
            with archive.open(member) as handle:
                score = handle.read(MAX_XML_BYTES + 1)
    except _ZIP_ERRORS as err:
        raise DataError(f"{name}: not a readable .mxl archive ({type(err).__name__}: {err})") from None
    if len(score) > MAX_XML_BYTES:  # unreachable while zipfile holds a member to its declared size
        raise DataError(
            f"{name}: its score inflates to over {_size(MAX_XML_BYTES)}; jazzgen reads MusicXML "
            f"of up to {_size(MAX_XML_BYTES)}: split the score"
        )
    return score


def _is_score(member: str) -> bool:
    """music21's choice of score in an archive (Noteflight names an untitled score '.xml')."""
    return "META-INF" not in member and (PurePosixPath(member).suffix in SCORE_SUFFIXES or member == ".xml")


def _decoded(data: bytes, name: str) -> str:
    """The text of XML bytes: by their byte-order mark, else their declared encoding, else UTF-8."""
    codec = _codec(data)
    try:
        return data.decode(codec)
    except LookupError:
        raise DataError(
            f"{name}: its XML declaration names an unknown encoding ({codec}); save it as UTF-8"
        ) from None
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: not {codec} text (byte {err.start:,}); save it as UTF-8") from None


def _codec(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith((b"<\x00?\x00", b"\x00<\x00?")):  # UTF-16 with no mark
        return "utf-16-le" if data[0] else "utf-16-be"
    declared = _DECLARED.match(data)
    return declared.group(1).decode("ascii") if declared else "utf-8"


def _size(count: int) -> str:
    """A byte count for a message: '16 MiB', '2,048.5 MiB', '12.3 KiB', '900 bytes'."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count // scale:,} {unit}" if count % scale == 0 else f"{count / scale:,.1f} {unit}"
    return f"{count:,} bytes"
