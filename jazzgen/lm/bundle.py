"""A trained model's folder, `trained/NAME/`, and the only module that reads or writes one.

    model.keras    the Keras model (stock layers only: loads with safe_mode=True)
    weights.npz    the same weights for NumPy, under plain names (below): the sampler's input
    config.json    every setting of the run (jazzgen.lm.config.RunConfig) with format_version
    vocab.json     the vocabulary (jazzgen.lm.vocab.Vocab)
    metrics.json   validation figures, training time and speed
    README.md      the model card
    ngram.json     the n-gram baseline (jazz models)
    history.csv, loss.png   the loss per epoch

The folder is built under a temporary name beside the target and renamed into place, so an
interrupted save never leaves a broken bundle. It goes only into a new or empty folder, or over a
bundle when asked (force): the old bundle stays whole until the new one is complete, and a folder
holding anything jazzgen did not write is never replaced.

Loading trusts nothing: each file must be a regular file under a size cap, every array's header
is checked against config.json before its data is read (a zip bomb or a declared 10^12 elements
never allocates), weights must be finite floats, and the Keras model loads in safe mode.
load_bundle_meta and load_weights_npz never import TensorFlow; load_bundle (the Keras model) does.

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
import math
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import (
    disk_full,
    folder_mode,
    is_disk_full,
    read_json,
    shown,
    write_bytes_atomic,
    write_text_atomic,
)
from jazzgen.files.outputs import claim_folder, entries, is_cwd_or_above
from jazzgen.lm.config import RunConfig
from jazzgen.lm.vocab import Vocab

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
EMBEDDING, LOGITS = "embedding", "logits"  # the layer (and array) names; recurrent_name(k) between them
# What write_bundle puts in a bundle folder; a folder holding anything else is not replaced.
TRAINING_DATA = "training_data.json"  # a fingerprint of each training sequence (jazzgen.lm.dataset)
NOTICE = "NOTICE.md"  # the data's licence and citation, which a model trained on it carries
BUNDLE_FILES = frozenset(
    {
        "model.keras",
        "weights.npz",
        "config.json",
        "vocab.json",
        "metrics.json",
        "README.md",
        "ngram.json",
        "history.csv",
        "loss.png",
        TRAINING_DATA,
        NOTICE,
    }
)
MAX_JSON_BYTES = 16 * 2**20  # config.json, metrics.json: a few hundred bytes each
ARRAY_HEADER_BYTES = 4096  # an .npy header; numpy writes 128 bytes
KERAS_CONFIG_BYTES = 4 * 2**20  # model.keras's config.json and metadata.json: under 10 KB in a bundle
RESTORE = "retrain or restore the bundle"


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
    if not config_path.exists():
        raise UsageError(
            f"{shown(folder)}: no model bundle here (no config.json); train one with `jazzgen train`"
        )
    config = RunConfig.from_dict(read_json(config_path, MAX_JSON_BYTES, RESTORE), str(config_path))
    vocab = Vocab.load(folder / "vocab.json")
    if len(vocab) != config.model.vocab_size:
        raise DataError(
            f"{shown(folder)}: vocab.json has {len(vocab)} tokens but config.json's model was built "
            f"for {config.model.vocab_size}; the bundle is mixed up, retrain or restore it"
        )
    metrics_path = folder / "metrics.json"
    metrics = read_json(metrics_path, MAX_JSON_BYTES, RESTORE) if metrics_path.exists() else {}
    if not isinstance(metrics, dict):
        raise DataError(f"{shown(metrics_path)}: not a jazzgen metrics record; {RESTORE}")
    return BundleMeta(folder, config, vocab, metrics)


def training_fingerprints(folder: str | Path) -> frozenset[str]:
    """The fingerprints of the sequences a bundle trained on (none for a bundle from before they
    were kept)."""
    path = Path(folder) / TRAINING_DATA
    if not path.exists():
        return frozenset()
    data = read_json(path, MAX_JSON_BYTES * 4, RESTORE)
    prints = data.get("fingerprints") if isinstance(data, dict) else None
    if not isinstance(prints, list) or not all(isinstance(p, str) for p in prints):
        raise DataError(f"{shown(path)}: not a jazzgen training record; {RESTORE}")
    return frozenset(prints)


def is_bundle(folder: Path) -> bool:
    """Whether folder holds a jazzgen bundle (a config.json of this or another format version)."""
    try:
        config = read_json(folder / "config.json", MAX_JSON_BYTES)
    except DataError:
        return False
    return isinstance(config, dict) and "format_version" in config and "model" in config


def recurrent_name(index: int) -> str:
    """Name of the index-th recurrent layer (and of its arrays), counting from 1."""
    return f"recurrent_{index}"


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
    """The bundle's weights by plain name (see the module doc), float32, checked against its config
    before any array's data is read."""
    folder = Path(path)
    meta = meta or load_bundle_meta(folder)
    where = folder / "weights.npz"
    expected = expected_shapes(meta.config)
    try:
        check_archive(where, weights_bytes(expected, 8) + len(expected) * ARRAY_HEADER_BYTES)
        with zipfile.ZipFile(where) as archive:
            members = {info.filename[: -len(".npy")]: info for info in archive.infolist()}
            check_weights(
                {name: _declared_shape(archive, info, where) for name, info in members.items()},
                meta.config,
                where,
            )
            weights = {name: _read_array(archive, info, where) for name, info in members.items()}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:  # never a pickle: allow_pickle=False
        raise DataError(f"{shown(where)}: unreadable ({err or type(err).__name__}); {RESTORE}") from None
    return weights


class _Shape(tuple):
    """An array's shape as its .npy header declares it, standing in for the array in check_weights."""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self)


def _declared_shape(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Path) -> _Shape:
    """The shape in a member's .npy header, read without its data; a member whose declared size
    is more than that shape needs (a zip bomb) is refused."""
    with archive.open(info) as member:
        shape, _, dtype = _header(member)
    if dtype.hasobject:  # numpy refuses it without running it; say so in numpy's words
        with archive.open(info) as member:
            np.lib.format.read_array(member, allow_pickle=False)
    if info.file_size > math.prod(shape) * dtype.itemsize + ARRAY_HEADER_BYTES:
        raise DataError(
            f"{shown(where)}: {info.filename} inflates to {info.file_size:,} bytes, more than its "
            f"{shape} array of {dtype} holds; {RESTORE}"
        )
    return _Shape(shape)


def _header(member) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(member)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(member)


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Path) -> np.ndarray:
    """A member's array, which must hold finite floats (its shape is checked already)."""
    with archive.open(info) as member:
        _, _, dtype = _header(member)
    name = info.filename[: -len(".npy")]
    if dtype.kind != "f" or dtype.fields is not None:
        raise DataError(f"{shown(where)}: {name} holds {dtype} values, not floats; {RESTORE}")
    with archive.open(info) as member:
        array = np.lib.format.read_array(member, allow_pickle=False).astype(np.float32)
    if not np.isfinite(array).all():
        what = "NaN" if np.isnan(array).any() else "infinite"
        raise DataError(f"{shown(where)}: {name} holds {what} values (training diverged); {RESTORE}")
    return array


def weights_bytes(shapes: dict[str, tuple[int, ...]], itemsize: int) -> int:
    return sum(math.prod(shape) for shape in shapes.values()) * itemsize


def check_archive(where: Path, limit: int) -> None:
    """DataError unless where is a regular file under limit bytes whose members inflate to no more
    than limit bytes in all: a bundle's zip file read without trusting it."""
    info = os.stat(where)  # a missing file is reported as unreadable by the caller
    if not os.path.isfile(where):
        raise DataError(f"{shown(where)}: not a regular file; {RESTORE}")
    if info.st_size > limit:
        raise DataError(
            f"{shown(where)}: {info.st_size:,} bytes, more than config.json's model needs "
            f"({limit:,}); {RESTORE}"
        )
    with zipfile.ZipFile(where) as archive:
        inflated = sum(member.file_size for member in archive.infolist())
    if inflated > limit:
        raise DataError(
            f"{shown(where)}: inflates to {inflated:,} bytes, more than config.json's model "
            f"needs ({limit:,}); {RESTORE}"
        )


def check_weights(weights: dict[str, np.ndarray], config: RunConfig, where: str | Path) -> None:
    """DataError naming the first array that is missing, unexpected or of the wrong shape."""
    expected = expected_shapes(config)
    for name, shape in expected.items():
        if name not in weights:
            raise DataError(f"{where}: no array {name!r}; config.json describes a {summary(config)} model")
        if tuple(weights[name].shape) != shape:
            raise DataError(
                f"{where}: {name} has shape {tuple(weights[name].shape)} but config.json "
                f"({summary(config)}) needs {shape}"
            )
    extra = sorted(set(weights) - set(expected))
    if extra:
        raise DataError(f"{where}: arrays {extra} that a {summary(config)} model does not have")


def summary(config: RunConfig) -> str:
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


def import_weights(model, weights: dict[str, np.ndarray], config: RunConfig) -> None:
    """Set the Keras model's weights from plain names (export_weights' inverse); shapes checked first."""
    check_weights(weights, config, "the starting weights")
    model.get_layer(EMBEDDING).set_weights([weights[EMBEDDING]])
    for k in range(1, config.model.layers + 1):
        name = recurrent_name(k)
        model.get_layer(name).set_weights(
            [weights[f"{name}.{part}"] for part in ("kernel", "recurrent_kernel", "bias")]
        )
    model.get_layer(LOGITS).set_weights([weights[f"{LOGITS}.kernel"], weights[f"{LOGITS}.bias"]])


@dataclass(frozen=True)
class BundleFiles:
    """What write_bundle puts in the folder besides the model: texts and bytes by file name."""

    config: RunConfig
    vocab: Vocab
    metrics: dict
    card: str
    extra: tuple[tuple[str, bytes], ...] = ()  # e.g. ("ngram.json", ...), ("history.csv", ...)


def claim_output(output: str | Path, force: bool = False) -> str:
    """Check, before any training, that a bundle may be written to output: 'new', 'empty' or
    'own' (a bundle there, replaced only with force). UsageError naming the fix otherwise."""
    output = Path(output)
    if is_cwd_or_above(output):
        raise UsageError(
            f"-o {shown(output)}: that is the current folder or one it is in; give the bundle a "
            "folder of its own, e.g. trained/mine"
        )
    state = claim_folder(output, "model bundle", is_bundle)
    if state != "own":
        return state
    if not force:
        raise UsageError(
            f"-o {shown(output)}: a model bundle is there already; add --force to replace it (it stays "
            "whole until the new one is complete), or give another folder"
        )
    foreign = [name for name in entries(output) if name not in BUNDLE_FILES]
    if foreign:
        raise UsageError(
            f"-o {shown(output)}: the bundle folder also holds {shown(foreign[0])}, which jazzgen did "
            "not write; move it out of the folder before replacing the bundle, or give another folder"
        )
    return state


def write_bundle(output: str | Path, model, files: BundleFiles, force: bool = False) -> Path:
    """Write the bundle into a temporary folder beside output, then rename it to output (see the
    module doc: output must be new, empty, or a bundle replaced with force)."""
    output = Path(output)
    claim_output(output, force)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent))
        os.chmod(staging, folder_mode())
    except OSError as err:
        if is_disk_full(err):
            raise disk_full(output, "nothing was changed") from None
        raise UsageError(
            f"cannot write {shown(output)}: {err.strerror or err}; choose a writable folder"
        ) from None
    try:
        _fill(staging, model, files)
        _publish(staging, output)
    except OSError as err:
        if is_disk_full(err):
            raise disk_full(output, "nothing was changed") from None
        raise
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
    """Rename staging to output. An empty folder there is replaced by the rename itself; an older
    bundle (claim_output let it be replaced) is moved aside first and removed once the new one is in."""
    if not output.exists() or not entries(output):
        os.replace(staging, output)
        return
    old = output.with_name(f".{output.name}.old-{os.getpid()}.tmp")
    os.replace(output, old)
    try:
        os.replace(staging, output)
    except OSError:
        os.replace(old, output)  # put the old bundle back
        raise
    shutil.rmtree(old, ignore_errors=True)
