"""An interpolated Kneser-Ney n-gram model over token ids: the baseline every model is judged by.

Pure Python. Each sequence is counted with order - 1 begin markers (BOS, id -1) before it, so
the first tokens of a solo have full contexts. The highest order uses raw counts; lower orders
use continuation counts (how many distinct tokens precede an n-gram); the unigram level is
interpolated with a uniform distribution over the vocabulary, so no token has probability 0.
Discounts per order: D = n1 / (n1 + 2 * n2) (Chen & Goodman's estimate). Saved as JSON.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError
from jazzgen.files.fileio import read_json, shown, write_text_atomic

BOS = -1
ORDERS = (3, 4, 5)
MAX_NGRAM_BYTES = 2**30  # ngram.json; trained/jazz's takes 2.7 MB


@dataclass(frozen=True)
class KneserNey:
    """counts[k - 1]: context tuple (k - 1 ids) -> {next id: count} for order k (raw counts at the
    highest order, continuation counts below); discounts[k - 1]: that order's discount."""

    order: int
    vocab_size: int
    counts: tuple[dict, ...]
    discounts: tuple[float, ...]
    _totals: tuple[dict, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        totals = tuple(
            {ctx: (sum(nxt.values()), len(nxt)) for ctx, nxt in level.items()} for level in self.counts
        )
        object.__setattr__(self, "_totals", totals)

    def probability(self, history: Sequence[int], token: int) -> float:
        """P(token | the last order - 1 ids of history), BOS-padded when history is short."""
        context = self._context(history)
        p = 1.0 / self.vocab_size
        for k in range(1, self.order + 1):
            ctx = context[len(context) - (k - 1) :] if k > 1 else ()
            total = self._totals[k - 1].get(ctx)
            if total is None:
                continue
            count = self.counts[k - 1][ctx].get(token, 0)
            d = self.discounts[k - 1]
            p = max(count - d, 0.0) / total[0] + d * total[1] / total[0] * p
        return p

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """(vocab_size,) P(each id | the last order - 1 ids of history), as probability() gives."""
        context = self._context(history)
        p = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k in range(1, self.order + 1):
            ctx = context[len(context) - (k - 1) :] if k > 1 else ()
            total = self._totals[k - 1].get(ctx)
            if total is None:
                continue
            d = self.discounts[k - 1]
            seen = self.counts[k - 1][ctx]
            discounted = np.zeros(self.vocab_size)
            discounted[list(seen)] = np.maximum(np.fromiter(seen.values(), float, len(seen)) - d, 0.0)
            p = discounted / total[0] + d * total[1] / total[0] * p
        return p

    def _context(self, history: Sequence[int]) -> tuple:
        context = tuple(history[-(self.order - 1) :]) if self.order > 1 else ()
        return (BOS,) * (self.order - 1 - len(context)) + context

    def best_next(self, history: Sequence[int]) -> int:
        """The most probable next id: only ids seen after some suffix of the context, or the
        most probable unigram, can win."""
        context = self._context(history)
        unigrams = self.counts[0].get((), {})
        candidates = {max(unigrams, key=unigrams.get)} if unigrams else {0}
        for k in range(2, self.order + 1):
            candidates.update(self.counts[k - 1].get(context[len(context) - (k - 1) :], ()))
        return max(sorted(candidates), key=lambda token: self.probability(context, token))

    def nats(self, sequence: Sequence[int], scored: Iterable[bool] | None = None) -> list[float]:
        """-ln P of each token after the first given the ones before it (positions 1..n-1);
        0.0 where scored is False, to skip work."""
        flags = list(scored) if scored is not None else [True] * len(sequence)
        out = []
        for i in range(1, len(sequence)):
            out.append(
                -math.log(self.probability(sequence[max(0, i - self.order + 1) : i], sequence[i]))
                if flags[i]
                else 0.0
            )
        return out

    def to_json(self) -> str:
        levels = [
            {" ".join(map(str, ctx)): sorted(nxt.items()) for ctx, nxt in level.items()}
            for level in self.counts
        ]
        return json.dumps(
            {
                "kind": "kneser-ney",
                "order": self.order,
                "vocab_size": self.vocab_size,
                "discounts": list(self.discounts),
                "counts": levels,
            },
            separators=(",", ":"),
        )

    def save(self, path: str | Path) -> None:
        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> KneserNey:
        data = read_json(path, MAX_NGRAM_BYTES, "retrain or restore the bundle")
        try:
            order, vocab_size = data["order"], data["vocab_size"]
            if not (
                isinstance(order, int)
                and isinstance(vocab_size, int)
                and 1 <= order == len(data["counts"])
                and vocab_size >= 1
                and len(data["discounts"]) == order
            ):
                raise ValueError("order, vocabulary size, counts and discounts do not agree")
            counts = tuple(
                {
                    tuple(int(x) for x in key.split()): {int(w): int(c) for w, c in pairs}
                    for key, pairs in level.items()
                }
                for level in data["counts"]
            )
            discounts = tuple(float(d) for d in data["discounts"])
            return cls(order, vocab_size, counts, discounts)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataError(
                f"{shown(path)}: not a jazzgen n-gram model ({type(err).__name__}: {err}); "
                "retrain or restore the bundle"
            ) from None


def count_ngrams(sequences: Iterable[Sequence[int]], max_order: int) -> list[dict]:
    """raw[k - 1]: (k - 1)-id context -> {next id: count}, for k = 1..max_order, over BOS-padded sequences."""
    raw = [defaultdict(lambda: defaultdict(int)) for _ in range(max_order)]
    for sequence in sequences:
        padded = [BOS] * (max_order - 1) + [int(t) for t in sequence]
        for i in range(max_order - 1, len(padded)):
            token = padded[i]
            for k in range(1, max_order + 1):
                raw[k - 1][tuple(padded[i - k + 1 : i])][token] += 1
    return raw


def kneser_ney(raw: list[dict], order: int, vocab_size: int) -> KneserNey:
    """The order-`order` model from raw counts of count_ngrams (max_order >= order)."""
    counts = [_continuation(raw[k]) for k in range(1, order)] + [_plain(raw[order - 1])]
    return KneserNey(order, vocab_size, tuple(counts), tuple(_discount(level) for level in counts))


def _plain(level: dict) -> dict:
    return {ctx: dict(nxt) for ctx, nxt in level.items()}


def _continuation(higher: dict) -> dict:
    """From (k)-id contexts' counts: how many distinct first ids precede each (k-1)-id context + token."""
    out: dict = defaultdict(lambda: defaultdict(int))
    for ctx, nxt in higher.items():
        shorter = ctx[1:]
        for token in nxt:
            out[shorter][token] += 1
    return {ctx: dict(nxt) for ctx, nxt in out.items()}


def _discount(level: dict) -> float:
    n1 = sum(1 for nxt in level.values() for c in nxt.values() if c == 1)
    n2 = sum(1 for nxt in level.values() for c in nxt.values() if c == 2)
    if n1 == 0:
        return 0.5
    return min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)


def fit_best(
    train: Sequence[Sequence[int]],
    val: Sequence[Sequence[int]],
    vocab_size: int,
    scored: Sequence[bool] | None = None,
    orders: Sequence[int] = ORDERS,
) -> KneserNey:
    """The Kneser-Ney model among `orders` with the lowest validation nats per scored token.

    scored[id]: whether tokens of that id count (all when None). Without validation data the
    highest order is kept.
    """
    raw = count_ngrams(train, max(orders))
    models = [kneser_ney(raw, order, vocab_size) for order in orders]
    if not val:
        return models[-1]
    return min(models, key=lambda model: _mean_nats(model, val, scored))


def _mean_nats(model: KneserNey, sequences, scored) -> float:
    total, count = 0.0, 0
    for sequence in sequences:
        flags = [scored is None or bool(scored[int(t)]) for t in sequence]
        total += sum(model.nats(sequence, flags))
        count += sum(flags[1:])
    return total / max(count, 1)
