"""Chords for a solo read from MIDI: chord-symbol text events, a sidecar file of changes, or
chord symbols estimated from the accompaniment's notes.

Estimation uses pitch-class templates, one chord per half bar. Each half bar (a whole bar where
a half bar is not a whole number of beats) gets a pitch-class profile: how long each pitch class
sounds in it, weighted by how much its part is a comping part.
A chord symbol (every root, every quality of jazzgen.music.chords.QUALITIES but 7alt) scores the share
of the profile its chord tones hold, less a share of what falls outside them, plus the bass: the
pitch class the lowest notes play is most likely the root. The best symbol wins; a half bar with
less than MIN_SOUNDING beats of accompaniment gets no chord, and repeated symbols merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError
from jazzgen.music.chords import (
    MAX_CHANGES_CHARS,
    NOTE_NAMES,
    QUALITIES,
    ChordSymbol,
    chord_from_symbol,
    make_chord,
    merge_repeats,
    parse_changes,
    parse_chord,
)
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, TimeSignature

OUTSIDE_COST = 0.5  # per unit of profile outside the chord tones
BASS_WEIGHT = 0.35  # score for the bass playing the root, per unit of bass profile
TONE_COST = 0.02  # per chord tone: a triad wins over a 7th chord whose 7th is silent
MIN_SOUNDING = 1.0  # beats of accompaniment a half bar needs for a chord
BASS_SPAN = 5  # semitones above a segment's lowest note that still count as bass
QUALITY_PRIOR = {  # common jazz qualities are preferred when the evidence is even
    "maj7": 0.0,
    "m7": 0.0,
    "7": 0.0,
    "6": 0.0,
    "m6": 0.0,
    "m7b5": 0.0,
    "": 0.0,
    "m": 0.0,
    "dim7": -0.05,
    "7sus4": -0.05,
    "mmaj7": -0.05,
    "aug": -0.06,
    "aug7": -0.05,
    "dim": -0.08,
    "sus4": -0.08,
    "augmaj7": -0.08,
}


@dataclass(frozen=True)
class Accompaniment:
    """Accompaniment notes on the solo's tick grid: arrays of one value per note."""

    onsets: np.ndarray  # ticks
    ends: np.ndarray  # ticks
    pitches: np.ndarray  # MIDI numbers
    weights: np.ndarray  # how much each note's part counts (comping parts more than lines)


def _templates() -> tuple[np.ndarray, list[tuple[int, str]], np.ndarray]:
    """(symbols, 12) chord-tone masks, the (root, quality) of each row, and each row's prior."""
    rows, names, priors = [], [], []
    for quality, prior in QUALITY_PRIOR.items():
        for root in range(12):
            mask = np.zeros(12)
            mask[[(root + t) % 12 for t in QUALITIES[quality].tones]] = 1.0
            rows.append(mask)
            names.append((root, quality))
            priors.append(prior - TONE_COST * mask.sum())
    return np.array(rows), names, np.array(priors)


def segments(starts: tuple[int, ...]) -> list[tuple[int, int]]:
    """Half bars (or whole bars) as (start tick, end tick) over the bars whose starts are given."""
    spans = []
    for start, end in zip(starts, starts[1:]):
        length = end - start
        if length % (2 * TICKS_PER_BEAT) == 0 and length >= 2 * TICKS_PER_BEAT:
            spans += [(start, start + length // 2), (start + length // 2, end)]
        else:
            spans.append((start, end))
    return spans


def estimate_chords(accompaniment: Accompaniment, starts: tuple[int, ...]) -> tuple[Chord, ...]:
    """Chord spans over the bars whose start ticks (and end tick) are starts."""
    masks, names, priors = _templates()
    chords = []
    for start, end in segments(starts):
        profile, bass = _profiles(accompaniment, start, end)
        if profile.sum() < MIN_SOUNDING * TICKS_PER_BEAT:
            continue
        share = profile / profile.sum()  # (12,)
        bass_share = bass / bass.sum()
        roots = np.array([root for root, _ in names])
        scores = masks @ share - OUTSIDE_COST * (1 - masks) @ share + BASS_WEIGHT * bass_share[roots] + priors
        root, quality = names[int(np.argmax(scores))]
        chords.append(make_chord(NOTE_NAMES[root] + quality, start, end - start))
    return merge_repeats(chords)


def _profiles(acc: Accompaniment, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted ticks each pitch class sounds in [start, end), over all notes and the bass notes."""
    overlap = np.clip(np.minimum(acc.ends, end) - np.maximum(acc.onsets, start), 0, None)
    sounding = overlap > 0
    profile = np.bincount(acc.pitches[sounding] % 12, weights=(overlap * acc.weights)[sounding], minlength=12)
    if not sounding.any():
        return profile, np.ones(12)
    low = acc.pitches[sounding].min()
    is_bass = sounding & (acc.pitches <= low + BASS_SPAN)
    bass = np.bincount(acc.pitches[is_bass] % 12, weights=overlap[is_bass], minlength=12)
    return profile, bass


def chord_marks(texts, kinds: tuple[str, ...]) -> list[tuple[int, ChordSymbol]]:
    """(tick, symbol) from (tick, kind, text) events, of the kinds whose texts are mostly chord
    symbols (at least two, and half of that kind's texts): lyrics and titles are passed over."""
    marks = {}
    for kind in kinds:
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


def chords_from_marks(marks: list[tuple[int, ChordSymbol]], end: int) -> tuple[Chord, ...]:
    """Chord spans from sorted (solo tick, symbol) marks, each lasting to the next mark or to end;
    an NC mark ends a span. A mark before tick 0 holds from 0 until the next one."""
    spans = []
    for (tick, symbol), following in zip(marks, marks[1:] + [(end, None)]):
        start, stop = max(tick, 0), min(following[0], end)
        if symbol.root is not None and stop > start:
            spans.append(chord_from_symbol(symbol, start, stop - start))
    return tuple(spans)


def read_sidecar(sidecar: Path, meter: tuple[TimeSignature, ...]) -> tuple[tuple[Chord, ...], int]:
    """Chord spans and bar count of a '| Dm7 G7 | Cmaj7 % |' file; its first bar is tick 0. No more
    than one character over what parse_changes reads (MAX_CHANGES_CHARS) is read."""
    try:
        with open(sidecar, encoding="utf-8") as handle:
            text = handle.read(MAX_CHANGES_CHARS + 1)
        return parse_changes(text, meter)
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the chord file {sidecar} ({err})") from None
    except DataError as err:
        raise DataError(f"chord file {sidecar}: {err}") from None
