"""Files musicians keep, in and out: MIDI (jazzgen.formats.midi), MusicXML (jazzgen.formats.musicxml)
and the Weimar Jazz Database's CSVs are read into Solo records; a Solo is written back as MIDI
for a DAW (melody, comp, bass), a WAV and a piano roll. The only stage that touches outside
formats (mido, music21, csv)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "Reading": "reading",
        "Sources": "reading",
        "find_sources": "reading",
        "read": "reading",
        "read_file": "reading",
        "draw_piano_roll": "render",
        "render_wav": "render",
        "write_midi": "render",
    },
)
