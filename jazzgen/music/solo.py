"""The records that flow between stages: notes, chord spans, meter and the solo itself.

Time inside jazzgen is an integer tick grid of TICKS_PER_BEAT ticks per quarter note, counted
from the start of the solo's first bar. Twelve ticks hold 16ths, 8th triplets and 16th triplets
exactly. Seconds appear only at the MIDI edge (readers and the renderer).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property

from jazzgen.errors import DataError

TICKS_PER_BEAT = 12
MAX_BEATS = 20_000  # the longest solo a reader builds: 100 minutes at 200 bpm; longer is a broken file


@dataclass(frozen=True)
class Note:
    """One melody note. onset, duration: ticks; pitch: MIDI number; velocity: 1..127."""

    onset: int
    duration: int
    pitch: int
    velocity: int = 90

    def __post_init__(self):
        if self.onset < 0:
            raise DataError(f"note onset {self.onset} is before the first bar")
        if self.duration < 1:
            raise DataError(
                f"note at tick {self.onset} has length {self.duration}; notes need at least 1 tick"
            )
        if not 0 <= self.pitch <= 127:
            raise DataError(f"pitch {self.pitch} is outside MIDI's 0..127")
        if not 1 <= self.velocity <= 127:
            raise DataError(f"velocity {self.velocity} is outside 1..127")

    @property
    def end(self) -> int:
        return self.onset + self.duration


@dataclass(frozen=True)
class Chord:
    """A chord symbol sounding from onset for duration ticks.

    root and bass are pitch classes (0 = C); root is None for NC (no chord). pitch_classes holds
    every pitch class the symbol names (tensions included); chord_tones only root, 3rd, 5th and
    6th/7th; scale the chord scale a soloist plays over it. quality is the canonical quality name
    (see jazzgen.music.chords.QUALITIES).
    """

    onset: int
    duration: int
    symbol: str
    root: int | None
    quality: str
    chord_tones: frozenset[int] = frozenset()
    scale: frozenset[int] = frozenset()
    pitch_classes: frozenset[int] = frozenset()
    bass: int | None = None

    def __post_init__(self):
        if self.onset < 0 or self.duration < 1:
            raise DataError(f"chord {self.symbol!r} has span {self.onset}+{self.duration} ticks")

    @property
    def end(self) -> int:
        return self.onset + self.duration

    @property
    def is_nc(self) -> bool:
        return self.root is None


@dataclass(frozen=True)
class TimeSignature:
    """A meter that holds from bar (0-based) until the next change."""

    bar: int
    numerator: int
    denominator: int

    def __post_init__(self):
        if self.bar < 0 or self.numerator < 1 or self.denominator not in (1, 2, 4, 8, 16):
            raise DataError(
                f"time signature {self.numerator}/{self.denominator} at bar {self.bar} is not supported"
            )

    @property
    def bar_ticks(self) -> int:
        """Length of one bar in ticks (a 6/8 bar is 3 quarter notes = 36 ticks)."""
        ticks = Fraction(self.numerator * 4 * TICKS_PER_BEAT, self.denominator)
        if ticks.denominator != 1:
            raise DataError(
                f"a {self.numerator}/{self.denominator} bar does not fit the {TICKS_PER_BEAT}-tick grid"
            )
        return int(ticks)

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class Solo:
    """A monophonic solo over chord spans, in a meter that may change, at one tempo.

    notes: sorted by onset, at most one note starting per tick; chords: sorted, not overlapping;
    meter: sorted by bar, the first at bar 0; bars: how many bars the solo spans; tempo: quarter
    notes per minute; source: where it came from (a path, maybe with a part name).
    """

    notes: tuple[Note, ...]
    chords: tuple[Chord, ...]
    meter: tuple[TimeSignature, ...]
    bars: int
    tempo: float = 120.0
    source: str = ""
    title: str = ""
    info: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self):
        if not self.meter or self.meter[0].bar != 0:
            raise DataError("a solo's meter must start at bar 0")
        if any(a.bar >= b.bar for a, b in zip(self.meter, self.meter[1:])):
            raise DataError("meter changes must be in increasing bar order")
        if self.bars < 1:
            raise DataError("a solo needs at least one bar")
        if not 10 <= self.tempo <= 1000:
            raise DataError(f"tempo {self.tempo} bpm is outside 10..1000")
        if any(a.onset >= b.onset for a, b in zip(self.notes, self.notes[1:])):
            raise DataError(
                "notes must be sorted with at most one onset per tick (reduce to one voice first)"
            )
        if any(a.end > b.onset for a, b in zip(self.chords, self.chords[1:])):
            raise DataError("chord spans must be sorted and must not overlap")
        if self.notes and self.notes[-1].onset >= self.end:
            raise DataError(
                f"a note starts at tick {self.notes[-1].onset}, after the solo's {self.bars} bars"
            )

    @cached_property
    def bar_starts(self) -> tuple[int, ...]:
        """Tick at which each bar starts, plus the tick where the last bar ends (computed once:
        the record is frozen)."""
        return bar_starts(self.meter, self.bars)

    @property
    def end(self) -> int:
        return self.bar_starts[-1]

    def time_signature_at_bar(self, bar: int) -> TimeSignature:
        current = self.meter[0]
        for ts in self.meter:
            if ts.bar <= bar:
                current = ts
        return current

    def chord_at(self, tick: int) -> Chord | None:
        """The chord sounding at tick, or None where no chord span covers it."""
        return chord_at(self.chords, tick)

    def with_(self, **changes) -> Solo:
        return replace(self, **changes)


def check_solo_length(beats: float, what: str, fix: str) -> None:
    """DataError when a reader's solo would run past MAX_BEATS beats (quarter notes), raised before
    its bars are built. what: the reason, a {} where the beats go ('its chord marks run to beat {}'),
    no text from the file in it; fix: what the user can do about it."""
    if beats > MAX_BEATS:
        count = f"{beats:,.0f}" if beats < 1e15 else f"{beats:.3g}"
        raise DataError(f"{what.format(count)}; jazzgen reads solos of up to {MAX_BEATS:,} beats: {fix}")


def bar_starts(meter: tuple[TimeSignature, ...], bars: int) -> tuple[int, ...]:
    """Start tick of bars 0..bars-1 and the end tick of the last bar."""
    starts, tick, index = [0], 0, 0
    for bar in range(bars):
        while index + 1 < len(meter) and meter[index + 1].bar <= bar:
            index += 1
        tick += meter[index].bar_ticks
        starts.append(tick)
    return tuple(starts)


def chord_at(chords: tuple[Chord, ...], tick: int) -> Chord | None:
    """Binary search for the chord span covering tick."""
    lo, hi = 0, len(chords)
    while lo < hi:
        mid = (lo + hi) // 2
        if chords[mid].onset <= tick:
            lo = mid + 1
        else:
            hi = mid
    if lo and chords[lo - 1].end > tick:
        return chords[lo - 1]
    return None


def monophonic(notes: list[Note]) -> tuple[Note, ...]:
    """Reduce notes to one voice: the highest note at each onset, each cut at the next onset."""
    top: dict[int, Note] = {}
    for note in notes:
        if note.onset not in top or note.pitch > top[note.onset].pitch:
            top[note.onset] = note
    ordered = [top[t] for t in sorted(top)]
    out = []
    for note, nxt in zip(ordered, ordered[1:] + [None]):
        if nxt is not None and note.end > nxt.onset:
            note = replace(note, duration=nxt.onset - note.onset)
        out.append(note)
    return tuple(out)


def bars_needed(meter: tuple[TimeSignature, ...], end_tick: int) -> int:
    """The fewest bars whose span reaches end_tick (at least one)."""
    bars, tick, index = 0, 0, 0
    while bars == 0 or tick < end_tick:
        while index + 1 < len(meter) and meter[index + 1].bar <= bars:
            index += 1
        tick += meter[index].bar_ticks
        bars += 1
    return bars
