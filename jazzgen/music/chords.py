"""Chord symbols: parsing lead-sheet and Weimar Jazz Database spellings, and bar-line progressions.

A symbol is read as root, quality, tensions and an optional slash bass. Each quality has its chord
tones (root, 3rd, 5th, 6th/7th) and the chord scale a soloist plays over it; tensions in the
symbol alter that scale (a b9 replaces the 9, a #11 the 11, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from jazzgen.errors import DataError
from jazzgen.music.solo import Chord

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

IONIAN = (0, 2, 4, 5, 7, 9, 11)
MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
MELODIC_MINOR = (0, 2, 3, 5, 7, 9, 11)
LOCRIAN_2 = (0, 2, 3, 5, 6, 8, 10)
WHOLE_HALF = (0, 2, 3, 5, 6, 8, 9, 11)
WHOLE_TONE = (0, 2, 4, 6, 8, 10)
ALTERED = (0, 1, 3, 4, 6, 8, 10)
LYDIAN_AUG = (0, 2, 4, 6, 8, 9, 11)


@dataclass(frozen=True)
class Quality:
    name: str  # canonical spelling after the root, e.g. "m7"
    tones: tuple[int, ...]  # chord tones above the root
    scale: tuple[int, ...]  # chord scale above the root


QUALITIES = {
    q.name: q
    for q in (
        Quality("", (0, 4, 7), IONIAN),
        Quality("maj7", (0, 4, 7, 11), IONIAN),
        Quality("6", (0, 4, 7, 9), IONIAN),
        Quality("7", (0, 4, 7, 10), MIXOLYDIAN),
        Quality("7alt", (0, 4, 10), ALTERED),
        Quality("7sus4", (0, 5, 7, 10), MIXOLYDIAN),
        Quality("sus4", (0, 5, 7), MIXOLYDIAN),
        Quality("m", (0, 3, 7), DORIAN),
        Quality("m7", (0, 3, 7, 10), DORIAN),
        Quality("m6", (0, 3, 7, 9), MELODIC_MINOR),
        Quality("mmaj7", (0, 3, 7, 11), MELODIC_MINOR),
        Quality("m7b5", (0, 3, 6, 10), LOCRIAN_2),
        Quality("dim", (0, 3, 6), WHOLE_HALF),
        Quality("dim7", (0, 3, 6, 9), WHOLE_HALF),
        Quality("aug", (0, 4, 8), WHOLE_TONE),
        Quality("aug7", (0, 4, 8, 10), WHOLE_TONE),
        Quality("augmaj7", (0, 4, 8, 11), LYDIAN_AUG),
    )
}

# Quality spellings after the root, longest first so "maj7" wins over "m".
_QUALITY_SPELLINGS = sorted(
    [
        ("maj7", "maj7"),
        ("Maj7", "maj7"),
        ("ma7", "maj7"),
        ("M7", "maj7"),
        ("^7", "maj7"),
        ("Δ7", "maj7"),
        ("Δ", "maj7"),
        ("^", "maj7"),
        ("j7", "maj7"),
        ("maj", "maj7"),
        ("j", "maj7"),
        ("maj9", "maj7 9"),
        ("M9", "maj7 9"),
        ("^9", "maj7 9"),
        ("j9", "maj7 9"),
        ("mmaj7", "mmaj7"),
        ("m(maj7)", "mmaj7"),
        ("mM7", "mmaj7"),
        ("m^7", "mmaj7"),
        ("-maj7", "mmaj7"),
        ("-j7", "mmaj7"),
        ("-^7", "mmaj7"),
        ("-M7", "mmaj7"),
        ("minmaj7", "mmaj7"),
        ("m7b5", "m7b5"),
        ("-7b5", "m7b5"),
        ("min7b5", "m7b5"),
        ("ø7", "m7b5"),
        ("ø", "m7b5"),
        ("mi7b5", "m7b5"),
        ("m7(b5)", "m7b5"),
        ("m7", "m7"),
        ("-7", "m7"),
        ("min7", "m7"),
        ("mi7", "m7"),
        ("m9", "m7 9"),
        ("-9", "m7 9"),
        ("m11", "m7 9 11"),
        ("-11", "m7 9 11"),
        ("m6", "m6"),
        ("-6", "m6"),
        ("min6", "m6"),
        ("m69", "m6 9"),
        ("-69", "m6 9"),
        ("m", "m"),
        ("-", "m"),
        ("min", "m"),
        ("mi", "m"),
        ("dim7", "dim7"),
        ("o7", "dim7"),
        ("°7", "dim7"),
        ("dim", "dim"),
        ("o", "dim"),
        ("°", "dim"),
        ("aug7", "aug7"),
        ("+7", "aug7"),
        ("7+", "aug7"),
        ("7#5", "aug7"),
        ("aug", "aug"),
        ("+", "aug"),
        ("augmaj7", "augmaj7"),
        ("+j7", "augmaj7"),
        ("+maj7", "augmaj7"),
        ("maj7#5", "augmaj7"),
        ("+M7", "augmaj7"),
        ("7sus4", "7sus4"),
        ("7sus", "7sus4"),
        ("sus7", "7sus4"),
        ("9sus4", "7sus4 9"),
        ("9sus", "7sus4 9"),
        ("sus4", "sus4"),
        ("sus", "sus4"),
        ("sus2", "sus4"),
        ("7alt", "7alt"),
        ("alt", "7alt"),
        ("69", "6 9"),
        ("6/9", "6 9"),
        ("6", "6"),
        ("13", "7 9 13"),
        ("11", "7 9 11"),
        ("9", "7 9"),
        ("7", "7"),
        ("5", ""),
        ("add9", " 9"),
        ("", ""),
    ],
    key=lambda pair: -len(pair[0]),
)

_SYMBOL = re.compile(r"^(?P<root>[A-G])(?P<acc>[#b♭♯]?)(?P<rest>.*?)(?:/(?P<bass>[A-G][#b♭♯]?))?$")
_PREFIX_TENSION = re.compile(r"([#b+\-]?)(5|9|11|13)")
_SUFFIX_TENSION = re.compile(r"([#b+\-]?)(5|9|11|13)(?P<after>[#b]?)")
_NO_CHORD = {"NC", "N.C.", "N.C", "X", "-", ""}


@dataclass(frozen=True)
class ChordSymbol:
    """A parsed symbol: root and bass are pitch classes, None for NC."""

    root: int | None
    quality: str
    tensions: tuple[int, ...] = ()  # semitones above the root, e.g. 1 for b9
    bass: int | None = None

    @property
    def name(self) -> str:
        if self.root is None:
            return "NC"
        text = NOTE_NAMES[self.root] + self.quality
        if self.tensions:
            text += "(" + ",".join(_TENSION_NAMES[t] for t in self.tensions) + ")"
        return text + (
            f"/{NOTE_NAMES[self.bass]}" if self.bass is not None and self.bass != self.root else ""
        )

    def chord_tones(self) -> frozenset[int]:
        if self.root is None:
            return frozenset()
        return frozenset((self.root + t) % 12 for t in QUALITIES[self.quality].tones)

    def scale(self) -> frozenset[int]:
        if self.root is None:
            return frozenset()
        steps = set(QUALITIES[self.quality].scale)
        for t in self.tensions:
            steps -= _REPLACES.get(t, set())
            steps.add(t)
        return frozenset((self.root + s) % 12 for s in steps)

    def pitch_classes(self) -> frozenset[int]:
        if self.root is None:
            return frozenset()
        return self.chord_tones() | {(self.root + t) % 12 for t in self.tensions}


# An altered tension takes the place of its natural neighbour in the chord scale.
_REPLACES = {1: {2}, 3: {2}, 2: {1}, 6: {5, 7}, 5: {6}, 8: {7, 9}, 9: {8}}
_TENSION_NAMES = {1: "b9", 2: "9", 3: "#9", 5: "11", 6: "#11", 8: "b13", 9: "13", 7: "5"}


def pitch_class(name: str) -> int:
    """'Eb' -> 3, 'F#' -> 6."""
    if not name or name[0].upper() not in _LETTER:
        raise DataError(f"{name!r} is not a note name")
    pc = _LETTER[name[0].upper()]
    for ch in name[1:]:
        pc += {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(ch, 0)
    return pc % 12


def parse_chord(symbol: str, suffix_accidentals: bool = False) -> ChordSymbol:
    """Read a chord symbol such as 'Dm7', 'C7b9', 'Ebj7', 'F#ø', 'C/E' or 'NC'.

    suffix_accidentals reads tensions the Weimar Jazz Database way ('79b' = 7 b9, '7911#' =
    7 9 #11); the default is the lead-sheet way ('7b9', '7#11').
    """
    text = symbol.strip()
    if text in _NO_CHORD or text.upper() in _NO_CHORD:
        return ChordSymbol(None, "")
    match = _SYMBOL.match(text.replace("(", "").replace(")", "").replace(",", "").replace(" ", ""))
    if not match:
        raise DataError(f"cannot read chord symbol {symbol!r}: it should start with a root A-G")
    root = pitch_class(match["root"] + match["acc"])
    quality, tensions = _split_quality(match["rest"], suffix_accidentals, symbol)
    bass = pitch_class(match["bass"]) if match["bass"] else None
    return ChordSymbol(root, quality, tensions, bass)


def _split_quality(rest: str, suffix_accidentals: bool, symbol: str) -> tuple[str, tuple[int, ...]]:
    for spelling, meaning in _QUALITY_SPELLINGS:
        if rest.startswith(spelling):
            quality, *implied = meaning.split(" ")
            tensions = [_tension_step("", t) for t in implied if t]
            tensions += _read_tensions(rest[len(spelling) :], suffix_accidentals, symbol)
            if quality == "7" and 8 in tensions and 7 not in tensions and rest.startswith("7#5"):
                quality = "aug7"
            return quality, tuple(sorted(set(t for t in tensions if t is not None)))
    raise DataError(f"cannot read chord symbol {symbol!r}")


def _read_tensions(text: str, suffix_accidentals: bool, symbol: str) -> list[int | None]:
    pattern = _SUFFIX_TENSION if suffix_accidentals else _PREFIX_TENSION
    text = text.replace("add", "").replace("alt", "")
    steps, pos = [], 0
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match:
            raise DataError(f"cannot read the tensions {text[pos:]!r} of chord symbol {symbol!r}")
        before, number, after = match.group(1), match.group(2), match.groupdict().get("after") or ""
        step = _tension_step(after or before, number)
        if step is not None and step not in _TENSION_NAMES:
            raise DataError(
                f"cannot read chord symbol {symbol!r}: {match.group(0)!r} is not a tension "
                "jazzgen knows (b9 9 #9 11 #11 b13 13, b5 #5)"
            )
        steps.append(step)
        pos = match.end()
    return steps


def _tension_step(accidental: str, number: str) -> int | None:
    natural = {"5": 7, "9": 2, "11": 5, "13": 9}[number]
    shift = {"#": 1, "+": 1, "b": -1, "-": -1}.get(accidental, 0)
    step = (natural + shift) % 12
    return None if step == 7 else step


def make_chord(symbol: str, onset: int, duration: int, suffix_accidentals: bool = False) -> Chord:
    """A chord span from a symbol; the span's symbol is the canonical spelling."""
    parsed = parse_chord(symbol, suffix_accidentals)
    return chord_from_symbol(parsed, onset, duration)


def chord_from_symbol(parsed: ChordSymbol, onset: int, duration: int) -> Chord:
    return Chord(
        onset=onset,
        duration=duration,
        symbol=parsed.name,
        root=parsed.root,
        quality=parsed.quality,
        chord_tones=parsed.chord_tones(),
        scale=parsed.scale(),
        pitch_classes=parsed.pitch_classes(),
        bass=parsed.bass,
    )


def merge_repeats(chords: list[Chord]) -> tuple[Chord, ...]:
    """Join adjacent spans of the same symbol into one span."""
    out: list[Chord] = []
    for chord in chords:
        if out and out[-1].symbol == chord.symbol and out[-1].end == chord.onset:
            last = out.pop()
            chord = replace(last, duration=chord.end - last.onset)
        out.append(chord)
    return tuple(out)
