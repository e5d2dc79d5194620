"""iReal Pro charts: the links the app exports read into note-less lead sheets, one per song.

Takes the text of an HTML export (links in href="..."), a text file of links or a bare link,
`irealb://` (the app's obfuscated format) or `irealbook://` (the older plain one); gives one Solo
per song with no notes: its chord spans (jazzgen's spellings, in the key the chart is written in;
the song's transpose field is kept in `info`, not applied), its meter, its bars as a band plays
them once through (the song's own choruses count is kept in `info`, not applied), its tempo (120
bpm where the song names none) and its title ("Gentle Rain, The" becomes "The Gentle Rain").

The links are found, decoded and split into songs (links); each song's chart is read into its
bars as written (chart, its chord spellings in symbols), expanded into its bars as played (walk)
and laid out as chord spans (reading). Every cap on what a read takes is in limits.

Not read: D.C./D.S. al 1st/2nd/3rd ending, nested repeats, more than one jump or segno a chart,
the app's playback-only settings (groove, transpose, choruses). Every problem is one DataError
line naming the file, the song, the bar as written and the fix.
"""

from jazzgen.exports import lazy_names

__getattr__, __dir__, __all__ = lazy_names(
    __name__,
    {
        "parse_ireal_text": "reading",
        "read_ireal": "reading",
    },
)
