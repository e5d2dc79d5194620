"""Input dropout and weight decay: they reach the Keras model and the optimizer, are saved in
config.json (a bundle or a run from before them reads as 0.0), are refused by name out of range,
may change on a fine-tune but not on --resume, and leave sampling alone: NumPy and Keras agree."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from bundle_helpers import random_bundle
from click.testing import CliRunner
from model_helpers import make_corpus

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.lm.bundle import export_weights, load_bundle_meta
from jazzgen.lm.checkpoint import _check_same_run
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.finetune import ARCHITECTURE, TRAINING_ONLY
from jazzgen.lm.numpy_lm import NumpyLM
from jazzgen.lm.vocab import Vocab

TINY = ["--layers", "1", "--units", "16", "--embedding", "8", "--seq-len", "16", "--batch-size", "4"]
TINY += ["--epochs", "1", "--quiet"]
NAMES = "".join(f"Saurus{chr(97 + i % 26)}on\n" for i in range(120))


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="jazzgen")
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def regularized(tmp_path_factory) -> tuple[list[str], Path]:
    """A tiny character model trained by the CLI with both options: (its arguments, its bundle)."""
    root = tmp_path_factory.mktemp("regularized")
    names = root / "names.txt"
    names.write_text(NAMES)
    bundle = root / "names"
    args = ["text", "train", str(names), "--lines", "-o", str(bundle), *TINY]
    args += ["--input-dropout", "0.3", "--weight-decay", "0.05"]
    code, output = run(*args)
    assert code == 0, output
    return args, bundle


def test_input_dropout_drops_whole_embedding_channels_for_a_window():
    import keras

    from jazzgen.lm.model import build_model

    model = build_model(ModelConfig(layers=1, units=8, embedding=6, input_dropout=0.5, vocab_size=11))
    layer = model.get_layer("input_dropout")
    assert isinstance(layer, keras.layers.SpatialDropout1D) and layer.rate == 0.5
    assert layer.input is model.get_layer("embedding").output  # before the first recurrent layer
    dropped = layer(np.ones((4, 20, 6), np.float32), training=True).numpy()  # (batch, time, emb)
    assert (dropped == dropped[:, :1, :]).all()  # each window's mask is the same at every step
    assert set(np.unique(dropped)) == {0.0, 2.0}
    assert (layer(np.ones((4, 20, 6), np.float32), training=False).numpy() == 1).all()
    plain = build_model(ModelConfig(layers=1, units=8, embedding=6, vocab_size=11))
    assert [layer.name for layer in plain.layers] == [
        "ids",
        "embedding",
        "recurrent_1",
        "dropout_1",
        "logits",
    ]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_weight_decay_is_adamw_on_the_kernels_only(cell):
    import keras

    from jazzgen.lm.loop import make_optimizer
    from jazzgen.lm.model import build_model

    config = RunConfig(
        ModelConfig(cell=cell, layers=2, units=8, embedding=5, vocab_size=11),
        TrainConfig(),
        TokenizerConfig(),
    )
    model = build_model(config.model)
    assert type(make_optimizer(TrainConfig(), 10, 1, model)) is keras.optimizers.Adam  # as before
    optimizer = make_optimizer(TrainConfig(lr=0.5, weight_decay=0.5), 10, 1, model)
    assert isinstance(optimizer, keras.optimizers.AdamW) and optimizer.weight_decay == 0.5
    optimizer.build(model.trainable_variables)
    before = export_weights(model, config)
    variables = model.trainable_variables
    optimizer.apply_gradients([(np.zeros(v.shape, np.float32), v) for v in variables])  # decay alone
    after = export_weights(model, config)
    decayed = {name for name in before if not np.allclose(after[name], before[name])}
    kernels = {f"recurrent_{k}.{part}" for k in (1, 2) for part in ("kernel", "recurrent_kernel")}
    assert decayed == kernels | {"logits.kernel"}  # not the embedding, not a bias
    for name in decayed:  # w -= w * weight_decay * lr
        np.testing.assert_allclose(after[name], before[name] * 0.75, rtol=1e-5, err_msg=name)


def test_config_json_round_trip_and_a_bundle_from_before_the_options(tmp_path):
    config = RunConfig(
        ModelConfig(input_dropout=0.4, vocab_size=40), TrainConfig(weight_decay=0.02), TokenizerConfig()
    )
    data = json.loads(config.to_json())
    assert data["model"]["input_dropout"] == 0.4 and data["train"]["weight_decay"] == 0.02
    assert RunConfig.from_dict(data) == config
    bundle = random_bundle(tmp_path / "old", Vocab(("<pad>", "<unk>", "<solo>", "<end>", "a")))
    old = json.loads((bundle / "config.json").read_text())
    del old["model"]["input_dropout"], old["train"]["weight_decay"]  # as jazzgen wrote it before
    (bundle / "config.json").write_text(json.dumps(old))
    meta = load_bundle_meta(bundle)
    assert meta.config.model.input_dropout == 0.0 and meta.config.train.weight_decay == 0.0
    assert NumpyLM.load(bundle, meta) is not None


@pytest.mark.parametrize(
    "section, name, value, message",
    [
        ("model", "input_dropout", "0.3", r"ModelConfig.input_dropout is '0.3', not of type float"),
        ("model", "input_dropout", 1.0, r"\(--input-dropout 1.0: give a fraction in \[0, 1\)\)$"),
        ("train", "weight_decay", True, r"TrainConfig.weight_decay is True, not of type float"),
        ("train", "weight_decay", -0.5, r"\(--weight-decay -0.5: give 0 to 1 \(0 is off; .*\)\)$"),
    ],
)
def test_a_bad_value_in_config_json_is_one_line(tmp_path, section, name, value, message):
    bundle = random_bundle(tmp_path / "b", Vocab(("<pad>", "<unk>", "<solo>", "<end>", "a")))
    config = json.loads((bundle / "config.json").read_text())
    config[section][name] = value
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match=message):
        load_bundle_meta(bundle)


DECAY_RANGE = "give 0 to 1 (0 is off; 0.01 to 0.1 is usual)"


@pytest.mark.parametrize(
    "command, option, value, message",
    [
        ("train", "--input-dropout", "1", "--input-dropout 1.0: give a fraction in [0, 1)"),
        ("text train", "--input-dropout", "-0.1", "--input-dropout -0.1: give a fraction in [0, 1)"),
        ("train", "--weight-decay", "1.5", f"--weight-decay 1.5: {DECAY_RANGE}"),
        ("text train", "--weight-decay", "nan", f"--weight-decay nan: {DECAY_RANGE}"),
        ("sweep", "--weight-decay", "-1", f"--weight-decay -1.0: {DECAY_RANGE}"),
    ],
)
def test_a_bad_option_is_one_line(tmp_path, command, option, value, message):
    if command == "text train":
        source = tmp_path / "names.txt"
        source.write_text(NAMES)
    else:
        source = make_corpus(tmp_path / "corpus", solos=2)
    code, output = run(*command.split(), source, "-o", tmp_path / "out", option, value)
    assert (code, output) == (2, f"jazzgen: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_a_regularized_run_samples_the_same_in_numpy_and_keras(regularized):
    import keras

    from jazzgen.lm.model import load_bundle

    _, bundle = regularized
    loaded = load_bundle(bundle)  # safe mode
    assert loaded.meta.config.model.input_dropout == 0.3 and loaded.meta.config.train.weight_decay == 0.05
    layer = loaded.model.get_layer("input_dropout")
    assert isinstance(layer, keras.layers.SpatialDropout1D) and layer.rate == 0.3
    ids = np.random.default_rng(0).integers(0, len(loaded.meta.vocab), (2, 30)).astype(np.int32)
    keras_logits = loaded.model(ids, training=False).numpy()  # (batch, time, vocab)
    np.testing.assert_allclose(NumpyLM.load(bundle).run(ids), keras_logits, atol=1e-5)
    with np.load(bundle.with_name("names.run") / "checkpoint.npz") as checkpoint:
        record = json.loads(checkpoint["record"].tobytes())
    assert all(path.startswith("adam_w") for path in record["optimizer_paths"])  # Keras' AdamW's name
    assert "AdamW (weight decay 0.05, not on the embedding or biases)" in (bundle / "README.md").read_text()
    assert "input dropout 0.3" in (bundle / "README.md").read_text()


def test_a_fine_tune_treats_them_as_training_options(regularized, tmp_path):
    assert {f.name for f in fields(ModelConfig)} == {*ARCHITECTURE, *TRAINING_ONLY, "vocab_size"}
    args, bundle = regularized
    tuned = tmp_path / "tuned"
    names = args[2]
    code, output = run(
        "text", "train", names, "--init", bundle, "-o", tuned, "--input-dropout", "0.1", *TINY[-3:]
    )
    assert code == 0, output
    config = load_bundle_meta(tuned).config
    assert config.model.input_dropout == 0.1  # given: changed
    assert config.train.weight_decay == 0.0  # not given: a fine-tune's default, not the base's 0.05
    assert config.model.units == load_bundle_meta(bundle).config.model.units


def test_a_run_from_before_the_options_resumes_with_them_at_0(tmp_path):
    config = RunConfig(ModelConfig(vocab_size=40), TrainConfig(), TokenizerConfig())
    old = config.to_dict()
    del old["model"]["input_dropout"], old["train"]["weight_decay"]
    record = {"config": old, "fingerprint": "f"}
    _check_same_run(record, config, "f", tmp_path / "checkpoint.npz")
    with pytest.raises(UsageError, match=r"\(--weight-decay: 0.1 now, 0 then\); repeat the original"):
        _check_same_run(
            record, RunConfig(config.model, TrainConfig(weight_decay=0.1), config.tokenizer), "f", tmp_path
        )


def test_a_resume_names_the_option_it_differs_in_as_the_user_gave_it(tmp_path):
    config = RunConfig(ModelConfig(vocab_size=40), TrainConfig(val_groups=False), TokenizerConfig())
    record = {"config": config.to_dict(), "fingerprint": "f"}
    now = RunConfig(config.model, TrainConfig(val_groups=True), config.tokenizer)
    with pytest.raises(UsageError, match=r"\(--split: 'tune' now, 'solo' then\)"):
        _check_same_run(record, now, "f", tmp_path / "checkpoint.npz")


def test_resume_takes_the_same_settings_and_refuses_others(regularized):
    args, bundle = regularized
    for option, value, difference in (
        ("--weight-decay", "0", "--weight-decay: 0 now, 0.05 then"),
        ("--input-dropout", "0.5", "--input-dropout: 0.5 now, 0.3 then"),
    ):
        code, output = run(*args, "--resume", option, value)
        assert code == 2 and output.count("\n") == 1, output
        assert (
            output.startswith("jazzgen: error: --resume: this run's settings differ") and difference in output
        )
    code, output = run(*args, "--resume", "--epochs", "2")  # the same options, more epochs: goes on
    assert code == 0, output
    assert len((bundle / "history.csv").read_text().splitlines()) == 3  # a header and two epochs
