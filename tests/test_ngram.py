"""The Kneser-Ney baseline: proper distributions, the counts it keeps, saving and order choice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jazzgen.errors import DataError
from jazzgen.lm.ngram import KneserNey, count_ngrams, fit_best, kneser_ney

SEQUENCES = [[2, 3, 4, 5, 3, 4, 6], [2, 3, 4, 5, 5, 3, 4, 5], [2, 6, 6, 3, 4, 5]]


@pytest.mark.parametrize("order", [3, 4, 5])
def test_probabilities_sum_to_one_in_every_context(order):
    model = kneser_ney(count_ngrams(SEQUENCES, 5), order, vocab_size=9)
    for history in ([], [2], [2, 3], [3, 4], [9, 9, 9], [4, 5, 5, 3]):
        total = sum(model.probability(history, token) for token in range(9))
        assert total == pytest.approx(1.0, abs=1e-9), history
        assert min(model.probability(history, token) for token in range(9)) > 0


@pytest.mark.parametrize("order", [3, 5])
def test_distribution_gives_every_tokens_probability_at_once(order):
    model = kneser_ney(count_ngrams(SEQUENCES, 5), order, vocab_size=9)
    for history in ([], [2], [2, 3], [3, 4], [9, 9, 9], [4, 5, 5, 3]):
        expected = [model.probability(history, token) for token in range(9)]
        np.testing.assert_allclose(model.distribution(history), expected, rtol=1e-12)


def test_a_deterministic_continuation_is_likely_and_predicted():
    model = kneser_ney(count_ngrams(SEQUENCES, 3), 3, vocab_size=9)
    assert model.probability([2, 3], 4) > 0.5
    assert model.best_next([2, 3]) == 4
    assert model.best_next([7, 8]) == 3  # unseen context: the best unigram (most continuations)


def test_nats_score_every_position_after_the_first():
    model = kneser_ney(count_ngrams(SEQUENCES, 3), 3, vocab_size=9)
    nats = model.nats([2, 3, 4], [True, False, True])
    assert nats[0] == 0.0 and nats[1] == pytest.approx(-math.log(model.probability([2, 3], 4)))


def test_save_and_load_round_trip(tmp_path):
    model = kneser_ney(count_ngrams(SEQUENCES, 4), 4, vocab_size=9)
    model.save(tmp_path / "ngram.json")
    loaded = KneserNey.load(tmp_path / "ngram.json")
    assert loaded == model
    assert loaded.probability([3, 4], 5) == model.probability([3, 4], 5)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="not a jazzgen n-gram model"):
        KneserNey.load(tmp_path / "bad.json")


def test_fit_best_picks_the_order_that_validates_best():
    rng = np.random.default_rng(0)
    pattern = [2, 3, 4, 3, 5, 3, 4, 6]  # the token after 3 depends on the two before it
    train = [pattern * 30]
    assert fit_best(train, [pattern * 3], vocab_size=8, orders=(3, 4)).order == 4
    noise, other_noise = [list(rng.integers(2, 8, 400))], [list(rng.integers(2, 8, 400))]
    assert fit_best(noise, other_noise, vocab_size=8, orders=(3, 5)).order == 3
