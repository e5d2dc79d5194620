"""The trained language model run one step at a time in NumPy, from a bundle's weights.npz.

No TensorFlow: a musician's `jazzgen generate` starts in a fraction of a second. The arithmetic
follows the formulas in jazzgen.lm.bundle's module doc, with two savings that change no result
beyond float rounding: the first layer's input projection is a lookup table (embedding @ kernel
+ bias, one row per token), and each deeper layer multiplies [x, h] by its stacked kernels once.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.lm.bundle import (
    EMBEDDING,
    LOGITS,
    BundleMeta,
    load_bundle_meta,
    load_weights_npz,
    recurrent_name,
)


@dataclass(frozen=True)
class _Layer:
    """One recurrent layer's arrays. The first layer has input_table (vocab, G*H), input bias
    included; deeper layers have stacked = [kernel; recurrent_kernel] ((input + H), G*H) and bias
    (LSTM and simple RNN), or kernel and bias kept apart from the recurrent half (GRU)."""

    units: int
    recurrent_kernel: np.ndarray  # (H, G*H)
    input_table: np.ndarray | None = None
    kernel: np.ndarray | None = None
    stacked: np.ndarray | None = None
    bias: np.ndarray | None = None
    recurrent_bias: np.ndarray | None = None  # GRU only: (3H,)


@contextmanager
def one_blas_thread():
    """Run the block with BLAS on one thread. A sampler's matrix products are a few rows high:
    a second thread gains nothing, and on a busy machine BLAS threads spin-wait against other
    processes (a cold generate measured 7.1 s with OpenBLAS's default threads, 0.63 s with one)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


class NumpyLM:
    """step(ids, state) -> (logits, state) for a batch; state is a list of arrays per layer."""

    def __init__(self, weights: dict[str, np.ndarray], cell: str, layers: int, units: int):
        self.cell, self.units, self.vocab_size = cell, units, weights[f"{LOGITS}.bias"].shape[0]
        self.layers = [self._layer(weights, k, k == 1) for k in range(1, layers + 1)]
        self.out_kernel = np.ascontiguousarray(weights[f"{LOGITS}.kernel"])  # (H, V)
        self.out_bias = weights[f"{LOGITS}.bias"]

    @classmethod
    def load(cls, path: str | Path, meta: BundleMeta | None = None) -> NumpyLM:
        meta = meta or load_bundle_meta(path)
        m = meta.config.model
        return cls(load_weights_npz(path, meta), m.cell, m.layers, m.units)

    def _layer(self, weights, k: int, first: bool) -> _Layer:
        name = recurrent_name(k)
        kernel, recurrent, bias = (
            weights[f"{name}.{part}"] for part in ("kernel", "recurrent_kernel", "bias")
        )
        if self.cell == "lstm":  # gate blocks i, f, g, o -> i, f, o, g: one sigmoid over the first 3H
            kernel, recurrent, bias = (_ifog(a, self.units) for a in (kernel, recurrent, bias))
        input_bias, recurrent_bias = (bias[0], bias[1]) if self.cell == "gru" else (bias, None)
        if first:
            table = weights[EMBEDDING] @ kernel + input_bias  # (V, G*H)
            return _Layer(self.units, recurrent, input_table=table, recurrent_bias=recurrent_bias)
        if self.cell == "gru":  # Keras' reset_after GRU: r multiplies the recurrent half alone
            return _Layer(
                self.units, recurrent, kernel=kernel, bias=input_bias, recurrent_bias=recurrent_bias
            )
        return _Layer(self.units, recurrent, stacked=np.concatenate([kernel, recurrent]), bias=input_bias)

    def initial_state(self, batch: int) -> list[tuple[np.ndarray, ...]]:
        zeros = lambda: np.zeros((batch, self.units), np.float32)  # noqa: E731
        return [(zeros(), zeros()) if self.cell == "lstm" else (zeros(),) for _ in self.layers]

    def step(self, ids: np.ndarray, state: list) -> tuple[np.ndarray, list]:
        """ids: (batch,) int -> logits (batch, vocab) float32 and the new state."""
        x, new_state = None, []
        for layer, layer_state in zip(self.layers, state):
            x, s = _STEPS[self.cell](layer, ids, x, layer_state)
            new_state.append(s)
        return _dot(x, self.out_kernel) + self.out_bias, new_state

    def run(self, ids: np.ndarray) -> np.ndarray:
        """Logits for every position of ids (batch, time), from a zero state: (batch, time, vocab)."""
        state, out = self.initial_state(ids.shape[0]), []
        for t in range(ids.shape[1]):
            logits, state = self.step(ids[:, t], state)
            out.append(logits)
        return np.stack(out, axis=1)


def _dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w for a batch of rows. Two or three rows go through BLAS one vector at a time: OpenBLAS
    packs w afresh for every matrix product, which on a 384x1152 kernel costs more than the
    rows' own products (measured: 2 rows 124 us as a product against 64 us row by row, 3 rows 193
    against 102; from 4 rows the product wins)."""
    if 1 < len(x) < 4:
        return np.stack([row @ w for row in x])
    return x @ w


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _lstm_step(layer: _Layer, ids, x, state):
    h, c = state
    if layer.input_table is not None:
        z = layer.input_table[ids] + _dot(h, layer.recurrent_kernel)  # (batch, 4H)
    else:
        z = _dot(np.concatenate([x, h], axis=1), layer.stacked) + layer.bias
    H = layer.units
    gates = _sigmoid(z[:, : 3 * H])  # i, f, o
    c = gates[:, H : 2 * H] * c + gates[:, :H] * np.tanh(z[:, 3 * H :])
    h = gates[:, 2 * H :] * np.tanh(c)
    return h, (h, c)


def _ifog(array: np.ndarray, units: int) -> np.ndarray:
    """Keras' LSTM column blocks (i, f, g, o) reordered to (i, f, o, g) along the last axis."""
    i, f, g, o = (array[..., k * units : (k + 1) * units] for k in range(4))
    return np.ascontiguousarray(np.concatenate([i, f, o, g], axis=-1))


def _gru_step(layer: _Layer, ids, x, state):
    (h,) = state
    H = layer.units
    a = (
        layer.input_table[ids] if layer.input_table is not None else _dot(x, layer.kernel) + layer.bias
    )  # (batch, 3H)
    b = _dot(h, layer.recurrent_kernel) + layer.recurrent_bias
    z = _sigmoid(a[:, :H] + b[:, :H])
    r = _sigmoid(a[:, H : 2 * H] + b[:, H : 2 * H])
    n = np.tanh(a[:, 2 * H :] + r * b[:, 2 * H :])
    h = z * h + (1.0 - z) * n
    return h, (h,)


def _rnn_step(layer: _Layer, ids, x, state):
    (h,) = state
    if layer.input_table is not None:
        h = np.tanh(layer.input_table[ids] + _dot(h, layer.recurrent_kernel))
    else:
        h = np.tanh(_dot(np.concatenate([x, h], axis=1), layer.stacked) + layer.bias)
    return h, (h,)


_STEPS = {"lstm": _lstm_step, "gru": _gru_step, "rnn": _rnn_step}
