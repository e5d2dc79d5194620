"""Prepare speed and vocabulary coverage on the shared Weimar Jazz Database.

Prints: seconds to prepare all annotated solos (cold, --jobs 1 and 2), all 407 MIDI exports,
a re-run over unchanged files (a whole `jazzgen prepare` process, cache hit), the vocabulary
size, and the share of held-out note values never seen in training.

    .venv/bin/python bench/bench_prepare.py
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jazzgen.tokens.preparation import prepare
from jazzgen.tokens.values import token_kind

WJAZZD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wjazzd"


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:<48} {time.perf_counter() - start:7.2f} s")
    return result


def note_values(tokens: list[str]) -> list[tuple[str, ...]]:
    """Whole note values (gap, pitch, duration sub-tokens together) of one token stream."""
    values, current = [], []
    for token in tokens:
        kind = token_kind(token)
        if kind == "gap" and current and token_kind(current[-1]) == "duration":
            values.append(tuple(current))
            current = []
        if kind in ("gap", "pitch", "duration"):
            current.append(token)
    return values + ([tuple(current)] if current else [])


def coverage(corpus: Path, held_out_share: float = 0.1, seed: int = 0) -> None:
    entries = [json.loads(line) for line in (corpus / "tokens.jsonl").read_text().splitlines()]
    random.Random(seed).shuffle(entries)
    cut = int(len(entries) * held_out_share)
    held, train = entries[:cut], entries[cut:]
    train_tokens = {t for e in train for t in e["tokens"]}
    train_values = {v for e in train for v in note_values(e["tokens"])}
    held_tokens = [t for e in held for t in e["tokens"] if token_kind(t) in ("gap", "pitch", "duration")]
    held_values = [v for e in held for v in note_values(e["tokens"])]
    vocab = json.loads((corpus / "vocab.json").read_text())["tokens"]
    print(f"vocabulary size (all solos)                      {len(vocab):7d}")
    print(
        f"distinct whole note values (gap, pitch, duration) {len({v for e in entries for v in note_values(e['tokens'])}):6d}"
    )
    unseen_tokens = sum(t not in train_tokens for t in held_tokens) / len(held_tokens)
    unseen_values = sum(v not in train_values for v in held_values) / len(held_values)
    print(f"held-out solos: {len(held)}, note sub-tokens never seen in training: {unseen_tokens:.4%}")
    print(f"held-out whole note values never seen in training:           {unseen_values:.4%}")


def main() -> None:
    if not WJAZZD.is_dir():
        sys.exit(f"needs {WJAZZD}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed("prepare 410 annotated solos, --jobs 1", lambda: prepare([WJAZZD / "mcsv_melody"], out / "a"))
        timed(
            "prepare 410 annotated solos, --jobs 2",
            lambda: prepare([WJAZZD / "mcsv_melody"], out / "b", jobs=2),
        )
        cmd = [sys.executable, "-m", "jazzgen", "prepare", str(WJAZZD / "mcsv_melody"), "-o", str(out / "a")]
        timed(
            "re-run, unchanged files (whole process)",
            lambda: subprocess.run(cmd, check=True, capture_output=True),
        )
        summary = timed(
            "prepare 407 MIDI exports, --jobs 2", lambda: prepare([WJAZZD / "midi"], out / "m", jobs=2)
        )
        print(f"  MIDI: {summary.solos} solos, {summary.notes} notes, skipped {len(summary.skipped)}")
        coverage(out / "a")


if __name__ == "__main__":
    main()
