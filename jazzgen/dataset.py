"""Id sequences -> training windows. Domain-free and NumPy only.

How sequences become windows: the training sequences (solos, each starting with <solo> and
ending with <end>; or text examples) are concatenated into one stream, which is cut into
non-overlapping windows of seq_len + 1 tokens overlapping by one, so every token after the first
is a target exactly once: inputs = window[:-1], targets = window[1:]. The last window is padded
with id 0, which the trainer masks out of the loss. A window may span the end of one solo and the
start of the next; the model sees <end> <solo> there and learns that a new solo starts afresh.
The window count is padded to a whole number of batches with all-padding windows, so every
worker and replica runs the same number of full steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazzgen.config import TokenizerConfig
from jazzgen.errors import DataError
from jazzgen.vocab import Vocab

PAD_ID = 0


@dataclass(frozen=True)
class TokenData:
    """What a reader hands the trainer: id sequences for training and validation.

    train, val: 1-D int32 arrays of token ids, one per solo (jazz) or per text part.
    source: where the data came from, for the model card.
    """

    vocab: Vocab
    train: tuple[np.ndarray, ...]
    val: tuple[np.ndarray, ...]
    tokenizer: TokenizerConfig
    source: str = ""

    def __post_init__(self):
        if not sum(len(s) for s in self.train) >= 2:
            raise DataError(f"{self.source or 'the training data'}: fewer than 2 tokens to train on")

    @property
    def train_tokens(self) -> int:
        return sum(len(s) for s in self.train)

    def fingerprint(self) -> str:
        """A short hash of the ids and vocabulary: a resumed run must see the same data."""
        import hashlib

        digest = hashlib.sha1("\n".join(self.vocab.tokens).encode("utf-8"))
        for part in (*self.train, b"|", *self.val):
            digest.update(part if isinstance(part, bytes) else np.ascontiguousarray(part, np.int32).tobytes())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Windows:
    """inputs, targets: (windows, seq_len) int32; targets are 0 (masked) where there is no token."""

    inputs: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def tokens(self) -> int:
        """How many targets count in the loss."""
        return int(np.count_nonzero(self.targets))


def make_windows(sequences: tuple[np.ndarray, ...], seq_len: int, batch_size: int) -> Windows:
    """Non-overlapping teacher-forcing windows over the concatenated sequences (see the module doc)."""
    stream = np.concatenate([np.asarray(s, np.int32) for s in sequences]) if sequences else np.zeros(0, np.int32)
    count = max(1, -(-(len(stream) - 1) // seq_len))  # ceil((n - 1) / seq_len)
    count = -(-count // batch_size) * batch_size  # whole batches
    padded = np.zeros(count * seq_len + 1, np.int32)
    padded[: len(stream)] = stream
    starts = np.arange(count) * seq_len
    index = starts[:, None] + np.arange(seq_len + 1)[None, :]  # (windows, seq_len + 1)
    blocks = padded[index]
    targets = blocks[:, 1:].copy()
    targets[blocks[:, :-1] == PAD_ID] = PAD_ID  # a target after padding is no real continuation
    return Windows(blocks[:, :-1], targets)


def epoch_order(windows: int, seed: int, epoch: int) -> np.ndarray:
    """The order windows are visited in an epoch: fixed by (seed, epoch), so a resumed run sees
    the same batches as an uninterrupted one."""
    return np.random.default_rng([seed, epoch]).permutation(windows)
