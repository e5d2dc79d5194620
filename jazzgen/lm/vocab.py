"""A vocabulary: token strings <-> integer ids, sorted so the same corpus always gives the same ids.

Domain-free: jazz value tokens and text characters or words use it alike.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.files.fileio import read_json, shown, write_text_atomic

PAD, UNK = "<pad>", "<unk>"
MAX_VOCAB_BYTES = 64 * 2**20  # vocab.json; a 50,000-word vocabulary takes about 1 MB


@dataclass(frozen=True)
class Vocab:
    """tokens[i] is the token of id i. Ids 0 and 1 are always <pad> and <unk>."""

    tokens: tuple[str, ...]

    def __post_init__(self):
        if self.tokens[:2] != (PAD, UNK):
            raise DataError("a vocabulary must start with <pad> and <unk>")
        if len(set(self.tokens)) != len(self.tokens):
            raise DataError("a vocabulary lists a token twice")
        object.__setattr__(self, "_ids", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(cls, sequences: Iterable[Iterable[str]], min_count: int = 1) -> Vocab:
        counts = Counter(t for seq in sequences for t in seq)
        kept = sorted(t for t, n in counts.items() if n >= min_count and t not in (PAD, UNK))
        return cls((PAD, UNK, *kept))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def id(self, token: str) -> int:
        return self._ids.get(token, 1)

    def ids(self, tokens: Iterable[str]) -> list[int]:
        return [self._ids.get(t, 1) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def to_json(self) -> str:
        return json.dumps({"tokens": list(self.tokens)}, ensure_ascii=False, indent=0)

    def save(self, path: str | Path) -> None:
        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        return cls.from_data(read_json(path, MAX_VOCAB_BYTES, "retrain or restore it"), path)

    @classmethod
    def from_json(cls, text: str | bytes, where: str | Path) -> Vocab:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise DataError(f"{shown(where)}: not a jazzgen vocabulary ({type(err).__name__})") from None
        return cls.from_data(data, where)

    @classmethod
    def from_data(cls, data, where: str | Path) -> Vocab:
        """The vocabulary a vocab.json's JSON value describes; DataError naming `where` otherwise."""
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise DataError(
                f"{shown(where)}: not a jazzgen vocabulary (it needs a list of token strings under 'tokens')"
            )
        try:
            return cls(tuple(tokens))
        except DataError as err:
            raise DataError(f"{shown(where)}: not a jazzgen vocabulary ({err})") from None
