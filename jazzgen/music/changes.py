"""Progressions as musicians type them: bar-line changes text ('| Dm7 G7 | Cmaj7 | % |') read into
chord spans (parse_changes) and written back (format_changes), each bar what stands between two bar
lines."""

from __future__ import annotations

from jazzgen.errors import DataError
from jazzgen.music.chords import make_chord, merge_repeats
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, TimeSignature, bar_starts

MAX_BARS = 10_000  # the longest progression: over three hours of 4/4 at 200 bpm
MAX_CHANGES_CHARS = 2**20  # characters of changes text: 10,000 bars of four long symbols take 400,000


def parse_changes(
    text: str, meter: tuple[TimeSignature, ...] = (TimeSignature(0, 4, 4),)
) -> tuple[tuple[Chord, ...], int]:
    """Read a bar-line progression like '| Dm7 G7 | Cmaj7 | % |' into chord spans and a bar count.

    A bar is what stands between two bar lines (a line's end closes a bar too; empty cells are
    dropped). Each bar holds 1 to 4 chords sharing the bar evenly (two chords in 4/4 take two beats
    each); a '%' alone in a bar repeats the previous bar ('| Cmaj7 | % |' is two bars of Cmaj7), and
    beside chords it is an error naming the bar; '/' or '.' repeats the previous chord for one slot of
    a bar. 'NC' bars hold no chord span.
    Text over MAX_CHANGES_CHARS characters, or of over MAX_BARS bars, is refused before a span is made.
    """
    if len(text) > MAX_CHANGES_CHARS:
        raise DataError(
            f"the changes are over {MAX_CHANGES_CHARS:,} characters long, more than jazzgen "
            "reads for a progression: cut them to the tune's form"
        )
    bars = _bar_cells(text)
    if len(bars) > MAX_BARS:
        raise DataError(
            f"the changes hold over {MAX_BARS:,} bars, more than jazzgen reads for a "
            "progression: cut them to the tune's form"
        )
    if not bars:
        raise DataError("the changes hold no bars: write them like '| Dm7 G7 | Cmaj7 | % |'")
    starts = bar_starts(meter, len(bars))
    spans, previous = [], None
    for index, symbols in enumerate(bars):
        if symbols == ["%"]:
            if previous is None:
                raise DataError("'%' in the first bar has no bar to repeat")
            symbols = previous
        elif "%" in symbols:
            raise DataError(
                f"bar {index + 1} ('{' '.join(symbols)}'): a '%' repeats a whole bar and stands alone "
                "between bar lines, as in '| Cmaj7 | % |'"
            )
        if len(symbols) > 4:
            raise DataError(f"bar {index + 1} has {len(symbols)} chords; at most 4 fit one bar")
        spans += _bar_chords(symbols, starts[index], starts[index + 1], index)
        previous = symbols
    return tuple(c for c in merge_repeats(spans) if not c.is_nc), len(bars)


def _bar_cells(text: str) -> list[list[str]]:
    """The symbols of each bar, in order: what stands between two bar lines, a line's end closing a
    bar too; empty cells are dropped. Stops past MAX_BARS bars."""
    bars = []
    for cell in text.replace("\n", "|").split("|"):
        if len(bars) > MAX_BARS:
            break
        if symbols := cell.split():
            bars.append(symbols)
    return bars


def _bar_chords(symbols: list[str], start: int, end: int, index: int) -> list[Chord]:
    slot = (end - start) // len(symbols)
    if slot % TICKS_PER_BEAT and (end - start) % TICKS_PER_BEAT == 0:
        slot = max(TICKS_PER_BEAT, slot - slot % TICKS_PER_BEAT)
    chords, last = [], None
    for i, symbol in enumerate(symbols):
        onset = start + i * slot
        duration = (end - onset) if i == len(symbols) - 1 else slot
        if symbol in ("/", "."):
            if last is None:
                raise DataError(f"bar {index + 1} starts with {symbol!r}: name a chord first")
            symbol = last
        chords.append(_chord(symbol, onset, duration, index))
        last = symbol
    return chords


def _chord(symbol: str, onset: int, duration: int, index: int) -> Chord:
    """make_chord, its error naming the bar and how symbols are spelt."""
    try:
        return make_chord(symbol, onset, duration)
    except DataError as error:
        raise DataError(
            f"bar {index + 1}: {symbol!r} is not a chord symbol jazzgen reads ({error}); write it "
            "like Cmaj7, Dm7, G7b9, F#m7b5, Bbdim7, Eb7sus4 or C/E"
        ) from None


def format_changes(chords: tuple[Chord, ...], starts: tuple[int, ...]) -> str:
    """Write chord spans (sorted, not overlapping) back as '| Dm7 G7 | Cmaj7 |', one cell per bar
    (for inspect and sidecars), as parse_changes reads them back: the bar cut into the fewest even
    slots (up to 4) its chord changes fall on, each slot the chord starting there, '/' where one
    goes on, and the chord held into the bar (else NC) in a first slot where none starts. One pass
    over bars and chords together."""
    cells, first = [], 0
    for start, end in zip(starts, starts[1:]):
        while first < len(chords) and chords[first].onset < start:
            first += 1
        last = first
        while last < len(chords) and chords[last].onset < end:
            last += 1
        held = chords[first - 1] if first and start < chords[first - 1].end else None
        cells.append(" ".join(_bar_slots(chords[first:last], held, start, end - start)))
    return "| " + " | ".join(cells) + " |"


def _bar_slots(starting: tuple[Chord, ...], held: Chord | None, start: int, length: int) -> list[str]:
    """The symbols of one bar's slots (see format_changes); where no even cut of up to 4 slots
    holds every change, each change gets a slot of its own, as before."""
    offsets = [c.onset - start for c in starting]
    count = next(
        (n for n in range(1, 5) if length % n == 0 and all(o % (length // n) == 0 for o in offsets)), 0
    )
    if not count:
        return [c.symbol for c in starting]
    by_slot = {o // (length // count): c.symbol for o, c in zip(offsets, starting)}
    opening = held.symbol if held is not None else "NC"
    slots = [by_slot.get(k, opening if k == 0 else "/") for k in range(count)]
    return slots[:1] if all(s == "/" for s in slots[1:]) else slots
