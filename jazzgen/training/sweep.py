"""A small model sweep on one prepared corpus: each variant changes a base config in one place.

    rows = run_sweep("out/wjazzd", "runs/sweep", DEFAULT_VARIANTS, base_model, base_train)
    print(sweep_table(rows))

Every variant trains for the same epochs on the same validation split (the base seed), so their
validation bits per note compare fairly; OUT/sweep.jsonl gets each run's row as soon as it ends.
A sweep started again skips the variants already there and resumes one cut off mid-run from its
last checkpoint. Imports TensorFlow (through jazzgen.training.train).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from jazzgen.files.fileio import check_writable, write_text_atomic
from jazzgen.files.outputs import claim_folder, entries
from jazzgen.lm.bundle import is_bundle
from jazzgen.lm.checkpoint import CHECKPOINT
from jazzgen.lm.config import ModelConfig, TrainConfig
from jazzgen.lm.loop import run_folder, worker_from_env
from jazzgen.lm.train import train_model
from jazzgen.tokens.corpus import load_jazz_data
from jazzgen.training.train import judge_jazz


@dataclass(frozen=True)
class Variant:
    """A name and the fields it changes in the base ModelConfig and TrainConfig."""

    name: str
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)


DEFAULT_VARIANTS = (
    Variant("base"),
    Variant("gru", model={"cell": "gru"}),
    Variant("1 layer", model={"layers": 1}),
    Variant("3 layers", model={"layers": 3}),
    Variant("128 units", model={"units": 128}),
    Variant("256 units", model={"units": 256}),
    Variant("512 units", model={"units": 512}),
    Variant("dropout 0.1", model={"dropout": 0.1}),
    Variant("seq 128", train={"seq_len": 128}),
)


def run_sweep(
    corpus: str | Path,
    out: str | Path,
    variants=None,
    model: ModelConfig = ModelConfig(),
    train: TrainConfig = TrainConfig(),
    progress: bool = True,
) -> list[dict]:
    """Train each variant not yet in OUT/sweep.jsonl into OUT/<name>; return every row, in variant order.
    variants: DEFAULT_VARIANTS unless given."""
    variants = DEFAULT_VARIANTS if variants is None else variants
    out = Path(out)
    check_writable(out, folder=True)
    claim_folder(out, "sweep", lambda folder: _holds_sweep(folder, variants))
    data = load_jazz_data(
        corpus, train.val_fraction, train.seed, by_tune=train.val_groups, chordless=train.chordless
    )
    out.mkdir(parents=True, exist_ok=True)
    log = out / "sweep.jsonl"
    done = {row["name"]: row for row in read_rows(log)}
    for variant in variants:
        config_model, config_train = replace(model, **variant.model), replace(train, **variant.train)
        if (
            variant.name in done
            or (variant.model or variant.train)
            and (config_model, config_train) == (model, train)
        ):
            continue  # finished before, or the base itself under another name
        folder = out / _folder(variant.name)
        if not is_bundle(folder):  # a bundle there finished before the sweep was cut off: not trained again
            train_model(
                data,
                folder,
                config_model,
                config_train,
                resume=_interrupted(folder),
                progress=progress,
                command=f"(sweep variant '{variant.name}')",
                judge=judge_jazz,
            )
        done[variant.name] = _row(variant, config_model, config_train, folder)
        write_text_atomic(log, "".join(json.dumps(row) + "\n" for row in done.values()))
    rows = [done[v.name] for v in variants if v.name in done]
    write_text_atomic(out / "sweep.md", sweep_table(rows) + "\n")
    return rows


def read_rows(log: Path) -> list[dict]:
    """The rows of a sweep log; a line that is not JSON (edited by hand, say) is left out."""
    if not log.exists():
        return []
    rows = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def sweep_table(rows: list[dict]) -> str:
    """A Markdown table of the rows, best validation bits per note marked."""
    best = min((r["val_bits_per_note"] for r in rows), default=None)
    lines = [
        "| variant | cell | layers | units | dropout | seq len | val bits/note | n-gram | ratio | parameters "
        "| epochs | minutes |",
        "|" + "---|" * 12,
    ]
    for r in rows:
        mark = " **best**" if r["val_bits_per_note"] == best else ""
        lines.append(
            f"| {r['name']}{mark} | {r['cell'].upper()} | {r['layers']} | {r['units']} | {r['dropout']} "
            f"| {r['seq_len']} | {r['val_bits_per_note']:.3f} | {r['ngram_bits_per_note']:.3f} "
            f"| {r['val_bits_per_note'] / r['ngram_bits_per_note']:.3f} | {r['parameters']:,} "
            f"| {r['epochs_run']} | {r['training_seconds'] / 60:.1f} |"
        )
    return "\n".join(lines)


def _row(variant: Variant, model: ModelConfig, train: TrainConfig, bundle: Path) -> dict:
    metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
    validation = metrics["validation"]
    return {
        "name": variant.name,
        "cell": model.cell,
        "layers": model.layers,
        "units": model.units,
        "embedding": model.embedding,
        "input_dropout": model.input_dropout,
        "dropout": model.dropout,
        "seq_len": train.seq_len,
        "batch_size": train.batch_size,
        "epochs": train.epochs,
        "lr": train.lr,
        "weight_decay": train.weight_decay,
        "seed": train.seed,
        "val_bits_per_note": validation["model"]["bits_per_note"],
        "ngram_bits_per_note": validation["baseline"]["bits_per_note"],
        "val_nats_per_token": metrics["val_nats_per_token"],
        "parameters": metrics["parameters"],
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "training_seconds": metrics["training_seconds"],
        "tokens_per_second": metrics["tokens_per_second"],
    }


def _holds_sweep(folder: Path, variants) -> bool:
    """Whether folder holds a sweep: its log, or only the folders of its variants' runs so far."""
    if (folder / "sweep.jsonl").is_file():
        return True
    own = {_folder(v.name) for v in variants}
    own |= {f"{name}.run" for name in own}
    return set(entries(folder)) <= own


def _interrupted(folder: Path) -> bool:
    """Whether a run of this variant was cut off after a checkpoint (it goes on from there)."""
    return (run_folder(folder, worker_from_env()) / CHECKPOINT).is_file()


def _folder(name: str) -> str:
    return name.replace(" ", "-").replace(".", "")
