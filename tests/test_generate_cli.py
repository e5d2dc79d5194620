"""`jazzgen generate` and `jazzgen text sample` from the command line, with tiny random bundles."""

import subprocess
import sys

import mido
import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from test_improvise import corpus_vocab

from jazzgen.cli import cli
from jazzgen.lm.config import TokenizerConfig
from jazzgen.lm.vocab import Vocab
from jazzgen.music.tunes import TUNES, lead_sheet


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def jazz_bundle(tmp_path):
    return random_bundle(tmp_path / "jazz", corpus_vocab(), scale=0.3)


def test_generate_writes_a_midi_file_with_melody_comp_and_bass(tmp_path, jazz_bundle):
    out = tmp_path / "solo.mid"
    result = run(
        "generate",
        "-m",
        jazz_bundle,
        "--changes",
        "| Dm7 G7 | Cmaj7 | % |",
        "--bass",
        "--seed",
        1,
        "--temperature",
        2,
        "-o",
        out,
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    names = [t.name for t in mido.MidiFile(out).tracks]
    assert {"Melody", "Comp", "Bass"} <= set(names)


def test_generate_n_writes_numbered_files(tmp_path, jazz_bundle):
    result = run(
        "generate",
        "-m",
        jazz_bundle,
        "--tune",
        "minor-blues",
        "-n",
        3,
        "--outdir",
        tmp_path / "takes",
        "--seed",
        2,
        "--no-comp",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "takes").iterdir()) == [
        "solo_001.mid",
        "solo_002.mid",
        "solo_003.mid",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--changes", "| H7 |"], "cannot read chord symbol 'H7'"),
        (["--temperature", "-1"], "--temperature -1.0"),
        (["--rhythm-temperature", "0"], "--rhythm-temperature 0.0"),
        (["--top-p", "0"], "--top-p 0.0"),
        (["--echo", "1"], "--echo 1.0: give a weight from 0"),
        (["--tune", "nope"], "--tune nope: unknown; choose one of"),
        (["--instrument", "kazoo"], "kazoo"),
        (["--swing", "0.9"], "--swing 0.9"),
        (["-o", "solo.txt"], "-o solo.txt: give a .mid file name"),
    ],
)
def test_generate_usage_errors_are_one_line(jazz_bundle, tmp_path, args, message):
    result = run("generate", "-m", jazz_bundle, *args)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert result.output.startswith("jazzgen: error: ") and result.output.count("\n") == 1


def test_generate_and_quality_help_give_the_rhythm_temperature_default():
    from jazzgen.improv.generation import RHYTHM_TEMPERATURE, TOLD_RHYTHM_TEMPERATURE

    text = " ".join(run("generate", "--help").output.split())
    assert f"[default: {TOLD_RHYTHM_TEMPERATURE}; {RHYTHM_TEMPERATURE} for a model of the gaps scheme" in text
    assert "[default: the model's, as generate]" in " ".join(run("quality", "--help").output.split())


def test_generate_help_gives_the_echo_default():
    from jazzgen.improv.generation import ECHO

    assert f"[default: {ECHO}]" in " ".join(run("generate", "--help").output.split())


def test_the_default_rhythm_temperature_follows_the_models_scheme():
    from jazzgen.improv.generation import (
        RHYTHM_TEMPERATURE,
        TOLD_RHYTHM_TEMPERATURE,
        default_rhythm_temperature,
    )
    from jazzgen.lm.vocab import Vocab

    assert default_rhythm_temperature(Vocab(("<pad>", "<unk>", "g6", "C+0", "d6"))) == RHYTHM_TEMPERATURE
    assert (
        default_rhythm_temperature(Vocab(("<pad>", "<unk>", "g6", "^6", "C+0", "d6")))
        == TOLD_RHYTHM_TEMPERATURE
    )


def test_generate_without_a_model_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", "-m", tmp_path / "missing")
    assert result.exit_code == 2 and "no model bundle here" in result.output


def test_list_tunes_names_every_tune():
    result = run("generate", "--list-tunes")
    assert all(name in result.output for name in TUNES)


def test_tunes_transpose_repeat_and_cut():
    sheet = lead_sheet(tune="blues", key="Bb", choruses=2, bars=14)
    assert sheet.bars == 14 and sheet.chords[0].symbol == "Bb7" and sheet.chords[1].symbol == "Eb7"
    waltz = lead_sheet(tune="waltz")
    assert waltz.meter[0].name == "3/4" and waltz.bars == 16


def test_text_sample_prints_one_sample_per_line(tmp_path):
    names = ["Tyrannosaurus", "Triceratops", "Stegosaurus"]
    tokens = [c for name in names for c in (*name, "<EOS>")]
    vocab = Vocab.build([tokens])
    settings = TokenizerConfig(kind="text", level="char", lines=True, start_token="<EOS>", end_token="<EOS>")
    bundle = random_bundle(tmp_path / "dinos", vocab, tokenizer=settings)
    result = run("text", "sample", "-m", bundle, "-n", 5, "--prime", "Ty", "--max-len", 20, "--seed", 1)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 and all(line.startswith("Ty") for line in lines)
    again = run("text", "sample", "-m", bundle, "-n", 5, "--prime", "Ty", "--max-len", 20, "--seed", 1)
    assert again.output == result.output


def test_generation_never_imports_tensorflow(tmp_path, jazz_bundle):
    code = (
        "import sys; from jazzgen.cli import cli\n"
        f"cli(['generate', '-m', r'{jazz_bundle}', '--seed', '1', '-o', r'{tmp_path / 'x.mid'}'], standalone_mode=False)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_generate_continues_a_primer_from_a_values_file_or_a_midi_file(tmp_path, jazz_bundle):
    from helpers import make_solo

    from jazzgen.formats.render import write_midi
    from jazzgen.tokens.values import encode

    primer = make_solo([(62, 0, 12), (65, 12, 12), (69, 24, 24), (67, 48, 48)], "| Dm7 | G7 |")
    (tmp_path / "primer.values").write_text(" ".join(encode(primer)))
    write_midi(primer, tmp_path / "primer.mid", chord_markers=True)
    for source in ("primer.values", "primer.mid"):
        out = tmp_path / f"from_{source}.mid"
        result = run(
            "generate",
            "-m",
            jazz_bundle,
            "--primer",
            tmp_path / source,
            "--changes",
            "| Cmaj7 |",
            "--seed",
            1,
            "-o",
            out,
            "--no-comp",
        )
        assert result.exit_code == 0, result.output
        assert "over 3 bars" in result.output


def test_generate_reads_changes_from_a_file(tmp_path, jazz_bundle):
    (tmp_path / "tune.chords").write_text("| Cm7 | F7 |\n| Bbmaj7 | % |\n")
    result = run(
        "generate", "-m", jazz_bundle, "--changes-file", tmp_path / "tune.chords", "-o", tmp_path / "t.mid"
    )
    assert result.exit_code == 0 and "over 4 bars" in result.output


def test_generate_with_no_options_uses_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("generate", "--seed", 1)
    assert result.exit_code == 0, result.output
    assert "wrote solo.mid" in result.output and "over 12 bars" in result.output
    assert (tmp_path / "solo.mid").is_file()
