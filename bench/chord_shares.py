"""How real jazz changes use and move between chords: the tables behind the recognition priors.

Counts the Weimar Jazz Database's solos. By default, each quality's share of the chord changes
(each change once, where the chord column of a melody file moves to a new symbol; NC left out),
printed as jazzgen.music.recognition.QUALITY_SHARES. With --moves, how the harmony moves from
one segment to the next as the recogniser segments a bar (the whole bar, or its two halves where
the chord at the half bar differs), read from the beat tracks: counts of (from family, root motion
in semitones up, to family), staying on the chord included, an NC or a gap in the bars breaking
the chain; printed as jazzgen.music.recognition.CHORD_MOVES.

    .venv/bin/python bench/chord_shares.py [--moves] [--wjazzd ../shared/data/wjazzd]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter, defaultdict
from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.music.chords import QUALITIES, ChordSymbol, parse_chord
from jazzgen.music.recognition import FAMILIES, family

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


def segment_chords(beat_file: Path) -> list[list[str]]:
    """The chord symbol at the start of each segment, in runs of consecutive bars."""
    bars = defaultdict(list)
    with beat_file.open(newline="") as rows:
        for row in csv.DictReader(rows):
            bars[int(row["bar"])].append((int(row["beat"]), row["chord"].strip()))
    runs, previous_bar = [], None
    for bar in sorted(bars):
        if previous_bar is None or bar != previous_bar + 1:
            runs.append([])
        previous_bar = bar
        chords = [symbol for _, symbol in sorted(bars[bar])]
        half = len(chords) // 2
        split = len(chords) % 2 == 0 and half and chords[half] != chords[0]
        runs[-1] += [chords[0], chords[half]] if split else [chords[0]]
    return runs


def move_counts(beat_files: list[Path]) -> tuple[Counter, Counter]:
    """((from family, root motion, to family) -> moves, unreadable symbols)."""
    moves, unread = Counter(), Counter()
    for path in beat_files:
        for run in segment_chords(path):
            previous = None
            for symbol in run:
                chord = _chord(symbol, unread)
                if chord is not None and previous is not None:
                    moves[(_family(previous), (chord.root - previous.root) % 12, _family(chord))] += 1
                previous = chord
    return moves, unread


def _chord(symbol: str, unread: Counter) -> ChordSymbol | None:
    """The symbol read, or None for NC and an unreadable symbol (counted)."""
    try:
        chord = parse_chord(symbol, suffix_accidentals=True)
    except DataError:
        unread[symbol] += 1
        return None
    return chord if chord.root is not None else None


def _family(chord: ChordSymbol) -> str:
    return family("7" if chord.quality == "7alt" else chord.quality)


def print_shares(wjazzd: Path) -> None:
    files = _files(wjazzd / "mcsv_melody")
    counts, unread = quality_counts(files)
    total = sum(counts.values())
    print(f"{total:,} chord changes in {len(files)} solos ({sum(unread.values())} unreadable)")
    for quality in sorted(QUALITIES, key=lambda q: -counts[q]):
        print(f'    "{quality}": {counts[quality] / total:.4f},  # {counts[quality]:,}')


def print_moves(wjazzd: Path) -> None:
    files = _files(wjazzd / "mcsv_beat")
    moves, unread = move_counts(files)
    print(f"{sum(moves.values()):,} moves in {len(files)} solos ({sum(unread.values())} unreadable symbols)")
    for start in FAMILIES:
        print(f'    "{start}": {{')
        for end in FAMILIES:
            row = [moves[(start, motion, end)] for motion in range(12)]
            if any(row):
                print(f'        "{end}": ({", ".join(map(str, row))}),')
        print("    },")


def _files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise SystemExit(f"no CSV files under {folder}")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wjazzd", type=Path, default=WJAZZD)
    parser.add_argument("--moves", action="store_true", help="count root motions between segments")
    args = parser.parse_args()
    (print_moves if args.moves else print_shares)(args.wjazzd)


if __name__ == "__main__":
    main()
