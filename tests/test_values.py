import glob

import pytest
from helpers import make_solo
from hypothesis import given, settings
from hypothesis import strategies as st

from jazzgen.errors import DataError
from jazzgen.music.changes import parse_changes
from jazzgen.tokens.decoding import decode, last_pitch
from jazzgen.tokens.values import (
    MAX_STEP,
    PLACED,
    PLACED_AHEAD,
    PLACED_DEGREE,
    POSITIONS,
    SCHEMES,
    encode,
    forced_events,
    note_class,
    scheme_of,
    token_kind,
)


def triples(solo):
    return [(n.pitch, n.onset, n.duration) for n in solo.notes]


def test_round_trip_of_a_ii_v_i_line():
    solo = make_solo(
        [(62, 0, 6), (65, 6, 6), (69, 12, 12), (72, 30, 3), (71, 59, 60)], "| Dm7 G7 | Cmaj7 | % |"
    )
    back = decode(encode(solo))
    assert triples(back) == triples(solo)
    assert [(c.onset, c.duration, c.symbol) for c in back.chords] == [
        (0, 24, "Dm7"),
        (24, 24, "G7"),
        (48, 96, "Cmaj7"),
    ]
    assert back.bars == solo.bars and back.meter == solo.meter


def test_round_trip_over_every_tick_of_the_grid():
    # one note on every tick position of two bars, with every duration up to two bars
    notes = [(60 + (t % 13), t, 1 + (t * 7) % 96) for t in range(96)]
    notes = [(p, t, min(d, 96 - t) if t < 95 else 1) for p, t, d in notes]
    solo = make_solo(notes, "| C7 F7 | Bb7(b9,#11)/D |")
    assert triples(decode(encode(solo))) == triples(solo)


def test_long_gaps_and_durations_are_spelled_as_several_tokens():
    solo = make_solo([(60, 0, 200), (64, 500, 7)], "| C7 |", bars=11)
    tokens = encode(solo)
    assert tokens.count(f"d{MAX_STEP}") == 200 // MAX_STEP
    assert triples(decode(tokens)) == triples(solo)


def test_meter_changes_and_mid_bar_chords_survive():
    meter = ((0, 4, 4), (1, 3, 4), (2, 5, 4))
    solo = make_solo([(67, 3, 9), (70, 50, 2), (62, 90, 30)], "| Dm7 G7 | C6 | F7 Bb7 |", meter=meter)
    tokens = encode(solo)
    assert "M3/4" in tokens and "M5/4" in tokens
    back = decode(tokens)
    assert back.meter == solo.meter
    assert triples(back) == triples(solo)
    assert [c.onset for c in back.chords] == [c.onset for c in solo.chords]


def test_stream_is_the_same_for_every_transposition_but_the_header():
    notes = [(62, 0, 6), (65, 6, 6), (69, 12, 12), (68, 30, 3)]
    base = encode(make_solo(notes, "| Dm7 G7 | Cmaj7 |"))
    for shift in range(1, 12):
        moved = [(p + shift, o, d) for p, o, d in notes]
        changes = "| {} {} | {} |".format(*(n for n in _names(shift)))
        other = encode(make_solo(moved, changes))
        assert other[4:] == base[4:]
        assert other[:4] != base[:4]


def _names(shift):
    names = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
    return names[(2 + shift) % 12] + "m7", names[(7 + shift) % 12] + "7", names[shift % 12] + "maj7"


def test_note_classes():
    chords, _ = parse_changes("| C7 |")
    c7 = chords[0]
    assert [note_class(p, c7) for p in (60, 64, 67, 70)] == ["C"] * 4
    assert note_class(62, c7) == "S" and note_class(69, c7) == "S"
    assert note_class(61, c7) == "A"  # a semitone above the root, outside mixolydian
    assert note_class(60, None) == "N"


def test_decoding_over_other_chords_keeps_each_class_and_range():
    solo = make_solo([(60 + (i * 5) % 17, i * 6, 6) for i in range(32)], "| Cmaj7 | A7 | Dm7 | G7 |")
    tokens = encode(solo)
    wanted = [t[0] for t in tokens if token_kind(t) == "pitch"]
    for changes in (
        "| F#m7b5 | B7(b9) | Em7 | A7 |",
        "| Bb7 | Eb7 | Bb7 | F7 |",
        "| Cdim7 | C7sus4 | Abaugmaj7 | E6 |",
    ):
        chords, _ = parse_changes(changes)
        moved = decode(tokens, chords=chords, pitch_range=(55, 79))
        assert len(moved.notes) == len(solo.notes)
        assert all(55 <= n.pitch <= 79 for n in moved.notes)
        got = [note_class(n.pitch, moved.chord_at(n.onset)) for n in moved.notes]
        for want, have, note in zip(wanted, got, moved.notes):
            chord = moved.chord_at(note.onset)
            if _offers(chord, want):
                assert have == want
            # lines stay close to the asked-for interval: never more than a tritone off
        steps = [b.pitch - a.pitch for a, b in zip(moved.notes, moved.notes[1:])]
        asked = [int(t[1:]) for t in tokens if token_kind(t) == "pitch"][1:]
        assert all(abs(s - a) <= 6 or abs(abs(s - a) - 12) <= 6 for s, a in zip(steps, asked))


def test_last_pitch_is_the_last_decoded_note_or_the_register_anchor():
    solo = make_solo([(62, 0, 6), (65, 6, 6), (69, 12, 12)], "| Dm7 G7 |")
    tokens = encode(solo)
    first_note = next(i for i, t in enumerate(tokens) if token_kind(t) == "gap")
    assert last_pitch(tokens[:first_note], solo.chords) == 62  # the anchor: the first note's pitch
    other, _ = parse_changes("| Ebm7 Ab7 |")
    assert last_pitch(tokens, other) == decode(tokens, chords=other).notes[-1].pitch != 69


def _offers(chord, cls):
    return any(note_class(p, chord) == cls for p in range(60, 72))


@pytest.mark.parametrize(
    "tokens",
    [
        ["<solo>", "|", "C+0"],
        ["<solo>", "|", "d4"],
        ["<solo>", "|", "Qm7"],
        ["<solo>", "|", "R+2", "Qzz"],
        ["<solo>", "Mx/4"],
        ["<solo>", "reg:999"],
        ["<solo>", "|", "what"],
    ],
)
def test_malformed_streams_raise_data_error(tokens):
    with pytest.raises(DataError):
        decode(tokens)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 60), st.integers(1, 100), st.integers(36, 96)), min_size=1, max_size=40
    ),
    st.sampled_from(["| Cmaj7 |", "| Dm7 G7 | Cmaj7 | % |", "| F7 Bb7 C7 F7 |", "| NC | C7 |"]),
)
def test_any_monophonic_line_round_trips(steps, changes):
    onset, notes = 0, []
    for gap, duration, pitch in steps:
        notes.append((pitch, onset, duration))
        onset += gap
    solo = make_solo(notes, changes)
    assert triples(decode(encode(solo))) == triples(solo)


def test_every_shared_weimar_solo_round_trips_exactly(shared_data):
    from jazzgen.formats.wjazzd import read_wjazzd

    files = sorted(glob.glob(str(shared_data / "wjazzd" / "mcsv_melody" / "*_FINAL.csv")))
    assert len(files) >= 400
    inexact = [f for f in files if triples(decode(encode(s := read_wjazzd(f)))) != triples(s)]
    assert inexact == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_round_trips_bars_meter_chords_and_notes(scheme):
    meter = ((0, 4, 4), (1, 3, 4))
    solo = make_solo(
        [(62, 0, 6), (65, 6, 6), (69, 12, 60), (72, 75, 3), (71, 84, 30), (60, 132, 96)],
        "| Dm7 G7 | C6 | F7 Bb7 | C7 |",
        meter=meter,
        bars=4,
    )
    back = decode(encode(solo, scheme))
    assert triples(back) == triples(solo) and back.bars == solo.bars == 4 and back.meter == solo.meter
    assert [(c.onset, c.duration, c.symbol) for c in back.chords] == [
        (c.onset, c.duration, c.symbol) for c in solo.chords
    ]
    assert scheme_of(encode(solo, scheme)) == scheme


def test_a_last_note_ringing_past_the_last_bar_line_keeps_the_bar_count():
    solo = make_solo(
        [(60, 0, 12), (62, 36, 40)], "| C7 |", bars=1
    )  # rings 28 ticks into a bar that is not there
    back = decode(encode(solo))
    assert back.bars == 1 and back.notes[-1].duration == 40


def test_the_positions_scheme_writes_each_onset_in_its_bar():
    solo = make_solo([(60, 6, 6), (62, 54, 6), (64, 100, 6)], "| C7 | F7 | C7 |")
    times = [t for t in encode(solo, POSITIONS) if token_kind(t) == "position"]
    assert times == ["p6", "p6", "p4"]


def test_the_placed_scheme_follows_each_gap_with_the_place_it_reaches():
    solo = make_solo([(60, 6, 6), (62, 54, 6), (64, 150, 6)], "| C7 | F7 | C7 | F7 |")
    tokens = encode(solo, PLACED)
    notes = [t for t in tokens if token_kind(t) in ("gap", "place")]
    assert notes == ["g6", "^6", "g48", "g0", "^6", "g48", "g48", "g0", "^6"]  # a chain ends under 48 ticks
    assert [token_kind(t) for t in tokens].count("place") == 3


def test_placed_degree_tells_each_note_where_the_line_stands_over_the_chord_it_comes_over():
    solo = make_solo([(64, 0, 6), (67, 30, 6), (62, 60, 6)], "| C7 F7 | NC |")
    tokens = encode(solo, PLACED_DEGREE)
    degrees = [t for t in tokens if token_kind(t) == "degree"]
    # before each note, the line's last pitch over the chord the note comes over: reg:64 (E) over
    # C, a third; E over F, a major seventh; the G under no chord
    assert degrees == ["=4", "=11", "=N"]
    assert tokens.index("=4") == tokens.index("^0") + 1 and scheme_of(tokens) == PLACED_DEGREE
    assert [t for t in tokens if token_kind(t) != "degree"] == encode(solo, PLACED)


def test_looking_ahead_each_chord_change_names_the_next():
    solo = make_solo([(62, 0, 12)], "| Dm7 G7 | Cmaj7 | NC | F7 |")
    events = [tokens for _, tokens in forced_events(solo, lookahead=True)]
    chords = [t for tokens in events for t in tokens if t.startswith((">", "R+", "Q", "NC"))]
    assert chords == [
        "R+0",
        "Qm7",
        ">R+5",
        ">Q7",
        "R+5",
        "Q7",
        ">R+5",
        ">Qmaj7",
        "R+5",
        "Qmaj7",
        ">NC",
        "NC",
        ">R+5",
        ">Q7",
        "R+5",
        "Q7",
    ]
    assert (
        scheme_of(encode(solo, PLACED_AHEAD)) == PLACED_AHEAD and decode(encode(solo, PLACED_AHEAD)).bars == 4
    )
