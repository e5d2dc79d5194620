"""Reading one solo from a MIDI file (.mid, .midi, .kar; format 0, 1 or 2). The only module that
reads MIDI, through mido.

1. Parts: one per track that holds notes. A file whose notes all sit in one track (format 0) is
   split by channel into parts numbered 0, 1, ... in channel order; otherwise a part keeps its
   track's number in the file.
2. Melody: the part named by melody_track (its number or its name) or the best-scoring part (see
   jazzgen.tracks), reduced to its top voice.
3. Timing. A quantised file (most onsets on a 12th of its beat) keeps its own ticks, tempo map
   and bar lines exactly. A performance (onsets off that grid) is quantised beat by beat: through the
   file's own beats when most onsets lie near them (a take recorded to a click: the file's beats
   and bar lines are kept), otherwise through beats tracked from the onsets (jazzgen.beats), the
   downbeat guessed from where long notes and phrase starts fall (only the file's first meter is kept).
   The solo starts at the bar holding its first note.
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

from jazzgen import beats as beat_tracking
from jazzgen.chords import chord_from_symbol, parse_changes, parse_chord
from jazzgen.errors import DataError, UsageError
from jazzgen.harmony import Accompaniment, estimate_chords
from jazzgen.tracks import Part, TrackInfo, choose_melody, part_info
from jazzgen.solo import TICKS_PER_BEAT, Chord, Note, Solo, TimeSignature, bar_starts, bars_needed, monophonic

__all__ = ["MidiReading", "TrackInfo", "read_midi"]

TEXT_KINDS = ("marker", "text", "lyrics", "cue_marker")
ON_GRID_SHARE = 0.85  # a file is quantised when this share of melody onsets sits on its 12-grid
PLAYED_GRID = (0.0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0)  # beats: 16ths and 8th triplets
NEAR_GRID, NEAR_GRID_SHARE = 0.04, 0.7  # a take played to the file's beat: this share this near


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
    ticks_per_beat: int
    parts: tuple[Part, ...]
    tempos: tuple[tuple[int, int], ...]  # (tick, microseconds per quarter note), sorted
    meters: tuple[tuple[int, int, int], ...]  # (tick, numerator, denominator), sorted
    texts: tuple[tuple[int, str, str], ...]  # (tick, event type, text)


@dataclass(frozen=True)
class _Timing:
    """Maps file ticks onto the grid (TICKS_PER_BEAT per beat) that bar lines are drawn on."""

    onsets: np.ndarray  # grid tick of each melody note
    to_grid: object  # file ticks (array) -> grid ticks (array), for ends, chords, accompaniment
    meters: tuple[tuple[int, int, int], ...]  # (grid tick, numerator, denominator)
    tempo: float  # quarter notes per minute
    description: str


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
    tpb = midi.ticks_per_beat
    parts = _split_parts(tracks, tpb)
    return _Midi(name, tpb, parts, tuple(sorted(tempos)), tuple(sorted(meters)), tuple(sorted(texts)))


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
    timing = _timing(midi, melody.notes)
    notes, origin, meter = _solo_notes(melody.notes, timing)
    chords, chords_from, chord_bars = _chords(midi, path, melody, timing, origin, meter, notes)
    bars = max(bars_needed(meter, max(n.end for n in notes)), chord_bars)
    source = midi.name if len(midi.parts) == 1 else f"{midi.name}#{melody.info.name}"
    title = path.stem if path else Path(midi.name).stem
    solo = Solo(notes, chords, meter, bars, round(timing.tempo, 2), source, title)
    tracks = tuple(p.info for p in midi.parts)
    return MidiReading(solo, tracks, melody.info.index, reason, chords_from, timing.description)


# ---------------------------------------------------------------- timing


def _timing(midi: _Midi, notes: np.ndarray) -> _Timing:
    tpb = midi.ticks_per_beat
    starts = notes[:, 0]
    grid = tpb / TICKS_PER_BEAT
    on_grid = np.abs(starts / grid - np.rint(starts / grid)) * grid <= max(1.0, tpb / 100)
    if on_grid.mean() >= ON_GRID_SHARE:
        return _file_grid_timing(midi, starts)
    return _performance_timing(midi, notes)


def _file_ticks_to_grid(tpb: int):
    return lambda ticks: np.rint(np.asarray(ticks) * TICKS_PER_BEAT / tpb).astype(np.int64)


def _grid_meters(midi: _Midi, to_grid) -> tuple[tuple[int, int, int], ...]:
    meters = [(int(to_grid(t)), num, den) for t, num, den in midi.meters]
    return tuple(meters) or ((0, 4, 4),)


def _tempo_at(midi: _Midi, tick: int) -> float:
    current = 500000
    for at, tempo in midi.tempos:
        if at <= tick:
            current = tempo
    return mido.tempo2bpm(current)


def _file_grid_timing(midi: _Midi, starts: np.ndarray) -> _Timing:
    to_grid = _file_ticks_to_grid(midi.ticks_per_beat)
    return _Timing(to_grid(starts), to_grid, _grid_meters(midi, to_grid), _tempo_at(midi, int(starts[0])),
                   "quantised file: notes kept on its own tick grid")


def _seconds(midi: _Midi, ticks: np.ndarray) -> np.ndarray:
    """File ticks to seconds through the tempo map."""
    changes = [(0, 500000)] + [(t, us) for t, us in midi.tempos if t > 0]
    if midi.tempos and midi.tempos[0][0] == 0:
        changes[0] = (0, midi.tempos[0][1])
    at = np.array([t for t, _ in changes], dtype=float)
    per_tick = np.array([us for _, us in changes], dtype=float) / 1e6 / midi.ticks_per_beat
    elapsed = np.concatenate([[0.0], np.cumsum(np.diff(at) * per_tick[:-1])])
    index = np.searchsorted(at, ticks, side="right") - 1
    return elapsed[index] + (np.asarray(ticks, dtype=float) - at[index]) * per_tick[index]


def _performance_timing(midi: _Midi, notes: np.ndarray) -> _Timing:
    tpb = midi.ticks_per_beat
    onsets = _seconds(midi, notes[:, 0])
    tempo = _tempo_at(midi, int(notes[0, 0]))
    if _near_file_grid(notes[:, 0] / tpb):
        first = int(notes[0, 0] // tpb)
        beats = _seconds(midi, np.arange(first, notes[-1, 0] // tpb + 3) * tpb)
        grid_onsets = beat_tracking.quantise(onsets, beats) + TICKS_PER_BEAT * first
        return _Timing(grid_onsets, _beat_grid(midi, beats, TICKS_PER_BEAT * first),
                       _grid_meters(midi, _file_ticks_to_grid(tpb)), tempo,
                       "played to the file's beat: onsets quantised to the file's own beats and bars")
    period = 60.0 / tempo
    beats = beat_tracking.track_beats(onsets, period)
    numerator, denominator = (midi.meters[0][1:] if midi.meters else (4, 4))
    bar_ticks = TimeSignature(0, numerator, denominator).bar_ticks
    grid_onsets = beat_tracking.quantise(onsets, beats)
    to_grid = _beat_grid(midi, beats, 0)
    ends = np.maximum(to_grid(notes[:, 1]), grid_onsets + 1)
    shift = TICKS_PER_BEAT * beat_tracking.bar_phase(grid_onsets, ends, max(1, bar_ticks // TICKS_PER_BEAT))
    bpm = 60.0 / float(np.median(np.diff(beats)))
    return _Timing(grid_onsets + shift, _beat_grid(midi, beats, shift), ((0, numerator, denominator),), bpm,
                   f"performance: beats tracked through the onsets (about {bpm:.0f} bpm), downbeat guessed")


def _near_file_grid(positions: np.ndarray) -> bool:
    """Whether onsets (in file beats) were played to the file's beat: most lie within
    NEAR_GRID beats of a 16th or an 8th-triplet of it (performances off the grid: about half)."""
    inside = positions - np.floor(positions)
    distance = np.abs(inside[:, None] - np.array(PLAYED_GRID)[None, :]).min(axis=1)
    return bool((distance <= NEAR_GRID).mean() >= NEAR_GRID_SHARE)


def _beat_grid(midi: _Midi, beats: np.ndarray, offset: int):
    """File ticks -> grid ticks through beat times in seconds (beats[0] is grid tick offset)."""
    def to_grid(ticks):
        position = np.interp(_seconds(midi, np.asarray(ticks)), beats, np.arange(len(beats), dtype=float))
        return np.rint(position * TICKS_PER_BEAT).astype(np.int64) + offset
    return to_grid


def _bar_grid(meters: tuple[tuple[int, int, int], ...], until: int) -> list[tuple[int, int, int]]:
    """(start tick, numerator, denominator) of every bar from grid tick 0 past until. A meter
    change inside a bar takes effect at the next bar line."""
    bars, tick, index = [], 0, 0
    current = meters[0][1:] if meters[0][0] <= 0 else (4, 4)
    while tick <= until:
        while index < len(meters) and meters[index][0] <= tick:
            current = meters[index][1:]
            index += 1
        bars.append((tick, *current))
        tick += TimeSignature(0, *current).bar_ticks
    return bars


def _solo_notes(notes: np.ndarray, timing: _Timing) -> tuple[tuple[Note, ...], int, tuple[TimeSignature, ...]]:
    """The top voice on the solo's grid, the grid tick of the solo's first bar, and its meter."""
    onsets = timing.onsets
    ends = np.maximum(timing.to_grid(notes[:, 1]), onsets + 1)
    bars = _bar_grid(timing.meters, int(onsets.max()))
    first = max(i for i, bar in enumerate(bars) if bar[0] <= onsets.min())
    origin = bars[first][0]
    meter = [TimeSignature(0, *bars[first][1:])]
    for i in range(first + 1, len(bars)):
        if bars[i][1:] != bars[i - 1][1:]:
            meter.append(TimeSignature(i - first, *bars[i][1:]))
    raw = [Note(int(o - origin), int(e - o), int(p), int(v))
           for o, e, p, v in zip(onsets, ends, notes[:, 2], notes[:, 3])]
    return monophonic(raw), origin, tuple(meter)


# ---------------------------------------------------------------- chords


def _chords(midi, path, melody, timing, origin, meter, notes) -> tuple[tuple[Chord, ...], str, int]:
    """Chord spans, where they came from, and how many bars a sidecar asks for."""
    end = bar_starts(meter, bars_needed(meter, max(n.end for n in notes)))[-1]
    marks = _text_chords(midi.texts)
    if marks:
        ticks = timing.to_grid(np.array([t for t, _ in marks])) - origin
        spans = _spans([(int(t), symbol) for t, (_, symbol) in zip(ticks, marks)], end)
        if spans:
            return spans, "text events", 0
    sidecar = path.with_suffix(".chords") if path is not None else None
    if sidecar is not None and sidecar.is_file():
        chords, bars = _sidecar_chords(sidecar, meter)
        return chords, f"sidecar file {sidecar.name}", bars
    others = [p for p in midi.parts if p is not melody and not p.info.is_drum]
    if others:
        chords = estimate_chords(_accompaniment(others, timing, origin), bar_starts(meter, bars_needed(meter, end)))
        if chords:
            names = ", ".join(f"{p.info.index} {p.info.name!r}" for p in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            return chords, f"estimated from tracks {names}{more}", 0
    return (), "none (NC)", 0


def _text_chords(texts: tuple[tuple[int, str, str], ...]) -> list[tuple[int, object]]:
    """(file tick, ChordSymbol) from the event types whose texts are mostly chord symbols."""
    marks = {}
    for kind in TEXT_KINDS:
        events = [(tick, text.strip()) for tick, k, text in texts if k == kind and text.strip()]
        parsed = [(tick, _chord_or_none(text)) for tick, text in events]
        good = [(tick, symbol) for tick, symbol in parsed if symbol is not None]
        if len(good) >= 2 and 2 * len(good) >= len(events):
            marks.update({(tick, symbol.name): (tick, symbol) for tick, symbol in good})
    return sorted(marks.values(), key=lambda mark: mark[0])


def _chord_or_none(text: str):
    try:
        return parse_chord(text)
    except DataError:
        return None


def _spans(marks: list[tuple[int, object]], end: int) -> tuple[Chord, ...]:
    """Chord spans from (solo tick, symbol) marks: each lasts to the next; NC marks end a span."""
    spans = []
    for (tick, symbol), following in zip(marks, marks[1:] + [(end, None)]):
        start, stop = max(tick, 0), min(following[0], end)
        if symbol.root is not None and stop > start:
            spans.append(chord_from_symbol(symbol, start, stop - start))
    return tuple(spans)


def _sidecar_chords(sidecar: Path, meter) -> tuple[tuple[Chord, ...], int]:
    try:
        text = sidecar.read_text(encoding="utf-8")
        return parse_changes(text, meter)
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the chord file {sidecar} ({err})") from None
    except DataError as err:
        raise DataError(f"chord file {sidecar}: {err}") from None


def _accompaniment(parts, timing: _Timing, origin: int) -> Accompaniment:
    notes = np.concatenate([p.notes for p in parts])
    weights = np.concatenate([np.full(len(p.notes), 0.5 + p.info.polyphony) for p in parts])
    return Accompaniment(timing.to_grid(notes[:, 0]) - origin, timing.to_grid(notes[:, 1]) - origin,
                         notes[:, 2], weights)
