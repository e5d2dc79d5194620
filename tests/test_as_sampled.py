"""Scoring as the sampler samples: the sampler's grammar replayed over real streams, each pitch
credited with every spelling that sounds it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import make_solo

from jazzgen.errors import DataError
from jazzgen.judge.as_sampled import Replayer, choice_nats
from jazzgen.lm.vocab import Vocab
from jazzgen.music.changes import parse_changes
from jazzgen.music.solo import TimeSignature
from jazzgen.tokens.decoding import Realiser, decode, realise
from jazzgen.tokens.values import (
    BAR,
    CLASSES,
    GAPS,
    PLACED,
    PLACED_AHEAD,
    PLACED_DEGREE,
    POSITIONS,
    chosen,
    encode,
    token_kind,
)

SOLO = make_solo(
    [(60 + (k * 5) % 14, 7 * k, 4) for k in range(20)] + [(70, 150, 40)],
    "| Dm7 G7 | Cmaj7 | NC | F7 |",
)


def _chords():
    chords, _ = parse_changes("| Cmaj7 | F7 | Dm7b5 | Bbm6 | G7sus4 | NC |", (TimeSignature(0, 4, 4),))
    return list(chords) + [None]


def test_the_realiser_gives_each_spelling_the_pitch_realise_gives():
    spellings = [(c, i) for c in CLASSES for i in range(-14, 15)]
    realiser = Realiser(spellings)
    for chord in _chords():
        for previous in range(24, 108, 5):
            for pitch_range in ((28, 100), (55, 80)):
                expected = [realise(previous, i, c, chord, pitch_range) for c, i in spellings]
                np.testing.assert_array_equal(realiser(previous, chord, pitch_range), expected)


@pytest.mark.parametrize("scheme", [GAPS, POSITIONS, PLACED, PLACED_AHEAD, PLACED_DEGREE])
def test_a_real_stream_replays_with_each_chosen_token_among_those_allowed(scheme):
    tokens = encode(SOLO, scheme)
    vocab = Vocab.build([tokens, ["g5", "S+3", "A-1", "X+2", "d7"]])
    replayed = Replayer(vocab).replayed(tokens)
    assert replayed.outside == 0
    prefix = tokens.index(BAR) + 2  # the header, the first bar line and the chord on it ('R+0 Qm7')
    assert list(replayed.positions) == [k for k, t in enumerate(tokens) if k >= prefix and chosen(t)]
    assert replayed.is_pitch.sum() == len(SOLO.notes)
    for position, allowed, credited in zip(replayed.positions, replayed.allowed, replayed.credited):
        own = vocab.id(tokens[position])
        assert own in credited and set(credited) <= set(allowed)
        kinds = {token_kind(vocab.tokens[i]) for i in allowed}
        if token_kind(tokens[position]) == "pitch":
            assert kinds == {"pitch"}
        else:
            assert "pitch" not in kinds


def test_every_spelling_credited_to_a_pitch_sounds_that_pitch():
    tokens = encode(SOLO, PLACED)
    vocab = Vocab.build([tokens, [f"{c}{i:+d}" for c in "CSAX" for i in range(-7, 8)]])
    replayed = Replayer(vocab).replayed(tokens)
    notes = iter(decode(tokens).notes)
    previous = int(tokens[3][4:])
    shared = 0
    for credited, is_pitch in zip(replayed.credited, replayed.is_pitch):
        if not is_pitch:
            continue
        note = next(notes)
        chord = SOLO.chord_at(note.onset)
        for token_id in credited:
            token = vocab.tokens[token_id]
            assert realise(previous, int(token[1:]), token[0], chord, (28, 100)) == note.pitch
        shared += len(credited) > 1
        previous = note.pitch
    assert shared > 5  # over a chord, most pitches have more than one spelling


def test_a_stream_that_leaves_the_grammar_is_refused():
    tokens = encode(SOLO, PLACED)
    place = next(k for k, t in enumerate(tokens) if t.startswith("^") and t != "^0")
    broken = tokens[:place] + ["^1"] + tokens[place + 1 :]
    with pytest.raises(DataError, match="where the sampler would write"):
        Replayer(Vocab.build([tokens, ["^1"]])).replayed(broken)


def test_a_choice_scores_the_credited_share_of_the_allowed_probability():
    log_p = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    assert choice_nats(log_p, np.array([1, 2, 3]), np.array([2, 3])) == pytest.approx(-math.log(0.7 / 0.9))
    assert choice_nats(np.zeros(10), np.arange(6), np.array([4])) == pytest.approx(math.log(6))
