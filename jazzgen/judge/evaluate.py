"""Scoring a trained model, and its n-gram baseline, on solos or text it was not trained on.

Each sequence is scored from its start token with the recurrent state carried through (as a
sampler runs), from the full softmax. Jazz: only the tokens a sampler samples count (note gaps or
positions, pitches, durations: jazzgen.tokens.values.token_kind), though the model reads the forced bar
and chord tokens too; bits per note = scored nats / ln 2 / notes, a note being one pitch token,
and it splits into pitch (the pitch tokens) and rhythm (when a note comes and how long it lasts).
A note token the model's vocabulary lacks is scored as the vocabulary's <unk>, at what the model
gives that (its real cost), and counted: two models' totals cover the same notes.
A sequence longer than MAX_PIECE is scored in pieces, each fed WARMUP earlier tokens unscored.
Jazz is also scored as sampled (jazzgen.judge.as_sampled): each choice the sampler makes, among
the tokens its grammar allows there, a pitch by every token that sounds it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import one_line, shown
from jazzgen.judge.as_sampled import Replayed, Replayer, choice_nats
from jazzgen.lm.bundle import load_bundle_meta, training_fingerprints
from jazzgen.lm.dataset import sequence_fingerprint
from jazzgen.lm.model import load_bundle
from jazzgen.lm.ngram import KneserNey
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.corpus import is_corpus, read_corpus
from jazzgen.tokens.decoding import in_scheme
from jazzgen.tokens.text import encode_text, examples, read_text
from jazzgen.tokens.values import GAPS, encode, token_kind

SAMPLED_KINDS = ("gap", "position", "pitch", "duration")
RHYTHM_KINDS = ("gap", "position", "duration")
UNSCORED, PITCH, RHYTHM = 0, 1, 2  # what each target of a sequence counts as
MAX_PIECE, WARMUP = 4096, 512
BATCH_TOKENS = 65_536


@dataclass(frozen=True)
class Scores:
    """Totals over the scored tokens: nats (natural-log loss), top-1 hits, notes (pitch tokens),
    and the nats of the pitch tokens alone (the rest is rhythm)."""

    nats: float
    tokens: int
    correct: int
    notes: int
    pitch_nats: float = 0.0

    def summary(self) -> dict:
        per_token = self.nats / max(self.tokens, 1)
        bits = 1 / math.log(2) / max(self.notes, 1)
        out = {
            "nats_per_token": per_token,
            "bits_per_note": self.nats * bits,
            "perplexity": math.exp(per_token),
            "accuracy": self.correct / max(self.tokens, 1),
        }
        if self.notes:
            out |= {
                "pitch_bits_per_note": self.pitch_nats * bits,
                "rhythm_bits_per_note": (self.nats - self.pitch_nats) * bits,
            }
        return out


def sampled_mask(vocab: Vocab) -> np.ndarray:
    """(vocab,) bool: which ids a jazz sampler samples rather than forces."""
    return np.array([token_kind(t) in SAMPLED_KINDS for t in vocab.tokens])


def score_classes(tokens) -> np.ndarray:
    """What each token counts as when it is a target: PITCH, RHYTHM or UNSCORED (forced)."""
    kinds = [token_kind(t) for t in tokens]
    return np.array(
        [PITCH if k == "pitch" else RHYTHM if k in RHYTHM_KINDS else UNSCORED for k in kinds], np.int8
    )


def model_scores(model, sequences: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each sequence of n ids: (nats (n-1,), top-1 hit (n-1,) bool) of predicting ids 1..n-1."""
    nats = [np.zeros(max(len(s) - 1, 0)) for s in sequences]
    hits = [np.zeros(max(len(s) - 1, 0), bool) for s in sequences]
    for i, a, b, (got_nats, got_hits) in _run_pieces(_score_fn(model), sequences):
        nats[i][a : b - 1] = got_nats
        hits[i][a : b - 1] = got_hits
    return list(zip(nats, hits))


def _run_pieces(step, sequences: list[np.ndarray]):
    """step(ids (batch, width)) -> arrays (batch, width - 1, ...) over each sequence's pieces;
    yields (sequence index, a, b, each array's rows for targets a+1..b-1) piece by piece."""
    pieces = [(i, start, stop) for i, s in enumerate(sequences) for start, stop in _pieces(len(s))]
    pieces.sort(key=lambda p: p[2] - p[1])
    for batch in _batches(pieces):
        fed = [sequences[i][max(0, a - WARMUP) : b] for i, a, b in batch]  # each predicts ids a+1..b-1
        width = max(len(f) for f in fed)
        ids = np.zeros((len(fed), width), np.int32)
        for row, f in enumerate(fed):
            ids[row, : len(f)] = f
        outputs = [np.asarray(x) for x in step(ids)]
        for row, (i, a, b) in enumerate(batch):
            skip = a - max(0, a - WARMUP)
            yield i, a, b, [out[row, skip : skip + b - 1 - a] for out in outputs]


def _pieces(length: int) -> list[tuple[int, int]]:
    """[start, stop) id ranges overlapping by one id, so each target is scored once."""
    return [(a, min(a + MAX_PIECE, length)) for a in range(0, max(length - 1, 1), MAX_PIECE - 1)]


def _batches(pieces):
    batch, longest = [], 0
    for piece in pieces:
        longest = max(longest, piece[2] - piece[1] + WARMUP)
        if batch and longest * (len(batch) + 1) > BATCH_TOKENS:
            yield batch
            batch, longest = [], piece[2] - piece[1] + WARMUP
        batch.append(piece)
    if batch:
        yield batch


def _score_fn(model):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def step(ids):
        logits = tf.cast(model(ids[:, :-1], training=False), tf.float32)  # (batch, time, vocab)
        targets = ids[:, 1:]
        nats = tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits)
        hits = tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), targets)
        return nats, hits

    return step


def _log_prob_fn(model):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def step(ids):
        return (tf.nn.log_softmax(tf.cast(model(ids[:, :-1], training=False), tf.float32)),)

    return step


def total_scores(scored: list[tuple[np.ndarray, np.ndarray]], classes: list[np.ndarray] | None) -> Scores:
    """Sum per-position scores over the targets classes[i][1:] marks as scored (all when None)."""
    nats = pitch = tokens = correct = notes = 0
    for index, (n, h) in enumerate(scored):
        kept = classes[index][1:] if classes is not None else np.full(len(n), RHYTHM, np.int8)
        keep, is_pitch = kept != UNSCORED, kept == PITCH
        nats += float(n[keep].sum())
        pitch += float(n[is_pitch].sum())
        tokens += int(keep.sum())
        correct += int(h[keep].sum())
        notes += int(is_pitch.sum())
    return Scores(
        nats, tokens, correct, notes if classes is not None else 0, pitch if classes is not None else 0.0
    )


def ngram_scores(ngram: KneserNey, sequences: list[np.ndarray], classes: list[np.ndarray]):
    """Per-position (nats, top-1 hit) of the n-gram model, computed where classes score (0 elsewhere)."""
    out = []
    for sequence, kept in zip(sequences, classes):
        ids = [int(t) for t in sequence]
        flags = [True] + [bool(k) for k in kept[1:]]
        nats = np.array(ngram.nats(ids, flags))
        hits = np.array(
            [
                flags[i] and ngram.best_next(ids[max(0, i - ngram.order + 1) : i]) == ids[i]
                for i in range(1, len(ids))
            ],
            bool,
        )
        out.append((nats, hits))
    return out


def sampled_scores(model, ngram: KneserNey | None, replays: list[Replayed]) -> tuple[Scores, Scores | None]:
    """Model and n-gram totals over the replayed choices, each scored as sampled (see
    jazzgen.judge.as_sampled); a note is a pitch choice, everything else is rhythm."""
    model_nats = [np.zeros(len(r.positions)) for r in replays]
    for i, a, b, (log_p,) in _run_pieces(_log_prob_fn(model), [r.sequence for r in replays]):
        r = replays[i]
        for k in np.flatnonzero((r.positions > a) & (r.positions < b)):
            model_nats[i][k] = choice_nats(log_p[r.positions[k] - a - 1], r.allowed[k], r.credited[k])
    baseline = None
    if ngram is not None:
        baseline = _totals([_ngram_choice_nats(ngram, r) for r in replays], replays)
    return _totals(model_nats, replays), baseline


def _ngram_choice_nats(ngram: KneserNey, r: Replayed) -> np.ndarray:
    ids = [int(t) for t in r.sequence]
    out = np.zeros(len(r.positions))
    for k, position in enumerate(r.positions):
        log_p = np.log(ngram.distribution(ids[max(0, position - ngram.order + 1) : position]))
        out[k] = choice_nats(log_p, r.allowed[k], r.credited[k])
    return out


def _totals(nats: list[np.ndarray], replays: list[Replayed]) -> Scores:
    pitch = sum(float(n[r.is_pitch].sum()) for n, r in zip(nats, replays))
    notes = sum(int(r.is_pitch.sum()) for r in replays)
    return Scores(float(sum(n.sum() for n in nats)), sum(len(n) for n in nats), 0, notes, pitch)


def replay_all(vocab: Vocab, token_lists: list[list[str]]) -> tuple[list[Replayed], int]:
    """The replayable streams' choices, and how many streams could not be replayed."""
    replayer, out = Replayer(vocab), []
    for tokens in token_lists:
        try:
            out.append(replayer.replayed(tokens))
        except DataError:
            continue
    return out, len(token_lists) - len(out)


def jazz_report(
    model,
    ngram: KneserNey | None,
    vocab: Vocab,
    sequences: list[np.ndarray],
    classes: list[np.ndarray] | None = None,
    token_lists: list[list[str]] | None = None,
) -> dict:
    """The evaluate JSON for id sequences of solos: model and baseline figures over sampled tokens,
    from the full softmax and as sampled. classes: what each position scores as (score_classes of
    the solo's own tokens, so that a note token the vocabulary lacks still counts); token_lists:
    the solos' own tokens; both by default read from the ids."""
    if classes is None:
        by_id = score_classes(vocab.tokens)
        classes = [by_id[np.asarray(s)] for s in sequences]
    model_total = total_scores(model_scores(model, sequences), classes)
    unknown = sum(
        int(((np.asarray(s) == vocab.id("<unk>")) & (c != UNSCORED)).sum())
        for s, c in zip(sequences, classes)
    )
    report = {
        "model": model_total.summary(),
        "baseline": None,
        "solos": len(sequences),
        "notes": model_total.notes,
        "tokens": model_total.tokens,
        "unknown_tokens": unknown,
    }
    if ngram is not None:
        baseline = total_scores(ngram_scores(ngram, sequences, classes), classes)
        report["baseline"] = baseline.summary()
    if token_lists is None:
        token_lists = [[vocab.tokens[i] for i in s] for s in sequences]
    return report | {"as_sampled": as_sampled_report(model, ngram, vocab, token_lists)}


def as_sampled_report(model, ngram: KneserNey | None, vocab: Vocab, token_lists: list[list[str]]) -> dict:
    """The figures as the sampler samples (see jazzgen.judge.as_sampled): bits per note and their
    pitch and rhythm parts, for the model and the baseline, over the streams that replay."""
    replays, skipped = replay_all(vocab, token_lists)
    model_total, baseline = sampled_scores(model, ngram, replays)
    return {
        "model": _per_note(model_total),
        "baseline": _per_note(baseline),
        "solos": len(replays),
        "not_replayed": skipped,
        "choices": model_total.tokens,
        "outside_grammar": sum(r.outside for r in replays),
    }


def _per_note(scores: Scores | None) -> dict | None:
    if scores is None or not scores.notes:
        return None
    summary = scores.summary()
    return {k: summary[k] for k in ("bits_per_note", "pitch_bits_per_note", "rhythm_bits_per_note")}


def evaluate_jazz(model_path: str | Path, sources: list[str | Path]) -> dict:
    """Score a jazz bundle on solos: prepared corpus folders, or files/folders that prepare reads."""
    if not sources:
        raise UsageError("give at least one file or folder of solos to evaluate on")
    meta = load_bundle_meta(model_path)  # the solos are read before TensorFlow is imported
    if meta.config.tokenizer.kind != "values":
        raise UsageError(f"{model_path} is a text model; use `jazzgen text evaluate`")
    scheme = meta.config.tokenizer.scheme or GAPS
    token_lists = [tokens for source in sources for tokens in _solo_tokens(Path(source), scheme)]
    if not token_lists:
        raise DataError("no solos found in " + ", ".join(map(str, sources)))
    bundle = load_bundle(model_path)
    vocab = bundle.meta.vocab
    sequences = [np.asarray(vocab.ids(tokens), np.int32) for tokens in token_lists]
    ngram_path = bundle.meta.path / "ngram.json"
    ngram = KneserNey.load(ngram_path) if ngram_path.is_file() else None
    classes = [score_classes(t) for t in token_lists]
    report = jazz_report(bundle.model, ngram, vocab, sequences, classes, token_lists)
    return report | {"in_training_data": in_training_data(bundle.meta.path, sequences)}


def in_training_data(bundle: Path, sequences: list[np.ndarray]) -> int:
    """How many of the sequences the bundle trained on."""
    trained_on = training_fingerprints(bundle)
    return sum(1 for s in sequences if sequence_fingerprint(s) in trained_on)


def _solo_tokens(source: Path, scheme: str) -> list[list[str]]:
    """The value tokens of each solo of source, in the model's scheme."""
    if is_corpus(source):
        return [in_scheme(solo.tokens, scheme) for solo in read_corpus(source)[0]]
    from jazzgen.formats.reading import read

    if not source.exists():
        raise UsageError(f"{source}: no such file or folder")
    return [encode(solo, scheme) for solo in read(source, on_skip=_say_skipped) if solo.notes]


def _say_skipped(path: Path, reason: str) -> None:
    print(f"skipped {shown(path)}: {one_line(reason)}", file=sys.stderr)


def text_report(model, settings, sequences: list[np.ndarray]) -> dict:
    """nats and bits per char (char level) or per token (word level) over every token after the
    start token of each sequence (each line with lines=True, scored from a fresh state)."""
    total = total_scores(model_scores(model, sequences), None)
    unit = "char" if settings.level == "char" else "token"
    per = total.nats / max(total.tokens, 1)
    return {
        f"nats_per_{unit}": per,
        f"bits_per_{unit}": per / math.log(2),
        "tokens": total.tokens,
        "accuracy": total.correct / max(total.tokens, 1),
    }


def evaluate_text(model_path: str | Path, file: str | Path) -> dict:
    """Score a text bundle on a text file, tokenized as the bundle's training text was."""
    meta = load_bundle_meta(model_path)
    settings, vocab = meta.config.tokenizer, meta.vocab
    if settings.kind != "text":
        raise UsageError(f"{model_path} is a jazz model; use `jazzgen evaluate`")
    sequences = [encode_text(e, vocab, settings) for e in examples(read_text(file), settings) if e]
    if not sequences:
        raise DataError(f"{file}: no tokens to score")
    report = text_report(load_bundle(model_path).model, settings, sequences)
    return report | {"in_training_data": in_training_data(meta.path, sequences)}
