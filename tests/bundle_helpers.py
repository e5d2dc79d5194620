"""Model bundles built without TensorFlow: random weights of the right shapes, for sampler tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jazzgen.lm.bundle import expected_shapes
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.vocab import Vocab


def random_bundle(
    folder: Path,
    vocab: Vocab,
    tokenizer: TokenizerConfig = TokenizerConfig(),
    cell: str = "lstm",
    units: int = 32,
    seed: int = 0,
    scale: float = 0.5,
) -> Path:
    """config.json, vocab.json and weights.npz for a 2-layer model with random weights."""
    config = RunConfig(
        ModelConfig(cell=cell, layers=2, units=units, embedding=16, vocab_size=len(vocab)),
        TrainConfig(),
        tokenizer,
    )
    rng = np.random.default_rng(seed)
    weights = {
        name: rng.normal(0, scale, shape).astype(np.float32)
        for name, shape in expected_shapes(config).items()
    }
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "weights.npz", **weights)
    (folder / "config.json").write_text(config.to_json())
    vocab.save(folder / "vocab.json")
    return folder
