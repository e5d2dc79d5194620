"""The state of a training run between epochs, saved as one file so a run can resume exactly.

RUN/checkpoint.npz holds the model's variables (weights and dropout seed states), the
optimizer's (step count, moments), the best weights so far, and a JSON record of the run:
its config, a fingerprint of its data, the epochs done and the history. One file written by
rename, so a kill at any moment leaves either the previous checkpoint or the new one.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import write_bytes_atomic
from jazzgen.lm.config import RunConfig, option_difference

CHECKPOINT = "checkpoint.npz"
RUN_FILES = (CHECKPOINT, "history.csv", "loss.png")  # what a run folder holds while training


@dataclass(frozen=True)
class Epoch:
    """One row of history.csv. Losses in nats per token; seconds of training in that epoch."""

    epoch: int
    train_loss: float
    val_loss: float | None
    learning_rate: float
    seconds: float
    tokens_per_second: float


@dataclass(frozen=True)
class RunState:
    """Where a run stands after `epochs_done` epochs."""

    epochs_done: int = 0
    history: tuple[Epoch, ...] = ()
    best_loss: float | None = None  # validation loss (training loss when there is no validation)
    best_epoch: int = 0
    stale: int = 0  # epochs since the best one
    best_weights: tuple[np.ndarray, ...] = field(default=(), compare=False, repr=False)

    def after(self, row: Epoch, weights: list[np.ndarray]) -> RunState:
        """The state once `row`'s epoch is done; weights are kept when its loss is the best yet."""
        loss = row.val_loss if row.val_loss is not None else row.train_loss
        improved = self.best_loss is None or loss < self.best_loss
        common = dict(epochs_done=row.epoch, history=self.history + (row,))
        if improved:
            return replace(
                self,
                **common,
                best_loss=loss,
                best_epoch=row.epoch,
                stale=0,
                best_weights=tuple(np.array(w) for w in weights),
            )
        return replace(self, **common, stale=self.stale + 1)


def save_checkpoint(
    run_dir: Path, model, optimizer, state: RunState, config: RunConfig, fingerprint: str
) -> None:
    record = {
        "config": config.to_dict(),
        "fingerprint": fingerprint,
        "epochs_done": state.epochs_done,
        "history": [asdict(e) for e in state.history],
        "best_loss": state.best_loss,
        "best_epoch": state.best_epoch,
        "stale": state.stale,
        "model_paths": [v.path for v in model.variables],
        "optimizer_paths": [v.path for v in optimizer.variables],
    }
    arrays = {"record": np.frombuffer(json.dumps(record).encode("utf-8"), np.uint8)}
    arrays |= {f"model/{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays |= {f"optimizer/{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)}
    arrays |= {f"best/{i}": w for i, w in enumerate(state.best_weights)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes_atomic(run_dir / CHECKPOINT, buffer.getvalue())


def restore_checkpoint(run_dir: Path, model, optimizer, config: RunConfig, fingerprint: str) -> RunState:
    """Load the run's last checkpoint into model and optimizer; UsageError when the run differs."""
    path = check_resumable(run_dir)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        record = json.loads(arrays["record"].tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(
            f"{path}: unreadable checkpoint ({err or type(err).__name__}); start the run again "
            "without --resume"
        ) from None
    _check_same_run(record, config, fingerprint, path)
    _assign(model.variables, record["model_paths"], arrays, "model", path)
    _assign(optimizer.variables, record["optimizer_paths"], arrays, "optimizer", path)
    best = tuple(arrays[f"best/{i}"] for i in range(len(model.trainable_variables)) if f"best/{i}" in arrays)
    return RunState(
        record["epochs_done"],
        tuple(Epoch(**e) for e in record["history"]),
        record["best_loss"],
        record["best_epoch"],
        record["stale"],
        best,
    )


def check_resumable(run_dir: Path) -> Path:
    """The run's checkpoint file; UsageError when there is none to resume from."""
    path = run_dir / CHECKPOINT
    if not path.is_file():
        raise UsageError(f"--resume: no checkpoint in {run_dir}; start the run without --resume")
    return path


def _check_same_run(record: dict, config: RunConfig, fingerprint: str, path: Path) -> None:
    saved = RunConfig.from_dict(record["config"], str(path))
    differences = [
        option_difference(section, field, now, then)
        for section, field, now, then in config.differences(saved)
        if (section, field) not in (("train", "epochs"), ("train", "patience"))  # how long to go on
    ]
    if differences:
        raise UsageError(
            f"--resume: this run's settings differ from the interrupted run's ({'; '.join(differences)}); "
            "repeat the original options or start afresh without --resume"
        )
    if record["fingerprint"] != fingerprint:
        raise UsageError(
            f"--resume: the training data changed since {path} was written; "
            "resume with the same data or start afresh without --resume"
        )


def _assign(variables, paths: list[str], arrays: dict, prefix: str, where: Path) -> None:
    saved = [(_unnumbered(p), tuple(arrays[f"{prefix}/{i}"].shape)) for i, p in enumerate(paths)]
    if [(_unnumbered(v.path), tuple(v.shape)) for v in variables] != saved:
        raise DataError(
            f"{where}: the {prefix} variables do not match this model; start afresh without --resume"
        )
    for i, variable in enumerate(variables):
        variable.assign(arrays[f"{prefix}/{i}"])


def _unnumbered(path: str) -> str:
    """A variable path without Keras' automatic name numbers ('seed_generator_26' -> 'seed_generator')."""
    return re.sub(r"_\d+(?=/|$)", "", path)


def holds_run(run_dir: Path) -> bool:
    """Whether a folder is a training run's (it holds a checkpoint or a history)."""
    return any((run_dir / name).is_file() for name in RUN_FILES)
