"""MIDI reader: files built in memory with mido, plus the shared Metheny sequence when present."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest

from jazzgen.errors import DataError, UsageError
from jazzgen.formats.midi import beats as beat_tracking
from jazzgen.formats.midi.reader import read_midi
from jazzgen.music.changes import format_changes
from jazzgen.music.chords import parse_chord
from jazzgen.music.solo import Note, TimeSignature

PPQ = 480
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
METHENY = SHARED / "coursera" / "original_metheny.mid"


def part(name, notes, program=None, channel=0):
    """A part for make_midi: notes are (onset, duration, pitch) in jazzgen ticks (12 a beat)."""
    return {"name": name, "notes": notes, "program": program, "channel": channel}


def make_midi(*parts, tempos=((0, 120.0),), meters=((0, 4, 4),), texts=(), file_type=1, ppq=PPQ, scale=None):
    """An in-memory MIDI file. Times of tempos, meters and texts are jazzgen ticks too; scale
    turns jazzgen ticks into file ticks (default ppq / 12); a float time is taken as file ticks."""
    scale = scale or ppq // 12

    def at(t):
        return int(round(t)) if isinstance(t, float) else t * scale

    conductor = [(at(t), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for t, bpm in tempos]
    conductor += [
        (at(t), mido.MetaMessage("time_signature", numerator=num, denominator=den)) for t, num, den in meters
    ]
    conductor += [(at(t), mido.MetaMessage(kind, text=text)) for t, kind, text in texts]
    tracks = [conductor]
    for p in parts:
        events = [(0, mido.MetaMessage("track_name", name=p["name"]))]
        if p["program"] is not None:
            events.append((0, mido.Message("program_change", channel=p["channel"], program=p["program"])))
        for onset, duration, pitch, *velocity in p["notes"]:
            events.append(
                (
                    at(onset),
                    mido.Message(
                        "note_on", channel=p["channel"], note=pitch, velocity=velocity[0] if velocity else 90
                    ),
                )
            )
            events.append(
                (
                    at(onset) + max(1, at(duration)),
                    mido.Message("note_off", channel=p["channel"], note=pitch, velocity=0),
                )
            )
        tracks.append(events)
    if file_type == 0:
        tracks = [[e for track in tracks for e in track]]
    midi = mido.MidiFile(type=file_type, ticks_per_beat=ppq)
    for events in tracks:
        track, now = mido.MidiTrack(), 0
        for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
            track.append(msg.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    data = io.BytesIO()
    midi.save(file=data)
    data.seek(0)
    return data


LINE = [
    (0, 3, 60),
    (3, 3, 62),
    (6, 3, 64),
    (9, 3, 65),  # 16ths
    (12, 4, 67),
    (16, 4, 69),
    (20, 4, 71),  # 8th triplets
    (24, 6, 72),
    (30, 6, 71),
    (36, 12, 69),  # 8ths and a quarter
    (48, 2, 67),
    (50, 2, 65),
    (52, 2, 64),
    (54, 2, 62),
    (56, 2, 60),
    (58, 2, 59),  # 16th triplets
    (60, 24, 60),
]
BASS = [(i * 12, 12, p) for i, p in enumerate([38, 41, 45, 48, 43, 47, 50, 53, 36, 40, 43, 47])]
COMP = [
    (t, 24, p)
    for t, chord in (
        (0, (53, 57, 60, 64)),
        (24, (53, 57, 59, 64)),
        (48, (52, 55, 59, 64)),
        (72, (52, 55, 59, 64)),
        (96, (53, 57, 60, 64)),
        (120, (53, 57, 59, 64)),
    )
    for p in chord
]


def notes_of(reading):
    return [(n.onset, n.duration, n.pitch) for n in reading.solo.notes]


# ---------------------------------------------------------------- quantised files


def test_quantised_16ths_and_triplets_read_back_exactly():
    reading = read_midi(make_midi(part("Melody", LINE, program=65)))
    assert notes_of(reading) == LINE
    assert reading.solo.meter == (TimeSignature(0, 4, 4),)
    assert reading.solo.bars == 2
    assert reading.solo.tempo == 120.0
    assert reading.timing.startswith("quantised file")


@pytest.mark.parametrize("ppq", [96, 192, 480, 960])
def test_every_common_resolution_reads_back_exactly(ppq):
    assert notes_of(read_midi(make_midi(part("Melody", LINE), ppq=ppq))) == LINE


def test_velocities_are_kept():
    reading = read_midi(make_midi(part("Melody", [(0, 6, 60, 30), (6, 6, 62, 110)])))
    assert [n.velocity for n in reading.solo.notes] == [30, 110]


def test_tempo_map_changes_leave_the_grid_alone_and_the_first_tempo_is_the_solos():
    data = make_midi(part("Melody", LINE), tempos=((0, 100.0), (24, 140.0), (48, 90.0)))
    reading = read_midi(data)
    assert notes_of(reading) == LINE
    assert reading.solo.tempo == 100.0


def test_tempo_is_the_one_sounding_at_the_first_note():
    line = [(onset + 48, duration, pitch) for onset, duration, pitch in LINE]
    reading = read_midi(make_midi(part("Melody", line), tempos=((0, 100.0), (48, 150.0))))
    assert reading.solo.tempo == 150.0


def test_meter_changes_are_kept_from_the_solos_first_bar():
    line = [(0, 12, 60), (48, 12, 62), (84, 6, 64), (120, 12, 65)]  # bars: 4/4, 3/4, 3/4, 6/8
    meters = ((0, 4, 4), (48, 3, 4), (120, 6, 8))
    reading = read_midi(make_midi(part("Melody", line), meters=meters))
    assert reading.solo.meter == (TimeSignature(0, 4, 4), TimeSignature(1, 3, 4), TimeSignature(3, 6, 8))
    assert notes_of(reading) == line
    assert reading.solo.bar_starts == (0, 48, 84, 120, 156)


def test_the_solo_starts_at_the_bar_of_its_first_note():
    line = [(onset + 2 * 48 + 30, duration, pitch) for onset, duration, pitch in LINE[:3]]
    reading = read_midi(make_midi(part("Melody", line), meters=((0, 4, 4), (48, 3, 4))))
    # bars start at 0, 48, 84, 120: the first note (tick 126) lies in the bar from 120
    assert reading.solo.notes[0].onset == 6
    assert reading.solo.meter == (TimeSignature(0, 3, 4),)


def test_format_0_is_split_by_channel():
    data = make_midi(
        part("Band", LINE, program=65, channel=0), part("Band", COMP, program=0, channel=1), file_type=0
    )
    reading = read_midi(data)
    assert [(t.index, t.channel, t.program) for t in reading.tracks] == [(0, 1, 65), (1, 2, 0)]
    assert reading.melody_index == 0
    assert notes_of(reading) == LINE
    assert reading.tracks[1].polyphony > 0.5


# ---------------------------------------------------------------- melody choice


def band(**extra):
    return make_midi(
        part("Bass", BASS, program=32, channel=2),
        part("Piano", COMP, program=0, channel=1),
        part("Alto Sax", LINE, program=65, channel=0),
        **extra,
    )


def test_the_lead_line_is_chosen_over_bass_and_comp():
    reading = read_midi(band())
    assert [t.name for t in reading.tracks] == ["Bass", "Piano", "Alto Sax"]
    assert reading.melody_index == 3
    assert reading.melody_reason.startswith("track 3 'Alto Sax' is the melody: ")
    assert reading.solo.source.endswith("#Alto Sax")


def test_melody_track_by_index_and_by_name():
    by_index = read_midi(band(), melody_track=1)
    assert by_index.melody_index == 1 and "melody_track=1" in by_index.melody_reason
    by_name = read_midi(band(), melody_track="piano")
    assert by_name.melody_index == 2
    assert by_name.solo.notes[0] == Note(0, 24, 64)  # the top voice of the first chord
    assert read_midi(band(), melody_track="2").melody_index == 2


def test_a_missing_melody_track_names_the_tracks_there_are():
    listing = r"melody track 7 is not in the file; .*1 'Bass', 2 'Piano', 3 'Alto Sax'"
    with pytest.raises(UsageError, match=listing):
        read_midi(band(), melody_track=7)
    with pytest.raises(UsageError, match="'Trumpet'"):
        read_midi(band(), melody_track="Trumpet")


def test_a_polyphonic_melody_is_reduced_to_its_top_voice():
    chords = [(0, 12, 60), (0, 12, 64), (0, 12, 67), (12, 6, 62), (12, 12, 65), (18, 6, 69)]
    reading = read_midi(make_midi(part("Melody", chords)))
    assert notes_of(reading) == [(0, 12, 67), (12, 6, 65), (18, 6, 69)]


# ---------------------------------------------------------------- chords


def symbols(reading):
    return [(c.onset, c.duration, c.symbol) for c in reading.solo.chords]


def test_chords_from_marker_events():
    texts = (
        (0, "marker", "Dm7"),
        (24, "marker", "G7"),
        (48, "marker", "Cmaj7"),
        (72, "marker", "NC"),
        (0, "marker", "Intro"),
    )
    reading = read_midi(make_midi(part("Melody", LINE + [(84, 12, 60)]), texts=texts))
    assert reading.chords_from == "text events"
    assert symbols(reading) == [(0, 24, "Dm7"), (24, 24, "G7"), (48, 24, "Cmaj7")]


def test_chords_marked_after_the_melody_ends_are_kept_with_their_bars():
    texts = (
        (0, "marker", "Dm7"),
        (48, "marker", "G7"),
        (96, "marker", "Cmaj7"),
        (144, "marker", "F7"),
        (240, "marker", "NC"),
    )
    reading = read_midi(make_midi(part("Melody", LINE + [(84, 12, 60)]), texts=texts))
    assert symbols(reading) == [(0, 48, "Dm7"), (48, 48, "G7"), (96, 48, "Cmaj7"), (144, 48, "F7")]
    assert reading.solo.bars == 4  # the melody fills two; an NC mark adds no bar


def test_a_chord_set_before_the_solo_holds_at_its_start():
    line = [(onset + 48, duration, pitch) for onset, duration, pitch in LINE]
    texts = ((0, "text", "F7"), (24, "text", "Bb7"), (96, "text", "C7"))
    reading = read_midi(make_midi(part("Melody", line), texts=texts))
    assert symbols(reading) == [(0, 48, "Bb7"), (48, 48, "C7")]


def test_lyrics_that_are_not_chords_are_ignored():
    texts = ((0, "lyrics", "I"), (12, "lyrics", "am"), (24, "lyrics", "here"), (36, "lyrics", "now"))
    assert read_midi(make_midi(part("Melody", LINE), texts=texts)).chords_from == "none (NC)"


def test_sidecar_chords_count_from_the_solos_first_bar(tmp_path):
    line = [(onset + 48, duration, pitch) for onset, duration, pitch in LINE]
    path = tmp_path / "tune.MID"
    path.write_bytes(make_midi(part("Melody", line)).getvalue())
    (tmp_path / "tune.chords").write_text("| Dm7 G7 | Cmaj7 | % |\n", encoding="utf-8")
    reading = read_midi(path)
    assert reading.chords_from == "sidecar file tune.chords"
    assert symbols(reading) == [(0, 24, "Dm7"), (24, 24, "G7"), (48, 96, "Cmaj7")]
    assert reading.solo.bars == 3  # the sidecar's three bars, though the notes fill two
    assert reading.solo.source == str(path) and reading.solo.title == "tune"


def test_a_broken_sidecar_names_itself(tmp_path):
    path = tmp_path / "tune.mid"
    path.write_bytes(make_midi(part("Melody", LINE)).getvalue())
    (tmp_path / "tune.chords").write_text("| H7 |", encoding="utf-8")
    with pytest.raises(DataError, match="tune.chords"):
        read_midi(path)


def test_chords_estimated_from_a_comp_track():
    comp = [
        (t, 24, p)
        for t, voicing in (
            (0, (50, 53, 57, 60)),
            (24, (43, 53, 59, 64)),
            (48, (48, 52, 55, 59)),
            (72, (48, 52, 55, 59)),
        )
        for p in voicing
    ]
    data = make_midi(part("Melody", LINE, program=66), part("Piano", comp, program=0, channel=1))
    reading = read_midi(data)
    assert reading.chords_from == "estimated from tracks 2 'Piano'"
    assert format_changes(reading.solo.chords, reading.solo.bar_starts) == "| Dm7 G7 | Cmaj7 |"


def test_no_accompaniment_and_no_text_gives_no_chords():
    reading = read_midi(make_midi(part("Melody", LINE)))
    assert reading.solo.chords == () and reading.chords_from == "none (NC)"


# ---------------------------------------------------------------- files that give no solo


@pytest.mark.parametrize("data", [b"", b"not a midi file at all", b"MThd\x00\x00\x00\x06\x00\x01\x00"])
def test_corrupt_bytes_are_a_data_error(data):
    with pytest.raises(DataError, match=r"^broken.mid: ") as info:
        read_midi(io.BytesIO(data), name="broken.mid")
    assert "\n" not in str(info.value)


def test_a_truncated_file_gives_the_notes_before_the_cut():
    data = make_midi(part("Melody", LINE)).getvalue()
    reading = read_midi(io.BytesIO(data[: len(data) - 30]), name="cut.mid")
    assert notes_of(reading) == LINE[:14]  # the last note sounds until the cut
    assert "track 1: cut short: read the events before the cut" in reading.repairs


def test_drums_only_is_a_data_error():
    drums = make_midi(part("Kit", [(i * 6, 3, 42) for i in range(16)], channel=9))
    with pytest.raises(DataError, match="only drum tracks"):
        read_midi(drums, name="drums.mid")


def test_no_notes_is_a_data_error():
    with pytest.raises(DataError, match="empty.mid: holds no notes"):
        read_midi(make_midi(), name="empty.mid")


def test_a_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_midi(tmp_path / "nowhere.kar")


# ---------------------------------------------------------------- performances


def performance(pattern, bpm_from, bpm_to, jitter, seed=1, played_to_file=False, band=()):
    """A played line: pattern onsets (jazzgen ticks) played with a tempo drifting linearly from
    bpm_from to bpm_to, onset jitter in seconds; written with one average tempo event. band:
    (name, pattern, program, channel) of parts played along to the same tempo."""
    rng = np.random.default_rng(seed)
    beats = np.array([onset / 12 for _, notes, _, _ in [("", pattern, 0, 0), *band] for onset, _, _ in notes])
    span = beats.max() + 1
    bpm = lambda b: bpm_from + (bpm_to - bpm_from) * b / span  # noqa: E731
    grid = np.linspace(0, span, 2000)
    seconds = np.concatenate([[0], np.cumsum(np.diff(grid) * 60 / bpm(grid[:-1]))])
    if played_to_file:
        seconds = grid * 60 / bpm_from
    to_seconds = lambda b: np.interp(b, grid, seconds)  # noqa: E731
    average = 60 * span / seconds[-1]
    ticks_per_second = PPQ * average / 60
    lead_in = 2.0

    def played(notes):
        out = []
        for onset, duration, pitch in notes:
            start = (lead_in + to_seconds(onset / 12) + rng.normal(0, jitter)) * ticks_per_second
            end = (lead_in + to_seconds((onset + duration) / 12) - 0.02) * ticks_per_second
            out.append((float(start), float(max(end - start, 10)), pitch))
        return out

    parts = [part("Melody", played(pattern), program=66)]
    parts += [part(name, played(notes), program, channel) for name, notes, program, channel in band]
    return make_midi(*parts, tempos=((0, average),))


A_BAR = [(0, 18, 60), (18, 6, 62), (24, 4, 64), (28, 4, 65), (32, 4, 67), (36, 6, 65), (42, 6, 64)]
B_BAR = [(0, 12, 64), (12, 6, 62), (18, 6, 60), (24, 4, 59), (28, 4, 60), (32, 4, 62), (36, 12, 64)]
SWING_LINE = [
    (onset + 48 * bar, duration, pitch + (bar % 5 if onset == 0 and bar % 2 == 0 else 0))
    for bar in range(16)
    for onset, duration, pitch in (A_BAR if bar % 2 == 0 else B_BAR)
]


def relative(reading):
    first = reading.solo.notes[0].onset
    return [(n.onset - first, n.pitch) for n in reading.solo.notes]


def test_a_performance_with_drifting_tempo_comes_back_on_its_grid():
    reading = read_midi(performance(SWING_LINE, 112, 136, jitter=0.008))
    assert reading.timing.startswith("performance: beats tracked")
    expected = [(onset, pitch) for onset, _, pitch in SWING_LINE]
    got = set(relative(reading))
    assert np.mean([note in got for note in expected]) >= 0.95
    assert reading.solo.notes[0].onset == 0  # the long notes put the downbeat on the first note


ANTICIPATIONS = [
    (48 * bar + 12 * beat + 6, 10, 64 + (beat + bar) % 5) for bar in range(16) for beat in range(4)
]
WALKING_BASS = [
    (48 * bar + 12 * beat, 11, 40 + (3 * beat + bar) % 7) for bar in range(16) for beat in range(4)
]
RIDE = [(48 * bar + tick, 2, 51) for bar in range(16) for tick in (0, 12, 20, 24, 36, 44)]


def test_the_band_keeps_the_beat_that_a_soloist_plays_around():
    # a line of off-beat 8ths held for a beat: alone, each note looks like a beat
    alone = read_midi(performance(ANTICIPATIONS, 112, 136, jitter=0.008))
    assert "of the melody alone" in alone.timing
    assert {n.onset % 12 for n in alone.solo.notes} == {0}
    band = (("Bass", WALKING_BASS, 32, 1), ("Drums", RIDE, 0, 9))
    reading = read_midi(performance(ANTICIPATIONS, 112, 136, jitter=0.008, band=band))
    assert "of the melody and 2 other parts" in reading.timing
    assert [n.pitch for n in reading.solo.notes] == [pitch for _, _, pitch in ANTICIPATIONS]
    first = reading.solo.notes[0].onset
    assert first % 12 == 6  # on the off-beat, as played
    assert [n.onset - first for n in reading.solo.notes] == [onset - 6 for onset, _, _ in ANTICIPATIONS]


def walking_bass(roots):
    """A walking line, a bar per root: root, 2nd, 3rd, then a semitone below the next root."""
    line = []
    for bar, root in enumerate(roots):
        following = roots[(bar + 1) % len(roots)]
        pitches = (root, root + 2, root + 4, following - 1)
        line += [(48 * bar + 12 * beat, 11, pitch) for beat, pitch in enumerate(pitches)]
    return line


def test_bass_interval_classes():
    wider = len(beat_tracking.BASS_INTERVALS)
    classes = beat_tracking.bass_interval_classes(np.array([40, 41, 28, -1, 45, 45, 60]))
    # first beat, +1, -13 (wider than an octave), no note, after no note, 0, +15
    assert classes.tolist() == [-1, 13, wider, -1, -1, 12, wider]


@pytest.mark.parametrize("beats_in", [1, 2, 3])
def test_a_walking_bass_tells_the_downbeat_the_melody_hides(beats_in):
    # the line starts beats_in beats into the band's first bar; alone, its long first note looks
    # like a downbeat
    melody = [(onset + 12 * beats_in, duration, pitch) for onset, duration, pitch in SWING_LINE[:-8]]
    drums = read_midi(performance(melody, 112, 136, jitter=0.008, band=(("Drums", RIDE, 0, 9),)))
    assert drums.solo.notes[0].onset == 0
    band = (("Bass", walking_bass([38, 43, 36, 45] * 4), 32, 1), ("Drums", RIDE, 0, 9))
    reading = read_midi(performance(melody, 112, 136, jitter=0.008, band=band))
    assert reading.solo.notes[0].onset == 12 * beats_in  # on beat beats_in + 1 of its first bar
    assert {(n.onset, n.pitch) for n in reading.solo.notes} >= {(o, p) for o, _, p in melody[:20]}


def test_a_take_played_to_the_files_click_keeps_the_files_bars():
    pattern = [(onset + 24, duration, pitch) for onset, duration, pitch in SWING_LINE[:40]]
    reading = read_midi(performance(pattern, 120, 120, jitter=0.006, played_to_file=True))
    assert reading.timing.startswith("played to the file's beat")
    # every onset on its written position, counted from the file's own bar line (the take starts
    # half a bar in)
    assert [(n.onset, n.pitch) for n in reading.solo.notes] == [(onset, pitch) for onset, _, pitch in pattern]


# ---------------------------------------------------------------- shared data


@pytest.mark.skipif(not METHENY.is_file(), reason="needs ../shared/data/coursera/original_metheny.mid")
def test_metheny_melody_is_the_guitar_and_the_band_gives_the_chords():
    reading = read_midi(METHENY)
    melody = next(t for t in reading.tracks if t.index == reading.melody_index)
    assert (melody.name, melody.program) == ("Guitar", 26)
    assert reading.chords_from.startswith("estimated from tracks 6 'Piano'")
    solo = reading.solo
    covered = sum(1 for start in solo.bar_starts[:-1] if solo.chord_at(start) is not None)
    assert covered >= 0.7 * solo.bars
    assert all(parse_chord(c.symbol).root is not None for c in solo.chords)
    assert solo.tempo == pytest.approx(112, abs=0.5)


def test_tracked_beats_follow_a_drifting_tempo():
    bpm = np.linspace(110, 130, 64)  # one tempo a beat
    true_beats = 1.0 + np.concatenate([[0], np.cumsum(60 / bpm[:-1])])
    swung = np.array([0.0, 2 / 3, 1.0, 1.5, 2.0, 2 + 2 / 3, 3.0])  # beats in a 4-beat bar
    positions = np.concatenate([bar * 4 + swung for bar in range(15)])
    onsets = np.interp(positions, np.arange(64), true_beats)
    beats = beat_tracking.track_beats(onsets, 60 / 120)
    inside = beats[(beats > onsets[0] - 0.01) & (beats < onsets[-1])]
    nearest = np.abs(inside[:, None] - true_beats[None, :]).min(axis=1)
    assert np.all(nearest < 0.1 * 60 / 130)  # every tracked beat within a tenth of a beat
    assert len(inside) >= 0.95 * len(true_beats[(true_beats > onsets[0] - 0.01) & (true_beats < onsets[-1])])


def piano_trio():
    """A trio: the piano's right hand plays 8ths in bars 1 and 3 and rests in bars 2 and 4; its left
    hand holds shell voicings all along (C E B, then F A E), over a walking bass."""
    right = [(48 * bar + 6 * k, 5, 72 + (k * 3) % 8) for bar in (0, 2) for k in range(8)]
    left = [
        (48 * bar, 48, pitch)
        for bar in range(4)
        for pitch in ((48, 52, 59) if bar % 2 == 0 else (53, 57, 64))
    ]
    bass = [(12 * k, 11, (36, 40, 43, 41)[k % 4] if k < 8 else (41, 45, 48, 43)[k % 4]) for k in range(16)]
    return make_midi(
        part("Piano", sorted(right + left), program=0), part("Bass", bass, program=32, channel=1)
    )


def test_a_piano_played_with_both_hands_gives_its_right_hand_as_the_line():
    reading = read_midi(piano_trio())
    pitches = [n.pitch for n in reading.solo.notes]
    assert len(pitches) == 16 and min(pitches) >= 72  # the left hand's voicings never fill the rests
    assert (
        "played with both hands: its right hand (notes from MIDI 72 up) is the line" in reading.melody_reason
    )
    assert reading.melody_index == 1 and reading.solo.source.endswith("#Piano, right hand")
    assert reading.chords_from.startswith("estimated from tracks 2 'Bass', 1 'Piano, left hand'")
    assert [c.root for c in reading.solo.chords][:1] == [0]  # the left hand and the bass give the chords


def test_a_one_handed_keyboard_line_is_left_whole():
    line = [(6 * k, 5, 60 + (k * 5) % 14) for k in range(32)]  # one voice across middle C
    reading = read_midi(make_midi(part("Piano", line, program=0)))
    assert len(reading.solo.notes) == 32 and "both hands" not in reading.melody_reason
