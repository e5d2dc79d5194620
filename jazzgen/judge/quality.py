"""Musical quality of a trained jazz model: solos generated over real progressions, measured
the way REFERENCE.md measured real solos (jazzgen.judge.metrics), side by side with the real ranges.

    report = quality_report("trained/jazz", "corpus/wjazzd", n_solos=100, seed=0)

The progressions are 32-bar 4/4 windows (chords, meter, tempo) of real solos: the validation
solos of the corpus the model was trained on (its split is rebuilt from the bundle's config), or
the solos of `sources` when given. Each window gets one generated solo, sampled in NumPy as
`jazzgen generate` samples. Copy length is measured against the training solos of the corpus,
and, as a baseline, for the real windows themselves.

How the lines behave over 8-bar windows (jazzgen.music.line_features), generated against real over the
same progressions: a classifier two-sample test (jazzgen.judge.two_sample; a real solo's windows and
those generated over them share a fold), the share of windows that lost the beat by their place
in the progression, repetition of motifs, phrase lengths and the rhythm figures. No TensorFlow.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.improv.generation import (
    ECHO,
    check_choose_every,
    check_rhythm_temperature,
    default_rhythm_temperature,
    echo_of,
    improvise_over,
    load_model,
    takes_and_critic,
)
from jazzgen.judge.metrics import CopyIndex, SoloMeasures, measure, token_symbols, windows
from jazzgen.lm.sampling import SamplingConfig
from jazzgen.music.line_features import LineSummary, summary
from jazzgen.music.solo import Solo
from jazzgen.tokens.corpus import CorpusSolo, chordless_copies, is_corpus, read_corpus, split_by_solo
from jazzgen.tokens.decoding import decode

# REFERENCE.md, "Measuring a solo": mean and sd over 698 32-bar windows of 4/4 WJazzD solos.
REFERENCE = {
    "notes_per_bar": (6.1, 2.4),
    "pitch_range": (26.8, 5.4),
    "pitch_class_entropy": (3.36, 0.15),
    "scale_consistency": (0.76, 0.07),
    "groove_consistency": (0.84, 0.06),
    "empty_beat_rate": (0.15, 0.08),
    "chord_tone_rate": (0.49, 0.09),
    "mean_interval": (2.7, 0.5),
}
IN_RANGE_SDS = 2.0  # a mean inside reference mean +- 2 sd counts as in range
LINE_BARS = 8  # bars of the windows the line figures and the two-sample test look at


@dataclass(frozen=True)
class QualitySettings:
    """How the solos are generated: count, window length in bars, sampling, instrument range."""

    n_solos: int = 100
    bars: int = 32
    seed: int = 0
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    instrument: str | int = "tenor sax"
    rhythm_temperature: float | None = None  # None: the model's default (improv.generation)
    best_of: int | None = None  # takes a solo, the critic keeping the best; None: as generate
    echo: float | None = None  # pull of each line's own motifs (improvise.Echo); None: the default
    choose_every: int | None = None  # bars between the critic's choices; None: as generate

    def __post_init__(self):
        echo_of(self.echo)
        check_choose_every(self.choose_every)
        if self.rhythm_temperature is not None:
            check_rhythm_temperature(self.rhythm_temperature)
        if self.best_of is not None and not 1 <= self.best_of <= 64:
            raise UsageError(f"--best-of {self.best_of}: give 1 to 64 takes a solo")
        if not 1 <= self.n_solos <= 10_000:
            raise UsageError(f"-n {self.n_solos}: give 1 to 10000 solos")
        if not 2 <= self.bars <= 1000:
            raise UsageError(f"--bars {self.bars}: give 2 to 1000 bars")

    def sampling(self, index: int) -> SamplingConfig:
        return SamplingConfig(self.temperature, self.top_k, self.top_p, self.seed + index)


def quality_report(
    model_path: str | Path,
    corpus: str | Path,
    sources: list[str | Path] = (),
    settings: QualitySettings | None = None,
    **options,
) -> dict:
    """The quality JSON: every measure's mean and sd for the generated and the real windows next
    to the reference, whether each generated mean is in range, monophony and copy lengths.

    options: fields of QualitySettings (n_solos, bars, seed, temperature, top_k, top_p, instrument).
    """
    settings = settings or QualitySettings(**options)
    lm, meta = load_model(model_path)
    best_of, critic = takes_and_critic(meta.path, settings.best_of)
    echo = echo_of(settings.echo)
    choose_every = check_choose_every(settings.choose_every)
    train, held_out = training_split(corpus, meta)
    index = CopyIndex(token_symbols(s.tokens) for s in train)
    real = real_windows(sources, held_out, corpus, settings.bars)
    sheets = pick_progressions(real, settings.n_solos, settings.seed)
    started = time.perf_counter()
    generated = [
        improvise_over(
            lm,
            meta.vocab,
            sheet,
            settings.sampling(i),
            1,
            settings.instrument,
            rhythm_temperature=settings.rhythm_temperature,
            critic=critic,
            best_of=best_of,
            echo=echo,
            choose_every=choose_every,
        )[0]
        for i, sheet in enumerate(sheets)
    ]
    generate_seconds = time.perf_counter() - started
    measured = [measure(s) for s in generated]
    chosen = chosen_windows(real, settings.n_solos, settings.seed)
    return {
        "model": str(model_path),
        "corpus": str(corpus),
        "progressions": [str(s) for s in sources] or "validation solos of the corpus",
        "solos": len(generated),
        "real_windows": len(real),
        "bars": settings.bars,
        "sampling": {
            "temperature": settings.temperature,
            "rhythm_temperature": settings.rhythm_temperature or default_rhythm_temperature(meta.vocab),
            "best_of": best_of,
            "choose_every": choose_every if best_of > 1 else None,
            "echo": ECHO if settings.echo is None else settings.echo,
            "top_k": settings.top_k,
            "top_p": settings.top_p,
            "seed": settings.seed,
            "instrument": settings.instrument,
        },
        "measures": compare(measured, [measure(s) for s in real]),
        "monophonic": float(np.mean([m.monophonic for m in measured])),
        "copy_length": {
            "generated": _spread([index.copy_length(s) for s in generated]),
            "real": _spread([index.copy_length(s) for s in real]),
            "training_solos": index.solos,
            "training_symbols": index.symbols,
        },
        "lines": line_report(
            generated, [s.source for s in sheets], chosen, [r.source for r in chosen], settings.seed
        ),
        "generate_seconds": round(generate_seconds, 2),
    }


def line_report(
    generated: list[Solo],
    generated_groups: list[str],
    real: list[Solo],
    real_groups: list[str],
    seed: int = 0,
) -> dict:
    """The 8-bar line figures of generated and real solos, and the two-sample test between them.

    groups: the real solo each window's progression comes from (see jazzgen.judge.two_sample)."""
    from jazzgen.judge.two_sample import real_vs_real, two_sample_test

    gen_windows, gen_groups, gen_places = _line_windows(generated, generated_groups)
    real_windows_, real_groups_, real_places = _line_windows(real, real_groups)
    gen_summaries = [summary(w) for w in gen_windows]
    real_summaries = [summary(w) for w in real_windows_]
    report = {
        "window_bars": LINE_BARS,
        "drift_by_window": {
            "generated": _drift_by_place(gen_summaries, gen_places),
            "real": _drift_by_place(real_summaries, real_places),
        },
        "figures": {
            name: {
                "generated": _mean_sd(_values(gen_summaries, name)),
                "real": _mean_sd(_values(real_summaries, name)),
            }
            for name in LineSummary.__dataclass_fields__
        },
    }
    try:
        test = two_sample_test(real_windows_, gen_windows, real_groups_, gen_groups, seed)
        sanity = real_vs_real(real_windows_, real_groups_, seed)
    except DataError as err:
        report["two_sample"] = {"error": str(err)}
        return report
    report["two_sample"] = test.as_dict() | {
        "real_vs_real": {
            "accuracy": round(sanity.accuracy, 4),
            "auc": round(sanity.auc, 4),
            "boosted": sanity.as_dict()["boosted"],
        }
    }
    return report


def _line_windows(solos: list[Solo], groups: list[str]) -> tuple[list[Solo], list[str], list[int]]:
    """Every 8-bar window of the solos, the group of each, and its place (0: the solo's first bars)."""
    out, out_groups, places = [], [], []
    for solo, group in zip(solos, groups):
        for place, window in enumerate(windows(solo, LINE_BARS)):
            out.append(window)
            out_groups.append(group)
            places.append(place)
    return out, out_groups, places


def _drift_by_place(summaries: list[LineSummary], places: list[int]) -> list[float | None]:
    count = max(places, default=-1) + 1
    return [
        _round(float(np.mean([s.drifted for s, p in zip(summaries, places) if p == k]))) for k in range(count)
    ]


def _values(summaries: list[LineSummary], name: str) -> np.ndarray:
    return np.array([float(getattr(s, name)) for s in summaries], float)


def chosen_windows(real: list[Solo], count: int, seed: int) -> list[Solo]:
    """The real windows pick_progressions takes its lead sheets from (each once)."""
    if count <= len(real):
        return [real[i] for i in sorted(np.random.default_rng(seed).choice(len(real), count, replace=False))]
    return list(real)


def real_windows(
    sources: list[str | Path], held_out: list[CorpusSolo], corpus: str | Path, bars: int
) -> list[Solo]:
    """The bars-long 4/4 windows of the sources' solos, or of the corpus's validation solos."""
    if sources:
        solos, where = _read_sources(sources), ", ".join(map(str, sources))
    elif held_out:
        solos, where = [_decoded(s) for s in held_out], f"the validation solos of {corpus}"
    else:
        raise UsageError(
            f"the model trained on all of {corpus} (it validated on another corpus): "
            "give SOURCES to take the progressions from"
        )
    real = [w for solo in solos for w in windows(solo, bars)]
    if not real:
        raise DataError(f"no {bars}-bar 4/4 window in {where}; give longer solos or fewer --bars")
    return real


def training_split(corpus: str | Path, meta) -> tuple[list[CorpusSolo], list[CorpusSolo]]:
    """(training, validation) solos of the corpus as the bundle's training run split it.

    A model validated on another corpus (`train --val`) trained on all of this one; the bundle's
    metrics.json says how many tokens it trained on, which tells the two apart.
    """
    if not is_corpus(corpus):
        raise UsageError(
            f"--corpus {corpus}: not a prepared corpus (no tokens.jsonl); give the folder "
            "the model was trained on"
        )
    solos, _ = read_corpus(corpus)
    config = meta.config.train
    train, val = split_by_solo(solos, config.val_fraction, config.seed, config.val_groups)
    trained_on = meta.metrics.get("train_tokens")
    if trained_on is None or trained_on == _trained_tokens(train, config):
        return train, val
    if trained_on == _trained_tokens(solos, config):
        return solos, []
    raise DataError(
        f"--corpus {corpus}: the model trained on {trained_on:,} tokens, this corpus's "
        "training split holds a different number; give the corpus the model was trained on"
    )


def _trained_tokens(solos: list[CorpusSolo], config) -> int:
    """Tokens a run trains on from these solos: theirs, and their copies without chords (--chordless;
    making them takes about a second for 400 solos, so a split is counted only as far as needed)."""
    copies = chordless_copies(solos, config.chordless, config.seed) if config.chordless else []
    return sum(len(s.tokens) for s in solos + copies)


def _decoded(entry: CorpusSolo) -> Solo:
    return decode(list(entry.tokens), source=entry.source)


def _read_sources(sources: list[str | Path]) -> list[Solo]:
    from jazzgen.formats.reading import read

    solos = []
    for source in sources:
        path = Path(source)
        if is_corpus(path):
            solos += [_decoded(entry) for entry in read_corpus(path)[0]]
        elif not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        else:
            solos += [s for s in read(path) if s.notes]
    return solos


def pick_progressions(real: list[Solo], count: int, seed: int) -> list[Solo]:
    """count note-less lead sheets from the real windows: a seeded choice without repeats while
    there are enough windows, every window in turn when there are fewer."""
    chosen = chosen_windows(real, count, seed)
    return [replace(chosen[i % len(chosen)], notes=()) for i in range(count)]


def compare(generated: list[SoloMeasures], real: list[SoloMeasures]) -> dict:
    """Per measure: generated and real mean/sd, the reference, and whether the generated mean and
    each generated solo lie within reference mean +- IN_RANGE_SDS sd."""
    out = {}
    for name, (mean, sd) in REFERENCE.items():
        values = np.array([getattr(m, name) for m in generated], float)
        low, high = mean - IN_RANGE_SDS * sd, mean + IN_RANGE_SDS * sd
        summary = _mean_sd(values)
        out[name] = {
            "generated": summary,
            "real": _mean_sd(np.array([getattr(m, name) for m in real], float)),
            "reference": {"mean": mean, "sd": sd},
            "in_range": summary["mean"] is not None and low <= summary["mean"] <= high,
            "solos_in_range": _round(float(np.mean((values >= low) & (values <= high)))),
        }
    return out


def _mean_sd(values: np.ndarray) -> dict:
    """Mean and (population) sd over the solos that have the measure (NaN: no notes, no chord)."""
    kept = values[~np.isnan(values)]
    if not len(kept):
        return {"mean": None, "sd": None}
    return {"mean": _round(float(kept.mean())), "sd": _round(float(kept.std()))}


def _spread(lengths: list[int]) -> dict:
    return {
        "median": float(np.median(lengths)),
        "max": int(max(lengths)),
        "mean": _round(float(np.mean(lengths))),
    }


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)
