"""A DAW's backing track as generate --over reads it: chords from its markers or recognised from its
parts, a count-in kept silent, and the solo written back on the file's own ticks, tempo map,
meters and bars, over its band or alone (--solo-only)."""

import mido
import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from test_generate_cli import corpus_vocab

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.formats import read_chart, write_midi
from jazzgen.formats.midi.backing import file_chart, read_backing
from jazzgen.improv.generation import generate_variations
from jazzgen.music.changes import format_changes
from jazzgen.music.chords import parse_chord

TPB = 480
BLUES_BB = ["Bb7", "Eb7", "Bb7", "Bb7", "Eb7", "Eb7", "Bb7", "G7", "Cm7", "F7", "Bb7", "F7"]


def backing_track(
    path,
    chords=BLUES_BB,
    count_in=1,
    tempos=((0, 140),),
    markers=False,
    texts=(),
    tpb=TPB,
    meter=(4, 4),
    piano_channel=0,
):
    """A session's export: a conductor track, bass (root on 1, fifth on 3) and piano (a rootless
    voicing, 3rd 5th 7th 9th, on beats 1 and 3) from bar count_in + 1, drums through the count-in
    and the tune. Times in bars of `meter`; tempos (bar, bpm)."""
    beats = meter[0] * 4 // meter[1]
    bar = tpb * beats

    def at(bars: float) -> int:
        return round(bars * bar)

    conductor = [(0, mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))]
    conductor += [(at(b), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for b, bpm in tempos]
    conductor += [(at(b), mido.MetaMessage("marker", text=t)) for b, t in texts]
    bass, piano, drums = [], [], []
    for index, symbol in enumerate(chords):
        start = at(count_in + index)
        chord = parse_chord(symbol)
        if markers:
            conductor.append((start, mido.MetaMessage("marker", text=symbol)))
        third = 3 if chord.quality in ("m7", "m6", "m7b5") else 4
        for offset, step in ((0, 0), (bar // 2, 7)):
            bass.append((start + offset, tpb - 10, 36 + (chord.root + step) % 12))
        voicing = [chord.root + third, chord.root + 7, chord.root + 10, chord.root + 14]
        for offset in (0, bar // 2):
            piano += [(start + offset, tpb, 48 + p % 12 + (12 if p % 12 < 5 else 0)) for p in voicing]
    for beat in range((count_in + len(chords)) * beats):
        drums.append((beat * tpb, tpb // 4, 42))
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    midi.tracks.append(_track("Session", conductor, None))
    midi.tracks.append(_track("Bass", bass, 1, program=32))
    midi.tracks.append(_track("Piano", piano, piano_channel, program=0))
    midi.tracks.append(_track("Drums", drums, 9))
    midi.save(str(path))
    return path


def _track(name, events, channel, program=None):
    timed = []
    if channel is None:
        timed = list(events)
    else:
        if program is not None:
            timed.append((0, mido.Message("program_change", channel=channel, program=program)))
        for start, length, pitch in events:
            timed.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=80)))
            timed.append((start + length, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    now = 0
    for tick, message in sorted(timed, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def absolute(track):
    tick, out = 0, []
    for message in track:
        tick += message.time
        out.append((tick, message))
    return out


def test_the_chords_of_a_backing_track_are_recognised_from_its_bass_and_piano(tmp_path):
    backing = read_backing(backing_track(tmp_path / "backing.mid"))
    assert backing.first_bar == 2  # the drums' count-in bar stays out of the chart
    assert backing.chart.bars == 12 and backing.chart.tempo == 140
    assert backing.chords_from.startswith("recognised from tracks")
    assert (
        format_changes(backing.chart.chords, backing.chart.bar_starts) == "| " + " | ".join(BLUES_BB) + " |"
    )
    assert backing.clock.origin == 4 * TPB and backing.clock.ticks_per_beat == TPB


def test_chord_markers_win_and_rehearsal_letters_are_not_chords(tmp_path):
    path = backing_track(tmp_path / "marked.mid", markers=True, texts=((1, "A"), (9, "B")))
    backing = read_backing(path)
    assert backing.chords_from == "chord symbols in the file's text events"
    assert [c.symbol for c in backing.chart.chords][:3] == ["Bb7", "Eb7", "Bb7"]
    letters = backing_track(tmp_path / "letters.mid", texts=((1, "A"), (5, "B"), (9, "C")))
    assert read_backing(letters).chords_from.startswith("recognised")  # "A" "B" "C" are sections


def test_changes_given_start_at_the_files_bar_one_and_from_bar_and_bars_cut(tmp_path):
    path = backing_track(tmp_path / "backing.mid")
    given = read_backing(path, changes="| NC | " + " | ".join(["C7"] * 12) + " |")
    assert given.first_bar == 2 and given.chords_from == "the changes given"
    assert {c.symbol for c in given.chart.chords} == {"C7"}
    cut = read_backing(path, from_bar=6, bars=4)
    assert cut.first_bar == 6 and cut.chart.bars == 4 and cut.clock.origin == 5 * 4 * TPB
    assert format_changes(cut.chart.chords, cut.chart.bar_starts) == "| Eb7 | Eb7 | Bb7 | G7 |"
    with pytest.raises(UsageError, match="--from-bar 20: .* has bars 1 to 13"):
        read_backing(path, from_bar=20)
    with pytest.raises(UsageError, match="--bars 13: .* has 12 bars from bar 2"):
        read_backing(path, bars=13)
    with pytest.raises(UsageError, match="the changes hold 14 bars; .* has 13"):
        read_backing(path, changes="| C7 " * 14 + "|")


def test_a_file_of_drums_alone_names_the_fix(tmp_path):
    midi = mido.MidiFile(type=1, ticks_per_beat=TPB)
    midi.tracks.append(_track("Drums", [(i * TPB, 100, 42) for i in range(16)], 9))
    midi.save(str(tmp_path / "drums.mid"))
    with pytest.raises(DataError, match=r"drums.mid: no chords found .* give them with --changes-file"):
        read_backing(tmp_path / "drums.mid")


def test_inspect_prints_the_files_bars_from_bar_one_and_they_read_back(tmp_path):
    path = backing_track(tmp_path / "backing.mid")
    result = CliRunner().invoke(cli, ["inspect", str(path), "--chords"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "| NC | Bb7 | Eb7 | Bb7 |"
    again = read_backing(path, changes=result.output)
    assert again.chart.chords == read_backing(path).chart.chords
    assert file_chart(path).bars == 13 and read_chart(path).bars == 12


def generate_over(tmp_path, path, *extra):
    bundle = random_bundle(tmp_path / "model", corpus_vocab())
    out = tmp_path / "solo.mid"
    args = [
        "generate",
        "-m",
        str(bundle),
        "--over",
        str(path),
        "-o",
        str(out),
        "--seed",
        "1",
        "--swing",
        "0.5",
    ]
    result = CliRunner().invoke(cli, args + list(extra))
    assert result.exit_code == 0, result.output
    return result, mido.MidiFile(str(out))


@pytest.mark.parametrize("tpb", [480, 96])
def test_the_solo_lands_on_the_backings_ticks_tempo_map_and_bars(tmp_path, tpb):
    tempos = ((0, 140), (7, 150))  # the session speeds up at bar 8
    path = backing_track(tmp_path / "backing.mid", tpb=tpb, tempos=tempos)
    result, out = generate_over(tmp_path, path)
    assert "over " in result.output and "bars 2-13, 140 bpm at bar 2" in result.output
    source = mido.MidiFile(str(path))
    assert out.ticks_per_beat == tpb
    tempo_map = [(t, m.tempo) for t, m in absolute(out.tracks[0]) if m.type == "set_tempo"]
    assert tempo_map == [(t, m.tempo) for t, m in absolute(source.tracks[0]) if m.type == "set_tempo"]
    meters = [
        (t, m.numerator, m.denominator) for t, m in absolute(out.tracks[0]) if m.type == "time_signature"
    ]
    assert meters == [(0, 4, 4)]
    melody = next(t for t in out.tracks if t.name == "Melody")
    onsets = [t for t, m in absolute(melody) if m.type == "note_on" and m.velocity]
    assert onsets and min(onsets) >= 4 * tpb  # nothing in the count-in bar
    assert max(onsets) < 13 * 4 * tpb
    # the band's own tracks play under the solo, unchanged, and the melody keeps off their channels
    names = [t.name for t in out.tracks]
    assert names[1] == "Melody" and set(names[2:]) == {"Bass", "Piano", "Drums"}
    for name in ("Bass", "Piano", "Drums"):
        theirs = [
            (t, m.bytes())
            for t, m in absolute(next(x for x in source.tracks if x.name == name))
            if not m.is_meta
        ]
        ours = [
            (t, m.bytes())
            for t, m in absolute(next(x for x in out.tracks if x.name == name))
            if not m.is_meta
        ]
        assert sorted(ours) == sorted(theirs)
    channels = {m.channel for m in melody if hasattr(m, "channel")}
    assert channels and channels.isdisjoint({0, 1, 9})


@pytest.mark.parametrize("tpb", [480, 96, 1000])
def test_note_by_note_the_solo_sits_where_its_ticks_fall_on_the_files_grid(tmp_path, tpb):
    path = backing_track(tmp_path / "backing.mid", tpb=tpb, tempos=((0, 140), (5, 90)), count_in=2)
    backing = read_backing(path)
    bundle = random_bundle(tmp_path / "model", corpus_vocab())
    solo = generate_variations(bundle, over=backing.chart, seed=3)[0]
    write_midi(solo, tmp_path / "solo.mid", comp=False, clock=backing.clock, band=backing.band)
    melody = next(t for t in mido.MidiFile(str(tmp_path / "solo.mid")).tracks if t.name == "Melody")
    written = [(t, m.note) for t, m in absolute(melody) if m.type == "note_on" and m.velocity]
    bar = 4 * tpb
    assert written == [(2 * bar + round(n.onset * tpb / 12), n.pitch) for n in solo.notes]
    assert len(written) > 10


def test_solo_only_writes_the_melody_alone_on_the_files_clock(tmp_path):
    path = backing_track(tmp_path / "backing.mid")
    _, out = generate_over(tmp_path, path, "--solo-only", "--from-bar", "3", "--bars", "4")
    assert [t.name for t in out.tracks][1:] == ["Melody"]
    onsets = [t for t, m in absolute(out.tracks[1]) if m.type == "note_on" and m.velocity]
    assert onsets and 2 * 4 * TPB <= min(onsets) and max(onsets) < 6 * 4 * TPB


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--key", "Eb"], "--key: the solo plays in the backing track's key"),
        (["--tempo", "120"], "--tempo: the backing track's tempo map sets the tempo"),
        (["--choruses", "2"], "--choruses: a backing track plays once through"),
        (["--bass"], "--bass: the backing track's own parts are written under the solo"),
        (["--from-bar", "40"], "--from-bar 40: "),
    ],
)
def test_options_a_backing_track_settles_are_one_line(tmp_path, extra, message):
    path = backing_track(tmp_path / "backing.mid")
    bundle = random_bundle(tmp_path / "model", corpus_vocab())
    result = CliRunner().invoke(cli, ["generate", "-m", str(bundle), "--over", str(path), *extra])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_from_bar_without_a_backing_track_says_what_it_is_for(tmp_path):
    bundle = random_bundle(tmp_path / "model", corpus_vocab())
    result = CliRunner().invoke(cli, ["generate", "-m", str(bundle), "--from-bar", "2"])
    assert result.exit_code == 2 and "add --over FILE.mid" in result.output
