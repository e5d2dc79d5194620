"""Every command's errors: one line 'jazzgen: error: ...' that says what is wrong and how to fix
it, exit code 2 for a usage error and 1 for a data error, never a traceback (unless --debug).

Bundles here have random weights and no model.keras: every error below is found before
TensorFlow would be imported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from model_helpers import make_corpus

from jazzgen.cli import cli
from jazzgen.lm.config import TokenizerConfig
from jazzgen.lm.vocab import Vocab

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "midi"


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder holding a corpus, a jazz and a text bundle, a plain file, an empty folder, texts."""
    root = tmp_path_factory.mktemp("cli")
    corpus = make_corpus(root / "corpus", solos=4)
    random_bundle(root / "jazz", Vocab.load(corpus / "vocab.json"))
    text = TokenizerConfig(kind="text", level="char", lines=True, start_token="<EOS>", end_token="<EOS>")
    random_bundle(root / "words", Vocab(("<pad>", "<unk>", "<EOS>", "a", "b", "c")), text)
    (root / "afile").write_text("not a folder\n")
    (root / "empty").mkdir()
    (root / "abc.txt").write_text("abc\nbca\n")
    (root / "blank.txt").write_text("")
    (root / "notes.mid").write_text("hello\n")
    return root


def run(place: Path, *args: str):
    """Run jazzgen with {T} in args standing for the place; returns (exit code, output with T)."""
    result = CliRunner().invoke(cli, [a.replace("{T}", str(place)) for a in args], prog_name="jazzgen")
    return result.exit_code, result.output.replace(str(place), "{T}")


def one_line(code: int, message: str) -> tuple[int, str]:
    return code, f"jazzgen: error: {message}\n"


CASES = {
    "prepare": [
        (["prepare"], 2, "Missing argument 'SOURCES...' (see 'jazzgen prepare --help')"),
        (["prepare", str(EXAMPLES)], 2, "Missing option '-o' / '--out' (see 'jazzgen prepare --help')"),
        (["prepare", "{T}/nope", "-o", "{T}/out"], 2, "{T}/nope: no such file or folder"),
        (
            ["prepare", "{T}/empty", "-o", "{T}/out"],
            1,
            "no MIDI, MusicXML, Impro-Visor or Weimar Jazz Database files found in {T}/empty",
        ),
        (
            ["prepare", "{T}/notes.mid", "-o", "{T}/out"],
            1,
            "no usable solo in 1 files (first problem: {T}/notes.mid: is a text file, not MIDI (it starts "
            "'hello'))",
        ),
        (
            ["prepare", str(EXAMPLES), "-o", "{T}/afile/corpus"],
            2,
            "cannot write {T}/afile/corpus: {T}/afile is a file, not a folder; choose a writable folder",
        ),
        (
            ["prepare", str(EXAMPLES), "-o", "{T}/afile"],
            2,
            "Invalid value for '-o' / '--out': Directory '{T}/afile' is a file (see 'jazzgen prepare --help')",
        ),
        (["prepare", str(EXAMPLES), "-o", "{T}/out", "--jobs", "0"], 2, "--jobs 0: give at least 1"),
    ],
    "inspect": [
        (["inspect", "{T}/nope.mid"], 2, "{T}/nope.mid: no such file"),
        (
            ["inspect", "{T}/empty"],
            2,
            "{T}/empty: is a folder; inspect reads one file (prepare reads folders)",
        ),
        (["inspect", "{T}/notes.mid"], 1, "{T}/notes.mid: is a text file, not MIDI (it starts 'hello')"),
        (
            ["inspect", "{T}/afile"],
            1,
            "{T}/afile: not a MIDI (.mid .midi .kar), MusicXML (.musicxml .xml .mxl), Impro-Visor "
            "leadsheet (.ls) or Weimar Jazz Database melody file (mcsv_melody/*_FINAL.csv)",
        ),
        (
            ["inspect", str(EXAMPLES / "blues_in_f.mid"), "--melody-track", "7"],
            2,
            "melody track 7 is not in the file; its tracks with notes are: 1 'Melody', 2 'Comp'",
        ),
    ],
    "train": [
        (
            ["train", "{T}/nope", "-o", "{T}/m"],
            2,
            "{T}/nope: no such folder; make one with `jazzgen prepare SOURCES -o {T}/nope`",
        ),
        (
            ["train", "{T}/empty", "-o", "{T}/m"],
            2,
            "{T}/empty: no tokens.jsonl; prepare it first with `jazzgen prepare SOURCES -o {T}/empty`",
        ),
        (
            ["train", "{T}/corpus", "-o", "{T}/afile/m"],
            2,
            "cannot write {T}/afile/m: {T}/afile is a file, not a folder; choose a writable folder",
        ),
        (
            ["train", "{T}/corpus", "-o", "{T}/afile"],
            2,
            "cannot write {T}/afile: it is a file; give a folder name",
        ),
        (["train", "{T}/corpus", "-o", "{T}/m", "--layers", "0"], 2, "--layers 0: give 1 to 8"),
        (
            ["train", "{T}/corpus", "-o", "{T}/m", "--dropout", "1"],
            2,
            "--dropout 1.0: give a fraction in [0, 1)",
        ),
        (
            ["train", "{T}/corpus", "-o", "{T}/m", "--epochs", "x"],
            2,
            "Invalid value for '--epochs': 'x' is not a valid integer (see 'jazzgen train --help')",
        ),
        (
            ["train", "{T}/corpus", "-o", "{T}/m", "--resume"],
            2,
            "--resume: no checkpoint in {T}/m.run; start the run without --resume",
        ),
    ],
    "evaluate": [
        (
            ["evaluate", "-m", "{T}/nope", str(EXAMPLES)],
            2,
            "{T}/nope: no model bundle here (no config.json); train one with `jazzgen train`",
        ),
        (["evaluate", "-m", "{T}/jazz"], 2, "Missing argument 'SOURCES...' (see 'jazzgen evaluate --help')"),
        (["evaluate", "-m", "{T}/jazz", "{T}/nope"], 2, "{T}/nope: no such file or folder"),
        (["evaluate", "-m", "{T}/jazz", "{T}/empty"], 1, "no solos found in {T}/empty"),
        (
            ["evaluate", "-m", "{T}/words", str(EXAMPLES)],
            2,
            "{T}/words is a text model; use `jazzgen text evaluate`",
        ),
    ],
    "critic": [
        (
            ["critic", "--corpus", "{T}/corpus"],
            2,
            "Missing option '-m' / '--model' (see 'jazzgen critic --help')",
        ),
        (
            ["critic", "-m", "{T}/jazz", "--corpus", "{T}/empty"],
            2,
            "--corpus {T}/empty: not a prepared corpus (no tokens.jsonl); give the folder the model was trained on",
        ),
        (
            ["critic", "-m", "{T}/words", "--corpus", "{T}/corpus"],
            2,
            "{T}/words: a text model; use `jazzgen text sample -m {T}/words` for it",
        ),
        (
            ["critic", "-m", "{T}/jazz", "--corpus", "{T}/corpus", "-n", "5"],
            2,
            "-n 5: give 10 to 5000 progressions",
        ),
    ],
    "generate": [
        (
            ["generate", "-m", "{T}/jazz", "--best-of", "4"],
            2,
            "--best-of 4: {T}/jazz has no critic to choose with (critic.json); fit one with "
            "`jazzgen critic -m {T}/jazz --corpus CORPUS`, or leave out --best-of",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--choose-every", "4"],
            2,
            "--choose-every 4: give a multiple of 8 bars (the critic judges 8-bar windows), "
            "or 0 to choose once among whole takes",
        ),
        (
            ["generate", "-m", "{T}/nope"],
            2,
            "{T}/nope: no model bundle here (no config.json); train one with `jazzgen train`",
        ),
        (
            ["generate", "-m", "{T}/words"],
            2,
            "{T}/words: a text model; use `jazzgen text sample -m {T}/words` for it",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--changes", "| H7 |"],
            2,
            "--changes '| H7 |': bar 1: 'H7' is not a chord symbol jazzgen reads (cannot read chord symbol"
            " 'H7': it should start with a root A-G); write it like Cmaj7, Dm7, G7b9, F#m7b5, Bbdim7, Eb7sus4"
            " or C/E",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--changes", "| % | C7 |"],
            2,
            "--changes '| % | C7 |': '%' in the first bar has no bar to repeat",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--changes", "| |"],
            2,
            "--changes '| |': the changes hold no bars: write them like '| Dm7 G7 | Cmaj7 | % |'",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--changes-file", "{T}/nope.txt"],
            2,
            "--changes-file {T}/nope.txt: cannot read it (No such file or directory)",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--temperature", "0"],
            2,
            "--temperature 0.0: give a value from 0.01 to 10 (1.0 samples the model as trained)",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--temperature", "11"],
            2,
            "--temperature 11.0: give a value from 0.01 to 10 (1.0 samples the model as trained)",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--temperature", "hot"],
            2,
            "Invalid value for '--temperature': 'hot' is not a valid float (see 'jazzgen generate --help')",
        ),
        (["generate", "-m", "{T}/jazz", "--top-p", "0"], 2, "--top-p 0.0: give a probability in (0, 1]"),
        (["generate", "-m", "{T}/jazz", "--top-p", "1.5"], 2, "--top-p 1.5: give a probability in (0, 1]"),
        (
            ["generate", "-m", "{T}/jazz", "--top-k", "-1"],
            2,
            "--top-k -1: give 0 (no limit) or a positive count",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--tune", "stella"],
            2,
            "--tune stella: unknown; choose one of autumn, bird-blues, blues, coltrane, ii-v-i, minor-blues, "
            "minor-ii-v-i, modal, rhythm, waltz",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--instrument", "kazoo"],
            2,
            "unknown instrument 'kazoo': give a General MIDI name such as 'tenor sax', 'alto sax', 'trumpet', "
            "'trombone', 'vibraphone', 'electric guitar (jazz)', or a program number 0-127",
        ),
        (["generate", "-m", "{T}/jazz", "--key", "H"], 2, "--key H: give a key such as C, Eb, F#, Bbm"),
        (["generate", "-m", "{T}/jazz", "--choruses", "0"], 2, "--choruses 0: give at least 1"),
        (
            ["generate", "-m", "{T}/jazz", "--bars", "1000000"],
            2,
            "83334 times through a 12-bar form is 1,000,008 bars; jazzgen improvises over up to 10,000: give "
            "fewer --choruses or --bars",
        ),
        (["generate", "-m", "{T}/jazz", "--tempo", "0"], 2, "--tempo 0.0: give 20 to 400 beats per minute"),
        (
            ["generate", "-m", "{T}/jazz", "--max-tokens", "0"],
            2,
            "--max-tokens 0: give at least 1 (the default is 20000)",
        ),
        (["generate", "-m", "{T}/jazz", "-n", "0"], 2, "-n 0: give 1 to 1000 variations"),
        (["generate", "-m", "{T}/jazz", "-o", "{T}/solo.wav"], 2, "-o {T}/solo.wav: give a .mid file name"),
        (
            ["generate", "-m", "{T}/jazz", "-o", "{T}/afile/solo.mid"],
            2,
            "cannot write {T}/afile/solo.mid: {T}/afile is a file, not a folder; choose a writable folder",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--outdir", "{T}/afile"],
            2,
            "Invalid value for '--outdir': Directory '{T}/afile' is a file (see 'jazzgen generate --help')",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--primer", "{T}/nope.mid"],
            2,
            "--primer {T}/nope.mid: no such file",
        ),
        (
            ["generate", "-m", "{T}/jazz", "--primer", "{T}/notes.mid"],
            1,
            "{T}/notes.mid: is a text file, not MIDI (it starts 'hello')",
        ),
    ],
    "sweep": [
        (
            ["sweep", "{T}/nope", "-o", "{T}/s"],
            2,
            "{T}/nope: no such folder; make one with `jazzgen prepare SOURCES -o {T}/nope`",
        ),
        (
            ["sweep", "{T}/corpus", "-o", "{T}/afile"],
            2,
            "cannot write {T}/afile: it is a file; give a folder name",
        ),
        (["sweep", "{T}/corpus", "-o", "{T}/s", "--units", "0"], 2, "--units 0: give 1 to 8192"),
    ],
    "text train": [
        (["text", "train", "{T}/nope.txt", "-o", "{T}/t"], 2, "{T}/nope.txt: no such text file"),
        (["text", "train", "{T}/blank.txt", "-o", "{T}/t"], 1, "{T}/blank.txt: the file is empty"),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/afile/t"],
            2,
            "cannot write {T}/afile/t: {T}/afile is a file, not a folder; choose a writable folder",
        ),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/t", "--vocab-size", "3"],
            2,
            "--vocab-size applies to --level word only; drop it for characters",
        ),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/t", "--level", "byte"],
            2,
            "Invalid value for '--level': 'byte' is not one of 'char', 'word' "
            "(see 'jazzgen text train --help')",
        ),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/t", "--notice", "{T}/nope.md"],
            2,
            "--notice {T}/nope.md: cannot read it (No such file or directory); give a UTF-8 text file",
        ),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/t", "--carry-state", "--lines"],
            2,
            "--carry-state is for running text: with --lines each line starts afresh",
        ),
        (
            ["text", "train", "{T}/abc.txt", "-o", "{T}/t", "--carry-state", "--init", "{T}/words"],
            2,
            "--carry-state trains a model from scratch; leave out --init",
        ),
    ],
    "text evaluate": [
        (
            ["text", "evaluate", "-m", "{T}/nope", "{T}/abc.txt"],
            2,
            "{T}/nope: no model bundle here (no config.json); train one with `jazzgen train`",
        ),
        (["text", "evaluate", "-m", "{T}/words", "{T}/nope.txt"], 2, "{T}/nope.txt: no such text file"),
        (
            ["text", "evaluate", "-m", "{T}/jazz", "{T}/abc.txt"],
            2,
            "{T}/jazz is a jazz model; use `jazzgen evaluate`",
        ),
    ],
    "text sample": [
        (
            ["text", "sample", "-m", "{T}/nope"],
            2,
            "{T}/nope: no model bundle here (no config.json); train one with `jazzgen train`",
        ),
        (
            ["text", "sample", "-m", "{T}/jazz"],
            2,
            "{T}/jazz: a jazz model; use `jazzgen generate -m {T}/jazz` for it",
        ),
        (
            ["text", "sample", "-m", "{T}/words", "--temperature", "0"],
            2,
            "--temperature 0.0: give a value from 0.01 to 10 (1.0 samples the model as trained)",
        ),
        (
            ["text", "sample", "-m", "{T}/words", "--top-p", "2"],
            2,
            "--top-p 2.0: give a probability in (0, 1]",
        ),
        (
            ["text", "sample", "-m", "{T}/words", "--prime", "xyz"],
            2,
            "--prime: 'x' is not in the model's vocabulary",
        ),
        (
            ["text", "sample", "-m", "{T}/words", "-n", "0"],
            2,
            "-n must be 1 to 10000 and --max-len at least 1",
        ),
    ],
    "jazzgen": [
        (["compose"], 2, "No such command 'compose' (see 'jazzgen --help')"),
        (["text", "write"], 2, "No such command 'write' (see 'jazzgen text --help')"),
        (["--verbose"], 2, "No such option '--verbose'. Did you mean '--version'? (see 'jazzgen --help')"),
    ],
}


@pytest.mark.parametrize(
    "args, code, message",
    [case for cases in CASES.values() for case in cases],
    ids=[f"{name}-{i}" for name, cases in CASES.items() for i in range(len(cases))],
)
def test_each_error_is_one_line_with_its_exit_code(place, args, code, message):
    assert run(place, *args) == one_line(code, message)


def test_every_command_is_covered():
    covered = {word for name in CASES for word in name.split()}
    commands = set(cli.commands) - {"quality"} | set(cli.commands["text"].commands)
    assert commands <= covered, commands - covered


def test_a_read_only_output_folder(place, monkeypatch):
    (place / "locked").mkdir(exist_ok=True)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).name != "locked" and real_access(p, mode))
    assert run(place, "prepare", str(EXAMPLES), "-o", "{T}/locked/corpus") == one_line(
        2, "cannot write {T}/locked/corpus: {T}/locked is not writable; choose a writable folder"
    )
    assert run(place, "generate", "-m", "{T}/jazz", "-o", "{T}/locked/solo.mid") == one_line(
        2, "cannot write {T}/locked/solo.mid: {T}/locked is not writable; choose a writable folder"
    )


def test_a_bug_is_one_line_and_debug_shows_its_traceback(place, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("jazzgen.tokens.inspection.describe", broken)
    path = str(EXAMPLES / "blues_in_f.mid")
    assert run(place, "inspect", path) == one_line(
        1, "internal error (RuntimeError: boom); run again with --debug and report it"
    )
    code, output = run(place, "--debug", "inspect", path)
    assert code == 1 and "Traceback (most recent call last)" in output and "RuntimeError: boom" in output
    assert output.endswith(
        "jazzgen: error: internal error (RuntimeError: boom); run again with --debug and report it\n"
    )


def test_debug_shows_the_traceback_of_a_jazzgen_error(place):
    code, output = run(place, "--debug", "generate", "-m", "{T}/nope")
    assert code == 2 and "Traceback (most recent call last)" in output
    last = "jazzgen: error: {T}/nope: no model bundle here (no config.json); train one with `jazzgen train`"
    assert output.splitlines()[-1] == last
