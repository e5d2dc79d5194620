"""A trained model's folder, `trained/NAME/`, and the only module that reads or writes one.

    model.keras    the Keras model (stock layers only: loads with safe_mode=True)
    weights.npz    the same weights for NumPy, under plain names (below): the sampler's input
    config.json    every setting of the run (jazzgen.config.RunConfig) with format_version
    vocab.json     the vocabulary (jazzgen.vocab.Vocab)
    metrics.json   validation figures, training time and speed
    README.md      the model card
    ngram.json     the n-gram baseline (jazz models)
    history.csv, loss.png   the loss per epoch

The folder is built under a temporary name beside the target and renamed into place, so an
interrupted save never leaves a broken bundle. load_bundle_meta and load_weights_npz never import
TensorFlow; load_bundle (the Keras model) does.

weights.npz, for a model of N layers of H units over V tokens with embedding size E
(x: a layer's input row, h/c: its state; @ is a matrix product):
    embedding                  (V, E)
    recurrent_K.kernel         (input, G*H), K = 1..N; input is E for K = 1, else H
    recurrent_K.recurrent_kernel (H, G*H)
    recurrent_K.bias           (G*H,), or (2, 3H) for a GRU
    logits.kernel (H, V), logits.bias (V,):   logits = h_N @ kernel + bias
  lstm (G = 4, column blocks i, f, g, o): z = x @ kernel + h @ recurrent_kernel + bias;
      i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o); c = f * c + i * tanh(z_g); h = o * tanh(c)
  gru (G = 3, blocks z, r, n; Keras' reset_after form): a = x @ kernel + bias[0];
      b = h @ recurrent_kernel + bias[1]; z = sigmoid(a_z + b_z); r = sigmoid(a_r + b_r);
      n = tanh(a_n + r * b_n); h = z * h + (1 - z) * n
  rnn (G = 1): h = tanh(x @ kernel + h @ recurrent_kernel + bias)
Dropout is training-only and absent here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.config import RunConfig
from jazzgen.errors import DataError, UsageError
from jazzgen.fileio import write_bytes_atomic, write_text_atomic
from jazzgen.model import EMBEDDING, LOGITS, recurrent_name
from jazzgen.vocab import Vocab

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
KERAS_CLASSES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}


@dataclass(frozen=True)
class BundleMeta:
    """What a bundle says about itself, read without TensorFlow."""

    path: Path
    config: RunConfig
    vocab: Vocab
    metrics: dict


def load_bundle_meta(path: str | Path) -> BundleMeta:
    """The config, vocabulary and metrics of a bundle; DataError when they disagree."""
    folder = Path(path)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise UsageError(f"{folder}: no model bundle here (no config.json); train one with `jazzgen train`")
    config = RunConfig.from_dict(_read_json(config_path), str(config_path))
    vocab = Vocab.load(folder / "vocab.json")
    if len(vocab) != config.model.vocab_size:
        raise DataError(f"{folder}: vocab.json has {len(vocab)} tokens but config.json's model was built "
                        f"for {config.model.vocab_size}; the bundle is mixed up, retrain or restore it")
    metrics_path = folder / "metrics.json"
    metrics = _read_json(metrics_path) if metrics_path.is_file() else {}
    return BundleMeta(folder, config, vocab, metrics)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: unreadable JSON ({err})") from None


def expected_shapes(config: RunConfig) -> dict[str, tuple[int, ...]]:
    """The name and shape of every array weights.npz must hold for this config."""
    m = config.model
    gates = GATES[m.cell]
    shapes = {EMBEDDING: (m.vocab_size, m.embedding)}
    for k in range(1, m.layers + 1):
        name, inputs = recurrent_name(k), m.embedding if k == 1 else m.units
        shapes[f"{name}.kernel"] = (inputs, gates * m.units)
        shapes[f"{name}.recurrent_kernel"] = (m.units, gates * m.units)
        shapes[f"{name}.bias"] = (2, 3 * m.units) if m.cell == "gru" else (gates * m.units,)
    shapes[f"{LOGITS}.kernel"] = (m.units, m.vocab_size)
    shapes[f"{LOGITS}.bias"] = (m.vocab_size,)
    return shapes


def load_weights_npz(path: str | Path, meta: BundleMeta | None = None) -> dict[str, np.ndarray]:
    """The bundle's weights by plain name (see the module doc), float32, checked against its config."""
    folder = Path(path)
    meta = meta or load_bundle_meta(folder)
    try:
        with np.load(folder / "weights.npz", allow_pickle=False) as data:
            weights = {name: data[name].astype(np.float32) for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:  # never a pickle: allow_pickle=False
        raise DataError(f"{folder / 'weights.npz'}: unreadable ({err or type(err).__name__}); retrain or "
                        "restore the bundle") from None
    check_weights(weights, meta.config, folder / "weights.npz")
    return weights


def check_weights(weights: dict[str, np.ndarray], config: RunConfig, where: str | Path) -> None:
    """DataError naming the first array that is missing, unexpected or of the wrong shape."""
    expected = expected_shapes(config)
    for name, shape in expected.items():
        if name not in weights:
            raise DataError(f"{where}: no array {name!r}; config.json describes a {_summary(config)} model")
        if tuple(weights[name].shape) != shape:
            raise DataError(f"{where}: {name} has shape {tuple(weights[name].shape)} but config.json "
                            f"({_summary(config)}) needs {shape}")
    extra = sorted(set(weights) - set(expected))
    if extra:
        raise DataError(f"{where}: arrays {extra} that a {_summary(config)} model does not have")


def _summary(config: RunConfig) -> str:
    m = config.model
    return f"{m.layers}x{m.units} {m.cell}, embedding {m.embedding}, vocabulary {m.vocab_size}"


def export_weights(model, config: RunConfig) -> dict[str, np.ndarray]:
    """The Keras model's weights under the plain names of weights.npz."""
    out = {EMBEDDING: model.get_layer(EMBEDDING).get_weights()[0]}
    for k in range(1, config.model.layers + 1):
        kernel, recurrent, bias = model.get_layer(recurrent_name(k)).get_weights()
        name = recurrent_name(k)
        out |= {f"{name}.kernel": kernel, f"{name}.recurrent_kernel": recurrent, f"{name}.bias": bias}
    kernel, bias = model.get_layer(LOGITS).get_weights()
    out |= {f"{LOGITS}.kernel": kernel, f"{LOGITS}.bias": bias}
    return {name: np.asarray(array, np.float32) for name, array in out.items()}


@dataclass(frozen=True)
class BundleFiles:
    """What write_bundle puts in the folder besides the model: texts and bytes by file name."""

    config: RunConfig
    vocab: Vocab
    metrics: dict
    card: str
    extra: tuple[tuple[str, bytes], ...] = ()  # e.g. ("ngram.json", ...), ("history.csv", ...)


def write_bundle(output: str | Path, model, files: BundleFiles) -> Path:
    """Write the bundle into a temporary folder beside output, then rename it to output."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: is a file; give -o a folder name for the model")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent))
    except OSError as err:
        raise UsageError(f"cannot write {output}: {err.strerror or err}; choose a writable folder") from None
    try:
        _fill(staging, model, files)
        _publish(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return output


def _fill(folder: Path, model, files: BundleFiles) -> None:
    weights = export_weights(model, files.config)
    check_weights(weights, files.config, "the trained model")
    model.save(folder / "model.keras")  # inside the staging folder, which is the atomic unit
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    write_bytes_atomic(folder / "weights.npz", buffer.getvalue())
    write_text_atomic(folder / "config.json", files.config.to_json())
    files.vocab.save(folder / "vocab.json")
    write_text_atomic(folder / "metrics.json", json.dumps(files.metrics, indent=1))
    write_text_atomic(folder / "README.md", files.card)
    for name, data in files.extra:
        write_bytes_atomic(folder / name, data)


def _publish(staging: Path, output: Path) -> None:
    """Rename staging to output; an older bundle there is moved aside first and then removed."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(output, old)
    os.replace(staging, output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Bundle:
    meta: BundleMeta
    model: object  # keras.Model


def load_bundle(path: str | Path) -> Bundle:
    """The bundle with its Keras model, loaded in safe mode and checked against config and vocab."""
    meta = load_bundle_meta(path)
    model_path = meta.path / "model.keras"
    if not model_path.is_file():
        raise DataError(f"{meta.path}: no model.keras; retrain or restore the bundle")
    import keras

    try:
        model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    except Exception as err:  # Keras raises many kinds for a corrupt or unsafe file
        raise DataError(f"{model_path}: cannot load safely ({type(err).__name__}: {err})") from None
    check_model(model, meta.config, model_path)
    return Bundle(meta, model)


def check_model(model, config: RunConfig, where: str | Path) -> None:
    """DataError when the Keras model's layers are not the ones config.json describes."""
    try:
        weights = export_weights(model, config)
    except (ValueError, KeyError) as err:
        raise DataError(f"{where}: the model's layers are not those of config.json ({_summary(config)}): {err}") from None
    check_weights(weights, config, where)
    for k in range(1, config.model.layers + 1):
        kind = type(model.get_layer(recurrent_name(k))).__name__
        if kind != KERAS_CLASSES[config.model.cell]:
            raise DataError(f"{where}: layer {recurrent_name(k)} is a {kind} but config.json says {config.model.cell}")
