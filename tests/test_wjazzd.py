import csv

import pytest

from jazzgen.errors import DataError
from jazzgen.formats.reading import find_sources, read
from jazzgen.formats.wjazzd import read_wjazzd

MELODY_COLUMNS = [
    "onset",
    "duration",
    "period",
    "division",
    "bar",
    "beat",
    "tatum",
    "beat_duration",
    "signature",
    "pitch",
    "chord",
]
BEAT_COLUMNS = ["onset", "bar", "beat", "signature", "chord", "form", "chorus_id", "bass"]


def write_layout(root, name, notes, beats):
    """notes: (onset_s, duration_s, bar, beat, tatum, division, pitch); beats: (onset_s, bar, beat, sig, chord)."""
    (root / "mcsv_melody").mkdir(parents=True, exist_ok=True)
    (root / "mcsv_beat").mkdir(exist_ok=True)
    with open(root / "mcsv_melody" / f"{name}_FINAL.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(MELODY_COLUMNS)
        for onset, dur, bar, beat, tatum, div, pitch in notes:
            w.writerow([onset, dur, 4, div, bar, beat, tatum, 0.5, '"4/4"', pitch, "x"])
    with open(root / "mcsv_beat" / f"{name}_FINAL_beattrack.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(BEAT_COLUMNS)
        for onset, bar, beat, sig, chord in beats:
            w.writerow([onset, bar, beat, f"'{sig}'", chord, "A1", 1, 40])
    return root / "mcsv_melody" / f"{name}_FINAL.csv"


def beats_for(bars, start_bar=0, sig="4/4", chords=("D-7", "G7", "Cj7", "Cj7")):
    per_bar = int(sig.split("/")[0])
    rows, t = [], 0.0
    for i, bar in enumerate(range(start_bar, start_bar + bars)):
        for beat in range(1, per_bar + 1):
            rows.append((t, bar, beat, sig, chords[i % len(chords)]))
            t += 0.5
    return rows


def test_positions_come_from_bar_beat_tatum(tmp_path):
    # pick-up note in bar 0, then a triplet and a 16th in bar 1; 120 bpm (0.5 s a beat)
    notes = [
        (1.5, 0.4, 0, 4, 1, 1, 60),
        (2.0, 0.16, 1, 1, 1, 3, 62),
        (2.1667, 0.16, 1, 1, 2, 3, 64),
        (2.75, 0.1, 1, 2, 3, 4, 65),
        (4.0, 1.0, 2, 1, 1, 1, 67),
    ]
    solo = read_wjazzd(write_layout(tmp_path, "Test_Solo", notes, beats_for(4)))
    assert [(n.onset, n.duration, n.pitch) for n in solo.notes] == [
        (36, 10, 60),
        (48, 4, 62),
        (52, 4, 64),
        (66, 2, 65),
        (96, 24, 67),
    ]
    assert [(c.onset, c.symbol) for c in solo.chords][:3] == [(0, "Dm7"), (48, "G7"), (96, "Cmaj7")]
    assert solo.tempo == 120.0 and solo.bars == 3


def test_bars_before_the_first_note_are_dropped_and_meter_changes_kept(tmp_path):
    beats = beats_for(2, start_bar=-1) + [
        (t + 4.0, bar, beat, "3/4", "F7")
        for t, bar, beat, _, _ in [(0.0, 1, 1, 0, 0), (0.5, 1, 2, 0, 0), (1.0, 1, 3, 0, 0)]
    ]
    notes = [(1.0, 0.4, 0, 1, 1, 1, 60), (4.0, 0.4, 1, 1, 1, 1, 62)]
    solo = read_wjazzd(write_layout(tmp_path, "Meter", notes, beats))
    assert [(ts.bar, ts.name) for ts in solo.meter] == [(0, "4/4"), (1, "3/4")]
    assert [n.onset for n in solo.notes] == [0, 48]


def test_notes_rounding_onto_one_tick_are_spread(tmp_path):
    notes = [(0.0, 0.03, 0, 1, i, 16, 60 + i) for i in range(1, 5)]
    solo = read_wjazzd(write_layout(tmp_path, "Fast", notes, beats_for(1)))
    assert len(solo.notes) == 4 and len({n.onset for n in solo.notes}) == 4


def test_missing_beat_track_is_a_data_error(tmp_path):
    path = write_layout(tmp_path, "Lonely", [(0.0, 0.5, 0, 1, 1, 1, 60)], beats_for(1))
    (tmp_path / "mcsv_beat" / "Lonely_FINAL_beattrack.csv").unlink()
    with pytest.raises(DataError, match="beat track"):
        read_wjazzd(path)


def test_folder_reading_prefers_annotated_csv_over_its_midi_export(tmp_path):
    write_layout(tmp_path, "Dup", [(0.0, 0.5, 0, 1, 1, 1, 60)], beats_for(1))
    (tmp_path / "midi").mkdir()
    (tmp_path / "midi" / "Dup_FINAL.mid").write_bytes(b"MThd")
    found = find_sources([tmp_path])
    assert [f.name for f in found.files] == ["Dup_FINAL.csv"]
    assert [f.name for f in found.duplicates] == ["Dup_FINAL.mid"]
    assert len(read(tmp_path)) == 1


def test_every_shared_solo_loads_in_every_meter(shared_data):
    solos = read(shared_data / "wjazzd" / "mcsv_melody")
    assert len(solos) == 410
    assert sum(len(s.notes) for s in solos) == 180921
    meters = {ts.name for s in solos for ts in s.meter}
    assert {"4/4", "3/4", "5/4", "6/4", "9/4", "1/4"} <= meters
