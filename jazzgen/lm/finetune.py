"""Starting a run from a trained bundle (fine-tuning): its architecture, its weights and its
vocabulary, grown by the tokens the new data holds that it never saw. Knows nothing of music.

    start = load_start("trained/jazz")
    data = start.adopt(data)                   # ids in the base's vocabulary, new tokens appended
    config = start.config_for(data, TrainConfig(lr=3e-4, epochs=10))  # or a ModelConfig for its dropout
    weights = start.weights_for(config)        # the base's, with rows for the new tokens

A new token gets an embedding row drawn like the base's rows (the same spread) and an output
column of small weights with a bias below every known token's, so the model first predicts it
rarely and learns from the data how often it comes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import UsageError
from jazzgen.files.fileio import read_bytes, read_json, shown
from jazzgen.lm.bundle import (
    EMBEDDING,
    LOGITS,
    NOTICE,
    TRAINING_DATA,
    BundleMeta,
    load_bundle_meta,
    load_weights_npz,
)
from jazzgen.lm.config import ModelConfig, RunConfig, TrainConfig
from jazzgen.lm.dataset import TokenData
from jazzgen.lm.vocab import Vocab

ARCHITECTURE = ("cell", "layers", "units", "embedding")  # what a fine-tune keeps from its base
TRAINING_ONLY = ("input_dropout", "dropout", "recurrent_dropout")  # ModelConfig's, free to change
NEW_TOKEN_BIAS = 2.0  # nats below the least likely known token's output bias


@dataclass(frozen=True)
class Start:
    """A bundle a run starts from."""

    path: Path
    meta: BundleMeta
    weights: dict[str, np.ndarray]

    @property
    def config(self) -> RunConfig:
        return self.meta.config

    def adopt(self, data: TokenData) -> TokenData:
        """data's ids in the base's vocabulary extended by the tokens only data holds (at the end,
        so every base token keeps its id)."""
        if data.tokenizer.kind != self.config.tokenizer.kind:
            raise UsageError(
                f"--init {shown(self.path)}: a {self.config.tokenizer.kind} model cannot start a "
                f"{data.tokenizer.kind} model"
            )
        new = sorted(set(data.vocab.tokens) - set(self.meta.vocab.tokens))
        vocab = Vocab(self.meta.vocab.tokens + tuple(new))
        lookup = np.array([vocab.id(t) for t in data.vocab.tokens], np.int32)  # old id -> new id
        return replace(
            data,
            vocab=vocab,
            train=tuple(lookup[s] for s in data.train),
            val=tuple(lookup[s] for s in data.val),
            tokenizer=self.config.tokenizer,
            learned=_moved(data.learned, lookup, len(vocab)),
            sampled=_moved(data.sampled, lookup, len(vocab)),
        )

    def config_for(self, data: TokenData, train: TrainConfig, model: ModelConfig | None = None) -> RunConfig:
        """The base's architecture over data's vocabulary, trained by train (its weight decay among
        the rest). model: its dropouts (TRAINING_ONLY) are used; its architecture must be the
        base's (UsageError naming the first setting that is not)."""
        base = self.config.model
        if model is not None:
            changed = [name for name in ARCHITECTURE if getattr(model, name) != getattr(base, name)]
            if changed:
                option = f"--{changed[0]} {getattr(model, changed[0])}"
                raise UsageError(
                    f"{option}: a fine-tune keeps the architecture of {shown(self.path)} "
                    f"({architecture(base)}); drop {option.split()[0]}, or train a new model without --init"
                )
            base = replace(base, **{name: getattr(model, name) for name in TRAINING_ONLY})
        return RunConfig(replace(base, vocab_size=len(data.vocab)), train, self.config.tokenizer)

    def weights_for(self, config: RunConfig, seed: int = 0) -> dict[str, np.ndarray]:
        """The base's weights with an embedding row and an output column for each new token."""
        grow = config.model.vocab_size - self.config.model.vocab_size
        rng = np.random.default_rng(seed)
        weights = dict(self.weights)
        embedding = weights[EMBEDDING]  # (V, E)
        weights[EMBEDDING] = np.concatenate(
            [embedding, rng.normal(0, embedding.std(), (grow, embedding.shape[1]))]
        )
        kernel, bias = weights[f"{LOGITS}.kernel"], weights[f"{LOGITS}.bias"]  # (H, V), (V,)
        weights[f"{LOGITS}.kernel"] = np.concatenate(
            [kernel, rng.normal(0, kernel.std() / 4, (kernel.shape[0], grow))], axis=1
        )
        weights[f"{LOGITS}.bias"] = np.concatenate([bias, np.full(grow, bias.min() - NEW_TOKEN_BIAS)])
        return {name: np.asarray(array, np.float32) for name, array in weights.items()}

    def source(self) -> str:
        """Where the base's training data came from ('' for a bundle from before it was kept)."""
        path = self.path / TRAINING_DATA
        record = read_json(path, 2**26, "restore the bundle") if path.exists() else {}
        return str(record.get("source", "")) if isinstance(record, dict) else ""

    def notice(self) -> str:
        """The data notice the base carries (its NOTICE.md), '' for a bundle without one."""
        path = self.path / NOTICE
        return (
            read_bytes(path, 2**20, "restore the bundle").decode("utf-8", "replace") if path.exists() else ""
        )


def load_start(path: str | Path) -> Start:
    """The bundle at path, ready to start a run from."""
    folder = Path(path)
    if not (folder / "config.json").exists():
        raise UsageError(
            f"--init {shown(folder)}: no model bundle here (no config.json); give a bundle such as "
            "trained/jazz"
        )
    meta = load_bundle_meta(folder)
    return Start(folder, meta, load_weights_npz(folder, meta))


def architecture(model: ModelConfig) -> str:
    return f"{model.layers}x{model.units} {model.cell}, embedding {model.embedding}"


def _moved(mask: np.ndarray | None, lookup: np.ndarray, size: int) -> np.ndarray | None:
    """A (vocab,) mask of the data's ids at their ids in the grown vocabulary (False elsewhere)."""
    if mask is None:
        return None
    moved = np.zeros(size, bool)
    moved[lookup] = mask
    return moved
