"""How far the annotated positions can be recovered from a soloist's onsets alone: the bounds behind
bench_midi.py's agreement figures.

    .venv/bin/python bench/midi_ceiling.py [--data ../shared/data/wjazzd] [--limit N]

The Weimar Jazz Database writes each note's position (bar, beat, tatum) against a beat track that
follows the band; its MIDI exports hold the soloist alone. For each solo with both, this prints:

1. How much an onset says about where the beat is: the density of onset phases against the
   annotated beats (1.0 everywhere would say nothing), and the score per note that the tracker's
   own evidence (jazzgen.formats.midi.beats.ONSET_PHASE_PRIOR) gives the annotated beats and the tracked ones.
2. What the quantiser reaches when it is handed the band's beats: the annotated beat times (mapped
   onto the MIDI file's clock through the matched notes), and the same beats smoothed over a
   straight line through +-8 beats (a tempo as steady as a tracker may assume).
3. Whether the evidence finds the band's beat where the band's tempo is known to be steady: in each
   32-beat window of the annotated beats, the straight beat line (period within 12% of the file's,
   phase in 50ths of a beat) that the evidence scores highest, against the annotated line.
4. What the reader's tracker reaches: annotated beats with a tracked beat within 0.1 beat, and
   onsets quantised to the annotated tick within the beat.

Positions are compared as absolute ticks with the best single beat offset per solo, so a wrong
downbeat does not count here (bench_midi.py counts it).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import mido
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_midi import CSV_NAMES, DEFAULT_DATA, align, melody_onsets

from jazzgen.formats.midi import beats as tracking
from jazzgen.music.solo import TICKS_PER_BEAT

WINDOW = 32  # beats in a window of step 3
SMOOTH = 8  # beats each side of the straight line that smooths the annotated beats


def midi_notes(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """Onsets in seconds, pitches, and the beat length the file's tempo says."""
    midi = mido.MidiFile(str(path))
    tempo = next((m.tempo for track in midi.tracks for m in track if m.type == "set_tempo"), 500000)
    onsets, pitches = melody_onsets(midi)
    seconds = np.array(onsets, dtype=float) * tempo / 1e6 / midi.ticks_per_beat
    order = np.argsort(seconds, kind="stable")
    return seconds[order], np.array(pitches)[order], tempo / 1e6


def annotation(melody_csv: Path, beat_csv: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Annotated onsets (s), pitches, absolute ticks (bar * beats a bar + beat, then tick) and beat times."""
    with open(melody_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(beat_csv, newline="", encoding="utf-8") as handle:
        beats = np.array([float(r["onset"]) for r in csv.DictReader(handle)])
    per_bar = int(rows[0]["signature"].strip("\"'").split("/")[0])
    ticks = np.array(
        [
            (int(r["bar"]) * per_bar + int(r["beat"]) - 1) * TICKS_PER_BEAT
            + round((int(r["tatum"]) - 1) * TICKS_PER_BEAT / int(r["division"]))
            for r in rows
        ]
    )
    return (
        np.array([float(r["onset"]) for r in rows]),
        np.array([int(float(r["pitch"])) for r in rows]),
        ticks,
        beats,
    )


def smoothed(beats: np.ndarray, reach: int) -> np.ndarray:
    """Each beat moved onto the straight line through the beats within reach of it."""
    index = np.arange(len(beats))
    out = beats.copy()
    for i in index:
        near = slice(max(0, i - reach), min(len(beats), i + reach + 1))
        slope, intercept = np.polyfit(index[near], beats[near], 1)
        out[i] = slope * i + intercept
    return out


def agreeing(quantised: np.ndarray, true_ticks: np.ndarray) -> tuple[int, int]:
    """Onsets on the true tick within their beat, and onsets exact with the best beat offset."""
    difference = quantised - true_ticks
    values, counts = np.unique(difference, return_counts=True)
    return int((difference % TICKS_PER_BEAT == 0).sum()), int(counts.max())


def phase_bins(position: np.ndarray) -> np.ndarray:
    """The phase_table bin of each position in beats (its phase in [WINDOW_START, WINDOW_START + 1))."""
    phase = position - np.floor(position - tracking.WINDOW_START)
    bins = ((phase - tracking.WINDOW_START) * tracking.PHASE_BINS).astype(int)
    return np.clip(bins, 0, tracking.PHASE_BINS - 1)


def evidence(onsets: np.ndarray, beats: np.ndarray, period: float) -> np.ndarray:
    """The tracker's evidence score of each onset against the given beats (NaN outside them)."""
    table = tracking.phase_table()
    position = tracking.beat_positions(onsets, beats)
    scores = table[tracking.ioi_classes(onsets, period), phase_bins(np.nan_to_num(position))]
    return np.where(np.isnan(position), np.nan, scores)


RATIOS = np.arange(0.88, 1.1201, 0.005)
PHASES = np.arange(0, 1, 0.02)


def window_phase_errors(onsets: np.ndarray, beats: np.ndarray, period: float) -> list[float]:
    """Per window: the best-scoring straight beat line's phase error at the window's centre, in beats."""
    table = tracking.phase_table()[tracking.ioi_classes(onsets, period)]
    errors = []
    for start in range(0, len(beats) - WINDOW, 3 * WINDOW // 4):
        slope, intercept = np.polyfit(np.arange(WINDOW), beats[start : start + WINDOW], 1)
        inside = (onsets >= intercept - 0.2 * slope) & (onsets < intercept + (WINDOW - 0.2) * slope)
        if inside.sum() < 8:
            continue
        times, rows = onsets[inside], table[inside]
        lengths = period * RATIOS[:, None, None]
        position = (times[None, None, :] - times[0]) / lengths - PHASES[None, :, None]
        score = rows[np.arange(len(times))[None, None, :], phase_bins(position)].sum(axis=-1)
        r, p = np.unravel_index(np.argmax(score), score.shape)
        length = period * RATIOS[r]
        origin = times[0] + PHASES[p] * length
        centre = intercept + slope * WINDOW / 2
        error = (centre - origin) / length - (centre - intercept) / slope
        errors.append(float(error - np.round(error)))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N files")
    args = parser.parse_args()
    files = sorted((args.data / "midi").glob("*.mid"))[: args.limit]
    if not files:
        sys.exit(f"no MIDI files under {args.data / 'midi'}")
    started = time.perf_counter()
    phases, window_errors = [], []
    counts = dict.fromkeys(("notes", "annotated", "smoothed", "tracked", "beats", "beat hits"), 0)
    counts.update({"annotated exact": 0, "smoothed exact": 0, "tracked exact": 0})
    score_annotated, score_tracked, tracked_better, solos = [], [], 0, 0
    for path in files:
        stem = path.name[: -len("_FINAL.mid")]
        stem = CSV_NAMES.get(stem, stem)
        melody_csv = args.data / "mcsv_melody" / f"{stem}_FINAL.csv"
        beat_csv = args.data / "mcsv_beat" / f"{stem}_FINAL_beattrack.csv"
        if not (melody_csv.is_file() and beat_csv.is_file()):
            continue
        onsets, pitches, period = midi_notes(path)
        csv_onsets, csv_pitches, true_ticks, csv_beats = annotation(melody_csv, beat_csv)
        ours, theirs = align(pitches, csv_pitches)
        if len(ours) < 16:
            continue
        solos += 1
        slope, intercept = np.polyfit(csv_onsets[theirs], onsets[ours], 1)
        band = slope * csv_beats + intercept  # annotated beats on the MIDI file's clock
        inside = (csv_beats >= csv_onsets.min()) & (csv_beats <= csv_onsets.max())
        position = tracking.beat_positions(csv_onsets, csv_beats)
        phases.append((position - np.floor(position))[~np.isnan(position)])
        tracked = tracking.track_beats(onsets, period)
        for name, beats in (("annotated", band), ("smoothed", smoothed(band, SMOOTH)), ("tracked", tracked)):
            quantised = tracking.quantise(onsets, tracking.extend_beats(beats, onsets))
            in_beat, exact = agreeing(quantised[ours], true_ticks[theirs])
            counts[name] += in_beat
            counts[f"{name} exact"] += exact
        counts["notes"] += len(ours)
        true_beats = band[inside]
        nearest = np.abs(true_beats[:, None] - tracked[None, :]).min(axis=1)
        counts["beats"] += len(true_beats)
        counts["beat hits"] += int((nearest < 0.1 * np.median(np.diff(true_beats))).sum())
        mine, theirs_score = (
            np.nanmean(evidence(onsets, tracked, period)),
            np.nanmean(evidence(onsets, tracking.extend_beats(band, onsets), period)),
        )
        score_tracked.append(mine)
        score_annotated.append(theirs_score)
        tracked_better += mine > theirs_score
        window_errors += window_phase_errors(onsets, band, period)
    seconds = time.perf_counter() - started
    phase = np.concatenate(phases)
    density = np.histogram(phase, bins=24, range=(0, 1))[0] / len(phase) * 24
    notes = counts["notes"]
    errors = np.abs(np.array(window_errors))
    print(f"{solos} solos, {notes} matched notes, {seconds:.0f} s")
    print(
        "1. onset phase density against the annotated beats (24ths of a beat, uniform = 1.0): "
        f"min {density.min():.2f}, max {density.max():.2f} (at {np.argmax(density) / 24:.2f} of the beat)"
    )
    print(
        f"   tracker evidence per note: annotated beats {np.mean(score_annotated):.3f}, tracked beats "
        f"{np.mean(score_tracked):.3f}; tracked higher in {tracked_better} of {solos} solos"
    )

    def quantised_line(name: str, label: str) -> str:
        return (
            f"quantised through {label:34s} tick in beat {counts[name] / notes:6.1%}   "
            f"exact (best offset) {counts[name + ' exact'] / notes:6.1%}"
        )

    print("2. " + quantised_line("annotated", "the annotated beats"))
    print("   " + quantised_line("smoothed", f"the annotated beats smoothed +-{SMOOTH}"))
    print(
        f"3. best straight line per {WINDOW}-beat window ({len(errors)} windows): phase within 0.1 beat "
        f"of the band's in {(errors < 0.1).mean():.1%}, within 0.2 in {(errors < 0.2).mean():.1%}"
    )
    print("4. " + quantised_line("tracked", "the tracked beats"))
    hits = counts["beat hits"] / counts["beats"]
    print(f"   annotated beats with a tracked beat within 0.1 beat: {hits:.1%}")


if __name__ == "__main__":
    main()
