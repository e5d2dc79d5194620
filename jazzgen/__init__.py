"""jazzgen: improvise jazz solos with an LSTM language model over chord-relative note values.

The Python API (none of it imports TensorFlow):

    solos = jazzgen.read("my_solos/")          # MIDI, MusicXML, Impro-Visor .ls or WJazzD files
    tokens = jazzgen.encode(solos[0])          # value tokens
    solo = jazzgen.decode(tokens)              # and back
    jazzgen.write_midi(solo, "solo.mid")       # melody, comp and bass for a DAW
    take = jazzgen.improv.generation(model="trained/jazz", tune="blues", seed=1)   # improvise
"""

from jazzgen.errors import DataError, JazzgenError, UsageError
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Note, Solo, TimeSignature
from jazzgen.tokens.decoding import decode
from jazzgen.tokens.values import encode

__all__ = [
    "TICKS_PER_BEAT",
    "Chord",
    "DataError",
    "JazzgenError",
    "Note",
    "Solo",
    "TimeSignature",
    "UsageError",
    "decode",
    "encode",
    "generate",
    "read",
    "write_midi",
]

_LAZY = {
    "read": "jazzgen.formats.reading",
    "write_midi": "jazzgen.formats.render",
    "generate": "jazzgen.improv.generation",
}


def __getattr__(name: str):
    """read, write_midi and generate load their modules on first use, keeping `import jazzgen` light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jazzgen' has no attribute {name!r}")
