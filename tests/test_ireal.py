"""The iReal Pro reader on tiny charts built here: links are scrambled by the test's own scrambler."""

import io
from urllib.parse import quote, unquote

import pytest

from jazzgen.errors import DataError, UsageError
from jazzgen.formats.ireal import limits, parse_ireal_text, read_ireal
from jazzgen.music.changes import format_changes
from jazzgen.music.solo import TICKS_PER_BEAT

MAGIC = "1r34LbKcu7"
QUALITIES = (  # every quality the iReal Pro editor offers
    "^7 -7 7 7sus ^ - 7alt sus 6 -6 o7 h7 ^9 -9 9sus ^13 -11 13 13sus 69 -69 -^7 -^9 ^7#11 ^9#11 "
    "-b6 -#5 ^7#5 add9 -7b5 h9 2 5 + o h 7b9 7#9 7b5 7#5 7b13 7#11 9#11 13#11 11 7b9sus 7b13sus "
    "7susadd3 9b5 9#5 13b9 13#9 7b9b13 7b9#5 7b9b5 7b9#9 7#9#5 7#9b5 7#9#11 7b9#11 alt h"
).split()


def scramble_block(block: str) -> str:
    """iReal's 50-character block scramble: characters i and 49-i swap for i in 0-4 and 10-23."""
    chars = list(block)
    for i in [*range(5), *range(10, 24)]:
        chars[i], chars[49 - i] = chars[49 - i], chars[i]
    return "".join(chars)


def obfuscate(chart: str) -> str:
    text = chart.replace("   ", "XyQ").replace(" |", "LZ").replace("| x", "Kcl")
    blocks, pos = [], 0
    while len(text) - pos > 51:  # a block is scrambled only when two or more characters follow it
        blocks.append(scramble_block(text[pos : pos + 50]))
        pos += 50
    return MAGIC + "".join(blocks) + text[pos:]


def irealb(*songs, playlist: str = "Tests") -> str:
    """A percent-encoded irealb:// link; songs: (title, chart) or (title, chart, tempo)."""
    parts = []
    for title, chart, *tempo in songs:
        bpm = tempo[0] if tempo else 0
        parts.append(f"{title}=Doe John==Medium Swing=C==" + obfuscate(chart) + f"=Jazz-Medium Swing={bpm}=3")
    body = "===".join(parts) + ("===" + playlist if len(songs) > 1 else "")
    return "irealb://" + quote(body, safe="")


def one(chart: str, **options):
    (solo,) = parse_ireal_text(irealb(("Tune", chart)), "t.html", **options)
    return solo


def bars(solo) -> str:
    return format_changes(solo.chords, solo.bar_starts)


def spans(solo):
    """(symbol, onset, duration) of each chord span, in beats."""
    return [(c.symbol, c.onset / TICKS_PER_BEAT, c.duration / TICKS_PER_BEAT) for c in solo.chords]


def error(chart: str) -> str:
    with pytest.raises(DataError) as caught:
        one(chart)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("t.html: 'Tune'")
    return message


# ---------------------------------------------------------------- decoding


def test_block_scramble_is_its_own_inverse():
    block = "".join(chr(65 + i % 58) for i in range(50))
    assert scramble_block(block) != block
    assert scramble_block(scramble_block(block)) == block


def test_irealb_link_unscrambles_several_blocks():
    twelve = "C^7   |A-7   |D-7   |G7   |E-7   |A7   |D-7   |G7   |C^7   |F7   |E-7   |A7   "
    chart = f"[T44{twelve}|{twelve}Z"
    link = irealb(("Long", chart))
    assert len(obfuscate(chart)) > len(MAGIC) + 2 * 50 + 1  # two whole blocks are scrambled
    assert "[T44C^7XyQ|A-7" not in unquote(link)
    solo = parse_ireal_text(link, "t.html")[0]
    assert bars(solo) == "| Cmaj7 | Am7 | Dm7 | G7 | Em7 | A7 | Dm7 | G7 | Cmaj7 | F7 | Em7 | A7 " * 2 + "|"


def test_irealbook_plain_link_decodes():
    link = "irealbook://" + quote("Plain=Doe John=Bossa Nova=F=n=[T44F^7   |G-7 C7 Z", safe="")
    (solo,) = parse_ireal_text(link, "p.txt")
    assert (solo.title, bars(solo), solo.tempo) == ("Plain", "| Fmaj7 | Gm7 C7 |", 120.0)
    assert dict(solo.info)["key"] == "F"


def test_bare_unencoded_irealbook_link_with_spaces():
    text = "irealbook://Bare=Doe=Swing=C=n=[T44C   |F7   Z\n"
    assert bars(parse_ireal_text(text, "bare.txt")[0]) == "| C | F7 |"


def test_html_export_with_a_playlist_of_several_songs():
    link = irealb(("First", "[T44C   Z", 140), ("Gentle Rain, The", "[T44D-7   Z"), ("Third", "[T44G7   Z"))
    page = f'<html><body><a href="{link}">Tests</a></body></html>'
    solos = parse_ireal_text(page, "charts.html")
    assert [s.title for s in solos] == ["First", "The Gentle Rain", "Third"]
    assert [bars(s) for s in solos] == ["| C |", "| Dm7 |", "| G7 |"]
    assert solos[0].tempo == 140.0 and solos[1].tempo == 120.0
    assert solos[0].source == "charts.html#First"
    assert dict(solos[0].info) == {
        "composer": "Doe John",
        "style": "Medium Swing",
        "key": "C",
        "groove": "Jazz-Medium Swing",
        "repeats": "3",
    }


def test_text_export_of_several_links(tmp_path):
    path = tmp_path / "charts.txt"
    path.write_text(irealb(("One", "[T44C   Z")) + "\n" + irealb(("Two", "{C   |F   }")) + "\n")
    solos = read_ireal(path)
    assert [(s.title, bars(s), s.source) for s in solos] == [
        ("One", "| C |", f"{path}#One"),
        ("Two", "| C | F | C | F |", f"{path}#Two"),
    ]
    assert [s.title for s in read_ireal(io.BytesIO(path.read_bytes()))] == ["One", "Two"]


def test_title_selection(tmp_path):
    path = tmp_path / "charts.html"
    path.write_text(f'<a href="{irealb(("Blues", "[C7   Z"), ("Gentle Rain, The", "[D-7   Z"))}">x</a>')
    assert [s.title for s in read_ireal(path, title="blues")] == ["Blues"]
    assert [s.title for s in read_ireal(path, title="gentle rain, the")] == ["The Gentle Rain"]
    assert [s.title for s in read_ireal(path, title="The Gentle Rain")] == ["The Gentle Rain"]
    with pytest.raises(
        UsageError, match=r"charts.html: no song titled 'Solar'; it holds 'Blues', 'The Gentle Rain'$"
    ):
        read_ireal(path, title="Solar")


# ---------------------------------------------------------------- bars as played


def test_repeat_with_first_and_second_endings():
    solo = one("{*AT44C   |A-   |N1D-   |G7   }         |N2D-   |G7   |C   Z")
    assert bars(solo) == "| C | Am | Dm | G7 | C | Am | Dm | G7 | C |"
    assert solo.bars == 9
    solo = one("{C   |N1D   }|N2E   |F   ]{G   |N1A   }|N2B   Z")
    assert bars(solo) == "| C | D | C | E | F | G | A | G | B |"


def test_three_endings_and_a_repeat_count():
    assert bars(one("{C   |N1D   }|N2E   }|N3F   Z")) == "| C | D | C | E | C | F |"
    assert bars(one("{C   |N1D   }|N2E<3x>   Z")) == "| C | D | C | D | C | E |"
    assert bars(one("{C   |F   <4x>}")) == "| C | F | C | F | C | F | C | F |"


def test_dc_al_coda():
    solo = one("[*AC   |D-   |G7   Q|C   |<D.C. al Coda>E7   ]         [QF   |F-   Z ")
    assert bars(solo) == "| C | Dm | G7 | C | E7 | C | Dm | G7 | F | Fm |"


def test_ds_al_fine_without_repeats_after_the_jump():
    solo = one("[C   |{SD-7   |N1G7   }|N2G7   |C<Fine>   ]|E7   |<D.S. al Fine>A7   Z")
    assert bars(solo) == "| C | Dm7 | G7 | Dm7 | G7 | C | E7 | A7 | Dm7 | G7 | C |"


def test_a_jump_on_a_repeat_closing_bar_repeats_first():
    assert bars(one("[C   |{D   |<D.C.>E   }")) == "| C | D | E | D | E | C | D | E |"


def test_x_and_r_repeat_bars():
    assert bars(one("[C^7   | x  |D-7 G7 | x  Z")) == "| Cmaj7 | Cmaj7 | Dm7 G7 | Dm7 G7 |"
    assert bars(one("[C   |D   | r|   |E   Z")) == "| C | D | C | D | E |"


def test_waltz_and_a_time_signature_change():
    solo = one("[T34F^7   |D-7   |T44G-7 C7 |F^7   Z")
    assert [(m.bar, m.name) for m in solo.meter] == [(0, "3/4"), (2, "4/4")]
    assert solo.bar_starts == (0, 36, 72, 120, 168)
    assert spans(solo)[2:4] == [("Gm7", 6.0, 2.0), ("C7", 8.0, 2.0)]
    assert [(m.bar, m.name) for m in one("[T68C   |T12F   Z").meter] == [(0, "6/8"), (1, "12/8")]


def test_layout_spaces_between_bar_lines_are_no_bar():
    assert one("[C   ]         [D   ]  Y  {E   }  Z  ").bars == 4


# ---------------------------------------------------------------- chord timing


def test_two_chords_in_a_bar_take_two_beats_each():
    assert spans(one("[D-7 G7 |C^7,A7,  Z")) == [
        ("Dm7", 0.0, 2.0),
        ("G7", 2.0, 2.0),
        ("Cmaj7", 4.0, 2.0),
        ("A7", 6.0, 2.0),
    ]


def test_four_chords_share_beats_and_three_follow_their_cells():
    assert [s[2] for s in spans(one("[C,D,E,F,Z"))] == [1.0, 1.0, 1.0, 1.0]
    assert spans(one("[C^7 D-7,E-7,Z")) == [("Cmaj7", 0.0, 2.0), ("Dm7", 2.0, 1.0), ("Em7", 3.0, 1.0)]
    assert [s[2] for s in spans(one("[T34C D Z"))] == [2.0, 1.0]


def test_slash_no_chord_invisible_root_and_empty_bars():
    assert spans(one("[C p p F|")) == [("C", 0.0, 3.0), ("F", 3.0, 1.0)]
    assert spans(one("[C   |n   |D-7   |W/C   |   |Z")) == [("C", 0, 4), ("Dm7", 8, 4), ("Dm7/C", 12, 8)]


def test_alternate_chords_small_chords_and_marks_are_ignored():
    chart = "[*AT44sC^7(A-7)   |lf(E7)D-7 G7 |Y*BC^7   Z"
    assert bars(one(chart)) == "| Cmaj7 | Dm7 G7 | Cmaj7 |"


# ---------------------------------------------------------------- chord spellings


@pytest.mark.parametrize(
    "family, written, read",
    [
        (
            "major",
            "C^7 C^ C^9 C^13 C^7#11 C6 C69 C2",
            "Cmaj7 Cmaj7 Cmaj7(9) Cmaj7(9,13) Cmaj7(#11) C6 C6(9) C(9)",
        ),
        (
            "minor",
            "C-7 C- C-6 C-69 C-9 C-11 C-^7 C-^9 C-b6",
            "Cm7 Cm Cm6 Cm6(9) Cm7(9) Cm7(9,11) Cmmaj7 Cmmaj7(9) Cm(b13)",
        ),
        ("half-diminished", "Ch7 Ch Ch9 C-7b5", "Cm7b5 Cm7b5 Cm7b5(9) Cm7b5"),
        ("diminished", "Co7 Co", "Cdim7 Cdim"),
        (
            "dominant",
            "C7 C9 C13 C11 C7b9 C7#9 C7b13 C13#11",
            "C7 C7(9) C7(9,13) C7(9,11) C7(b9) C7(#9) C7(b13) C7(9,#11,13)",
        ),
        ("altered", "C7alt Calt", "C7alt C7alt"),
        ("suspended", "Csus C7sus C9sus C13sus C7b9sus", "Csus4 C7sus4 C7sus4(9) C7sus4(9,13) C7sus4(b9)"),
        ("augmented", "C+ C7#5 C^7#5", "Caug Caug7 Caugmaj7"),
        ("roots and bass", "Bb7 F#-7 Db^7/F G-7/Bb", "Bb7 Gbm7 Dbmaj7/F Gm7/Bb"),
    ],
)
def test_chord_spellings(family, written, read):
    chart = "[" + "|".join(f"{symbol}   " for symbol in written.split()) + "Z"
    assert bars(one(chart)) == "| " + " | ".join(read.split()) + " |", family


def test_every_quality_of_the_editor_reads():
    chart = "[" + "|".join(f"C{quality}   " for quality in QUALITIES) + "Z"
    assert one(chart).bars == len(QUALITIES)


# ---------------------------------------------------------------- tempo and bad input


def test_tempo():
    assert parse_ireal_text(irealb(("Fast", "[C   Z", 240)), "t.html")[0].tempo == 240.0
    link = irealb(("Tune", "[C   Z")).replace("%3D0%3D3", "%3Dfast%3D3")
    with pytest.raises(DataError, match=r"^t.html: 'Tune': tempo 'fast' is not one jazzgen plays"):
        parse_ireal_text(link, "t.html")


@pytest.mark.parametrize(
    "text, message",
    [
        ("<html>no charts</html>", "x.html: no iReal Pro link (irealb:// or irealbook://) in it"),
        ('<a href="irealb://Tune%3D%FF%3D">', "x.html: link 1 does not decode: its %-escapes are not UTF-8"),
        (
            "irealb://Tune%3DDoe%3D%3DSwing%3DC%3D%3D[C%20Z",
            "x.html: link 1: not an iReal Pro chart (no music field",
        ),
        ("irealbook://Tune%3DDoe%3DC", "x.html: link 1: an irealbook link holds six fields a song"),
    ],
)
def test_links_that_give_no_song(text, message):
    with pytest.raises(DataError) as caught:
        parse_ireal_text(text, "x.html")
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "chart, message",
    [
        (
            "[C^7   |Eh7   |C7#13   Z",
            "bar 3: 'C7#13' is not a chord symbol jazzgen reads; respell it in iReal Pro",
        ),
        ("[C   |Hm7   Z", "bar 2: 'Hm7' is not a chord symbol or chart mark iReal Pro writes"),
        ("[C   |<D.C. al Coda   Z", "bar 2: a '<' comment that does not close with '>'"),
        ("[T33C   Z", "bar 1: 'T33' is not a time signature iReal Pro writes"),
        ("[C,D,E,F,G,Z", "bar 1: 5 chords do not fit a 4/4 bar; give it at most 4"),
        ("[C  x |Z", "bar 1: 'x' repeats whole bars; it cannot share a bar with chords"),
        ("[ x  |C   Z", "bar 1: 'x' has no bar before it to repeat"),
        ("[C   | r|   Z", "bar 2: 'r' has no two bars before it to repeat"),
        ("[p   Z", "bar 1: 'p' repeats the chord before it, and none sounds there"),
        (
            "{C   |{D   }}",
            "bar 2: a '{' inside the repeat from bar 1; jazzgen reads repeats that do not nest",
        ),
        ("{C   |D   Z", "bar 1: its '{' is never closed by '}'"),
        ("{C   }D   }", "bar 2: its '}' belongs to no '{'"),
        ("{C   |N1D   |N2E   }", "bar 2: ending N1 has no '}' before N2"),
        ("{C   |N2D   }", "bar 2: endings N2; number them N1, N2, ... in order"),
        ("[C   |<D.S. al Coda>D   Z", "bar 2: D.S. needs one segno (S) to go back to, and the chart has 0"),
        ("[C   Q|<D.C. al Coda>D   Z", "bar 2: 'al Coda' needs two coda signs (Q)"),
        ("[C   |<D.C. al Fine>D   Z", "bar 2: 'al Fine' but no bar says Fine"),
        ("[C   |<D.C. al 2nd End.>D   Z", "bar 2: 'D.C. al 2nd End.': jazzgen follows D.C. and D.S. al Coda"),
        ("[<D.C.>C   |<D.C.>D   Z", "bar 1 and bar 2 both jump (D.C./D.S.)"),
        ("{C   |D   <9999x>}", "played through, its repeats and jumps run past 10,000 bars"),
        (
            "{T12C   |C   <2000x>}",
            "its bars as played span 24,000 beats; jazzgen reads solos of up to 20,000 beats",
        ),
        ("   ", "its chart holds no bars"),
        ("[" + "C," * 17 + "Z", "bar 1: over 16 chords in one bar; split it in iReal Pro"),
        ("{C   |N1D   }N2E   |N1F   }", "bar 4: its ending N1 belongs to no '{'"),
        ("{C   |N1D   }N2E   |N2F   Z", "bar 4: its ending N2 belongs to no '{'"),
        ("[C   |N0D   Z", "bar 2: 'N0' is not an ending"),
    ],
)
def test_bad_charts_give_one_line(chart, message):
    assert message in error(chart)


def test_limits_on_size_songs_and_bars(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match=r"^iReal Pro file .*missing.html not found$"):
        read_ireal(tmp_path / "missing.html")
    path = tmp_path / "big.html"
    path.write_text(irealb(*[(f"Song {i}", "{C   |D   }") for i in range(3)]))
    monkeypatch.setattr(limits, "MAX_IREAL_BYTES", 100)
    with pytest.raises(DataError, match=r"big.html: .* over the 100 bytes jazzgen reads for such a file"):
        read_ireal(path)
    monkeypatch.setattr(limits, "MAX_IREAL_BYTES", 2**20)
    monkeypatch.setattr(limits, "MAX_SONGS", 2)
    with pytest.raises(DataError, match=r"^.*big.html: over 2 songs, more than jazzgen reads at once"):
        read_ireal(path)
    monkeypatch.setattr(limits, "MAX_SONGS", 10)
    monkeypatch.setattr(limits, "MAX_TOTAL_BARS", 10)
    with pytest.raises(DataError, match=r"its songs as played run past 10 bars in all"):
        read_ireal(path)
    assert [s.bars for s in read_ireal(path, title="song 1")] == [4]
    monkeypatch.setattr(limits, "MAX_TOTAL_MARKS", 20)
    with pytest.raises(DataError, match=r"big.html: its charts hold over 20 chords and marks in all"):
        read_ireal(path)
    monkeypatch.setattr(limits, "MAX_BARS", 3)
    with pytest.raises(DataError, match=r"^t.html: 'Tune': over 3 bars as written"):
        one("[C   |D   |E   |F   Z")
