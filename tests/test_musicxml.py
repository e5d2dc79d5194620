"""Reading MusicXML lead sheets: exact ticks for triplets and 16ths, ties, chords, meter, tempo."""

from __future__ import annotations

import io

import pytest

from jazzgen.errors import DataError, UsageError
from jazzgen.formats.musicxml.reader import KIND_SUFFIXES, read_musicxml
from jazzgen.music.chords import parse_chord
from jazzgen.music.solo import TimeSignature

music21 = pytest.importorskip("music21")
from music21 import chord, harmony, metadata, meter, note, stream, tempo, tie  # noqa: E402


def n(pitch: int, quarter_length: float, tie_type: str | None = None) -> note.Note:
    made = note.Note(pitch, quarterLength=quarter_length)
    if tie_type:
        made.tie = tie.Tie(tie_type)
    return made


def rest(quarter_length: float) -> note.Rest:
    return note.Rest(quarterLength=quarter_length)


def measure(number: int, elements, symbols=(), time_signature: str | None = None) -> stream.Measure:
    """A measure of elements in order, with chord symbols (offset, figure or ChordSymbol) on top."""
    bar = stream.Measure(number=number)
    if time_signature:
        bar.append(meter.TimeSignature(time_signature))
    for element in elements:
        bar.append(element)
    for offset, symbol in symbols:
        bar.insert(offset, symbol if isinstance(symbol, harmony.ChordSymbol) else harmony.ChordSymbol(symbol))
    return bar


def write_score(tmp_path, *parts, title="Test Tune", bpm=None, name="sheet.musicxml"):
    score = stream.Score()
    score.metadata = metadata.Metadata(title=title)
    for part in parts:
        score.append(part)
    if bpm:
        parts[0].getElementsByClass(stream.Measure)[0].insert(0, tempo.MetronomeMark(number=bpm))
    path = tmp_path / name
    score.write("musicxml", fp=str(path))
    return path


def part(name: str, *measures) -> stream.Part:
    made = stream.Part()
    made.partName = name
    made.append(list(measures))
    return made


def flat_nine(figure: str) -> harmony.ChordSymbol:
    symbol = harmony.ChordSymbol(figure)
    symbol.addChordStepModification(harmony.ChordStepModification("add", 9, -1))
    return symbol


def test_lead_sheet_with_triplets_tie_chord_and_meter_change(tmp_path):
    lead = part(
        "Tenor",
        measure(
            1,
            [
                n(62, 1 / 3),
                n(65, 1 / 3),
                n(69, 1 / 3),
                n(72, 1),
                rest(0.5),
                n(71, 0.25),
                n(69, 0.25),
                n(67, 1, "start"),
            ],
            [(0, "Dm7"), (2, "G7")],
            "4/4",
        ),
        measure(2, [n(67, 1, "stop"), chord.Chord([60, 64, 76], quarterLength=1), rest(2)], [(0, "Cmaj7")]),
        measure(3, [n(70, 1 / 6), n(72, 1 / 6), n(74, 1 / 6), n(75, 2.5)], [(0, flat_nine("B-7"))], "3/4"),
        measure(4, [rest(3)], [(0, harmony.NoChord())]),
    )
    (solo,) = read_musicxml(write_score(tmp_path, lead, bpm=150))
    assert [(x.onset, x.duration, x.pitch) for x in solo.notes] == [
        (0, 4, 62),
        (4, 4, 65),
        (8, 4, 69),
        (12, 12, 72),  # 8th triplets, a quarter
        (30, 3, 71),
        (33, 3, 69),  # 16ths after an 8th rest
        (36, 24, 67),  # a quarter tied over the bar line
        (60, 12, 76),  # the top of a chord
        (96, 2, 70),
        (98, 2, 72),
        (100, 2, 74),
        (102, 30, 75),  # 16th triplets
    ]
    assert [(c.onset, c.duration, c.symbol) for c in solo.chords] == [
        (0, 24, "Dm7"),
        (24, 24, "G7"),
        (48, 48, "Cmaj7"),
        (96, 36, "Bb7(b9)"),
        (132, 36, "NC"),
    ]
    assert solo.meter == (TimeSignature(0, 4, 4), TimeSignature(2, 3, 4))
    assert (solo.bars, solo.tempo, solo.title) == (4, 150.0, "Test Tune")
    assert solo.source.endswith("sheet.musicxml")


def test_defaults_pickup_and_repeated_symbols(tmp_path):
    pickup = measure(0, [n(67, 1)], [(0, "G7")], "4/4")
    pickup.padAsAnacrusis()  # one beat before the first full bar
    lead = part(
        "Lead",
        pickup,
        measure(1, [n(72, 4)], [(0, "C6")]),
        measure(2, [n(64, 2), n(62, 2)], [(0, "C6"), (2, "C/E")]),
    )
    (solo,) = read_musicxml(write_score(tmp_path, lead))
    assert solo.tempo == 120.0
    assert [(x.onset, x.pitch) for x in solo.notes] == [(36, 67), (48, 72), (96, 64), (120, 62)]
    chords = [(c.onset, c.duration, c.symbol) for c in solo.chords]
    assert chords == [(36, 12, "G7"), (48, 72, "C6"), (120, 24, "C/E")]
    assert solo.bars == 3


def test_one_solo_per_part_with_notes_sharing_the_chords(tmp_path):
    lead = part("Trumpet", measure(1, [n(72, 2), n(74, 2)], [(0, "Am7"), (2, "D7")], "4/4"))
    second = part("Alto", measure(1, [chord.Chord([60, 67], quarterLength=4)], [], "4/4"))
    silent = part("Tacet", measure(1, [rest(4)], [], "4/4"))
    solos = read_musicxml(write_score(tmp_path, lead, second, silent))
    assert [s.source.rsplit("#", 1)[1] for s in solos] == ["Trumpet", "Alto"]
    assert [c.symbol for c in solos[1].chords] == ["Am7", "D7"]
    assert [(x.onset, x.duration, x.pitch) for x in solos[1].notes] == [(0, 48, 67)]


def test_file_object(tmp_path):
    path = write_score(tmp_path, part("Lead", measure(1, [n(60, 4)], [(0, "F7")], "4/4")))
    (solo,) = read_musicxml(io.BytesIO(path.read_bytes()))
    assert [c.symbol for c in solo.chords] == ["F7"] and solo.notes[0].pitch == 60


@pytest.mark.parametrize(
    "figure, expected",
    [
        ("F#m7b5", "Gbm7b5"),
        ("E-maj7", "Ebmaj7"),
        ("C13", "C7(9,13)"),
        ("Gsus4", "Gsus4"),
        ("C/E", "C/E"),
        ("Adim7", "Adim7"),
        ("Bm6", "Bm6"),
        ("D9", "D7(9)"),
        ("G7#11", "G7(#11)"),
    ],
)
def test_chord_symbols_become_jazzgen_symbols(tmp_path, figure, expected):
    lead = part("Lead", measure(1, [n(60, 4)], [(0, figure)], "4/4"))
    (solo,) = read_musicxml(write_score(tmp_path, lead))
    assert solo.chords[0].symbol == expected


def test_every_music21_chord_kind_is_readable():
    assert set(harmony.CHORD_TYPES) <= set(KIND_SUFFIXES)
    for suffix in KIND_SUFFIXES.values():
        assert parse_chord("C" + suffix).root == 0


def test_a_chord_kind_jazzgen_does_not_read_names_the_file_and_its_bar(tmp_path):
    lead = part("Lead", *(measure(k, [n(60, 4)], [(0, "C7" if k != 2 else "D")], "4/4") for k in (1, 2, 3)))
    path = write_score(tmp_path, lead)
    path.write_text(path.read_text().replace("<kind>major</kind>", "<kind>weird</kind>"))
    with pytest.raises(DataError, match=r"sheet.musicxml: bar 2: chord symbol 'D' has kind 'weird'.*respell"):
        read_musicxml(path)


def test_unreadable_missing_and_empty_files(tmp_path):
    (tmp_path / "broken.musicxml").write_text("<score-partwise><part id='P1'><measure>")
    with pytest.raises(DataError, match="cannot read .*broken.musicxml as MusicXML"):
        read_musicxml(tmp_path / "broken.musicxml")
    with pytest.raises(UsageError, match="missing.xml not found"):
        read_musicxml(tmp_path / "missing.xml")
    silent = part("Lead", measure(1, [rest(4)], [(0, "C")], "4/4"))
    empty = write_score(tmp_path, silent, name="empty.musicxml")
    with pytest.raises(DataError, match="empty.musicxml holds no notes"):
        read_musicxml(empty)


def test_a_short_inner_measure_is_refused(tmp_path):
    def bar(number: int, beats: int, attributes: str = "") -> str:
        notes = "<note><pitch><step>C</step><octave>5</octave></pitch><duration>1</duration></note>"
        return f'<measure number="{number}">{attributes}{notes * beats}</measure>'

    four_four = "<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time>"
    four_four += "</attributes>"
    head = '<?xml version="1.0"?><score-partwise version="3.1"><part-list><score-part id="P1">'
    head += '<part-name>Lead</part-name></score-part></part-list><part id="P1">'
    measures = bar(1, 4, four_four) + bar(2, 3) + bar(3, 4)
    (tmp_path / "short.musicxml").write_text(head + measures + "</part></score-partwise>")
    with pytest.raises(DataError, match="short.musicxml: measure 3 starts at beat 7, not at 8"):
        read_musicxml(tmp_path / "short.musicxml")
