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
- its time, in one of two schemes (a stream uses one throughout):
  - "gaps": `g<ticks>`, ticks since the previous note's onset (the first note: since the start of
    bar 1); a rest is the part of a gap after the previous note has ended;
  - "positions": `p<ticks>`, the onset's place in its bar, ticks from the bar line (REMI-style):
    the stream says where in the bar every note falls, so a model reading it need not add up
    gaps to know where it is;
  - "placed": the gap, then `^<ticks>`, the onset's place in its bar. The gap is sampled (the
    rhythm stays what the model chooses) and the place is forced (the sampler writes it), so a
    model is told where it is at every note and cannot lose the beat. A gap chain always ends
    with a token under MAX_STEP (48 ticks are `g48 g0`), so the place follows the chain's end;
  - "placed+degree": placed, and after the place `=<semitones>`, where the line stands over the
    chord sounding at the coming note: the previous note's pitch (the first note: the `reg:`
    pitch) in semitones above that chord's root, 0 to 11 (`=N` under no chord). Forced too: the
    intervals and root motions a model would add up to know it are summed for it, so the pitch
    it samples next can aim at a chord tone;
- pitch `<class><interval>`: the class of the note against the chord sounding at its onset
  (C chord tone, S colour/scale tone, A approach tone, X other, N no chord) and its exact
  interval in semitones from the previous note (the first note: from the `reg:` pitch);
- duration `d<ticks>`.
Gaps and durations over MAX_STEP ticks are spelled as several tokens that add up.

Only the header holds the key and register, so a solo and its transpositions share every other
token. Chords are forced by a sampler; note values are what a model learns to improvise.
jazzgen.tokens.decoding reads a stream back into a solo.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from jazzgen.music.chords import NOTE_NAMES
from jazzgen.music.solo import Chord, Note, Solo, TimeSignature

START, END, BAR = "<solo>", "<end>", "|"
GAPS, POSITIONS, PLACED = "gaps", "positions", "placed"
PLACED_AHEAD = "placed+next"  # placed, and each chord change says which comes next
PLACED_DEGREE = "placed+degree"  # placed, and each note is told where the line stands over the chord
SCHEMES = (GAPS, POSITIONS, PLACED, PLACED_AHEAD, PLACED_DEGREE)
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
    """Which part of the grammar a token belongs to: note parts ('gap' or 'position', 'pitch',
    'duration') are sampled; everything else ('place', 'degree', 'bar', 'chord', 'meter',
    'header', 'start', 'end') is forced."""
    head = token[:1]
    if token in (START, END, BAR):
        return {START: "start", END: "end", BAR: "bar"}[token]
    if head == "g" and token[1:].isdigit():
        return "gap"
    if head == "p" and token[1:].isdigit():
        return "position"
    if head == "^" and token[1:].isdigit():
        return "place"
    if head == "=" and (token[1:].isdigit() or token == "=N"):
        return "degree"
    if head == ">":
        return "lookahead"
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


def encode(solo: Solo, scheme: str = GAPS) -> list[str]:
    """The value tokens of a solo in a scheme of SCHEMES (see the module doc). Its notes must be
    one voice (at most one onset per tick)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown value-token scheme {scheme!r}")
    anchor = solo.notes[0].pitch if solo.notes else 60
    tokens = header(solo, anchor)
    events = forced_events(solo, looks_ahead(scheme))
    degrees = scheme == PLACED_DEGREE
    scheme = scheme.split("+")[0]
    previous = _Cursor(onset=0, pitch=anchor)
    event_index = 0
    starts = solo.bar_starts
    for note in solo.notes:
        while event_index < len(events) and events[event_index][0] <= note.onset:
            tokens += events[event_index][1]
            event_index += 1
        place = note.onset - starts[bisect_right(starts, note.onset) - 1]
        if scheme == POSITIONS:
            tokens.append(f"p{place}")
        elif scheme == PLACED:
            tokens += _spell("g", note.onset - previous.onset, closed=True) + [f"^{place}"]
            if degrees:
                tokens.append(degree_token(previous.pitch, solo.chord_at(note.onset)))
        else:
            tokens += _spell("g", note.onset - previous.onset)
        tokens += _note_tokens(note, previous, solo.chord_at(note.onset))
    for _, event in events[event_index:]:
        tokens += event
    tokens.append(END)
    return tokens


def degree_token(pitch: int, chord: Chord | None) -> str:
    """Where a pitch stands over a chord (the placed+degree scheme): '=4' a major third above its
    root, '=N' under no chord."""
    return "=N" if chord is None or chord.is_nc else f"={(pitch - chord.root) % 12}"


def chosen(token: str) -> bool:
    """Whether a sampler chooses the token (a note's gap or position, pitch, duration, or the bar
    line, chord change ('@24') or end it moves on to) rather than writing it in itself (a place,
    a chord's root and quality, a lookahead, the header)."""
    return token_kind(token) in ("gap", "position", "pitch", "duration", "bar", "end") or token.startswith(
        "@"
    )


def scheme_of(tokens) -> str:
    """The scheme a token stream (or a vocabulary's tokens) is written in: positions or placed when
    it holds a position or a place token, else gaps; placed+next when it looks ahead too,
    placed+degree when it says where the line stands."""
    kinds = {token_kind(t) for t in tokens}
    scheme = POSITIONS if "position" in kinds else PLACED if "place" in kinds else GAPS
    if scheme == PLACED and "degree" in kinds:
        return PLACED_DEGREE
    return scheme + "+next" if "lookahead" in kinds and scheme == PLACED else scheme


def looks_ahead(scheme: str) -> bool:
    """Whether a scheme's chord changes name the change that follows them."""
    return scheme.endswith("+next")


def header(solo: Solo, anchor: int) -> list[str]:
    """The forced start of a stream: meter, the first chord's root, the register anchor pitch."""
    return [START, _meter_token(solo.meter[0]), f"key:{NOTE_NAMES[_first_root(solo)]}", f"reg:{anchor}"]


def _first_root(solo: Solo) -> int:
    return next((c.root for c in solo.chords if not c.is_nc), 0)


def forced_events(solo: Solo, lookahead: bool = False) -> list[tuple[int, list[str]]]:
    """(tick, tokens) of every bar line and chord change in stream order, one entry per tick.

    These are what a sampler forces; the note values between them are what it samples.
    lookahead: each chord change ends with the next one's root motion and quality ('>R+5 >Qm7';
    '>NC' before no chord), so a line can aim at the chord to come.
    """
    starts = solo.bar_starts
    meters = {ts.bar: ts for ts in solo.meter[1:]}
    events: dict[int, list[str]] = {}
    for bar in range(solo.bars):
        events[starts[bar]] = [BAR, _meter_token(meters[bar])] if bar in meters else [BAR]
    root = _first_root(solo)
    changes = _chord_changes(solo)
    for span, following in zip(changes, changes[1:] + [None]):
        at = span.onset - starts[bisect_right(starts, span.onset) - 1]
        events.setdefault(span.onset, []).extend(_chord_tokens(span, at, root))
        root = span.root if span.root is not None else root
        if lookahead and following is not None:
            events[span.onset] += _next_tokens(following, root)
    return sorted(events.items())


def _next_tokens(chord: Chord, root: int) -> list[str]:
    """What a chord change says of the one that follows it."""
    if chord.is_nc:
        return [">NC"]
    return [f">R+{(chord.root - root) % 12}", f">Q{chord.quality or 'maj'}"]


@dataclass
class _Cursor:
    """What the next note value is relative to: the previous onset and pitch."""

    onset: int
    pitch: int


def _chord_changes(solo: Solo) -> list[Chord]:
    """The solo's chord spans, with an NC span wherever the harmony stops before the solo ends."""
    out, tick, end = [], 0, solo.end
    for chord in solo.chords:
        if chord.onset >= end:
            break
        if chord.onset > tick and out:
            out.append(_no_chord(tick, chord.onset - tick))
        out.append(chord)
        tick = chord.end
    if out and tick < end:
        out.append(_no_chord(tick, end - tick))
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
    """A note's pitch and duration tokens (its time token comes before them)."""
    interval = note.pitch - cursor.pitch
    tokens = [f"{note_class(note.pitch, chord)}{interval:+d}"]
    tokens += _spell("d", note.duration)
    cursor.onset, cursor.pitch = note.onset, note.pitch
    return tokens


def _spell(prefix: str, ticks: int, closed: bool = False) -> list[str]:
    """A tick count as tokens of at most MAX_STEP that add up to it ('g0' for zero). closed: the
    last token is always under MAX_STEP (48 is 'g48 g0'), so a reader knows where the chain ends."""
    tokens = [f"{prefix}{MAX_STEP}"] * (ticks // MAX_STEP)
    if ticks % MAX_STEP or not tokens or closed:
        tokens.append(f"{prefix}{ticks % MAX_STEP}")
    return tokens


def _meter_token(ts: TimeSignature) -> str:
    return f"M{ts.numerator}/{ts.denominator}"
