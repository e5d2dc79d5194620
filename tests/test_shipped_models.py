"""The bundles shipped in trained/ load on a CPU-only machine without TensorFlow and make music."""

from pathlib import Path

import pytest

from jazzgen.bundle import load_bundle_meta
from jazzgen.generate import generate
from jazzgen.metrics import is_monophonic

TRAINED = Path(__file__).resolve().parents[1] / "trained"


def test_the_shipped_jazz_model_improvises_a_chorus_of_blues():
    if not (TRAINED / "jazz" / "config.json").is_file():
        pytest.fail("trained/jazz is missing: the repository ships it")
    meta = load_bundle_meta(TRAINED / "jazz")
    assert meta.config.tokenizer.kind == "values"
    assert sum(f.stat().st_size for f in (TRAINED / "jazz").rglob("*") if f.is_file()) < 30 * 2**20
    solo = generate(TRAINED / "jazz", tune="blues", seed=1)
    assert solo.bars == 12 and 24 <= len(solo.notes) <= 200
    assert is_monophonic(solo)
    assert "ODbL" in (TRAINED / "jazz" / "README.md").read_text(encoding="utf-8")


def test_the_shipped_dinosaur_model_samples_one_new_name_a_line():
    from jazzgen.sampling import SamplingConfig
    from jazzgen.text_sample import sample_text

    meta = load_bundle_meta(TRAINED / "dinos")
    assert meta.config.tokenizer.kind == "text" and meta.config.tokenizer.lines
    names = sample_text(TRAINED / "dinos", n=20, max_len=60, sampling=SamplingConfig(seed=1))
    assert len(names) == 20 and all(name and "\n" not in name for name in names)
    assert len(set(names)) >= 18
