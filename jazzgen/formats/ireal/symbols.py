"""iReal Pro chord symbols read as jazzgen's: a chord ('C^7', 'Bbh7', 'F-7/Eb') as a ChordSymbol,
the few qualities jazzgen's parser does not read as iReal writes them respelled first, and the
chart's two cells that take the chord before them: `p` (SLASH) and `W` (Invisible)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from jazzgen.errors import DataError
from jazzgen.music.chords import ChordSymbol, parse_chord, pitch_class

NOTE = r"[A-G][#b]?"
QUALITY = r"(?:sus|alt|add|[-+^\dhob#ø°])*"
_CHORD = re.compile(
    rf"(?P<root>{NOTE})(?P<quality>{QUALITY})(?:\*(?P<custom>[^*]{{0,40}})\*)?(?:/(?P<bass>{NOTE}))?"
)
# iReal qualities parse_chord does not read as they are; every other one it reads unchanged.
_SPELLINGS = {
    "h": "m7b5",
    "h7": "m7b5",
    "h9": "m7b5(9)",
    "ø9": "m7b5(9)",
    "^13": "maj7(9,13)",
    "^7#5": "maj7#5",
    "-^9": "mmaj7(9)",
    "-b6": "m(b13)",
    "-#5": "m(#5)",
    "2": "add9",
    "13sus": "7sus4(9,13)",
    "7b9sus": "7sus4(b9)",
    "7b13sus": "7sus4(b13)",
    "7susadd3": "7(11)",
}
SLASH = "p"  # a `p` cell: the chord before it, held for its slot


@dataclass(frozen=True)
class Invisible:
    """`W`: the chord before it, over bass (a pitch class) when one is given."""

    bass: int | None


def chord_symbol(token: str, at: str) -> ChordSymbol:
    """An iReal chord ('C^7', 'Bbh7', 'F-7/Eb', 'C7(b9)' with its alternate chord dropped); at: the
    bar, for messages."""
    symbol = _CHORD.match(token)[0]
    parsed = _parsed(symbol)
    if parsed is None:
        raise DataError(
            f"{at}: {symbol!r} is not a chord symbol jazzgen reads; respell it in iReal Pro "
            "(C^7, C-7, Ch7, Co7, C7b9, C7alt, C-^7, C7sus)"
        )
    return parsed


@lru_cache(maxsize=4096)
def _parsed(symbol: str) -> ChordSymbol | None:
    """The ChordSymbol of an iReal chord without its alternate, None when jazzgen cannot read it
    (a chart uses a few dozen symbols over and over)."""
    match = _CHORD.fullmatch(symbol)
    quality = match["quality"] + (match["custom"] or "")
    try:
        parsed = parse_chord(match["root"] + _SPELLINGS.get(quality, quality))
    except DataError:
        return None
    return replace(parsed, bass=pitch_class(match["bass"])) if match["bass"] else parsed


def invisible(token: str) -> Invisible:
    """A `W` token ('W', 'W/G', maybe with an alternate chord after it)."""
    bass = re.match(rf"W/({NOTE})", token)
    return Invisible(pitch_class(bass[1]) if bass else None)
