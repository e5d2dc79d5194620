"""Generation speed: the NumPy sampler against Keras ways of sampling the same 2x256 LSTM, and a
cold `jazzgen generate` of a 32-bar solo with comp.

Prints one table of tokens per second (a token: one id through the model, every row of a batch
counted; forced bar and chord tokens count, they take a step like any other):

    numpy grammar   jazzgen.improv.improvise.improvise over rhythm changes (masks, forced events, draw)
    ... + range     the same with the Register generate uses (each line's pitch followed, values
                    leaving the tenor sax's range not offered)
    numpy raw       NumpyLM.step + sampling.probabilities + sampling.draw, nothing else
    keras step      the same weights in Keras cells, one token per tf.function call, state carried,
                    the draw on the host as above
    keras unrolled  the classroom one-to-many model: T steps unrolled in one graph feeding the
                    argmax back, one `predict` (first call: with tracing; second: traced)

NumPy rows give the median and the best of --repeats runs: on a shared machine the best is the
code's own speed, the median what a loaded machine gives. The NumPy rows run again in a process
whose BLAS uses one thread (OpenBLAS's threads spin against other work on 2 cores). Then the
cold `jazzgen generate` time (process start to MIDI written, median of --runs) of 32 bars, one
take and 16 (-n 16), on an idle machine and with every core busy with another process. Targets:
sampler >= 10,000 tokens/s at batch 1 and >= 50,000 at batch 64; cold generate median <= 1.0 s.
--profile prints where improvise spends its time. --cold-only prints the cold generate lines
alone, for any bundle: `--model trained/jazz --cold-only` times the command a musician runs (the
shipped 2x384 GRU, four takes a solo for its critic to choose from).

The model is --model (a trained bundle) or, by default, a 2x256 LSTM with random weights whose
output bias is the log unigram frequency of the corpus tokens, so it samples notes at a realistic
density; its vocabulary comes from --corpus (a prepared corpus) or from a corpus the bench
prepares from ../shared/data/wjazzd (or the project's data/midi when that is absent).

    .venv/bin/python bench/bench_generate.py [--model trained/jazz] [--corpus DIR] [--runs 7]
        [--repeats 5] [--choruses 4] [--steps 1000] [--unrolled 100] [--skip-keras] [--profile]
        [--cold-only]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from jazzgen.improv.generation import RHYTHM_TEMPERATURE, playing_range, register_for
from jazzgen.improv.improvise import improvise
from jazzgen.lm.bundle import (
    EMBEDDING,
    LOGITS,
    expected_shapes,
    load_bundle_meta,
    load_weights_npz,
    recurrent_name,
)
from jazzgen.lm.config import ModelConfig, RunConfig, TrainConfig
from jazzgen.lm.numpy_lm import NumpyLM
from jazzgen.lm.sampling import SamplingConfig, draw, probabilities
from jazzgen.lm.vocab import Vocab
from jazzgen.music.instruments import program_number
from jazzgen.music.tunes import lead_sheet
from jazzgen.tokens.corpus import VALUES_TOKENIZER, read_corpus
from jazzgen.tokens.values import forced_events, header, token_kind

REPO = Path(__file__).resolve().parents[1]
SHARED_WJAZZD = REPO.parent / "shared" / "data" / "wjazzd" / "mcsv_melody"
LAYERS, UNITS, EMBEDDING_SIZE = 2, 256, 64
FORCED_PENALTY = 4.0  # nats
TARGETS = {"batch 1": 10_000, "batch 64": 50_000, "cold generate": 1.0}


# ---------------------------------------------------------------- the model


def corpus_folder(corpus: str | None, tmp: Path) -> Path:
    if corpus:
        return Path(corpus)
    from jazzgen.tokens.preparation import prepare

    source = SHARED_WJAZZD if SHARED_WJAZZD.is_dir() else REPO / "data" / "midi"
    print(f"preparing a corpus from {source} ...", flush=True)
    prepare([source], tmp / "corpus")
    return tmp / "corpus"


def random_bundle(folder: Path, vocab: Vocab, token_lists: list[tuple[str, ...]], seed: int = 0) -> Path:
    """A 2x256 LSTM bundle with random weights and the log unigram frequencies as output bias;
    tokens a sampler forces get FORCED_PENALTY less, so bars end by gaps reaching past them, as
    in real streams, rather than by the model asking for the next event after every note."""
    config = RunConfig(
        ModelConfig(layers=LAYERS, units=UNITS, embedding=EMBEDDING_SIZE, dropout=0.0, vocab_size=len(vocab)),
        TrainConfig(),
        VALUES_TOKENIZER,
    )
    rng = np.random.default_rng(seed)
    shapes = expected_shapes(config)
    weights = {name: rng.normal(0, 0.05, shape).astype(np.float32) for name, shape in shapes.items()}
    counts = Counter(t for tokens in token_lists for t in tokens)
    frequency = np.array([counts.get(t, 0) + 1 for t in vocab.tokens], np.float64)
    forced = np.array([token_kind(t) not in ("gap", "pitch", "duration") for t in vocab.tokens])
    bias = np.log(frequency / frequency.sum()) - FORCED_PENALTY * forced
    weights[f"{LOGITS}.bias"] = bias.astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "weights.npz", **weights)
    (folder / "config.json").write_text(config.to_json())
    (folder / "metrics.json").write_text("{}")
    vocab.save(folder / "vocab.json")
    return folder


# ---------------------------------------------------------------- NumPy


def numpy_grammar(
    lm: NumpyLM, vocab: Vocab, batch: int, choruses: int, seed: int = 0, register: bool = False
) -> tuple[float, int]:
    """(tokens/s, tokens) of improvise over rhythm changes, batch streams at once, the rhythm at
    generate's temperature; register: keep the lines in the tenor sax's range as generate does
    (each pitch followed through the chords)."""
    sheet = lead_sheet(tune="rhythm", choruses=choruses)
    events = forced_events(sheet)
    prefix = header(sheet, 65) + events[0][1]
    kept = register_for(sheet, prefix, playing_range(program_number("tenor sax"))) if register else None
    start = time.perf_counter()
    streams = improvise(
        lm,
        vocab,
        prefix,
        events[1:],
        sheet.end,
        SamplingConfig(seed=seed),
        n=batch,
        register=kept,
        rhythm_temperature=RHYTHM_TEMPERATURE,
    )
    seconds = time.perf_counter() - start
    steps = max(len(s) for s in streams)  # every row goes through every step until the last stream ends
    return batch * steps / seconds, batch * steps


def numpy_raw(lm: NumpyLM, batch: int, steps: int, seed: int = 0) -> float:
    """tokens/s of the bare loop: step, probabilities, draw, feed back."""
    rng, config = np.random.default_rng(seed), SamplingConfig()
    ids, state = np.full(batch, 2, np.int64), lm.initial_state(batch)
    start = time.perf_counter()
    for _ in range(steps):
        logits, state = lm.step(ids, state)
        ids = draw(probabilities(logits, config), rng)
    return batch * steps / (time.perf_counter() - start)


def profile_grammar(lm: NumpyLM, vocab: Vocab, batch: int, choruses: int, lines: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    numpy_grammar(lm, vocab, batch, choruses)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


# ---------------------------------------------------------------- Keras


def keras_layers(weights: dict[str, np.ndarray]):
    """(embedding, [LSTMCell per layer], dense logits): Keras layers holding the bundle's weights."""
    import keras

    table = weights[EMBEDDING]
    embedding = keras.layers.Embedding(*table.shape, name=EMBEDDING)
    embedding.build((None,))
    embedding.set_weights([table])
    cells = []
    for k in range(1, LAYERS + 1):
        name = recurrent_name(k)
        cell = keras.layers.LSTMCell(UNITS, name=f"{name}_cell")
        cell.build((None, weights[f"{name}.kernel"].shape[0]))
        cell.set_weights([weights[f"{name}.{part}"] for part in ("kernel", "recurrent_kernel", "bias")])
        cells.append(cell)
    dense = keras.layers.Dense(weights[f"{LOGITS}.bias"].shape[0], name=LOGITS)
    dense.build((None, UNITS))
    dense.set_weights([weights[f"{LOGITS}.kernel"], weights[f"{LOGITS}.bias"]])
    return embedding, cells, dense


def keras_step(layers, lm: NumpyLM, batch: int, steps: int, seed: int = 0) -> tuple[float, float]:
    """(tokens/s, max |p_keras - p_numpy| on the first steps) of a tf.function step per token."""
    import tensorflow as tf

    embedding, cells, dense = layers

    @tf.function
    def step(ids, states):
        x, new = embedding(ids), []
        for cell, state in zip(cells, states):
            x, state = cell(x, state)
            new.append(state)
        return dense(x), new

    rng, config = np.random.default_rng(seed), SamplingConfig()
    ids = np.full(batch, 2, np.int32)
    states = [[tf.zeros((batch, UNITS)), tf.zeros((batch, UNITS))] for _ in cells]
    np_state, worst = lm.initial_state(batch), 0.0
    step(tf.constant(ids), states)  # trace once, outside the timing
    start = time.perf_counter()
    for t in range(steps):
        logits, states = step(tf.constant(ids), states)
        logits = logits.numpy()
        if t < 20:
            np_logits, np_state = lm.step(ids, np_state)
            gap = np.abs(probabilities(logits, config) - probabilities(np_logits, config)).max()
            worst = max(worst, float(gap))
        ids = draw(probabilities(logits, config), rng).astype(np.int32)
    return batch * steps / (time.perf_counter() - start), worst


def keras_unrolled(layers, batch: int, steps: int) -> tuple[float, float, float]:
    """(build seconds, tokens/s of the first predict, of the second) for the classroom model."""
    import keras

    start = time.perf_counter()
    embedding, cells, dense = layers
    first = keras.Input(shape=(), dtype="int32", name="first_id")
    initial = [keras.Input(shape=(UNITS,), name=f"{part}{k}") for k in range(LAYERS) for part in "hc"]
    states = [[initial[2 * k], initial[2 * k + 1]] for k in range(LAYERS)]
    x, outputs = embedding(first), []
    for _ in range(steps):
        for k, cell in enumerate(cells):
            x, states[k] = cell(x, states[k])
        chosen = keras.ops.argmax(dense(x), axis=-1)
        outputs.append(chosen)
        x = embedding(chosen)
    unrolled = keras.Model([first, *initial], keras.ops.stack(outputs, axis=1))
    built = time.perf_counter() - start
    inputs = [np.full(batch, 2, np.int32)] + [np.zeros((batch, UNITS), np.float32) for _ in initial]
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        unrolled.predict(inputs, batch_size=batch, verbose=0)
        rates.append(batch * steps / (time.perf_counter() - start))
    return built, rates[0], rates[1]


# ---------------------------------------------------------------- cold generate

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cold_generate(bundle: Path, runs: int, tmp: Path, env: dict | None = None, count: int = 1) -> list[float]:
    """Seconds from process start to the MIDI files written: `jazzgen generate` of 32 bars with comp,
    count variations (-n), after one untimed run."""
    jazzgen = Path(sys.executable).parent / "jazzgen"
    command = [str(jazzgen)] if jazzgen.exists() else [sys.executable, "-m", "jazzgen"]
    # as on a musician's machine, Python keeps the modules' bytecode: a run untimed first caches it
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for run in range(-1, runs):
        out = tmp / f"cold_{run}"
        start = time.perf_counter()
        arguments = [
            "generate",
            "-m",
            str(bundle),
            "--tune",
            "rhythm",
            "--seed",
            str(max(run, 0)),
            "-n",
            str(count),
        ]
        arguments += ["--outdir", str(out)]
        done = subprocess.run(command + arguments, capture_output=True, text=True, env=env, check=False)
        if run >= 0:
            times.append(time.perf_counter() - start)
        if done.returncode or len(list(out.glob("*.mid"))) != count:
            raise SystemExit(f"jazzgen generate failed: {done.stderr.strip()}")
    return times


@contextmanager
def busy_cores():
    """Every core kept busy by another process (a shared machine), for the loaded measurements."""
    spin = "while True: pass"
    workers = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def cold_line(label: str, times: list[float]) -> str:
    median = statistics.median(times)
    verdict = "meets" if median <= TARGETS["cold generate"] else "MISSES"
    return (
        f"cold generate, {label:<22} median {median:.3f} s  min {min(times):.3f}  max {max(times):.3f}  "
        f"({len(times)} runs; {verdict} {TARGETS['cold generate']} s)"
    )


# ---------------------------------------------------------------- the run


def _row(
    name: str, batch: int, rate: float, target: float | None = None, note: str = "", best: float | None = None
) -> str:
    """One table line; with best, rate is the median of several runs and best the fastest."""
    verdict = "" if target is None else ("  meets" if rate >= target else "  MISSES") + f" {target:,}"
    fastest = f"{best:>10,.0f}" if best is not None else f"{'':>10}"
    return f"{name:<30} {batch:>5} {rate:>10,.0f} {fastest}{verdict}  {note}".rstrip()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a trained jazz bundle (default: random 2x256 weights)")
    parser.add_argument("--corpus", help="a prepared corpus for the random model's vocabulary")
    parser.add_argument("--runs", type=int, default=7, help="cold generate runs")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each NumPy measurement")
    parser.add_argument("--choruses", type=int, default=4, help="choruses of rhythm changes in grammar runs")
    parser.add_argument("--steps", type=int, default=1000, help="steps of the raw and Keras step loops")
    parser.add_argument("--unrolled", type=int, default=100, help="steps unrolled in the classroom model")
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold generate times (any bundle, e.g. trained/jazz)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile improvise at batch 1 and 64")
    parser.add_argument("--numpy-only", action="store_true", help=argparse.SUPPRESS)  # the one-thread rerun
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        bundle = Path(args.model) if args.model else None
        if args.cold_only:
            print(f"model: {bundle or 'random 2x256 LSTM'}")
            bundle = bundle or random_bundle(tmp / "random-2x256", *_corpus_tokens(args, tmp))
            cold_rows(bundle, args.runs, tmp)
            return
        if bundle is None:
            bundle = random_bundle(tmp / "random-2x256", *_corpus_tokens(args, tmp))
        lm, vocab = load_lm(bundle)
        if args.numpy_only:
            print("\n".join(numpy_rows(lm, vocab, args, args.label)))
            return
        print(f"{'tokens/s':<30} {'batch':>5} {'median':>10} {'best':>10}   (of {args.repeats} NumPy runs)")
        print("\n".join(numpy_rows(lm, vocab, args, "")), flush=True)
        print(one_thread_rows(bundle, args), end="", flush=True)
        if not args.skip_keras:
            print("\n".join(keras_rows(load_weights_npz(bundle), lm, args)), flush=True)
        print()
        cold_rows(bundle, args.runs, tmp)
        if args.profile:
            for batch in (1, 64):
                print(f"\nwhere improvise spends its time, batch {batch} (cProfile, by own time):")
                print(profile_grammar(lm, vocab, batch, args.choruses))


def _corpus_tokens(args, tmp: Path) -> tuple[Vocab, list[tuple[str, ...]]]:
    solos, vocab = read_corpus(corpus_folder(args.corpus, tmp))
    return vocab, [s.tokens for s in solos]


def cold_rows(bundle: Path, runs: int, tmp: Path) -> None:
    """The cold generate lines: -n 1 and -n 16, on the machine as it is and with every core busy."""
    for count in (1, 16):
        print(cold_line(f"-n {count}:", cold_generate(bundle, runs, tmp, count=count)), flush=True)
        with busy_cores():
            times = cold_generate(bundle, runs, tmp, count=count)
        print(cold_line(f"-n {count}, every core busy:", times), flush=True)


def load_lm(bundle: Path) -> tuple[NumpyLM, Vocab]:
    meta = load_bundle_meta(bundle)
    m = meta.config.model
    if (m.cell, m.layers, m.units) != ("lstm", LAYERS, UNITS):
        raise SystemExit(f"{bundle}: a {m.layers}x{m.units} {m.cell}; this bench compares 2x256 LSTMs")
    print(f"model: {bundle} ({m.layers}x{m.units} {m.cell}, vocabulary {m.vocab_size})")
    return NumpyLM.load(bundle, meta), meta.vocab


def numpy_rows(lm: NumpyLM, vocab: Vocab, args, label: str) -> list[str]:
    rows = []
    for batch in (1, 64):
        runs = [numpy_grammar(lm, vocab, batch, args.choruses, seed) for seed in range(args.repeats)]
        rates = [r for r, _ in runs]
        rows.append(
            _row(
                f"numpy grammar{label}",
                batch,
                statistics.median(rates),
                TARGETS[f"batch {batch}"],
                f"{runs[0][1]:,} tokens a run",
                max(rates),
            )
        )
    for batch in (1, 64):
        rates = [
            numpy_grammar(lm, vocab, batch, args.choruses, seed, register=True)[0]
            for seed in range(args.repeats)
        ]
        rows.append(_row(f"numpy grammar + range{label}", batch, statistics.median(rates), best=max(rates)))
    for batch in (1, 64):
        rates = [numpy_raw(lm, batch, args.steps, seed) for seed in range(args.repeats)]
        rows.append(_row(f"numpy raw step+draw{label}", batch, statistics.median(rates), best=max(rates)))
    return rows


def _one_thread_env() -> dict:
    import os

    return {**os.environ, **ONE_BLAS_THREAD}


def one_thread_rows(bundle: Path, args) -> str:
    """The NumPy rows again in a process whose BLAS runs one thread (set before NumPy loads)."""
    command = [
        sys.executable,
        __file__,
        "--numpy-only",
        "--label",
        ", 1 thread",
        "--model",
        str(bundle),
        "--repeats",
        str(args.repeats),
        "--choruses",
        str(args.choruses),
        "--steps",
        str(args.steps),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=_one_thread_env())
    if done.returncode:
        return f"(one-thread rerun failed: {done.stderr.strip()[-300:]})\n"
    return "".join(line + "\n" for line in done.stdout.splitlines() if line.startswith("numpy"))


def keras_rows(weights, lm: NumpyLM, args) -> list[str]:
    start = time.perf_counter()
    layers = keras_layers(weights)
    rows = [f"(TensorFlow import and Keras layers: {time.perf_counter() - start:.1f} s)"]
    for batch in (1, 64):
        rate, worst = keras_step(layers, lm, batch, args.steps if batch == 1 else args.steps // 4)
        rows.append(_row("keras step (tf.function)", batch, rate, note=f"max |dp| vs numpy {worst:.1e}"))
    for batch in (1, 64):
        built, first, second = keras_unrolled(layers, batch, args.unrolled)
        rows.append(
            _row(
                f"keras unrolled T={args.unrolled}, 1st",
                batch,
                first,
                note=f"graph built in {built:.1f} s, then predict",
            )
        )
        rows.append(_row(f"keras unrolled T={args.unrolled}, 2nd", batch, second))
    return rows


if __name__ == "__main__":
    main()
