"""Reading one solo from a MIDI file (.mid, .midi, .kar; format 0, 1 or 2). The only module that
reads MIDI, through mido.

0. Bytes (jazzgen.formats.midi.repair): broken files are repaired before mido reads them, and every
   repair is reported. A note with no note-off, or with its note-off at its own onset, ends at
   the next onset in its track and channel (or the track's end); note-offs with no note sounding
   are ignored. Track names and texts are read as UTF-8 when they are, else Latin-1, up to a NUL.
1. Parts: one per track that holds notes. A file whose notes all sit in one track (format 0) is
   split by channel into parts numbered 0, 1, ... in channel order; otherwise a part keeps its
   track's number in the file.
2. Melody: the part named by melody_track (its number or its name) or the best-scoring part (see
   jazzgen.formats.midi.tracks), reduced to its top voice.
3. Timing (jazzgen.formats.midi.timing): a quantised file keeps its own ticks, tempo map and bar lines;
   a performance is quantised beat by beat, through the file's beats when it was played to them,
   otherwise through beats tracked from its onsets and the other parts' (jazzgen.formats.midi.beats). The
   solo starts at the bar holding its first note.
4. Chords, the first source that gives any: chord symbols in marker, text, lyric or cue events;
   a sidecar file `<name>.chords` next to the MIDI file, '| Dm7 G7 | Cmaj7 | % |', whose first bar
   is the solo's first bar (the bar of the first melody note, not the file's bar 1); chords
   estimated from the other non-drum parts (jazzgen.music.harmony); else none.
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
from jazzgen.formats.midi.notes import Sounding
from jazzgen.formats.midi.repair import MAX_FILE_BYTES, clean_midi
from jazzgen.formats.midi.timing import TempoMap, melody_timing, solo_notes
from jazzgen.formats.midi.tracks import Part, TrackInfo, choose_melody, hands, is_bass, part_info
from jazzgen.music.harmony import Accompaniment, chord_marks, chords_from_marks, estimate_chords, read_sidecar
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Solo, bar_starts, bars_needed, check_solo_length

__all__ = ["MidiReading", "TrackInfo", "read_midi"]

TEXT_KINDS = ("marker", "text", "lyrics", "cue_marker")


@dataclass(frozen=True)
class MidiReading:
    """A solo read from MIDI and how it was read.

    tracks: every part with notes; melody_index: the part the solo comes from (TrackInfo.index);
    melody_reason: one sentence on why; chords_from: 'text events', 'sidecar file X.chords',
    'estimated from tracks ...' or 'none (NC)'; timing: how onsets were placed on the grid;
    repairs: what was wrong with the file and what the reader did about it, one sentence each.
    """

    solo: Solo
    tracks: tuple[TrackInfo, ...]
    melody_index: int
    melody_reason: str
    chords_from: str
    timing: str
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Midi:
    """What the reader keeps of a file; times in the file's ticks."""

    name: str
    tempo_map: TempoMap
    parts: tuple[Part, ...]
    texts: tuple[tuple[int, str, str], ...]  # (tick, event type, text), sorted
    repairs: tuple[str, ...]


def read_midi(
    source: str | os.PathLike | BinaryIO, melody_track: int | str | None = None, name: str | None = None
) -> MidiReading:
    """Read the solo of a MIDI file given as a path or a binary file object.

    name: what messages and Solo.source call the file (default: the path, or the file object's
    name). Raises DataError for a file that gives no solo, UsageError for a melody_track that
    does not exist.
    """
    path = Path(source) if isinstance(source, (str, os.PathLike)) else None
    name = name or (str(path) if path else str(getattr(source, "name", "") or "<MIDI data>"))
    try:
        midi, repairs = _open(source, path, name)
        return _reading(_parse(midi, name, repairs), path, melody_track)
    except DataError as err:
        message = str(err)
        raise DataError(message if message.startswith(name) else f"{name}: {message}") from None


def read_contents(path: Path) -> tuple[_Midi, mido.MidiFile]:
    """A file's tempo map, parts and text events (steps 0 and 1 above), and mido's reading of its
    repaired bytes; for readers of other things than a solo (jazzgen.formats.midi.backing)."""
    name = str(path)
    try:
        midi, repairs = _open(path, path, name)
        return _parse(midi, name, repairs), midi
    except DataError as err:
        message = str(err)
        raise DataError(message if message.startswith(name) else f"{name}: {message}") from None


def _open(source, path: Path | None, name: str) -> tuple[mido.MidiFile, tuple[str, ...]]:
    """The file read by mido after jazzgen.formats.midi.repair has repaired its bytes, and those repairs."""
    clean = clean_midi(_read_bytes(source, path))
    try:
        return mido.MidiFile(file=io.BytesIO(clean.data)), clean.repairs
    except Exception as err:
        raise DataError(f"{name}: not a readable MIDI file ({type(err).__name__}: {err})") from None


def _read_bytes(source, path: Path | None) -> bytes:
    """The file's bytes; folders, dangling links and files over MAX_FILE_BYTES are refused unread."""
    if path is not None and path.is_dir():
        raise DataError("is a folder, not a MIDI file")
    if path is not None and not path.is_file():
        if path.is_symlink():
            raise DataError("is a symbolic link that leads nowhere (broken, or a loop)")
        raise UsageError(f"{path}: no such file")
    try:
        size = path.stat().st_size if path is not None else 0
        if size > MAX_FILE_BYTES:
            data = b""
        else:
            data = path.read_bytes() if path is not None else source.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise DataError(f"cannot read it ({err.strerror or err})") from None
    if not isinstance(data, bytes):
        raise DataError("is not binary data (open the file in 'rb' mode)")
    if max(size, len(data)) > MAX_FILE_BYTES:
        raise DataError(
            f"is {max(size, len(data)) / 2**20:.1f} MiB; jazzgen reads MIDI files of up to "
            f"{MAX_FILE_BYTES // 2**20} MiB (a solo is rarely over 1 MiB)"
        )
    return data


def _parse(midi: mido.MidiFile, name: str, repairs: tuple[str, ...]) -> _Midi:
    if not 0 < midi.ticks_per_beat < 0x8000:
        raise DataError(f"has {midi.ticks_per_beat} ticks per beat; export it with a tempo grid")
    tempos, meters, texts, tracks, repairs = [], [], [], [], list(repairs)
    for index, track in enumerate(midi.tracks):
        events = _track_events(track, midi.ticks_per_beat, tempos, meters, texts)
        if events.notes:
            tracks.append((index, events.name, np.array(events.notes, dtype=np.int64), events.programs))
        repairs += [f"track {index}: {line}" for line in events.repairs]
    if not tracks:
        raise DataError("holds no notes")
    tempo_map = TempoMap(midi.ticks_per_beat, tuple(sorted(tempos)), tuple(sorted(meters)))
    parts = _split_parts(tracks, midi.ticks_per_beat)
    return _Midi(name, tempo_map, parts, tuple(sorted(texts)), tuple(repairs))


@dataclass(frozen=True)
class _TrackEvents:
    """One track's notes (start, end, pitch, velocity, channel), first program per channel, name,
    and what was wrong with its notes."""

    notes: list
    programs: dict
    name: str
    repairs: tuple[str, ...]


def _track_events(track, tpb: int, tempos: list, meters: list, texts: list) -> _TrackEvents:
    """Notes of one track (see jazzgen.formats.midi.notes); fills the shared tempo, meter and text lists."""
    tick, sounding, programs, name = 0, Sounding(), {}, ""
    for msg in track:
        tick += msg.time
        kind = msg.type
        if kind == "note_on" and msg.velocity > 0:
            sounding.start((msg.channel, msg.note), tick, msg.velocity)
        elif kind in ("note_off", "note_on"):
            sounding.stop((msg.channel, msg.note), tick)
        elif kind == "program_change":
            programs.setdefault(msg.channel, msg.program)
        elif kind == "set_tempo":
            tempos.append((tick, msg.tempo))
        elif kind == "time_signature":
            meters.append((tick, msg.numerator, msg.denominator))
        elif kind in TEXT_KINDS:
            texts.append((tick, kind, _text(msg.text)))
        elif kind == "track_name" and not name:
            name = _text(msg.name)
    return _TrackEvents(sounding.finish(tick, tpb), programs, name, sounding.repairs())


def _text(text: str) -> str:
    """A track name or text event as written: UTF-8 when its bytes are, else Latin-1 (as mido read
    it); cut at a NUL (C strings), stripped."""
    try:
        text = text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return text.split("\x00", 1)[0].strip()


def _split_parts(tracks: list, tpb: int) -> tuple[Part, ...]:
    """One part per track; a lone track with notes on several channels splits by channel."""
    if len(tracks) == 1 and len(set(tracks[0][2][:, 4].tolist())) > 1:
        index, name, notes, programs = tracks[0]
        channels = sorted(set(notes[:, 4].tolist()))
        return tuple(
            _part(i, name, notes[notes[:, 4] == ch], programs, tpb, split=True)
            for i, ch in enumerate(channels)
        )
    return tuple(_part(index, name, notes, programs, tpb) for index, name, notes, programs in tracks)


def _part(index: int, name: str, notes: np.ndarray, programs: dict, tpb: int, split: bool = False) -> Part:
    notes = notes[np.lexsort((notes[:, 2], notes[:, 0]))]
    channel = int(np.bincount(notes[:, 4]).argmax())
    info = part_info(index, name, notes, programs.get(channel), channel, tpb, split)
    return Part(info, notes[:, :4])


def _reading(midi: _Midi, path: Path | None, melody_track: int | str | None) -> MidiReading:
    chosen, reason = choose_melody(midi.parts, melody_track)
    melody, left_hand = hands(chosen)
    others = [p for p in midi.parts if p is not chosen] + ([left_hand] if left_hand is not None else [])
    if left_hand is not None:
        reason += (
            f"; it is played with both hands: its right hand (notes from MIDI {int(melody.notes[:, 2].min())} "
            f"up) is the line, its left hand ({left_hand.info.notes} notes) goes to the chords"
        )
    basses = [p for p in others if is_bass_line(p)]
    bass = max(basses, key=lambda p: p.info.notes).notes if basses else None
    timing = melody_timing(midi.tempo_map, melody.notes, [p.notes[:, 0] for p in others], bass)
    notes, origin, meter = solo_notes(melody.notes, timing)
    chords, chords_from, chord_bars = _chords(midi, path, others, timing, origin, meter, notes)
    bars = max(bars_needed(meter, max(n.end for n in notes)), chord_bars)
    source = midi.name if len(midi.parts) == 1 and left_hand is None else f"{midi.name}#{melody.info.name}"
    title = path.stem if path else Path(midi.name).stem
    solo = Solo(notes, chords, meter, bars, round(timing.tempo, 2), source, title)
    tracks = tuple(p.info for p in midi.parts)
    return MidiReading(solo, tracks, chosen.info.index, reason, chords_from, timing.description, midi.repairs)


# ---------------------------------------------------------------- chords


def _chords(midi, path, others, timing, origin, meter, notes) -> tuple[tuple[Chord, ...], str, int]:
    """Chord spans, where they came from, and how many bars the chords ask for (a sidecar's bars,
    or the bar of the last chord mark: a lead sheet's changes may go on after its melody ends).
    Either is held to the solo-length limit before its bars are counted."""
    end = bar_starts(meter, bars_needed(meter, max(n.end for n in notes)))[-1]
    marks = chord_marks(midi.texts, TEXT_KINDS, midi.tempo_map.ticks_per_beat)
    if marks:
        ticks = timing.to_grid(np.array([t for t, _ in marks])) - origin
        placed = [(int(t), symbol) for t, (_, symbol) in zip(ticks, marks)]
        last_chord = max((t for t, symbol in placed if symbol.root is not None), default=0)
        check_solo_length(
            last_chord / TICKS_PER_BEAT,
            "its chord marks run to beat {}",
            "split the file or remove the stray marker",
        )
        end = max(
            end, bar_starts(meter, bars_needed(meter, last_chord + 1))[-1]
        )  # chords after the melody's end
        spans = chords_from_marks(placed, end)
        if spans:
            return spans, "text events", bars_needed(meter, end)
    sidecar = path.with_suffix(".chords") if path is not None else None
    if sidecar is not None and sidecar.is_file():
        chords, bars = read_sidecar(sidecar, meter)
        check_solo_length(
            bar_starts(meter, bars)[-1] / TICKS_PER_BEAT,
            "its .chords file runs to beat {}",
            "cut the .chords file to the solo's length",
        )
        return chords, f"sidecar file {sidecar.name}", bars
    others = [p for p in others if not p.info.is_drum]
    if others:
        starts = bar_starts(meter, bars_needed(meter, end))
        chords = estimate_chords(accompaniment(others, lambda ticks: timing.to_grid(ticks) - origin), starts)
        if chords:
            names = ", ".join(f"{p.info.index} {p.info.name!r}" for p in others[:6])
            more = f" and {len(others) - 6} more" if len(others) > 6 else ""
            return chords, f"estimated from tracks {names}{more}", 0
    return (), "none (NC)", 0


def accompaniment(parts, to_grid) -> Accompaniment:
    """The non-drum parts' notes on the grid (to_grid: file ticks -> grid ticks); a part that looks
    like a bass (by name, program or register) and plays one note at a time is the bass."""
    notes = np.concatenate([p.notes for p in parts])
    weights = np.concatenate([np.full(len(p.notes), 0.5 + p.info.polyphony) for p in parts])
    bass = np.concatenate([np.full(len(p.notes), is_bass_line(p)) for p in parts])
    return Accompaniment(
        to_grid(notes[:, 0]), to_grid(notes[:, 1]), notes[:, 2], weights, bass if bass.any() else None
    )


def is_bass_line(part: Part) -> bool:
    return is_bass(part.info) and not part.info.is_drum and part.info.polyphony < 0.5
