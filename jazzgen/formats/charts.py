"""The chart a musician improvises over, from the file it lives in: a DAW's MIDI backing track
(jazzgen.formats.midi.backing, which also keeps the file's clock to write the solo back on), an
iReal Pro export (an HTML or text file holding `irealb://` / `irealbook://` links), a MusicXML lead
sheet, an Impro-Visor leadsheet (.ls), or a changes text (`.chords`, `| Dm7 G7 | Cmaj7 | % |`). Gives one note-less Solo: its
chords, meter, bars, tempo and title, for jazzgen.music.tunes.arranged to transpose, repeat and cut.

    chart = read_chart("standards.html", title="Autumn Leaves")
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import read_bytes, shown
from jazzgen.music.changes import MAX_CHANGES_CHARS
from jazzgen.music.solo import Solo
from jazzgen.music.tunes import lead_sheet

MUSICXML_SUFFIXES = (".musicxml", ".xml", ".mxl")
LEADSHEET_SUFFIX = ".ls"
MIDI_SUFFIXES = (".mid", ".midi", ".kar")
IREAL_MARKS = (b"irealb://", b"irealbook://", b"irealb%3A", b"irealbook%3A")
SNIFF_BYTES = 2**16  # where an iReal link would show in an export (its first song's link)


def read_chart(path: str | Path, title: str | None = None) -> Solo:
    """The chart in the file at path (see the module doc); title picks a song of an iReal Pro
    playlist. UsageError for a missing file or a playlist without a title; DataError for a file
    that holds no chart jazzgen can read."""
    path = Path(path)
    if not path.is_file():
        why = "not a regular file" if path.exists() else "no such file"
        raise UsageError(f"--over {shown(path)}: {why}")
    kind = chart_kind(path)
    if kind == "midi":
        from jazzgen.formats.midi.backing import read_backing

        return read_backing(path).chart
    if kind == "musicxml":
        return _musicxml_chart(path)
    if kind == "leadsheet":
        from jazzgen.formats.impro_visor import leadsheet_chart

        return leadsheet_chart(path)
    if kind == "ireal":
        return _ireal_chart(path, title)
    return _changes_chart(path)


def chart_kind(path: str | Path) -> str:
    """'midi', 'musicxml' or 'leadsheet' (Impro-Visor) by the name, 'ireal' for a file holding an
    iReal Pro link near its start, else 'changes' (a changes text, or a file refused as one)."""
    path = Path(path)
    if path.suffix.lower() in MUSICXML_SUFFIXES:
        return "musicxml"
    if path.suffix.lower() == LEADSHEET_SUFFIX:
        return "leadsheet"
    if path.suffix.lower() in MIDI_SUFFIXES:
        return "midi"
    if not path.is_file():  # a FIFO or a device is never opened; read_chart refuses it
        return "changes"
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES).lower()
    return "ireal" if any(mark.lower() in head for mark in IREAL_MARKS) else "changes"


def _ireal_chart(path: Path, title: str | None) -> Solo:
    from jazzgen.formats.ireal import read_ireal

    songs = read_ireal(path, title)
    if len(songs) > 1:
        titles = ", ".join(repr(s.title) for s in songs[:10])
        more = f" and {len(songs) - 10} more" if len(songs) > 10 else ""
        raise UsageError(f"--over {shown(path)}: {len(songs)} songs ({titles}{more}); pick one with --title")
    return songs[0]


def _musicxml_chart(path: Path) -> Solo:
    from jazzgen.formats.musicxml import read_musicxml

    parts = [solo for solo in read_musicxml(path) if solo.chords]
    if not parts:
        raise DataError(
            f"{shown(path)}: no chord symbols in the score; add them in the notation program, "
            "or give the changes with --changes-file"
        )
    return replace(parts[0], notes=())


def _changes_chart(path: Path) -> Solo:
    data = read_bytes(path, 4 * (MAX_CHANGES_CHARS + 1), "give a text file of chord changes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{shown(path)}: not an iReal Pro export, a MusicXML lead sheet or UTF-8 changes text "
            f"({err.reason} at byte {err.start})"
        ) from None
    if not text.strip():
        raise DataError(f"{shown(path)}: empty; write the changes in it, e.g. | Dm7 G7 | Cmaj7 | % |")
    try:
        return replace(lead_sheet(changes=text), source=str(path), title=path.stem)
    except DataError as err:
        raise DataError(f"{shown(path)}: {err}") from None
