"""Standard MIDI Files in: bytes repaired (repair, events), notes paired (notes), parts and the
melody chosen (tracks), onsets placed on the grid and beats tracked (timing, beats), chords from
text events, a sidecar or the other parts (reader). Gives a MidiReading holding a Solo."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "MidiReading": "reader",
        "TrackInfo": "reader",
        "read_midi": "reader",
    },
)
