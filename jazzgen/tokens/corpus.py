"""A prepared jazz corpus (the folder `jazzgen prepare` writes), written as one unit and read back checked.

CORPUS/tokens.jsonl holds one solo a line ({"source", "title", "meter", "tempo", "bars",
"tokens": [...]}), CORPUS/vocab.json its vocabulary, CORPUS/report.json what was read and
skipped, CORPUS/cache.json what prepare may reuse, and CORPUS/corpus.json the manifest: the size
and SHA-256 of tokens.jsonl and vocab.json. The files are written together and the manifest is
renamed in last (jazzgen.files.outputs.write_together), so files of two runs of prepare never pass for
one corpus: a reader refuses a corpus whose files do not match its manifest, or (a corpus from
before manifests) whose tokens and vocabulary disagree.

Validation is split by whole solo: the ceil(val_fraction * n) solos whose hash of (seed, source,
title, position) is smallest, so the split is fixed by the seed and never cuts a solo in two. By
tune (by_tune=True), the takes of one tune stay on one side: solos whose titles differ only by a
take mark ("Body And Soul-2", "..._AlternateTake", "..._1963", "(take 2)") go together, in the
order of their first member's hash, so a corpus with no repeated tune splits as by solo.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import json_text, read_bytes, read_json, shown
from jazzgen.files.outputs import write_together
from jazzgen.lm.config import TokenizerConfig
from jazzgen.lm.dataset import TokenData
from jazzgen.lm.vocab import PAD, UNK, Vocab
from jazzgen.tokens.decoding import in_scheme, without_chords
from jazzgen.tokens.values import END, GAPS, START, chosen, encode, scheme_of, token_kind

VALUES_TOKENIZER = TokenizerConfig(kind="values", level="value", start_token=START, end_token=END)
TOKENS, VOCAB, REPORT, CACHE, MANIFEST = (
    "tokens.jsonl",
    "vocab.json",
    "report.json",
    "cache.json",
    "corpus.json",
)
CORPUS_FILES = (TOKENS, VOCAB, REPORT, CACHE, MANIFEST)
MANIFEST_KIND, MANIFEST_VERSION = "jazzgen corpus", 1
VOUCHED = (TOKENS, VOCAB)  # what a manifest holds the hashes of: what training reads
MAX_TOKENS_BYTES = 2**31  # tokens.jsonl: the 410 WJazzD solos take 6 MB
MAX_SMALL_BYTES = 64 * 2**20  # vocab.json, corpus.json
AGAIN = "run `jazzgen prepare` into it again"


@dataclass(frozen=True)
class CorpusSolo:
    """One solo of a prepared corpus: its value tokens and where it came from."""

    source: str
    title: str
    tokens: tuple[str, ...]


def corpus_entry(solo, scheme: str = GAPS) -> dict:
    """One line of tokens.jsonl: a solo's value tokens (in scheme) and what it is."""
    tokens = encode(solo, scheme)
    return {
        "source": solo.source,
        "title": solo.title,
        "meter": solo.meter[0].name,
        "tempo": solo.tempo,
        "bars": solo.bars,
        "notes": sum(1 for t in tokens if token_kind(t) == "pitch"),
        "tokens": tokens,
    }


def write_corpus(folder: Path, entries: list[dict], vocab: Vocab, report: dict, cache: dict) -> None:
    """Write the corpus files into folder as one change, the manifest last (see the module doc)."""
    files = [
        (TOKENS, "".join(json_text(e) + "\n" for e in entries).encode("utf-8")),
        (VOCAB, vocab.to_json().encode("utf-8")),
        (REPORT, json_text(report, indent=1).encode("utf-8")),
        (CACHE, json_text(cache).encode("utf-8")),
    ]
    manifest = {
        "kind": MANIFEST_KIND,
        "version": MANIFEST_VERSION,
        "files": {name: _digest(data) for name, data in files if name in VOUCHED},
    }
    write_together(folder, files + [(MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))])


def _digest(data: bytes) -> dict:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def holds_corpus(folder: Path) -> bool:
    """Whether folder holds a corpus jazzgen wrote: a manifest, or (from before manifests) a
    tokens.jsonl beside a jazzgen vocabulary."""
    try:
        if (folder / MANIFEST).is_file():
            return read_json(folder / MANIFEST, MAX_SMALL_BYTES).get("kind") == MANIFEST_KIND
        return (folder / TOKENS).is_file() and bool(Vocab.load(folder / VOCAB))
    except (DataError, AttributeError):
        return False


def is_corpus(path: str | Path) -> bool:
    return (Path(path) / "tokens.jsonl").is_file()


def read_corpus(path: str | Path) -> tuple[list[CorpusSolo], Vocab]:
    """The solos and vocabulary of a prepared corpus folder, checked to be of one run of prepare."""
    folder = Path(path)
    if not folder.exists():
        raise UsageError(
            f"{shown(folder)}: no such folder; make one with `jazzgen prepare SOURCES -o {folder}`"
        )
    if not is_corpus(folder):
        raise UsageError(
            f"{shown(folder)}: no tokens.jsonl; prepare it first with `jazzgen prepare SOURCES -o {folder}`"
        )
    raw = {
        TOKENS: read_bytes(folder / TOKENS, MAX_TOKENS_BYTES, AGAIN),
        VOCAB: read_bytes(folder / VOCAB, MAX_SMALL_BYTES, AGAIN),
    }
    _check_manifest(folder, raw)
    solos = [_solo(line, folder, number) for number, line in _lines(raw[TOKENS], folder / TOKENS)]
    if not solos:
        raise DataError(f"{shown(folder / TOKENS)}: no solos; {AGAIN}")
    vocab = Vocab.from_json(raw[VOCAB], folder / VOCAB)
    _check_agreement(solos, vocab, folder)
    return solos, vocab


def _check_manifest(folder: Path, raw: dict[str, bytes]) -> None:
    """DataError when a file does not match the manifest (files of two runs of prepare)."""
    if not (folder / MANIFEST).exists():
        return  # a corpus from before manifests: _check_agreement still compares tokens and vocabulary
    manifest = read_json(folder / MANIFEST, MAX_SMALL_BYTES, AGAIN)
    try:
        if manifest["kind"] != MANIFEST_KIND or manifest["version"] != MANIFEST_VERSION:
            raise ValueError(f"kind {manifest['kind']!r} version {manifest['version']!r}")
        expected = {name: manifest["files"][name] for name in VOUCHED}
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(
            f"{shown(folder / MANIFEST)}: not a jazzgen corpus manifest ({err}); {AGAIN}"
        ) from None
    for name, data in raw.items():
        if _digest(data) != expected[name]:
            raise DataError(
                f"{shown(folder)}: {name} does not match corpus.json: the folder holds files of "
                f"different runs of prepare (one was cut off, or two ran at once); {AGAIN}"
            )


def _check_agreement(solos: list[CorpusSolo], vocab: Vocab, folder: Path) -> None:
    """DataError unless the vocabulary is exactly the corpus's tokens, as prepare builds it."""
    seen = {token for solo in solos for token in solo.tokens}
    missing = seen - set(vocab.tokens)
    unused = set(vocab.tokens) - seen - {PAD, UNK}
    if missing or unused:
        what = (
            f"{len(missing):,} tokens of tokens.jsonl are not in vocab.json"
            if missing
            else f"{len(unused):,} tokens of vocab.json are in no solo of tokens.jsonl"
        )
        raise DataError(
            f"{shown(folder)}: tokens.jsonl and vocab.json disagree ({what}): they come from "
            f"different runs of prepare; {AGAIN}"
        )


def _lines(data: bytes, path: Path):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{shown(path)}: not UTF-8 text (byte {err.start}); {AGAIN}") from None
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: JSON strings may hold U+2028
        if line.strip():
            yield number, line


def _solo(line: str, folder: Path, number: int) -> CorpusSolo:
    try:
        entry = json.loads(line)
        tokens = tuple(entry["tokens"])
        if not tokens or not all(isinstance(t, str) for t in tokens):
            raise ValueError("tokens must be a non-empty list of strings")
        return CorpusSolo(str(entry.get("source", "")), str(entry.get("title", "")), tokens)
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise DataError(
            f"{shown(folder / TOKENS)} line {number}: not a solo record ({err}); {AGAIN}"
        ) from None


def split_by_solo(
    solos: list[CorpusSolo], val_fraction: float, seed: int, by_tune: bool = False
) -> tuple[list, list]:
    """(train, val) solos; val gets ceil(val_fraction * n) whole solos (by_tune: whole tunes, so
    at least that many), at least one training solo stays. A tune that would take validation past
    twice its share (a folder of `solo_1` ... `solo_20` reads as one tune) or leave no training
    solo is passed over; where every tune is, the split falls back to whole solos."""
    if len(solos) < 2:
        raise DataError(f"a corpus of {len(solos)} solo cannot be split by solo; add solos or give --val")
    count = min(len(solos) - 1, math.ceil(val_fraction * len(solos)))
    groups: dict[str, list[int]] = {}
    for i in sorted(range(len(solos)), key=lambda i: _split_key(solos[i], i, seed)):
        tune = tune_of(solos[i].title) if by_tune else ""
        groups.setdefault(tune or f"\0{i}", []).append(i)  # a title of no letters: its own tune
    chosen: set[int] = set()
    for members in groups.values():  # in the order of each group's first (smallest) hash
        if len(chosen) >= count:
            break
        if len(chosen) + len(members) <= min(2 * count, len(solos) - 1):
            chosen.update(members)
    if not chosen:
        return split_by_solo(solos, val_fraction, seed)
    train = [s for i, s in enumerate(solos) if i not in chosen]
    val = [s for i, s in enumerate(solos) if i in chosen]
    return train, val


_TAKE_MARK = re.compile(
    r"(?:[\s_.\-()\[\]]+|(?<=[a-z])(?=[A-Z]))"  # a separator, or a camel-case word start
    r"(?:\d{1,4}|(?:[Aa]lt(?:ernate)?|ALT(?:ERNATE)?)(?:[\s_.\-]?(?:[Tt]ake|TAKE))?[\s_.\-]?\d*"
    r"|(?:[Tt]ake|TAKE)[\s_.\-]?\d*|[Mm]aster|MASTER)"
    r"[\s_.\-()\[\]]*$"
)


def tune_of(title: str) -> str:
    """The tune a solo's title names, its take marks (a trailing number or year, 'alt', 'alternate
    take', 'take 2', 'master') dropped, lower-cased, letters and digits only."""
    previous = None
    while previous != title:
        previous, title = title, _TAKE_MARK.sub("", title)
    return re.sub(r"[^0-9a-z]", "", title.lower())


def _split_key(solo: CorpusSolo, index: int, seed: int) -> str:
    return hashlib.sha1(f"{seed}\0{solo.source}\0{solo.title}\0{index}".encode()).hexdigest()


def load_jazz_data(
    corpus: str | Path,
    val_fraction: float = 0.1,
    seed: int = 0,
    val: str | Path | None = None,
    scheme: str | None = None,
    sampled_only: bool = False,
    by_tune: bool = False,
    chordless: float = 0.0,
) -> TokenData:
    """Training and validation ids of a prepared corpus; val: another corpus folder to validate on,
    else val_fraction of the solos (by_tune: whole tunes, see split_by_solo);
    scheme: the value-token scheme wanted (a corpus in another is rewritten in it), else the corpus's;
    sampled_only: the loss is to count only what a sampler chooses (jazzgen.tokens.values.chosen);
    chordless: this share of the training solos that have chords is trained on again without them
    (see chordless_copies); validation is left as it is."""
    solos, vocab = read_corpus(corpus)
    if val is None:
        train, held_out = split_by_solo(solos, val_fraction, seed, by_tune)
    else:
        train, (held_out, _) = solos, read_corpus(val)
    if scheme is not None and scheme != scheme_of(vocab.tokens):
        train, held_out = (
            [replace(s, tokens=tuple(in_scheme(s.tokens, scheme))) for s in part]
            for part in (train, held_out)
        )
        vocab = Vocab.build(s.tokens for s in train + held_out)
    if chordless:
        copies = chordless_copies(train, chordless, seed)
        train, vocab = train + copies, Vocab.build([vocab.tokens, *(s.tokens for s in copies)])
    tokenizer = replace(VALUES_TOKENIZER, scheme=scheme_of(vocab.tokens))
    sampled = np.array([chosen(t) for t in vocab.tokens])
    return TokenData(
        vocab,
        _ids(train, vocab),
        _ids(held_out, vocab),
        tokenizer,
        str(corpus),
        learned=sampled if sampled_only else None,
        sampled=sampled,
    )


def chordless_copies(solos: list[CorpusSolo], share: float, seed: int) -> list[CorpusSolo]:
    """Copies, with no chords under them, of ceil(share x n) of the n solos that have chords
    (chosen by seed): a model that has also learnt lines over no chord plays, and adapts, better
    from a user's MIDI files that carry no chord symbols."""
    with_chords = [s for s in solos if any(token_kind(t) == "chord" for t in s.tokens)]
    if share and not with_chords:
        raise UsageError(f"--chordless {share:g}: no training solo has chords to take away; drop --chordless")
    picked = sorted(with_chords, key=lambda s: _split_key(s, 0, seed + 1))[
        : math.ceil(share * len(with_chords))
    ]
    return [
        replace(s, title=f"{s.title} (no chords)", tokens=tuple(without_chords(s.tokens))) for s in picked
    ]


def _ids(solos: list[CorpusSolo], vocab: Vocab) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(vocab.ids(s.tokens), np.int32) for s in solos)
