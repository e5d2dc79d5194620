"""A prepared jazz corpus (the folder `jazzgen prepare` writes): its tokens.jsonl written and read.

CORPUS/tokens.jsonl holds one solo a line ({"source", "title", "meter", "tempo", "bars",
"tokens": [...]}) and CORPUS/vocab.json its vocabulary. Validation is split by whole solo:
the ceil(val_fraction * n) solos whose hash of (seed, source, title, position) is smallest, so
the split is fixed by the seed and never cuts a solo in two.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzgen.config import TokenizerConfig
from jazzgen.dataset import TokenData
from jazzgen.errors import DataError, UsageError
from jazzgen.fileio import json_text, write_text_atomic
from jazzgen.values import END, START, encode, token_kind
from jazzgen.vocab import Vocab

VALUES_TOKENIZER = TokenizerConfig(kind="values", level="value", start_token=START, end_token=END)


@dataclass(frozen=True)
class CorpusSolo:
    """One solo of a prepared corpus: its value tokens and where it came from."""

    source: str
    title: str
    tokens: tuple[str, ...]


def corpus_entry(solo) -> dict:
    """One line of tokens.jsonl: a solo's value tokens and what it is."""
    tokens = encode(solo)
    return {
        "source": solo.source,
        "title": solo.title,
        "meter": solo.meter[0].name,
        "tempo": solo.tempo,
        "bars": solo.bars,
        "notes": sum(1 for t in tokens if token_kind(t) == "pitch"),
        "tokens": tokens,
    }


def write_tokens(folder: Path, entries: list[dict]) -> None:
    """CORPUS/tokens.jsonl, one entry a line, written atomically."""
    write_text_atomic(folder / "tokens.jsonl", "".join(json_text(e) + "\n" for e in entries))


def is_corpus(path: str | Path) -> bool:
    return (Path(path) / "tokens.jsonl").is_file()


def read_corpus(path: str | Path) -> tuple[list[CorpusSolo], Vocab]:
    """The solos and vocabulary of a prepared corpus folder."""
    folder = Path(path)
    if not folder.exists():
        raise UsageError(f"{folder}: no such folder; make one with `jazzgen prepare SOURCES -o {folder}`")
    if not is_corpus(folder):
        raise UsageError(f"{folder}: no tokens.jsonl; prepare it first with `jazzgen prepare SOURCES -o {folder}`")
    solos = [_solo(line, folder, number) for number, line in _lines(folder / "tokens.jsonl")]
    if not solos:
        raise DataError(f"{folder / 'tokens.jsonl'}: no solos; prepare the corpus again")
    return solos, Vocab.load(folder / "vocab.json")


def _lines(path: Path):
    try:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                if line.strip():
                    yield number, line
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None


def _solo(line: str, folder: Path, number: int) -> CorpusSolo:
    try:
        entry = json.loads(line)
        tokens = tuple(entry["tokens"])
        if not tokens or not all(isinstance(t, str) for t in tokens):
            raise ValueError("tokens must be a non-empty list of strings")
        return CorpusSolo(str(entry.get("source", "")), str(entry.get("title", "")), tokens)
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"{folder / 'tokens.jsonl'} line {number}: not a solo record ({err}); "
                        "prepare the corpus again") from None


def split_by_solo(solos: list[CorpusSolo], val_fraction: float, seed: int) -> tuple[list, list]:
    """(train, val) solos; val gets ceil(val_fraction * n) whole solos, at least one training solo stays."""
    if len(solos) < 2:
        raise DataError(f"a corpus of {len(solos)} solo cannot be split by solo; add solos or give --val")
    count = min(len(solos) - 1, math.ceil(val_fraction * len(solos)))
    ranked = sorted(range(len(solos)), key=lambda i: _split_key(solos[i], i, seed))
    chosen = set(ranked[:count])
    train = [s for i, s in enumerate(solos) if i not in chosen]
    val = [s for i, s in enumerate(solos) if i in chosen]
    return train, val


def _split_key(solo: CorpusSolo, index: int, seed: int) -> str:
    return hashlib.sha1(f"{seed}\0{solo.source}\0{solo.title}\0{index}".encode("utf-8")).hexdigest()


def load_jazz_data(
    corpus: str | Path, val_fraction: float = 0.1, seed: int = 0, val: str | Path | None = None
) -> TokenData:
    """Training and validation ids of a prepared corpus; val: another corpus folder to validate on."""
    solos, vocab = read_corpus(corpus)
    if val is None:
        train, held_out = split_by_solo(solos, val_fraction, seed)
    else:
        train, (held_out, _) = solos, read_corpus(val)
    return TokenData(vocab, _ids(train, vocab), _ids(held_out, vocab), VALUES_TOKENIZER, str(corpus))


def _ids(solos: list[CorpusSolo], vocab: Vocab) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(vocab.ids(s.tokens), np.int32) for s in solos)
