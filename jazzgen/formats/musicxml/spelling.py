"""The key signature of a written part, and how its notes and chord roots are spelled.

Takes a Solo (its info "key", notes and chords) and a transposition in semitones; gives the key
signature as (fifths, mode), and a SpellingContext for each chord (and for the key's tonic chord)
that turns a MIDI pitch into (letter, alter, octave). Letters are numbered 0..6 from C; alter is
-1, 0 or 1. Nothing here builds XML.

Key: the Solo's info "key" ("Bb", "F#m", "Eb major") when it names one, else the key
jazzgen.music.tonality estimates from the notes and chords (as the MIDI file's key signature);
at most six sharps or flats. A transposing instrument's part adds its transposition's fifths.

Spelling: each chord's root is spelled the way that writes its chord scale with the fewer
accidentals (F#7, Eb7; a tie goes to the key signature's side, flats in C), and a note takes
the letter of its degree above that root: b9 and 9 the 2nd's letter, b3 the 3rd's (#9 only
over chords that name a #9, or 7alt), 11 and #11 the 4th's (b5 over m7b5 and dim chords), b13
and 13 the 6th's (#5 over augmented chords), b7 and 7 the 7th's; a double sharp or flat is
respelled plainly. Where no chord sounds, the key's tonic chord spells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from jazzgen.music.solo import Chord, Solo

LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)  # pitch class of each letter
_LETTER_FIFTHS = (0, 2, 4, -1, 1, 3, 5)  # sharps (+) or flats (-) of each letter's major key
_ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1}
_KEY_NAME = re.compile(r"([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|-|maj|major)?")
_STEPS = (0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6)  # letter steps above the root: 1 b9 9 b3 3 11 #11 5 b13 13 b7 7


@dataclass(frozen=True)
class SpellingContext:
    """How notes are spelled over one chord: its root (pitch class, and letter 0..6 with alter),
    its chord tones as intervals above the root, whether it names a #9, and whether a note without
    a single-accidental degree spelling takes a sharp (else a flat)."""

    root_pc: int
    root: tuple[int, int]
    tones: frozenset[int]
    sharp_ninth: bool
    prefers_sharps: bool


def spelled_pitch(pitch: int, context: SpellingContext) -> tuple[int, int, int]:
    """(letter, alter, octave) of a MIDI pitch spelled in context (B#3 is MIDI 60)."""
    letter, alter = spell_pitch_class(pitch % 12, context)
    return letter, alter, (pitch - alter - NATURAL[letter]) // 12 - 1


def spell_pitch_class(pc: int, context: SpellingContext) -> tuple[int, int]:
    """(letter, alter) of a pitch class: the letter of its degree above the chord's root."""
    interval = (pc - context.root_pc) % 12
    steps = _STEPS[interval]
    if interval == 3 and context.sharp_ninth:
        steps = 1
    elif interval in (6, 8) and interval in context.tones:  # b5, #5
        steps = 4
    letter = (context.root[0] + steps) % 7
    alter = (pc - NATURAL[letter] + 6) % 12 - 6
    return (letter, alter) if abs(alter) <= 1 else _plain_spelling(pc, context.prefers_sharps)


def _plain_spelling(pc: int, sharp: bool) -> tuple[int, int]:
    """A white key's letter, else the sharp or the flat of a neighbour."""
    if pc in NATURAL:
        return NATURAL.index(pc), 0
    return (NATURAL.index(pc - 1), 1) if sharp else (NATURAL.index(pc + 1), -1)


def intervals_above(root: int, pitch_classes: Iterable[int]) -> frozenset[int]:
    """Each pitch class as semitones 0..11 above root."""
    return frozenset((pc - root) % 12 for pc in pitch_classes)


def _spelling_context(
    root_pc: int, root: tuple[int, int], tones: Iterable[int], sharp_ninth: bool, key_sharp: bool
) -> SpellingContext:
    """A context whose plain spellings take the root's side, or the key's for a natural root."""
    prefers_sharps = root[1] > 0 or (root[1] == 0 and key_sharp)
    return SpellingContext(root_pc, root, frozenset(tones), sharp_ninth, prefers_sharps)


def chord_contexts(solo: Solo, semitones: int, key_sharp: bool) -> dict[int, SpellingContext]:
    """Chord onset -> the context of each chord with a root, moved up semitones."""
    return {c.onset: _chord_context(c, semitones, key_sharp) for c in solo.chords if not c.is_nc}


def _chord_context(chord: Chord, semitones: int, key_sharp: bool) -> SpellingContext:
    """The root spelled for the fewer accidentals in the chord scale; a tie to the key's side."""
    root_pc = (chord.root + semitones) % 12
    tones = intervals_above(chord.root, chord.chord_tones)
    sharp_ninth = 3 in intervals_above(chord.root, chord.pitch_classes) - tones or chord.quality == "7alt"
    scale = [(root_pc + step) % 12 for step in intervals_above(chord.root, chord.scale)]

    def cost(context: SpellingContext) -> tuple[int, bool]:
        accidentals = abs(context.root[1]) + sum(abs(spell_pitch_class(pc, context)[1]) for pc in scale)
        return accidentals, context.root[1] != (1 if key_sharp else -1)

    roots = {_plain_spelling(root_pc, sharp) for sharp in (True, False)}
    candidates = (_spelling_context(root_pc, root, tones, sharp_ninth, key_sharp) for root in roots)
    return min(candidates, key=cost)


def tonic_context(fifths: int, mode: str) -> SpellingContext:
    """The tonic triad of the key signature: what spells notes where no chord sounds."""
    position = fifths + (3 if mode == "minor" else 0)  # a minor key's tonic: its relative major's 6th
    letter, pc = (4 * position) % 7, (7 * position) % 12
    tones = (0, 3, 7) if mode == "minor" else (0, 4, 7)
    return _spelling_context(pc, (letter, (pc - NATURAL[letter] + 6) % 12 - 6), tones, False, fifths > 0)


def written_key(solo: Solo, added_fifths: int) -> tuple[int, str]:
    """(fifths, mode) of the part's key signature: the solo's key, moved by added_fifths."""
    fifths, mode = _key_from_name(dict(solo.info).get("key", "")) or _estimated_key(solo)
    return _at_most_six_accidentals(fifths + added_fifths), mode


def _estimated_key(solo: Solo) -> tuple[int, str]:
    from jazzgen.music.tonality import estimate_key  # numpy, loaded only when a key is needed

    return _key_from_name(estimate_key(solo).name)


def _key_from_name(name: str) -> tuple[int, str] | None:
    """'Bb' -> (-2, 'major'), 'F#m' -> (3, 'minor'); None for text that names no key."""
    match = _KEY_NAME.fullmatch(name.strip())
    if match is None:
        return None
    letter, accidental, mode = match.groups()
    minor = mode in ("m", "min", "minor", "-")
    fifths = _LETTER_FIFTHS[LETTERS.index(letter.upper())] + 7 * _ACCIDENTALS.get(accidental, 0)
    return _at_most_six_accidentals(fifths - 3 * minor), "minor" if minor else "major"


def _at_most_six_accidentals(fifths: int) -> int:
    """Seven sharps (C#) become five flats (Db), and seven flats (Cb) five sharps (B)."""
    return fifths - 12 if fifths > 6 else fifths + 12 if fifths < -6 else fifths
