"""The language-model core on jazz: build, train, resume, bundle, safe loading, evaluation."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from model_helpers import make_corpus, tiny_model, tiny_train

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.lm.bundle import expected_shapes, load_bundle_meta, load_weights_npz
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.model import load_bundle
from jazzgen.training.train import train_jazz


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny jazz bundle trained once for the module: (bundle folder, corpus folder)."""
    root = tmp_path_factory.mktemp("jazz")
    corpus = make_corpus(root / "corpus")
    bundle = train_jazz(
        corpus,
        root / "trained" / "tiny",
        tiny_model(),
        tiny_train(),
        progress=False,
        command="jazzgen train corpus -o trained/tiny",
        notice="Data notice: licence X 1.0.\n",
    )
    return bundle, corpus


def test_training_writes_a_complete_bundle(trained):
    bundle, _ = trained
    names = {p.name for p in bundle.iterdir()}
    assert {
        "model.keras",
        "weights.npz",
        "config.json",
        "vocab.json",
        "metrics.json",
        "README.md",
        "ngram.json",
        "history.csv",
        "loss.png",
    } <= names
    run = bundle.with_name("tiny.run")  # kept, so that --resume can give the finished run more epochs
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.npz", "history.csv", "loss.png"]
    assert not [p for p in bundle.parent.iterdir() if p.name.startswith(".")]
    metrics = json.loads((bundle / "metrics.json").read_text())
    validation = metrics["validation"]
    assert (
        set(validation["model"])
        == set(validation["baseline"])
        == {
            "nats_per_token",
            "bits_per_note",
            "perplexity",
            "accuracy",
            "pitch_bits_per_note",
            "rhythm_bits_per_note",
        }
    )
    model = validation["model"]
    assert model["pitch_bits_per_note"] + model["rhythm_bits_per_note"] == pytest.approx(
        model["bits_per_note"]
    )
    sampled = validation["as_sampled"]
    assert sampled["solos"] == validation["solos"] and sampled["not_replayed"] == 0
    # among the allowed tokens only, and every spelling of a pitch counts: never dearer per note
    for name in ("model", "baseline"):
        assert sampled[name]["pitch_bits_per_note"] <= validation[name]["pitch_bits_per_note"] + 1e-9
    assert metrics["ngram_order"] in (3, 4, 5)
    assert (bundle / "history.csv").read_text().splitlines()[0].startswith("epoch,train_loss,val_loss")
    card = (bundle / "README.md").read_text()
    assert "jazzgen train corpus -o trained/tiny" in card
    assert card.index("## Data") < card.index("Data notice: licence X 1.0.") < card.index("## Training")
    assert "As sampled" in card
    assert (bundle / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_config_json_holds_every_option(trained):
    bundle, _ = trained
    meta = load_bundle_meta(bundle)
    assert meta.config.model == tiny_model(vocab_size=len(meta.vocab))
    assert meta.config.train == tiny_train()
    assert meta.config.tokenizer.kind == "values" and meta.config.tokenizer.start_token == "<solo>"
    assert RunConfig.from_dict(json.loads((bundle / "config.json").read_text())) == meta.config


def test_loss_falls_on_training_data(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", solos=6)
    bundle = train_jazz(
        corpus, tmp_path / "m", tiny_model(dropout=0.0), tiny_train(epochs=6, patience=6), progress=False
    )
    losses = [float(line.split(",")[1]) for line in (bundle / "history.csv").read_text().splitlines()[1:]]
    assert losses[-1] < losses[0] - 0.5


def test_keras_model_loads_in_safe_mode_and_matches_npz(trained):
    bundle, _ = trained
    loaded = load_bundle(bundle)
    weights = load_weights_npz(bundle)
    ids = np.array([[2, 5, 7, 3, 9, 4]], np.int32)
    expected = loaded.model(ids, training=False).numpy()[0]
    np.testing.assert_allclose(numpy_logits(weights, loaded.meta.config.model, ids[0]), expected, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_weights_npz_layout_is_the_documented_one(cell):
    """A NumPy forward pass written from bundle.py's documentation gives Keras' logits."""
    from jazzgen.lm.bundle import export_weights
    from jazzgen.lm.model import build_model

    config = RunConfig(
        ModelConfig(cell=cell, layers=2, units=8, embedding=5, vocab_size=11),
        TrainConfig(),
        TokenizerConfig(),
    )
    model = build_model(config.model)
    weights = export_weights(model, config)
    assert {k: v.shape for k, v in weights.items()} == expected_shapes(config)
    ids = np.array([3, 1, 4, 1, 5, 9, 2, 6], np.int32)
    expected = model(ids[None], training=False).numpy()[0]
    np.testing.assert_allclose(numpy_logits(weights, config.model, ids), expected, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_carrying_view_goes_on_from_the_states_it_is_given(cell):
    """Two halves of a window, the second from the states the first ended with, give the logits
    of the whole window; the view shares the model's weights."""
    from jazzgen.lm.model import build_model, carrying_view

    config = ModelConfig(cell=cell, layers=2, units=8, embedding=4, vocab_size=11)
    model = build_model(config, states=True)
    view = carrying_view(model, config)
    assert len(view.weights) == len(model.weights) and len(view.outputs) == 1 + (4 if cell == "lstm" else 2)
    ids = np.random.default_rng(0).integers(1, 11, (3, 10)).astype(np.int32)
    zeros = [np.zeros((3, 8), np.float32)] * (len(view.inputs) - 1)
    first = view([ids[:, :5], *zeros])
    second = view([ids[:, 5:], *[np.asarray(s) for s in first[1:]]])
    halves = np.concatenate([np.asarray(first[0]), np.asarray(second[0])], axis=1)
    np.testing.assert_allclose(halves, np.asarray(model(ids)), atol=1e-5)


def numpy_logits(weights: dict, model: ModelConfig, ids: np.ndarray) -> np.ndarray:
    """(time, vocab) logits from weights.npz, following bundle.py's module documentation."""
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    x = weights["embedding"][ids]
    for k in range(1, model.layers + 1):
        W, U, b = (weights[f"recurrent_{k}.{n}"] for n in ("kernel", "recurrent_kernel", "bias"))
        h, c, out = np.zeros(model.units), np.zeros(model.units), []
        for row in x:
            if model.cell == "lstm":
                i, f, g, o = np.split(row @ W + h @ U + b, 4)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            elif model.cell == "gru":
                (az, ar, an), (bz, br, bn) = np.split(row @ W + b[0], 3), np.split(h @ U + b[1], 3)
                z, r = sigmoid(az + bz), sigmoid(ar + br)
                h = z * h + (1 - z) * np.tanh(an + r * bn)
            else:
                h = np.tanh(row @ W + h @ U + b)
            out.append(h)
        x = np.array(out)
    return x @ weights["logits.kernel"] + weights["logits.bias"]


def test_meta_and_npz_load_without_tensorflow(trained):
    bundle, _ = trained
    code = (
        "import sys; from jazzgen.lm.bundle import load_bundle_meta, load_weights_npz; "
        f"m = load_bundle_meta({str(bundle)!r}); w = load_weights_npz({str(bundle)!r}, m); "
        "assert len(w) == 9, w.keys(); "
        "bad = [n for n in sys.modules if n.split('.')[0] in ('tensorflow', 'keras')]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_resume_continues_exactly_where_the_run_stopped(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", solos=6)
    model, train = tiny_model(), tiny_train(epochs=3, patience=3)
    whole = train_jazz(corpus, tmp_path / "whole", model, train, progress=False)

    def interrupt(row):
        if row.epoch == 1:
            raise KeyboardInterrupt  # as if killed after the first checkpoint

    with pytest.raises(KeyboardInterrupt):
        train_jazz(corpus, tmp_path / "cut", model, train, progress=False, on_epoch=interrupt)
    assert (tmp_path / "cut.run" / "checkpoint.npz").is_file() and not (tmp_path / "cut").exists()
    resumed = train_jazz(corpus, tmp_path / "cut", model, train, resume=True, progress=False)
    a, b = load_weights_npz(whole), load_weights_npz(resumed)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-6, err_msg=name)
    assert (whole / "history.csv").read_text().splitlines()[1:] != []
    assert len((resumed / "history.csv").read_text().splitlines()) == 4


def test_resume_refuses_other_settings_and_missing_checkpoints(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", solos=4)
    with pytest.raises(UsageError, match="no checkpoint"):
        train_jazz(corpus, tmp_path / "m", tiny_model(), tiny_train(), resume=True, progress=False)

    def interrupt(row):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_jazz(corpus, tmp_path / "m", tiny_model(), tiny_train(), progress=False, on_epoch=interrupt)
    with pytest.raises(UsageError, match=r"--units: 16 now, 32 then"):
        train_jazz(corpus, tmp_path / "m", tiny_model(units=16), tiny_train(), resume=True, progress=False)


def test_loading_refuses_a_mismatched_bundle(trained, tmp_path):
    bundle, _ = trained
    vocab_copy = shutil.copytree(bundle, tmp_path / "vocab")
    data = json.loads((vocab_copy / "vocab.json").read_text())
    (vocab_copy / "vocab.json").write_text(json.dumps({"tokens": data["tokens"] + ["extra"]}))
    with pytest.raises(DataError, match="vocab.json has .* tokens but config.json"):
        load_bundle_meta(vocab_copy)

    units_copy = shutil.copytree(bundle, tmp_path / "units")
    config = json.loads((units_copy / "config.json").read_text())
    config["model"]["units"] = 64
    (units_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        DataError, match=r"recurrent_1.kernel has shape \(16, 128\) but config.json .* needs \(16, 256\)"
    ):
        load_weights_npz(units_copy)
    with pytest.raises(DataError, match="needs"):
        load_bundle(units_copy)

    config["model"]["units"], config["format_version"] = 32, 99
    (units_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match="format version 99"):
        load_bundle_meta(units_copy)


def test_loading_refuses_a_model_with_code_in_it(trained, tmp_path):
    import keras

    bundle = shutil.copytree(trained[0], tmp_path / "unsafe")
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Lambda(lambda t: t * 2)(ids)
    keras.Model(ids, x).save(bundle / "model.keras")
    with pytest.raises(
        DataError,
        match="model.keras: holds code jazzgen will not run; retrain the model, or load a bundle you trust$",
    ):
        load_bundle(bundle)


def test_evaluate_cli_json(trained, tmp_path):
    bundle, corpus = trained
    held_out = make_corpus(tmp_path / "held_out", solos=2, first=50)
    result = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(held_out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {
        "model",
        "baseline",
        "solos",
        "notes",
        "tokens",
        "unknown_tokens",
        "in_training_data",
        "as_sampled",
    }
    assert report["solos"] == 2 and report["notes"] == 64 and report["unknown_tokens"] == 0
    sampled = report["as_sampled"]
    assert sampled["solos"] == 2 and sampled["not_replayed"] == 0 and sampled["outside_grammar"] == 0
    assert sampled["choices"] >= report["tokens"]  # the note tokens, and each move on to a bar line
    assert sampled["model"]["pitch_bits_per_note"] <= report["model"]["pitch_bits_per_note"] + 1e-9
    model = report["model"]
    assert model["bits_per_note"] == pytest.approx(
        model["nats_per_token"] * report["tokens"] / math.log(2) / 64
    )
    assert model["perplexity"] == pytest.approx(math.exp(model["nats_per_token"]))
    assert 0 <= report["baseline"]["accuracy"] <= 1


def test_a_finished_run_goes_on_with_more_epochs(trained, tmp_path):
    import shutil

    bundle, corpus = trained
    copy = tmp_path / "tiny"
    shutil.copytree(bundle, copy)
    shutil.copytree(bundle.with_name("tiny.run"), tmp_path / "tiny.run")
    before = json.loads((copy / "metrics.json").read_text())["epochs_run"]
    again = train_jazz(
        corpus, copy, tiny_model(), tiny_train(epochs=before + 1, patience=9), resume=True, progress=False
    )
    history = (again / "history.csv").read_text().splitlines()
    assert json.loads((again / "metrics.json").read_text())["epochs_run"] == before + 1
    assert (
        len(history) == 1 + before + 1
        and history[1 : before + 1] == (bundle / "history.csv").read_text().splitlines()[1:]
    )


def test_evaluate_says_when_it_scores_what_the_model_trained_on(trained, tmp_path):
    bundle, corpus = trained
    result = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(corpus), "--json"])
    assert json.loads(result.stdout)["in_training_data"] == 9  # 10 solos, 1 held out for validation
    assert result.stderr.startswith(f"warning: 9 of 10 solos are in {bundle}'s training data")
    held_out = make_corpus(tmp_path / "held_out", solos=2, first=50)
    result = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(held_out)])
    assert result.stderr == ""


def test_evaluate_counts_notes_outside_the_vocabulary(trained, tmp_path):
    from helpers import make_solo

    from jazzgen.formats.render import write_midi

    bundle, _ = trained
    leaps = make_solo(
        [(40, 0, 12), (90, 12, 12), (41, 24, 12), (43, 36, 12)], "| Dm7 |"
    )  # +50, -49: never seen
    write_midi(leaps, tmp_path / "leaps.mid", comp=False)
    result = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(tmp_path / "leaps.mid"), "--json"])
    report = json.loads(result.output)
    assert report["notes"] == 4 and report["unknown_tokens"] >= 2
    assert report["tokens"] == 12  # gap, pitch and duration of each of the 4 notes: none dropped
    sampled = report["as_sampled"]  # scored at what the model gives <unk>, as above
    assert sampled["solos"] == 1 and sampled["outside_grammar"] == report["unknown_tokens"]
    text = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(tmp_path / "leaps.mid")]).output
    assert f"({report['unknown_tokens']} not in the model's vocabulary)" in text.splitlines()[0]
    assert text.splitlines()[-3].startswith("as sampled") and text.splitlines()[-2].startswith("model")


def test_evaluate_reads_solo_files(trained, shared_data):
    bundle, _ = trained
    csv = sorted((shared_data / "wjazzd" / "mcsv_melody").glob("*.csv"))[0]
    result = CliRunner().invoke(cli, ["evaluate", "-m", str(bundle), str(csv), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["solos"] == 1


def test_cli_errors_are_one_line(tmp_path, trained):
    runner = CliRunner()
    missing = runner.invoke(cli, ["train", str(tmp_path / "nope"), "-o", str(tmp_path / "m")])
    assert missing.exit_code == 2
    assert (
        missing.output == f"jazzgen: error: {tmp_path / 'nope'}: no such folder; make one with "
        f"`jazzgen prepare SOURCES -o {tmp_path / 'nope'}`\n"
    )
    bad = runner.invoke(cli, ["train", str(trained[1]), "-o", str(tmp_path / "m"), "--units", "0"])
    assert (bad.exit_code, bad.output) == (2, "jazzgen: error: --units 0: give 1 to 8192\n")
    no_model = runner.invoke(cli, ["evaluate", "-m", str(tmp_path), str(trained[1])])
    assert no_model.exit_code == 2 and "no model bundle here" in no_model.output
    text_model = runner.invoke(
        cli, ["text", "evaluate", "-m", str(trained[0]), str(trained[1] / "vocab.json")]
    )
    assert text_model.exit_code == 2 and "is a jazz model; use `jazzgen evaluate`" in text_model.output


def test_every_help_ends_with_an_example():
    from jazzgen.cli.model_commands import COMMANDS

    for command in COMMANDS:
        for sub in getattr(command, "commands", {}).values() or [command]:
            assert "Example:" in (sub.help or ""), sub.name
