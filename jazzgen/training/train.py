"""The two modes' training front ends: a corpus or a text in, a bundle out, through the one core.

    train_jazz("corpus/", "trained/jazz", ModelConfig(), TrainConfig())     # a prepared corpus
    train_text("dinos.txt", "trained/dinos", text_tokenizer(lines=True), ModelConfig(), TrainConfig())

Jazz and text differ only in their reader (jazzgen.tokens.corpus, jazzgen.tokens.text) and their
judge: a jazz model is scored over the note tokens a sampler samples, next to an interpolated
Kneser-Ney n-gram baseline fitted on the same training solos (ngram.json in the bundle); a text
model per character or word. The loop, the bundle and the card are the core's (jazzgen.lm.train).
Imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

from jazzgen.errors import UsageError
from jazzgen.judge.evaluate import jazz_report, sampled_mask, text_report
from jazzgen.lm.bundle import load_bundle_meta
from jazzgen.lm.config import ModelConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.dataset import TokenData
from jazzgen.lm.ngram import fit_best
from jazzgen.lm.train import Judged, fmt, train_model
from jazzgen.tokens.corpus import load_jazz_data
from jazzgen.tokens.text import load_text_data
from jazzgen.tokens.values import GAPS


def train_jazz(
    corpus: str | Path,
    output: str | Path,
    model: ModelConfig | None = ModelConfig(),
    train: TrainConfig = TrainConfig(),
    val: str | Path | None = None,
    init: str | Path | None = None,
    **options,
) -> Path | None:
    """Train on a prepared corpus folder (jazzgen prepare); val: another corpus to validate on;
    init: a jazz bundle to fine-tune (its architecture and token scheme; the corpus is rewritten in
    that scheme when it differs). options: those of jazzgen.lm.train.train_model. Returns the
    bundle folder (None on a non-chief worker)."""
    scheme = None if init is None else load_bundle_meta(init).config.tokenizer.scheme or GAPS
    data = load_jazz_data(
        corpus,
        train.val_fraction,
        train.seed,
        val,
        scheme,
        train.loss == "sampled",
        train.val_groups,
        train.chordless,
    )
    return train_model(data, output, model, train, init=init, judge=judge_jazz, **options)


def train_text(
    file: str | Path,
    output: str | Path,
    tokenizer: TokenizerConfig | None,
    model: ModelConfig | None = ModelConfig(),
    train: TrainConfig = TrainConfig(),
    val: str | Path | None = None,
    init: str | Path | None = None,
    **options,
) -> Path | None:
    """Train on a text file tokenized by tokenizer (jazzgen.tokens.text.text_tokenizer); init: a
    text bundle to fine-tune, whose tokenizer is used (tokenizer must then be None or the same)."""
    if init is not None:
        base = load_bundle_meta(init).config.tokenizer
        if tokenizer is not None and tokenizer != base:
            raise UsageError(
                f"--init {init}: it tokenizes by {base.level}s (lines {base.lines}, lower {base.lower}); "
                "a fine-tune keeps that: drop --level, --vocab-size, --lines and --lower"
            )
        tokenizer = base
    data = load_text_data(file, tokenizer, train.val_fraction, val, train.seed)
    return train_model(data, output, model, train, init=init, judge=judge_text, **options)


def judge_jazz(model, data: TokenData) -> Judged:
    """The n-gram baseline (its order, 3 to 5, chosen on validation) and both models' figures over
    the validation solos' sampled tokens, with the card's table."""
    ngram = fit_best(data.train, data.val, len(data.vocab), sampled_mask(data.vocab))
    report = jazz_report(model, ngram, data.vocab, list(data.val))
    return Judged(
        {"validation": report, "ngram_order": ngram.order},
        tuple(_jazz_table(report)),
        (("ngram.json", ngram.to_json().encode()),),
    )


def judge_text(model, data: TokenData) -> Judged:
    report = text_report(model, data.tokenizer, list(data.val))
    return Judged(
        {"validation": report}, tuple(f"- {k.replace('_', ' ')}: {fmt(v)}" for k, v in report.items())
    )


def _jazz_table(report: dict) -> list[str]:
    figures = (
        "nats_per_token",
        "bits_per_note",
        "pitch_bits_per_note",
        "rhythm_bits_per_note",
        "perplexity",
        "accuracy",
    )
    lines = [
        "",
        "Scored over the note tokens a sampler samples:",
        "",
        "| | nats/token | bits/note | pitch | rhythm | perplexity | accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, label in (("model", "model"), ("baseline", "n-gram baseline")):
        if report.get(name):
            lines.append(f"| {label} | " + " | ".join(fmt(report[name].get(k)) for k in figures) + " |")
    lines.append(f"\n{report['solos']} solos, {report['notes']:,} notes, {report['tokens']:,} scored tokens.")
    sampled = report.get("as_sampled") or {}
    if sampled.get("model"):
        lines += [
            "",
            "As sampled (each choice among the tokens the sampler's grammar allows there, a pitch by "
            "every token that sounds it), bits a note (pitch, rhythm):",
            "",
        ]
        for name, label in (("model", "model"), ("baseline", "n-gram baseline")):
            figures = sampled.get(name)
            if figures:
                lines.append(
                    f"- {label}: {fmt(figures['bits_per_note'])} ({fmt(figures['pitch_bits_per_note'])}, "
                    f"{fmt(figures['rhythm_bits_per_note'])})"
                )
    return lines
