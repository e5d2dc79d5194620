"""Training throughput of a 2x256 LSTM language model at batch 64, against this CPU's FLOP ceiling.

Prints tokens per second for jazzgen's own training step (stock Keras LSTM layers through
strategy.run) and for other ways to run the same LSTM, each also as a share of the ceiling:

    FLOPs per token = 3 * sum over layers of 2 * 4 * H * (I + H)    (forward x 3 for training;
                                                                  the output layer is not counted)
    ceiling         = the best float32 GFLOP/s of a 2048^3 TensorFlow matmul, measured in this run

The variants run round-robin, several rounds, and the median is reported: the machine is shared,
so single timings are noisy. One variant runs jazzgen's step under Keras' mixed_bfloat16 policy
(bfloat16 products, float32 weights and loss): it pays only on a CPU or GPU that multiplies
bfloat16 natively, which the bfloat16 matmul ceiling printed beside float32's shows.

    .venv/bin/python bench/bench_train.py [--rounds 5] [--seq-len 128] [--embedding 64] [--vocab 470]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.dataset import TokenData
from jazzgen.lm.loop import _StepFunctions, fit
from jazzgen.lm.model import build_model
from jazzgen.lm.vocab import Vocab

LAYERS, UNITS, BATCH = 2, 256, 64


def lstm_flops_per_token(embedding: int) -> float:
    inputs = [embedding] + [UNITS] * (LAYERS - 1)
    return 3 * sum(2 * 4 * UNITS * (i + UNITS) for i in inputs)


def matmul_ceiling(size: int = 2048, repeats: int = 5, dtype=tf.float32) -> float:
    """Best GFLOP/s of a size^3 matmul in TensorFlow (oneDNN/Eigen, all cores)."""
    a, b = (tf.cast(tf.random.normal((size, size)), dtype) for _ in range(2))
    product = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32)))
    product().numpy()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        product().numpy()
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


def recurrent_gemm_rate(steps: int = 256) -> float:
    """GFLOP/s of the LSTM's per-step product, (batch, H) @ (H, 4H), chained as a recurrence is."""
    u = tf.random.normal((UNITS, 4 * UNITS), stddev=0.05)

    @tf.function
    def chain(h):
        for _ in tf.range(steps):
            h = tf.tanh(tf.matmul(h, u)[:, :UNITS])
        return tf.reduce_sum(h)

    h0 = tf.random.normal((BATCH, UNITS))
    chain(h0).numpy()
    start = time.perf_counter()
    chain(h0).numpy()
    return 2 * BATCH * UNITS * 4 * UNITS * steps / (time.perf_counter() - start) / 1e9


# ------------------------------------------------------------------ variants of one training step


def keras_step(config: ModelConfig, jit: bool, policy: str = "float32"):
    """jazzgen's own step: build_model's Keras layers, strategy.run, masked loss, Adam, clipping;
    the layers built under a Keras dtype policy (the loss is float32 either way)."""
    import keras

    keras.config.set_dtype_policy(policy)
    try:
        model = build_model(config)
    finally:
        keras.config.set_dtype_policy("float32")
    optimizer = keras.optimizers.Adam(1e-3, global_clipnorm=1.0)
    optimizer.build(model.trainable_variables)
    fns = _StepFunctions(tf.distribute.get_strategy(), model, optimizer)
    step = tf.function(fns._train_step, jit_compile=jit) if jit else fns.train_step
    return lambda x, y: step(x, y)[0]


def raw_step(config: ModelConfig, recurrence: str, jit: bool):
    """The same LSTM written in TensorFlow ops: the input projection of all steps as one matmul,
    then the recurrence as tf.scan (autodiff) or as tf.scan with a hand-written gradient whose
    weight gradient is one matmul."""
    import keras

    rng = np.random.default_rng(0)
    sizes = [config.embedding] + [UNITS] * (LAYERS - 1)
    params = [tf.Variable(rng.normal(0, 0.1, (config.vocab_size, config.embedding)).astype("f"))]
    for i in sizes:
        params += [
            tf.Variable(rng.normal(0, 0.05, (i, 4 * UNITS)).astype("f")),
            tf.Variable(rng.normal(0, 0.05, (UNITS, 4 * UNITS)).astype("f")),
            tf.Variable(np.zeros(4 * UNITS, "f")),
        ]
    params += [
        tf.Variable(rng.normal(0, 0.05, (UNITS, config.vocab_size)).astype("f")),
        tf.Variable(np.zeros(config.vocab_size, "f")),
    ]
    layer = {"scan": _scan_layer, "custom": _custom_layer}[recurrence]
    optimizer = keras.optimizers.Adam(1e-3, global_clipnorm=1.0)
    optimizer.build(params)

    @tf.function(jit_compile=jit)
    def step(ids, targets):
        with tf.GradientTape() as tape:
            x = tf.gather(params[0], ids)  # (batch, time, embedding)
            for k in range(LAYERS):
                x = layer(x, *params[1 + 3 * k : 4 + 3 * k])  # (batch, time, units)
            logits = x @ params[-2] + params[-1]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, params), params))
        return loss

    return step


def _gates(z):
    i, f, g, o = tf.split(z, 4, axis=1)
    return tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)


def _scan_layer(x, kernel, recurrent, bias):
    xw = tf.einsum("bti,ij->tbj", x, kernel) + bias  # (time, batch, 4H)
    zeros = tf.zeros([tf.shape(x)[0], UNITS])

    def step(carry, z):
        i, f, g, o = _gates(z + carry[0] @ recurrent)
        c = f * carry[1] + i * g
        return o * tf.tanh(c), c

    return tf.transpose(tf.scan(step, xw, initializer=(zeros, zeros))[0], [1, 0, 2])


def _custom_layer(x, kernel, recurrent, bias):
    xw = tf.einsum("bti,ij->tbj", x, kernel) + bias
    return tf.transpose(_recurrence(xw, recurrent), [1, 0, 2])


@tf.custom_gradient
def _recurrence(xw, recurrent):
    zeros = tf.zeros([tf.shape(xw)[1], UNITS])

    def step(carry, z):
        i, f, g, o = _gates(z + carry[0] @ recurrent)
        c = f * carry[1] + i * g
        return o * tf.tanh(c), c, tf.concat([i, f, g, o], 1)

    hs, cs, gates = tf.scan(step, xw, initializer=(zeros, zeros, tf.zeros_like(xw[0])))

    def grad(dhs):
        c_prev = tf.concat([zeros[None], cs[:-1]], 0)

        def back(carry, inputs):
            dh_t, c_t, c_p, gate = inputs
            i, f, g, o = tf.split(gate, 4, axis=1)
            dh, tc = dh_t + carry[0], tf.tanh(c_t)
            dc = carry[1] + dh * o * (1 - tc * tc)
            dz = tf.concat(
                [dc * g * i * (1 - i), dc * c_p * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)], 1
            )
            return tf.matmul(dz, recurrent, transpose_b=True), dc * f, dz

        dz = tf.scan(
            back, (dhs, cs, c_prev, gates), initializer=(zeros, zeros, tf.zeros_like(xw[0])), reverse=True
        )[2]
        h_prev = tf.concat([zeros[None], hs[:-1]], 0)
        return dz, tf.einsum("tbh,tbg->hg", h_prev, dz)  # the weight gradient as one product

    return hs, grad


# ------------------------------------------------------------------ running


def compare(variants: dict, seq_len: int, vocab: int, rounds: int, steps: int = 3) -> dict[str, float]:
    """Median tokens/s of each variant over round-robin rounds of `steps` steps."""
    rng = np.random.default_rng(0)
    ids = tf.constant(rng.integers(1, vocab, (BATCH, seq_len)), tf.int32)
    targets = tf.constant(rng.integers(1, vocab, (BATCH, seq_len)), tf.int32)
    for step in variants.values():
        step(ids, targets).numpy()  # trace and warm up
    rates = {name: [] for name in variants}
    for _ in range(rounds):
        for name, step in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                loss = step(ids, targets)
            loss.numpy()
            rates[name].append(steps * BATCH * seq_len / (time.perf_counter() - start))
    return {name: float(np.median(r)) for name, r in rates.items()}


def end_to_end(config: ModelConfig, seq_len: int, tmp: Path) -> float:
    """tokens/s of jazzgen's fit (tf.data, distribution, checkpoints) in the second epoch over
    random ids (the first includes tracing the step)."""
    rng = np.random.default_rng(1)
    vocab = Vocab(("<pad>", "<unk>", *(f"t{i}" for i in range(config.vocab_size - 2))))
    sequences = tuple(rng.integers(2, config.vocab_size, 2000).astype(np.int32) for _ in range(40))
    data = TokenData(vocab, sequences, (), TokenizerConfig())
    run = RunConfig(
        config, TrainConfig(seq_len=seq_len, batch_size=BATCH, epochs=2, patience=2), TokenizerConfig()
    )
    return fit(data, run, tmp / "bench", progress=False).state.history[-1].tokens_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--vocab", type=int, default=470, help="470: the WJazzD value vocabulary")
    parser.add_argument(
        "--inter-op", type=int, default=0, help="TensorFlow inter-op threads (0: its default)"
    )
    args = parser.parse_args()
    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    config = ModelConfig(
        layers=LAYERS, units=UNITS, embedding=args.embedding, dropout=0.0, vocab_size=args.vocab
    )
    flops = lstm_flops_per_token(args.embedding)
    ceiling = matmul_ceiling()
    print(
        f"{LAYERS}x{UNITS} LSTM, embedding {args.embedding}, vocabulary {args.vocab}, batch {BATCH}, "
        f"seq_len {args.seq_len}; TensorFlow {tf.__version__}; {flops / 1e6:.2f} MFLOP per token trained"
    )
    print(
        f"ceiling: 2048^3 matmul {ceiling:.0f} GFLOP/s (bfloat16: "
        f"{matmul_ceiling(dtype=tf.bfloat16):.0f}); recurrent step product "
        f"({BATCH}x{UNITS} @ {UNITS}x{4 * UNITS}) {recurrent_gemm_rate():.0f} GFLOP/s"
    )
    variants = {
        "jazzgen step (Keras LSTM)": keras_step(config, jit=False),
        "jazzgen step, mixed bfloat16": keras_step(config, jit=False, policy="mixed_bfloat16"),
        "jazzgen step, XLA jit_compile": keras_step(config, jit=True),
        "tf.scan, input projection hoisted": raw_step(config, "scan", jit=False),
        "tf.scan + hand gradient": raw_step(config, "custom", jit=False),
        "tf.scan + hand gradient, XLA": raw_step(config, "custom", jit=True),
    }
    rates = compare(variants, args.seq_len, args.vocab, args.rounds)
    for name, rate in rates.items():
        print(
            f"{name:<36} {rate:9,.0f} tokens/s  {rate * flops / 1e9:6.1f} GFLOP/s  {rate * flops / 1e9 / ceiling:5.1%}"
        )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rate = end_to_end(config, args.seq_len, Path(tmp))
    print(
        f"{'jazzgen fit, an epoch end to end':<36} {rate:9,.0f} tokens/s  {rate * flops / 1e9:6.1f} GFLOP/s  "
        f"{rate * flops / 1e9 / ceiling:5.1%}"
    )


if __name__ == "__main__":
    main()
