"""A written line's notes and rests cut into measures and into note values a lead sheet can show.

Takes Pieces (a note or rest each, in ticks of the TICKS_PER_BEAT grid from the start of bar 1)
and the bar lines; gives each bar's Pieces as note values (type, dots, tuplet ratio), tied where
one note takes several values. Nothing here builds XML.

A note crossing a bar line is split and tied. Inside a bar a beat (a quarter note from the bar
line) whose note boundaries fall off the 16th grid is written as a tuplet (3:2 for triplet 8ths,
6:4 for finer); elsewhere lengths become whole to 16th values, single-dotted, tied across a beat
unless the value starts on the beat, or is a quarter or dotted quarter from an off-beat 8th. The
Solo's onsets are straight: swing is applied only when MIDI is rendered.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

from jazzgen.music.solo import TICKS_PER_BEAT

Q = TICKS_PER_BEAT  # ticks, and MusicXML divisions, per quarter note
if Q % 12:  # the note values below (down to a triplet 32nd) must be whole numbers of ticks
    raise ImportError(f"the MusicXML writer needs TICKS_PER_BEAT divisible by 12, not {Q}")

Ratio = tuple[int, int]  # (actual, normal) notes of a tuplet: (3, 2) for triplets

# (ticks, type, dots), longest first: straight values, and values under a 3:2 (or 6:4) tuplet.
STRAIGHT_VALUES = (
    (4 * Q, "whole", 0), (3 * Q, "half", 1), (2 * Q, "half", 0), (3 * Q // 2, "quarter", 1),
    (Q, "quarter", 0), (3 * Q // 4, "eighth", 1), (Q // 2, "eighth", 0), (Q // 4, "16th", 0),
)  # fmt: skip
TUPLET_VALUES = (
    (2 * Q // 3, "quarter", 0), (Q // 2, "eighth", 1), (Q // 3, "eighth", 0),
    (Q // 4, "16th", 1), (Q // 6, "16th", 0), (Q // 12, "32nd", 0),
)  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """A note (pitch: letter 0..6 from C, alter, octave) or a rest (pitch None) in a measure.
    start: ticks from the bar line (from bar 1 before the line is cut into bars); note_type: its
    MusicXML <type> ('eighth'), 'measure' for a whole-bar rest; ratio: its tuplet's, None when
    straight; bracket: 'start' or 'stop' on the first and last value of a tuplet beat."""

    start: int
    ticks: int
    pitch: tuple[int, int, int] | None
    tie_in: bool = False
    tie_out: bool = False
    note_type: str = ""
    dots: int = 0
    ratio: Ratio | None = None
    bracket: str | None = None


def cut_at_bar_lines(line: list[Piece], starts: tuple[int, ...]) -> list[list[Piece]]:
    """line cut at the bar lines (starts: ticks of each, and of the end), starts from each bar line;
    a note cut in two is tied."""
    bars: list[list[Piece]] = [[] for _ in starts[:-1]]
    for piece in line:
        bar, begin, end = bisect_right(starts, piece.start) - 1, piece.start, piece.start + piece.ticks
        while begin < end:
            stop = min(end, starts[bar + 1])
            tie = piece.pitch is not None
            cut = Piece(
                begin - starts[bar],
                stop - begin,
                piece.pitch,
                tie and begin > piece.start,
                tie and stop < end,
            )
            bars[bar].append(cut)
            bar, begin = bar + 1, stop
    return bars


def note_values(pieces: list[Piece], bar_ticks: int) -> list[Piece]:
    """A bar's notes and rests as note values: one measure rest for an empty bar, else each cut at
    tuplet beats and split into values, tied within a note, tuplets bracketed beat by beat."""
    if len(pieces) == 1 and pieces[0].pitch is None:
        return [replace(pieces[0], note_type="measure")]
    tuplets = _tuplet_beats(pieces, bar_ticks)
    values = [value for piece in pieces for value in _piece_values(piece, tuplets, bar_ticks)]
    return _bracketed(values, tuplets)


def _piece_values(piece: Piece, tuplets: dict[int, Ratio], bar_ticks: int) -> list[Piece]:
    """One note or rest as values, tied to each other when a note; piece's own ties at the ends."""
    values = []
    for begin, end in _segments(piece, tuplets, bar_ticks):
        ratio = tuplets.get(begin - begin % Q)
        values += [
            replace(piece, start=start, ticks=ticks, note_type=note_type, dots=dots, ratio=ratio)
            for start, ticks, note_type, dots in _values(begin, end, ratio)
        ]
    tie, last = piece.pitch is not None, len(values) - 1
    return [
        replace(
            value,
            tie_in=piece.tie_in if index == 0 else tie,
            tie_out=piece.tie_out if index == last else tie,
        )
        for index, value in enumerate(values)
    ]


def _tuplet_beats(pieces: list[Piece], bar_ticks: int) -> dict[int, Ratio]:
    """Beat start -> tuplet ratio for the beats holding a note boundary off the 16th grid."""
    bounds = {p.start for p in pieces} | {p.start + p.ticks for p in pieces}
    tuplets = {}
    for beat in range(0, bar_ticks, Q):
        inner = [b - beat for b in bounds if beat < b < min(beat + Q, bar_ticks)]
        if any(b % (Q // 4) for b in inner):
            tuplets[beat] = (3, 2) if all(b % (Q // 3) == 0 for b in inner) else (6, 4)
    return tuplets


def _segments(piece: Piece, tuplets: dict[int, Ratio], bar_ticks: int) -> list[tuple[int, int]]:
    """piece's span, (begin, end) in ticks from the bar line, cut where a tuplet beat starts or ends."""
    end = piece.start + piece.ticks
    cuts = {b for beat in tuplets for b in (beat, min(beat + Q, bar_ticks)) if piece.start < b < end}
    points = [piece.start, *sorted(cuts), end]
    return list(zip(points, points[1:]))


def _values(begin: int, end: int, ratio: Ratio | None) -> list[tuple[int, int, str, int]]:
    """(start, ticks, type, dots) of the values that write [begin, end), longest first."""
    values = []
    while begin < end:
        ticks, note_type, dots = next(
            value
            for value in (TUPLET_VALUES if ratio else STRAIGHT_VALUES)
            if value[0] <= end - begin and (ratio or _straight_value_fits(begin, value[0]))
        )
        values.append((begin, ticks, note_type, dots))
        begin += ticks
    return values


def _straight_value_fits(start: int, ticks: int) -> bool:
    """Whether a straight value may start at start (ticks from the bar line): inside one beat,
    from a beat, or a quarter or dotted quarter from an off-beat 8th (the syncopations jazz reads)."""
    within_beat = start // Q == (start + ticks - 1) // Q
    syncopation = start % (Q // 2) == 0 and ticks in (Q, 3 * Q // 2)
    return within_beat or start % Q == 0 or syncopation


def _bracketed(values: list[Piece], tuplets: dict[int, Ratio]) -> list[Piece]:
    """Values with a tuplet bracket starting on the first and stopping on the last of each tuplet beat."""
    out = list(values)
    for beat in tuplets:
        inside = [i for i, v in enumerate(out) if beat <= v.start < beat + Q]
        out[inside[0]] = replace(out[inside[0]], bracket="start")
        out[inside[-1]] = replace(out[inside[-1]], bracket="stop")
    return out
