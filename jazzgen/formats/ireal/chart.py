"""An iReal Pro chart string read into its bars as written, each chord placed in its bar.

Each chord, `x`, `r`, `n`, `p` or `W` fills one cell and each space an empty one; a comma
separates without a cell. Bar lines `|`, `[`, `]`, `{` (repeat from), `}` (repeat to), `Z`;
spaces between a closing and an opening bar line are layout, not a bar. In a bar: `T44` `T34`
`T68` `T12` (12/8) time signatures from there on, `N1` `N2` `N3` endings, `S` segno, `Q` coda
sign, `U` end, `<...>` text (D.C./D.S., al Coda, al Fine, Fine, `<3x>` a repeat count; other text
is ignored). `x` repeats the bar played before, `r` the two bars played before (the bar holding
it and an empty bar after it, when there is one, each take the bar two before them); `n` is no
chord, `p` holds the chord before it for its slot, `W/G` is the chord before it over G. An empty
bar holds the chord sounding into it. Read and ignored: `*A` section marks, `f` fermatas, `Y`
spacers, `s`/`l` chord sizes, alternate chords in parentheses.

Chord timing in a bar of N beats (the meter's numerator: quarter notes in 4/4, eighths in 6/8):
n chords share the bar evenly when n divides N (1, 2 or 4 in 4/4; 1 or 3 in 3/4), or when n > N
and the bar's ticks divide by n; otherwise each chord starts at its cell's place in the bar
scaled to the N beats and rounded (a 4/4 bar `C^7 D-7,E-7,` is C^7 for 2 beats, D-7 and E-7 for
1), each at least a beat after the one before. `p` slots make uneven splits explicit:
`C p p F` is C for 3 beats, F for 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from jazzgen.errors import DataError
from jazzgen.files.fileio import clipped
from jazzgen.formats.ireal import limits
from jazzgen.formats.ireal.symbols import NOTE, QUALITY, SLASH, chord_symbol, invisible
from jazzgen.music.solo import TimeSignature

_ALTERNATE = r"(?:\([^)]{0,40}\))?"
_TOKEN = re.compile(  # one token of a chart; its group's name is its kind
    r"(?P<comment><[^>]{0,300}>)"
    rf"|(?P<chord>{NOTE}{QUALITY}(?:\*[^*]{{0,40}}\*)?(?:/{NOTE})?){_ALTERNATE}"
    rf"|(?P<invisible>W(?:/{NOTE})?){_ALTERNATE}"
    r"|(?P<alternate>\([^)]{0,40}\))|(?P<time>T\d\d)|(?P<ending>N\d)|(?P<bar>[|\[\]{}Z])"
    r"|(?P<spaces> +)|(?P<cell>[xrnp])|(?P<sign>[SQU])|(?P<skip>\*[A-Za-z]|[fYsl,\r\n\t]+)"
)
_JUMP = re.compile(r"D\.?\s?([CS])\.?(?:\s*al\s+(.+?))?\.?", re.I)
_SIGNS = {"S": "segno", "Q": "coda", "U": "end"}


@dataclass(frozen=True)
class Bar:
    """A bar as written. chords: (onset as a fraction of the bar, ChordSymbol | None for NC |
    SLASH | Invisible); repeat: 1 for `x`, 2 for `r`, 3 for the empty bar after an `r`."""

    number: int  # 1-based, as written
    meter: tuple[int, int]
    chords: tuple[tuple[Fraction, object], ...] = ()
    repeat: int = 0
    opens: bool = False
    closes: bool = False
    ending: int | None = None
    segno: bool = False
    coda: bool = False
    fine: bool = False
    end: bool = False
    jump: tuple[str, str] | None = None  # ("C" or "S", "coda" | "fine" | "end")
    count: int | None = None


def written_bars(music: str, where: str, budget: limits.Budget) -> list[Bar]:
    """The bars of a plain chart string as written; where: the file and song, for messages."""
    reader = _ChartReader(where, budget)
    pos = 0
    while pos < len(music):
        match = _TOKEN.match(music, pos)
        if match is None:
            raise reader.unknown(music, pos)
        reader.add(match.lastgroup, match[match.lastgroup])
        pos = match.end()
    return reader.finish()


class _ChartReader:
    """Reads a chart string token by token into its bars as written, in one pass."""

    def __init__(self, where: str, budget: limits.Budget):
        self.where, self.budget = where, budget
        self.bars: list[Bar] = []
        self.meter = (4, 4)  # the time signature from here on
        self.carried = {}  # the marks of layout between bar lines, for the bar after it
        self.bar_lines = 0
        self._open(None)

    @property
    def at(self) -> str:
        return f"{self.where} bar {len(self.bars) + 1}"

    def _open(self, opener: str | None) -> None:
        """Start reading a bar; opener: the opening bar line before it ('|', '[' or '{'), None at
        the chart's start, after a closing bar line and after the last bar line."""
        self.opener = opener
        self.cells = 0  # cells so far, empty ones included
        self.events = []  # (cell, ChordSymbol | None | SLASH | Invisible) of each chord so far
        self.repeat = 0  # 1 after an `x`, 2 after an `r`
        self.tokens = 0
        self.marks = {"opens": opener == "{"}

    def add(self, kind: str, text: str) -> None:
        """Read one token; kind: its group's name in _TOKEN (alternate chords and skip do nothing)."""
        self.budget.mark()
        self.tokens += 1
        if self.tokens > limits.MAX_BAR_MARKS:
            raise DataError(
                f"{self.at}: over {limits.MAX_BAR_MARKS} chords and marks before its bar line; "
                "fix the chart in iReal Pro"
            )
        if kind == "bar":
            self._bar_line(text)
        elif kind in ("chord", "invisible"):
            self._event(chord_symbol(text, self.at) if kind == "chord" else invisible(text))
        elif kind == "spaces":
            self.cells += len(text)
        elif kind == "cell":
            self._cell(text)
        elif kind == "time":
            self.meter = _time_signature(text, self.at)
        elif kind == "ending":
            self._ending(text)
        elif kind == "sign":
            self.marks[_SIGNS[text]] = True
        elif kind == "comment":
            self.marks.update(_comment(text, self.at))

    def _bar_line(self, text: str) -> None:
        self.bar_lines += 1
        if self.bar_lines > limits.MAX_BAR_LINES:
            raise DataError(
                f"{self.where}: over {limits.MAX_BAR_LINES:,} bar lines, more than jazzgen reads a chart"
            )
        self._close(text if text in "]}Z" else None)
        self._open(text if text in "|[{" else None)

    def _event(self, event) -> None:
        if len(self.events) == limits.MAX_BAR_CHORDS:
            raise DataError(
                f"{self.at}: over {limits.MAX_BAR_CHORDS} chords in one bar; split it in iReal Pro"
            )
        self.events.append((self.cells, event))
        self.cells += 1

    def _cell(self, text: str) -> None:
        if text in "np":
            self._event(None if text == "n" else SLASH)
            return
        self.repeat = 1 if text == "x" else 2
        self.cells += 1

    def _ending(self, text: str) -> None:
        if text == "N0":
            raise DataError(f"{self.at}: 'N0' is not an ending; number endings N1, N2, N3")
        self.marks["ending"] = int(text[1])

    def _close(self, closer: str | None) -> None:
        """End the bar being read at a bar line (closer: ']', '}' or 'Z' when it is one of them)."""
        marks = {k: v for k, v in self.marks.items() if v}
        if self._is_layout():
            self.carried.update(marks)
            if closer == "}" and self.bars:
                self.bars[-1] = replace(self.bars[-1], closes=True)
            return
        if len(self.bars) == limits.MAX_BARS:
            raise DataError(
                f"{self.where}: over {limits.MAX_BARS:,} bars as written, more than jazzgen reads a chart"
            )
        marks, self.carried = {**self.carried, **marks}, {}
        self.bars.append(self._bar(closer == "}", marks))

    def _is_layout(self) -> bool:
        """Whether what is being read is layout, not a bar: no chord or bar repeat in it, and
        either nothing at all or spaces that no opening bar line comes before."""
        return not (self.events or self.repeat or (self.cells and self.opener is not None))

    def _bar(self, closes: bool, marks: dict) -> Bar:
        if self.repeat and self.events:
            mark = "x" if self.repeat == 1 else "r"
            raise DataError(f"{self.at}: {mark!r} repeats whole bars; it cannot share a bar with chords")
        repeat = self.repeat
        if not self.events and not repeat and self.bars and self.bars[-1].repeat == 2:
            repeat = 3
        onsets = (
            _onsets([cell for cell, _ in self.events], self.cells, self.meter, self.at) if self.events else []
        )
        chords = tuple(zip(onsets, (event for _, event in self.events)))
        return Bar(len(self.bars) + 1, self.meter, chords, repeat, closes=closes, **marks)

    def finish(self) -> list[Bar]:
        """The bars read, once the whole chart is."""
        self.opener = None  # spaces after the last bar line are not a bar
        self._close(None)
        if not self.bars:
            raise DataError(f"{self.where}: its chart holds no bars; fill it in iReal Pro")
        if self.carried:
            self.bars[-1] = replace(self.bars[-1], **self.carried)
        return self.bars

    def unknown(self, music: str, pos: int) -> DataError:
        """The error for music at pos, where no token matches."""
        if music[pos] == "<":
            return DataError(f"{self.at}: a '<' comment that does not close with '>' within 300 characters")
        snippet = re.match(r"\S{1,12}", music[pos : pos + 12])
        text = snippet[0] if snippet else music[pos]
        return DataError(
            f"{self.at}: {text!r} is not a chord symbol or chart mark iReal Pro writes; fix it in "
            "iReal Pro and export the chart again"
        )


def _time_signature(text: str, at: str) -> tuple[int, int]:
    digits = text[1:]
    numerator, denominator = (12, 8) if digits == "12" else (int(digits[0]), int(digits[1]))
    if numerator < 1 or denominator not in (2, 4, 8):
        raise DataError(f"{at}: {text!r} is not a time signature iReal Pro writes (T44, T34, T68, T12 ...)")
    return numerator, denominator


def _comment(text: str, at: str) -> dict:
    """The marks a `<...>` text gives its bar: a jump, Fine or a repeat count; none for other text."""
    body = re.sub(r"^\*\d\d", "", text[1:-1]).strip()  # a leading *NN only places the text in the app
    jump = _JUMP.fullmatch(body)
    if jump:
        until = (jump[2] or "").lower()
        kind = "end" if not until else next((k for k in ("coda", "fine") if until.startswith(k)), None)
        if kind is None:
            raise DataError(
                f"{at}: {clipped(body)!r}: jazzgen follows D.C. and D.S. al Coda, al Fine or to the end, "
                "not to an ending; write the form out in iReal Pro"
            )
        return {"jump": (jump[1].upper(), kind)}
    if re.fullmatch(r"fine\.?", body, re.I):
        return {"fine": True}
    count = re.fullmatch(r"(\d{1,4})\s*x", body, re.I)
    if count and int(count[1]) < 1:
        raise DataError(f"{at}: {body!r}: a repeat is played at least once")
    return {"count": int(count[1])} if count else {}


def _onsets(cells: list[int], bar_cells: int, meter: tuple[int, int], at: str) -> list[Fraction]:
    """Where each chord of a bar starts, as a fraction of the bar (the rule in the module doc);
    cells: the cell each chord is in; bar_cells: the bar's cells."""
    n, beats = len(cells), meter[0]
    ticks = bar_ticks(meter)
    if beats % n == 0 or (n > beats and ticks % n == 0):
        return [Fraction(i, n) for i in range(n)]
    if n > beats:
        raise DataError(f"{at}: {n} chords do not fit a {meter[0]}/{meter[1]} bar; give it at most {beats}")
    slots, last = [], -1
    for i, cell in enumerate(cells):
        nearest = (2 * cell * beats + bar_cells) // (2 * bar_cells)  # cell scaled to beats, rounded
        last = min(max(last + 1, nearest), beats - (n - i))  # a beat after the last, room for the rest
        slots.append(Fraction(last, beats))
    return slots


@lru_cache(maxsize=64)
def bar_ticks(meter: tuple[int, int]) -> int:
    """The ticks of a bar in meter (numerator, denominator)."""
    return TimeSignature(0, *meter).bar_ticks
