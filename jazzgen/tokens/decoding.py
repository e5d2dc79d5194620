"""Decoding value tokens back into a solo: the stream's structure, then each note's pitch.

Each note keeps its class against the chord sounding at its onset and lands as near as it can to
the interval its value asks for; the grammar is described in jazzgen.tokens.values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from jazzgen.errors import DataError
from jazzgen.music.chords import QUALITIES, ChordSymbol, chord_from_symbol, pitch_class
from jazzgen.music.solo import Chord, Note, Solo, TimeSignature, bar_starts, bars_needed, chord_at
from jazzgen.tokens.values import (
    _TENSION_STEPS,
    DEFAULT_RANGE,
    END,
    MAX_STEP,
    encode,
    note_class,
    scheme_of,
    token_kind,
)


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
    notes = _notes(parsed, spans, pitch_range)
    bars = parsed.bars
    if notes and notes[-1].onset >= parsed.bar_end:  # notes after the last bar line: bars to hold them
        bars = max(bars, bars_needed(parsed.meter, notes[-1].onset + 1))
    return Solo(tuple(notes), _clip(spans, parsed.meter, bars), parsed.meter, bars, tempo, source)


def in_scheme(tokens: list[str], scheme: str) -> list[str]:
    """A token stream written in another scheme (jazzgen.tokens.values.SCHEMES): the same solo, exactly."""
    return list(tokens) if scheme_of(tokens) == scheme else encode(decode(tokens), scheme)


def without_chords(tokens: list[str]) -> list[str]:
    """The same line with no chords under it, in the same scheme: what a MIDI file without chord
    symbols gives (every note's class N, its interval kept)."""
    return encode(replace(decode(tokens), chords=()), scheme_of(tokens))


def last_pitch(
    tokens: list[str], chords: tuple[Chord, ...], pitch_range: tuple[int, int] = DEFAULT_RANGE
) -> int:
    """The pitch the next value's interval counts from: the last note's as decode places it over
    chords, or the stream's register anchor while it has no note."""
    parsed = _parse(tokens)
    notes = _notes(parsed, tuple(chords), pitch_range)
    return notes[-1].pitch if notes else parsed.anchor


def _notes(parsed: _Parsed, spans: tuple[Chord, ...], pitch_range: tuple[int, int]) -> list[Note]:
    notes, pitch = [], parsed.anchor
    for value in parsed.values:
        pitch = realise(pitch, value.interval, value.note_class, chord_at(spans, value.onset), pitch_range)
        notes.append(Note(value.onset, value.duration, pitch))
    return notes


def realise(
    previous: int, interval: int, wanted: str, chord: Chord | None, pitch_range: tuple[int, int]
) -> int:
    """The pitch nearest previous + interval whose class against chord is `wanted`."""
    pitch = _snapped(previous, interval, wanted, chord)
    low, high = pitch_range
    while pitch > high:
        pitch -= 12
    while pitch < low:
        pitch += 12
    return min(max(pitch, 0), 127)


class Realiser:
    """realise() of many pitch tokens at once: the pitch each (class, interval) spelling gives
    after a previous pitch over a chord. A snap depends only on the chord's classes and the
    previous pitch class, so each such case is worked out once."""

    def __init__(self, spellings: list[tuple[str, int]]):
        self.spellings = list(spellings)
        self._offsets: dict[tuple, np.ndarray] = {}

    def __call__(self, previous: int, chord: Chord | None, pitch_range: tuple[int, int]) -> np.ndarray:
        """(len(spellings),) pitches, as realise(previous, interval, class, chord, pitch_range)."""
        pc = previous % 12
        key = (None, pc) if chord is None or chord.is_nc else (chord.chord_tones, chord.scale, pc)
        offsets = self._offsets.get(key)
        if offsets is None:
            offsets = np.array([_snapped(pc, i, c, chord) - pc for c, i in self.spellings], np.int64)
            self._offsets[key] = offsets
        low, high = pitch_range  # realise's folding, over the array
        pitch = previous + offsets
        pitch = pitch - 12 * np.maximum(0, -((high - pitch) // 12))
        pitch = pitch + 12 * np.maximum(0, -((pitch - low) // 12))
        return np.clip(pitch, 0, 127)


def _snapped(previous: int, interval: int, wanted: str, chord: Chord | None) -> int:
    target = previous + interval
    if wanted != "N" and chord is not None and not chord.is_nc:
        return _nearest_of_class(target, interval, wanted, chord)
    return target


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
        if kind in ("place", "lookahead", "degree"):
            return  # what the stream already says: the onset's place, the next chord, the degree
        if kind in ("gap", "position", "pitch", "duration"):
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
        elif kind == "position":
            self._flush_note()
            place = int(token[1:])
            if place >= self.bar_ticks:
                raise DataError(f"value token {token!r} is past the end of its {self.bar_ticks}-tick bar")
            self.onset, self.gap = self.bar_start + place, 0
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
