"""What a melodic line does over a few bars, as numbers a classifier or a musician can compare:
its rhythm on the beat, its phrases, how it repeats and develops ideas, its contour.

Every feature is relative (no key, register, tempo or velocity), read from a Solo on the
12-ticks-a-beat grid, and defined for 4/4 windows (jazzgen.judge.metrics.windows cuts them):

- drift: whether the line has lost the beat: most of its onsets sit on one 8th-note grid shifted
  off the beat (onset tick mod 6 the same, not 0), where a line in time puts them on 0 mod 6;
- phrases: runs of notes split by a rest of PHRASE_REST ticks (a beat) or more: their length in
  notes and in beats;
- repetition: the share of the window's interval n-grams (pitch steps between consecutive notes,
  n = 3 and 4) and rhythm 3-grams (inter-onset intervals) that occur more than once in the window:
  motifs restated or sequenced;
- contour: the longest run of steps (1 or 2 semitones) in one direction;
- histograms of intervals, onset positions in the beat and in the bar, inter-onset intervals and
  durations, each as shares of the window's notes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from jazzgen.music.solo import TICKS_PER_BEAT, Solo

PHRASE_REST = TICKS_PER_BEAT  # a rest this long (ticks) or longer ends a phrase
EIGHTH = TICKS_PER_BEAT // 2
INTERVAL_BINS = tuple(range(-12, 13))  # semitones; wider leaps count in the end bins
TIME_BINS = (1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 18, 24, 36, 48)  # ticks: 64th-ish to a bar; longer: last bin
BEATS_IN_BAR = 4


@dataclass(frozen=True)
class LineSummary:
    """The headline figures of one window (see the module doc)."""

    drifted: bool
    repeated_3grams: float
    repeated_4grams: float
    repeated_rhythms: float
    phrase_notes: float
    phrase_beats: float
    longest_step_run: int
    eighth_gaps: float  # share of inter-onset intervals that are exactly an 8th
    fast_gaps: float  # share of 2 to 4 ticks (16ths, triplet 8ths and faster)
    eighth_durations: float


def summary(solo: Solo) -> LineSummary:
    onsets, durations, pitches = _arrays(solo)
    gaps = np.diff(onsets)
    phrases = phrase_spans(solo)
    return LineSummary(
        drifted=is_drifted(onsets),
        repeated_3grams=repeated_share(np.diff(pitches), 3),
        repeated_4grams=repeated_share(np.diff(pitches), 4),
        repeated_rhythms=repeated_share(gaps, 3),
        phrase_notes=float(np.mean([count for count, _ in phrases])) if phrases else float("nan"),
        phrase_beats=float(np.mean([ticks / TICKS_PER_BEAT for _, ticks in phrases]))
        if phrases
        else float("nan"),
        longest_step_run=longest_step_run(pitches),
        eighth_gaps=_share(gaps == EIGHTH),
        fast_gaps=_share((gaps >= 2) & (gaps <= 4)),
        eighth_durations=_share(durations == EIGHTH),
    )


def _arrays(solo: Solo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    notes = solo.notes
    return (
        np.array([n.onset for n in notes], int),
        np.array([n.duration for n in notes], int),
        np.array([n.pitch for n in notes], int),
    )


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else float("nan")


def is_drifted(onsets: np.ndarray) -> bool:
    """Whether most onsets sit on one 8th grid shifted off the beat (see the module doc)."""
    if len(onsets) < 4:
        return False
    phases = np.bincount(onsets % EIGHTH, minlength=EIGHTH) / len(onsets)
    return bool(phases.argmax() != 0 and phases.max() > 0.5)


def repeated_share(steps: np.ndarray, n: int) -> float:
    """Share of the n-grams of steps that occur more than once among them (NaN with none)."""
    grams = [tuple(steps[i : i + n]) for i in range(len(steps) - n + 1)]
    if not grams:
        return float("nan")
    counts = Counter(grams)
    return sum(1 for g in grams if counts[g] > 1) / len(grams)


def phrase_spans(solo: Solo) -> list[tuple[int, int]]:
    """(notes, ticks from the first onset to the last note's end) of each phrase."""
    spans, start, count = [], None, 0
    for note, following in zip(solo.notes, solo.notes[1:] + (None,)):
        start = note.onset if start is None else start
        count += 1
        if following is None or following.onset - note.end >= PHRASE_REST:
            spans.append((count, note.end - start))
            start, count = None, 0
    return spans


def longest_step_run(pitches: np.ndarray) -> int:
    """The most consecutive steps of 1 or 2 semitones in one direction, in notes (0 for none)."""
    best = run = 0
    direction = 0
    for step in np.diff(pitches):
        moving = int(np.sign(step)) if 1 <= abs(step) <= 2 else 0
        run = run + 1 if moving and moving == direction else (1 if moving else 0)
        direction = moving
        best = max(best, run)
    return best + 1 if best else 0


# ---------------------------------------------------------------- the feature vector


def feature_names() -> list[str]:
    names = [f"interval {i:+d}" for i in INTERVAL_BINS]
    names += [f"onset tick {t} of the beat" for t in range(TICKS_PER_BEAT)]
    names += [f"onset in beat {b + 1}" for b in range(BEATS_IN_BAR)]
    names += [f"gap {t}" for t in TIME_BINS] + [f"duration {t}" for t in TIME_BINS]
    names += [
        "notes per bar",
        "rest share",
        "phrases per bar",
        "phrase notes",
        "phrase beats",
        "drifted",
        "shifted-grid share",
        "repeated interval 3-grams",
        "repeated interval 4-grams",
        "repeated rhythm 3-grams",
        "longest step run",
        "up share",
        "down share",
        "repeat share",
        "mean |interval|",
        "direction changes",
    ]
    return names


def features(solo: Solo) -> np.ndarray:
    """The window's feature vector, in feature_names() order; a window with under 2 notes gets zeros
    where a feature needs them."""
    onsets, durations, pitches = _arrays(solo)
    steps, gaps = np.diff(pitches), np.diff(onsets)
    bar_ticks = BEATS_IN_BAR * TICKS_PER_BEAT
    parts = [
        _histogram(
            np.clip(steps, INTERVAL_BINS[0], INTERVAL_BINS[-1]) - INTERVAL_BINS[0], len(INTERVAL_BINS)
        ),
        _histogram(onsets % TICKS_PER_BEAT, TICKS_PER_BEAT),
        _histogram((onsets % bar_ticks) // TICKS_PER_BEAT, BEATS_IN_BAR),
        _histogram(_time_bin(gaps), len(TIME_BINS)),
        _histogram(_time_bin(durations), len(TIME_BINS)),
        _line_shape(solo, onsets, durations, steps),
    ]
    return np.concatenate(parts)


def _histogram(values: np.ndarray, bins: int) -> np.ndarray:
    counts = np.bincount(values.astype(int), minlength=bins)[:bins].astype(float)
    return counts / max(counts.sum(), 1.0)


def _time_bin(ticks: np.ndarray) -> np.ndarray:
    """The TIME_BINS index of each tick count: the largest bin at or below it."""
    return np.clip(np.searchsorted(TIME_BINS, ticks, side="right") - 1, 0, len(TIME_BINS) - 1)


def _line_shape(solo: Solo, onsets, durations, steps) -> np.ndarray:
    bars = max(solo.bars, 1)
    phrases = phrase_spans(solo)
    sounding = np.zeros(solo.end, bool)
    for onset, duration in zip(onsets, durations):
        sounding[onset : onset + duration] = True
    shifted = np.bincount(onsets % EIGHTH, minlength=EIGHTH)[1:].max() / len(onsets) if len(onsets) else 0.0
    signs = np.sign(steps)
    moving = signs[signs != 0]
    return np.array(
        [
            len(onsets) / bars,
            1.0 - sounding.mean() if len(sounding) else 1.0,
            len(phrases) / bars,
            np.mean([c for c, _ in phrases]) if phrases else 0.0,
            np.mean([t / TICKS_PER_BEAT for _, t in phrases]) if phrases else 0.0,
            float(is_drifted(onsets)),
            shifted,
            _zero_nan(repeated_share(steps, 3)),
            _zero_nan(repeated_share(steps, 4)),
            _zero_nan(repeated_share(np.diff(onsets), 3)),
            longest_step_run(np.concatenate([[0], np.cumsum(steps)])),
            _zero_nan(_share(signs > 0)),
            _zero_nan(_share(signs < 0)),
            _zero_nan(_share(signs == 0)),
            float(np.abs(steps).mean()) if len(steps) else 0.0,
            float((moving[1:] != moving[:-1]).mean()) if len(moving) > 1 else 0.0,
        ]
    )


def _zero_nan(value: float) -> float:
    return 0.0 if np.isnan(value) else value
