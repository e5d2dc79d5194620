"""The critic that picks the best of several takes: it scores what its features say, best_of keeps
the take it likes most, and fitting one writes a critic.json the sampler can load."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from bundle_helpers import random_bundle
from helpers import make_solo
from test_two_sample import player

import jazzgen.improv.generation as generation
from jazzgen.errors import DataError
from jazzgen.improv.critic import Critic, load_critic
from jazzgen.improv.generation import BEST_OF, generate_variations, takes_and_critic
from jazzgen.judge.critic import CriticSettings, fit_critic
from jazzgen.lm.vocab import Vocab
from jazzgen.music.line_features import feature_names
from jazzgen.tokens.corpus import corpus_entry, write_corpus
from jazzgen.tokens.decoding import decode

FEATURES = len(feature_names())


def leaning_on(feature: str, weight: float) -> Critic:
    """A critic that takes a window for generated the more of the feature it has (weight > 0)."""
    coef = np.zeros(FEATURES)
    coef[feature_names().index(feature)] = weight
    return Critic((0.0,) * FEATURES, (1.0,) * FEATURES, tuple(coef), 0.0, {})


def test_the_critic_scores_what_its_features_say():
    critic = leaning_on("drifted", 3.0)
    on_the_beat = make_solo([(60 + i % 5, 6 * i, 5) for i in range(64)], bars=8)
    pushed = make_solo([(60 + i % 5, 6 * i + 3, 5) for i in range(63)], bars=8)  # an 8th line a 16th late
    assert critic.realness(on_the_beat) == pytest.approx(0.5)
    assert critic.realness(pushed) == pytest.approx(1 / (1 + np.exp(3.0)))
    assert leaning_on("drifted", 3.0).realness(make_solo([(60, 0, 12)], bars=3)) == 0.5  # no 8-bar window


def test_best_of_keeps_the_take_the_critic_likes_most(tmp_path, monkeypatch):
    solos = [player(seed, bars=16) for seed in range(3)]
    vocab = Vocab.build(corpus_entry(s)["tokens"] for s in solos)
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.4)
    critic = leaning_on("notes per bar", -1.0)  # the busier, the realer
    critic.save(bundle)
    takes = generate_variations(bundle, tune="rhythm", n=4, best_of=1, seed=7, temperature=1.5)
    options = dict(tune="rhythm", n=1, best_of=4, seed=7, temperature=1.5, choose_every=0)  # whole takes
    (best,) = generate_variations(bundle, **options)
    assert best.notes == max(takes, key=critic.realness).notes
    assert len(best.notes) == max(len(t.notes) for t in takes)


def test_choosing_every_8_bars_goes_on_from_the_take_the_critic_likes_most(tmp_path, monkeypatch):
    solos = [player(seed, bars=16) for seed in range(3)]
    vocab = Vocab.build(corpus_entry(s)["tokens"] for s in solos)
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.4)
    leaning_on("notes per bar", -1.0).save(bundle)  # the busier, the realer
    scored, selection_for = [], generation.selection_for

    def recording(*args):
        selection = selection_for(*args)
        whole = args[3]
        assert sorted(selection.ticks) == [whole.bar_starts[b] for b in (8, 16, 24)]  # not the end
        return replace(
            selection,
            score=lambda t, tick: scored.append((tick, t, selection.score(t, tick))) or scored[-1][2],
        )

    monkeypatch.setattr(generation, "selection_for", recording)
    (solo,) = generate_variations(bundle, tune="rhythm", n=1, best_of=3, seed=7, temperature=1.5)
    ticks = [tick for tick, _, _ in scored]
    assert ticks == sorted(ticks) and len(ticks) == 9 and len(set(ticks)) == 3  # 3 takes at each
    for first in sorted(set(ticks)):
        _, best, _ = max((c for c in scored if c[0] == first), key=lambda c: c[2])
        kept = decode([*best, "<end>"]).notes
        assert [n.onset for n in solo.notes if n.onset < first] == [n.onset for n in kept if n.onset < first]


def test_a_bundle_with_a_critic_gives_the_best_of_BEST_OF_takes_unless_told(tmp_path):
    solos = [player(seed, bars=16) for seed in range(3)]
    vocab = Vocab.build(corpus_entry(s)["tokens"] for s in solos)
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.4)
    options = dict(tune="rhythm", n=1, seed=7, temperature=1.5)
    (alone,) = generate_variations(bundle, **options)
    assert alone.notes == generate_variations(bundle, best_of=1, **options)[0].notes  # no critic: one take
    leaning_on("notes per bar", -1.0).save(bundle)
    (chosen,) = generate_variations(bundle, **options)
    assert chosen.notes == generate_variations(bundle, best_of=BEST_OF, **options)[0].notes
    assert chosen.notes != alone.notes


def test_a_waltz_is_one_take_by_default_as_the_critic_judges_4_4_windows(tmp_path, monkeypatch):
    solos = [player(seed, bars=16) for seed in range(3)]
    vocab = Vocab.build(corpus_entry(s)["tokens"] for s in solos)
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.4)
    leaning_on("notes per bar", -1.0).save(bundle)
    batches, improvise = [], generation.improvise
    monkeypatch.setattr(generation, "improvise", lambda *a, **k: batches.append(a[6]) or improvise(*a, **k))
    (waltz,) = generate_variations(bundle, tune="waltz", seed=3)
    (blues,) = generate_variations(bundle, tune="blues", seed=3)
    generate_variations(bundle, tune="waltz", seed=3, best_of=4)  # asked for: as asked
    assert batches == [1, BEST_OF, 4]
    assert waltz.notes == generate_variations(bundle, tune="waltz", seed=3, best_of=1)[0].notes


def test_the_default_takes_stay_within_MAX_DEFAULT_TAKES_in_all(tmp_path):
    bundle = tmp_path / "m"
    bundle.mkdir()
    assert takes_and_critic(bundle, None, 1) == (1, None)  # no critic: one take
    critic = leaning_on("drifted", 1.0)
    critic.save(bundle)
    assert [takes_and_critic(bundle, None, n)[0] for n in (1, 4, 5, 8, 16, 100)] == [4, 4, 3, 2, 1, 1]
    assert takes_and_critic(bundle, None, 8)[1] == critic and takes_and_critic(bundle, None, 16)[1] is None
    assert takes_and_critic(bundle, 6, 16) == (6, critic)  # as asked


def test_a_critic_round_trips_and_a_foreign_one_is_refused(tmp_path):
    critic = leaning_on("drifted", 2.0)
    path = critic.save(tmp_path)
    assert load_critic(tmp_path) == critic and load_critic(tmp_path / "none") is None
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(
        DataError, match=r"critic.json: not a jazzgen critic \(it was fitted on other features\)"
    ):
        load_critic(tmp_path)


def test_fitting_a_critic_on_the_training_solos(tmp_path):
    solos = [player(seed, bars=32).with_(source=f"s{seed}", title=f"s{seed}") for seed in range(12)]
    entries = [corpus_entry(s) for s in solos]
    vocab = Vocab.build(e["tokens"] for e in entries)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_corpus(corpus, entries, vocab, report={}, cache={})
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.4)
    critic = fit_critic(bundle, corpus, CriticSettings(progressions=10))
    assert critic.fitted_on["progressions"] == 10 and critic.fitted_on["windows"] == {
        "real": 40,
        "generated": 40,
    }
    assert 0.5 < critic.fitted_on["held_out_accuracy"] <= 1.0  # a random model is easy to tell from a player
    assert critic.realness(solos[0]) > 0.5
