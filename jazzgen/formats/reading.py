"""Finding and reading solo files: MIDI, MusicXML, Impro-Visor leadsheets and the Weimar Jazz
Database CSV layout.

`read(path)` takes a file or a folder (searched recursively) and returns solos. Each format has
its own reader module; this one only decides which reader a file goes to.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import shown
from jazzgen.formats.wjazzd import MELODY_SUFFIX, is_wjazzd_melody, read_wjazzd
from jazzgen.music.solo import Solo

MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".rmi")
MUSICXML_SUFFIXES = (".musicxml", ".xml", ".mxl")
LEADSHEET_SUFFIX = ".ls"


@dataclass(frozen=True)
class Reading:
    """The solos read from one file, and what a user should know about how they were read."""

    path: Path
    solos: tuple[Solo, ...]
    reader: str  # "midi", "musicxml", "leadsheet" or "wjazzd"
    details: dict = field(default_factory=dict, compare=False)


def source_kind(path: Path) -> str | None:
    """The reader for a file, or None when jazzgen does not read that kind of file."""
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        return "midi"
    if suffix in MUSICXML_SUFFIXES:
        return "musicxml"
    if suffix == LEADSHEET_SUFFIX:
        return "leadsheet"
    if suffix == ".csv" and is_wjazzd_melody(path):
        return "wjazzd"
    return None


@dataclass(frozen=True)
class Sources:
    """What a search for solo files found: files to read, files named but not readable as solos,
    and MIDI exports passed over because their annotated Weimar Jazz Database CSV is present."""

    files: tuple[Path, ...]
    skipped: tuple[tuple[Path, str], ...] = ()
    duplicates: tuple[Path, ...] = ()


def find_sources(paths: list[str | Path], follow_links: bool = False) -> Sources:
    """Every readable file under paths (folders searched recursively), sorted.

    A MIDI file that is the Weimar Jazz Database's export of a solo whose annotated CSV is also
    present is passed over: the CSV holds the same solo with its true metrical positions. A
    symbolic link inside a folder is followed only when it leads to a place inside the paths
    given, unless follow_links.
    """
    found, skipped = [], []
    roots = [os.path.realpath(p) for p in paths]
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{shown(path)}: no such file or folder")
        if path.is_dir():
            files, passed = _walk(path, None if follow_links else roots)
            found += files
            skipped += passed
        elif source_kind(path) is None:
            skipped.append((path, "not a MIDI, MusicXML, Impro-Visor or Weimar Jazz Database melody file"))
        else:
            found.append(path)
    unique = _one_path_each(found)
    annotated = {p.name[: -len(".csv")] for p in unique if source_kind(p) == "wjazzd"}
    duplicates = [p for p in unique if source_kind(p) == "midi" and p.stem in annotated]
    files = [p for p in unique if p not in set(duplicates)]
    return Sources(tuple(files), tuple(skipped), tuple(duplicates))


OUTSIDE = (
    "a symbolic link to {target}, outside the folders given: name that place too, or pass "
    "--follow-links, to read it"
)


def _one_path_each(paths: list[Path]) -> list[Path]:
    """The paths sorted, each file once: of the names one file has through links, the first sorted."""
    seen, out = set(), []
    for path in sorted(set(paths)):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            out.append(path)
    return out


def _walk(folder: Path, roots: list[str] | None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Solo files under folder, each folder once however symbolic links loop; and what was
    passed over: links to nothing, links leading outside roots (None: links go anywhere) and
    folders that cannot be listed."""
    found, skipped, seen = [], [], set()

    def unlisted(err: OSError) -> None:
        skipped.append((Path(err.filename), f"cannot list this folder ({err.strerror or err})"))

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unlisted):
        real = os.path.realpath(root)
        if real in seen:  # a symlink loop
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in sorted(dirs) if _inside(Path(root) / d, roots, skipped)]
        for name in sorted(files):
            path = Path(root) / name
            if source_kind(path) is None or not _inside(path, roots, skipped):
                continue
            if path.is_file():
                found.append(path)
            elif path.is_symlink():
                skipped.append((path, "a symbolic link that leads nowhere (broken, or a loop)"))
    return found, skipped


def _inside(path: Path, roots: list[str] | None, skipped: list) -> bool:
    """Whether a link at path leads inside roots (anything else is; so is everything when roots is
    None); a link that leads out is listed in skipped."""
    if roots is None or not path.is_symlink():
        return True
    target = os.path.realpath(path)
    if any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        return True
    if os.path.exists(target):
        skipped.append((path, OUTSIDE.format(target=shown(target))))
        return False
    return True  # a broken link: reported as one below


def read_file(path: str | Path, melody_track: int | str | None = None) -> Reading:
    """Read one file with the reader its name asks for; DataError when it gives no solo."""
    path = Path(path)
    kind = source_kind(path)
    if kind is None:
        raise DataError(
            f"{path}: not a MIDI (.mid .midi .kar), MusicXML (.musicxml .xml .mxl), Impro-Visor "
            f"leadsheet (.ls) or Weimar Jazz Database melody file (mcsv_melody/*{MELODY_SUFFIX})"
        )
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file")
    if kind == "wjazzd":
        return Reading(path, (read_wjazzd(path),), kind)
    if kind == "musicxml":
        from jazzgen.formats.musicxml.reader import read_musicxml

        return Reading(path, tuple(read_musicxml(path)), kind)
    if kind == "leadsheet":
        from jazzgen.formats.impro_visor import read_leadsheet

        return Reading(path, (read_leadsheet(path),), kind)
    from jazzgen.formats.midi.reader import read_midi

    midi = read_midi(path, melody_track=melody_track)
    return Reading(path, (midi.solo,), kind, midi_details(midi))


def midi_details(midi) -> dict:
    """What inspect shows of a MIDI reading: the tracks, the melody choice and the chord source."""
    return {
        "tracks": [track_summary(t) for t in midi.tracks],
        "melody_track": midi.melody_index,
        "melody_reason": midi.melody_reason,
        "timing": midi.timing,
        "chords_from": midi.chords_from,
        "repairs": list(midi.repairs),
    }


def track_summary(track) -> dict:
    return {k: v for k, v in vars(track).items() if not k.startswith("_")}


def read(
    path: str | Path,
    melody_track: int | str | None = None,
    on_skip: Callable[[Path, str], None] | None = None,
) -> list[Solo]:
    """Solos from a file, or from every readable file in a folder (recursively).

    A file that cannot be read raises DataError when it was named alone; inside a folder it is
    skipped, on_skip(path, reason) is told (by default a warning), and the rest is read.
    """
    path = Path(path)
    if not path.is_dir():
        return list(read_file(path, melody_track).solos)
    solos = []
    for file in find_sources([path]).files:
        try:
            solos += read_file(file, melody_track).solos
        except DataError as err:
            if on_skip is None:
                warnings.warn(f"skipped {shown(file)}: {err}", stacklevel=2)
            else:
                on_skip(file, str(err))
    return solos
