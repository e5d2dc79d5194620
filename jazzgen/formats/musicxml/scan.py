"""One pass of expat (C, streaming) over MusicXML text that refuses, before music21 builds a thing,
what would take music21 unbounded time or memory: it builds every element of a score as Python
objects, in time growing with the square of a part's measures, and searches the whole part again
for each measure shorter than its time signature.

Refused: entity declarations (the 'billion laughs'); elements nested over MAX_DEPTH deep; a score
of over MAX_ELEMENTS elements, MAX_SCORE_MEASURES measures, MAX_ITEMS measure contents (notes,
rests, directions, ...), MAX_CHORD_SYMBOLS chord symbols, MAX_TIME_SIGNATURES time signatures or
MAX_SPANNER_MARKS slur, wedge and other line marks; a part of over MAX_MEASURES measures, one whose
notes, forwards and offsets (in its <divisions> a quarter note) run past the solo-length limit
(jazzgen.music.solo.MAX_BEATS), one with a time signature of over MAX_BAR_BEATS beats, or one with
SHORT_MEASURES measures past its first that are shorter than their time signature (jazzgen refuses
a short inner measure anyway, after music21 has read it).

Each limit is two to ten times what the longest solos need (the Weimar Jazz Database's longest has
999 bars and 4,955 notes). What each kind costs music21 was timed on the development machine (two
cores, shared with other work): the worst file within all the limits at once reads in under 20 s
and 200 MB there (bench: a file at every limit, of the costliest kinds).
"""

from __future__ import annotations

import math
from xml.parsers import expat

from jazzgen.errors import DataError
from jazzgen.music.solo import check_solo_length

MAX_DEPTH = 64  # MusicXML nests about 8 deep (score, part, measure, note, notations, articulations, ...)
MAX_ELEMENTS = 150_000  # up to 50 us each; 10 to 17 a note: WJazzD's longest solo (4,955 notes) needs 85,000
MAX_MEASURES = 2_000  # in one part (music21's time grows with their square): WJazzD's longest solo has 999
MAX_SCORE_MEASURES = 3_000  # in all parts together: 2,000 + 1,000 take 4 s
MAX_ITEMS = 15_000  # notes, rests, chord symbols, directions, ...: up to 250 us each; a long solo has 6,000
MAX_CHORD_SYMBOLS = 1_000  # 3 ms each to spell out: the most changes in a WJazzD solo is 378
MAX_TIME_SIGNATURES = 1_000  # 1 ms each: a meter change every other bar of a long solo
MAX_BAR_BEATS = 32  # a time signature's beats: music21 takes 0.2 s for 64, 10 s for 512; jazz uses up to 15
MAX_SPANNER_MARKS = 2_000  # slur, wedge, ... starts and stops: music21 searches all lines so far for each
SHORT_MEASURES = 3  # past the first: at least two of them are inner measures, which jazzgen refuses
SPANNER_TAGS = frozenset(
    {"slur", "wedge", "bracket", "dashes", "octave-shift", "pedal", "wavy-line", "glissando", "slide"}
)  # the marks music21 makes spanners of
_FIX = "export the score again from a notation program"


def check_score(text: str, name: str) -> None:
    """Refuse MusicXML text over any limit of the module doc (or not well-formed) in one pass."""
    scan = _Scan(name)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.characters
    parser.EntityDeclHandler = scan.entity
    try:
        parser.Parse(text, True)
    except expat.ExpatError as err:
        raise DataError(f"cannot read {name} as MusicXML: ParseError: {err}") from None


_NUMBERS = {
    ("duration", "note"),
    ("duration", "forward"),
    ("duration", "backup"),
    ("divisions", "attributes"),
    ("offset", "harmony"),
    ("offset", "direction"),
    ("offset", "sound"),
    ("offset", "figured-bass"),
    ("beats", "time"),
    ("beat-type", "time"),
}  # (tag, parent) read
_TOLERANCE = 1e-6  # quarter notes: durations are summed in floats


def _score_limits() -> dict[str, tuple[int, str]]:
    """What is counted over a whole score: its limit (read when used, so tests can lower it) and its
    name in a message, by tag ('items': measure contents, 'lines': spanner marks)."""
    return {
        "measure": (MAX_SCORE_MEASURES, "measures"),
        "harmony": (MAX_CHORD_SYMBOLS, "chord symbols"),
        "time": (MAX_TIME_SIGNATURES, "time signatures"),
        "items": (MAX_ITEMS, "notes, rests, directions and other measure contents"),
        "lines": (MAX_SPANNER_MARKS, "slur, wedge and other line marks"),
    }


class _Scan:
    """expat's handlers: the elements open from the root to the current one, and the counts."""

    def __init__(self, name: str):
        self.name = name
        self.open: list[str] = []  # tags from the root to the current element
        self.elements = self.parts = 0
        self.counts = dict.fromkeys(_score_limits(), 0)
        self.part: _Part | None = None  # the <part> being read
        self.text: list[str] = []  # text of the number being read
        self.reading = 0  # depth of the <duration>, <divisions> or <offset> being read, else 0

    def refuse(self, what: str, fix: str = _FIX) -> None:
        raise DataError(f"{self.name}: {what}: {fix}")

    def entity(self, entity_name, *_) -> None:
        self.refuse(
            f"it declares the XML entity {entity_name!r}; jazzgen reads MusicXML without entity "
            "declarations (they can make a small file expand to gigabytes)"
        )

    def start(self, tag: str, attributes: dict) -> None:
        parent = self.open[-1] if self.open else ""
        self.open.append(tag)
        self.elements += 1
        if len(self.open) > MAX_DEPTH:
            self.refuse(
                f"its elements nest over {MAX_DEPTH} deep; jazzgen reads MusicXML nested up to "
                f"{MAX_DEPTH} deep"
            )
        if self.elements > MAX_ELEMENTS:
            self.refuse(
                f"it holds over {MAX_ELEMENTS:,} XML elements; jazzgen reads scores of up to "
                f"{MAX_ELEMENTS:,} elements",
                "split the score or remove parts",
            )
        if tag in self.counts:
            self._count(tag)
        if parent == "measure":
            self._count("items")
        if tag in SPANNER_TAGS:
            self._count("lines")
        if tag == "part" and len(self.open) == 2:
            self.parts += 1
            self.part = _Part(self.parts)
        elif self.part is not None:
            self.part.start(tag, parent, attributes, self)
            if (tag, parent) in _NUMBERS:
                self.text, self.reading = [], len(self.open)

    def _count(self, kind: str) -> None:
        self.counts[kind] += 1
        limit, what = _score_limits()[kind]
        if self.counts[kind] > limit:
            self.refuse(
                f"it holds over {limit:,} {what}; jazzgen reads scores of up to {limit:,}",
                "split the score or remove parts",
            )

    def characters(self, data: str) -> None:
        if self.reading:
            self.text.append(data)

    def end(self, tag: str) -> None:
        if self.reading == len(self.open):
            self.reading = 0
            self.part.number(tag, "".join(self.text).strip(), self)
        elif self.part is not None:
            self.part.end(tag, self)
        self.open.pop()
        if tag == "part" and len(self.open) == 1:
            self.part = None


class _Part:
    """Where a part's time has got to, in quarter notes: its measures, the cursor in the current one."""

    def __init__(self, index: int):
        self.index = index  # 1 for the score's first part
        self.measures = 0
        self.measure = ""  # the current measure's number, as the file writes it
        self.divisions = 1.0  # <divisions> a quarter note
        self.beats = 0.0  # the part's measures before the current one
        self.cursor = self.onset = self.longest = 0.0  # in the current measure
        self.duration: float | None = None  # of the note, forward or backup being read; None: none given
        self.chord = self.grace = self.unsure = False  # unsure: the measure's length is not known
        self.bar: float | None = 4.0  # quarter notes a bar by the time signature (None: not a number)
        self.time: list[float] = []  # <beats> and <beat-type> of the <time> being read
        self.short: list[str] = []  # measures past the first shorter than their bar

    def start(self, tag: str, parent: str, attributes: dict, scan: _Scan) -> None:
        if tag == "measure" and parent == "part":
            self.measures += 1
            if self.measures > MAX_MEASURES:
                scan.refuse(
                    f"part {self.index} holds over {MAX_MEASURES:,} measures; jazzgen reads parts of "
                    f"up to {MAX_MEASURES:,}",
                    "split the score",
                )
            self.measure = str(attributes.get("number", self.measures))[:20]
            self.cursor = self.onset = self.longest = 0.0
            self.unsure = False
        elif tag in ("note", "forward", "backup"):
            self.duration, self.chord, self.grace = None, False, False
        elif parent == "note" and tag in ("chord", "grace"):
            setattr(self, tag, True)
        elif tag == "time":
            self.time = []

    def number(self, tag: str, text: str, scan: _Scan) -> None:
        """A <duration>, <divisions>, <offset>, <beats> or <beat-type> read."""
        if tag in ("beats", "beat-type"):
            self.time.append(_meter_number(text))
            return
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (value < 0 and tag != "offset") or (value == 0 and tag == "divisions"):
            scan.refuse(
                f"part {self.index} measure {self.measure!r}: <{tag}> {text[:20]!r} is not a usable "
                "number of divisions"
            )
        if tag == "divisions":
            self.divisions = value
        elif tag == "duration":
            self.duration = value / self.divisions
        else:
            self._reach(self.cursor + value / self.divisions, scan)

    def end(self, tag: str, scan: _Scan) -> None:
        if tag in ("note", "forward", "backup") and self.duration is None:
            self.unsure |= not self.grace  # music21 may find its length some other way
            self.duration = 0.0
        if tag == "note" and not self.grace:
            if not self.chord:
                self.onset, self.cursor = self.cursor, self.cursor + self.duration
            self._reach(self.onset + self.duration, scan)
        elif tag == "forward":
            self.cursor += self.duration
            self._reach(self.cursor, scan)
        elif tag == "backup":
            self.cursor = max(0.0, self.cursor - self.duration)
        elif tag == "time":
            self._time_signature(scan)
        elif tag == "measure":
            self.beats += self.longest
            self._check_length(scan)

    def _time_signature(self, scan: _Scan) -> None:
        """The bar length of the <time> just read; refused when it has over MAX_BAR_BEATS beats."""
        if max(self.time[::2], default=0) > MAX_BAR_BEATS:
            scan.refuse(
                f"part {self.index} measure {self.measure!r}: its time signature has "
                f"{max(self.time[::2]):,.0f} beats a bar; jazzgen reads time signatures of up to "
                f"{MAX_BAR_BEATS} beats",
                "fix the time signature",
            )
        pairs = list(zip(self.time[::2], self.time[1::2]))
        self.bar = sum(4 * beats / kind for beats, kind in pairs) if pairs and all(self.time) else None

    def _check_length(self, scan: _Scan) -> None:
        """Count the measure when it is shorter than its bar (an empty one music21 fills with a rest)."""
        if self.measures == 1 or self.unsure or self.bar is None:
            return
        if not 0 < self.longest < self.bar - _TOLERANCE:
            return
        self.short.append(self.measure)
        if len(self.short) >= SHORT_MEASURES:
            listed = ", ".join(repr(m) for m in self.short)
            scan.refuse(
                f"part {self.index}: its measures {listed} are shorter than their time signature; "
                "jazzgen reads measures that fill their bar (only the first and the last may be "
                "short)",
                "fix the measure lengths",
            )

    def _reach(self, position: float, scan: _Scan) -> None:
        """Something sounds (or is placed) up to position, in quarter notes from the measure's start."""
        self.longest = max(self.longest, position)
        try:
            check_solo_length(
                self.beats + self.longest,
                f"part {self.index} runs to beat {{}} (its measure "
                f"{self.measures:,}, at <divisions> {self.divisions:g})",
                "fix the durations or offsets there",
            )
        except DataError as err:
            raise DataError(f"{scan.name}: {err}") from None


def _meter_number(text: str) -> float:
    """A time signature's <beats> or <beat-type> ('3', '3+2'); 0 when it is not a sum of whole numbers
    (music21 refuses those)."""
    try:
        return float(max(0, sum(int(term) for term in text.split("+"))))
    except (ValueError, OverflowError):
        return 0.0
