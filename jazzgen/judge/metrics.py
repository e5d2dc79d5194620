"""Measuring a solo: the objective figures REFERENCE.md gives for real solos ("Measuring a solo").

Every measure reads a jazzgen.music.solo.Solo (ticks: TICKS_PER_BEAT = 12 per quarter note). The
reference ranges were measured on 32-bar windows of 4/4 solos (`windows`), so compare like with
like. Definitions, in the order of SoloMeasures:

- notes_per_bar: notes starting in the solo / its bars.
- pitch_range: highest minus lowest pitch, semitones.
- pitch_class_entropy: entropy of the 12-bin histogram of note pitch classes, bits (0 .. log2 12).
- scale_consistency: the largest share of notes whose pitch class lies in one of the 12 major
  scales (a major scale holds the same pitch classes as its relative natural minor).
- groove_consistency: 1 - mean Hamming distance between the onset grids of adjacent bars, the
  distance divided by the grid's size. The grid is GROOVE_GRID onset positions a bar: the 12-tick
  grid itself (16ths, 8th triplets and 16th triplets); a note marks the position its onset falls in.
- empty_beat_rate: share of beats (quarter notes) that no note sounds in, even partly.
- chord_tone_rate: share of notes whose pitch class is a chord tone (root, 3rd, 5th, 6th/7th:
  Chord.chord_tones) of the chord sounding at the note's onset; notes under no chord (or NC) are
  left out of both counts.
- mean_interval: mean absolute interval between consecutive notes, semitones.
- monophonic: no two notes sound at once (each note ends by the next one's onset).

copy length needs the training data: CopyIndex holds every run of notes of the training solos,
each note as the symbol (interval from the previous note in semitones, duration in ticks), the
first note of a solo having none (note_symbols; token_symbols reads them from value tokens);
CopyIndex.copy_length(solo) is the most consecutive symbols of the solo that also follow one
another in one training solo, counted in notes.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from jazzgen.music.solo import TICKS_PER_BEAT, Note, Solo
from jazzgen.music.windows import COMMON_TIME, windows  # noqa: F401 - metrics' windows are these
from jazzgen.tokens.values import token_kind

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
GROOVE_GRID = TICKS_PER_BEAT  # onset positions per beat in the groove grid (see the module doc)


@dataclass(frozen=True)
class SoloMeasures:
    """The measures of one solo (see the module doc for each definition and its unit)."""

    notes_per_bar: float
    pitch_range: float
    pitch_class_entropy: float
    scale_consistency: float
    groove_consistency: float
    empty_beat_rate: float
    chord_tone_rate: float
    mean_interval: float
    monophonic: bool

    def as_dict(self) -> dict:
        return asdict(self)


def measure(solo: Solo) -> SoloMeasures:
    """Every measure of one solo; a measure that a solo cannot have (no notes) is NaN."""
    return SoloMeasures(
        notes_per_bar=notes_per_bar(solo),
        pitch_range=pitch_range(solo),
        pitch_class_entropy=pitch_class_entropy(solo),
        scale_consistency=scale_consistency(solo),
        groove_consistency=groove_consistency(solo),
        empty_beat_rate=empty_beat_rate(solo),
        chord_tone_rate=chord_tone_rate(solo),
        mean_interval=mean_interval(solo),
        monophonic=is_monophonic(solo),
    )


def notes_per_bar(solo: Solo) -> float:
    return len(solo.notes) / solo.bars


def pitch_range(solo: Solo) -> float:
    pitches = [n.pitch for n in solo.notes]
    return float(max(pitches) - min(pitches)) if pitches else math.nan


def pitch_class_histogram(solo: Solo) -> np.ndarray:
    """(12,) note counts by pitch class, C = 0."""
    return np.bincount([n.pitch % 12 for n in solo.notes], minlength=12)


def pitch_class_entropy(solo: Solo) -> float:
    """Bits; 0 for one pitch class, log2(12) = 3.58 for all twelve equally often."""
    counts = pitch_class_histogram(solo)
    if not counts.sum():
        return math.nan
    p = counts[counts > 0] / counts.sum()
    return float(abs((p * np.log2(p)).sum()))  # abs: one pitch class gives -0.0


def scale_consistency(solo: Solo) -> float:
    counts = pitch_class_histogram(solo)
    if not counts.sum():
        return math.nan
    inside = [sum(counts[(tonic + step) % 12] for step in MAJOR_SCALE) for tonic in range(12)]
    return float(max(inside) / counts.sum())


def onset_grids(solo: Solo, per_beat: int = GROOVE_GRID) -> np.ndarray:
    """(bars, positions) bool: which grid positions of each bar hold a note onset.

    positions = beats in the bar * per_beat; an onset between positions marks the one before it.
    """
    starts = solo.bar_starts
    size = max(_beats_in(starts[k + 1] - starts[k]) for k in range(solo.bars)) * per_beat
    grids = np.zeros((solo.bars, size), bool)
    for note in solo.notes:
        bar = _bar_of(starts, note.onset)
        position = (note.onset - starts[bar]) * per_beat // TICKS_PER_BEAT
        grids[bar, position] = True
    return grids


def groove_consistency(solo: Solo, per_beat: int = GROOVE_GRID) -> float:
    """1 - mean over adjacent bar pairs of (positions where exactly one bar has an onset) / positions."""
    grids = onset_grids(solo, per_beat)
    if len(grids) < 2:
        return math.nan
    distances = (grids[1:] != grids[:-1]).mean(axis=1)
    return float(1.0 - distances.mean())


def empty_beat_rate(solo: Solo) -> float:
    beats = solo.end // TICKS_PER_BEAT
    sounding = np.zeros(beats, bool)
    for note in solo.notes:
        first, last = note.onset // TICKS_PER_BEAT, (note.end - 1) // TICKS_PER_BEAT
        sounding[first : last + 1] = True
    return float(1.0 - sounding.mean()) if beats else math.nan


def chord_tone_rate(solo: Solo) -> float:
    chords = [solo.chord_at(n.onset) for n in solo.notes]
    judged = [(n, c) for n, c in zip(solo.notes, chords) if c is not None and not c.is_nc]
    if not judged:
        return math.nan
    return sum(n.pitch % 12 in c.chord_tones for n, c in judged) / len(judged)


def mean_interval(solo: Solo) -> float:
    pitches = np.array([n.pitch for n in solo.notes])
    return float(np.abs(np.diff(pitches)).mean()) if len(pitches) > 1 else math.nan


def is_monophonic(solo: Solo) -> bool:
    return all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))


def _beats_in(ticks: int) -> int:
    return -(-ticks // TICKS_PER_BEAT)


def _bar_of(starts: tuple[int, ...], tick: int) -> int:
    return bisect_right(starts, tick) - 1


# ---------------------------------------------------------------- copying from the training data


def note_symbols(notes: tuple[Note, ...]) -> list[tuple[int, int]]:
    """(interval from the previous note in semitones, duration in ticks) of every note but the first."""
    return [(b.pitch - a.pitch, b.duration) for a, b in zip(notes, notes[1:])]


def token_symbols(tokens: list[str]) -> list[tuple[int, int]]:
    """note_symbols read straight from value tokens (a pitch token holds the exact interval, the
    duration tokens after it add up to the duration): a corpus without decoding it."""
    symbols = []
    for token in tokens:
        kind = token_kind(token)
        if kind == "pitch":
            symbols.append([int(token[1:]), 0])
        elif kind == "duration" and symbols:
            symbols[-1][1] += int(token[1:])
    return [(interval, duration) for interval, duration in symbols[1:]]


class CopyIndex:
    """A suffix automaton over the note symbols of the training solos: every run of consecutive
    symbols in one training solo is a path from the root, so the longest run a new solo shares
    with them is found in one pass over the new solo. Building it is linear in the training notes.

    sequences: one list of note symbols per training solo (note_symbols or token_symbols).
    """

    def __init__(self, sequences: Iterable[list[tuple[int, int]]]):
        self._next: list[dict[int, int]] = [{}]  # per state: symbol id -> state
        self._link, self._length, self._last = [-1], [0], 0
        self._ids: dict[tuple[int, int], int] = {}
        self.solos = self.symbols = 0  # training solos, symbols indexed
        for sequence in sequences:
            for symbol in sequence:
                self._extend(self._ids.setdefault(symbol, len(self._ids)))
            self.solos, self.symbols = self.solos + 1, self.symbols + len(sequence)
            self._extend(-self.solos)  # a separator found nowhere else: no run crosses two solos

    @classmethod
    def from_solos(cls, solos: Iterable[Solo]) -> CopyIndex:
        return cls(note_symbols(solo.notes) for solo in solos)

    def _extend(self, symbol: int) -> None:
        """Add one symbol at the end (the textbook online construction)."""
        cur = self._new_state(self._length[self._last] + 1, -1, {})
        state = self._last
        while state != -1 and symbol not in self._next[state]:
            self._next[state][symbol] = cur
            state = self._link[state]
        if state == -1:
            self._link[cur] = 0
        else:
            target = self._next[state][symbol]
            if self._length[state] + 1 == self._length[target]:
                self._link[cur] = target
            else:
                clone = self._new_state(self._length[state] + 1, self._link[target], dict(self._next[target]))
                while state != -1 and self._next[state].get(symbol) == target:
                    self._next[state][symbol] = clone
                    state = self._link[state]
                self._link[target] = self._link[cur] = clone
        self._last = cur

    def _new_state(self, length: int, link: int, moves: dict[int, int]) -> int:
        self._length.append(length)
        self._link.append(link)
        self._next.append(moves)
        return len(self._length) - 1

    def copy_length(self, solo: Solo) -> int:
        """The longest run of the solo's note symbols found in one training solo, in notes."""
        return self.longest_match(note_symbols(solo.notes))

    def longest_match(self, symbols: list[tuple[int, int]]) -> int:
        """The longest run of consecutive symbols that also follow one another in a training solo."""
        state, length, best = 0, 0, 0
        for symbol in symbols:
            key = self._ids.get(symbol)
            while state and key not in self._next[state]:
                state = self._link[state]
                length = self._length[state]
            if key in self._next[state]:
                state, length = self._next[state][key], length + 1
            else:
                length = 0
            best = max(best, length)
        return best
