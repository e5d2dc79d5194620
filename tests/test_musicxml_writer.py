"""The MusicXML writer: tiny solos written, parsed back by music21 (and by jazzgen's own reader),
compared note by note, measure by measure, chord by chord; spelling, transposition, the CLI."""

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from helpers import make_solo
from test_improvise import corpus_vocab

from jazzgen.cli import cli
from jazzgen.errors import UsageError
from jazzgen.formats import TRANSPOSITIONS, write_musicxml
from jazzgen.formats.musicxml import musicxml_text, read_musicxml
from jazzgen.music.chords import QUALITIES, make_chord
from jazzgen.music.solo import TICKS_PER_BEAT, Solo

# music21's chordKind for each jazzgen quality, as it reads the writer's <kind> (and aliases it)
M21_KINDS = {
    "": "major",
    "maj7": "major-seventh",
    "6": "major-sixth",
    "7": "dominant-seventh",
    "7alt": "dominant-seventh",
    "7sus4": "suspended-fourth",
    "sus4": "suspended-fourth",
    "m": "minor",
    "m7": "minor-seventh",
    "m6": "minor-sixth",
    "mmaj7": "minor-major-seventh",
    "m7b5": "half-diminished-seventh",
    "dim": "diminished",
    "dim7": "diminished-seventh",
    "aug": "augmented",
    "aug7": "augmented-seventh",
    "augmaj7": "major-seventh",
}


def m21_part(solo, **options):
    from music21 import converter

    score = converter.parseData(musicxml_text(solo, **options), format="musicxml")
    return score.parts[0]


def m21_notes(part):
    """(MIDI pitch, onset, quarter length) of each note, ties merged; onsets in quarter notes."""
    from music21 import note

    merged = part.stripTies().flatten()
    return [
        (n.pitch.midi, Fraction(n.offset), Fraction(n.quarterLength))
        for n in merged.getElementsByClass(note.Note)
    ]


def expected_notes(solo):
    return [
        (n.pitch, Fraction(n.onset, TICKS_PER_BEAT), Fraction(n.duration, TICKS_PER_BEAT)) for n in solo.notes
    ]


def m21_chords(part):
    from music21 import harmony

    symbols = part.flatten().getElementsByClass(harmony.ChordSymbol)
    return [(Fraction(s.offset), s.root().name if s.root() else None, s.chordKind) for s in symbols]


def measure_lengths(part):
    """(sum of note and rest lengths, bar length) of every measure, in quarter notes."""
    from music21 import stream

    out, ts = [], None
    for measure in part.getElementsByClass(stream.Measure):
        ts = measure.timeSignature or ts
        filled = sum(Fraction(n.quarterLength) for n in measure.getElementsByClass(["Note", "Rest"]))
        out.append((filled, Fraction(ts.barDuration.quarterLength)))
    return out


LINE = [(62, 0, 6), (65, 6, 6), (69, 12, 18), (72, 30, 18), (71, 48, 12), (67, 72, 24)]


def test_notes_measures_meter_and_chords_parse_back_through_music21():
    solo = make_solo(LINE, "| Dm7 G7 | Cmaj7 |")
    part = m21_part(solo)
    assert m21_notes(part) == expected_notes(solo)
    assert len(part.getElementsByClass("Measure")) == solo.bars == 2
    assert [ts.ratioString for ts in part.flatten().getTimeSignatures()] == ["4/4"]
    assert m21_chords(part) == [
        (0, "D", "minor-seventh"),
        (2, "G", "dominant-seventh"),
        (4, "C", "major-seventh"),
    ]
    assert all(filled == bar for filled, bar in measure_lengths(part))


def test_jazzgens_own_reader_reads_back_the_same_solo():
    solo = make_solo(LINE + [(74, 100, 4), (76, 104, 4), (77, 108, 8)], "| Dm7 G7(b9) | C6/E | F#m7b5 B7 |")
    back = read_musicxml(io.BytesIO(musicxml_text(solo).encode()))[0]
    assert back.notes == solo.notes
    assert [(c.onset, c.duration, c.symbol) for c in back.chords] == [
        (c.onset, c.duration, c.symbol) for c in solo.chords
    ]
    assert (back.meter, back.bars, back.tempo) == (solo.meter, solo.bars, solo.tempo)


@pytest.mark.parametrize("seed", range(6))
def test_random_lines_in_odd_meters_round_trip_exactly(seed):
    import random

    rng = random.Random(seed)
    meter = rng.choice([((0, 4, 4),), ((0, 3, 4),), ((0, 5, 8),), ((0, 4, 4), (1, 7, 8), (2, 2, 2))])
    line, tick = [], rng.choice([0, 1, 3, 5])
    while tick < 120:
        length = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 18, 20, 24, 30, 36, 50])
        line.append((rng.randint(40, 90), tick, length))
        tick += length + rng.choice([0, 0, 1, 2, 4, 6, 12])
    line = [(p, o, min(d, nxt[1] - o)) for (p, o, d), nxt in zip(line, line[1:] + [(0, 10**6, 0)])]
    solo = make_solo(line, "| Dm7 G7 | C#m7 F#7 | Bbmaj7 |", meter=meter)
    part = m21_part(solo, transpose_for="tenor")
    end = Fraction(solo.end, TICKS_PER_BEAT)  # the last note is cut at the last bar line
    assert [(o, d) for _, o, d in m21_notes(part)] == [
        (o, min(d, end - o)) for _, o, d in expected_notes(solo)
    ]
    assert all(filled == bar for filled, bar in measure_lengths(part))


def test_a_note_across_a_bar_line_is_split_and_tied():
    solo = make_solo([(60, 36, 24), (64, 60, 36)], "| C7 | F7 |", bars=3)
    part = m21_part(solo)
    notes = part.flatten().getElementsByClass("Note")
    tied = [(n.pitch.midi, n.offset, n.tie.type if n.tie else None) for n in notes]
    assert tied[:2] == [(60, 3.0, "start"), (60, 4.0, "stop")]
    assert m21_notes(part) == expected_notes(solo)
    assert all(filled == bar for filled, bar in measure_lengths(part))


def test_long_and_odd_lengths_become_tied_writable_values():
    solo = make_solo([(60, 0, 15), (62, 15, 21), (64, 36, 33), (65, 69, 27)], "| C7 | C7 |")
    part = m21_part(solo)
    assert m21_notes(part) == expected_notes(solo)
    types = {n.duration.type for n in part.flatten().getElementsByClass(["Note", "Rest"])}
    assert types <= {"whole", "half", "quarter", "eighth", "16th"}
    assert all(filled == bar for filled, bar in measure_lengths(part))


@pytest.mark.parametrize(
    "line",
    [
        [(60, 0, 4), (62, 4, 4), (64, 8, 4), (65, 12, 12)],  # triplet 8ths
        [(60, 0, 8), (62, 8, 4), (64, 12, 8), (65, 20, 4)],  # triplet quarter + 8th: the swing figure
        [(60, 0, 2), (62, 2, 2), (64, 4, 2), (65, 6, 2), (67, 8, 2), (69, 10, 2)],  # sextuplet 16ths
        [(60, 0, 3), (62, 3, 1), (64, 4, 8), (65, 12, 3), (67, 15, 9)],  # 16ths and triplets mixed
        [(60, 6, 10), (62, 16, 20)],  # a triplet boundary inside a held note
    ],
)
def test_triplets_are_written_as_time_modified_values(line):
    solo = make_solo(line, "| C7 |")
    part = m21_part(solo)
    assert m21_notes(part) == expected_notes(solo)
    assert all(filled == bar for filled, bar in measure_lengths(part))
    assert any(n.duration.tuplets for n in part.flatten().getElementsByClass(["Note", "Rest"]))
    tree = ET.fromstring(musicxml_text(solo).split("\n", 2)[2])
    starts = tree.findall(".//tuplet[@type='start']")
    assert len(starts) == len(tree.findall(".//tuplet[@type='stop']")) >= 1


def test_straight_eighths_are_written_straight():
    solo = make_solo([(60 + i, 6 * i, 6) for i in range(8)], "| C7 |")
    part = m21_part(solo)
    notes = part.flatten().getElementsByClass("Note")
    assert all(n.duration.type == "eighth" and not n.duration.tuplets for n in notes)


def test_a_waltz_in_three_four_and_a_meter_change():
    waltz = make_solo([(65, 0, 36), (69, 36, 12), (72, 48, 24)], "| Fmaj7 | Dm7 |", meter=((0, 3, 4),))
    part = m21_part(waltz)
    assert [ts.ratioString for ts in part.flatten().getTimeSignatures()] == ["3/4"]
    assert m21_notes(part) == expected_notes(waltz)
    assert measure_lengths(part) == [(3, 3), (3, 3)]
    changing = make_solo(
        [(60, 0, 60), (62, 60, 24)], "| C7 | F7 | Bb7 |", meter=((0, 4, 4), (1, 3, 4), (2, 6, 8))
    )
    part = m21_part(changing)
    assert [ts.ratioString for ts in part.flatten().getTimeSignatures()] == ["4/4", "3/4", "6/8"]
    assert measure_lengths(part) == [(4, 4), (3, 3), (3, 3)]
    assert m21_notes(part) == expected_notes(changing)


@pytest.mark.parametrize(
    "changes, pitch, name",
    [
        ("| F7 |", 70, "B-"),  # the 11th of F7, not A#
        ("| C7 |", 70, "B-"),  # the b7 of C7
        ("| D7 |", 66, "F#"),  # the 3rd of D7, not Gb
        (
            "| F#7 |",
            70,
            "A#",
        ),  # the 3rd of F#7 (the root takes the sharp: F# mixolydian has fewer accidentals)
        ("| C#m7 |", 64, "E"),  # the b3 of C#m7
        ("| Eb7 |", 67, "G"),
        ("| C7 |", 63, "E-"),  # a blue note over plain C7 is b3
        ("| C7(#9) |", 63, "D#"),  # over a chord that names the #9
        ("| Dm7b5 |", 68, "A-"),  # the b5
        ("| Caug |", 68, "G#"),  # the #5
        ("| Abmaj7 |", 61, "D-"),
        ("| Bmaj7 |", 63, "D#"),
    ],
)
def test_notes_are_spelled_for_the_chord_of_the_moment(changes, pitch, name):
    part = m21_part(make_solo([(pitch, 0, 12)], changes))
    assert part.flatten().getElementsByClass("Note")[0].pitch.name == name


def test_chord_roots_take_the_spelling_of_the_fewer_accidentals():
    solo = make_solo([], "| C#m7 F#7 | B7 Db7 | Abm7 Eb7 |").with_(info=(("key", "C"),))
    part = m21_part(solo)  # Db7 and C#7, Abm7 and G#m7 tie: the key's side, flats in C, wins
    assert [root for _, root, _ in m21_chords(part)] == ["C#", "F#", "B", "D-", "A-", "E-"]


def test_every_quality_is_written_as_a_musicxml_kind():
    assert set(M21_KINDS) == set(QUALITIES)
    chords = tuple(
        make_chord(f"C{q}" if q != "7alt" else "C7alt", 12 * i, 12) for i, q in enumerate(QUALITIES)
    )
    solo = Solo((), chords, make_solo([]).meter, -(-len(chords) // 4))
    part = m21_part(solo)
    kinds = [kind for _, _, kind in m21_chords(part)]
    assert kinds == [M21_KINDS[q] for q in QUALITIES] + ["none"]  # N.C. where the chords stop


def test_slash_basses_tensions_and_no_chord():
    solo = make_solo([(64, 0, 12)], "| C/E D7(b9) | NC | Bb7(#11) |")
    text = musicxml_text(solo)
    part = m21_part(solo)
    symbols = part.flatten().getElementsByClass("ChordSymbol")
    assert symbols[0].bass().name == "E"
    assert "NoChord" in [type(s).__name__ for s in symbols]
    assert "<degree-value>9</degree-value>" in text and "<degree-alter>-1</degree-alter>" in text
    back = read_musicxml(io.BytesIO(text.encode()))[0]
    assert [c.symbol for c in back.chords] == ["C/E", "D7(b9)", "NC", "Bb7(#11)"]


def test_a_chord_changing_under_a_held_note_is_placed_with_an_offset():
    solo = make_solo([(60, 0, 48)], "| C7 F7 |")
    assert "<offset>24</offset>" in musicxml_text(solo)
    assert [offset for offset, _, _ in m21_chords(m21_part(solo))] == [0, 2]


@pytest.mark.parametrize(
    "player, semitones, fifths",
    [("tenor", 14, 1), ("alto", 9, 2), ("trumpet", 2, 1), ("clarinet", 2, 1), ("concert", 0, -1)],
)
def test_transposition_moves_notes_key_and_chords(player, semitones, fifths):
    solo = make_solo([(60, 0, 12), (65, 12, 36)], "| F7 |").with_(info=(("key", "F"),))
    part = m21_part(solo, transpose_for=player)
    assert [p for p, _, _ in m21_notes(part)] == [60 + semitones, 65 + semitones]
    assert part.flatten().getElementsByClass("KeySignature")[0].sharps == fifths
    root = m21_chords(part)[0][1]
    assert root == {"tenor": "G", "alto": "D", "trumpet": "G", "clarinet": "G", "concert": "F"}[player]
    has_transpose = "<transpose>" in musicxml_text(solo, transpose_for=player)
    assert has_transpose == (player != "concert")


def test_tenor_reads_a_concert_c_as_the_d_a_ninth_up():
    solo = make_solo([(60, 0, 48)], "| Cmaj7 |").with_(info=(("key", "C"),))
    note = m21_part(solo, transpose_for="tenor").flatten().getElementsByClass("Note")[0]
    assert note.nameWithOctave == "D5"
    assert "<octave-change>-1</octave-change>" in musicxml_text(solo, transpose_for="tenor")


def test_the_key_comes_from_info_else_from_the_notes_and_chords():
    solo = make_solo([(70, 0, 12), (62, 12, 12), (65, 24, 24)], "| Bbmaj7 | Eb7 |")
    assert "<fifths>-2</fifths>" in musicxml_text(solo)
    assert "<fifths>3</fifths>" in musicxml_text(solo.with_(info=(("key", "F#m"),)))


def test_a_bad_transposition_is_a_usage_error():
    with pytest.raises(UsageError, match="choose one of concert, tenor"):
        musicxml_text(make_solo([(60, 0, 12)]), transpose_for="tuba")
    assert set(TRANSPOSITIONS) == {"concert", "tenor", "alto", "trumpet", "clarinet"}


def test_writes_a_path_atomically_or_a_file_object(tmp_path):
    solo = make_solo(LINE, "| Dm7 G7 | Cmaj7 |")
    write_musicxml(solo, tmp_path / "out" / "solo.musicxml", transpose_for="alto")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["solo.musicxml"]
    buffer = io.BytesIO()
    write_musicxml(solo, buffer, transpose_for="alto")
    assert buffer.getvalue() == (tmp_path / "out" / "solo.musicxml").read_bytes()
    assert buffer.getvalue().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE score-partwise')


def test_the_writer_never_imports_music21():
    code = (
        "import sys; sys.path.insert(0, 'tests'); from helpers import make_solo\n"
        "from jazzgen.formats import write_musicxml; import io\n"
        "write_musicxml(make_solo([(60, 0, 12)], '| C7 |'), io.BytesIO())\n"
        "assert 'music21' not in sys.modules, 'music21 was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


# ---------------------------------------------------------------- the command line


@pytest.fixture
def jazz_bundle(tmp_path):
    return random_bundle(tmp_path / "jazz", corpus_vocab(), scale=0.3)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_generate_writes_solo_musicxml_beside_solo_mid(tmp_path, jazz_bundle):
    out = tmp_path / "solo.mid"
    result = run(
        "generate",
        "-m",
        jazz_bundle,
        "--changes",
        "| Dm7 G7 | Cmaj7 | % |",
        "--seed",
        1,
        "-o",
        out,
        "--musicxml",
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}, {tmp_path / 'solo.musicxml'}:" in result.output
    back = read_musicxml(tmp_path / "solo.musicxml")[0]
    assert back.bars == 3 and [c.symbol for c in back.chords] == ["Dm7", "G7", "Cmaj7"]
    tenor = run(
        "generate",
        "-m",
        jazz_bundle,
        "--changes",
        "| Dm7 G7 | Cmaj7 | % |",
        "--seed",
        1,
        "-o",
        tmp_path / "t.mid",
        "--musicxml",
        "--transpose-for",
        "tenor",
    )
    assert tenor.exit_code == 0, tenor.output
    written = read_musicxml(tmp_path / "t.musicxml")[0]
    assert [n.pitch for n in written.notes] == [n.pitch + 14 for n in back.notes]
    assert [c.symbol for c in written.chords] == ["Em7", "A7", "Dmaj7"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--musicxml", "--transpose-for", "tuba"],
            "Invalid value for '--transpose-for': 'tuba' is not one of",
        ),
        (
            ["--transpose-for", "tenor"],
            "--transpose-for tenor: it sets how --musicxml and --score write the part; add --musicxml",
        ),
    ],
)
def test_a_bad_transpose_for_is_a_one_line_usage_error(jazz_bundle, args, message):
    result = run("generate", "-m", jazz_bundle, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("jazzgen: error: ") and result.output.count("\n") == 1


def test_score_engraves_the_lead_sheet_as_svg_with_its_bars_and_chords(tmp_path, jazz_bundle):
    pytest.importorskip("verovio", reason="verovio engraves --score")
    out = tmp_path / "solo.mid"
    changes = "| Dm7 G7 | Cmaj7 | % | Bb7 |"
    result = run("generate", "-m", jazz_bundle, "--changes", changes, "--seed", 2, "-o", out, "--score")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}, {tmp_path / 'solo.svg'}:" in result.output
    svg = ET.parse(tmp_path / "solo.svg").getroot()
    assert svg.tag.endswith("svg")
    classes = [element.get("class", "").split()[0] for element in svg.iter() if element.get("class")]
    assert classes.count("measure") == 4
    assert classes.count("harm") == 4  # Dm7, G7, Cmaj7, Bb7 over the bars
    assert classes.count("note") == len(read_musicxml_of(tmp_path, jazz_bundle, changes))


def read_musicxml_of(tmp_path, jazz_bundle, changes):
    """The notes of the same solo written as MusicXML (a note tied over a bar line is two notes)."""
    out = tmp_path / "same.mid"
    result = run("generate", "-m", jazz_bundle, "--changes", changes, "--seed", 2, "-o", out, "--musicxml")
    assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "same.musicxml").getroot()
    return [n for n in root.iter("note") if n.find("rest") is None]


def test_a_long_solo_goes_on_over_further_pages(tmp_path):
    pytest.importorskip("verovio", reason="verovio engraves --score")
    from jazzgen.formats import write_score

    notes = [(60 + (i * 5) % 17, 3 * i, 2) for i in range(4 * 64)]  # 16th notes, 16 bars
    solo = make_solo(notes, "| Cm7 | F7 | Bbmaj7 | Ebmaj7 |" * 4)
    paths = write_score(musicxml_text(solo), tmp_path / "long.svg", page_height=1500)
    assert paths[0] == tmp_path / "long.svg" and len(paths) >= 2
    assert paths[1] == tmp_path / "long-2.svg" and all(p.stat().st_size > 1000 for p in paths)
