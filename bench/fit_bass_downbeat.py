"""Fit jazzgen.formats.midi.beats.BASS_DOWNBEAT_EVIDENCE: where a walking bass line says the bar starts.

    .venv/bin/python bench/fit_bass_downbeat.py [--data ../shared/data/wjazzd]

The Weimar Jazz Database's beat tracks give, for every beat of a solo, its place in the bar and the
bass pitch the annotators heard on it. For the 4/4 solos with a bass line, a softmax regression
learns the log-odds of the beat's place in the bar (downbeat, 2, 3, 4) from one thing: the interval
from the bass note of the beat before (-12 to +12 semitones, or a wider leap; the first beat of a
track tells nothing). Fitted on the even-numbered files, it is scored on the odd-numbered ones by what the
reader does with it: for each solo, the bar phase whose summed log-odds is highest, against the
annotated one. Then it is fitted again on all files, and that table is printed for beats.py.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jazzgen.formats.midi.beats import BASS_INTERVALS, bass_interval_classes

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd"


def bass_lines(folder: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(bass pitch, place in the bar 0-3) per beat of every 4/4 beat track with a bass line."""
    lines = []
    for path in sorted(folder.glob("*_FINAL_beattrack.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if not rows or "bass" not in rows[0] or rows[0]["signature"].strip("'\"") != "4/4":
            continue
        try:
            pitches = np.array([int(float(r["bass"])) for r in rows])
            places = np.array([int(r["beat"]) - 1 for r in rows])
        except ValueError:
            continue
        if places.max() < 4:
            lines.append((pitches, places))
    return lines


def fit(lines, steps: int = 3000, rate: float = 0.5) -> np.ndarray:
    """Softmax regression (classes, 4) over one-hot interval classes, by gradient descent."""
    classes = np.concatenate([bass_interval_classes(p) for p, _ in lines])
    places = np.concatenate([q for _, q in lines])
    classes, places = classes[classes >= 0], places[classes >= 0]
    onehot = np.eye(len(BASS_INTERVALS) + 1)[classes]
    target = np.eye(4)[places]
    weights = np.zeros((onehot.shape[1], 4))
    for _ in range(steps):
        logits = onehot @ weights
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        weights -= rate * onehot.T @ (p - target) / len(places)
    return weights - weights.mean(axis=1, keepdims=True)  # log-odds against the row's mean


def solo_accuracy(lines, weights: np.ndarray) -> float:
    """Share of solos whose bar phase, chosen by the summed log-odds, is the annotated one."""
    right = 0
    for pitches, places in lines:
        classes = bass_interval_classes(pitches)
        scores = np.where(classes[:, None] >= 0, weights[classes], 0.0)  # (beats, 4)
        index = np.arange(len(pitches))
        best = max(range(4), key=lambda shift: scores[index, (index + shift) % 4].sum())
        right += best == places[0]
    return right / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    lines = bass_lines(args.data / "mcsv_beat")
    if not lines:
        sys.exit(f"no 4/4 beat tracks with a bass line under {args.data / 'mcsv_beat'}")
    tune, test = lines[0::2], lines[1::2]
    weights = fit(tune)
    print(
        f"{len(lines)} bass lines; fitted on {len(tune)}, bar phase right in "
        f"{solo_accuracy(tune, weights):.1%} of them and in {solo_accuracy(test, weights):.1%} "
        f"of the other {len(test)}"
    )
    weights = fit(lines)
    print(f"fitted on all: {solo_accuracy(lines, weights):.1%}\n\nBASS_DOWNBEAT_EVIDENCE = np.array([")
    labels = [f"{i:+d}" for i in BASS_INTERVALS] + ["wider"]
    for label, row in zip(labels, weights):
        print(f"    ({', '.join(f'{x:.2f}' for x in row)}),  # {label}")
    print("])")


if __name__ == "__main__":
    main()
