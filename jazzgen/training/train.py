"""Training a bundle: a reader's ids -> the training loop -> baseline and validation figures -> trained/NAME.

    train_jazz("corpus/", "trained/jazz", ModelConfig(), TrainConfig())     # a prepared corpus
    train_text("dinos.txt", "trained/dinos", text_tokenizer(lines=True), ModelConfig(), TrainConfig())

Jazz and text differ only in their reader (jazzgen.tokens.corpus, jazzgen.tokens.text); the loop
(jazzgen.lm.loop) and the bundle (jazzgen.lm.bundle) are shared. Imports TensorFlow.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from jazzgen.lm.bundle import NOTICE, TRAINING_DATA, BundleFiles, claim_output, load_bundle_meta, write_bundle
from jazzgen.lm.checkpoint import Epoch, holds_run, remove_run
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.tokens.corpus import load_jazz_data
from jazzgen.lm.dataset import TokenData, sequence_fingerprint
from jazzgen.judge.evaluate import jazz_report, sampled_mask, text_report
from jazzgen.errors import UsageError
from jazzgen.files.fileio import check_writable
from jazzgen.lm.finetune import Start, architecture, load_start
from jazzgen.lm.loop import FitResult, fit, run_folder, worker_from_env
from jazzgen.lm.ngram import KneserNey, fit_best
from jazzgen.files.outputs import claim_folder, locked
from jazzgen.lm.runlog import history_csv, loss_png
from jazzgen.tokens.text import load_text_data
from jazzgen.tokens.values import GAPS


def train_jazz(corpus: str | Path, output: str | Path, model: ModelConfig | None = ModelConfig(),
               train: TrainConfig = TrainConfig(), val: str | Path | None = None, init: str | Path | None = None,
               **options) -> Path | None:
    """Train on a prepared corpus folder (jazzgen prepare); val: another corpus to validate on;
    init: a jazz bundle to fine-tune (its architecture and token scheme; the corpus is rewritten in
    that scheme when it differs). options: those of train_model. Returns the bundle folder (None
    on a non-chief worker)."""
    scheme = None if init is None else load_bundle_meta(init).config.tokenizer.scheme or GAPS
    data = load_jazz_data(corpus, train.val_fraction, train.seed, val, scheme)
    return train_model(data, output, model, train, init=init, **options)


def train_text(file: str | Path, output: str | Path, tokenizer: TokenizerConfig | None,
               model: ModelConfig | None = ModelConfig(), train: TrainConfig = TrainConfig(),
               val: str | Path | None = None, init: str | Path | None = None, **options) -> Path | None:
    """Train on a text file tokenized by tokenizer (jazzgen.tokens.text.text_tokenizer); init: a text
    bundle to fine-tune, whose tokenizer is used (tokenizer must then be None or the same)."""
    if init is not None:
        base = load_bundle_meta(init).config.tokenizer
        if tokenizer is not None and tokenizer != base:
            raise UsageError(f"--init {init}: it tokenizes by {base.level}s (lines {base.lines}, lower {base.lower}); "
                             "a fine-tune keeps that: drop --level, --vocab-size, --lines and --lower")
        tokenizer = base
    data = load_text_data(file, tokenizer, train.val_fraction, val, train.seed)
    return train_model(data, output, model, train, init=init, **options)


def train_model(data: TokenData, output: str | Path, model: ModelConfig | None, train: TrainConfig,
                resume: bool = False, progress: bool = True, command: str = "",
                on_epoch: Callable[[Epoch], None] | None = None, notice: str = "", force: bool = False,
                init: str | Path | None = None) -> Path | None:
    """Fit a model to data and write its bundle to output (see jazzgen.lm.bundle).

    resume: continue the run from its last checkpoint in OUTPUT.run; command: the command line
    that rebuilds the model, and notice: the data's licence and citation (Markdown), both for the
    model card; force: replace a bundle already at output; init: a bundle to start from
    (jazzgen.lm.finetune: its architecture, weights and vocabulary; model then only sets dropout, and
    the base's notice is carried on). Checkpoints go to OUTPUT.run, which one training run at a
    time may use.
    """
    output = Path(output)
    start = load_start(init) if init is not None else None
    if start is not None:
        data = start.adopt(data)
        config = start.config_for(data, train, model)
        notice = "\n\n".join(part.strip() for part in (start.notice(), notice) if part.strip())
    else:
        config = RunConfig(model or ModelConfig(), train, data.tokenizer)
    check_writable(output, folder=True)  # before training, not after it
    claim_output(output, force)
    run_dir = run_folder(output, worker_from_env())
    claim_folder(run_dir, "training run", holds_run, option=f"-o {output}: its run folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    with locked(run_dir, "training into"):
        bundle = _train_and_write(data, output, config, resume, progress, command, on_epoch, notice, force, start)
        remove_run(run_dir)
    return bundle


def _train_and_write(data, output: Path, config: RunConfig, resume, progress, command, on_epoch, notice,
                     force, start: Start | None) -> Path | None:
    initial = start.weights_for(config, config.train.seed) if start is not None else None
    result = fit(data, config, output, resume, progress, on_epoch, initial)
    if not result.worker.is_chief:
        return None
    ngram = _baseline(data) if data.tokenizer.kind == "values" else None
    metrics = _metrics(result, data, ngram)
    history = result.state.history
    extra = [("history.csv", history_csv(history).encode()), ("loss.png", loss_png(history, output.name)),
             (TRAINING_DATA, _training_data(data).encode())] + ([(NOTICE, notice.encode())] if notice.strip() else [])
    if ngram is not None:
        extra.append(("ngram.json", ngram.to_json().encode()))
    card = model_card(output.name, result.config, metrics, data, command, notice, start)
    return write_bundle(output, result.model, BundleFiles(result.config, data.vocab, metrics, card, tuple(extra)),
                        force)


def _training_data(data: TokenData) -> str:
    """training_data.json: where the training sequences came from and a fingerprint of each, so
    that evaluating a model on what it learnt from can be pointed out."""
    fingerprints = sorted({sequence_fingerprint(s) for s in data.train})
    return json.dumps({"source": data.source, "sequences": len(data.train), "fingerprints": fingerprints})


def _baseline(data: TokenData) -> KneserNey:
    """The Kneser-Ney baseline on the training ids, its order (3 to 5) chosen on validation."""
    return fit_best(data.train, data.val, len(data.vocab), sampled_mask(data.vocab))


def _metrics(result: FitResult, data: TokenData, ngram: KneserNey | None) -> dict:
    best = result.state.best_epoch
    row = next((e for e in result.state.history if e.epoch == best), None)
    metrics = {
        "best_epoch": best, "epochs_run": len(result.state.history),
        "train_nats_per_token": row.train_loss if row else None,
        "val_nats_per_token": row.val_loss if row else None,
        "training_seconds": round(result.seconds, 1), "tokens_per_second": round(result.tokens_per_second),
        "parameters": int(sum(np.prod(v.shape) for v in result.model.trainable_variables)),
        "train_tokens": data.train_tokens, "val_tokens": sum(len(s) for s in data.val),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
    }
    val = list(data.val)
    if val and data.tokenizer.kind == "values":
        metrics["validation"] = jazz_report(result.model, ngram, data.vocab, val)
        metrics["ngram_order"] = ngram.order
    elif val:
        metrics["validation"] = text_report(result.model, data.tokenizer, val)
    return metrics


def model_card(name: str, config: RunConfig, metrics: dict, data: TokenData, command: str, notice: str = "",
               start: Start | None = None) -> str:
    """The bundle's README.md: what the model is, how it was trained and how well it does.
    notice: the data's licence and citation, placed under Data as given; start: the bundle it was
    fine-tuned from."""
    m, t = config.model, config.train
    lines = [f"# {name}", "",
             f"A {m.layers}-layer {m.cell.upper()} language model ({m.units} units, embedding {m.embedding}, "
             f"{metrics['parameters']:,} parameters) over {m.vocab_size} {_token_word(config)} tokens, "
             "trained with jazzgen.", "",
             "## Data", "", f"- source: `{data.source}`",
             *([f"- fine-tuned from `{start.path}` ({architecture(start.config.model)} over "
                f"{start.config.model.vocab_size} tokens, trained on `{start.source() or 'see its card'}`)"]
               if start is not None else []),
             f"- training tokens: {metrics['train_tokens']:,}; validation tokens: {metrics['val_tokens']:,}",
             f"- tokenizer: {asdict(config.tokenizer)}", ""]
    if notice.strip():
        lines += [notice.strip(), ""]
    lines += ["## Training", "",
             f"- {metrics['epochs_run']} epochs (best {metrics['best_epoch']}), {metrics['training_seconds']} s "
             f"of training at {metrics['tokens_per_second']:,} tokens/s on {metrics['machine']}",
             f"- seq_len {t.seq_len}, batch {t.batch_size}, Adam lr {t.lr} (cosine to {t.lr * t.min_lr_fraction:g}), "
             f"clipnorm {t.clipnorm}, dropout {m.dropout}, recurrent dropout {m.recurrent_dropout}, seed {t.seed}"]
    if command:
        lines += ["", "Rebuild it with:", "", f"    {command}"]
    lines += ["", "## Metrics (validation)", "", f"- loss: {_fmt(metrics['val_nats_per_token'])} nats per token "
              f"(training {_fmt(metrics['train_nats_per_token'])})"]
    lines += _validation_lines(metrics.get("validation"))
    lines += ["", "Loss per epoch: `history.csv`, `loss.png`. All figures: `metrics.json`.", ""]
    return "\n".join(lines)


def _token_word(config: RunConfig) -> str:
    return {"value": "jazz value", "char": "character", "word": "word"}[config.tokenizer.level]


def _validation_lines(report: dict | None) -> list[str]:
    if not report:
        return []
    if "model" not in report:
        return [f"- {k.replace('_', ' ')}: {_fmt(v)}" for k, v in report.items()]
    lines = ["", "Scored over the note tokens a sampler samples:", "",
             "| | nats/token | bits/note | perplexity | accuracy |", "|---|---|---|---|---|"]
    for name in ("model", "baseline"):
        figures = report.get(name)
        if figures:
            label = "model" if name == "model" else "n-gram baseline"
            lines.append(f"| {label} | " + " | ".join(_fmt(figures[k]) for k in
                                                      ("nats_per_token", "bits_per_note", "perplexity", "accuracy")) + " |")
    lines.append(f"\n{report['solos']} solos, {report['notes']:,} notes, {report['tokens']:,} scored tokens.")
    return lines


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
