"""Chords for a solo read from MIDI: chord-symbol text events, a sidecar file of changes, or
chord symbols estimated from the accompaniment's notes (jazzgen.music.recognition: Accompaniment
and estimate_chords are named here too, for the readers that import them from here).
"""

from __future__ import annotations

from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.music.changes import MAX_CHANGES_CHARS, parse_changes
from jazzgen.music.chords import ChordSymbol, chord_from_symbol, parse_chord
from jazzgen.music.recognition import Accompaniment, estimate_chords
from jazzgen.music.solo import Chord, TimeSignature

__all__ = ["Accompaniment", "chord_marks", "chords_from_marks", "estimate_chords", "read_sidecar"]


REHEARSAL_GAP_BEATS = 16  # bare letters a median of this many beats apart or more mark sections


def chord_marks(texts, kinds: tuple[str, ...], ticks_per_beat: int) -> list[tuple[int, ChordSymbol]]:
    """(tick, symbol) from (tick, kind, text) events, of the kinds whose texts are mostly chord
    symbols (at least two, and half of that kind's texts): lyrics and titles are passed over, and so
    are rehearsal letters ('A', 'B', 'C': bare letters REHEARSAL_GAP_BEATS or more apart)."""
    marks = {}
    for kind in kinds:
        events = [(tick, text.strip()) for tick, k, text in texts if k == kind and text.strip()]
        parsed = [(tick, text, _chord_or_none(text)) for tick, text in events]
        good = [(tick, symbol) for tick, _, symbol in parsed if symbol is not None]
        if len(good) < 2 or 2 * len(good) < len(events):
            continue
        chords = [text for _, text, symbol in parsed if symbol is not None]
        if _rehearsal_letters(chords, [tick for tick, _ in good], ticks_per_beat):
            continue
        marks.update({(tick, symbol.name): (tick, symbol) for tick, symbol in good})
    return sorted(marks.values(), key=lambda mark: mark[0])


def _rehearsal_letters(texts: list[str], ticks: list[int], ticks_per_beat: int) -> bool:
    if not all(len(text) == 1 and text in "ABCDEFG" for text in texts):
        return False
    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]))
    return gaps[len(gaps) // 2] >= REHEARSAL_GAP_BEATS * ticks_per_beat


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
    """Chord spans and bar count of a '| Dm7 G7 | Cmaj7 | % |' file; its first bar is tick 0. No more
    than one character over what parse_changes reads (MAX_CHANGES_CHARS) is read."""
    try:
        with open(sidecar, encoding="utf-8") as handle:
            text = handle.read(MAX_CHANGES_CHARS + 1)
        return parse_changes(text, meter)
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the chord file {sidecar} ({err})") from None
    except DataError as err:
        raise DataError(f"chord file {sidecar}: {err}") from None
