"""The project's own example lead sheets in data/midi: well-formed, and what make_examples.py writes."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import mido
import pytest

from jazzgen.formats.render import SCALE, write_midi

DATA = Path(__file__).resolve().parents[1] / "data"


def load_make_examples():
    spec = importlib.util.spec_from_file_location("make_examples", DATA / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_examples"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


make_examples = load_make_examples()


@pytest.mark.parametrize("example", make_examples.EXAMPLES, ids=lambda e: e.file_name)
def test_committed_file_is_what_the_script_writes(example):
    buffer = io.BytesIO()
    write_midi(make_examples.example_solo(example), buffer, instrument=example.instrument, chord_markers=True)
    assert (DATA / "midi" / example.file_name).read_bytes() == buffer.getvalue()


@pytest.mark.parametrize("example", make_examples.EXAMPLES, ids=lambda e: e.file_name)
def test_example_has_melody_comp_and_chord_markers(example):
    solo = make_examples.example_solo(example)
    midi = mido.MidiFile(DATA / "midi" / example.file_name)
    assert [t.name for t in midi.tracks[1:]] == ["Melody", "Comp"]
    now, markers = 0, []
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker":
            markers.append((now // SCALE, message.text))
    assert markers == [(c.onset, c.symbol) for c in solo.chords]
    assert midi.length == pytest.approx(solo.bars * example.beats_per_bar * 60 / example.tempo, abs=1e-3)


def test_a_bar_that_does_not_add_up_is_refused():
    broken = make_examples.Example("x.mid", "x", "| C6 |", ("C5:12 D5:12",))
    with pytest.raises(ValueError, match="bar 1 lasts 24 ticks, not 48"):
        make_examples.example_solo(broken)
