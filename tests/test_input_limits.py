"""Bounded time and memory on every input: each reader checks the size it will build before it
builds it, and refuses a file over a limit in one line that names the file, the limit and the fix.
Hostile files are built here, small: where the real one would be large, the limit is lowered."""

from __future__ import annotations

import csv
import io
import struct
import zipfile

import mido
import pytest

from jazzgen.errors import DataError
from jazzgen.formats import wjazzd
from jazzgen.formats.midi.reader import read_midi
from jazzgen.formats.musicxml import archive as musicxml_bytes
from jazzgen.formats.musicxml import scan as musicxml_scan
from jazzgen.formats.musicxml.reader import read_musicxml
from jazzgen.formats.wjazzd import read_wjazzd
from jazzgen.music import changes, solo
from jazzgen.music.changes import format_changes, parse_changes
from jazzgen.music.tunes import lead_sheet

# ---------------------------------------------------------------- MIDI: chord marks and sidecars


def midi_file(marks=(), tpb: int = 1, pitches=(60, 62, 64, 65)) -> bytes:
    """A melody of one-beat notes, and text events (delta ticks, text) on a track of their own."""
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    texts = [mido.MetaMessage("text", text=text, time=delta) for delta, text in marks]
    midi.tracks.append(mido.MidiTrack(texts))
    melody = mido.MidiTrack()
    for pitch in pitches:
        melody += [
            mido.Message("note_on", note=pitch, velocity=90, time=0),
            mido.Message("note_off", note=pitch, velocity=0, time=tpb),
        ]
    midi.tracks.append(melody)
    data = io.BytesIO()
    midi.save(file=data)
    return data.getvalue()


def test_chord_marks_far_past_the_melody_are_refused_before_bars_are_built():
    data = midi_file([(0, "Dm7"), (2**28 - 1, "G7")])  # 86 bytes: 139,810 bars at 480 ticks a beat
    assert len(data) < 120
    with pytest.raises(DataError) as refused:
        read_midi(io.BytesIO(data), name="far.mid")
    assert str(refused.value) == (
        "far.mid: its chord marks run to beat 268,435,455; jazzgen reads solos of "
        "up to 20,000 beats: split the file or remove the stray marker"
    )


def test_chord_marks_within_the_limit_still_set_the_bar_count(monkeypatch):
    data = midi_file([(0, "Dm7"), (8, "G7")])  # G7 in bar 3, after the melody's one bar
    assert read_midi(io.BytesIO(data), name="near.mid").solo.bars == 3
    monkeypatch.setattr(solo, "MAX_BEATS", 6)
    with pytest.raises(DataError, match="near.mid: its chord marks run to beat 8; jazzgen reads solos of up"):
        read_midi(io.BytesIO(data), name="near.mid")


def test_a_sidecar_longer_than_a_solo_is_refused(tmp_path, monkeypatch):
    (tmp_path / "tune.mid").write_bytes(midi_file())
    (tmp_path / "tune.chords").write_text("| Dm7 | G7 | Cmaj7 | % | A7 |")  # 20 beats
    monkeypatch.setattr(solo, "MAX_BEATS", 16)
    with pytest.raises(DataError) as refused:
        read_midi(tmp_path / "tune.mid")
    assert str(refused.value) == (
        f"{tmp_path / 'tune.mid'}: its .chords file runs to beat 20; jazzgen reads "
        "solos of up to 16 beats: cut the .chords file to the solo's length"
    )


def test_a_sidecar_over_the_text_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    (tmp_path / "tune.mid").write_bytes(midi_file())
    (tmp_path / "tune.chords").write_text("| Dm7 G7 " * 20 + "|")
    monkeypatch.setattr(changes, "MAX_CHANGES_CHARS", 100)
    with pytest.raises(DataError, match=r"tune.mid: chord file .*tune.chords: the changes are over 100 "):
        read_midi(tmp_path / "tune.mid")


# ---------------------------------------------------------------- progressions


def test_changes_over_the_bar_limit_are_refused_before_spans_are_made(monkeypatch):
    monkeypatch.setattr(changes, "MAX_BARS", 10)
    assert parse_changes("| Dm7 G7 " * 10 + "|")[1] == 10
    with pytest.raises(DataError) as refused:
        parse_changes("| Dm7 G7 " * 11 + "|")
    assert str(refused.value) == (
        "the changes hold over 10 bars, more than jazzgen reads for a progression: "
        "cut them to the tune's form"
    )
    assert parse_changes("|" * 50 + "| C7 |")[1] == 1  # empty cells are not bars


def test_changes_over_the_text_limit_are_refused(monkeypatch):
    monkeypatch.setattr(changes, "MAX_CHANGES_CHARS", 30)
    with pytest.raises(DataError, match="the changes are over 30 characters long"):
        parse_changes("| C7 " + " " * 30 + "|")


def test_format_changes_writes_held_chords_and_gaps_in_one_pass():
    spans, bars = parse_changes("| C7 | % | NC | Dm7 G7 | Ab7 / Db7 |")
    starts = tuple(48 * bar for bar in range(bars + 1))
    assert format_changes(spans, starts) == "| C7 | C7 | NC | Dm7 G7 | Ab7 Db7 |"
    assert format_changes(spans[1:], starts) == "| NC | NC | NC | Dm7 G7 | Ab7 Db7 |"


def test_a_long_bar_looped_many_times_is_parsed_once():
    sheet = lead_sheet(changes="| C7 " + " " * 2_000 + "|", choruses=1_000)  # 2 MB of text, looped
    assert sheet.bars == 1_000 and [(c.onset, c.duration) for c in sheet.chords] == [(0, 48_000)]


# ---------------------------------------------------------------- Weimar Jazz Database


def write_pair(root, beat_bars, note_bars=(1, 1)):
    """A melody CSV (a note at beat 1 of each note bar) and a beat track (a 4/4 bar for each beat bar)."""
    (root / "mcsv_melody").mkdir(parents=True)
    (root / "mcsv_beat").mkdir()
    melody = root / "mcsv_melody" / "Far_FINAL.csv"
    with open(melody, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["onset", "duration", "bar", "beat", "tatum", "division", "pitch"])
        w.writerows([[2.0 * i, 0.4, bar, 1, 1, 1, 60 + i] for i, bar in enumerate(note_bars)])
    with open(root / "mcsv_beat" / "Far_FINAL_beattrack.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["onset", "bar", "beat", "signature", "chord"])
        w.writerows(
            [
                [2.0 * i + beat * 0.5, bar, beat + 1, "'4/4'", "C7"]
                for i, bar in enumerate(beat_bars)
                for beat in range(4)
            ]
        )
    return melody


def test_a_beat_track_row_in_a_stray_bar_is_refused_before_bars_are_built(tmp_path):
    melody = write_pair(tmp_path, beat_bars=(1, 2, 100_000_000))
    with pytest.raises(DataError) as refused:
        read_wjazzd(melody)
    assert str(refused.value) == (
        f"{tmp_path / 'mcsv_beat' / 'Far_FINAL_beattrack.csv'}: its bars span "
        "400,000,004 beats; jazzgen reads solos of up to 20,000 beats: remove the "
        "rows with stray bar numbers"
    )


def test_a_melody_past_the_beat_track_or_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    melody = write_pair(tmp_path, beat_bars=(1, 2), note_bars=(1, 100_000_000))
    with pytest.raises(DataError, match="beattrack.csv: the melody starts in bar 100,000,000, after its"):
        read_wjazzd(write_pair(tmp_path / "late", beat_bars=(1, 2), note_bars=(100_000_000,)))
    with pytest.raises(DataError, match="bar 100000000 is outside the beat track"):
        read_wjazzd(melody)
    monkeypatch.setattr(wjazzd, "MAX_CSV_BYTES", 2**20)
    with open(melody, "r+b") as f:
        f.truncate(2**20 + 1)  # sparse: nothing is written or read
    with pytest.raises(
        DataError,
        match=r"Far_FINAL.csv: it is 1.0 MiB; jazzgen reads Weimar Jazz Database "
        r"CSVs of up to 1 MiB: split the solo",
    ):
        read_wjazzd(melody)


# ---------------------------------------------------------------- MusicXML

DIVISIONS = (
    "<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>"
)


def note(step: str = "C", duration: int = 1, extra: str = "") -> str:
    pitch = f"<pitch><step>{step}</step><octave>4</octave></pitch>"
    return f"<note>{pitch}<duration>{duration}</duration>{extra}</note>"


def harmony(root: str = "D", kind: str = "minor-seventh") -> str:
    return f"<harmony><root><root-step>{root}</root-step></root><kind>{kind}</kind></harmony>"


def score(*measures: str, parts: int = 1, head: str = "") -> str:
    """A score-partwise text: the measures' contents in every part, the first measure with <attributes>."""
    listed = "".join(f'<score-part id="P{p}"><part-name>P{p}</part-name></score-part>' for p in range(parts))
    body = "".join(
        f'<measure number="{i + 1}">{DIVISIONS if i == 0 else ""}{m}</measure>'
        for i, m in enumerate(measures)
    )
    every_part = "".join(f'<part id="P{p}">{body}</part>' for p in range(parts))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<score-partwise version="3.1"><part-list>{listed}'
        f"</part-list>{every_part}</score-partwise>"
    )


def read_text(tmp_path, text: str, name: str = "x.musicxml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_musicxml(path)


def refusal(tmp_path, text: str, name: str = "x.musicxml") -> str:
    with pytest.raises(DataError) as refused:
        read_text(tmp_path, text, name)
    message = str(refused.value)
    assert message.startswith(str(tmp_path / name)) and "\n" not in message
    return message[len(str(tmp_path / name)) :]


@pytest.mark.parametrize(
    "measure",
    [
        note() + "<forward><duration>400000000</duration></forward>" + note("E"),
        note() + note("E", 400_000_000),
        harmony() + note() + "<direction><offset>400000000</offset><direction-type><words>x</words>"
        "</direction-type></direction>" + note("E"),
    ],
)
def test_a_duration_far_past_a_solo_is_refused_before_music21_reads_it(tmp_path, measure):
    assert refusal(tmp_path, score(measure + note("G") * 2)) == (
        ": part 1 runs to beat 400,000,001 (its measure 1, at <divisions> 1); jazzgen reads solos of up to "
        "20,000 beats: fix the durations or offsets there"
    )


def test_durations_count_in_the_part_s_divisions(tmp_path, monkeypatch):
    monkeypatch.setattr(solo, "MAX_BEATS", 8)
    eighths = "<attributes><divisions>2</divisions></attributes>" + note(duration=2) * 4
    assert len(read_text(tmp_path, score(note() * 4, eighths))[0].notes) == 8  # 8 beats: at the limit
    assert "part 1 runs to beat 9 (its measure 3, at <divisions> 2)" in refusal(
        tmp_path, score(note() * 4, eighths, note(duration=2))
    )
    negative = note() * 3 + note(duration=-1)
    assert "<duration> '-1' is not a usable number" in refusal(tmp_path, score(negative))
    assert "<divisions> '0' is not a usable number" in refusal(
        tmp_path, score("<attributes><divisions>0</divisions></attributes>" + note())
    )


def test_a_part_over_the_measure_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(musicxml_scan, "MAX_MEASURES", 5)
    assert len(read_text(tmp_path, score(*[note() * 4] * 5))) == 1
    assert refusal(tmp_path, score(*[note() * 4] * 6)) == (
        ": part 1 holds over 5 measures; jazzgen reads parts of up to 5: split the score"
    )


@pytest.mark.parametrize(
    "limit, value, measures, parts, said",
    [
        ("MAX_SCORE_MEASURES", 5, 3, 2, "it holds over 5 measures; jazzgen reads scores of up to 5"),
        (
            "MAX_ITEMS",
            20,
            6,
            1,
            (
                "it holds over 20 notes, rests, directions and other measure contents; "
                "jazzgen reads scores of up to 20"
            ),
        ),
        ("MAX_CHORD_SYMBOLS", 2, 3, 1, "it holds over 2 chord symbols; jazzgen reads scores of up to 2"),
        (
            "MAX_ELEMENTS",
            60,
            3,
            1,
            "it holds over 60 XML elements; jazzgen reads scores of up to 60 elements",
        ),
    ],
)
def test_a_score_over_a_count_limit_is_refused(tmp_path, monkeypatch, limit, value, measures, parts, said):
    monkeypatch.setattr(musicxml_scan, limit, value)
    assert refusal(tmp_path, score(*[harmony() + note() * 4] * measures, parts=parts)) == (
        f": {said}: split the score or remove parts"
    )


def test_time_signatures_and_line_marks_are_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(musicxml_scan, "MAX_TIME_SIGNATURES", 2)
    three = "<attributes><time><beats>3</beats><beat-type>4</beat-type></time></attributes>"
    assert "it holds over 2 time signatures" in refusal(
        tmp_path, score(note() * 4, three + note() * 3, three + note() * 3)
    )
    monkeypatch.setattr(musicxml_scan, "MAX_SPANNER_MARKS", 3)
    slurred = (
        note(extra="<notations><slur type='start'/></notations>")
        + note(extra="<notations><slur type='stop'/></notations>")
        + note() * 2
    )
    assert "it holds over 3 slur, wedge and other line marks" in refusal(tmp_path, score(slurred, slurred))


def test_many_short_measures_are_refused_before_music21_searches_for_their_meter(tmp_path):
    short = note() * 3
    assert refusal(tmp_path, score(short, note() * 4, short, short, short)) == (
        ": part 1: its measures '3', '4', '5' are shorter than their time signature; jazzgen reads measures "
        "that fill their bar (only the first and the last may be short): fix the measure lengths"
    )
    pickup = read_text(tmp_path, score(note(), note() * 4, note() * 2))[0]  # a short first and last are fine
    assert (pickup.bars, pickup.notes[0].onset) == (3, 36)
    empty = harmony("C", "major")  # a measure with no notes: music21 fills it with a rest
    assert len(read_text(tmp_path, score(note() * 4, empty, empty, empty, note() * 4))[0].notes) == 8


def test_nesting_over_the_depth_limit_is_refused(tmp_path):
    deep = "<a>" * 65 + "</a>" * 65
    assert refusal(tmp_path, score(note() + deep)) == (
        ": its elements nest over 64 deep; jazzgen reads MusicXML nested up to 64 deep: export the score "
        "again from a notation program"
    )


@pytest.mark.parametrize(
    "declaration",
    [
        '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">',  # billion laughs
        '<!ENTITY secret SYSTEM "file:///etc/passwd">',
        '<!ENTITY % remote SYSTEM "http://example.com/x.dtd"> %remote;',
    ],
)
def test_entity_declarations_are_refused(tmp_path, declaration):
    text = score(note() * 4, head=f"<!DOCTYPE score-partwise [{declaration}]>")
    assert "jazzgen reads MusicXML without entity declarations" in refusal(tmp_path, text)


def test_a_plain_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(musicxml_bytes, "MAX_XML_BYTES", 2**10)
    assert refusal(tmp_path, score(*[note() * 4] * 20)) == (
        ": it is over 1 KiB; jazzgen reads MusicXML files of up to 1 KiB: split the score or remove parts"
    )


def mxl(text: str, declared: int | None = None) -> bytes:
    """An .mxl archive of the score; declared: the inflated size its headers claim (default: the truth)."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/container.xml", "<container/>")
        archive.writestr("score.xml", text)
    size = len(text.encode("utf-8"))
    return data.getvalue().replace(struct.pack("<I", size), struct.pack("<I", declared or size))


def test_an_archive_is_read_and_its_inflated_size_bounded(tmp_path, monkeypatch):
    text = score(*[harmony() + note() * 4] * 10)  # 4.6 KiB inflated
    (tmp_path / "tune.mxl").write_bytes(mxl(text))
    assert len(read_musicxml(tmp_path / "tune.mxl")[0].notes) == 40
    monkeypatch.setattr(musicxml_bytes, "MAX_XML_BYTES", 2**11)
    with pytest.raises(DataError) as refused:
        read_musicxml(tmp_path / "tune.mxl")
    assert str(refused.value) == (
        f"{tmp_path / 'tune.mxl'}: its score 'score.xml' inflates to 4.6 KiB; "
        "jazzgen reads MusicXML of up to 2 KiB: split the score"
    )
    (tmp_path / "lying.mxl").write_bytes(mxl(text, declared=1000))  # inflates past what it declares
    with pytest.raises(DataError, match=r"lying.mxl: not a readable .mxl archive \(BadZipFile: Bad CRC-32"):
        read_musicxml(tmp_path / "lying.mxl")
