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
    "decode", "encode",
]
