import json
import os
from pathlib import Path

from click.testing import CliRunner
from helpers import make_solo
from test_wjazzd import beats_for, write_layout

from jazzgen.cli import cli
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.preparation import prepare


def make_corpus_sources(root, count=3):
    for i in range(count):
        notes = [(0.5 * k, 0.25, k // 4, k % 4 + 1, 1, 1, 60 + (k * (i + 2)) % 12) for k in range(16)]
        write_layout(root, f"Player{i}_Tune", notes, beats_for(4))
    return root


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_prepare_writes_tokens_vocab_and_report(tmp_path):
    src = make_corpus_sources(tmp_path / "src")
    (src / "broken.mid").write_bytes(b"not midi at all")
    result = run("prepare", str(src), "-o", str(tmp_path / "corpus"))
    assert result.exit_code == 0, result.output
    assert "prepared 3 solos (48 notes" in result.output
    assert "skipped" in result.output and "broken.mid" in result.output
    lines = (tmp_path / "corpus" / "tokens.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["notes"] for e in entries] == [16, 16, 16]
    assert entries[0]["tokens"][0] == "<solo>" and entries[0]["meter"] == "4/4"
    vocab = Vocab.load(tmp_path / "corpus" / "vocab.json")
    assert list(vocab.tokens[2:]) == sorted(vocab.tokens[2:])
    report = json.loads((tmp_path / "corpus" / "report.json").read_text())
    assert len(report["used"]) == 3 and report["skipped"][0]["path"].endswith("broken.mid")


def test_same_corpus_gives_the_same_ids(tmp_path):
    src = make_corpus_sources(tmp_path / "src")
    run("prepare", str(src), "-o", str(tmp_path / "a"))
    run("prepare", str(src), "-o", str(tmp_path / "b"), "--jobs", "2")
    assert (tmp_path / "a" / "vocab.json").read_text() == (tmp_path / "b" / "vocab.json").read_text()
    assert (tmp_path / "a" / "tokens.jsonl").read_text() == (tmp_path / "b" / "tokens.jsonl").read_text()


def test_rerun_reuses_the_cache_and_reads_only_changed_files(tmp_path):
    src = make_corpus_sources(tmp_path / "src")
    out = tmp_path / "corpus"
    run("prepare", str(src), "-o", str(out))
    write_layout(src, "Player9_New", [(0.0, 0.5, 0, 1, 1, 1, 64)], beats_for(1))
    result = run("prepare", str(src), "-o", str(out))
    assert "prepared 4 solos" in result.output and "3 from cache" in result.output
    changed = src / "mcsv_melody" / "Player0_Tune_FINAL.csv"
    os.utime(changed, ns=(1, 1))
    result = run("prepare", str(src), "-o", str(out))
    assert "3 from cache" in result.output


def test_prepare_fails_only_when_nothing_is_usable(tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"")
    result = run("prepare", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output.startswith("jazzgen: error: no usable solo") or "no usable solo" in result.output
    assert "Traceback" not in result.output


def test_prepare_names_a_missing_path(tmp_path):
    result = run("prepare", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"jazzgen: error: {tmp_path / 'nope'}: no such file or folder" in result.output


def test_prepare_of_an_empty_folder_says_so(tmp_path):
    result = run("prepare", str(tmp_path), "-o", str(tmp_path / "out"))
    assert (
        result.exit_code == 1
        and "no MIDI, MusicXML, Impro-Visor or Weimar Jazz Database files found" in result.output
    )


def test_inspect_shows_chords_and_first_values(tmp_path):
    src = make_corpus_sources(tmp_path, count=1)
    path = src / "mcsv_melody" / "Player0_Tune_FINAL.csv"
    result = run("inspect", str(path))
    assert result.exit_code == 0, result.output
    assert "| Dm7 | G7 | Cmaj7 | Cmaj7 |" in result.output
    assert "first values: <solo> M4/4 key:D reg:60 |" in result.output
    data = json.loads(run("inspect", str(path), "--json").output)
    assert data["reader"] == "wjazzd" and data["solos"][0]["notes"] == 16


def test_inspect_says_how_a_midi_files_notes_were_placed(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "data", "midi", "blues_in_f.mid")
    result = run("inspect", example)
    assert result.exit_code == 0, result.output
    assert "  timing: quantised file: notes kept on its own tick grid" in result.output
    assert json.loads(run("inspect", example, "--json").output)["timing"].startswith("quantised file")


def test_inspect_of_a_missing_file_is_a_usage_error(tmp_path):
    result = run("inspect", str(tmp_path / "x.mid"))
    assert result.exit_code == 2 and "no such file" in result.output


def test_the_report_says_where_each_files_chords_came_from(tmp_path):
    from jazzgen.formats.render import write_midi

    source = tmp_path / "solos"
    source.mkdir()
    solo = make_solo([(60, 0, 12), (62, 12, 12)], "| Dm7 G7 |")
    write_midi(solo, source / "marked.mid", chord_markers=True, comp=False)
    write_midi(solo.with_(chords=()), source / "bare.mid", chord_markers=False, comp=False)
    summary = prepare([source], tmp_path / "corpus")
    report = json.loads((tmp_path / "corpus" / "report.json").read_text())
    sources = {Path(u["path"]).name: u["chords_from"] for u in report["used"]}
    assert sources == {"marked.mid": "text events", "bare.mid": "none"}
    assert summary.line().endswith(
        "; 1 file has no chords: see "
        + str(tmp_path / "corpus" / "report.json")
        + "; add NAME.chords beside a MIDI file, or use --require-chords"
    )
    strict = prepare([source], tmp_path / "strict", require_chords=True)
    assert strict.solos == 1 and strict.skipped[0][1].startswith("has no chords (--require-chords)")
