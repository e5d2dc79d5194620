"""How well the MIDI reader places performed onsets: the Weimar Jazz Database's own MIDI exports
against the database's annotated metrical positions, and how long reading them takes.

    .venv/bin/python bench/bench_midi.py [--data ../shared/data/wjazzd] [--limit N] [--split tune|test]

Each shared MIDI file (one "Melody" track, one average-tempo event, performance onsets) is read
with read_midi; its notes are matched to the rows of mcsv_melody/<Solo>_FINAL.csv (same pitch
sequence, aligned with difflib so a note lost or added does not shift the rest). A CSV note's
true position is (bar, beat, tick) with tick = round((tatum - 1) * 12 / division). A read note's
position is (bar, beat, tick) on the solo's own bar grid. Per solo, the bar numbers may differ by
one constant (the best one is taken). Figures, as shares of all annotated notes:

- exact: same bar (after that offset), same beat in the bar, same 12-tick position in the beat;
- tick in beat: the same 12-tick position in the beat, any beat (what beat tracking decides; see
  bench/midi_ceiling.py for how much of it a soloist's onsets allow);
- beat and tick: same beat in the bar and same tick, any bar (a bar-level slip forgiven);
- same beat: same bar and beat, any tick in it;
- within 1 tick: the two positions at most 1 tick apart (same bar offset);
- grid, any downbeat: 'exact' again with the best of the bar phases (the 4 ways to choose the
  downbeat in 4/4): how good the beat grid is, apart from guessing which beat is beat 1;
- naive: 'exact' for plain rounding of the onsets through the file's single tempo (what
  quantising without beat tracking gives), with its best bar phase.

--split tune|test reads every other file (by name), so that parameters set on one half can be
reported on the other.

--band adds what these files lack, a part playing along: the annotated bass line, a note on every
annotated beat at the pitch the annotators heard (mcsv_beat/, mapped onto the MIDI clock through
the matched notes; a constant pitch where a track has no bass column), written as a second track,
as a recording of the whole band would hold one. It shows what the reader's tracking and downbeat
give when the file carries the band; the annotated beats are the answer key here, so these figures
bound what a real rhythm section would give rather than measure it.

A trap for oracle experiments: the MIDI files' seconds are not the MCSV seconds. Each file's tempo
event is a whole number of bpm, and its onsets are the MCSV onsets times a constant factor (median
0.994, 0.99 to 1.0 for 80% of the files) plus an offset, so an annotated beat time from
mcsv_beat/ drifts by up to a few beats against the MIDI notes by the end of a solo. Map annotated
times onto the MIDI's through the matched notes (a straight-line fit) before using them.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jazzgen.errors import DataError
from jazzgen.formats.midi.reader import read_midi
from jazzgen.music.solo import TICKS_PER_BEAT

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd"
CSV_NAMES = {"BranfordMarsalis_UMMG": "BranfordMarsalis_U.M.M.G."}
FIGURES = (
    "exact",
    "tick in beat",
    "beat and tick",
    "same beat",
    "within 1 tick",
    "grid, any downbeat",
    "naive",
)


def truth(csv_path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Pitches, (notes, 3) true (bar, beat - 1, tick), and beats per bar of the first note."""
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pitches = np.array([int(float(r["pitch"])) for r in rows])
    positions = np.array(
        [
            (
                int(r["bar"]),
                int(r["beat"]) - 1,
                round((int(r["tatum"]) - 1) * TICKS_PER_BEAT / int(r["division"])),
            )
            for r in rows
        ]
    )
    beats_per_bar = int(rows[0]["signature"].strip("\"'").split("/")[0])
    return pitches, positions, beats_per_bar


def read_positions(solo) -> tuple[np.ndarray, np.ndarray]:
    """Pitches and (notes, 3) (bar, beat in bar, tick in beat) of a read solo."""
    starts = np.array(solo.bar_starts)
    onsets = np.array([n.onset for n in solo.notes])
    bars = np.searchsorted(starts, onsets, side="right") - 1
    inside = onsets - starts[bars]
    positions = np.column_stack([bars, inside // TICKS_PER_BEAT, inside % TICKS_PER_BEAT])
    return np.array([n.pitch for n in solo.notes]), positions


def align(ours: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    matcher = difflib.SequenceMatcher(None, ours.tolist(), theirs.tolist(), autojunk=False)
    pairs = [(a + i, b + i) for a, b, size in matcher.get_matching_blocks() for i in range(size)]
    if not pairs:
        return np.zeros(0, int), np.zeros(0, int)
    return tuple(np.array(x) for x in zip(*pairs))


def agreement(ours: np.ndarray, true: np.ndarray, beats_per_bar: int) -> dict[str, int]:
    """Counts of matched notes meeting each figure (all but the last two)."""
    bar_ticks = beats_per_bar * TICKS_PER_BEAT
    same_place = (ours[:, 1] == true[:, 1]) & (ours[:, 2] == true[:, 2])
    offset = _best_offset(true[:, 0] - ours[:, 0], same_place)
    same_bar = ours[:, 0] + offset == true[:, 0]
    ours_abs = (ours[:, 0] + offset) * bar_ticks + ours[:, 1] * TICKS_PER_BEAT + ours[:, 2]
    true_abs = true[:, 0] * bar_ticks + true[:, 1] * TICKS_PER_BEAT + true[:, 2]
    return {
        "exact": int((same_bar & same_place).sum()),
        "tick in beat": int((ours[:, 2] == true[:, 2]).sum()),
        "beat and tick": int(same_place.sum()),
        "same beat": int((same_bar & (ours[:, 1] == true[:, 1])).sum()),
        "within 1 tick": int((np.abs(ours_abs - true_abs) <= 1).sum()),
    }


def _best_offset(differences: np.ndarray, weight: np.ndarray) -> int:
    if not weight.any():
        return 0
    values, counts = np.unique(differences[weight], return_counts=True)
    return int(values[np.argmax(counts)])


def any_downbeat(ours: np.ndarray, true: np.ndarray, beats_per_bar: int) -> int:
    """'exact' with the best bar phase: positions compared as absolute beats modulo re-barring."""
    beat_index = ours[:, 0] * beats_per_bar + ours[:, 1]
    best = 0
    for shift in range(beats_per_bar):
        shifted = beat_index + shift
        moved = np.column_stack([shifted // beats_per_bar, shifted % beats_per_bar, ours[:, 2]])
        best = max(best, agreement(moved, true, beats_per_bar)["exact"])
    return best


def melody_onsets(midi) -> tuple[list[int], list[int]]:
    """File ticks and pitches of the note-ons of a mido file's last track (the exports' melody)."""
    tick, onsets, pitches = 0, [], []
    for msg in midi.tracks[-1]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            onsets.append(tick)
            pitches.append(msg.note)
    return onsets, pitches


def naive(midi_path: Path, true: np.ndarray, true_pitches: np.ndarray, beats_per_bar: int) -> int:
    """'exact' (best bar phase) for onsets rounded to the 12-grid through the file's one tempo."""
    import mido

    midi = mido.MidiFile(str(midi_path))
    onsets, pitches = melody_onsets(midi)
    grid = np.rint(np.array(onsets) * TICKS_PER_BEAT / midi.ticks_per_beat).astype(int)
    grid -= grid[0] // TICKS_PER_BEAT * TICKS_PER_BEAT
    bar_ticks = beats_per_bar * TICKS_PER_BEAT
    ours = np.column_stack([grid // bar_ticks, grid % bar_ticks // TICKS_PER_BEAT, grid % TICKS_PER_BEAT])
    a, b = align(np.array(pitches), true_pitches)
    return any_downbeat(ours[a], true[b], beats_per_bar)


def melody_csv_of(data: Path, stem: str) -> Path:
    return data / "mcsv_melody" / f"{CSV_NAMES.get(stem, stem)}_FINAL.csv"


def beat_csv_of(data: Path, stem: str) -> Path:
    return data / "mcsv_beat" / f"{CSV_NAMES.get(stem, stem)}_FINAL_beattrack.csv"


def annotated(data: Path, stem: str) -> bool:
    return melody_csv_of(data, stem).is_file() and beat_csv_of(data, stem).is_file()


def with_band(midi_path: Path, csv_path: Path, beat_csv: Path) -> io.BytesIO:
    """The MIDI file with a "Bass" track holding the annotated bass line, a note on every beat."""
    import mido

    midi = mido.MidiFile(str(midi_path))
    onsets, pitches = melody_onsets(midi)
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(beat_csv, newline="", encoding="utf-8") as handle:
        beat_rows = list(csv.DictReader(handle))
    beats = np.array([float(r["onset"]) for r in beat_rows])
    bass = [_pitch(r.get("bass")) for r in beat_rows]
    ours, theirs = align(np.array(pitches), np.array([int(float(r["pitch"])) for r in rows]))
    csv_onsets = np.array([float(r["onset"]) for r in rows])
    slope, intercept = np.polyfit(csv_onsets[theirs], np.array(onsets, dtype=float)[ours], 1)
    ticks = np.rint(slope * beats + intercept).astype(int)
    notes = [(int(t), pitch) for t, pitch in zip(ticks, bass) if t >= 0]
    half = midi.ticks_per_beat // 2
    events = sorted([(t, 1, pitch) for t, pitch in notes] + [(t + half, 0, pitch) for t, pitch in notes])
    bass, now = (
        mido.MidiTrack(
            [
                mido.MetaMessage("track_name", name="Bass", time=0),
                mido.Message("program_change", channel=1, program=32, time=0),
            ]
        ),
        0,
    )
    for at, on, pitch in events:
        kind, velocity = ("note_on", 80) if on else ("note_off", 0)
        bass.append(mido.Message(kind, channel=1, note=pitch, velocity=velocity, time=at - now))
        now = at
    midi.tracks.append(bass)
    data = io.BytesIO()
    midi.save(file=data)
    data.seek(0)
    return data


def _pitch(text: str | None) -> int:
    try:
        return min(127, max(0, int(float(text))))
    except (TypeError, ValueError):
        return 36


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N files")
    parser.add_argument(
        "--split",
        choices=("all", "tune", "test"),
        default="all",
        help="tune: the 1st, 3rd, 5th ... file by name (for setting parameters); "
        "test: the 2nd, 4th ... (for reporting)",
    )
    parser.add_argument(
        "--band",
        action="store_true",
        help="add a bass note on every annotated beat as a second track (see above)",
    )
    args = parser.parse_args()
    files = sorted((args.data / "midi").glob("*.mid"))
    files = {"all": files, "tune": files[0::2], "test": files[1::2]}[args.split][: args.limit]
    if args.band:  # the band is written from the annotation: files without one are left out
        files = [f for f in files if annotated(args.data, f.name[: -len("_FINAL.mid")])]
    if not files:
        sys.exit(f"no MIDI files under {args.data / 'midi'}")
    totals = dict.fromkeys(FIGURES, 0)
    notes = read_seconds = 0.0
    failed, timings = [], {}
    for path in files:
        stem = path.name[: -len("_FINAL.mid")]
        csv_path = melody_csv_of(args.data, stem)
        source = with_band(path, csv_path, beat_csv_of(args.data, stem)) if args.band else path
        start = time.perf_counter()
        try:
            reading = read_midi(source, melody_track="Melody" if args.band else None, name=str(path))
        except DataError as err:
            failed.append(str(err))
            continue
        read_seconds += time.perf_counter() - start
        timings[reading.timing.split(":")[0]] = timings.get(reading.timing.split(":")[0], 0) + 1
        if not csv_path.is_file():
            continue
        true_pitches, true, beats_per_bar = truth(csv_path)
        pitches, ours = read_positions(reading.solo)
        a, b = align(pitches, true_pitches)
        counts = agreement(ours[a], true[b], beats_per_bar)
        counts["grid, any downbeat"] = any_downbeat(ours[a], true[b], beats_per_bar)
        counts["naive"] = naive(path, true, true_pitches, beats_per_bar)
        for key, value in counts.items():
            totals[key] += value
        notes += len(true)
    read = len(files) - len(failed)
    print(
        f"files read: {read} of {len(files)}; read time {read_seconds:.1f} s "
        f"({1000 * read_seconds / max(1, read):.0f} ms a file); timing paths: {timings}"
    )
    for message in failed:
        print(f"  failed: {message}")
    print(f"agreement with the annotated positions, over {int(notes)} annotated notes:")
    for key in FIGURES:
        print(f"  {key:20s} {totals[key] / max(1, notes):6.1%}")


if __name__ == "__main__":
    main()
