"""A chart's bars as written expanded into its bars as played, once through, and their chords.

A repeat is played twice, or as often as a `<Nx>` in it says; pass k takes ending k, the last
pass the last ending. A bar that both closes a repeat and jumps (D.C./D.S.) repeats first and
jumps on its last pass; each jump is taken once, and after it repeats are not taken again
(endings go straight to the last one), as is the usual convention. D.C. goes back to the first
bar, D.S. to the segno; al Coda leaves after the bar holding the first `Q` for the bar holding
the second; after the jump a bar that says Fine ends the piece (al Fine needs one; a plain D.C.
or D.S. without one plays to the chart's end); `U` ends the piece (after the jump, when there is
one). A song plays at most MAX_BARS bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

from jazzgen.errors import DataError
from jazzgen.formats.ireal import limits
from jazzgen.formats.ireal.chart import Bar
from jazzgen.formats.ireal.symbols import SLASH, Invisible
from jazzgen.music.chords import ChordSymbol


@dataclass(frozen=True)
class _Repeat:
    """A repeat: bar indices of its start, its `}` bars and the first bar of each ending; count:
    how many times it is played."""

    start: int
    closes: tuple[int, ...]
    endings: tuple[int, ...]
    count: int

    def ending_for(self, passed: int, jumped: bool) -> int:
        """The ending (1-based) that pass number `passed` takes: the last one on the last pass and
        after the jump, else ending `passed`, or the last but one when there are fewer endings."""
        last = len(self.endings)
        return last if jumped or passed >= self.count else min(passed, max(last - 1, 1))


@dataclass
class _Open:
    """A repeat while its bars are read: bar indices of its start and of its `}` bars so far, and
    {ending number: index of the ending's first bar}."""

    start: int
    closes: list[int] = field(default_factory=list)
    endings: dict[int, int] = field(default_factory=dict)

    def ends_before(self, i: int, bar: Bar) -> bool:
        """Whether the repeat ends before bar i: a bar with no ending right after its '}', or, once
        its last ending has started after its last '}', a new '{' or an ending number again."""
        if not self.closes:
            return False
        if self.closes[-1] == i - 1:
            return bar.ending is None
        last_ending_open = bool(self.endings) and max(self.endings.values()) > self.closes[-1]
        return last_ending_open and (bar.opens or bar.ending in self.endings)

    def add_ending(self, number: int, i: int, at: str) -> None:
        if number in self.endings:
            raise DataError(f"{at}: a second N{number} in one repeat; number the endings N1, N2, N3")
        self.endings[number] = i


@dataclass(frozen=True)
class _Jump:
    """The chart's D.C. or D.S., as bar indices: the bar it leaves from, the bar it goes back to,
    and for al Coda the bar the band leaves for the coda and the coda's first bar."""

    bar: int
    target: int
    to_coda: int | None
    coda: int | None


def played_order(bars: list[Bar], where: str) -> list[int]:
    """The indices in bars of the bars as played, in order; where: the file and song, for messages."""
    return _Walk(bars, where).run()


def _repeats(bars: list[Bar], where: str) -> list[_Repeat]:
    """The repeats, checked: not nested, closed, their endings numbered in order and each but the
    last closed by a '}'. A '}' or ending before any '{' repeats from the first bar."""
    repeats, current = [], None
    for i, bar in enumerate(bars):
        at = f"{where} bar {bar.number}"
        if current and current.ends_before(i, bar):
            repeats.append(_repeat(current, bars, where))
            current = None
        if bar.opens:
            if current:
                raise DataError(
                    f"{at}: a '{{' inside the repeat from bar {bars[current.start].number}; jazzgen reads "
                    "repeats that do not nest: write the inner one out"
                )
            current = _Open(i)
        if (bar.ending or bar.closes) and current is None:
            if repeats:
                what = f"ending N{bar.ending}" if bar.ending else "'}'"
                raise DataError(f"{at}: its {what} belongs to no '{{'; add a '{{' where the repeat starts")
            current = _Open(0)
        if bar.ending:
            current.add_ending(bar.ending, i, at)
        if bar.closes:
            current.closes.append(i)
    if current and not current.closes:
        raise DataError(
            f"{where} bar {bars[current.start].number}: its '{{' is never closed by '}}'; close the repeat"
        )
    return repeats + ([_repeat(current, bars, where)] if current else [])


def _repeat(read: _Open, bars: list[Bar], where: str) -> _Repeat:
    """The repeat read, its endings checked, and how many times it is played."""
    numbers = sorted(read.endings)
    firsts = [read.endings[n] for n in numbers]
    at = f"{where} bar {bars[firsts[0] if firsts else read.start].number}"
    if numbers != list(range(1, len(numbers) + 1)) or firsts != sorted(firsts):
        raise DataError(
            f"{at}: endings {', '.join(f'N{n}' for n in numbers)}; number them N1, N2, ... in order"
        )
    for number, (a, b) in enumerate(zip(firsts, firsts[1:]), 1):
        if not any(a <= c < b for c in read.closes):
            raise DataError(
                f"{where} bar {bars[a].number}: ending N{number} has no '}}' before N{number + 1}; "
                "close it with '}'"
            )
    if firsts and read.closes[0] < firsts[0]:
        raise DataError(
            f"{at}: the repeat closes in bar {bars[read.closes[0]].number}, before its first ending"
        )
    last = max(read.closes[-1], firsts[-1] if firsts else read.start)
    counts = (bars[i].count for i in range(read.start, last + 1) if bars[i].count)
    return _Repeat(read.start, tuple(read.closes), tuple(firsts), next(counts, max(2, len(firsts))))


def _jump(bars: list[Bar], where: str) -> _Jump | None:
    """The chart's one jump, checked against the signs it needs; None when it has none."""
    jumps = [i for i, bar in enumerate(bars) if bar.jump]
    if not jumps:
        return None
    at = f"{where} bar {bars[jumps[0]].number}"
    if len(jumps) > 1:
        raise DataError(
            f"{at} and bar {bars[jumps[1]].number} both jump (D.C./D.S.); jazzgen follows one jump a chart"
        )
    sign, until = bars[jumps[0]].jump
    segnos = [i for i, bar in enumerate(bars) if bar.segno]
    if sign == "S" and len(segnos) != 1:
        raise DataError(
            f"{at}: D.S. needs one segno (S) to go back to, and the chart has {len(segnos)}; "
            "mark it in iReal Pro"
        )
    codas = [i for i, bar in enumerate(bars) if bar.coda]
    if until == "coda" and len(codas) != 2:
        raise DataError(
            f"{at}: 'al Coda' needs two coda signs (Q), one on the bar the band leaves from and one "
            f"where the coda starts, and the chart has {len(codas)}; mark them in iReal Pro"
        )
    if until == "fine" and not any(bar.fine for bar in bars):
        raise DataError(f"{at}: 'al Fine' but no bar says Fine; add <Fine> where the piece ends")
    to_coda, coda = codas if until == "coda" else (None, None)
    return _Jump(jumps[0], segnos[0] if sign == "S" else 0, to_coda, coda)


class _Walk:
    """A band reading the chart: bar indices in the order played, at most MAX_BARS of them."""

    def __init__(self, bars: list[Bar], where: str):
        self.bars, self.where = bars, where
        repeats = _repeats(bars, where)
        self.jump = _jump(bars, where)
        self.starts = {r.start: r for r in repeats}  # a repeat's first bar: the repeat
        self.closes = {c: r for r in repeats for c in r.closes}  # a `}` bar: its repeat
        self.endings = {s: (r, k + 1) for r in repeats for k, s in enumerate(r.endings)}  # (repeat, number)
        self.passes = {}  # a repeat's first bar: the pass through the repeat being played
        self.jumped = False  # whether the band has taken the jump
        self.back = False  # whether the band has just gone back to a repeat's first bar

    def run(self) -> list[int]:
        order, index, steps = [], 0, 0  # steps: bars played and endings skipped
        while index is not None and index < len(self.bars):
            steps += 1
            if len(order) > limits.MAX_BARS or steps > 2 * limits.MAX_BARS:
                raise DataError(
                    f"{self.where}: played through, its repeats and jumps run past {limits.MAX_BARS:,} bars, "
                    "more than jazzgen reads: check its repeat counts and jumps"
                )
            skip = self._enter(index)
            if skip is not None:
                index = skip
                continue
            order.append(index)
            index = self._leave(index)
        return order

    def _enter(self, index: int) -> int | None:
        """The ending to go to instead of bar index, or None to play it."""
        if index in self.starts and not self.back:
            self.passes[index] = 1
        self.back = False
        if index not in self.endings:
            return None
        repeat, number = self.endings[index]
        wanted = repeat.ending_for(self.passes.get(repeat.start, 1), self.jumped)
        return None if wanted == number else repeat.endings[wanted - 1]

    def _leave(self, index: int) -> int | None:
        """The bar played after bar index, or None when the piece ends there."""
        bar, jump = self.bars[index], self.jump
        if self.jumped:
            if index == jump.to_coda:
                return jump.coda
            return None if bar.fine or bar.end else index + 1
        repeat = self.closes.get(index)
        if repeat and self.passes.get(repeat.start, 1) < repeat.count:
            self.passes[repeat.start] = self.passes.get(repeat.start, 1) + 1
            self.back = True
            return repeat.start
        if jump and index == jump.bar:
            self.jumped = True
            return jump.target
        return None if bar.end and jump is None else index + 1  # `U` ends it here unless a jump is to come


def played_chords(bars: list[Bar], order: list[int], where: str) -> list[tuple[tuple[int, int], list]]:
    """Each played bar's meter and (onset fraction, ChordSymbol | None) list: bar repeats copied,
    `p` and `W` resolved, an empty bar holding the chord sounding into it."""
    played, sounding = [], None
    for index in order:
        bar = bars[index]
        if bar.repeat:
            back = 1 if bar.repeat == 1 else 2
            if len(played) < back:
                what = ("'x'", "bar") if back == 1 else ("'r'", "two bars")
                raise DataError(f"{where} bar {bar.number}: {what[0]} has no {what[1]} before it to repeat")
            events = played[-back][1]
        elif not bar.chords:
            events = [(Fraction(0), sounding)] if sounding is not None else []
        else:
            events = _resolved(bar, sounding, where)
        sounding = events[-1][1] if events else sounding
        played.append((bar.meter, events))
    return played


def _resolved(bar: Bar, sounding: ChordSymbol | None, where: str) -> list:
    """The bar's (onset, ChordSymbol | None) list, each `p` and `W` as the chord before it;
    sounding: the chord sounding into the bar."""
    out = []
    for onset, event in bar.chords:
        if event == SLASH or isinstance(event, Invisible):
            if sounding is None:
                mark = "p" if event == SLASH else "W"
                raise DataError(
                    f"{where} bar {bar.number}: {mark!r} repeats the chord before it, and none sounds "
                    "there; write the chord"
                )
            bass = getattr(event, "bass", None)
            event = sounding if bass is None else replace(sounding, bass=bass)
        out.append((onset, event))
        sounding = event
    return out
