"""A DAW's backing track as the chart to improvise over: the progression, meter, tempo map and
bar lines of a MIDI file that needs no melody (bass, piano, drums, as a session exports them),
and the file's clock, so that the solo written back lands on the session's own bars.

Chords come from the first source that gives any:
1. the changes the user gives (generate's --changes or --changes-file), their first bar the
   file's bar 1 (what `jazzgen inspect FILE --chords` prints, to correct and pass back);
2. chord symbols in the file's marker, text, lyric or cue events (rehearsal letters passed over);
3. chords recognised from its non-drum parts (jazzgen.music.recognition: the bass names the root,
   the comping the quality).

The chart starts at the first bar holding a chord, or at the bar the user names (from_bar): bars
before it (a count-in, a pickup) are rests in the output. It ends with the last bar holding a
chord or a note of the band. Every time stays the file's: the chart's tick 0 is the file tick
Clock.origin, one jazzgen tick is ticks_per_beat / TICKS_PER_BEAT file ticks, and the tempo and
meter events are written back as they were (jazzgen.formats.render).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import mido
import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import shown
from jazzgen.formats.midi.reader import TEXT_KINDS, accompaniment, read_contents
from jazzgen.formats.midi.timing import DEFAULT_TEMPO, TempoMap, bar_lines, meter_of_bars
from jazzgen.music.changes import parse_changes
from jazzgen.music.harmony import chord_marks, chords_from_marks, estimate_chords
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Solo, TimeSignature, check_solo_length

__all__ = ["Backing", "BandTrack", "Clock", "read_backing"]


@dataclass(frozen=True)
class Clock:
    """A MIDI file's time grid, to write a solo back on: its ticks a quarter note, its tempo and
    meter events in its own ticks, and the file tick where the solo's tick 0 (its first bar) is."""

    ticks_per_beat: int
    tempos: tuple[tuple[int, int], ...]  # (file tick, microseconds a quarter note)
    meters: tuple[tuple[int, int, int], ...]  # (file tick, numerator, denominator)
    origin: int = 0


@dataclass(frozen=True)
class BandTrack:
    """One track of the backing's band as the file plays it: its name and channel messages."""

    name: str
    events: tuple[tuple[int, mido.Message], ...]  # (file tick, message), in time order


@dataclass(frozen=True)
class Backing:
    """A backing track read to play over: the chart (a note-less Solo from its first bar), the
    file's clock, the file bar (from 1) the chart starts at, where the chords came from, and the
    band's tracks to play under the solo."""

    chart: Solo
    clock: Clock
    first_bar: int
    chords_from: str
    band: tuple[BandTrack, ...]


def read_backing(
    path: str | Path, changes: str | None = None, from_bar: int | None = None, bars: int | None = None
) -> Backing:
    """The backing track at path (see the module doc). changes: the progression the user gives,
    from the file's bar 1; from_bar: the file bar the solo starts at; bars: how many bars it lasts
    (the backing's length from there by default). DataError for a file with no chords to read,
    UsageError for a from_bar or bars past its end."""
    path = Path(path)
    whole = _whole_file(path, changes)
    bars_in_file = len(whole.starts) - 1
    first = _first_bar(whole, from_bar, path)
    last = _last_bar(whole, first)
    if bars is not None:
        if not 1 <= bars <= bars_in_file - first:
            raise UsageError(
                f"--bars {bars}: {shown(path)} has {bars_in_file - first} bars from bar {first + 1}; "
                "give at most that many"
            )
        last = first + bars
    chart = _chart(whole, first, last, path)
    tempo_map = whole.tempo_map
    origin = _file_tick(whole.starts[first], tempo_map.ticks_per_beat)
    tempos = tempo_map.tempos or ((0, DEFAULT_TEMPO),)  # written out, so the file plays as it was read
    clock = Clock(tempo_map.ticks_per_beat, tempos, tempo_map.meters, origin)
    return Backing(chart, clock, first + 1, whole.chords_from, whole.band)


def file_chart(path: str | Path, changes: str | None = None) -> Solo:
    """The whole file's chart from its bar 1 (count-in bars NC), as `inspect --chords` prints it."""
    whole = _whole_file(Path(path), changes)
    return _chart(whole, 0, len(whole.starts) - 1, Path(path))


@dataclass(frozen=True)
class _WholeFile:
    """The file read from its bar 1 on jazzgen's grid: bar starts (and the end of the last bar),
    the meter by bar, chords, where they came from, the last tick the band sounds, the file's
    tempo map, and its band."""

    starts: tuple[int, ...]
    meter: tuple[TimeSignature, ...]
    chords: tuple[Chord, ...]
    chords_from: str
    last_sound: int
    tempo_map: TempoMap  # in the file's ticks
    band: tuple[BandTrack, ...]


def _whole_file(path: Path, changes: str | None) -> _WholeFile:
    if not path.is_file():
        raise UsageError(f"--over {shown(path)}: {'not a regular file' if path.exists() else 'no such file'}")
    contents, midi = read_contents(path)
    tpb = contents.tempo_map.ticks_per_beat
    parts = [p for p in contents.parts if not p.info.is_drum] or list(contents.parts)
    last_sound = max(int(p.notes[:, 1].max()) for p in parts)
    marks = chord_marks(contents.texts, TEXT_KINDS, tpb)
    last_mark = max((t for t, symbol in marks if symbol.root is not None), default=0)
    check_solo_length(
        max(last_sound, last_mark) / tpb,
        "its band plays to beat {}",
        "cut the backing track to the tune in the DAW and export it again",
    )
    grid_meters = tuple((_grid(t, tpb), n, d) for t, n, d in contents.tempo_map.meters) or ((0, 4, 4),)
    lines = bar_lines(grid_meters, 0, max(_grid(last_sound, tpb), _grid(last_mark, tpb)) - 1)
    starts = tuple(b[0] for b in lines) + (lines[-1][0] + TimeSignature(0, *lines[-1][1:]).bar_ticks,)
    meter = meter_of_bars(lines)
    chords, chords_from = _chords(path, changes, marks, contents, starts, meter, tpb)
    return _WholeFile(
        starts, meter, chords, chords_from, _grid(last_sound, tpb), contents.tempo_map, _band(midi)
    )


def _chords(path, changes, marks, contents, starts, meter, tpb):
    """Chords from the first source that gives any (see the module doc), and where they came from."""
    if changes is not None:
        chords, count = parse_changes(changes, meter)
        if count > len(starts) - 1:
            raise UsageError(
                f"the changes hold {count} bars; {shown(path)} has {len(starts) - 1}: their first bar is "
                "the file's bar 1 (count-in bars are written NC)"
            )
        return chords, "the changes given"
    if marks:
        spans = chords_from_marks([(_grid(t, tpb), symbol) for t, symbol in marks], starts[-1])
        if spans:
            return spans, "chord symbols in the file's text events"
    harmony = [p for p in contents.parts if not p.info.is_drum]
    if harmony:
        chords = estimate_chords(accompaniment(harmony, lambda ticks: _grid(ticks, tpb)), starts)
        if chords:
            names = ", ".join(f"{p.info.index} {p.info.name!r}" for p in harmony[:6])
            return chords, f"recognised from tracks {names}"
    raise DataError(
        f"{shown(path)}: no chords found (no chord symbols in its markers, and its parts hold no "
        "harmony jazzgen recognises); give them with --changes-file, from the file's bar 1"
    )


def _first_bar(whole: _WholeFile, from_bar: int | None, path: Path) -> int:
    """The bar index the chart starts at: from_bar's (counted from 1), else the first with a chord."""
    count = len(whole.starts) - 1
    if from_bar is not None:
        if not 1 <= from_bar <= count:
            raise UsageError(f"--from-bar {from_bar}: {shown(path)} has bars 1 to {count}")
        return from_bar - 1
    onset = next(c.onset for c in whole.chords if not c.is_nc)
    return int(np.searchsorted(whole.starts, onset, side="right")) - 1


def _last_bar(whole: _WholeFile, first: int) -> int:
    """The bar index after the last one holding a chord or a sounding note (at least first + 1)."""
    ends = [c.end for c in whole.chords if not c.is_nc] + [whole.last_sound]
    end = min(max(ends), whole.starts[-1])
    return max(first + 1, int(np.searchsorted(whole.starts, end, side="left")))


def _chart(whole: _WholeFile, first: int, last: int, path: Path) -> Solo:
    begin, end = whole.starts[first], whole.starts[last]
    chords = tuple(
        replace(c, onset=max(c.onset, begin) - begin, duration=min(c.end, end) - max(c.onset, begin))
        for c in whole.chords
        if c.end > begin and c.onset < end and not c.is_nc
    )
    meter = [TimeSignature(0, *_at_bar(whole.meter, first))]
    for ts in whole.meter:
        if first < ts.bar < last:
            meter.append(TimeSignature(ts.bar - first, ts.numerator, ts.denominator))
    at = _file_tick(begin, whole.tempo_map.ticks_per_beat)
    tempo = round(min(1000.0, max(10.0, whole.tempo_map.bpm_at(at))), 2)
    return Solo((), chords, tuple(meter), last - first, tempo, source=str(path), title=path.stem)


def _at_bar(meter: tuple[TimeSignature, ...], bar: int) -> tuple[int, int]:
    current = meter[0]
    for ts in meter:
        if ts.bar <= bar:
            current = ts
    return current.numerator, current.denominator


def _band(midi: mido.MidiFile) -> tuple[BandTrack, ...]:
    """Each track that plays notes, with its name and channel messages (its tempo, meter and text
    events go to the conductor track the renderer writes)."""
    tracks = []
    for index, track in enumerate(midi.tracks):
        tick, events, name = 0, [], ""
        for message in track:
            tick += message.time
            if message.type == "track_name" and not name:
                name = message.name
            elif not message.is_meta and message.type != "sysex":
                events.append((tick, message.copy(time=0)))
        if any(m.type == "note_on" for _, m in events):
            tracks.append(BandTrack(name or f"Track {index}", tuple(events)))
    return tuple(tracks)


def _grid(ticks, tpb: int):
    """File ticks to jazzgen ticks (rounded to the nearest)."""
    grid = np.rint(np.asarray(ticks, dtype=np.float64) * TICKS_PER_BEAT / tpb).astype(np.int64)
    return int(grid) if grid.ndim == 0 else grid


def _file_tick(tick: int, tpb: int) -> int:
    return round(tick * tpb / TICKS_PER_BEAT)
