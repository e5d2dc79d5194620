"""Time and peak memory of jazzgen refusing (or reading) each hostile input of docs/RELIABILITY.md.

Builds every input at full size in a temporary folder, runs the jazzgen command a user would run
on it in a subprocess under /usr/bin/time, and prints its wall time, peak resident memory, exit
code and the first line it printed. Each command is killed after --timeout seconds.

    .venv/bin/python bench/hostile_inputs.py [--timeout 120] [name ...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import mido
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
JAZZGEN = [sys.executable, "-m", "jazzgen"]
EXAMPLE = ROOT / "data" / "midi" / "blues_in_f.mid"
DINOS = ROOT / "trained" / "dinos"


def midi_far_chord_mark(folder: Path) -> list[str]:
    """118 bytes: 1 tick a beat, 'Dm7' at tick 0 and 'G7' 2**28 ticks later, 8 notes."""
    midi = mido.MidiFile(ticks_per_beat=1)
    track = mido.MidiTrack(
        [mido.MetaMessage("text", text="Dm7"), mido.MetaMessage("text", text="G7", time=2**28)]
    )
    notes = mido.MidiTrack()
    for pitch in range(60, 68):
        notes += [
            mido.Message("note_on", note=pitch, velocity=90),
            mido.Message("note_off", note=pitch, time=1),
        ]
    midi.tracks += [track, notes]
    midi.save(folder / "far.mid")
    return [*JAZZGEN, "inspect", str(folder / "far.mid")]


MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Sax</part-name></score-part></part-list>
<part id="P1">{measures}</part></score-partwise>"""
MEASURE = (
    '<measure number="{n}">{attributes}<harmony><root><root-step>D</root-step></root><kind>minor-seventh</kind>'
    "</harmony><note><pitch><step>F</step><octave>4</octave></pitch><duration>{length}</duration>"
    "<type>whole</type></note></measure>"
)
ATTRIBUTES = (
    "<attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>"
)


def musicxml_long_note(folder: Path) -> list[str]:
    """600 bytes: one note 400,000,000 divisions long."""
    text = MUSICXML.format(measures=MEASURE.format(n=1, attributes=ATTRIBUTES, length=400_000_000))
    (folder / "long.musicxml").write_text(text)
    return [*JAZZGEN, "inspect", str(folder / "long.musicxml")]


def musicxml_forward(folder: Path) -> list[str]:
    """A <forward> of 400,000,000 divisions before the note."""
    measure = MEASURE.format(n=1, attributes=ATTRIBUTES, length=4).replace(
        "<note>", "<forward><duration>400000000</duration></forward><note>"
    )
    (folder / "forward.musicxml").write_text(MUSICXML.format(measures=measure))
    return [*JAZZGEN, "inspect", str(folder / "forward.musicxml")]


def musicxml_many_measures(folder: Path) -> list[str]:
    """A valid lead sheet of 20,000 measures (about 10 MB)."""
    measures = [
        MEASURE.format(n=n + 1, attributes=ATTRIBUTES if n == 0 else "", length=4) for n in range(20_000)
    ]
    (folder / "long_form.musicxml").write_text(MUSICXML.format(measures="".join(measures)))
    return [*JAZZGEN, "inspect", str(folder / "long_form.musicxml")]


def mxl_bomb(folder: Path) -> list[str]:
    """A 2 MB .mxl whose score inflates to 2 GiB."""
    head = MUSICXML.format(measures=MEASURE.format(n=1, attributes=ATTRIBUTES, length=4)).encode()
    path = folder / "bomb.mxl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles></container>',
        )
        with archive.open("score.xml", "w", force_zip64=True) as member:
            member.write(head)
            block = b" " * 2**24
            for _ in range(128):
                member.write(block)
    return [*JAZZGEN, "inspect", str(path)]


def wjazzd_far_bar(folder: Path) -> list[str]:
    """A beat track with one row in bar 100,000,000."""
    melody, beats = folder / "mcsv_melody", folder / "mcsv_beat"
    melody.mkdir()
    beats.mkdir()
    (melody / "X_FINAL.csv").write_text(
        "onset,duration,period,division,bar,beat,tatum,pitch\n0.0,0.4,1,1,1,1,1,60\n0.5,0.4,1,1,1,2,1,62\n"
    )
    rows = [f"{0.5 * i},1,{i + 1},'4/4',C7" for i in range(4)] + ["99.0,100000000,1,'4/4',C7"]
    (beats / "X_FINAL_beattrack.csv").write_text("onset,bar,beat,signature,chord\n" + "\n".join(rows) + "\n")
    return [*JAZZGEN, "inspect", str(melody / "X_FINAL.csv")]


def sidecar_bars(folder: Path) -> list[str]:
    """A .chords sidecar of 10**6 bars (8 MB) beside a small MIDI file."""
    shutil.copy(EXAMPLE, folder / "solo.mid")
    (folder / "solo.chords").write_text("| Dm7 G7 |\n" * 10**6)
    return [*JAZZGEN, "inspect", str(folder / "solo.mid")]


def sidecar_one_line(folder: Path) -> list[str]:
    """900 KB of '| Dm7 G7 ' in one line."""
    shutil.copy(EXAMPLE, folder / "solo.mid")
    (folder / "solo.chords").write_text("| Dm7 G7 " * 100_000)
    return [*JAZZGEN, "inspect", str(folder / "solo.mid")]


def changes_file_repeats(folder: Path) -> list[str]:
    """--changes-file of 10**6 '%' bars."""
    (folder / "changes.txt").write_text("| Dm7 | " + "% | " * 10**6)
    return [*JAZZGEN, "generate", "--changes-file", str(folder / "changes.txt"), "-o", str(folder / "x.mid")]


def primer_bars(folder: Path) -> list[str]:
    """--primer of 50,000 bars of value tokens."""
    (folder / "primer.txt").write_text(
        "<solo> M4/4 key:F reg:65 | R+0 Q7 g0 C+0 d12 " + "| " * 50_000 + "<end>"
    )
    return [*JAZZGEN, "generate", "--primer", str(folder / "primer.txt"), "-o", str(folder / "x.mid")]


def _bundle(folder: Path) -> Path:
    bundle = folder / "dinos"
    shutil.copytree(DINOS, bundle)
    return bundle


def weights_bomb(folder: Path) -> list[str]:
    """weights.npz with one array followed by 2 GiB of zeros, deflated to 2 MB."""
    bundle = _bundle(folder)
    with np.load(bundle / "weights.npz") as data:
        weights = {name: data[name] for name in data.files}
    with zipfile.ZipFile(bundle / "weights.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in weights.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array)
                if name == "embedding":
                    for _ in range(128):
                        member.write(bytes(2**24))
    return [*JAZZGEN, "text", "sample", "-m", str(bundle), "-n", "1"]


def keras_config_bomb(folder: Path) -> list[str]:
    """model.keras whose config.json inflates to 2 GiB."""
    bundle = _bundle(folder)
    with zipfile.ZipFile(DINOS / "model.keras") as original:
        members = {info.filename: original.read(info) for info in original.infolist()}
    with zipfile.ZipFile(bundle / "model.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name != "config.json":
                archive.writestr(name, data)
        with archive.open("config.json", "w", force_zip64=True) as member:
            member.write(members["config.json"][:-1])
            for _ in range(128):
                member.write(b" " * 2**24)
            member.write(b"}")
    (folder / "names.txt").write_text("Tyrannosaurus\n")
    return [*JAZZGEN, "text", "evaluate", "-m", str(bundle), str(folder / "names.txt")]


def vocab_dev_zero(folder: Path) -> list[str]:
    bundle = _bundle(folder)
    (bundle / "vocab.json").unlink()
    (bundle / "vocab.json").symlink_to("/dev/zero")
    return [*JAZZGEN, "text", "sample", "-m", str(bundle)]


def vocab_fifo(folder: Path) -> list[str]:
    bundle = _bundle(folder)
    (bundle / "vocab.json").unlink()
    os.mkfifo(bundle / "vocab.json")
    return [*JAZZGEN, "text", "sample", "-m", str(bundle)]


def jobs_1000(folder: Path) -> list[str]:
    sources = folder / "solos"
    shutil.copytree(ROOT / "data" / "midi", sources)
    return [*JAZZGEN, "prepare", str(sources), "-o", str(folder / "corpus"), "--jobs", "1000"]


CASES = {
    f.__name__: f
    for f in (
        midi_far_chord_mark,
        musicxml_long_note,
        musicxml_forward,
        wjazzd_far_bar,
        sidecar_bars,
        sidecar_one_line,
        mxl_bomb,
        musicxml_many_measures,
        weights_bomb,
        keras_config_bomb,
        vocab_dev_zero,
        vocab_fifo,
        jobs_1000,
        changes_file_repeats,
        primer_bars,
    )
}


def measure(command: list[str], timeout: float) -> tuple[str, str, str, str]:
    """(seconds, peak MiB, exit code, first line printed) of a command run under /usr/bin/time."""
    try:
        done = subprocess.run(
            ["/usr/bin/time", "-v", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
    except subprocess.TimeoutExpired:
        return f">{timeout:g}", "-", "killed", "-"
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(x or 0) for x in wall.groups())
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) / 1024
    said = [line for line in (done.stdout + done.stderr).splitlines() if line and not line.startswith("\t")]
    first = said[0] if said else ""
    return f"{hours * 3600 + minutes * 60 + seconds:.2f}", f"{peak:.0f}", str(done.returncode), first[:150]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    print(f"{'case':<22} {'seconds':>8} {'peak MiB':>9} {'exit':>6}  first line")
    for name in args.names or CASES:
        with tempfile.TemporaryDirectory() as tmp:
            command = CASES[name](Path(tmp))
            seconds, peak, code, first = measure(command, args.timeout)
        print(f"{name:<22} {seconds:>8} {peak:>9} {code:>6}  {first}", flush=True)


if __name__ == "__main__":
    main()
