"""Builders for the language-model tests: a prepared jazz corpus and tiny configs, made in the test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from helpers import make_solo

from jazzgen.lm.config import ModelConfig, TrainConfig
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.values import encode, token_kind

CHANGES = ["| Dm7 G7 | Cmaj7 | % |", "| F7 | Bb7 | F7 | C7 |", "| Cm7 | F7 | Bbmaj7 | Ebmaj7 |"]


def synthetic_solo(index: int):
    """A 4-bar solo of eighth notes walking a scale pattern that depends on index."""
    rng = np.random.default_rng(index)
    pitches = 60 + np.cumsum(rng.choice([-2, -1, 1, 2, 3], size=32))
    notes = [(int(np.clip(p, 40, 90)), 6 * k, int(rng.choice([3, 6]))) for k, p in enumerate(pitches)]
    return make_solo(notes, CHANGES[index % len(CHANGES)], bars=4).with_(
        source=f"synthetic/{index}.mid", title=f"solo {index}"
    )


def make_corpus(folder: Path, solos: int = 10, first: int = 0, titles: list[str] | None = None) -> Path:
    """A corpus folder as `jazzgen prepare` writes it: tokens.jsonl and vocab.json. titles: the
    solos' titles (default 'solo N', which the split by tune reads as takes of one tune)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for number, index in enumerate(range(first, first + solos)):
        solo = synthetic_solo(index)
        tokens = encode(solo)
        entries.append(
            {
                "source": solo.source,
                "title": titles[number] if titles else solo.title,
                "meter": "4/4",
                "tempo": solo.tempo,
                "bars": solo.bars,
                "notes": sum(token_kind(t) == "pitch" for t in tokens),
                "tokens": tokens,
            }
        )
    (folder / "tokens.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    Vocab.build(e["tokens"] for e in entries).save(folder / "vocab.json")
    return folder


def tiny_model(**changes) -> ModelConfig:
    return ModelConfig(**{"layers": 2, "units": 32, "embedding": 16, "dropout": 0.1, **changes})


def tiny_train(**changes) -> TrainConfig:
    return TrainConfig(**{"seq_len": 32, "batch_size": 8, "epochs": 2, "lr": 0.01, **changes})
