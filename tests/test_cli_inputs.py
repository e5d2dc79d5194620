"""What a user types or points the CLI at is bounded and answered in one line: primers, long
inputs in messages, output piped into a program that stops reading."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import jazzgen.improv.generation as generating
from jazzgen.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), prog_name="jazzgen")
    return result.exit_code, result.output


def test_a_primer_too_long_to_improvise_after_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(generating, "MAX_BARS", 20)
    primer = tmp_path / "primer.txt"
    primer.write_text("<solo> M4/4 key:F reg:65 | R+0 Q7 g0 C+0 d12 " + "| " * 29 + "<end>")
    code, output = run("generate", "--primer", str(primer), "-o", str(tmp_path / "x.mid"))
    assert (code, output) == (
        2,
        "jazzgen: error: the primer's 30 bars and the 12 to improvise make 42; jazzgen "
        "improvises over up to 20: give a shorter --primer or fewer bars\n",
    )
    assert not (tmp_path / "x.mid").exists()


def test_a_primer_that_is_not_text(tmp_path):
    primer = tmp_path / "primer.txt"
    primer.write_bytes(b"<solo> \xff\xfe")
    code, output = run("generate", "--primer", str(primer))
    assert (code, output) == (
        2,
        f"jazzgen: error: --primer {primer}: not UTF-8 text (byte 7); give a file of "
        "value tokens or a MIDI file\n",
    )


def test_a_huge_chord_symbol_is_cut_in_the_message():
    code, output = run("generate", "--changes", "| C" + "q" * 100_000 + " |")
    assert code == 2 and output.count("\n") == 1 and len(output) < 2300
    assert "internal error" not in output


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    # `true` has closed the pipe long before jazzgen, a second later, writes into it
    errors = tmp_path / "stderr.txt"
    command = f"{sys.executable} -m jazzgen generate --list-tunes 2>{errors} | true; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout == "1\n" and errors.read_text() == ""
