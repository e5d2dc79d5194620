"""Impro-Visor leadsheets (.ls) read by prepare, inspect and generate --over: the chord part under
every melody chorus, Impro-Visor's note lengths and octaves, its chord spellings, and one line
naming the bar or note of what jazzgen cannot read."""

import pytest
from click.testing import CliRunner
from helpers import make_solo

from jazzgen.cli import cli
from jazzgen.errors import DataError
from jazzgen.formats import read_chart, read_file
from jazzgen.formats.impro_visor import MAX_DEPTH, read_leadsheet
from jazzgen.music.changes import format_changes

HEADER = "(title Test Blues)\n(composer Nobody)\n(meter 4 4)\n(key -1)\n(tempo 180.0)\n(style swing (swing 0.67))\n"
CHORDS = "(part\n    (type chords)\n    (title )\n)\n(section (style swing))\nF7 | Bb7 / Bo7 / | F7 | / |\n"


def sheet(tmp_path, *choruses, chords=CHORDS, header=HEADER, name="tune.ls"):
    melody = "".join(
        f"(part\n    (type melody)\n    (title Chorus {k + 1})\n)\n {c}\n" for k, c in enumerate(choruses)
    )
    path = tmp_path / name
    path.write_text(header + chords + melody)
    return path


def test_choruses_play_over_the_chord_part_each_in_turn(tmp_path):
    path = sheet(tmp_path, "c+2+4 r4 f8 g8 ab8 a8 r2 r1 r1", "v80 bb-8/3 c8/3 d8/3 r4. e16 r2 r1+1+2+4+16")
    solo = read_leadsheet(path)
    assert solo.title == "Test Blues" and solo.tempo == 180 and solo.bars == 8
    first = [(n.onset, n.duration, n.pitch) for n in solo.notes[:5]]
    assert first == [(0, 36, 72), (48, 6, 65), (54, 6, 67), (60, 6, 68), (66, 6, 69)]
    second = [(n.onset, n.duration, n.pitch, n.velocity) for n in solo.notes[5:]]
    assert second == [(192, 4, 58, 80), (196, 4, 60, 80), (200, 4, 62, 80), (222, 3, 64, 80)]
    assert format_changes(solo.chords, solo.bar_starts) == (
        "| F7 | Bb7 Bdim7 | F7 | F7 | F7 | Bb7 Bdim7 | F7 | F7 |"
    )


def test_impro_visor_spellings_read_as_jazzgens():
    from jazzgen.formats.impro_visor import _symbol

    written = [
        "CM7",
        "Ch7",
        "C13_",
        "B\\F7",
        "Fm7/Bb7",
        "Em7/d",
        "NC",
        "CBass",
        "Cm+",
        "C7b9sus4",
        "CM",
        "C2",
    ]
    assert [_symbol(w, 1) for w in written] == [
        "CM7", "Cm7b5", "C13", "F7", "Fm7/Bb", "Em7/D", "NC", "NC", "Cm#5", "C7b9", "C", "Cadd9",
    ]  # fmt: skip


def test_octaves_accidentals_and_lengths():
    from jazzgen.formats.impro_visor import _length, _note

    assert [_note(w, 1)[0] for w in ("c", "c+", "c-", "eb+", "f#--", "cb", "b#", "bb")] == [
        60, 72, 48, 75, 42, 71, 60, 70,
    ]  # fmt: skip
    assert [_length(t, "x", 1) for t in ("8", "4.", "2.", "8/3", "16/5", "1+1+4", "4/3", "")] == [
        60, 180, 360, 40, 24, 1080, 80, 60,
    ]  # fmt: skip


def test_a_bar_line_before_the_first_chord_opens_no_bar(tmp_path):
    chart = read_chart(sheet(tmp_path, chords="| F7 | | Bb7 / C7 / |"))
    assert chart.bars == 3
    assert [(c.symbol, c.onset, c.duration) for c in chart.chords] == [
        ("F7", 0, 96),
        ("Bb7", 96, 24),
        ("C7", 120, 24),
    ]


def test_a_waltz_and_a_sheet_without_melody_give_the_chart(tmp_path):
    waltz = sheet(
        tmp_path, chords="Fmaj7 | Dm7 | Gm7 C7 / | F6 |", header="(title Waltz)\n(meter 3 4)\n(tempo 150)\n"
    )
    chart = read_chart(waltz)
    assert chart.bars == 4 and chart.meter[0].numerator == 3 and chart.tempo == 150 and not chart.notes
    assert [(c.symbol, c.onset, c.duration) for c in chart.chords][2:4] == [("Gm7", 72, 12), ("C7", 84, 24)]


@pytest.mark.parametrize(
    ("chords", "melody", "message"),
    [
        ("F7 | Xq7 | F7 |", "c4", r"tune.ls: bar 2: 'Xq7' is not a chord symbol"),
        ("F7 | Bb7 Bb7 C7 D7 Eb7 |", "c4", r"bar 2 holds 5 chords, which do not share it evenly"),
        ("F7 |", "c4 c+x", r"chorus 1: 'c\+x' has no length jazzgen reads"),
        ("F7 |", "c4 h8", r""),  # a word jazzgen has no use for is passed over, as Impro-Visor does
    ],
)
def test_what_cannot_be_read_is_one_line_naming_the_bar_or_note(tmp_path, chords, melody, message):
    path = sheet(tmp_path, melody, chords=chords)
    if not message:
        assert len(read_leadsheet(path).notes) == 1
        return
    with pytest.raises(DataError, match=message):
        read_leadsheet(path)


def test_hostile_sheets_are_refused_in_bounded_time(tmp_path):
    deep = tmp_path / "deep.ls"
    deep.write_text("(" * 100_000 + "title x" + ")" * 100_000)
    with pytest.raises(DataError, match=f"lists nested over {MAX_DEPTH} deep"):
        read_leadsheet(deep)
    long = tmp_path / "long.ls"
    long.write_text("F7 |" + " c1" * 30_000)
    with pytest.raises(DataError, match="jazzgen reads solos of up to"):
        read_leadsheet(long)
    bars = tmp_path / "bars.ls"
    bars.write_text("F7 " + "| " * 20_000)
    with pytest.raises(DataError, match="the chord part runs over"):
        read_leadsheet(bars)


def test_prepare_inspect_and_generate_read_leadsheets(tmp_path):
    from bundle_helpers import random_bundle
    from test_generate_cli import corpus_vocab

    folder = tmp_path / "sheets"
    folder.mkdir()
    sheet(folder, "c4 d4 e4 f4 g4 a4 b4 c+4 r1 r1", name="one.ls")
    sheet(folder, "e4 g4 bb4 d+4 r1 r1 r1", name="two.ls")
    assert read_file(folder / "one.ls").reader == "leadsheet"
    runner = CliRunner()
    prepared = runner.invoke(cli, ["prepare", str(folder), "-o", str(tmp_path / "corpus")])
    assert prepared.exit_code == 0, prepared.output
    assert "prepared 2 solos (12 notes" in prepared.output
    inspected = runner.invoke(cli, ["inspect", str(folder / "one.ls"), "--chords"])
    assert inspected.output == "| F7 | Bb7 Bdim7 | F7 | F7 |\n"
    bundle = random_bundle(tmp_path / "model", corpus_vocab())
    out = tmp_path / "solo.mid"
    result = runner.invoke(
        cli,
        ["generate", "-m", str(bundle), "--over", str(folder / "one.ls"), "-o", str(out), "--choruses", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "over 8 bars" in result.output


def test_a_solo_written_as_a_leadsheet_reads_back(tmp_path):
    solo = make_solo([(62, 0, 6), (65, 6, 6), (69, 12, 12), (72, 30, 4)], "| Dm7 G7 | Cmaj7 |")
    words = []
    for note, following in zip(solo.notes, solo.notes[1:] + (None,)):
        names = "c c# d eb e f f# g ab a bb b".split()
        octave = note.pitch // 12 - 5
        marks = "+" * octave if octave > 0 else "-" * -octave
        words.append(f"{names[note.pitch % 12]}{marks}{480 // (note.duration * 10)}")
        gap = (following.onset if following else solo.end) - note.end
        if gap:
            words.append(f"r{480 // (gap * 10)}" if 480 % (gap * 10) == 0 else "r4+8+16")
    path = sheet(tmp_path, " ".join(words), chords="Dm7 G7 | CM7 |")
    back = read_leadsheet(path)
    assert [(n.onset, n.duration, n.pitch) for n in back.notes] == [
        (n.onset, n.duration, n.pitch) for n in solo.notes
    ]
    assert [(c.symbol, c.onset) for c in back.chords] == [(c.symbol, c.onset) for c in solo.chords]
