"""Cutting a solo into windows of a few bars, each starting at tick 0: what measures and classifiers
compare, like with like (the reference figures were measured on 32-bar 4/4 windows, the line
figures on 8-bar ones)."""

from __future__ import annotations

from dataclasses import replace

from jazzgen.music.solo import Chord, Solo, TimeSignature

COMMON_TIME = (4, 4)


def windows(solo: Solo, bars: int = 32, meter: tuple[int, int] = COMMON_TIME) -> list[Solo]:
    """The solo cut into consecutive, non-overlapping windows of `bars` bars from its first bar.

    Only whole windows whose every bar is in `meter` (4/4) are kept, as the reference measured.
    Each window starts at tick 0: notes starting in it (cut at its end), chords clipped to it.
    """
    out = []
    starts = solo.bar_starts
    for first in range(0, solo.bars - bars + 1, bars):
        if all(_meter_of(solo, bar) == meter for bar in range(first, first + bars)):
            out.append(_window(solo, starts[first], starts[first + bars], bars, first))
    return out


def _meter_of(solo: Solo, bar: int) -> tuple[int, int]:
    ts = solo.time_signature_at_bar(bar)
    return ts.numerator, ts.denominator


def _window(solo: Solo, start: int, end: int, bars: int, first_bar: int) -> Solo:
    notes = tuple(
        replace(n, onset=n.onset - start, duration=min(n.end, end) - n.onset)
        for n in solo.notes
        if start <= n.onset < end
    )
    chords = tuple(_clip(c, start, end) for c in solo.chords if c.end > start and c.onset < end)
    ts = solo.time_signature_at_bar(first_bar)
    title = f"{solo.title or solo.source} bars {first_bar + 1}-{first_bar + bars}"
    return replace(
        solo,
        notes=notes,
        chords=chords,
        meter=(TimeSignature(0, ts.numerator, ts.denominator),),
        bars=bars,
        title=title,
    )


def _clip(chord: Chord, start: int, end: int) -> Chord:
    onset = max(chord.onset, start)
    return replace(chord, onset=onset - start, duration=min(chord.end, end) - onset)
