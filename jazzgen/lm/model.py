"""The language model in Keras: Embedding -> N stacked recurrent layers -> Dense logits, built,
and loaded from a bundle. Knows nothing of music. With jazzgen.lm.loop and jazzgen.lm.train, the
part of jazzgen.lm that needs TensorFlow; the rest (what generation uses) never imports it.

Only stock Keras layers (no Lambda, nothing pickled), so a saved model loads with
`keras.saving.load_model(path, safe_mode=True)`. Layer names are fixed ('embedding', 'recurrent_1'
.. 'recurrent_N', 'logits': jazzgen.lm.bundle) so the weights export under plain names.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.files.fileio import clipped, shown
from jazzgen.lm import bundle as bundles  # its size caps, read when used (tests lower them)
from jazzgen.lm.bundle import (
    EMBEDDING,
    LOGITS,
    RESTORE,
    BundleMeta,
    check_archive,
    check_weights,
    expected_shapes,
    export_weights,
    load_bundle_meta,
    recurrent_name,
    summary,
    weights_bytes,
)
from jazzgen.lm.config import ModelConfig, RunConfig

KERAS_CLASSES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
INPUT_DROPOUT = "input_dropout"  # the layer between the embedding and the first recurrent layer


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


def build_model(config: ModelConfig, states: bool = False):
    """A keras.Model from ids (batch, time) int32 to logits (batch, time, vocab_size) float32.

    Padding id 0 is an ordinary input here: the trainer masks it out of the loss instead, which
    keeps the recurrent layers on their fast path. A dropout layer (input_dropout, dropout_K)
    exists only when its rate is above 0, so a model without dropout has the layers it had
    before input dropout was an option. states: the recurrent layers also return their last
    state, which carrying_view needs (the model itself still maps ids to logits).
    """
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (batch, time)
    return keras.Model(ids, _logits(config, ids, states, None)[0], name=f"{config.cell}_lm")


def carrying_view(model, config: ModelConfig):
    """A keras.Model over model's own layers (built with states=True) from [ids, *states] to
    [logits, *states]: each layer starts from the states given and returns those it ends with (h,
    and c for an LSTM, per layer), so a trainer can carry them from one window to the next."""
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    count = config.layers * states_per_layer(config.cell)
    given = [keras.Input(shape=(config.units,), name=f"state_{k}") for k in range(count)]
    logits, ended = _logits(config, ids, True, given, model)
    return keras.Model([ids, *given], [logits, *ended], name=f"{config.cell}_lm_carrying")


def states_per_layer(cell: str) -> int:
    """How many state arrays a layer of the cell carries: h and c for an LSTM, h otherwise."""
    return 2 if cell == "lstm" else 1


def _logits(config: ModelConfig, ids, states: bool, given: list | None, model=None):
    """(logits, last states) of the layer stack over ids, with new layers or model's own; given:
    the initial states (a flat list, layer by layer), None for zeros."""
    import keras

    def layer(make, name: str, *args):
        return model.get_layer(name) if model is not None else make(*args, name=name)

    per_layer = states_per_layer(config.cell)
    x = layer(keras.layers.Embedding, EMBEDDING, config.vocab_size, config.embedding)(ids)  # (b, t, emb)
    if config.input_dropout:
        # Whole embedding channels: one mask per window, held at every step (noise shape
        # (batch, 1, emb); the variational dropout of Gal and Ghahramani 2016, as Keras' RNN
        # `dropout=` masks its inputs). Plain Dropout draws a new mask each step, and a character
        # model meets each character many times a window, so the layers above can average that
        # noise away; a mask held for the window makes them learn a code that survives it.
        x = layer(keras.layers.SpatialDropout1D, INPUT_DROPOUT, config.input_dropout)(x)
    ended = []
    for index in range(1, config.layers + 1):
        recurrent = layer(_recurrent_layer, recurrent_name(index), config, states)
        start = given[(index - 1) * per_layer : index * per_layer] if given is not None else None
        out = recurrent(x, initial_state=start) if start is not None else recurrent(x)
        x, last = (out[0], list(out[1:])) if states else (out, [])  # x: (batch, time, units)
        ended += last
        if config.dropout:
            x = layer(keras.layers.Dropout, f"dropout_{index}", config.dropout)(x)
    return layer(keras.layers.Dense, LOGITS, config.vocab_size)(x), ended  # (batch, time, vocab)


def _recurrent_layer(config: ModelConfig, states: bool = False, name: str = ""):
    import keras

    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[config.cell]
    return layer(
        config.units,
        return_sequences=True,
        return_state=states,
        recurrent_dropout=config.recurrent_dropout,
        name=name,
    )


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


@dataclass(frozen=True)
class Bundle:
    meta: BundleMeta
    model: object  # keras.Model


def load_bundle(path: str | Path) -> Bundle:
    """The bundle with its Keras model, loaded in safe mode and checked against config and vocab."""
    meta = load_bundle_meta(path)
    model_path = meta.path / "model.keras"
    if not model_path.exists():
        raise DataError(f"{shown(meta.path)}: no model.keras; {RESTORE}")
    _check_keras_file(model_path, meta.config)
    load_tensorflow_quietly()
    import keras

    try:
        model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    except Exception as err:  # Keras raises many kinds for a corrupt or unsafe file
        if "safe_mode" in str(err):
            raise DataError(
                f"{shown(model_path)}: holds code jazzgen will not run; retrain the model, or load a "
                "bundle you trust"
            ) from None
        raise DataError(
            f"{shown(model_path)}: cannot load safely ({type(err).__name__}: {clipped(str(err), 200)}); "
            f"{RESTORE}"
        ) from None
    check_model(model, meta.config, model_path)
    return Bundle(meta, model)


def _check_keras_file(where: Path, config: RunConfig) -> None:
    """A model.keras zip that inflates to about what config.json's weights take, its JSON parts small."""
    weights = weights_bytes(expected_shapes(config), 4)
    try:
        check_archive(where, 2 * weights + 2 * bundles.KERAS_CONFIG_BYTES)
        with zipfile.ZipFile(where) as archive:
            big = [
                i
                for i in archive.infolist()
                if i.filename.endswith(".json") and i.file_size > bundles.KERAS_CONFIG_BYTES
            ]
    except (OSError, zipfile.BadZipFile) as err:
        raise DataError(
            f"{shown(where)}: cannot load safely ({err or type(err).__name__}); {RESTORE}"
        ) from None
    if big:
        raise DataError(
            f"{shown(where)}: its {big[0].filename} inflates to {big[0].file_size:,} bytes (a model's "
            f"takes a few KB); {RESTORE}"
        )


def check_model(model, config: RunConfig, where: str | Path) -> None:
    """DataError when the Keras model's layers are not the ones config.json describes."""
    try:
        weights = export_weights(model, config)
    except (ValueError, KeyError) as err:
        raise DataError(
            f"{where}: the model's layers are not those of config.json ({summary(config)}): {err}"
        ) from None
    check_weights(weights, config, where)
    for k in range(1, config.model.layers + 1):
        kind = type(model.get_layer(recurrent_name(k))).__name__
        if kind != KERAS_CLASSES[config.model.cell]:
            raise DataError(
                f"{where}: layer {recurrent_name(k)} is a {kind} but config.json says {config.model.cell}"
            )
