"""Text mode: the char and word tokenizers, and the shared core training and scoring a text model."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from jazzgen.cli import cli
from jazzgen.errors import DataError, UsageError
from jazzgen.lm.vocab import UNK
from jazzgen.tokens.text import (
    EOS,
    build_text_vocab,
    detokenize,
    encode_text,
    load_text_data,
    split_text,
    text_tokenizer,
    tokenize,
)

NAMES = "Aachenosaurus\nAardonyx\nAbelisaurus\n\nAbrictosaurus\nAcanthopholis\n"
VERSE = (
    "To be, or not to be: that is the question.\nWhether 'tis nobler in the mind to suffer\n\nThe slings.\n"
)


def test_char_tokens_keep_every_character_and_case():
    settings = text_tokenizer("char")
    assert tokenize("Ab c\nd", settings) == ["A", "b", " ", "c", "\n", "d"]
    assert settings.start_token == "\n" and settings.end_token is None
    assert detokenize(tokenize(VERSE, settings), settings) == VERSE


def test_char_lines_make_one_example_a_line():
    settings = text_tokenizer("char", lines=True)
    tokens = tokenize(NAMES, settings)
    assert tokens[:14] == [*"Aachenosaurus", EOS]
    assert tokens.count(EOS) == 5  # the blank line is no example
    assert settings.start_token == settings.end_token == EOS
    assert detokenize(tokens, settings) == NAMES.replace("\n\n", "\n")


def test_lower_folds_case():
    assert tokenize("AbC", text_tokenizer("char", lower=True)) == ["a", "b", "c"]


def test_word_tokens_split_punctuation_and_end_lines():
    settings = text_tokenizer("word")
    tokens = tokenize(VERSE, settings)
    assert tokens[:9] == ["To", "be", ",", "or", "not", "to", "be", ":", "that"]
    assert (
        "'tis" not in tokens
        and ["'", "tis"] == tokens[tokens.index("Whether") + 1 : tokens.index("Whether") + 3]
    )
    assert tokens.count(EOS) == 4  # every line, the blank one included
    assert detokenize(tokenize("Don't stop, now.\n", settings), settings) == "Don't stop, now."


def test_word_vocabulary_keeps_the_most_common_words():
    settings = text_tokenizer("word", vocab_size=3)
    tokens = tokenize("a a a b b c d\na b\n", settings)
    vocab = build_text_vocab(tokens, settings)
    assert set(vocab.tokens[2:]) == {"a", "b", "c", EOS}  # c beats d alphabetically at one count each
    ids = encode_text(["d", "a"], vocab, settings)
    assert vocab.decode(ids) == [EOS, UNK, "a"]


def test_tokenizer_option_errors():
    with pytest.raises(UsageError, match="--vocab-size applies to --level word only"):
        text_tokenizer("char", vocab_size=10)
    with pytest.raises(UsageError, match="--level sentence"):
        text_tokenizer("sentence")


def test_validation_is_held_out_from_ten_places_cut_at_lines(tmp_path):
    text = "".join(f"line {i:03d}\n" for i in range(300))
    train, val = split_text(text, 0.1, seed=4)
    assert len(val) == 10 and sum(map(len, val)) == len(text) // 10
    assert all(v.startswith("line") and v.endswith("\n") for v in val)  # whole lines
    first_lines = [int(v[5:8]) for v in val]
    assert [n // 30 for n in first_lines] == list(range(10))  # one block in each tenth of the text
    assert "".join(p for pair in zip(train, val + [""]) for p in pair) == text  # nothing lost or doubled
    assert split_text(text, 0.1, seed=5) != (train, val)  # the seed places the blocks
    path = tmp_path / "t.txt"
    path.write_text(text)
    data = load_text_data(path, text_tokenizer("char"), 0.1, seed=4)
    assert len(data.val) == 10 and data.vocab.decode(data.val[0])[:5] == ["\n", "l", "i", "n", "e"]
    assert data.train_tokens == sum(len(t) + 1 for t in train)  # each piece led by the start token


def test_lines_are_held_out_whole_and_spread_over_the_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("".join(f"name {i:02d}\n" for i in range(40)))
    data = load_text_data(path, text_tokenizer("char", lines=True), 0.1, seed=3)
    assert len(data.train) == 36 and len(data.val) == 4  # one sequence a line, each led by <EOS>
    held_out = ["".join(data.vocab.decode(ids[1:-1])) for ids in data.val]
    assert all(ids[0] == ids[-1] == data.vocab.id(EOS) for ids in data.val)
    assert held_out != [f"name {i}" for i in range(36, 40)] and all(h.startswith("name ") for h in held_out)
    again = load_text_data(path, text_tokenizer("char", lines=True), 0.1, seed=3)
    assert [list(ids) for ids in again.val] == [list(ids) for ids in data.val]


def test_text_file_errors(tmp_path):
    with pytest.raises(UsageError, match="no such text file"):
        load_text_data(tmp_path / "none.txt", text_tokenizer())
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(DataError, match="the file is empty"):
        load_text_data(tmp_path / "empty.txt", text_tokenizer())
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_text_data(tmp_path / "latin1.txt", text_tokenizer())


TINY = [
    "--layers",
    "2",
    "--units",
    "32",
    "--embedding",
    "16",
    "--seq-len",
    "24",
    "--batch-size",
    "8",
    "--epochs",
    "2",
    "--quiet",
]


@pytest.mark.parametrize("level, unit", [("char", "char"), ("word", "token")])
def test_text_model_trains_and_evaluates(tmp_path, level, unit):
    names = tmp_path / "names.txt"
    names.write_text("".join(f"Saurus{chr(97 + i % 26)}on {i % 7}\n" for i in range(300)))
    out = tmp_path / "trained" / "names"
    args = ["text", "train", str(names), "--level", level, "--lines", "-o", str(out), *TINY]
    trained = CliRunner().invoke(cli, args)
    assert trained.exit_code == 0, trained.output
    config = json.loads((out / "config.json").read_text())
    assert config["tokenizer"]["level"] == level and config["tokenizer"]["lines"] is True
    assert config["model"]["units"] == 32 and config["train"]["seq_len"] == 24
    assert not (out / "ngram.json").exists()
    result = CliRunner().invoke(cli, ["text", "evaluate", "-m", str(out), str(names), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # stderr warns: the model trained on these names
    assert report[f"bits_per_{unit}"] == pytest.approx(report[f"nats_per_{unit}"] / math.log(2))
    assert report["tokens"] == len(tokenize(names.read_text(), text_tokenizer(level, lines=True)))
    assert report[f"nats_per_{unit}"] < math.log(config["model"]["vocab_size"])


def test_long_text_is_scored_in_pieces_like_one_sequence():
    """Pieces with a warm-up give the same figures as one pass, to float tolerance."""
    import jazzgen.judge.evaluate as evaluate
    from jazzgen.lm.config import ModelConfig
    from jazzgen.lm.model import build_model

    model = build_model(ModelConfig(layers=1, units=8, embedding=4, vocab_size=9))
    ids = np.random.default_rng(1).integers(0, 9, 300).astype(np.int32)
    whole = evaluate.model_scores(model, [ids])[0][0]
    old = evaluate.MAX_PIECE, evaluate.WARMUP
    try:
        evaluate.MAX_PIECE, evaluate.WARMUP = 64, 200
        pieces = evaluate.model_scores(model, [ids])[0][0]
    finally:
        evaluate.MAX_PIECE, evaluate.WARMUP = old
    assert len(whole) == 299
    np.testing.assert_allclose(pieces, whole, atol=1e-4)


def test_carrying_the_state_between_windows_learns_context_longer_than_a_window(tmp_path):
    """Each line is five random letters, a space and the same five again: a copy's source is 6
    characters back, often in the window before (windows of 8). Trained with the state carried,
    the model predicts the copies; trained on windows from a zero state, it cannot."""
    from jazzgen.judge import evaluate_text
    from jazzgen.lm.config import ModelConfig, TrainConfig
    from jazzgen.training import train_text

    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefgh"), 5)) for _ in range(300)]
    text = tmp_path / "copies.txt"
    text.write_text("".join(f"{w} {w}\n" for w in words))
    model = ModelConfig(layers=1, units=32, embedding=8, dropout=0.0)
    scores = {}
    for carry in (False, True):
        train = TrainConfig(seq_len=8, batch_size=16, epochs=10, patience=10, lr=0.02, carry_state=carry)
        out = train_text(
            text, tmp_path / f"carry-{carry}", text_tokenizer("char"), model, train, progress=False
        )
        assert json.loads((out / "config.json").read_text())["train"]["carry_state"] is carry
        assert ("(--carry-state)" in (out / "README.md").read_text()) is carry
        scores[carry] = evaluate_text(out, text)["nats_per_char"]
    assert scores[True] < scores[False] - 0.25, scores  # measured: 1.73 against 2.26


def test_a_separate_validation_file_is_all_held_out_and_none_of_the_training_text(tmp_path):
    names, other = tmp_path / "names.txt", tmp_path / "other.txt"
    names.write_text("Tyrannosaurus\nVelociraptor\nStegosaurus\n" * 4)
    other.write_text("Zuniceratops\nQianzhousaurus\n")
    data = load_text_data(names, text_tokenizer("char", lines=True), 0.1, val=other)
    assert len(data.train) == 12 and len(data.val) == 2  # every line of the file trains, the other validates
    assert [data.vocab.decode(v)[1:4] for v in data.val] == [["<unk>", "u", "n"], ["<unk>", "i", "a"]]
