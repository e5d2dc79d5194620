"""Charts read from the files musicians keep (iReal Pro exports, MusicXML lead sheets, changes
text), arranged like a tune (key, choruses, bars) and improvised over with generate --over."""

import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from helpers import make_solo
from test_generate_cli import corpus_vocab
from test_ireal import irealb

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.formats import read_chart, write_musicxml
from jazzgen.improv.generation import generate_variations
from jazzgen.music.changes import format_changes
from jazzgen.music.chords import make_chord
from jazzgen.music.solo import TICKS_PER_BEAT, Solo, TimeSignature
from jazzgen.music.tunes import arranged

BLUES = "{*AC7   |F7   |C7   |C7   |F7   |F7   |C7   |A7   |D-7   |G7   |C7   |G7   }"
WALTZ = "T34C^7   |A-7   |D-7   |G7   Z"


def playlist(tmp_path, *songs):
    path = tmp_path / "charts.html"
    links = "".join(f'<a href="{irealb(song)}">{song[0]}</a>\n' for song in songs)
    path.write_text(f"<html><body>{links}</body></html>")
    return path


def test_a_playlist_asks_which_song_and_gives_the_one_named(tmp_path):
    path = playlist(tmp_path, ("Blues In C", BLUES, 140), ("Waltz", WALTZ))
    with pytest.raises(UsageError, match=r"2 songs \('Blues In C', 'Waltz'\); pick one with --title"):
        read_chart(path)
    waltz = read_chart(path, title="waltz")
    assert waltz.bars == 4 and waltz.meter == (TimeSignature(0, 3, 4),)
    assert format_changes(waltz.chords, waltz.bar_starts) == "| Cmaj7 | Am7 | Dm7 | G7 |"
    blues = read_chart(path, title="Blues In C")
    assert blues.bars == 24 and blues.tempo == 140  # the repeat played out


def test_a_musicxml_lead_sheet_gives_its_chords_without_its_melody(tmp_path):
    sheet = make_solo([(60, 0, 12), (64, 48, 12)], "| Dm7 G7 | Cmaj7 |")
    path = tmp_path / "sheet.musicxml"
    write_musicxml(sheet, path)
    chart = read_chart(path)
    assert chart.notes == () and chart.bars == 2
    assert [(c.symbol, c.onset) for c in chart.chords] == [("Dm7", 0), ("G7", 24), ("Cmaj7", 48)]


def test_a_changes_text_is_a_chart_and_a_broken_one_is_one_line(tmp_path):
    text = tmp_path / "tune.chords"
    text.write_text("| Dm7 G7 | Cmaj7 | % |\n")
    chart = read_chart(text)
    assert chart.bars == 3 and chart.title == "tune"
    (tmp_path / "empty.chords").write_text("  \n")
    (tmp_path / "noise.bin").write_bytes(b"\xff\xfe\x00MThd")
    (tmp_path / "bad.chords").write_text("| H7 |")
    for name, message in [
        ("empty.chords", "empty; write the changes in it"),
        ("noise.bin", "not an iReal Pro export, a MusicXML lead sheet or UTF-8 changes text"),
        ("bad.chords", "cannot read chord symbol 'H7'"),
    ]:
        with pytest.raises(DataError, match=message) as caught:
            read_chart(tmp_path / name)
        assert "\n" not in str(caught.value) and name in str(caught.value)
    with pytest.raises(UsageError, match="no such file"):
        read_chart(tmp_path / "missing.html")


def test_arranged_repeats_the_form_with_its_meter_and_transposes_from_its_key():
    beat = TICKS_PER_BEAT  # two bars of 4/4, then one of 3/4
    chords = (
        make_chord("C7", 0, 4 * beat),
        make_chord("F7", 4 * beat, 4 * beat),
        make_chord("G7", 8 * beat, 3 * beat),
    )
    meter = (TimeSignature(0, 4, 4), TimeSignature(2, 3, 4))
    chart = Solo((), chords, meter, 3, info=(("key", "C"),))
    two = arranged(chart, key="Eb", choruses=2)
    assert two.bars == 6
    assert two.meter == tuple(TimeSignature(b, n, 4) for b, n in [(0, 4), (2, 3), (3, 4), (5, 3)])
    assert [c.symbol for c in two.chords] == ["Eb7", "Ab7", "Bb7", "Eb7", "Ab7", "Bb7"]
    assert two.end == 2 * chart.end
    assert arranged(chart, bars=4).bars == 4
    with pytest.raises(UsageError, match="--choruses 0"):
        arranged(chart, choruses=0)


def test_generate_over_a_chart_plays_its_bars_and_chords(tmp_path):
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    chart = read_chart(playlist(tmp_path, ("Blues In C", BLUES, 140)))
    (solo,) = generate_variations(bundle, over=chart, choruses=2, seed=1)
    assert solo.bars == 48 and solo.tempo == 140
    assert [(c.symbol, c.onset) for c in solo.chords[: len(chart.chords)]] == [
        (c.symbol, c.onset) for c in chart.chords
    ]
    assert solo.chord_at(24 * 4 * TICKS_PER_BEAT).symbol == "C7"  # bar 25: the form again
    with pytest.raises(UsageError, match="give --over, --changes/--changes-file or --tune"):
        generate_variations(bundle, tune="blues", over=chart)


def test_the_cli_plays_over_a_playlist_song_and_names_what_is_missing(tmp_path):
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    path = playlist(tmp_path, ("Blues In C", BLUES), ("Waltz", WALTZ))
    out = tmp_path / "waltz.mid"
    ok = CliRunner().invoke(
        cli, ["generate", "-m", str(bundle), "--over", str(path), "--title", "Waltz", "-o", str(out)]
    )
    assert ok.exit_code == 0, ok.output
    assert out.is_file() and "over 4 bars" in ok.output
    for args, message in [
        (["--over", str(path)], "pick one with --title"),
        (["--title", "Waltz"], "--title 'Waltz': it picks a song of --over's file; add --over FILE"),
        (["--over", str(path), "--title", "Nope"], "Nope"),
    ]:
        result = CliRunner().invoke(cli, ["generate", "-m", str(bundle), *args, "-o", str(out)])
        assert result.exit_code in (1, 2) and message in result.output
        assert result.output.startswith("jazzgen: error: ") and result.output.count("\n") == 1


def test_a_broken_midi_backing_track_is_one_line_naming_it(tmp_path):
    (tmp_path / "backing.mid").write_bytes(b"MThd")
    with pytest.raises(DataError, match=r"backing.mid: its MIDI header is cut short"):
        read_chart(tmp_path / "backing.mid")


def test_inspect_chords_prints_a_changes_text_that_reads_back(tmp_path):
    path = playlist(tmp_path, ("Blues In C", BLUES), ("Waltz", WALTZ))
    result = CliRunner().invoke(cli, ["inspect", str(path), "--chords", "--title", "Blues In C"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 6 and lines[0] == "| C7 | F7 | C7 | C7 |"
    sidecar = tmp_path / "blues.chords"
    sidecar.write_text(result.output)
    again = read_chart(sidecar)
    chart = read_chart(path, title="Blues In C")
    assert [(c.symbol, c.onset) for c in again.chords] == [(c.symbol, c.onset) for c in chart.chords]


def test_inspect_chords_of_a_midi_solo_reads_its_chord_marks(tmp_path):
    from jazzgen.formats import write_midi

    solo = make_solo([(60 + i % 5, 12 * i, 10) for i in range(16)], "| Dm7 G7 | Cmaj7 | A7 | Dm7 |")
    write_midi(solo, tmp_path / "solo.mid", chord_markers=True)
    result = CliRunner().invoke(cli, ["inspect", str(tmp_path / "solo.mid"), "--chords"])
    assert result.exit_code == 0, result.output
    assert result.output == "| Dm7 G7 | Cmaj7 | A7 | Dm7 |\n"


def test_a_tunes_key_is_named_so_the_files_write_its_key_signature():
    from jazzgen.music.tonality import Key, key_named, solo_key
    from jazzgen.music.tunes import lead_sheet

    assert [key_named(k) for k in ("Bb", "F#m", "Eb minor", "C-", "H")] == [
        Key(10, "major"),
        Key(6, "minor"),
        Key(3, "minor"),
        Key(0, "minor"),
        None,
    ]
    assert dict(lead_sheet(tune="rhythm").info)["key"] == "Bb"  # estimated, it was F
    assert dict(lead_sheet(tune="autumn", key="A").info)["key"] == "Am"
    assert lead_sheet(tune="modal").info == () and lead_sheet(changes="| C7 |").info == ()
    assert solo_key(lead_sheet(tune="minor-blues")).name == "Cm"
    chart = make_solo([], "| Cm7 | F7 |").with_(info=(("key", "C-"),))
    assert dict(arranged(chart, key="D").info)["key"] == "Dm"
