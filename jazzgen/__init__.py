"""jazzgen: improvise jazz solos with an LSTM language model over chord-relative note values.

The Python API (none of it imports TensorFlow):

    solos = jazzgen.read("my_solos/")          # MIDI, MusicXML or Weimar Jazz Database files
    tokens = jazzgen.encode(solos[0])          # value tokens
    solo = jazzgen.decode(tokens)              # and back
    jazzgen.write_midi(solo, "solo.mid")       # melody, comp and bass for a DAW
"""

from jazzgen.errors import DataError, JazzgenError, UsageError
from jazzgen.solo import TICKS_PER_BEAT, Chord, Note, Solo, TimeSignature
from jazzgen.values import decode, encode

__all__ = [
    "TICKS_PER_BEAT", "Chord", "DataError", "JazzgenError", "Note", "Solo", "TimeSignature", "UsageError",
    "decode", "encode", "read", "write_midi",
]


def __getattr__(name: str):
    """read and write_midi load their readers and writers on first use, keeping `import jazzgen` light."""
    if name == "read":
        from jazzgen.reading import read

        return read
    if name == "write_midi":
        from jazzgen.render import write_midi

        return write_midi
    raise AttributeError(f"module 'jazzgen' has no attribute {name!r}")
