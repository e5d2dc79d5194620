"""Key finding: the major or minor key a solo and its changes suggest (Krumhansl-Schmuckler).

The pitch-class histogram of the solo (note lengths in ticks) plus its chord tones (chord lengths,
weighted by CHORD_WEIGHT) is correlated with the Krumhansl-Kessler key profiles rotated to all 12
tonics; the best of the 24 keys wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazzgen.errors import DataError
from jazzgen.music.chords import pitch_class
from jazzgen.music.solo import Solo

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
CHORD_WEIGHT = 0.5

# Spellings with the usual key signature (the names mido's key_signature accepts).
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")


@dataclass(frozen=True)
class Key:
    """tonic: pitch class (0 = C); mode: 'major' or 'minor'."""

    tonic: int
    mode: str

    @property
    def name(self) -> str:
        """'Bb', 'F#m': the spelling MIDI key-signature events use."""
        return (_MAJOR_NAMES if self.mode == "major" else _MINOR_NAMES)[self.tonic]


def solo_key(solo: Solo) -> Key:
    """The key the solo's info names ("Bb", "Gm", "Eb minor", iReal's "C-"), else estimate_key's."""
    named = key_named(dict(solo.info).get("key", ""))
    return named if named is not None else estimate_key(solo)


def key_named(text: str) -> Key | None:
    """The Key a name such as "Bb", "F#m", "Eb minor" or "C-" names; None for other text."""
    name = text.strip()
    for suffix, mode in (
        ("minor", "minor"),
        ("major", "major"),
        ("min", "minor"),
        ("maj", "major"),
        ("m", "minor"),
        ("-", "minor"),
    ):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name, found = name[: -len(suffix)].strip(), mode
            break
    else:
        found = "major"
    try:
        return Key(pitch_class(name), found)
    except DataError:
        return None


def pitch_class_weights(solo: Solo) -> np.ndarray:
    """Ticks each pitch class sounds in the melody plus CHORD_WEIGHT * ticks it is a chord tone."""
    weights = np.zeros(12)  # (pitch class,)
    for note in solo.notes:
        weights[note.pitch % 12] += note.duration
    for chord in solo.chords:
        for pc in chord.chord_tones:
            weights[pc] += CHORD_WEIGHT * chord.duration
    return weights


def estimate_key(solo: Solo) -> Key:
    """The best-correlated of the 24 major and minor keys; C major for a solo with no pitches."""
    weights = pitch_class_weights(solo)
    if not weights.any() or np.ptp(weights) == 0:
        return Key(0, "major")
    best, best_score = Key(0, "major"), -2.0
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            score = np.corrcoef(weights, np.roll(profile, tonic))[0, 1]
            if score > best_score:
                best, best_score = Key(tonic, mode), score
    return best
