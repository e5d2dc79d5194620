"""The most one iReal Pro read takes, and the Budget that holds all the songs of a read to it.

The other modules of jazzgen.formats.ireal read each cap as limits.NAME when they check it, so a
test may lower one here and every check sees it.
"""

from __future__ import annotations

from jazzgen.errors import DataError
from jazzgen.files.fileio import shown
from jazzgen.music.changes import MAX_BARS  # a chart's bars as written, and a song's bars as played

MAX_IREAL_BYTES = 8 * 2**20  # a song's link takes about 1 KB
MAX_SONGS = 5_000
MAX_TOTAL_BARS = 300_000  # bars as played, all songs of one read together
MAX_TOTAL_MARKS = 2_000_000  # chords, spaces, bar lines and signs of all songs: a chart holds a few hundred
MAX_BAR_CHORDS = 16  # an iReal line holds 16 cells
MAX_BAR_MARKS = 64  # chords, spaces, signs and texts between two bar lines
MAX_BAR_LINES = 2 * MAX_BARS  # a chart's bar lines, layout between sections included


class Budget:
    """What one read may still spend, all its songs together: chart marks read and bars played."""

    def __init__(self, name: str):
        self.name, self.marks, self.bars = name, MAX_TOTAL_MARKS, MAX_TOTAL_BARS

    def mark(self) -> None:
        self.marks -= 1
        if self.marks < 0:
            self._spent(f"its charts hold over {MAX_TOTAL_MARKS:,} chords and marks in all")

    def play(self, bars: int) -> None:
        self.bars -= bars
        if self.bars < 0:
            self._spent(f"its songs as played run past {MAX_TOTAL_BARS:,} bars in all")

    def _spent(self, what: str) -> None:
        raise DataError(
            f"{shown(self.name)}: {what}, more than jazzgen reads at once: pick one song by its title "
            "or export fewer"
        )
