"""Placing a MIDI file's notes on jazzgen's grid (TICKS_PER_BEAT ticks a quarter note) and its bars.

Three cases, chosen from the melody's onsets:

- a quantised file (ON_GRID_SHARE of its onsets on a 12th of its beat, give or take a file tick)
  keeps its own ticks, tempo map and bar lines exactly;
- a take played to the file's beat (NEAR_GRID_SHARE of its onsets within NEAR_GRID beats of a
  16th or an 8th-triplet of its beat: a recording made to a click) is quantised beat by beat
  through the file's own beats, keeping its bar lines;
- any other performance is quantised through beats tracked from its onsets and those of the
  other parts playing along (jazzgen.formats.midi.beats), the file's tempo as the prior; its first meter is
  kept and its downbeat guessed.

Times in seconds exist only here, between the file's tempo map and the tracked beats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from jazzgen.formats.midi import beats as beat_tracking
from jazzgen.music.solo import TICKS_PER_BEAT, Note, TimeSignature, check_solo_length, monophonic

ON_GRID_SHARE = 0.85
PLAYED_GRID = (0.0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0)  # beats: 16ths and 8th triplets
NEAR_GRID, NEAR_GRID_SHARE = 0.04, 0.7  # a performance off the grid has about half its onsets this near
BASS_ON_BEAT = 2  # grid ticks: a bass note this near a beat is the bass line's note for that beat
DEFAULT_TEMPO = 500000  # microseconds a quarter note (120 bpm) until a file sets one

Meters = tuple[tuple[int, int, int], ...]  # (tick, numerator, denominator), sorted by tick


@dataclass(frozen=True)
class TempoMap:
    """A file's time grid: ticks_per_beat, (tick, microseconds a quarter) changes, its meters."""

    ticks_per_beat: int
    tempos: tuple[tuple[int, int], ...]
    meters: Meters

    def bpm_at(self, tick: int) -> float:
        current = ([us for at, us in self.tempos if at <= tick] or [DEFAULT_TEMPO])[-1]
        return 60e6 / current

    def seconds(self, ticks) -> np.ndarray:
        """File ticks (array) to seconds from the start of the file."""
        first = [us for at, us in self.tempos if at == 0][-1:] or [DEFAULT_TEMPO]
        changes = [(0, first[0])] + [(at, us) for at, us in self.tempos if at > 0]
        at = np.array([t for t, _ in changes], dtype=float)
        per_tick = np.array([us for _, us in changes], dtype=float) / 1e6 / self.ticks_per_beat
        elapsed = np.concatenate([[0.0], np.cumsum(np.diff(at) * per_tick[:-1])])
        ticks = np.asarray(ticks, dtype=float)
        index = np.searchsorted(at, ticks, side="right") - 1
        return elapsed[index] + (ticks - at[index]) * per_tick[index]


@dataclass(frozen=True)
class Timing:
    """Where a melody's notes land: onsets on the grid, a map for any other file ticks (note
    ends, chord marks, accompaniment), the meters on the grid, a tempo and how it was decided."""

    onsets: np.ndarray  # grid tick of each melody note
    to_grid: Callable[[np.ndarray], np.ndarray]  # file ticks -> grid ticks
    meters: Meters  # on the grid
    tempo: float  # quarter notes per minute
    description: str


def melody_timing(
    tempo_map: TempoMap, notes: np.ndarray, band: Sequence[np.ndarray] = (), bass: np.ndarray | None = None
) -> Timing:
    """Timing of a melody; notes: (n, 2+) file ticks start, end, sorted by start; band: the note
    starts (file ticks) of each other part, which help find the beat of a performance; bass: the
    bass part's notes (n, 3+: start, end, pitch in file ticks), which help find its downbeat."""
    tpb = tempo_map.ticks_per_beat
    starts = notes[:, 0]
    check_solo_length(
        (notes[:, 1].max() - starts[0]) / tpb,
        "its melody lasts {} beats",
        "split the file, or remove the stray notes far from the rest",
    )
    grid = tpb / TICKS_PER_BEAT  # file ticks a grid tick
    on_grid = np.abs(starts / grid - np.rint(starts / grid)) * grid <= max(1.0, tpb / 100)
    if on_grid.mean() >= ON_GRID_SHARE:
        to_grid = _file_ticks(tpb)
        return Timing(
            to_grid(starts),
            to_grid,
            _meters(tempo_map, to_grid),
            tempo_map.bpm_at(int(starts[0])),
            "quantised file: notes kept on its own tick grid",
        )
    if _near_file_beats(starts / tpb):
        return _file_beat_timing(tempo_map, notes)
    return _tracked_timing(tempo_map, notes, band, bass)


def _file_ticks(tpb: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda ticks: np.rint(np.asarray(ticks) * TICKS_PER_BEAT / tpb).astype(np.int64)


def _meters(tempo_map: TempoMap, to_grid) -> Meters:
    return tuple((int(to_grid(tick)), num, den) for tick, num, den in tempo_map.meters) or ((0, 4, 4),)


def _near_file_beats(positions: np.ndarray) -> bool:
    """Whether onsets (in file beats) lie near the file's 16ths and triplets, as played to a click."""
    inside = positions - np.floor(positions)
    distance = np.abs(inside[:, None] - np.array(PLAYED_GRID)[None, :]).min(axis=1)
    return bool((distance <= NEAR_GRID).mean() >= NEAR_GRID_SHARE)


def _through_beats(tempo_map: TempoMap, beats: np.ndarray, offset: int):
    """File ticks -> grid ticks through beat times in seconds, beats[0] landing on grid tick offset."""

    def to_grid(ticks):
        position = np.interp(tempo_map.seconds(ticks), beats, np.arange(len(beats), dtype=float))
        return np.rint(position * TICKS_PER_BEAT).astype(np.int64) + offset

    return to_grid


def _file_beat_timing(tempo_map: TempoMap, notes: np.ndarray) -> Timing:
    tpb = tempo_map.ticks_per_beat
    first = int(notes[0, 0] // tpb)
    beats = tempo_map.seconds(np.arange(first, notes[-1, 0] // tpb + 3) * tpb)
    onsets = beat_tracking.quantise(tempo_map.seconds(notes[:, 0]), beats) + TICKS_PER_BEAT * first
    return Timing(
        onsets,
        _through_beats(tempo_map, beats, TICKS_PER_BEAT * first),
        _meters(tempo_map, _file_ticks(tpb)),
        tempo_map.bpm_at(int(notes[0, 0])),
        "played to the file's beat: onsets quantised to the file's own beats and bars",
    )


def _tracked_timing(
    tempo_map: TempoMap, notes: np.ndarray, band: Sequence[np.ndarray], bass: np.ndarray | None
) -> Timing:
    seconds = tempo_map.seconds(notes[:, 0])
    band = [tempo_map.seconds(starts) for starts in band if len(starts)]
    beats = beat_tracking.track_beats(seconds, 60.0 / tempo_map.bpm_at(int(notes[0, 0])), band)
    numerator, denominator = tempo_map.meters[0][1:] if tempo_map.meters else (4, 4)
    beats_per_bar = max(1, TimeSignature(0, numerator, denominator).bar_ticks // TICKS_PER_BEAT)
    onsets = beat_tracking.quantise(seconds, beats)
    to_grid = _through_beats(tempo_map, beats, 0)
    ends = np.maximum(to_grid(notes[:, 1]), onsets + 1)
    line = _bass_line(to_grid, bass) if bass is not None and len(bass) else None
    shift = TICKS_PER_BEAT * beat_tracking.bar_phase(onsets, ends, beats_per_bar, line)
    bpm = 60.0 / float(np.median(np.diff(beats)))
    meters = ((0, numerator, denominator),)
    by_bass = "the bass line and " if line is not None else ""
    description = (
        f"performance: beats tracked through the onsets {_of_whom(len(band))} "
        f"(about {bpm:.0f} bpm), downbeat guessed from {by_bass}where the melody's long notes "
        "and phrase starts fall"
    )
    return Timing(onsets + shift, _through_beats(tempo_map, beats, shift), meters, bpm, description)


def _bass_line(to_grid, bass: np.ndarray) -> np.ndarray:
    """The bass pitch played on each beat from grid tick 0 (a note starting within BASS_ON_BEAT
    ticks of it; the lowest if several), -1 where none."""
    ticks = to_grid(bass[:, 0])
    beat = np.rint(ticks / TICKS_PER_BEAT).astype(int)
    on_beat = (np.abs(ticks - beat * TICKS_PER_BEAT) <= BASS_ON_BEAT) & (beat >= 0)
    line = np.full(int(beat.max(initial=0)) + 1, 10_000)
    np.minimum.at(line, beat[on_beat], bass[on_beat, 2].astype(int))
    return np.where(line == 10_000, -1, line)


def _of_whom(others: int) -> str:
    if not others:
        return "of the melody alone"
    return f"of the melody and {others} other part{'s' if others > 1 else ''}"


def bar_lines(meters: Meters, first: int, last: int) -> list[tuple[int, int, int]]:
    """(start tick, numerator, denominator) of the bars from the one holding grid tick first to
    the one holding last, bars counted from tick 0 (4/4 until a meter is set). A meter change
    inside a bar takes effect at the next bar line."""
    bars, tick, index, current = [], 0, 0, (4, 4)
    while tick <= last:
        while index < len(meters) and meters[index][0] <= tick:
            current = meters[index][1:]
            index += 1
        length = TimeSignature(0, *current).bar_ticks
        if tick + length <= first:  # skip whole bars up to first or to the next meter change
            skip = (first - tick) // length
            if index < len(meters):
                skip = min(skip, -(-(meters[index][0] - tick) // length))
            tick += skip * length
            continue
        bars.append((tick, *current))
        tick += length
    return bars


def solo_notes(notes: np.ndarray, timing: Timing) -> tuple[tuple[Note, ...], int, tuple[TimeSignature, ...]]:
    """The melody's top voice counted from its first bar, that bar's grid tick, and the meter
    from that bar on. notes: (n, 4) file ticks start, end, pitch, velocity."""
    onsets = timing.onsets
    ends = np.maximum(timing.to_grid(notes[:, 1]), onsets + 1)
    bars = bar_lines(timing.meters, int(onsets.min()), int(onsets.max()))
    origin = bars[0][0]
    raw = [
        Note(int(onset - origin), int(end - onset), int(pitch), int(velocity))
        for onset, end, pitch, velocity in zip(onsets, ends, notes[:, 2], notes[:, 3])
    ]
    return monophonic(raw), origin, meter_of_bars(bars)


def meter_of_bars(bars: list[tuple[int, int, int]]) -> tuple[TimeSignature, ...]:
    """The meter by bar (a TimeSignature where it changes) of bar_lines' bars, counted from the first."""
    meter = [TimeSignature(0, *bars[0][1:])]
    for i in range(1, len(bars)):
        if bars[i][1:] != bars[i - 1][1:]:
            meter.append(TimeSignature(i, *bars[i][1:]))
    return tuple(meter)
