"""The settings of a language-model run, as frozen dataclasses saved in the bundle's config.json.

One channel: click options -> these records -> the Python API -> config.json, so loading a model
never guesses. Domain-free apart from TokenizerConfig, which names how tokens were made.
No TensorFlow here: the sampler reads these records.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields

from jazzgen.errors import DataError, UsageError

FORMAT_VERSION = 1  # of a bundle (config.json, weights.npz layout); bump on any incompatible change
CELLS = ("lstm", "gru", "rnn")
STRATEGIES = ("auto", "mirrored", "multiworker")
LOSSES = ("all", "sampled")
TOKENIZER_KINDS = ("values", "text")
LEVELS = ("value", "char", "word")
MAX_VOCAB = 10_000_000  # tokens; a word model keeps tens of thousands
# the ModelConfig and TrainConfig fields the train commands set by an option of the same name
MODEL_OPTION_FIELDS = (
    "cell",
    "layers",
    "units",
    "embedding",
    "input_dropout",
    "dropout",
    "recurrent_dropout",
)
TRAIN_OPTION_FIELDS = (
    "seq_len",
    "batch_size",
    "epochs",
    "lr",
    "seed",
    "strategy",
    "patience",
    "clipnorm",
    "weight_decay",
    "loss",
)
MAX_PARAMETERS = 2**28  # 1 GiB of float32 weights; the shipped models hold 0.5M to 3.3M


@dataclass(frozen=True)
class ModelConfig:
    """Embedding -> `layers` stacked recurrent layers of `units` -> Dense logits over vocab_size.

    The dropouts are fractions dropped while training only (a bundle samples without them).
    vocab_size 0 means 'not known yet': the trainer fills it in from the data's vocabulary.
    """

    cell: str = "lstm"
    layers: int = 2
    units: int = 256
    embedding: int = 64
    input_dropout: float = 0.0  # on the embedding output: whole channels, one mask per window
    dropout: float = 0.1  # on each recurrent layer's output
    recurrent_dropout: float = 0.0  # on the recurrent state (slows training: per-step masks)
    vocab_size: int = 0

    def __post_init__(self):
        _check(self.cell in CELLS, f"--cell {self.cell}: choose one of {', '.join(CELLS)}")
        _check(
            self.vocab_size == 0 or self.vocab_size >= 3,
            f"a vocabulary of {self.vocab_size} tokens is too small to model",
        )
        _check(
            self.vocab_size <= MAX_VOCAB,
            f"a vocabulary of {self.vocab_size:,} tokens is over the {MAX_VOCAB:,} jazzgen models",
        )
        _check(1 <= self.layers <= 8, f"--layers {self.layers}: give 1 to 8")
        _check(1 <= self.units <= 8192, f"--units {self.units}: give 1 to 8192")
        _check(1 <= self.embedding <= 8192, f"--embedding {self.embedding}: give 1 to 8192")
        _check(
            0 <= self.input_dropout < 1, f"--input-dropout {self.input_dropout}: give a fraction in [0, 1)"
        )
        _check(0 <= self.dropout < 1, f"--dropout {self.dropout}: give a fraction in [0, 1)")
        _check(0 <= self.recurrent_dropout < 1, f"--recurrent-dropout {self.recurrent_dropout}: give [0, 1)")
        _check(
            self.parameters() <= MAX_PARAMETERS,
            f"a {self.layers}x{self.units} model over {self.vocab_size:,} tokens "
            f"has {self.parameters():,} parameters, over the {MAX_PARAMETERS:,} "
            "jazzgen trains: give fewer --units or --layers",
        )

    def parameters(self) -> int:
        """About how many weights the model has (an LSTM's four gates; exact within a few biases)."""
        vocab = max(self.vocab_size, 1)
        first = self.embedding + self.units + 1
        deeper = (self.layers - 1) * (2 * self.units + 1)
        return vocab * self.embedding + 4 * self.units * (first + deeper) + (self.units + 1) * vocab


@dataclass(frozen=True)
class TrainConfig:
    """How to train. seq_len: tokens per window; lr: peak learning rate of the cosine schedule."""

    seq_len: int = 128
    batch_size: int = 64
    epochs: int = 20
    lr: float = 2e-3
    min_lr_fraction: float = 0.1  # the cosine schedule ends at lr * min_lr_fraction
    seed: int = 0
    strategy: str = "auto"
    patience: int = 3  # epochs without a better validation loss before stopping
    clipnorm: float = 1.0  # global gradient norm; clipping is always on
    weight_decay: float = 0.0  # AdamW: kernels shrink by lr * weight_decay each step; 0: Adam
    val_fraction: float = 0.1  # of the solos (jazz) or of the text (text), unless a val set is given
    loss: str = "all"  # the targets the loss counts: "all", or "sampled" (a jazz sampler's choices only)
    val_groups: bool = False  # validation holds out whole groups of related sequences (jazz: a tune's takes)
    blend: bool = True  # a fine-tune ends on the blend with its base of least validation loss (lm.loop.Mix)
    chordless: float = 0.0  # jazz: share of the training solos with chords trained on again without them
    carry_state: bool = False  # each window goes on from the state its lane's window before ended with

    def __post_init__(self):
        _check(2 <= self.seq_len <= 100_000, f"--seq-len {self.seq_len}: give 2 to 100000")
        _check(1 <= self.batch_size <= 65_536, f"--batch-size {self.batch_size}: give 1 to 65536")
        _check(1 <= self.epochs <= 100_000, f"--epochs {self.epochs}: give at least 1")
        _check(0 < self.lr < 1, f"--lr {self.lr}: give a learning rate in (0, 1)")
        _check(0 <= self.min_lr_fraction <= 1, f"min_lr_fraction {self.min_lr_fraction}: give [0, 1]")
        _check(
            self.strategy in STRATEGIES, f"--strategy {self.strategy}: choose one of {', '.join(STRATEGIES)}"
        )
        _check(self.patience >= 1, f"--patience {self.patience}: give at least 1")
        _check(self.clipnorm > 0, f"--clipnorm {self.clipnorm}: give a positive norm")
        _check(
            0 <= self.weight_decay <= 1,
            f"--weight-decay {self.weight_decay}: give 0 to 1 (0 is off; 0.01 to 0.1 is usual)",
        )
        _check(0 < self.val_fraction < 1, f"--val-fraction {self.val_fraction}: give a fraction in (0, 1)")
        _check(self.loss in LOSSES, f"--loss {self.loss}: choose one of {', '.join(LOSSES)}")
        _check(0 <= self.chordless <= 1, f"--chordless {self.chordless}: give a share from 0 to 1")


@dataclass(frozen=True)
class TokenizerConfig:
    """How a reader turned data into tokens; a sampler feeds start_token first and stops at end_token.

    kind 'values': jazz value tokens (jazzgen.tokens.values); kind 'text': characters or words (jazzgen.tokens.text).
    vocab_size: word level only, how many of the most common words were kept. scheme: values only,
    how a note's time is written ('gaps' or 'positions'); a bundle from before schemes has None,
    which is 'gaps'.
    """

    kind: str = "values"
    level: str = "value"
    vocab_size: int | None = None
    lines: bool = False  # text: each line is one example ended by <EOS>
    lower: bool = False  # text: lowercased before tokenizing
    start_token: str = "<solo>"
    end_token: str | None = "<end>"
    scheme: str | None = None

    def __post_init__(self):
        _check(
            self.kind in TOKENIZER_KINDS, f"tokenizer kind {self.kind!r}: one of {', '.join(TOKENIZER_KINDS)}"
        )
        _check(self.level in LEVELS, f"--level {self.level}: choose char or word")


@dataclass(frozen=True)
class RunConfig:
    """Everything config.json holds: the model, the training run and the tokenizer."""

    model: ModelConfig
    train: TrainConfig
    tokenizer: TokenizerConfig

    def to_dict(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "model": asdict(self.model),
            "train": asdict(self.train),
            "tokenizer": asdict(self.tokenizer),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> RunConfig:
        version = data.get("format_version") if isinstance(data, dict) else None
        if type(version) is not int or version != FORMAT_VERSION:
            raise DataError(
                f"{where}: bundle format version {version!r}, this jazzgen reads version "
                f"{FORMAT_VERSION}; retrain the model or use a matching jazzgen"
            )
        try:
            return cls(
                _record(ModelConfig, data["model"]),
                _record(TrainConfig, data["train"]),
                _record(TokenizerConfig, data["tokenizer"]),
            )
        except (KeyError, TypeError, UsageError) as err:
            raise DataError(f"{where}: not a valid jazzgen model config ({err})") from None

    def differences(self, other: RunConfig) -> list[tuple[str, str, object, object]]:
        """(section, field, mine, other's) for every setting that differs."""
        out = []
        for section in ("model", "train", "tokenizer"):
            mine, theirs = asdict(getattr(self, section)), asdict(getattr(other, section))
            out += [(section, k, mine[k], theirs.get(k)) for k in mine if mine[k] != theirs.get(k)]
        return out


# (section, field) -> the train option that sets it, and how the option spells the field's values
# where they differ; a field no option sets (one the data decides, such as the vocabulary size, or
# the corpus's token scheme) goes by its place in config.json
_OPTIONS = {
    **{("model", f): ("--" + f.replace("_", "-"), {}) for f in MODEL_OPTION_FIELDS},
    **{("train", f): ("--" + f.replace("_", "-"), {}) for f in (*TRAIN_OPTION_FIELDS, "chordless")},
    **{("tokenizer", f): ("--" + f.replace("_", "-"), {}) for f in ("level", "vocab_size", "lines", "lower")},
    ("train", "val_groups"): ("--split", {True: "tune", False: "solo"}),
    ("train", "blend"): ("--no-blend", {True: "off", False: "on"}),
    ("train", "carry_state"): ("--carry-state", {True: "on", False: "off"}),
}


def option_difference(section: str, field: str, now, then) -> str:
    """'--weight-decay: 0.1 now, 0.0 then': a setting that differs, named by the option that sets it."""
    name, spelled = _OPTIONS.get((section, field), (f"{section}.{field}", {}))
    return f"{name}: {_spelled(now, spelled)} now, {_spelled(then, spelled)} then"


def _spelled(value, spelled: dict) -> str:
    if isinstance(value, bool) and value in spelled:
        return repr(spelled[value])
    return f"{value:g}" if isinstance(value, float) else repr(value)


_TYPES = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "int | None": (int, type(None)),
    "str | None": (str, type(None)),
}


def _record(cls, data: dict):
    """cls built from a config.json section; TypeError naming any setting unknown or of the wrong type."""
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} settings must be a JSON object, not {type(data).__name__}")
    known = {f.name: f.type for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise TypeError(f"unknown {cls.__name__} settings {sorted(unknown)}")
    for name, value in data.items():
        allowed = _TYPES[known[name]]
        if (
            not isinstance(value, allowed)
            or (isinstance(value, bool) and bool not in allowed)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise TypeError(f"{cls.__name__}.{name} is {value!r}, not of type {known[name]}")
    return cls(**data)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise UsageError(message)
