"""Drawing tokens from a language model's logits, for a batch at once. Knows nothing of music.

temperature divides the logits; top_k keeps the k likeliest tokens; top_p keeps the smallest set
of likeliest tokens whose probabilities add up to at least top_p; a mask removes tokens the
caller's grammar forbids. One NumPy generator per call makes a seed reproduce its output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jazzgen.errors import UsageError


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0
    seed: int | None = None

    def __post_init__(self):
        if not 0.01 <= self.temperature <= 10:
            raise UsageError(
                f"--temperature {self.temperature}: give a value from 0.01 to 10 (1.0 samples the model as trained)"
            )
        if self.top_k < 0:
            raise UsageError(f"--top-k {self.top_k}: give 0 (no limit) or a positive count")
        if not 0 < self.top_p <= 1:
            raise UsageError(f"--top-p {self.top_p}: give a probability in (0, 1]")


def probabilities(logits: np.ndarray, config: SamplingConfig, mask: np.ndarray | None = None) -> np.ndarray:
    """logits (batch, vocab) -> probabilities (batch, vocab) after mask, temperature, top-k, top-p.

    A row whose mask allows nothing keeps its unmasked distribution (the caller decides what then).
    """
    z = logits.astype(np.float64)  # a copy, changed in place below (the sampler calls this per token)
    if config.temperature != 1.0:
        z /= config.temperature
    if mask is not None:
        some = mask.any(axis=1)
        z[~mask & some[:, None]] = -np.inf
    if config.top_k and config.top_k < z.shape[1]:
        kth = np.partition(z, -config.top_k, axis=1)[:, -config.top_k][:, None]
        z[z < kth] = -np.inf
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z, out=z)
    p /= p.sum(axis=1, keepdims=True)
    if config.top_p < 1.0:
        p = _nucleus(p, config.top_p)
    return p


def _nucleus(p: np.ndarray, top_p: float) -> np.ndarray:
    order = np.argsort(-p, axis=1)
    sorted_p = np.take_along_axis(p, order, axis=1)
    before = np.cumsum(sorted_p, axis=1) - sorted_p  # mass of the likelier tokens
    keep_sorted = before < top_p
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    p = np.where(keep, p, 0.0)
    return p / p.sum(axis=1, keepdims=True)


def draw(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One id per row of p (batch, vocab), by inverse CDF: exact for float64 rows summing to 1."""
    cdf = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0]) * cdf[:, -1]
    ids = (cdf <= u[:, None]).sum(axis=1)
    return np.minimum(ids, p.shape[1] - 1)
