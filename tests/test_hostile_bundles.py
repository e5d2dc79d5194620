"""A bundle is read without trusting it: regular files under a size cap, array headers checked
against config.json before any data is read, finite float weights, settings of the right types,
and one clear line for each way a bundle can be wrong. Built without TensorFlow except where a
Keras model file is the point."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner

from jazzgen.cli import cli
from jazzgen.errors import DataError
from jazzgen.lm import bundle as bundles
from jazzgen.lm.bundle import load_bundle_meta, load_weights_npz
from jazzgen.lm.model import load_bundle
from jazzgen.lm.ngram import KneserNey
from jazzgen.lm.numpy_lm import NumpyLM
from jazzgen.lm.vocab import Vocab

VOCAB = Vocab(("<pad>", "<unk>", "<solo>", "<end>", "|", "g0", "C+0", "d3"))


@pytest.fixture
def bundle(tmp_path) -> Path:
    return random_bundle(tmp_path / "jazz", VOCAB)


def weights_of(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "weights.npz") as data:
        return {name: data[name] for name in data.files}


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def write_members(folder: Path, members: dict[str, bytes], compress: bool = False) -> None:
    with zipfile.ZipFile(
        folder / "weights.npz", "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    ) as z:
        for name, data in members.items():
            z.writestr(f"{name}.npy", data)


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinite")])
def test_weights_that_are_not_finite_are_refused(bundle, bad, word):
    weights = weights_of(bundle)
    weights["logits.bias"][3] = bad
    np.savez(bundle / "weights.npz", **weights)
    with pytest.raises(
        DataError,
        match=rf"weights.npz: logits.bias holds {word} values \(training diverged\); "
        r"retrain or restore the bundle$",
    ):
        NumpyLM.load(bundle)


def test_a_zip_bombed_array_is_refused_before_it_is_inflated(bundle):
    weights = weights_of(bundle)
    members = {name: npy_bytes(array) for name, array in weights.items()}
    members["embedding"] += bytes(20 * 2**20)  # 20 MiB of zeros after the array: 20 KB deflated
    write_members(bundle, members, compress=True)
    assert (bundle / "weights.npz").stat().st_size < 200_000
    with pytest.raises(
        DataError, match=r"weights.npz: inflates to [\d,]+ bytes, more than config.json's model needs"
    ):
        load_weights_npz(bundle)


def test_an_array_declaring_a_trillion_elements_is_refused_unread(bundle):
    weights = weights_of(bundle)
    members = {name: npy_bytes(array) for name, array in weights.items()}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    members["embedding"] = header.getvalue() + bytes(64)
    write_members(bundle, members)
    with pytest.raises(
        DataError,
        match=r"weights.npz: embedding has shape \(1000000, 1000000\) but config.json "
        r"\(2x32 lstm, embedding 16, vocabulary 8\) needs \(8, 16\)$",
    ):
        load_weights_npz(bundle)


def test_structured_arrays_are_refused(bundle):
    weights = weights_of(bundle)
    shape = weights["logits.bias"].shape
    weights["logits.bias"] = np.zeros(shape, dtype=[("a", "<f4")])
    np.savez(bundle / "weights.npz", **weights)
    with pytest.raises(DataError, match=r"logits.bias holds \[\('a', '<f4'\)\] values, not floats"):
        load_weights_npz(bundle)


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda path: path.symlink_to("/dev/zero"), "a character device"),
        (lambda path: os.mkfifo(path), "a FIFO"),
        (lambda path: path.mkdir(), "a folder"),
    ],
)
def test_bundle_files_must_be_regular_files(bundle, make, kind):
    (bundle / "vocab.json").unlink()
    make(bundle / "vocab.json")
    with pytest.raises(
        DataError, match=rf"vocab.json: not a regular file \({kind}\); retrain or restore it$"
    ):
        load_bundle_meta(bundle)


def test_bundle_json_files_are_read_under_a_cap(bundle, monkeypatch):
    monkeypatch.setattr(bundles, "MAX_JSON_BYTES", 100)
    with pytest.raises(
        DataError, match=r"config.json: \d+ bytes, over the 100 bytes jazzgen reads for such a file"
    ):
        load_bundle_meta(bundle)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["model"].update(layers=2.0), r"ModelConfig.layers is 2.0, not of type int"),
        (lambda c: c["model"].update(units=True), r"ModelConfig.units is True, not of type int"),
        (lambda c: c["train"].update(lr="fast"), r"TrainConfig.lr is 'fast', not of type float"),
        (lambda c: c.update(model=[1, 2]), r"ModelConfig settings must be a JSON object, not list"),
        (lambda c: c["model"].update(units=8192, vocab_size=10**6), r"has [\d,]+ parameters, over the"),
        (lambda c: c.update(format_version=True), r"bundle format version True"),
    ],
)
def test_settings_of_the_wrong_type_are_one_line(bundle, change, message):
    config = json.loads((bundle / "config.json").read_text())
    change(config)
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match=message):
        load_bundle_meta(bundle)


def test_json_nested_beyond_reason(bundle):
    (bundle / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match=r"config.json: its JSON is nested too deeply to be jazzgen's"):
        load_bundle_meta(bundle)


def test_a_vocabulary_of_numbers(bundle):
    (bundle / "vocab.json").write_text(json.dumps({"tokens": ["<pad>", "<unk>", 3, 4]}))
    with pytest.raises(
        DataError, match=r"vocab.json: not a jazzgen vocabulary \(it needs a list of token strings"
    ):
        load_bundle_meta(bundle)


@pytest.mark.parametrize(
    "data",
    [
        {"order": 3, "vocab_size": 8, "counts": 5, "discounts": []},
        {"order": 2, "vocab_size": 8, "counts": [{"x y": [[1, 2]]}] * 2, "discounts": [1, 1]},
        [1, 2, 3],
    ],
)
def test_a_malformed_ngram_file(tmp_path, data):
    (tmp_path / "ngram.json").write_text(json.dumps(data))
    with pytest.raises(DataError, match=r"ngram.json: not a jazzgen n-gram model \(.+\); retrain or restore"):
        KneserNey.load(tmp_path / "ngram.json")


def test_errors_print_as_one_line_not_an_internal_error(bundle):
    config = json.loads((bundle / "config.json").read_text())
    config["model"]["layers"] = 2.0
    (bundle / "config.json").write_text(json.dumps(config))
    result = CliRunner().invoke(cli, ["generate", "-m", str(bundle)], prog_name="jazzgen")
    assert result.exit_code == 1 and "internal error" not in result.output
    assert result.output.startswith("jazzgen: error: ") and result.output.count("\n") == 1


# ---------------------------------------------------------------- the Keras file


def keras_bundle(folder: Path, model) -> Path:
    """A bundle whose model.keras is the given Keras model and whose config and weights match it."""
    from jazzgen.lm.bundle import export_weights
    from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig

    config = RunConfig(
        ModelConfig(layers=1, units=8, embedding=4, dropout=0.0, vocab_size=len(VOCAB)),
        TrainConfig(),
        TokenizerConfig(),
    )
    folder.mkdir()
    (folder / "config.json").write_text(config.to_json())
    VOCAB.save(folder / "vocab.json")
    model.save(folder / "model.keras")
    np.savez(folder / "weights.npz", **export_weights(model, config))
    return folder


def test_a_model_file_holding_code_is_refused_in_plain_words(tmp_path):
    import keras

    from jazzgen.lm.config import ModelConfig
    from jazzgen.lm.model import build_model

    plain = build_model(ModelConfig(layers=1, units=8, embedding=4, dropout=0.0, vocab_size=len(VOCAB)))
    hidden = keras.layers.Lambda(lambda x: x * 1.0, name="payload")(plain.get_layer("logits").output)
    folder = keras_bundle(tmp_path / "code", keras.Model(plain.input, hidden))
    with pytest.raises(DataError) as refused:
        load_bundle(folder)
    assert str(refused.value) == (
        f"{folder / 'model.keras'}: holds code jazzgen will not run; retrain the model, "
        "or load a bundle you trust"
    )


def test_a_model_file_whose_config_inflates_is_refused(tmp_path, monkeypatch):
    from jazzgen.lm.config import ModelConfig
    from jazzgen.lm.model import build_model

    folder = keras_bundle(
        tmp_path / "big",
        build_model(ModelConfig(layers=1, units=8, embedding=4, dropout=0.0, vocab_size=len(VOCAB))),
    )
    with zipfile.ZipFile(folder / "model.keras", "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("extra.json", " " * 150_000)
    monkeypatch.setattr(bundles, "KERAS_CONFIG_BYTES", 100_000)
    with pytest.raises(DataError, match=r"model.keras: its extra.json inflates to 150,000 bytes"):
        load_bundle(folder)
