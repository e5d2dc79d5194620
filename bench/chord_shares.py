"""How often each chord quality occurs in real jazz: the shares behind the recognition priors.

Counts the chord changes of the Weimar Jazz Database's solos (each change once, where the chord
column of a melody file moves to a new symbol; NC left out) by jazzgen's quality name, and prints
them as the table jazzgen.music.recognition.QUALITY_SHARES holds.

    .venv/bin/python bench/chord_shares.py [--wjazzd ../shared/data/wjazzd]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.music.chords import QUALITIES, parse_chord

WJAZZD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wjazzd"


def quality_counts(melody_files: list[Path]) -> tuple[Counter, Counter]:
    """(changes per quality, unreadable symbols)."""
    counts, unread = Counter(), Counter()
    for path in melody_files:
        with path.open(newline="") as rows:
            previous = None
            for row in csv.DictReader(rows):
                symbol = row["chord"].strip()
                if symbol != previous and symbol not in ("", "NC"):
                    try:
                        counts[parse_chord(symbol, suffix_accidentals=True).quality] += 1
                    except DataError:
                        unread[symbol] += 1
                previous = symbol
    return counts, unread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wjazzd", type=Path, default=WJAZZD)
    args = parser.parse_args()
    files = sorted((args.wjazzd / "mcsv_melody").glob("*.csv"))
    if not files:
        raise SystemExit(f"no melody files under {args.wjazzd / 'mcsv_melody'}")
    counts, unread = quality_counts(files)
    total = sum(counts.values())
    print(f"{total:,} chord changes in {len(files)} solos ({sum(unread.values())} unreadable)")
    for quality in sorted(QUALITIES, key=lambda q: -counts[q]):
        print(f'    "{quality}": {counts[quality] / total:.4f},  # {counts[quality]:,}')


if __name__ == "__main__":
    main()
