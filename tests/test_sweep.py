"""The model sweep: one row a finished variant, a table, and a second start that finishes only what is left."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from model_helpers import make_corpus, tiny_model, tiny_train

import jazzgen.training.sweep as sweep_module
from jazzgen.cli import cli
from jazzgen.training.sweep import Variant, read_rows, run_sweep, sweep_table

VARIANTS = (Variant("base"), Variant("gru", model={"cell": "gru"}), Variant("2 layers", model={"layers": 2}))


def test_a_sweep_logs_each_variant_and_skips_finished_ones(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    out = tmp_path / "sweep"
    rows = run_sweep(corpus, out, VARIANTS[:1], tiny_model(), tiny_train(epochs=1), progress=False)
    assert [r["name"] for r in rows] == ["base"]

    trained = []
    real_train = sweep_module.train_model
    monkeypatch.setattr(
        sweep_module,
        "train_model",
        lambda data, folder, model, train, **kw: (
            trained.append(folder.name),
            real_train(data, folder, model, train, **kw),
        )[1],
    )
    rows = run_sweep(corpus, out, VARIANTS, tiny_model(), tiny_train(epochs=1), progress=False)

    assert trained == ["gru"]  # base was done; "2 layers" is the base config (tiny_model has 2 layers)
    assert [r["name"] for r in rows] == ["base", "gru"]
    assert [r["cell"] for r in rows] == ["lstm", "gru"]
    assert [r["name"] for r in read_rows(out / "sweep.jsonl")] == ["base", "gru"]
    for row in rows:
        assert row["val_bits_per_note"] > 0 and row["ngram_bits_per_note"] > 0 and row["parameters"] > 0
        assert row["epochs_run"] == 1 and row["seed"] == 0
    assert rows[0]["ngram_bits_per_note"] == rows[1]["ngram_bits_per_note"]  # one validation split
    assert (out / "sweep.md").read_text() == sweep_table(rows) + "\n"


def test_the_table_marks_the_best_row():
    row = {
        "cell": "lstm",
        "layers": 2,
        "units": 32,
        "dropout": 0.1,
        "seq_len": 32,
        "ngram_bits_per_note": 10.0,
        "parameters": 12345,
        "epochs_run": 3,
        "training_seconds": 90.0,
    }
    table = sweep_table(
        [{**row, "name": "a", "val_bits_per_note": 9.0}, {**row, "name": "b", "val_bits_per_note": 8.0}]
    )
    lines = table.splitlines()
    assert (
        len(lines) == 4
        and "| b **best** | LSTM | 2 | 32 | 0.1 | 32 | 8.000 | 10.000 | 0.800 | 12,345 | 3 | 1.5 |" in lines
    )
    assert "**best**" not in lines[2]


def test_a_log_line_that_is_not_json_is_left_out(tmp_path):
    log = tmp_path / "sweep.jsonl"
    log.write_text(json.dumps({"name": "base"}) + "\n" + '{"name": "gr')
    assert read_rows(log) == [{"name": "base"}]


def test_sweep_command_prints_the_table(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    monkeypatch.setattr(sweep_module, "DEFAULT_VARIANTS", VARIANTS[:1])
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(corpus),
            "-o",
            str(tmp_path / "s"),
            "--cell",
            "lstm",
            "--layers",
            "1",
            "--units",
            "8",
            "--embedding",
            "4",
            "--seq-len",
            "16",
            "--batch-size",
            "4",
            "--epochs",
            "1",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("| variant | cell | layers")
    assert "| base **best** | LSTM | 1 | 8 |" in result.output


def test_a_variant_cut_off_mid_run_goes_on_from_its_checkpoint(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    real_train = sweep_module.train_model

    def killed_after_one_epoch(*args, **kwargs):
        def stop(row):
            raise KeyboardInterrupt

        return real_train(*args, **kwargs, on_epoch=stop)

    monkeypatch.setattr(sweep_module, "train_model", killed_after_one_epoch)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            corpus, tmp_path / "sweep", VARIANTS[:1], tiny_model(), tiny_train(epochs=2), progress=False
        )
    assert not (tmp_path / "sweep" / "sweep.jsonl").exists()

    epochs_run = []
    monkeypatch.setattr(
        sweep_module,
        "train_model",
        lambda *args, **kwargs: real_train(
            *args, **kwargs, on_epoch=lambda row: epochs_run.append(row.epoch)
        ),
    )
    rows = run_sweep(
        corpus, tmp_path / "sweep", VARIANTS[:1], tiny_model(), tiny_train(epochs=2), progress=False
    )
    assert epochs_run == [2] and rows[0]["epochs_run"] == 2
