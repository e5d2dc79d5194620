"""Files musicians keep, in and out: MIDI (jazzgen.formats.midi), MusicXML (jazzgen.formats.musicxml)
and the Weimar Jazz Database's CSVs are read into Solo records, iReal Pro charts (jazzgen.formats.ireal)
and the other charts generate --over plays (charts, and a DAW's backing track with its clock:
midi.backing) into note-less lead sheets; a Solo is written
back as MIDI for a DAW (melody, comp, bass), a WAV, a piano roll and a MusicXML lead sheet. The only
stage that touches outside formats (mido, music21, csv)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "Reading": "reading",
        "Sources": "reading",
        "find_sources": "reading",
        "parse_ireal_text": "ireal",
        "Backing": "midi.backing",
        "file_chart": "midi.backing",
        "read_backing": "midi.backing",
        "chart_kind": "charts",
        "read_chart": "charts",
        "read": "reading",
        "read_file": "reading",
        "read_ireal": "ireal",
        "TRANSPOSITIONS": "musicxml.writer",
        "write_musicxml": "musicxml.writer",
        "musicxml_text": "musicxml.writer",
        "write_score": "musicxml.score",
        "draw_piano_roll": "render",
        "render_wav": "render",
        "write_midi": "render",
    },
)
