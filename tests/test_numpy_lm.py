"""The NumPy step model against the Keras model it was exported from: same probabilities."""

import numpy as np
import pytest

from jazzgen.lm.bundle import export_weights
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.model import build_model
from jazzgen.lm.numpy_lm import NumpyLM


def softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "cell, layers, dropouts",
    [
        ("lstm", 2, {}),
        ("gru", 2, {}),
        ("rnn", 2, {}),
        ("lstm", 3, {}),
        ("gru", 1, {}),
        ("lstm", 2, {"input_dropout": 0.5, "dropout": 0.3}),  # training-only: sampling ignores them
    ],
)
def test_numpy_probabilities_match_keras(cell, layers, dropouts):
    config = ModelConfig(
        cell=cell, layers=layers, units=32, embedding=16, **{"dropout": 0.0, **dropouts}, vocab_size=50
    )
    model = build_model(config)
    rng = np.random.default_rng(0)
    for weight in model.weights:  # larger-than-initial weights make differences visible
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
    ids = rng.integers(0, 50, size=(5, 40)).astype("int32")
    keras_probs = softmax(np.asarray(model(ids)))
    numpy_lm = NumpyLM(
        export_weights(model, RunConfig(config, TrainConfig(), TokenizerConfig())), cell, layers, 32
    )
    for rows in (5, 3, 1):  # a matrix product from 4 rows, row by row below (numpy_lm._dot)
        numpy_probs = softmax(numpy_lm.run(ids[:rows]))
        assert np.max(np.abs(keras_probs[:rows] - numpy_probs)) < 1e-5
