"""The language model: Embedding -> N stacked recurrent layers -> Dense logits. Knows nothing of music.

Only stock Keras layers (no Lambda, nothing pickled), so a saved model loads with
`keras.saving.load_model(path, safe_mode=True)`. Layer names are fixed ('embedding', 'recurrent_1'
.. 'recurrent_N', 'logits') so bundle.py can export the weights under plain names.
"""

from __future__ import annotations

import os

from jazzgen.lm.config import ModelConfig

EMBEDDING, LOGITS = "embedding", "logits"


def load_tensorflow_quietly() -> None:
    """Import TensorFlow without its start-up notes (oneDNN, CPU features, absl's logging): they
    are not for jazzgen's users, and TF_CPP_MIN_LOG_LEVEL no longer silences all of them, so the
    import runs with the process's stderr pointed at /dev/null. An import error is still raised,
    and reported, after stderr is back."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def recurrent_name(index: int) -> str:
    """Name of the index-th recurrent layer, counting from 1."""
    return f"recurrent_{index}"


def build_model(config: ModelConfig):
    """A keras.Model from ids (batch, time) int32 to logits (batch, time, vocab_size) float32.

    Padding id 0 is an ordinary input here: the trainer masks it out of the loss instead, which
    keeps the recurrent layers on their fast path.
    """
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (batch, time)
    x = keras.layers.Embedding(config.vocab_size, config.embedding, name=EMBEDDING)(ids)
    for index in range(1, config.layers + 1):
        x = _recurrent_layer(config, recurrent_name(index))(x)  # (batch, time, units)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{index}")(x)
    logits = keras.layers.Dense(config.vocab_size, name=LOGITS)(x)  # (batch, time, vocab)
    return keras.Model(ids, logits, name=f"{config.cell}_lm")


def _recurrent_layer(config: ModelConfig, name: str):
    import keras

    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[config.cell]
    return layer(config.units, return_sequences=True, recurrent_dropout=config.recurrent_dropout, name=name)


def describe_layers(model) -> list[tuple[str, str, int]]:
    """(name, class name, units or output size) of each weighted layer, in order: what a bundle
    compares with its config."""
    out = []
    for layer in model.layers:
        if not layer.weights:
            continue
        size = getattr(layer, "units", None) or getattr(layer, "output_dim", None) or 0
        out.append((layer.name, type(layer).__name__, int(size)))
    return out
