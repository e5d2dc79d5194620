"""MusicXML lead sheets in (.musicxml, .xml, .mxl): the file read and inflated under a cap
(archive), scanned once for what would cost music21 unbounded time (scan), then parsed by
music21 into one Solo per part (reader)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "read_musicxml": "reader",
    },
)
