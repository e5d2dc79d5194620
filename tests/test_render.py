"""Rendering: MIDI structure and invariants, comping and walking bass, swing, audio, piano roll."""

from __future__ import annotations

import io
import shutil
import wave
from collections import defaultdict
from itertools import pairwise

import mido
import numpy as np
import pytest

from jazzgen.errors import DataError, UsageError
from jazzgen.formats import render
from jazzgen.formats.render import PPQ, SCALE, draw_piano_roll, render_wav, write_midi
from jazzgen.music.accompany import comp_notes, voicing_classes, walking_bass
from jazzgen.music.changes import parse_changes
from jazzgen.music.chords import make_chord, pitch_class
from jazzgen.music.instruments import program_name, program_number
from jazzgen.music.solo import Note, Solo, TimeSignature

FOUR_FOUR = (TimeSignature(0, 4, 4),)
BLUES = "| F7 | Bb7 | F7 | Cm7 F7 | Bb7 | Bdim7 | F7 | D7alt | Gm7 | C7 | F7 D7 | Gm7 C7 |"


def make_solo(notes, changes="| Dm7 G7 | Cmaj7 |", meter=FOUR_FOUR, tempo=120.0, title="test") -> Solo:
    """notes: (pitch, onset ticks, duration ticks)."""
    chords, bars = parse_changes(changes, meter)
    records = tuple(Note(onset, duration, pitch) for pitch, onset, duration in notes)
    return Solo(records, chords, meter, bars, tempo, title=title)


def eighth_line(bars: int, low: int = 60) -> list[tuple[int, int, int]]:
    """Straight 8ths, 8 to a 4/4 bar, walking up and down a ninth."""
    return [(low + [0, 2, 4, 5, 7, 9, 7, 5][i % 8], i * 6, 6) for i in range(bars * 8)]


def midi_of(solo: Solo, **options) -> mido.MidiFile:
    buffer = io.BytesIO()
    write_midi(solo, buffer, **options)
    buffer.seek(0)
    return mido.MidiFile(file=buffer)


def track(midi: mido.MidiFile, name: str) -> mido.MidiTrack:
    return next(t for t in midi.tracks if t.name == name)


def notes_of(midi_track) -> list[tuple[int, int, int, int]]:
    """(start tick, end tick, pitch, channel) of each note, from absolute note-on/off times."""
    now, sounding, found = 0, {}, []
    for message in midi_track:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            assert (message.channel, message.note) not in sounding, "overlapping notes of one pitch"
            sounding[(message.channel, message.note)] = now
        elif message.type in ("note_on", "note_off"):
            start = sounding.pop((message.channel, message.note))
            found.append((start, now, message.note, message.channel))
    assert not sounding, "a note-on without its note-off"
    return sorted(found)


def voicings(notes) -> list[tuple[int, ...]]:
    by_onset = defaultdict(list)
    for note in notes:
        by_onset[note.onset].append(note.pitch)
    return [tuple(sorted(by_onset[t])) for t in sorted(by_onset)]


# ---------------------------------------------------------------- file structure


def test_file_opens_in_mido_and_pretty_midi():
    import pretty_midi

    solo = make_solo([(62, 0, 6), (65, 6, 6), (69, 12, 12), (71, 48, 24)])
    buffer = io.BytesIO()
    write_midi(solo, buffer, bass=True)
    midi = mido.MidiFile(file=io.BytesIO(buffer.getvalue()))
    assert midi.type == 1 and midi.ticks_per_beat == PPQ
    assert [t.name for t in midi.tracks] == ["test", "Melody", "Comp", "Bass"]
    pm = pretty_midi.PrettyMIDI(io.BytesIO(buffer.getvalue()))
    melody = next(i for i in pm.instruments if i.name == "Melody")
    assert melody.program == program_number("tenor sax") == 66
    assert [n.pitch for n in melody.notes] == [62, 65, 69, 71]
    assert pm.get_end_time() <= 4.0


def test_file_opens_in_music21(tmp_path):
    from music21 import converter

    solo = make_solo([(62, 0, 6), (65, 6, 6), (69, 12, 12), (71, 48, 24)])
    write_midi(solo, tmp_path / "solo.mid")
    score = converter.parse(str(tmp_path / "solo.mid"))
    assert len(score.parts) == 2
    assert [n.pitch.midi for n in score.parts[0].flatten().notes] == [62, 65, 69, 71]


def test_conductor_track_has_tempo_meter_key_and_name():
    solo = make_solo(eighth_line(2, low=65), "| F7 | Bb7 |", tempo=150.0)
    conductor = midi_of(solo).tracks[0]
    kinds = {m.type: m for m in conductor}
    assert kinds["track_name"].name == "test"
    assert mido.tempo2bpm(kinds["set_tempo"].tempo) == pytest.approx(150.0)
    assert kinds["key_signature"].key == "F"
    assert (kinds["time_signature"].numerator, kinds["time_signature"].denominator) == (4, 4)
    assert mido.tempo2bpm(midi_of(solo, tempo=90).tracks[0][1].tempo) == pytest.approx(90.0)


def test_meter_change_is_written_at_its_bar():
    meter = (TimeSignature(0, 4, 4), TimeSignature(1, 3, 4), TimeSignature(2, 6, 8))
    solo = make_solo([(60, 0, 12), (62, 48, 12), (64, 84, 6)], "| C6 | Dm7 | G7 |", meter)
    midi = midi_of(solo)
    now, found = 0, []
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "time_signature":
            found.append((now, message.numerator, message.denominator))
    assert found == [(0, 4, 4), (4 * PPQ, 3, 4), (7 * PPQ, 6, 8)]
    assert midi.length == pytest.approx(10 * 60 / 120)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"bass": True},
        {"swing": 0.66, "bass": True},
        {"swing": 0.75, "comp": False},
        {"velocity_jitter_seed": 3},
    ],
)
def test_every_track_keeps_the_midi_invariants(options):
    # a legato overlap of one pitch, a triplet beat, a note past the last bar line
    notes = eighth_line(3)[:20] + [(67, 120, 4), (67, 124, 4), (69, 128, 4), (60, 132, 12), (60, 138, 60)]
    solo = make_solo(notes, "| Dm7 G7 | Cmaj7 | A7 D7 | G7 |", tempo=132.0)
    midi = midi_of(solo, **options)
    end = solo.end * SCALE
    for midi_track in midi.tracks:
        assert midi_track[-1].type == "end_of_track"
        assert sum(m.time for m in midi_track) == end
        for start, stop, _, _ in notes_of(midi_track):
            assert 0 <= start < stop <= end
    assert midi.length == pytest.approx(solo.bars * 4 * 60 / 132.0, abs=1e-3)  # tempo is whole microseconds


def test_same_pitch_overlap_is_trimmed():
    solo = make_solo([(60, 0, 18), (60, 12, 12)], "| C |")
    melody = notes_of(track(midi_of(solo, comp=False), "Melody"))
    assert melody == [(0, 12 * SCALE, 60, 0), (12 * SCALE, 24 * SCALE, 60, 0)]


def test_melody_round_trips_without_swing():
    solo = make_solo(eighth_line(1) + [(72, 48, 4), (71, 52, 4), (69, 56, 4), (67, 60, 3), (65, 66, 30)])
    melody = notes_of(track(midi_of(solo), "Melody"))
    read_back = [(s // SCALE, (e - s) // SCALE, p) for s, e, p, _ in melody]
    assert read_back == [(n.onset, n.duration, n.pitch) for n in solo.notes]
    assert all(s % SCALE == 0 and e % SCALE == 0 for s, e, _, _ in melody)


def test_velocity_jitter_is_repeatable_and_small():
    solo = make_solo(eighth_line(2))
    plain, first, again = (midi_of(solo, velocity_jitter_seed=s) for s in (None, 7, 7))
    velocities = [
        [m.velocity for m in track(f, "Melody") if m.type == "note_on" and m.velocity]
        for f in (plain, first, again)
    ]
    assert velocities[1] == velocities[2] != velocities[0]
    assert max(abs(a - b) for a, b in zip(velocities[0], velocities[1])) <= render.JITTER


def test_write_to_path_is_atomic(tmp_path):
    solo = make_solo(eighth_line(2))
    write_midi(solo, tmp_path / "out" / "solo.mid")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["solo.mid"]
    assert mido.MidiFile(tmp_path / "out" / "solo.mid").length == pytest.approx(4.0)


def test_bad_options_are_usage_errors():
    solo = make_solo(eighth_line(1))
    with pytest.raises(UsageError, match="swing 0.9 is outside 0.5..0.75"):
        midi_of(solo, swing=0.9)
    with pytest.raises(UsageError, match="tempo 5 bpm"):
        midi_of(solo, tempo=5)
    with pytest.raises(UsageError, match="unknown instrument 'kazoo'.*'tenor sax'"):
        midi_of(solo, instrument="kazoo")


# ---------------------------------------------------------------- instruments


@pytest.mark.parametrize(
    "name, number",
    [
        ("tenor sax", 66),
        ("Tenor Sax", 66),
        ("trumpet", 56),
        ("electric guitar (jazz)", 26),
        ("Vibraphone", 11),
        ("  alto   sax ", 65),
        (0, 0),
        (127, 127),
        ("40", 40),
    ],
)
def test_instrument_names_and_numbers(name, number):
    assert program_number(name) == number


@pytest.mark.parametrize("bad", [-1, 128, "", "sax", True])
def test_unknown_instruments_are_refused(bad):
    with pytest.raises(UsageError, match="General MIDI name"):
        program_number(bad)


def test_every_gm_name_round_trips():
    assert all(program_number(program_name(n)) == n for n in range(128))


def test_melody_program_and_channels():
    midi = midi_of(make_solo(eighth_line(2)), instrument="vibraphone", bass=True)
    programs = {
        t.name: [(m.channel, m.program) for m in t if m.type == "program_change"] for t in midi.tracks
    }
    assert programs["Melody"] == [(0, 11)] and programs["Comp"] == [(1, 0)] and programs["Bass"] == [(2, 32)]


# ---------------------------------------------------------------- comping and bass


def test_voicing_classes_are_rootless_with_guide_tones():
    cmaj7, g7, g7alt = (make_chord(s, 0, 48) for s in ("Cmaj7", "G7", "G7alt"))
    assert set(voicing_classes(cmaj7)) == {4, 7, 11, 2}  # E G B D
    assert {11, 5} <= set(voicing_classes(g7)) and 7 not in voicing_classes(g7)  # B and F, no G
    assert {11, 5} <= set(voicing_classes(g7alt)) and set(voicing_classes(g7alt)) - {11, 5} <= {8, 10, 3}
    assert set(voicing_classes(make_chord("C7(b9,#11)", 0, 48))) == {4, 10, 1, 6}  # E Bb Db F#


def test_a_slash_chord_is_voiced_with_its_root_where_the_bass_plays_another_tone():
    c_over_e, f_over_a, fm_over_bb = (make_chord(s, 0, 48) for s in ("C/E", "F/A", "Fm/Bb"))
    assert set(voicing_classes(c_over_e)) == {0, 7, 9, 2}  # C G A D over E, not E G A D
    assert set(voicing_classes(f_over_a)) == {5, 0, 2, 7}  # F C D G over A
    assert 5 in voicing_classes(fm_over_bb)  # F Ab C Eb over Bb: the Fm is heard
    assert voicing_classes(make_chord("C/C", 0, 48)) == voicing_classes(make_chord("C", 0, 48))


def test_a_sus_chord_is_voiced_with_its_fourth_not_the_scales_third():
    g7sus4, csus4 = (make_chord(s, 0, 48) for s in ("G7sus4", "Csus4"))
    assert 0 in voicing_classes(g7sus4) and 11 not in voicing_classes(g7sus4)  # C, no B
    assert 5 in voicing_classes(csus4) and 4 not in voicing_classes(csus4)  # F, no E


def test_comp_is_voice_led_rootless_voicings_not_block_triads():
    solo = make_solo(eighth_line(12), BLUES)
    comp = comp_notes(solo)
    anticipation = lambda onset: onset % 48 == 42  # noqa: E731 - the and-of-4 before a new bar's chord
    chords = [solo.chord_at(t + 6 if anticipation(t) else t) for t in sorted({n.onset for n in comp})]
    played = voicings(comp)
    assert all(48 <= p <= 76 for v in played for p in v)
    assert all(v[-1] - v[0] > 12 for v in played)  # open voicings, not crammed into one octave
    for chord, voicing in zip(chords, played):
        classes = {p % 12 for p in voicing}
        assert len(voicing) == 4 and chord.root not in classes  # rootless, so never a root-position triad
        assert {(chord.root + 3) % 12, (chord.root + 4) % 12} & classes  # the 3rd is there
    moves = [sum(min(abs(p - q) for q in a) for p in b) / len(b) for a, b in pairwise(played)]
    assert np.mean(moves) <= 2.5


def test_comp_hits_changes_and_anticipates_some():
    solo = make_solo(eighth_line(12), BLUES)
    onsets = {n.onset for n in comp_notes(solo)}
    downbeat_changes = [c.onset for c in solo.chords[1:] if c.onset % 48 == 0]
    anticipated = [t for t in downbeat_changes if t - 6 in onsets and t not in onsets]
    assert anticipated and len(anticipated) < len(downbeat_changes)
    assert all(c.onset in onsets or c.onset - 6 in onsets for c in solo.chords)


def test_no_comp_or_bass_where_no_chord_sounds():
    chords = (make_chord("Dm7", 0, 48), make_chord("NC", 96, 48))
    solo = Solo((Note(0, 6, 62),), chords, FOUR_FOUR, 3)
    assert comp_notes(solo) and max(n.end for n in comp_notes(solo)) <= 48
    assert walking_bass(solo) and max(n.onset for n in walking_bass(solo)) < 48


def test_walking_bass_one_note_per_beat_roots_and_approaches():
    solo = make_solo(eighth_line(12), BLUES)
    bass = walking_bass(solo)
    assert [n.onset for n in bass] == list(range(0, solo.end, 12))
    assert all(28 <= n.pitch <= 52 for n in bass)
    by_onset = {n.onset: n.pitch for n in bass}
    for chord in solo.chords:
        assert by_onset[chord.onset] % 12 == chord.root
        if chord.onset:
            assert abs(by_onset[chord.onset - 12] - by_onset[chord.onset]) == 1  # chromatic approach


def test_slash_chord_bass_note():
    solo = make_solo([(60, 0, 12)], "| C/E | F |")
    assert walking_bass(solo)[0].pitch % 12 == pitch_class("E")


# ---------------------------------------------------------------- swing


def test_swing_delays_offbeat_eighths_only():
    solo = make_solo(eighth_line(1) + [(72, 48, 4), (71, 52, 4), (69, 56, 4)], "| C6 | C6 |")
    straight = notes_of(track(midi_of(solo, comp=False), "Melody"))
    swung = notes_of(track(midi_of(solo, comp=False, swing=2 / 3), "Melody"))
    for (s0, _, _, _), (s1, e1, _, _) in zip(straight[:8], swung[:8]):
        if s0 % PPQ == 0:
            assert s1 == s0 and e1 == s0 + 320  # the on-beat 8th stretched to 2/3 of the beat
        else:
            assert s1 == s0 - 240 + 320 and e1 == s0 + 240  # the off-beat 8th starts late
    assert swung[8:] == straight[8:]  # a triplet beat stays straight


def test_swing_counts_beats_from_each_bar_line_and_leaves_compound_meters_straight():
    meter = (TimeSignature(0, 5, 8), TimeSignature(1, 2, 4), TimeSignature(2, 6, 8))
    notes = [(60, 0, 6), (62, 6, 6), (64, 24, 6), (65, 36, 6), (67, 42, 6), (69, 60, 6), (71, 66, 6)]
    solo = make_solo(notes, "| C6 | C6 | C6 |", meter)
    swung = [s for s, *_ in notes_of(track(midi_of(solo, comp=False, swing=0.75), "Melody"))]
    bar_two = 30 * SCALE  # 2/4 after a 5/8 bar: its beats start half a beat off the global grid
    assert swung == [0, 6 * SCALE, 24 * SCALE, bar_two + 360, bar_two + PPQ, 60 * SCALE, 66 * SCALE]


def test_swing_moves_comp_anticipations_too():
    solo = make_solo(eighth_line(12), BLUES)
    straight = {s for s, *_ in notes_of(track(midi_of(solo), "Comp"))}
    swung = {s for s, *_ in notes_of(track(midi_of(solo, swing=0.75), "Comp"))}
    offbeats = {s for s in straight if s % PPQ == PPQ // 2}
    assert offbeats and {s - PPQ // 2 + 360 for s in offbeats} <= swung


# ---------------------------------------------------------------- chord markers


def test_chord_markers_at_onsets_and_nc_where_changes_stop():
    chords = (make_chord("Dm7", 0, 24), make_chord("G7", 24, 24), make_chord("Cmaj7", 48, 48))
    solo = Solo((Note(0, 6, 62),), chords, FOUR_FOUR, 3)
    now, markers = 0, []
    for message in midi_of(solo, chord_markers=True).tracks[0]:
        now += message.time
        if message.type == "marker":
            markers.append((now // SCALE, message.text))
    assert markers == [(0, "Dm7"), (24, "G7"), (48, "Cmaj7"), (96, "NC")]
    assert not any(m.type == "marker" for m in midi_of(solo).tracks[0])


# ---------------------------------------------------------------- audio and picture

SOUNDFONT = render.DEFAULT_SOUNDFONT
needs_fluidsynth = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not SOUNDFONT.is_file(),
    reason="needs fluidsynth and the FluidR3_GM soundfont (apt-get install fluidsynth fluid-soundfont-gm)",
)


@needs_fluidsynth
def test_fluidsynth_renders_audio_of_the_solo_length(tmp_path):
    solo = make_solo(eighth_line(4), "| Dm7 | G7 | Cmaj7 | A7 |", tempo=160.0)
    write_midi(solo, tmp_path / "solo.mid", bass=True, swing=0.6)
    render_wav(tmp_path / "solo.mid", tmp_path / "solo.wav")
    with wave.open(str(tmp_path / "solo.wav")) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2") / 32768.0
    expected = solo.bars * 4 * 60 / 160.0
    assert expected <= seconds <= expected + render.RELEASE_TAIL + 0.01
    assert np.sqrt(np.mean(samples**2)) > 0.01  # about -40 dBFS: clearly not silence
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_render_wav_explains_what_to_install(tmp_path, monkeypatch):
    write_midi(make_solo(eighth_line(1)), tmp_path / "solo.mid")
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(UsageError, match="apt-get install fluidsynth fluid-soundfont-gm"):
        render_wav(tmp_path / "solo.mid", tmp_path / "solo.wav")
    monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/fluidsynth")
    with pytest.raises(UsageError, match="soundfont .*missing.sf2 not found"):
        render_wav(tmp_path / "solo.mid", tmp_path / "solo.wav", soundfont=tmp_path / "missing.sf2")


@needs_fluidsynth
def test_render_wav_refuses_a_missing_or_broken_midi(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        render_wav(tmp_path / "none.mid", tmp_path / "out.wav")
    (tmp_path / "bad.mid").write_bytes(b"not a midi file")
    with pytest.raises(DataError, match="bad.mid"):
        render_wav(tmp_path / "bad.mid", tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_piano_roll_is_a_png(tmp_path):
    meter = (TimeSignature(0, 4, 4), TimeSignature(10, 3, 4))
    solo = make_solo(eighth_line(10) + [(70, 480, 36)], BLUES.replace("| Gm7 C7 |", ""), meter)
    draw_piano_roll(solo, tmp_path / "roll.png")
    data = (tmp_path / "roll.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["roll.png"]
