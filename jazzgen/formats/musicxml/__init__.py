"""MusicXML lead sheets in (.musicxml, .xml, .mxl): the file read and inflated under a cap
(archive), scanned once for what would cost music21 unbounded time (scan), then parsed by
music21 into one Solo per part (reader). A Solo out as a MusicXML lead sheet, concert pitch or as
a transposing instrument reads it, written without music21 (writer), and engraved as SVG pages by
verovio (score)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "TRANSPOSITIONS": "writer",
        "musicxml_text": "writer",
        "read_musicxml": "reader",
        "write_musicxml": "writer",
        "write_score": "score",
    },
)
