"""Loading a bundle checks what it holds and never runs code from it. Bundles here are built with
random weights and no TensorFlow (tests/bundle_helpers.py); the Keras model's own checks are in
test_interrupted_training.py and test_model.py."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bundle_helpers import random_bundle

from jazzgen.errors import DataError, UsageError
from jazzgen.lm.bundle import load_bundle_meta, load_weights_npz
from jazzgen.lm.checkpoint import restore_checkpoint
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.numpy_lm import NumpyLM
from jazzgen.lm.vocab import Vocab

DEFAULTS = RunConfig(ModelConfig(), TrainConfig(), TokenizerConfig())
VOCAB = Vocab(("<pad>", "<unk>", "<solo>", "<end>", "|", "g0", "C+0", "d3"))


@pytest.fixture
def bundle(tmp_path) -> Path:
    return random_bundle(tmp_path / "jazz", VOCAB)


def edit_config(folder: Path, change) -> None:
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


def resave_weights(folder: Path, change) -> None:
    with np.load(folder / "weights.npz") as data:
        weights = {name: data[name] for name in data.files}
    change(weights)
    np.savez(folder / "weights.npz", **weights)


def test_a_good_bundle_loads(bundle):
    meta = load_bundle_meta(bundle)
    assert len(load_weights_npz(bundle, meta)) == 9 and meta.config.model.vocab_size == len(VOCAB)
    assert NumpyLM.load(bundle, meta) is not None


def test_no_bundle_at_all(tmp_path):
    with pytest.raises(
        UsageError, match=(r"no model bundle here \(no config.json\); train one with `jazzgen train`$")
    ):
        load_bundle_meta(tmp_path)


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_another_format_version_is_refused(bundle, version):
    edit_config(bundle, lambda c: c.update(format_version=version))
    if version is None:
        edit_config(bundle, lambda c: c.pop("format_version"))
    with pytest.raises(DataError) as info:
        load_bundle_meta(bundle)
    assert str(info.value) == (
        f"{bundle / 'config.json'}: bundle format version {version!r}, this jazzgen "
        "reads version 1; retrain the model or use a matching jazzgen"
    )


def test_vocabulary_against_config(bundle):
    Vocab(VOCAB.tokens + ("extra",)).save(bundle / "vocab.json")
    with pytest.raises(
        DataError,
        match=(
            r"vocab.json has 9 tokens but config.json's model was built for 8; the bundle is mixed up, "
            r"retrain or restore it$"
        ),
    ):
        load_bundle_meta(bundle)


def test_vocabulary_against_the_weights_shapes(bundle):
    edit_config(bundle, lambda c: c["model"].update(vocab_size=9))
    Vocab(VOCAB.tokens + ("extra",)).save(bundle / "vocab.json")
    with pytest.raises(
        DataError,
        match=(
            r"weights.npz: embedding has shape \(8, 16\) but config.json \(2x32 lstm, embedding 16, "
            r"vocabulary 9\) needs \(9, 16\)$"
        ),
    ):
        load_weights_npz(bundle)


def test_config_against_the_weights_shapes(bundle):
    edit_config(bundle, lambda c: c["model"].update(units=64))
    with pytest.raises(
        DataError,
        match=(
            r"weights.npz: recurrent_1.kernel has shape \(16, 128\) but config.json \(2x64 lstm, embedding "
            r"16, vocabulary 8\) needs \(16, 256\)$"
        ),
    ):
        load_weights_npz(bundle)
    edit_config(bundle, lambda c: c["model"].update(units=32, cell="gru"))
    with pytest.raises(
        DataError, match=(r"recurrent_1.kernel has shape \(16, 128\) but config.json \(2x32 gru")
    ):
        load_weights_npz(bundle)
    edit_config(bundle, lambda c: c["model"].update(cell="lstm", layers=3))
    with pytest.raises(
        DataError,
        match=(
            r"weights.npz: no array 'recurrent_3.kernel'; config.json describes a 3x32 lstm, embedding 16, "
            r"vocabulary 8 model$"
        ),
    ):
        load_weights_npz(bundle)


def test_an_array_the_config_does_not_describe(bundle):
    resave_weights(bundle, lambda w: w.update(extra=np.zeros(3, np.float32)))
    with pytest.raises(
        DataError,
        match=(
            r"weights.npz: arrays \['extra'\] that a 2x32 lstm, embedding 16, vocabulary 8 model does not "
            r"have$"
        ),
    ):
        load_weights_npz(bundle)


class Payload:
    """Unpickling this would create a file: the proof that loading ran code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickled_arrays_are_never_unpickled(bundle, tmp_path):
    marker = tmp_path / "code-ran"
    resave_weights(bundle, lambda w: w.update(embedding=np.array([Payload(marker)], dtype=object)))
    with pytest.raises(
        DataError,
        match=(
            r"weights.npz: unreadable \(Object arrays cannot be loaded when allow_pickle=False\); retrain "
            r"or restore the bundle$"
        ),
    ):
        load_weights_npz(bundle)
    assert not marker.exists()
    pickle.loads(pickle.dumps(Payload(marker)))  # the payload does what the test says it does
    assert marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_a_corrupt_weights_file(bundle, content):
    (bundle / "weights.npz").write_bytes(content)
    with pytest.raises(DataError, match=r"weights.npz: unreadable \(.*\); retrain or restore the bundle$"):
        load_weights_npz(bundle)


def test_a_missing_weights_file(bundle):
    (bundle / "weights.npz").unlink()
    with pytest.raises(DataError, match=r"weights.npz: unreadable \(.*No such file.*\); retrain or restore"):
        load_weights_npz(bundle)


def test_an_array_that_is_not_an_npy_file(bundle):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("embedding.npy", b"\x93NUMPY junk")
    (bundle / "weights.npz").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match=r"weights.npz: unreadable"):
        load_weights_npz(bundle)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{", "unreadable JSON"),
        ("[1, 2]", "bundle format version None"),
    ],
)
def test_a_config_that_is_not_a_config(bundle, text, reason):
    (bundle / "config.json").write_text(text)
    with pytest.raises(DataError, match=reason):
        load_bundle_meta(bundle)


def test_unknown_or_invalid_settings_in_the_config(bundle):
    edit_config(bundle, lambda c: c["model"].update(attention=True))
    with pytest.raises(
        DataError,
        match=(
            r"config.json: not a valid jazzgen model config \(unknown ModelConfig settings "
            r"\['attention'\]\)$"
        ),
    ):
        load_bundle_meta(bundle)
    edit_config(bundle, lambda c: (c["model"].pop("attention"), c["model"].update(layers=0)))
    with pytest.raises(DataError, match=r"not a valid jazzgen model config \(--layers 0: give 1 to 8\)$"):
        load_bundle_meta(bundle)


def test_a_vocabulary_that_is_not_one(bundle):
    (bundle / "vocab.json").write_text(json.dumps({"tokens": ["a", "b"]}))
    with pytest.raises(
        DataError,
        match=(r"vocab.json: not a jazzgen vocabulary \(a vocabulary must start with <pad> and <unk>\)$"),
    ):
        load_bundle_meta(bundle)


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04broken"])
def test_a_corrupt_checkpoint_is_refused(tmp_path, content):
    (tmp_path / "checkpoint.npz").write_bytes(content)
    with pytest.raises(
        DataError,
        match=(r"checkpoint.npz: unreadable checkpoint \(.+\); start the run again without --resume$"),
    ):
        restore_checkpoint(tmp_path, None, None, DEFAULTS, "")


def test_a_checkpoint_with_a_pickle_in_it_is_refused_unrun(tmp_path):
    marker = tmp_path / "code-ran"
    np.savez(tmp_path / "checkpoint.npz", record=np.array([Payload(marker)], dtype=object))
    with pytest.raises(DataError, match=r"Object arrays cannot be loaded when allow_pickle=False"):
        restore_checkpoint(tmp_path, None, None, DEFAULTS, "")
    assert not marker.exists()
