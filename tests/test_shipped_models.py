"""The bundles shipped in trained/ load on a CPU-only machine without TensorFlow and make music."""

from pathlib import Path

import pytest

from jazzgen.improv.generation import generate
from jazzgen.judge.metrics import is_monophonic
from jazzgen.lm.bundle import load_bundle_meta

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
    from jazzgen.improv.text_sample import sample_text
    from jazzgen.lm.sampling import SamplingConfig

    meta = load_bundle_meta(TRAINED / "dinos")
    assert meta.config.tokenizer.kind == "text" and meta.config.tokenizer.lines
    names = sample_text(TRAINED / "dinos", n=20, max_len=60, sampling=SamplingConfig(seed=1))
    assert len(names) == 20 and all(name and "\n" not in name for name in names)
    assert len(set(names)) >= 18


SONNET = (
    "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n"
)


def test_the_shipped_shakespeare_model_knows_verse_it_never_saw():
    """Sonnet 18 is not in the plays it was trained on; a model that had learnt nothing would score
    log(65) = 4.17 nats a character, character frequencies alone about 3.3."""
    import numpy as np

    from jazzgen.improv.text_sample import sample_text
    from jazzgen.lm.numpy_lm import NumpyLM
    from jazzgen.lm.sampling import SamplingConfig
    from jazzgen.tokens.text import encode_text, tokenize

    bundle = TRAINED / "shakespeare"
    meta = load_bundle_meta(bundle)
    assert meta.config.tokenizer.kind == "text" and meta.config.tokenizer.level == "char"
    assert sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file()) < 30 * 2**20
    ids = encode_text(tokenize(SONNET, meta.config.tokenizer), meta.vocab, meta.config.tokenizer)
    logits = NumpyLM.load(bundle, meta).run(ids[None, :-1])[0].astype(np.float64)
    log_probs = (
        logits
        - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
        - logits.max(1, keepdims=True)
    )
    nats = -log_probs[np.arange(len(ids) - 1), ids[1:]].mean()
    assert nats < 2.2, nats

    text = sample_text(
        bundle, n=1, prime="ROMEO:\n", max_len=300, sampling=SamplingConfig(seed=1, temperature=0.8)
    )[0]
    words = text.split()
    assert len(text) >= 250 and len(words) >= 30
    assert sum(w.strip(".,;:!?'").isalpha() for w in words) >= 0.8 * len(words)
