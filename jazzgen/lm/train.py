"""Training a bundle from id sequences: the loop, then the bundle with its card. Knows nothing of music.

    bundle = train_model(data, "trained/mine", ModelConfig(), TrainConfig(), judge=my_judge)

A mode (jazz, text: jazzgen.training) hands in its TokenData and a judge, which scores the
trained model on the validation sequences and says what the bundle and its card should add
(figures, a table, files such as an n-gram baseline). The run's checkpoint stays in OUTPUT.run
after the bundle is written, so `--resume` with more epochs continues a finished run. Imports
TensorFlow (through jazzgen.lm.loop).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from jazzgen.files.fileio import check_writable
from jazzgen.files.outputs import claim_folder, locked
from jazzgen.lm.bundle import NOTICE, TRAINING_DATA, BundleFiles, claim_output, write_bundle
from jazzgen.lm.checkpoint import Epoch, holds_run
from jazzgen.lm.config import ModelConfig, RunConfig, TrainConfig
from jazzgen.lm.dataset import TokenData, sequence_fingerprint
from jazzgen.lm.finetune import Start, architecture, load_start
from jazzgen.lm.loop import FitResult, fit, run_folder, worker_from_env
from jazzgen.lm.runlog import history_csv, loss_png


@dataclass(frozen=True)
class Judged:
    """What a mode adds to a bundle after training: figures for metrics.json (under 'validation'
    and beside it), lines for the card's metrics section, and files by name."""

    metrics: dict
    card: tuple[str, ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()


Judge = Callable[[object, TokenData], Judged]  # (the trained keras.Model, the data) -> Judged


def train_model(
    data: TokenData,
    output: str | Path,
    model: ModelConfig | None,
    train: TrainConfig,
    resume: bool = False,
    progress: bool = True,
    command: str = "",
    on_epoch: Callable[[Epoch], None] | None = None,
    notice: str = "",
    force: bool = False,
    init: str | Path | None = None,
    judge: Judge | None = None,
) -> Path | None:
    """Fit a model to data and write its bundle to output (see jazzgen.lm.bundle).

    resume: continue the run from its last checkpoint in OUTPUT.run (an interrupted run, or a
    finished one given more epochs); command: the command line that rebuilds the model, and
    notice: the data's licence and citation (Markdown), both for the model card; force: replace
    a bundle already at output; init: a bundle to start from (jazzgen.lm.finetune: its
    architecture, weights and vocabulary; model then only sets the dropouts, and the base's
    notice is carried on); judge: the mode's validation (see the module doc). Returns the bundle
    folder (None on a non-chief worker).
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
    claim_output(output, force or resume)  # a resumed run replaces the bundle it wrote before
    run_dir = run_folder(output, worker_from_env())
    claim_folder(run_dir, "training run", holds_run, option=f"-o {output}: its run folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    with locked(run_dir, "training into"):
        initial = start.weights_for(config, train.seed) if start is not None else None
        result = fit(data, config, output, resume, progress, on_epoch, initial)
        if not result.worker.is_chief:
            return None
        return _write(result, data, output, _Card(command, notice, start), judge, force or resume)


@dataclass(frozen=True)
class _Card:
    """What the model card says beyond the run's figures."""

    command: str
    notice: str
    start: Start | None


def _write(
    result: FitResult, data: TokenData, output: Path, card: _Card, judge: Judge | None, force: bool
) -> Path:
    judged = judge(result.model, data) if judge is not None and data.val else Judged({})
    metrics = run_metrics(result, data) | judged.metrics
    history = result.state.history
    files = [
        ("history.csv", history_csv(history).encode()),
        ("loss.png", loss_png(history, output.name)),
        (TRAINING_DATA, training_data(data).encode()),
        *judged.files,
    ]
    if card.notice.strip():
        files.append((NOTICE, card.notice.encode()))
    text = model_card(output.name, result.config, metrics, data, card, judged.card)
    return write_bundle(
        output, result.model, BundleFiles(result.config, data.vocab, metrics, text, tuple(files)), force
    )


def training_data(data: TokenData) -> str:
    """training_data.json: where the training sequences came from and a fingerprint of each, so
    that evaluating a model on what it learnt from can be pointed out."""
    fingerprints = sorted({sequence_fingerprint(s) for s in data.train})
    return json.dumps({"source": data.source, "sequences": len(data.train), "fingerprints": fingerprints})


def run_metrics(result: FitResult, data: TokenData) -> dict:
    """metrics.json's figures of the run itself: epochs, losses, time, speed, size."""
    best = result.state.best_epoch
    row = next((e for e in result.state.history if e.epoch == best), None)
    metrics = {
        "best_epoch": best,
        "epochs_run": len(result.state.history),
        "train_nats_per_token": row.train_loss if row else None,
        "val_nats_per_token": row.val_loss if row else None,
        "training_seconds": round(result.seconds, 1),
        "tokens_per_second": round(result.tokens_per_second),
        "parameters": int(sum(np.prod(v.shape) for v in result.model.trainable_variables)),
        "train_tokens": data.train_tokens,
        "val_tokens": sum(len(s) for s in data.val),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
    }
    if result.mix is not None:  # the bundle holds the blend: its loss, and every share's
        metrics["val_nats_per_token"] = result.mix.val_loss
        metrics["fine_tune_mix"] = {
            "trained_weight": result.mix.weight,
            "val_nats_per_sampled_token": {str(w): loss for w, loss in result.mix.losses},
        }
    return metrics


UNIT_WORDS = {"value": "value", "char": "character", "word": "word"}


def model_card(
    name: str, config: RunConfig, metrics: dict, data: TokenData, card: _Card, judged: tuple[str, ...] = ()
) -> str:
    """The bundle's README.md: what the model is, its data (and the bundle it was fine-tuned from,
    and the data notice as given), how it was trained and how well it does (judged: the mode's lines)."""
    m, t = config.model, config.train
    lines = [
        f"# {name}",
        "",
        f"A {m.layers}-layer {m.cell.upper()} language model ({m.units} units, embedding {m.embedding}, "
        f"{metrics['parameters']:,} parameters) over {m.vocab_size} {UNIT_WORDS[config.tokenizer.level]} "
        "tokens, trained with jazzgen.",
        "",
        "## Data",
        "",
        f"- source: `{data.source}`",
        *_fine_tuned(card.start),
        f"- training tokens: {metrics['train_tokens']:,}; validation tokens: {metrics['val_tokens']:,}"
        + (
            "; validation holds out whole groups of related sequences (for jazz, a tune's takes)"
            if config.train.val_groups
            else ""
        )
        + (
            f"; a share of {config.train.chordless:g} of the training solos with chords was trained on "
            "again with the chords taken away (--chordless)"
            if config.train.chordless
            else ""
        ),
        f"- tokenizer: {asdict(config.tokenizer)}",
        "",
    ]
    if card.notice.strip():
        lines += [card.notice.strip(), ""]
    lines += [
        "## Training",
        "",
        f"- {metrics['epochs_run']} epochs (best {metrics['best_epoch']}), {metrics['training_seconds']} s "
        f"of training at {metrics['tokens_per_second']:,} tokens/s on {metrics['machine']}",
        f"- seq_len {t.seq_len}, batch {t.batch_size}, {_optimizer_name(t)} lr {t.lr} (cosine to "
        f"{t.lr * t.min_lr_fraction:g}), clipnorm {t.clipnorm}, input dropout {m.input_dropout}, "
        f"dropout {m.dropout}, recurrent dropout {m.recurrent_dropout}, seed {t.seed}",
        *(
            [f"- the state carried from window to window in {t.batch_size} lanes of the text (--carry-state)"]
            if t.carry_state
            else []
        ),
        *_mix_line(metrics.get("fine_tune_mix")),
    ]
    if card.command:
        lines += ["", "Rebuild it with:", "", f"    {card.command}"]
    lines += [
        "",
        "## Metrics (validation)",
        "",
        f"- loss: {fmt(metrics['val_nats_per_token'])} nats per token "
        f"(training {fmt(metrics['train_nats_per_token'])})",
        *judged,
        "",
        "Loss per epoch: `history.csv`, `loss.png`. All figures: `metrics.json`.",
        "",
    ]
    return "\n".join(lines)


def _optimizer_name(train: TrainConfig) -> str:
    if not train.weight_decay:
        return "Adam"
    return f"AdamW (weight decay {train.weight_decay}, not on the embedding or biases)"


def _fine_tuned(start: Start | None) -> list[str]:
    if start is None:
        return []
    return [
        f"- fine-tuned from `{start.path}` ({architecture(start.config.model)} over "
        f"{start.config.model.vocab_size} tokens, trained on `{start.source() or 'see its card'}`)"
    ]


def _mix_line(mix: dict | None) -> list[str]:
    if not mix:
        return []
    weight = mix["trained_weight"]
    tried = ", ".join(f"{w}: {loss:.4f}" for w, loss in mix["val_nats_per_sampled_token"].items())
    return [
        f"- weights: {weight:g} x the fine-tuned + {1 - weight:g} x the base's, the blend that best "
        f"predicts the validation tokens a sampler chooses (nats a token by share of the fine-tuned "
        f"weights: {tried})"
    ]


def fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
