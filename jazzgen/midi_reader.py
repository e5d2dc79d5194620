"""Reading one solo from a MIDI file (.mid, .midi, .kar; format 0, 1 or 2). The only module that
reads MIDI, through mido.

1. Parts: one per track that holds notes. A file whose notes all sit in one track (format 0) is
   split by channel into parts numbered 0, 1, ... in channel order; otherwise a part keeps its
   track's number in the file.
2. Melody: the part named by melody_track (its number or its name) or the best-scoring part (see
   jazzgen.tracks), reduced to its top voice.
3. Timing (jazzgen.midi_timing): a quantised file keeps its own ticks, tempo map and bar lines;
   a performance is quantised beat by beat, through the file's beats when it was played to them,
   otherwise through beats tracked from its onsets (jazzgen.beats). The solo starts at the bar
   holding its first note.
4. Chords, the first source that gives any: chord symbols in marker, text, lyric or cue events;
   a sidecar file `<name>.chords` next to the MIDI file, '| Dm7 G7 | Cmaj7 % |', whose first bar
   is the solo's first bar (the bar of the first melody note, not the file's bar 1); chords
   estimated from the other non-drum parts (jazzgen.harmony); else none.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import mido
import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.harmony import Accompaniment, chord_marks, chords_from_marks, estimate_chords, read_sidecar
from jazzgen.tracks import Part, TrackInfo, choose_melody, part_info
from jazzgen.midi_timing import TempoMap, Timing, melody_timing, solo_notes
from jazzgen.solo import Chord, Solo, bar_starts, bars_needed

__all__ = ["MidiReading", "TrackInfo", "read_midi"]

TEXT_KINDS = ("marker", "text", "lyrics", "cue_marker")


@dataclass(frozen=True)
class MidiReading:
    """A solo read from MIDI and how it was read.

    tracks: every part with notes; melody_index: the part the solo comes from (TrackInfo.index);
    melody_reason: one sentence on why; chords_from: 'text events', 'sidecar file X.chords',
    'estimated from tracks ...' or 'none (NC)'; timing: how onsets were placed on the grid.
    """

    solo: Solo
    tracks: tuple[TrackInfo, ...]
    melody_index: int
    melody_reason: str
    chords_from: str
    timing: str


@dataclass(frozen=True)
class _Midi:
    """What the reader keeps of a file; times in the file's ticks."""

    name: str
    tempo_map: TempoMap
    parts: tuple[Part, ...]
    texts: tuple[tuple[int, str, str], ...]  # (tick, event type, text), sorted


def read_midi(source: str | os.PathLike | BinaryIO, melody_track: int | str | None = None,
              name: str | None = None) -> MidiReading:
    """Read the solo of a MIDI file given as a path or a binary file object.

    name: what messages and Solo.source call the file (default: the path, or the file object's
    name). Raises DataError for a file that gives no solo, UsageError for a melody_track that
    does not exist.
    """
    path = Path(source) if isinstance(source, (str, os.PathLike)) else None
    name = name or (str(path) if path else str(getattr(source, "name", "") or "<MIDI data>"))
    try:
        midi = _parse(_open(source, path, name), name)
        return _reading(midi, path, melody_track)
    except DataError as err:
        message = str(err)
        raise DataError(message if message.startswith(name) else f"{name}: {message}") from None


def _open(source, path: Path | None, name: str) -> mido.MidiFile:
    if path is not None and not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        data = path.read_bytes() if path is not None else source.read()
    except OSError as err:
        raise DataError(f"{name}: cannot read ({err.strerror or err})") from None
    if not isinstance(data, bytes) or not data:
        raise DataError(f"{name}: empty file, not MIDI")
    try:
        return mido.MidiFile(file=io.BytesIO(_unwrap_rmi(data)))
    except Exception as err:  # noqa: BLE001 - mido raises many kinds for a broken file
        raise DataError(f"{name}: not a readable MIDI file ({type(err).__name__}: {err})") from None


def _unwrap_rmi(data: bytes) -> bytes:
    """The Standard MIDI File inside a RIFF RMID wrapper (.rmi), or data itself."""
    if data[:4] == b"RIFF" and data[8:12] == b"RMID":
        start = data.find(b"MThd")
        return data[start:] if start >= 0 else data
    return data


def _parse(midi: mido.MidiFile, name: str) -> _Midi:
    if not 0 < midi.ticks_per_beat < 0x8000:
        raise DataError("uses SMPTE time code instead of ticks per beat; export it with a tempo grid")
    tempos, meters, texts, tracks = [], [], [], []
    for index, track in enumerate(midi.tracks):
        notes, programs, track_name = _track_events(track, tempos, meters, texts)
        if notes:
            tracks.append((index, track_name, np.array(notes, dtype=np.int64), programs))
    if not tracks:
        raise DataError("holds no notes")
    tempo_map = TempoMap(midi.ticks_per_beat, tuple(sorted(tempos)), tuple(sorted(meters)))
    return _Midi(name, tempo_map, _split_parts(tracks, midi.ticks_per_beat), tuple(sorted(texts)))


def _track_events(track, tempos: list, meters: list, texts: list) -> tuple[list, dict, str]:
    """Notes (start, end, pitch, velocity, channel) of one track; fills the shared event lists."""
    tick, notes, sounding, programs, name = 0, [], {}, {}, ""
    for msg in track:
        tick += msg.time
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            _close(sounding, notes, (msg.channel, msg.note), tick)
            sounding[(msg.channel, msg.note)] = (tick, msg.velocity)
        elif kind in ("note_off", "note_on"):
            _close(sounding, notes, (msg.channel, msg.note), tick)
        elif kind == "program_change":
            programs.setdefault(msg.channel, msg.program)
        elif kind == "set_tempo":
            tempos.append((tick, msg.tempo))
        elif kind == "time_signature":
            meters.append((tick, msg.numerator, msg.denominator))
        elif kind in TEXT_KINDS:
            texts.append((tick, kind, msg.text))
        elif kind == "track_name" and not name:
            name = msg.name.strip()
    for key in list(sounding):
        _close(sounding, notes, key, max(tick, sounding[key][0] + 1))
    return notes, programs, name


def _close(sounding: dict, notes: list, key: tuple[int, int], tick: int) -> None:
    if key in sounding:
        start, velocity = sounding.pop(key)
        notes.append((start, max(tick, start + 1), key[1], velocity, key[0]))


def _split_parts(tracks: list, tpb: int) -> tuple[Part, ...]:
    """One part per track; a lone track with notes on several channels splits by channel."""
    if len(tracks) == 1 and len(set(tracks[0][2][:, 4].tolist())) > 1:
        index, name, notes, programs = tracks[0]
        channels = sorted(set(notes[:, 4].tolist()))
        return tuple(_part(i, name, notes[notes[:, 4] == ch], programs, tpb, split=True)
                     for i, ch in enumerate(channels))
    return tuple(_part(index, name, notes, programs, tpb) for index, name, notes, programs in tracks)


def _part(index: int, name: str, notes: np.ndarray, programs: dict, tpb: int, split: bool = False) -> Part:
    notes = notes[np.lexsort((notes[:, 2], notes[:, 0]))]
    channel = int(np.bincount(notes[:, 4]).argmax())
    info = part_info(index, name, notes, programs.get(channel), channel, tpb, split)
    return Part(info, notes[:, :4])


def _reading(midi: _Midi, path: Path | None, melody_track: int | str | None) -> MidiReading:
    melody, reason = choose_melody(midi.parts, melody_track)
    timing = melody_timing(midi.tempo_map, melody.notes)
    notes, origin, meter = solo_notes(melody.notes, timing)
    chords, chords_from, chord_bars = _chords(midi, path, melody, timing, origin, meter, notes)
    bars = max(bars_needed(meter, max(n.end for n in notes)), chord_bars)
    source = midi.name if len(midi.parts) == 1 else f"{midi.name}#{melody.info.name}"
    title = path.stem if path else Path(midi.name).stem
    solo = Solo(notes, chords, meter, bars, round(timing.tempo, 2), source, title)
    tracks = tuple(p.info for p in midi.parts)
    return MidiReading(solo, tracks, melody.info.index, reason, chords_from, timing.description)


# ---------------------------------------------------------------- chords


def _chords(midi, path, melody, timing, origin, meter, notes) -> tuple[tuple[Chord, ...], str, int]:
    """Chord spans, where they came from, and how many bars a sidecar asks for."""
    end = bar_starts(meter, bars_needed(meter, max(n.end for n in notes)))[-1]
    marks = chord_marks(midi.texts, TEXT_KINDS)
    if marks:
        ticks = timing.to_grid(np.array([t for t, _ in marks])) - origin
        spans = chords_from_marks([(int(t), symbol) for t, (_, symbol) in zip(ticks, marks)], end)
        if spans:
            return spans, "text events", 0
    sidecar = path.with_suffix(".chords") if path is not None else None
    if sidecar is not None and sidecar.is_file():
        chords, bars = read_sidecar(sidecar, meter)
        return chords, f"sidecar file {sidecar.name}", bars
    others = [p for p in midi.parts if p is not melody and not p.info.is_drum]
    if others:
        starts = bar_starts(meter, bars_needed(meter, end))
        chords = estimate_chords(_accompaniment(others, timing, origin), starts)
        if chords:
            names = ", ".join(f"{p.info.index} {p.info.name!r}" for p in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            return chords, f"estimated from tracks {names}{more}", 0
    return (), "none (NC)", 0


def _accompaniment(parts, timing: Timing, origin: int) -> Accompaniment:
    notes = np.concatenate([p.notes for p in parts])
    weights = np.concatenate([np.full(len(p.notes), 0.5 + p.info.polyphony) for p in parts])
    return Accompaniment(timing.to_grid(notes[:, 0]) - origin, timing.to_grid(notes[:, 1]) - origin,
                         notes[:, 2], weights)
