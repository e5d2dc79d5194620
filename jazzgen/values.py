"""Value tokens: a solo as one stream of bar lines, chord changes and chord-relative note values.

The stream of a solo, in time order:

    <solo> M4/4 key:Bb reg:65        header: meter, the first chord's root, the first note's pitch
    |                                a bar line starts every bar
    R+0 Q6                           a chord change: root motion from the previous root, quality,
    @24 R+7 Q7 T(b9)                 optional tensions and slash bass; '@24' = 24 ticks into the bar
    g0 C+0 d3                        a note value: gap, pitch class and interval, duration
    g6 S-2 d2                        ...
    <end>

A note value is three sub-tokens:
- gap `g<ticks>`: ticks since the previous note's onset (the first note: since the start of bar 1);
  a rest is the part of a gap after the previous note has ended;
- pitch `<class><interval>`: the class of the note against the chord sounding at its onset
  (C chord tone, S colour/scale tone, A approach tone, X other, N no chord) and its exact
  interval in semitones from the previous note (the first note: from the `reg:` pitch);
- duration `d<ticks>`.
Gaps and durations over MAX_STEP ticks are spelled as several tokens that add up.

Only the header holds the key and register, so a solo and its transpositions share every other
token. Chords are forced by a sampler; note values are what a model learns to improvise.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

from jazzgen.chords import NOTE_NAMES, QUALITIES, ChordSymbol, chord_from_symbol, pitch_class
from jazzgen.errors import DataError
from jazzgen.solo import Chord, Note, Solo, TimeSignature, bar_starts, bars_needed, chord_at

START, END, BAR = "<solo>", "<end>", "|"
MAX_STEP = 48  # longest gap or duration one token spells (a 4/4 bar)
DEFAULT_RANGE = (28, 100)  # MIDI pitches a decoded line is folded into by octaves
CLASSES = "CSAXN"
_TENSION_TOKENS = {1: "b9", 2: "9", 3: "#9", 5: "11", 6: "#11", 8: "b13", 9: "13"}
_TENSION_STEPS = {name: step for step, name in _TENSION_TOKENS.items()}


def note_class(pitch: int, chord: Chord | None) -> str:
    """C chord tone, S colour/scale tone, A approach (a semitone from a chord tone), X other, N no chord."""
    if chord is None or chord.is_nc:
        return "N"
    pc = pitch % 12
    if pc in chord.chord_tones:
        return "C"
    if pc in chord.scale:
        return "S"
    if (pc + 1) % 12 in chord.chord_tones or (pc - 1) % 12 in chord.chord_tones:
        return "A"
    return "X"


def token_kind(token: str) -> str:
    """Which part of the grammar a token belongs to: note parts ('gap', 'pitch', 'duration') are
    sampled; everything else ('bar', 'chord', 'meter', 'header', 'start', 'end') is forced."""
    head = token[:1]
    if token in (START, END, BAR):
        return {START: "start", END: "end", BAR: "bar"}[token]
    if head == "g" and token[1:].isdigit():
        return "gap"
    if head == "d" and token[1:].isdigit():
        return "duration"
    if head in CLASSES and token[1:2] in "+-" and token[2:].isdigit():
        return "pitch"
    if head == "M":
        return "meter"
    if token.startswith(("key:", "reg:")):
        return "header"
    return "chord"


# ---------------------------------------------------------------- encoding


def encode(solo: Solo) -> list[str]:
    """The value tokens of a solo. Its notes must be one voice (at most one onset per tick)."""
    anchor = solo.notes[0].pitch if solo.notes else 60
    tokens = header(solo, anchor)
    events = forced_events(solo)
    previous = _Cursor(onset=0, pitch=anchor)
    event_index = 0
    for note in solo.notes:
        while event_index < len(events) and events[event_index][0] <= note.onset:
            tokens += events[event_index][1]
            event_index += 1
        tokens += _note_tokens(note, previous, solo.chord_at(note.onset))
    for _, event in events[event_index:]:
        tokens += event
    tokens.append(END)
    return tokens


def header(solo: Solo, anchor: int) -> list[str]:
    """The forced start of a stream: meter, the first chord's root, the register anchor pitch."""
    return [START, _meter_token(solo.meter[0]), f"key:{NOTE_NAMES[_first_root(solo)]}", f"reg:{anchor}"]


def _first_root(solo: Solo) -> int:
    return next((c.root for c in solo.chords if not c.is_nc), 0)


def forced_events(solo: Solo) -> list[tuple[int, list[str]]]:
    """(tick, tokens) of every bar line and chord change in stream order, one entry per tick.

    These are what a sampler forces; the note values between them are what it samples.
    """
    starts = solo.bar_starts
    meters = {ts.bar: ts for ts in solo.meter[1:]}
    events: dict[int, list[str]] = {}
    for bar in range(solo.bars):
        events[starts[bar]] = [BAR, _meter_token(meters[bar])] if bar in meters else [BAR]
    root = _first_root(solo)
    for span in _chord_changes(solo):
        at = span.onset - starts[bisect_right(starts, span.onset) - 1]
        events.setdefault(span.onset, []).extend(_chord_tokens(span, at, root))
        root = span.root if span.root is not None else root
    return sorted(events.items())


@dataclass
class _Cursor:
    """What the next note value is relative to: the previous onset and pitch."""

    onset: int
    pitch: int


def _chord_changes(solo: Solo) -> list[Chord]:
    """The solo's chord spans, with an NC span wherever the harmony stops before the solo ends."""
    out, tick = [], 0
    for chord in solo.chords:
        if chord.onset >= solo.end:
            break
        if chord.onset > tick and out:
            out.append(_no_chord(tick, chord.onset - tick))
        out.append(chord)
        tick = chord.end
    if out and tick < solo.end:
        out.append(_no_chord(tick, solo.end - tick))
    return out


def _no_chord(onset: int, duration: int) -> Chord:
    return Chord(onset, duration, "NC", None, "")


def _chord_tokens(chord: Chord, at: int, previous_root: int) -> list[str]:
    tokens = [f"@{at}"] if at else []
    if chord.is_nc:
        return tokens + ["NC"]
    tokens += [f"R+{(chord.root - previous_root) % 12}", f"Q{chord.quality or 'maj'}"]
    steps = sorted((p - chord.root) % 12 for p in chord.pitch_classes - chord.chord_tones)
    tokens += [f"T{_TENSION_TOKENS[s]}" for s in steps if s in _TENSION_TOKENS]
    if chord.bass is not None and chord.bass != chord.root:
        tokens.append(f"B+{(chord.bass - chord.root) % 12}")
    return tokens


def _note_tokens(note: Note, cursor: _Cursor, chord: Chord | None) -> list[str]:
    interval = note.pitch - cursor.pitch
    tokens = _spell("g", note.onset - cursor.onset)
    tokens.append(f"{note_class(note.pitch, chord)}{interval:+d}")
    tokens += _spell("d", note.duration)
    cursor.onset, cursor.pitch = note.onset, note.pitch
    return tokens


def _spell(prefix: str, ticks: int) -> list[str]:
    """A tick count as tokens of at most MAX_STEP that add up to it ('g0' for zero)."""
    tokens = [f"{prefix}{MAX_STEP}"] * (ticks // MAX_STEP)
    if ticks % MAX_STEP or not tokens:
        tokens.append(f"{prefix}{ticks % MAX_STEP}")
    return tokens


def _meter_token(ts: TimeSignature) -> str:
    return f"M{ts.numerator}/{ts.denominator}"


# ---------------------------------------------------------------- decoding


@dataclass(frozen=True)
class NoteValue:
    """One decoded note value before its pitch is realised over a chord."""

    onset: int
    duration: int
    note_class: str
    interval: int


def decode(
    tokens: list[str],
    chords: tuple[Chord, ...] | None = None,
    tempo: float = 120.0,
    pitch_range: tuple[int, int] = DEFAULT_RANGE,
    source: str = "",
) -> Solo:
    """A solo from value tokens, over the tokens' own chords or over `chords` when given.

    Each note keeps its class against the chord sounding at its onset and lands as near as it
    can to the interval the value asks for; lines leaving pitch_range are folded back by octaves.
    """
    parsed = _parse(tokens)
    spans = parsed.chords if chords is None else tuple(chords)
    notes, pitch = [], parsed.anchor
    for value in parsed.values:
        pitch = realise(pitch, value.interval, value.note_class, chord_at(spans, value.onset), pitch_range)
        notes.append(Note(value.onset, value.duration, pitch))
    end = max([n.end for n in notes] + [parsed.bar_end] + [c.end for c in spans if chords is None])
    bars = max(parsed.bars, bars_needed(parsed.meter, end))
    return Solo(tuple(notes), _clip(spans, parsed.meter, bars), parsed.meter, bars, tempo, source)


def realise(previous: int, interval: int, wanted: str, chord: Chord | None, pitch_range: tuple[int, int]) -> int:
    """The pitch nearest previous + interval whose class against chord is `wanted`."""
    target = previous + interval
    pitch = target
    if wanted != "N" and chord is not None and not chord.is_nc:
        pitch = _nearest_of_class(target, interval, wanted, chord)
    low, high = pitch_range
    while pitch > high:
        pitch -= 12
    while pitch < low:
        pitch += 12
    return min(max(pitch, 0), 127)


def _nearest_of_class(target: int, interval: int, wanted: str, chord: Chord) -> int:
    toward = 1 if interval >= 0 else -1
    for fallback in _FALLBACK[wanted]:
        for distance in range(7):
            for pitch in (target + toward * distance, target - toward * distance):
                if note_class(pitch, chord) == fallback:
                    return pitch
    return target


# A class that a chord cannot offer (no X beside a diminished chord) falls back in this order.
_FALLBACK = {"C": "C", "S": "SCA", "A": "ASX", "X": "XAS"}


@dataclass
class _Parsed:
    values: list[NoteValue]
    chords: tuple[Chord, ...]
    meter: tuple[TimeSignature, ...]
    anchor: int
    bars: int
    bar_end: int


def _parse(tokens: list[str]) -> _Parsed:
    """Read the structure of a token stream: bars, meter, chord spans and note values."""
    state = _ParseState()
    for token in tokens:
        if token == END:
            break
        state.feed(token)
    return state.finish()


class _ParseState:
    """A small state machine over the grammar. Unknown or misplaced tokens raise DataError."""

    def __init__(self):
        self.meter: list[TimeSignature] = []
        self.anchor, self.root = 60, 0
        self.bar, self.bar_start, self.bar_ticks = -1, 0, 48
        self.onset, self.gap, self.pending = 0, 0, None  # pending: (onset, class, interval)
        self.values: list[NoteValue] = []
        self.changes: list[tuple[int, ChordSymbol]] = []
        self.chord_at_tick, self.chord_parts = 0, None
        self.seen_gap = False

    def feed(self, token: str) -> None:
        kind = token_kind(token)
        if kind in ("gap", "pitch", "duration"):
            self._note_part(kind, token)
            return
        self._flush_note()
        handler = {"start": lambda t: None, "bar": self._bar, "meter": self._meter, "header": self._header}
        handler.get(kind, self._chord)(token)

    def _note_part(self, kind: str, token: str) -> None:
        self._flush_chord()
        if kind == "gap":
            self._flush_note()
            self.gap += _ticks(token)
            self.seen_gap = True
        elif kind == "pitch":
            self._flush_note()
            self.onset += self.gap
            self.gap, self.seen_gap = 0, False
            self.pending = [self.onset, token[0], _interval(token), 0]
        else:
            if self.pending is None:
                raise DataError(f"value token {token!r} has no note before it")
            self.pending[3] += _ticks(token)

    def _flush_note(self) -> None:
        if self.pending is not None:
            onset, cls, interval, duration = self.pending
            if duration < 1:
                raise DataError(f"the note at tick {onset} has no duration token")
            self.values.append(NoteValue(onset, duration, cls, interval))
            self.pending = None

    def _bar(self, token: str) -> None:
        self._flush_chord()
        if not self.meter:
            self.meter.append(TimeSignature(0, 4, 4))
        if self.bar >= 0:
            self.bar_start += self.bar_ticks
        self.bar += 1
        self.bar_ticks = self._current_meter().bar_ticks

    def _current_meter(self) -> TimeSignature:
        return self.meter[-1]

    def _meter(self, token: str) -> None:
        try:
            numerator, denominator = (int(x) for x in token[1:].split("/"))
        except ValueError:
            raise DataError(f"bad meter token {token!r}") from None
        bar = max(self.bar, 0)
        ts = TimeSignature(bar, numerator, denominator)
        self.meter = [m for m in self.meter if m.bar < bar] + [ts]
        self.bar_ticks = ts.bar_ticks

    def _header(self, token: str) -> None:
        name, value = token.split(":", 1)
        try:
            if name == "key":
                self.root = pitch_class(value)
            else:
                self.anchor = int(value)
        except (ValueError, DataError):
            raise DataError(f"bad header token {token!r}") from None
        if not 0 <= self.anchor <= 127:
            raise DataError(f"register token {token!r} is outside MIDI's 0..127")

    def _chord(self, token: str) -> None:
        starts_change = token.startswith(("@", "R+")) or token == "NC"
        if starts_change and self.chord_parts and ("root" in self.chord_parts or token.startswith("@")):
            self._flush_chord()
        if self.chord_parts is None:
            self.chord_at_tick, self.chord_parts = self.bar_start, {}
        head = token[:1]
        if token.startswith("@") and token[1:].isdigit():
            self.chord_at_tick = self.bar_start + int(token[1:])
        elif token == "NC":
            self.chord_parts["nc"] = True
            self._flush_chord()
        elif head == "R" and token[1:2] == "+" and token[2:].isdigit():
            self.chord_parts["root"] = (self.root + int(token[2:])) % 12
        elif head == "Q":
            self.chord_parts["quality"] = token[1:]
        elif head == "T" and token[1:] in _TENSION_STEPS:
            self.chord_parts.setdefault("tensions", []).append(_TENSION_STEPS[token[1:]])
        elif head == "B" and token[1:2] == "+" and token[2:].isdigit():
            self.chord_parts["bass"] = int(token[2:])
        else:
            raise DataError(f"unknown value token {token!r}")

    def _flush_chord(self) -> None:
        parts, self.chord_parts = self.chord_parts, None
        if not parts:
            return
        if parts.get("nc"):
            symbol = ChordSymbol(None, "")
        else:
            if "root" not in parts or "quality" not in parts:
                raise DataError("a chord change needs a root token (R+n) and a quality token (Q...)")
            self.root = parts["root"]
            quality = "" if parts["quality"] == "maj" else parts["quality"]
            bass = (self.root + parts["bass"]) % 12 if "bass" in parts else None
            symbol = ChordSymbol(self.root, quality, tuple(sorted(parts.get("tensions", ()))), bass)
            if quality not in QUALITIES:
                raise DataError(f"unknown chord quality token 'Q{parts['quality']}'")
        self.changes.append((self.chord_at_tick, symbol))

    def finish(self) -> _Parsed:
        self._flush_note()
        self._flush_chord()
        meter = tuple(self.meter) or (TimeSignature(0, 4, 4),)
        bar_end = self.bar_start + self.bar_ticks if self.bar >= 0 else 0
        bars = max(self.bar + 1, 1)
        return _Parsed(self.values, self._spans(bar_end), meter, self.anchor, bars, bar_end)

    def _spans(self, bar_end: int) -> tuple[Chord, ...]:
        end = max([bar_end] + [v.onset + v.duration for v in self.values])
        spans = []
        for (tick, symbol), nxt in zip(self.changes, self.changes[1:] + [(end, None)]):
            if nxt[0] > tick and symbol.root is not None:
                spans.append(chord_from_symbol(symbol, tick, nxt[0] - tick))
        return tuple(spans)


def _ticks(token: str) -> int:
    ticks = int(token[1:])
    if ticks > MAX_STEP:
        raise DataError(f"value token {token!r} is over {MAX_STEP} ticks; longer spans take several tokens")
    return ticks


def _interval(token: str) -> int:
    semitones = int(token[1:])
    if abs(semitones) > 127:
        raise DataError(f"value token {token!r} leaps further than MIDI's 0..127 reaches")
    return semitones


def _clip(chords: tuple[Chord, ...], meter: tuple[TimeSignature, ...], bars: int) -> tuple[Chord, ...]:
    """Chord spans cut to the solo's bars."""
    end = bar_starts(meter, bars)[-1]
    out = []
    for chord in chords:
        if chord.onset >= end:
            break
        if chord.end > end:
            chord = replace(chord, duration=end - chord.onset)
        out.append(chord)
    return tuple(out)
