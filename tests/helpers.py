"""Builders for tiny synthetic solos used across the tests."""

from __future__ import annotations

from pathlib import Path

from jazzgen.music.changes import parse_changes
from jazzgen.music.solo import Note, Solo, TimeSignature, bars_needed

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def make_solo(
    notes, changes: str = "| Cmaj7 |", meter=((0, 4, 4),), tempo: float = 120.0, bars: int | None = None
) -> Solo:
    """notes: (pitch, onset_ticks, duration_ticks) triples; changes: a bar-line progression."""
    signatures = tuple(TimeSignature(*m) for m in meter)
    chords, changes_bars = parse_changes(changes, signatures)
    notes = tuple(Note(onset, duration, pitch) for pitch, onset, duration in notes)
    end = max([n.onset + 1 for n in notes] + [1])
    bars = bars or max(changes_bars, bars_needed(signatures, end))
    return Solo(notes, chords, signatures, bars, tempo, source="test")


def shared(*parts: str) -> Path:
    return SHARED_DATA.joinpath(*parts)
