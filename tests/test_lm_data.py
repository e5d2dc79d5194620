"""Id windows for teacher forcing, the jazz corpus reader and its split by solo."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from model_helpers import make_corpus

from jazzgen.errors import DataError, UsageError
from jazzgen.lm.config import ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from jazzgen.lm.dataset import carried_windows, epoch_order, make_windows, whole_sequences
from jazzgen.tokens.corpus import (
    CorpusSolo,
    chordless_copies,
    load_jazz_data,
    read_corpus,
    split_by_solo,
    tune_of,
)
from jazzgen.tokens.decoding import decode, without_chords
from jazzgen.tokens.values import token_kind


def test_windows_predict_every_token_but_each_sequences_first_once():
    first, second = np.arange(2, 12, dtype=np.int32), np.arange(20, 27, dtype=np.int32)
    windows = make_windows((first, second), seq_len=4, batch_size=3)
    assert windows.inputs.shape == (6, 4)  # 5 windows, padded to 2 batches of 3
    assert list(windows.targets[windows.targets > 0]) == list(first[1:]) + list(second[1:])
    assert windows.tokens == 9 + 6
    np.testing.assert_array_equal(windows.inputs[:3], [[2, 3, 4, 5], [6, 7, 8, 9], [10, 0, 0, 0]])
    np.testing.assert_array_equal(windows.targets[:3], [[3, 4, 5, 6], [7, 8, 9, 10], [11, 0, 0, 0]])
    np.testing.assert_array_equal(windows.inputs[3], [20, 21, 22, 23])  # a sequence starts a window
    assert not windows.targets[5:].any() and not windows.inputs[5:].any()


def test_short_sequences_are_packed_and_their_first_token_is_never_a_target():
    windows = make_windows(
        (np.array([2, 3, 4]), np.array([5, 6]), np.array([7, 8, 9, 10])), seq_len=6, batch_size=1
    )
    np.testing.assert_array_equal(windows.inputs, [[2, 3, 4, 5, 0, 0], [7, 8, 9, 0, 0, 0]])
    np.testing.assert_array_equal(windows.targets, [[3, 4, 0, 6, 0, 0], [8, 9, 10, 0, 0, 0]])


def test_carried_windows_cut_one_stream_into_lanes_that_go_on_batch_after_batch():
    stream = (np.arange(1, 30, dtype=np.int32), np.arange(30, 44, dtype=np.int32))  # ids 1..43 in two parts
    windows = carried_windows(stream, seq_len=3, lanes=2)
    assert windows.inputs.shape == (14, 3)  # 21 targets a lane: 7 windows in each of 2 lanes
    lane0, lane1 = windows.inputs[0::2], windows.inputs[1::2]  # row k * lanes + b: lane b, window k
    assert lane0.ravel().tolist() == list(range(1, 22)) and lane1.ravel().tolist() == list(range(22, 43))
    np.testing.assert_array_equal(windows.targets, windows.inputs + 1)
    with pytest.raises(
        DataError, match="no window of 3 in each of 20 lanes; lower --seq-len or --batch-size"
    ):
        carried_windows(stream, seq_len=3, lanes=20)


def test_epoch_order_depends_on_seed_and_epoch_only():
    assert list(epoch_order(10, 1, 3)) == list(epoch_order(10, 1, 3))
    assert list(epoch_order(10, 1, 3)) != list(epoch_order(10, 1, 4))
    assert sorted(epoch_order(10, 2, 1)) == list(range(10))


def test_corpus_is_split_by_whole_solo(tmp_path):
    corpus = make_corpus(tmp_path / "c", solos=10)
    solos, vocab = read_corpus(corpus)
    train, val = split_by_solo(solos, 0.1, seed=0)
    assert len(val) == 1 and len(train) == 9 and val[0] in solos
    assert split_by_solo(solos, 0.1, seed=0) == (train, val)
    assert len(split_by_solo(solos, 0.3, seed=0)[1]) == 3
    data = load_jazz_data(corpus, 0.1, seed=0)
    assert [vocab.decode(s)[0] for s in data.train + data.val] == ["<solo>"] * 10
    assert data.learned is None  # the loss counts every token
    sampled = {t for t, chosen in zip(vocab.tokens, data.sampled) if chosen}  # what a blend is judged on
    assert not {t for t in sampled if t[:1] in "RQM^<" and t != "<end>"}  # chords, header: forced
    assert any(t.startswith("d") for t in sampled) and "|" in sampled  # a sampler moves on to a bar
    held = make_corpus(tmp_path / "held", solos=2, first=40)
    assert len(load_jazz_data(corpus, val=held).val) == 2


def test_chordless_copies_add_the_same_lines_over_no_chord_and_leave_validation_alone(tmp_path):
    corpus = make_corpus(tmp_path / "c", solos=10)
    plain = load_jazz_data(corpus, 0.1, seed=0)
    data = load_jazz_data(corpus, 0.1, seed=0, chordless=0.5)
    tokens = lambda d, part: [d.vocab.decode(ids) for ids in part]  # noqa: E731
    assert tokens(data, data.val) == tokens(plain, plain.val)
    assert tokens(data, data.train[: len(plain.train)]) == tokens(plain, plain.train)
    copies = tokens(data, data.train[len(plain.train) :])
    assert len(copies) == math.ceil(0.5 * len(plain.train))
    assert not any((ids == data.vocab.id("<unk>")).any() for ids in data.train)  # the vocabulary has them
    notes = lambda stream: [(n.onset, n.duration, n.pitch) for n in decode(stream).notes]  # noqa: E731
    originals = {tuple(notes(t)) for t in tokens(plain, plain.train)}
    for copy in copies:
        assert not any(token_kind(t) == "chord" for t in copy)
        assert {t[0] for t in copy if token_kind(t) == "pitch"} == {"N"}
        assert tuple(notes(copy)) in originals  # the same notes, only the chords gone
    again = load_jazz_data(corpus, 0.1, seed=0, chordless=0.5)
    assert tokens(again, again.train) == tokens(data, data.train)  # seeded
    assert len(load_jazz_data(corpus, 0.1, seed=0, chordless=1.0).train) == 2 * len(plain.train)
    bare = [replace(s, tokens=tuple(without_chords(list(s.tokens)))) for s in read_corpus(corpus)[0]]
    with pytest.raises(UsageError, match=r"^--chordless 0.5: no training solo has chords"):
        chordless_copies(bare, 0.5, seed=0)
    assert (
        len(chordless_copies(bare[:1] + read_corpus(corpus)[0][1:2], 0.1, seed=0)) == 1
    )  # the one with chords


@pytest.mark.parametrize(
    "title, tune",
    [
        ("JohnColtrane_BodyAndSoul_AlternateTake", "johncoltranebodyandsoul"),
        ("JohnColtrane_BodyAndSoul", "johncoltranebodyandsoul"),
        ("JohnColtrane_Impressions_1963", "johncoltraneimpressions"),
        ("ChetBaker_ThereWillNeverBeAnotherYou-2", "chetbakertherewillneverbeanotheryou"),
        ("autumn leaves (take 2)", "autumnleaves"),
        ("Autumn Leaves alt", "autumnleaves"),
        ("blues_master", "blues"),
        ("JohnColtrane_26=2", "johncoltrane262"),  # a tune's own name keeps its number
        ("JohnColtrane_Mistake", "johncoltranemistake"),
        ("Take5", "take5"),
    ],
)
def test_the_tune_of_a_title_drops_its_take_marks(title, tune):
    assert tune_of(title) == tune


def _solos(titles):
    return [CorpusSolo(f"/solos/{t}.mid", t, ("<solo>", "|", "<end>")) for t in titles]


def test_a_split_by_tune_keeps_the_takes_of_a_tune_together():
    titles = [f"Tune{k}-{take}" for k in range(8) for take in (1, 2)] + [f"Other{k}" for k in range(8)]
    solos = _solos(titles)
    for seed in range(20):
        train, val = split_by_solo(solos, 0.2, seed, by_tune=True)
        assert len(val) >= 5 and len(train) + len(val) == len(solos)
        assert not {tune_of(s.title) for s in train} & {tune_of(s.title) for s in val}
    assert any(  # by solo, takes of one tune fall on both sides for some seed
        {tune_of(s.title) for s in t} & {tune_of(s.title) for s in v}
        for t, v in (split_by_solo(solos, 0.2, seed) for seed in range(20))
    )


def test_a_split_by_tune_of_distinct_tunes_is_the_split_by_solo():
    solos = _solos([f"Tune {chr(65 + k)}{chr(97 + k)}" for k in range(26)])
    assert len({tune_of(s.title) for s in solos}) == 26
    for seed in range(5):
        assert split_by_solo(solos, 0.1, seed, by_tune=True) == split_by_solo(solos, 0.1, seed)


def test_a_large_group_of_like_titles_is_not_held_out_whole():
    solos = _solos(
        [f"solo_{k}" for k in range(20)] + [f"Tune {chr(65 + k)}" for k in range(10)] + ["", "", ""]
    )
    for seed in range(10):
        train, val = split_by_solo(solos, 0.1, seed, by_tune=True)
        assert 4 <= len(val) <= 8 and not any(s.title.startswith("solo_") for s in val)


def test_quality_and_the_critic_split_a_corpus_as_its_bundle_was_trained(tmp_path):
    from model_helpers import tiny_model, tiny_train

    from jazzgen.judge.quality import training_split
    from jazzgen.lm.bundle import load_bundle_meta
    from jazzgen.training.train import train_jazz

    titles = [f"Tune{chr(65 + k)}-{take}" for k in range(5) for take in (1, 2)]
    corpus = make_corpus(tmp_path / "c", solos=10, titles=titles)
    for by_tune, chordless in ((True, 0.0), (False, 0.0), (True, 0.5)):
        config = tiny_train(epochs=1, val_fraction=0.1, val_groups=by_tune, seed=3, chordless=chordless)
        out = tmp_path / f"m{by_tune}{chordless}"
        bundle = train_jazz(corpus, out, tiny_model(), config, progress=False)
        train, val = training_split(corpus, load_bundle_meta(bundle))  # the copies counted, not listed
        assert (train, val) == split_by_solo(read_corpus(corpus)[0], 0.1, 3, by_tune)
        assert len(val) == (2 if by_tune else 1)


def test_a_corpus_of_one_tune_splits_by_solo():
    solos = _solos([f"Blues-{k}" for k in range(5)])
    assert split_by_solo(solos, 0.2, 0, by_tune=True) == split_by_solo(solos, 0.2, 0)


def test_whole_sequences_score_each_sequence_from_its_start():
    sequences = (np.arange(1, 6), np.arange(10, 13), np.arange(20, 30))
    windows = whole_sequences(sequences, 4, rows=3)
    assert windows.inputs.shape == (6, 4)  # 1 + 1 + 3 pieces, in whole batches of 3 rows
    assert windows.inputs[0].tolist() == [1, 2, 3, 4] and windows.targets[0].tolist() == [2, 3, 4, 5]
    assert windows.inputs[1].tolist() == [10, 11, 0, 0] and windows.targets[1].tolist() == [11, 12, 0, 0]
    assert windows.inputs[2].tolist() == [20, 21, 22, 23] and windows.inputs[3].tolist() == [24, 25, 26, 27]
    assert windows.targets[4].tolist() == [29, 0, 0, 0]  # every target of every sequence, once
    assert windows.tokens == 4 + 2 + 9
    learned = np.zeros(30, bool)
    learned[[11, 25]] = True
    assert whole_sequences(sequences, 4, 3, learned).tokens == 2


def test_corpus_errors(tmp_path):
    with pytest.raises(UsageError, match="no such folder"):
        read_corpus(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no tokens.jsonl; prepare it first"):
        read_corpus(tmp_path / "empty")
    corpus = make_corpus(tmp_path / "c", solos=2)
    with open(corpus / "tokens.jsonl", "a") as file:
        file.write('{"title": "x"}\n')
    with pytest.raises(DataError, match="line 3: not a solo record"):
        read_corpus(corpus)
    one = make_corpus(tmp_path / "one", solos=1)
    with pytest.raises(DataError, match="cannot be split by solo"):
        load_jazz_data(one)


def test_run_config_json_round_trip_and_differences():
    config = RunConfig(ModelConfig(units=64, vocab_size=40), TrainConfig(epochs=3), TokenizerConfig())
    data = json.loads(config.to_json())
    assert data["format_version"] == 1 and RunConfig.from_dict(data) == config
    other = RunConfig(ModelConfig(units=32, vocab_size=40), TrainConfig(epochs=3), TokenizerConfig())
    assert config.differences(other) == [("model", "units", 64, 32)]
    data["model"]["colour"] = "blue"
    with pytest.raises(DataError, match="unknown ModelConfig settings"):
        RunConfig.from_dict(data)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"cell": "tcn"}, "--cell tcn: choose one of lstm, gru, rnn"),
        ({"dropout": 1.0}, r"--dropout 1.0: give a fraction in \[0, 1\)"),
        ({"layers": 0}, "--layers 0: give 1 to 8"),
    ],
)
def test_model_config_refuses_bad_values(changes, message):
    with pytest.raises(UsageError, match=message):
        ModelConfig(**changes)


def test_train_config_refuses_bad_values():
    with pytest.raises(UsageError, match="--seq-len 1: give 2 to 100000"):
        TrainConfig(seq_len=1)
    with pytest.raises(UsageError, match="--strategy tpu: choose one of auto, mirrored, multiworker"):
        TrainConfig(strategy="tpu")


def test_a_loss_on_the_sampled_tokens_masks_the_forced_ones(tmp_path):
    sequence = np.array([2, 5, 6, 7, 5, 6, 7, 3], np.int32)
    learned = np.array([False, False, False, True, False, True, True, True])  # ids 3, 5, 6, 7 count
    windows = make_windows((sequence,), 16, 1, learned)
    assert windows.inputs[0, :7].tolist() == [2, 5, 6, 7, 5, 6, 7]  # every token is still read
    assert windows.targets[0, :7].tolist() == [5, 6, 7, 5, 6, 7, 3]
    masked = make_windows((np.array([2, 4, 5, 4, 3], np.int32),), 16, 1, learned)
    assert masked.targets[0, :4].tolist() == [0, 5, 0, 3]  # id 4 is forced: not a target
    corpus = make_corpus(tmp_path / "corpus", solos=4)
    data = load_jazz_data(corpus, sampled_only=True)
    forced = [t for t, counts in zip(data.vocab.tokens, data.learned) if not counts]
    assert {"<solo>", "M4/4", "R+0", "Q7"} <= set(forced)
    assert not [t for t in forced if t[:1] in "gd" or t[:1] in "CSAXN" and t[1:2] in "+-"]  # no note part
    assert data.learned[data.vocab.id("|")] and data.learned[data.vocab.id("<end>")]
    assert load_jazz_data(corpus).learned is None
