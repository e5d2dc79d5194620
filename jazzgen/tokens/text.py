"""Text mode's tokenizer: characters or words -> tokens -> ids for the same language model.

- level 'char': every character is a token; newlines are tokens too.
- level 'word': words (letters, digits and inner apostrophes) and single punctuation marks are
  tokens; the vocab_size most common training words are kept and the rest become the
  vocabulary's <unk>; '<EOS>' ends every line (a line is a sentence in verse and in name lists).
- lines=True: each line is one example ended by '<EOS>' (one dinosaur name a line), and one
  sequence for the trainer, which starts each example from a fresh state.
Case is kept unless lower=True. The token stream starts with the tokenizer's start token, the
token a sampler feeds first: '<EOS>' for lines and words, '\n' for plain characters.
Validation is val_fraction of the text held out in blocks from ten places through it, cut at line
ends (split_text); with lines=True a seeded val_fraction of the lines (the held-out examples, as
jazz holds out whole solos); or a file (--val).
No TensorFlow here: the sampler detokenizes with this module.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.lm.config import TokenizerConfig
from jazzgen.lm.dataset import TokenData
from jazzgen.lm.vocab import PAD, UNK, Vocab

EOS = "<EOS>"
HELD_OUT_PARTS = 10  # places a text's validation is held out from
_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = re.compile(r" ([.,;:!?)\]}]|'(?=\s|$))")


def text_tokenizer(
    level: str = "char", vocab_size: int | None = None, lines: bool = False, lower: bool = False
) -> TokenizerConfig:
    """The settings of a text tokenizer, checked."""
    if level not in ("char", "word"):
        raise UsageError(f"--level {level}: choose char or word")
    if level == "char" and vocab_size is not None:
        raise UsageError("--vocab-size applies to --level word only; drop it for characters")
    if vocab_size is not None and vocab_size < 1:
        raise UsageError(f"--vocab-size {vocab_size}: give at least 1 word")
    plain_chars = level == "char" and not lines
    return TokenizerConfig(
        kind="text",
        level=level,
        vocab_size=vocab_size if level == "word" else None,
        lines=lines,
        lower=lower,
        start_token="\n" if plain_chars else EOS,
        end_token=EOS if lines else None,
    )


def tokenize(text: str, settings: TokenizerConfig) -> list[str]:
    """The tokens of a text (without the start token)."""
    if settings.lower:
        text = text.lower()
    if settings.level == "char":
        if not settings.lines:
            return list(text)
        return [token for line in _lines(text) for token in (*line, EOS)]
    return [
        token
        for line in text.splitlines()
        if line.strip() or not settings.lines
        for token in (*_WORD.findall(line), EOS)
    ]


def examples(text: str, settings: TokenizerConfig) -> list[list[str]]:
    """The text's token lists: one a line with lines=True (each ended by <EOS>), else one in all."""
    if not settings.lines:
        return [tokenize(text, settings)]
    return [
        tokens
        for line in _lines(text.lower() if settings.lower else text)
        if (tokens := tokenize(line + "\n", settings))
    ]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def detokenize(tokens: list[str], settings: TokenizerConfig) -> str:
    """Text from tokens: '<EOS>' becomes a line break; words are joined by spaces."""
    if settings.level == "char":
        return "".join("\n" if t == EOS else t for t in tokens)
    lines, words = [], []
    for token in tokens:
        if token == EOS:
            lines.append(_join_words(words))
            words = []
        else:
            words.append(token)
    return "\n".join(lines + ([_join_words(words)] if words else []))


def _join_words(words: list[str]) -> str:
    return _NO_SPACE_BEFORE.sub(r"\1", " ".join(words))


def build_text_vocab(tokens: list[str], settings: TokenizerConfig) -> Vocab:
    """Every training character, or the vocab_size most common words (ties alphabetically) and <EOS>."""
    counts = Counter(t for t in tokens if t not in (PAD, UNK))
    if settings.level == "word" and settings.vocab_size is not None:
        ranked = sorted((t for t in counts if t != EOS), key=lambda t: (-counts[t], t))
        kept = set(ranked[: settings.vocab_size]) | ({EOS} & set(counts))
    else:
        kept = set(counts)
    return Vocab((PAD, UNK, *sorted(kept)))


def read_text(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such text file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text (byte {err.start}); convert it to UTF-8 first") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err})") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    return text


def split_text(
    text: str, val_fraction: float, parts: int = HELD_OUT_PARTS, seed: int = 0
) -> tuple[list, list]:
    """(train, val) pieces of a text: the text is cut into `parts` equal stretches and a block of
    val_fraction of each, at a seeded place in it, is held out, cut at line ends where the text
    has lines. What is held out comes from all through the text, so its figures say how the
    model does on other passages, not on the one that follows what it learnt; the pieces
    around the blocks are the training text. A text too short for that holds out one block."""
    ends = np.cumsum([len(line) for line in text.splitlines(keepends=True)])
    rng = np.random.default_rng(seed)
    stretch = len(text) / parts
    held = int(stretch * val_fraction)
    if held < 2:  # a few characters a stretch: one block at the end
        parts, stretch, held = 1, float(len(text)), max(1, int(len(text) * val_fraction))
    blocks = []
    for k in range(parts):
        start = int(k * stretch) + int(rng.integers(0, max(1, int(stretch) - held + 1)))
        block = (_at_line_end(start, ends, len(text)), _at_line_end(start + held, ends, len(text)))
        if block[1] > block[0] and (not blocks or block[0] >= blocks[-1][1]):
            blocks.append(block)
    train, val, previous = [], [], 0
    for start, stop in blocks:
        train.append(text[previous:start])
        val.append(text[start:stop])
        previous = stop
    train.append(text[previous:])
    return [t for t in train if t], val


def _at_line_end(position: int, ends: np.ndarray, length: int) -> int:
    """The line end nearest position (position itself in a text of one line)."""
    inner = ends[ends < length]
    return int(inner[np.argmin(np.abs(inner - position))]) if len(inner) > 1 else min(position, length)


def split_lines(lines: list[list[str]], val_fraction: float, seed: int) -> tuple[list, list]:
    """(train, val) examples: val is the ceil(val_fraction * n) lines of smallest hash of (seed,
    position, tokens), so a sorted list (names A to Z) is not held out by its last letters."""
    count = min(len(lines) - 1, math.ceil(val_fraction * len(lines)))
    key = lambda i: hashlib.sha1(f"{seed}\0{i}\0{''.join(lines[i])}".encode()).hexdigest()  # noqa: E731
    chosen = set(sorted(range(len(lines)), key=key)[: max(count, 0)])
    return (
        [e for i, e in enumerate(lines) if i not in chosen],
        [e for i, e in enumerate(lines) if i in chosen],
    )


def load_text_data(
    path: str | Path,
    settings: TokenizerConfig,
    val_fraction: float = 0.1,
    val: str | Path | None = None,
    seed: int = 0,
) -> TokenData:
    """Training and validation ids of a text file, by settings (see text_tokenizer).

    Validation: the file val, else (lines=True) a seeded val_fraction of the lines, as jazz holds
    out whole solos, else val_fraction of the text held out from HELD_OUT_PARTS places (split_text).
    """
    text = read_text(path)
    if val is not None:
        train_examples, val_examples = examples(text, settings), examples(read_text(val), settings)
    elif settings.lines:
        train_examples, val_examples = split_lines(examples(text, settings), val_fraction, seed)
    else:
        train_parts, val_parts = split_text(text, val_fraction, seed=seed)
        train_examples = [e for part in train_parts for e in examples(part, settings)]
        val_examples = [e for part in val_parts for e in examples(part, settings)]
    train_examples = [e for e in train_examples if e]
    if not train_examples:
        raise DataError(f"{path}: no tokens to train on")
    vocab = build_text_vocab([settings.start_token, *(t for e in train_examples for t in e)], settings)
    val_ids = tuple(encode_text(e, vocab, settings) for e in val_examples if e)
    train_ids = tuple(encode_text(e, vocab, settings) for e in train_examples)
    return TokenData(vocab, train_ids, val_ids, settings, str(path))


def encode_text(tokens: list[str], vocab: Vocab, settings: TokenizerConfig) -> np.ndarray:
    """The ids of tokens, led by the start token."""
    return np.asarray(vocab.ids([settings.start_token, *tokens]), np.int32)
