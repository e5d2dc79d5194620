import pytest

from jazzgen.errors import DataError
from jazzgen.music.changes import format_changes, parse_changes
from jazzgen.music.chords import QUALITIES, parse_chord
from jazzgen.music.solo import TimeSignature, bar_starts


@pytest.mark.parametrize(
    "symbol, root, quality, tones",
    [
        ("Cmaj7", 0, "maj7", {0, 4, 7, 11}),
        ("CM7", 0, "maj7", {0, 4, 7, 11}),
        ("C^7", 0, "maj7", {0, 4, 7, 11}),
        ("C-7", 0, "m7", {0, 3, 7, 10}),
        ("Cm7", 0, "m7", {0, 3, 7, 10}),
        ("C7b9", 0, "7", {0, 4, 7, 10}),
        ("C7#11", 0, "7", {0, 4, 7, 10}),
        ("Cm7b5", 0, "m7b5", {0, 3, 6, 10}),
        ("Cø", 0, "m7b5", {0, 3, 6, 10}),
        ("Cdim7", 0, "dim7", {0, 3, 6, 9}),
        ("Co7", 0, "dim7", {0, 3, 6, 9}),
        ("C7sus4", 0, "7sus4", {0, 5, 7, 10}),
        ("C6", 0, "6", {0, 4, 7, 9}),
        ("C/E", 0, "", {0, 4, 7}),
        ("Ebj7", 3, "maj7", {3, 7, 10, 2}),
        ("F#-", 6, "m", {6, 9, 1}),
        ("Bb13", 10, "7", {10, 2, 5, 8}),
        ("Abm7b5", 8, "m7b5", {8, 11, 2, 6}),
    ],
)
def test_lead_sheet_spellings(symbol, root, quality, tones):
    chord = parse_chord(symbol)
    assert (chord.root, chord.quality, set(chord.chord_tones())) == (root, quality, tones)


def test_tensions_alter_the_scale():
    assert 1 in parse_chord("C7b9").scale() and 2 not in parse_chord("C7b9").scale()
    assert 6 in parse_chord("C7#11").scale() and 5 not in parse_chord("C7#11").scale()


@pytest.mark.parametrize(
    "wjazzd, lead_sheet",
    [
        ("C79b", "C7(b9)"),
        ("C7911#", "C7(9,#11)"),
        ("C79#11#", "C7(#9,#11)"),
        ("C7913b", "C7(9,b13)"),
        ("D-7", "Dm7"),
        ("Ebj7", "Ebmaj7"),
        ("Csus7", "C7sus4"),
        ("Ab+j7/C", "Abaugmaj7/C"),
        ("C-j7", "Cmmaj7"),
    ],
)
def test_weimar_spellings_read_suffix_accidentals(wjazzd, lead_sheet):
    assert parse_chord(wjazzd, suffix_accidentals=True).name == lead_sheet


def test_every_canonical_name_reads_back_to_itself():
    for quality in QUALITIES:
        for tensions in ("", "(b9)", "(9,#11)", "(13)"):
            name = parse_chord("Bb" + quality + tensions).name
            assert parse_chord(name).name == name


@pytest.mark.parametrize("bad", ["H7", "Cxyz", "7", "C7(q9)"])
def test_unreadable_symbols_raise_data_error(bad):
    with pytest.raises(DataError):
        parse_chord(bad)


def test_nc_has_no_root():
    assert parse_chord("NC").root is None and parse_chord("N.C.").root is None


def test_parse_changes_shares_bars_evenly_and_repeats_with_percent():
    chords, bars = parse_changes("| Dm7 G7 | Cmaj7 | % | F7 / Bb7 . |")
    assert bars == 4
    assert [(c.onset, c.duration, c.symbol) for c in chords] == [
        (0, 24, "Dm7"),
        (24, 24, "G7"),
        (48, 96, "Cmaj7"),
        (144, 24, "F7"),
        (168, 24, "Bb7"),
    ]


def test_parse_changes_in_three_four():
    meter = (TimeSignature(0, 3, 4),)
    chords, bars = parse_changes("| C7 F7 Bb7 | Eb |", meter)
    assert [(c.onset, c.duration) for c in chords] == [(0, 12), (12, 12), (24, 12), (36, 36)]
    assert format_changes(chords, bar_starts(meter, bars)) == "| C7 F7 Bb7 | Eb |"


@pytest.mark.parametrize(
    ("changes", "bars", "spans"),
    [
        ("| Cmaj7 | % |", 2, [(0, 96, "Cmaj7")]),
        ("| Dm7 G7 | Cmaj7 |", 2, [(0, 24, "Dm7"), (24, 24, "G7"), (48, 48, "Cmaj7")]),
        ("| C7 | F7 |\n| % | C7 |", 4, [(0, 48, "C7"), (48, 96, "F7"), (144, 48, "C7")]),
        ("Dm7 G7\nCmaj7", 2, [(0, 24, "Dm7"), (24, 24, "G7"), (48, 48, "Cmaj7")]),
        ("|| C7 | | F7 ||", 2, [(0, 48, "C7"), (48, 48, "F7")]),
    ],
)
def test_a_bar_is_what_stands_between_two_bar_lines(changes, bars, spans):
    chords, count = parse_changes(changes)
    assert count == bars
    assert [(c.onset, c.duration, c.symbol) for c in chords] == spans


@pytest.mark.parametrize(("changes", "bar"), [("| C7 % F7 |", 1), ("| Dm7 | G7 | Cmaj7 % |", 3)])
def test_a_percent_beside_chords_names_its_bar(changes, bar):
    with pytest.raises(DataError, match=rf"^bar {bar} .*alone between bar lines"):
        parse_changes(changes)


@pytest.mark.parametrize(("changes", "bar"), [("| Eh |", 1), ("| Dm7 |\n| G7 Xyz | C |", 2)])
def test_an_unreadable_chord_symbol_names_its_bar_and_the_spelling(changes, bar):
    with pytest.raises(DataError, match=rf"^bar {bar}: '(Eh|Xyz)' is not a chord symbol .* like Cmaj7, Dm7"):
        parse_changes(changes)


@pytest.mark.parametrize("bad", ["", "| % |", "| C D E F G |", "| / C |"])
def test_bad_changes_raise_data_error(bad):
    with pytest.raises(DataError):
        parse_changes(bad)
