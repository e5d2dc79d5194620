"""A real solo as the sampler would have to choose it: at each choice, what it could choose there.

The token figures of `evaluate` read the model's full softmax. The sampler does not: it chooses
only among the tokens its grammar allows at that step (a pitch where a pitch comes, no gap past
the next bar line), and a pitch token is a class with an interval that the decoder turns into a
pitch, so several tokens can sound the same pitch (over C7 after an E, 'C+3' and 'C+4' both
sound G: 'C+3' is snapped onto the chord tone). Scored as sampled, the probability of a choice
is the model's probability of every allowed token that gives the same result, over that of
every allowed token: the generator's own probability of the real solo, step by step, at
temperature 1, without the echo or the instrument's range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from jazzgen.errors import DataError
from jazzgen.improv.generation import register_for
from jazzgen.improv.improvise import replay
from jazzgen.lm.vocab import Vocab
from jazzgen.music.solo import chord_at
from jazzgen.tokens.decoding import Realiser, decode
from jazzgen.tokens.values import (
    BAR,
    DEFAULT_RANGE,
    forced_events,
    looks_ahead,
    scheme_of,
    token_kind,
)

WIDE = 10**6  # the bounds of a register no line leaves


@dataclass(frozen=True)
class Replayed:
    """A solo's choices: the index of each chosen token in the id sequence, the ids the grammar
    allowed there, the ids credited (the chosen id, or for a pitch every allowed spelling of the
    same pitch), and which choices are pitches. outside: choices whose own token the grammar did
    not allow (a token the vocabulary lacks), scored with it added."""

    sequence: np.ndarray
    positions: np.ndarray
    allowed: tuple[np.ndarray, ...]
    credited: tuple[np.ndarray, ...]
    is_pitch: np.ndarray
    outside: int


class Replayer:
    """Replays token streams over one vocabulary (see replayed)."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.pitch_ids = np.array(
            [i for i, t in enumerate(vocab.tokens) if token_kind(t) == "pitch"], np.int64
        )
        self.realiser = Realiser([(vocab.tokens[i][0], int(vocab.tokens[i][1:])) for i in self.pitch_ids])

    def replayed(self, tokens: list[str]) -> Replayed:
        """The choices of one stream; DataError when it does not decode or leaves the grammar."""
        solo = decode(tokens)
        events = forced_events(solo, looks_ahead(scheme_of(tokens)))
        if not events or BAR not in tokens:
            raise DataError("the stream has no bar line")
        prefix_length = tokens.index(BAR) + len(events[0][1])
        # the sampler's own register, over a range no line leaves: range plays no part in the score
        register = replace(register_for(solo, tokens[:prefix_length], DEFAULT_RANGE), low=-WIDE, high=WIDE)
        choices = replay(self.vocab, tokens, events[1:], solo.end, register, prefix_length)
        unknown = self.vocab.id("<unk>") if "<unk>" in self.vocab else None
        allowed, credited, outside = [], [], 0
        for choice in choices:
            token = tokens[choice.position]
            own = self.vocab.id(token) if token in self.vocab else unknown
            ids = choice.allowed
            if own is None:
                raise DataError(f"{token!r} is not in the vocabulary, which has no <unk>")
            if own not in ids:
                ids, outside = np.append(ids, own), outside + 1
            if choice.previous_pitch is not None and own != unknown:
                chord = chord_at(solo.chords, choice.onset)
                pitches = self.realiser(choice.previous_pitch, chord, DEFAULT_RANGE)
                same = self.pitch_ids[pitches == register.realise(choice.previous_pitch, token, choice.onset)]
                credited.append(same[np.isin(same, ids, assume_unique=True)])
            else:
                credited.append(np.array([own]))
            allowed.append(ids)
        return Replayed(
            np.asarray(self.vocab.ids(tokens), np.int32),
            np.array([c.position for c in choices], np.int64),
            tuple(allowed),
            tuple(credited),
            np.array([c.previous_pitch is not None for c in choices], bool),
            outside,
        )


def choice_nats(log_p: np.ndarray, allowed: np.ndarray, credited: np.ndarray) -> float:
    """-ln of the share of the allowed probability on the credited ids (log_p: (vocab,) logs)."""
    return float(np.logaddexp.reduce(log_p[allowed]) - np.logaddexp.reduce(log_p[credited]))
