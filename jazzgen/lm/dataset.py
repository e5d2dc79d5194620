"""Id sequences -> training windows. Domain-free and NumPy only.

How sequences become windows: each sequence (a solo from <solo> to <end>, a text, or one line
of a --lines text, each led by its start token) starts a new window, so the model often sees
its start token from a zero state, as a sampler feeds it. A sequence longer than a window is
cut into windows of seq_len + 1 tokens overlapping by one, so every token after the first is a
target exactly once: inputs = window[:-1], targets = window[1:]. Short sequences (and the tail of
a long one) are packed whole into the same window while they fit, a later one carrying the
state of those before it; the first token of every sequence is given, never a target. Unused
places hold id 0, which the trainer masks out of the loss. The window count is padded to a whole
number of batches with empty windows, so every worker and replica runs the same number of steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazzgen.errors import DataError
from jazzgen.lm.config import TokenizerConfig
from jazzgen.lm.vocab import Vocab

PAD_ID = 0


@dataclass(frozen=True)
class TokenData:
    """What a reader hands the trainer: id sequences for training and validation.

    train, val: 1-D int32 arrays of token ids, one per solo (jazz) or per text part.
    source: where the data came from, for the model card. learned: (vocab,) bool, the target ids
    the loss counts (a jazz sampler's choices, not the tokens it forces); None counts every id.
    sampled: (vocab,) bool, the ids a sampler chooses (None: every id), whatever the loss counts:
    what a fine-tune's blend with its base is judged on (jazzgen.lm.loop.Mix).
    """

    vocab: Vocab
    train: tuple[np.ndarray, ...]
    val: tuple[np.ndarray, ...]
    tokenizer: TokenizerConfig
    source: str = ""
    learned: np.ndarray | None = None
    sampled: np.ndarray | None = None

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


def sequence_fingerprint(ids) -> str:
    """A short hash of one id sequence: evaluation tells the sequences a model trained on by it."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(ids, np.int32).tobytes()).hexdigest()[:16]


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


def make_windows(
    sequences: tuple[np.ndarray, ...], seq_len: int, batch_size: int, learned: np.ndarray | None = None
) -> Windows:
    """Teacher-forcing windows over the sequences (see the module doc); learned: which target ids
    count in the loss (the others are read as inputs but masked like padding), all when None."""
    blocks = list(_blocks(sequences, seq_len + 1))
    count = max(1, -(-len(blocks) // batch_size)) * batch_size  # whole batches
    inputs = np.zeros((count, seq_len), np.int32)
    targets = np.zeros((count, seq_len), np.int32)
    for row, (ids, starts) in enumerate(blocks):
        inputs[row, : len(ids) - 1] = ids[:-1]
        targets[row, : len(ids) - 1] = np.where(starts[1:], PAD_ID, ids[1:])  # (seq_len,)
    if learned is not None:
        targets = np.where(learned[targets], targets, PAD_ID)
    return Windows(inputs, targets)


def whole_sequences(
    sequences: tuple[np.ndarray, ...], width: int, rows: int, learned: np.ndarray | None = None
) -> Windows:
    """One window a sequence, scored from a fresh state as an evaluation scores it (make_windows
    packs short sequences together and cuts long ones); a sequence longer than width + 1 goes on in
    further windows. rows: the windows come in batches of that many."""
    width = max(1, min(width, max(len(s) for s in sequences) - 1))
    pieces = [s[a : a + width + 1] for s in sequences for a in range(0, max(len(s) - 1, 1), width)]
    count = -(-len(pieces) // rows) * rows
    inputs = np.zeros((count, width), np.int32)
    targets = np.zeros((count, width), np.int32)
    for row, piece in enumerate(pieces):
        inputs[row, : len(piece) - 1] = piece[:-1]
        targets[row, : len(piece) - 1] = piece[1:]
    if learned is not None:
        targets = np.where(learned[targets], targets, PAD_ID)
    return Windows(inputs, targets)


def carried_windows(
    sequences: tuple[np.ndarray, ...], seq_len: int, lanes: int, learned: np.ndarray | None = None
) -> Windows:
    """Windows for training with the state carried from one window to the next (truncated
    backpropagation through time): the sequences joined into one stream, cut into `lanes` equal
    lanes, each lane into windows of seq_len targets. Row k * lanes + b is lane b's k-th window, so
    the k-th batch of `lanes` rows, in order, goes on where batch k - 1 left every lane. The tail
    that does not fill a window in every lane is left out; learned masks targets as in make_windows."""
    stream = np.concatenate([np.asarray(s, np.int32) for s in sequences])
    length = (len(stream) - 1) // lanes  # targets per lane
    count = length // seq_len
    if count == 0:
        raise DataError(
            f"{len(stream):,} tokens make no window of {seq_len} in each of {lanes} lanes; "
            "lower --seq-len or --batch-size"
        )
    starts = np.arange(lanes)[None, :] * length + np.arange(count)[:, None] * seq_len  # (count, lanes)
    offsets = starts.reshape(-1)[:, None] + np.arange(seq_len + 1)[None, :]  # (count * lanes, seq + 1)
    ids = stream[offsets]
    targets = ids[:, 1:] if learned is None else np.where(learned[ids[:, 1:]], ids[:, 1:], PAD_ID)
    return Windows(ids[:, :-1].copy(), np.ascontiguousarray(targets))


def _blocks(sequences, width: int):
    """(ids, starts) of each window: up to `width` ids, and where a sequence starts among them."""
    parts: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    size = 0
    for sequence in sequences:
        sequence = np.asarray(sequence, np.int32)
        if size and size + len(sequence) > width:
            yield np.concatenate(parts), np.concatenate(flags)
            parts, flags, size = [], [], 0
        pieces = [sequence[a : a + width] for a in range(0, max(len(sequence) - 1, 1), width - 1)]
        for index, piece in enumerate(pieces):
            starts = np.zeros(len(piece), bool)
            starts[0] = index == 0
            if len(piece) == width:
                yield piece, starts
            else:  # a short sequence or a long one's tail: later sequences may pack after it
                parts, flags, size = parts + [piece], flags + [starts], size + len(piece)
    if size:
        yield np.concatenate(parts), np.concatenate(flags)


def epoch_order(windows: int, seed: int, epoch: int) -> np.ndarray:
    """The order windows are visited in an epoch: fixed by (seed, epoch), so a resumed run sees
    the same batches as an uninterrupted one."""
    return np.random.default_rng([seed, epoch]).permutation(windows)
