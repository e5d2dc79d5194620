"""Chord symbols as MusicXML <harmony> elements, each at the tick where it starts.

Takes a Solo's chord spans, the transposition in semitones and the SpellingContext of each chord
(jazzgen.formats.musicxml.spelling); gives (tick, <harmony>) pairs in time order: the root as
spelled, the quality as a MusicXML <kind> with the text a lead sheet shows (m7, 7alt, +maj7), a
slash bass, and <degree>s for the tensions the chord names (and, hidden, for what a quality such
as 7alt implies beyond its kind). N.C. where the changes stop before the solo does. The writer
places each element before the note or rest it falls in, with an <offset> when it falls inside one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from jazzgen.formats.musicxml.elements import sub
from jazzgen.formats.musicxml.spelling import LETTERS, SpellingContext, intervals_above, spell_pitch_class
from jazzgen.music.solo import Chord, Solo

# jazzgen quality -> MusicXML kind value and the text a lead sheet shows for it.
_KINDS = {
    "": ("major", ""),
    "maj7": ("major-seventh", "maj7"),
    "6": ("major-sixth", "6"),
    "7": ("dominant", "7"),
    "7alt": ("dominant", "7alt"),
    "7sus4": ("suspended-fourth", "7sus4"),
    "sus4": ("suspended-fourth", "sus4"),
    "m": ("minor", "m"),
    "m7": ("minor-seventh", "m7"),
    "m6": ("minor-sixth", "m6"),
    "mmaj7": ("major-minor", "m(maj7)"),
    "m7b5": ("half-diminished", "m7b5"),
    "dim": ("diminished", "dim"),
    "dim7": ("diminished-seventh", "dim7"),
    "aug": ("augmented", "+"),
    "aug7": ("augmented-seventh", "+7"),
    "augmaj7": ("major-seventh", "+maj7"),
}
# Degrees a quality has that its kind lacks, (value, alter, type); hidden, the kind's text shows them.
_IMPLIED_DEGREES = {
    "7alt": ((9, -1, "add"), (9, 1, "add"), (11, 1, "add"), (13, -1, "add")),
    "7sus4": ((7, -1, "add"),),
    "augmaj7": ((5, 1, "alter"),),
}
# A tension's semitones above the root -> (degree value, alter).
_TENSION_DEGREES = {1: (9, -1), 2: (9, 0), 3: (9, 1), 5: (11, 0), 6: (11, 1), 8: (13, -1), 9: (13, 0)}


def chord_marks(
    solo: Solo, semitones: int, contexts: dict[int, SpellingContext]
) -> list[tuple[int, ET.Element]]:
    """(tick, <harmony>) at each chord onset, and N.C. where the changes stop before the solo does."""
    marks = []
    for chord, following in zip(solo.chords, solo.chords[1:] + (None,)):
        if chord.onset >= solo.end:
            break
        element = _no_chord() if chord.is_nc else _harmony(chord, contexts[chord.onset], semitones)
        marks.append((chord.onset, element))
        stop = min(following.onset if following is not None else solo.end, solo.end)
        if chord.end < stop and not chord.is_nc:
            marks.append((chord.end, _no_chord()))
    return marks


def _harmony(chord: Chord, context: SpellingContext, semitones: int) -> ET.Element:
    """<harmony> of a chord with a root: root, kind, slash bass, degrees."""
    element = ET.Element("harmony")
    root = sub(element, "root")
    sub(root, "root-step", LETTERS[context.root[0]])
    if context.root[1]:
        sub(root, "root-alter", context.root[1])
    kind, text = _KINDS[chord.quality]
    sub(element, "kind", kind, text=text)
    if chord.bass is not None and chord.bass != chord.root:
        _bass(element, spell_pitch_class((chord.bass + semitones) % 12, context))
    for value, alter, kind, shown in _degrees(chord):
        degree = sub(element, "degree", **({} if shown else {"print-object": "no"}))
        sub(degree, "degree-value", value)
        sub(degree, "degree-alter", alter)
        sub(degree, "degree-type", kind)
    return element


def _bass(harmony: ET.Element, spelled: tuple[int, int]) -> None:
    """<bass> of a slash chord, spelled (letter, alter) over the chord's root."""
    letter, alter = spelled
    bass = sub(harmony, "bass")
    sub(bass, "bass-step", LETTERS[letter])
    if alter:
        sub(bass, "bass-alter", alter)


def _degrees(chord: Chord) -> list[tuple[int, int, str, bool]]:
    """(value, alter, type, shown) of each <degree>: those the quality implies, then its tensions."""
    implied = _IMPLIED_DEGREES.get(chord.quality, ())
    named = intervals_above(chord.root, chord.pitch_classes) - intervals_above(chord.root, chord.chord_tones)
    tensions = [_TENSION_DEGREES[i] for i in sorted(named) if i in _TENSION_DEGREES]
    hidden = {(value, alter) for value, alter, _ in implied}
    return [(*d, False) for d in implied] + [(v, a, "add", True) for v, a in tensions if (v, a) not in hidden]


def _no_chord() -> ET.Element:
    """N.C.: a <harmony> of kind none."""
    element = ET.Element("harmony")
    sub(sub(element, "root"), "root-step", "C", text="")  # the schema wants a root; kind none hides it
    sub(element, "kind", "none", text="N.C.")
    return element
