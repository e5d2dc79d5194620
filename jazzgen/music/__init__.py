"""The music: the records every stage passes on (Note, Chord, TimeSignature, Solo on a 12-ticks-a-beat
grid), chord symbols and progressions, the built-in tunes, chord recognition from notes, the
accompaniment a rendered solo gets, instruments. Takes text and numbers; gives frozen records.
No file formats here (jazzgen.formats) and no model (jazzgen.lm)."""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "MAX_BARS": "changes",
        "MAX_CHANGES_CHARS": "changes",
        "format_changes": "changes",
        "make_chord": "chords",
        "parse_changes": "changes",
        "parse_chord": "chords",
        "MAX_BEATS": "solo",
        "TICKS_PER_BEAT": "solo",
        "Chord": "solo",
        "Note": "solo",
        "Solo": "solo",
        "TimeSignature": "solo",
        "TUNES": "tunes",
        "arranged": "tunes",
        "lead_sheet": "tunes",
    },
)
