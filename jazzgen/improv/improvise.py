"""One-to-many improvisation: value tokens sampled one at a time over a forced chord progression.

The progression's bar lines and chord changes are forced into each stream at their ticks; only
note values (gap, pitch, duration) are sampled, each fed back as the next input with the
recurrent state carried along. A small grammar keeps the stream well formed:

    next  --gap-->  gap  --pitch-->  pitch  --duration-->  held  --gap / event / end-->  ...

(in the positions scheme a position token takes the gap's place: it puts the coming note at its
tick in the current bar, and the same masks apply to where that lands; in the placed scheme the
sampler forces the note's place in the bar after its gap, and the pitch comes after that).

After a note, the model may sample a gap that stays before the progression's next event, or that
event's first token (its bar line, or '@24' for a chord change inside a bar): its probability is
the model's belief that the next note comes after the event. Gaps reaching past the event are
masked, as in training streams, where every event comes before the gap tokens that pass it. When
the event's token is sampled, all its tokens are forced and the next note may not start before
its tick. Bar k of the result therefore always sounds over chord k.

The rhythm choices (a gap, the next event, a duration: when the next note comes and how long it
lasts) may be sampled at their own temperature. Left at the model's own (1.0), a line feeding on
its own output drifts sparser than the solos it learned from; see jazzgen.improv.generation.RHYTHM_TEMPERATURE.

The value tokens know intervals, not pitches, so a line left to itself wanders out of the
instrument's range and the decoder has to fold it back by an octave. Given a Register, the
sampler follows each line's pitch and offers only the pitch values whose interval stays in range.

A recurrent model seldom restates an idea from a few bars before the way players do (a motif
played again, or sequenced). Given an Echo, each pitch choice is mixed with a cache of the line
itself (the continuous-cache idea of language modelling): where the line's last intervals were
played before within its recent notes, the intervals that followed them there get `weight` of the
probability. With a Register the cache is of the pitches as played: each interval goes to the
pitch token that sounds it over the chord of the moment (its class there, its interval).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from jazzgen.errors import DataError
from jazzgen.lm.sampling import SamplingConfig, draw, probabilities
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.values import BAR, END, MAX_STEP, token_kind

EVENT_KINDS = ("bar", "chord", "meter")
RHYTHM_PHASES = ("next", "pitch", "held")  # the choice after them is a gap, an event or a duration


@dataclass(frozen=True)
class Register:
    """The range [low, high] each line keeps to while it is sampled.

    pitch: where the lines start (the register anchor, or a primer's last note);
    realise(previous, token, onset): the pitch the decoder gives a pitch token played at onset
    after previous (jazzgen.tokens.decoding.realise over the progression's chords);
    classify(pitch, onset): that pitch's class over the chord at onset (C, S, A, X or N), which
    an Echo needs to sound an interval again;
    degree(pitch, onset): the token saying where that pitch stands over the chord at onset
    (jazzgen.tokens.values.degree_token), which a placed+degree model is told before each pitch.
    """

    low: int
    high: int
    pitch: int
    realise: Callable[[int, str, int], int]
    classify: Callable[[int, int], str] | None = None
    degree: Callable[[int, int], str] | None = None


@dataclass(frozen=True)
class Echo:
    """How much a line's own recent motifs pull its next interval: weight of the probability
    (0 to 1) given to what followed the last `context` intervals within its last `memory` notes."""

    weight: float = 0.5  # generate's default (improv.generation.ECHO)
    memory: int = 64
    context: int = 2

    def __post_init__(self):
        if not 0 <= self.weight < 1 or self.memory < 2 or self.context < 1:
            raise ValueError(f"an echo needs a weight in [0, 1), memory >= 2, context >= 1: {self}")

    def intervals(self, history: list[int]) -> dict[int, float]:
        """interval -> share of the times it followed the line's last `context` intervals before."""
        recent, context = history[-self.memory :], tuple(history[-self.context :])
        if len(history) < self.context:
            return {}
        found: dict[int, float] = {}
        for j in range(self.context, len(recent)):
            if tuple(recent[j - self.context : j]) == context:
                found[recent[j]] = found.get(recent[j], 0.0) + 1.0
        total = sum(found.values())
        return {interval: count / total for interval, count in found.items()}


@dataclass(frozen=True)
class Selection:
    """Best of `takes` along the way, BebopNet-style: each group of `takes` consecutive streams
    waits at each bar line in `ticks` until all of its streams are there; score(tokens, tick)
    rates each take so far, and the whole group goes on from the best one (its tokens and
    recurrent state copied), to part again from there. Every token is still the model's own
    sample; only which continuation lives on is chosen."""

    takes: int
    ticks: frozenset[int]
    score: Callable[[list[str], int], float]


@dataclass
class _Stream:
    """One variation being improvised: its tokens, forced queue and where it stands in time."""

    forced: list[str]
    events: list[tuple[int, list[str]]]
    end_tick: int
    tokens: list[str] = field(default_factory=list)
    phase: str = "next"  # next | gap | pitch | held
    onset: int = 0  # onset of the previous note (0 before the first)
    gap: int = 0  # ticks of gap tokens taken for the coming note
    earliest: int = 0  # the coming note may not start before this tick
    has_note: bool = False
    no_chord: bool = True
    last_step: int = 0  # ticks of the last gap or duration token (MAX_STEP: a chain may go on)
    bar_start: int = 0  # tick of the current bar's line, where position tokens count from
    pitch: int = 0  # of the previous note, followed when there is a Register
    intervals: list[int] = field(default_factory=list)  # of the notes sampled so far (an Echo's memory)
    done: bool = False

    @property
    def next_event_tick(self) -> int:
        return self.events[0][0] if self.events else self.end_tick


class _Grammar:
    """Per-vocabulary lookup arrays: what kind each id is and how many ticks it spells."""

    def __init__(self, vocab: Vocab):
        kinds = np.array([token_kind(t) for t in vocab.tokens])
        self.vocab = vocab
        self.placed = "place" in kinds  # the placed scheme: a forced place token follows each gap
        self.degree = "degree" in kinds  # placed+degree: and then where the line stands, forced
        self.pitch = kinds == "pitch"
        self.no_chord_pitch = self.pitch & np.array([t[:1] == "N" for t in vocab.tokens])
        self.advance = np.array([k in EVENT_KINDS or k == "end" for k in kinds])
        self.interval = np.array([int(t[1:]) if k == "pitch" else 0 for t, k in zip(vocab.tokens, kinds)])
        ticks = np.array(
            [int(t[1:]) if k in ("gap", "position", "duration") else -1 for t, k in zip(vocab.tokens, kinds)]
        )
        # index arrays of each kind, for the masks of one stream at a time
        self.gap_ids, self.position_ids, self.duration_ids = (
            np.flatnonzero(kinds == kind) for kind in ("gap", "position", "duration")
        )
        self.gap_ticks, self.position_ticks = ticks[self.gap_ids], ticks[self.position_ids]
        self.gap_goes_on = self.gap_ticks == MAX_STEP
        self.chord_pitches, self.no_chord_pitches = (
            (ids, self.interval[ids])
            for ids in (
                np.flatnonzero(self.pitch & ~self.no_chord_pitch),
                np.flatnonzero(self.no_chord_pitch),
            )
        )

    def masks(self, streams: list[_Stream], register: Register | None = None) -> np.ndarray:
        """Which ids may come next in each stream: (streams, vocab) bool; an all-False row means
        the stream cannot go on."""
        allowed = np.zeros((len(streams), len(self.vocab)), bool)
        for row, s in zip(allowed, streams):
            for ids in self._allowed_ids(s, register):
                row[ids] = True
        return allowed

    def _allowed_ids(self, s: _Stream, register: Register | None):
        """The ids (index arrays, or the one id of the next event) a stream may take next, by phase:
        after a pitch its duration; after a duration or an event a gap (or position) that stays
        before the next event, or that event; in a gap chain the chain's next gap (a MAX_STEP gap
        goes on) or, once the note may start, its pitch; after a MAX_STEP duration more duration."""
        chained, moving_on = s.last_step == MAX_STEP, s.phase in ("held", "next")
        if s.phase == "pitch" or (s.phase == "held" and chained):
            yield self.duration_ids
        if moving_on or (s.phase == "gap" and chained):
            yield self._gap_ids(s)
        start = s.onset + s.gap
        if (
            s.phase == "gap"
            and start >= s.earliest
            and (start > s.onset or not s.has_note)
            and not (chained and self.placed)
        ):
            yield self._pitch_ids(s, register)
        if moving_on:  # the next note may come after the next bar or chord
            yield self._next_event_id(s)

    def _gap_ids(self, s: _Stream) -> np.ndarray:
        """The gap and position ids that put the coming note after the last one (any, before the
        first note) and before the next event, not before `earliest` (a MAX_STEP gap may: the
        chain goes on)."""
        reach = s.onset + s.gap + self.gap_ticks
        after = (reach > s.onset) | (not s.has_note)
        gaps = self.gap_ids[after & (reach < s.next_event_tick) & ((reach >= s.earliest) | self.gap_goes_on)]
        if not len(self.position_ids):
            return gaps
        place = s.bar_start + self.position_ticks
        after = (place > s.onset) | (not s.has_note)
        placed = self.position_ids[after & (place < s.next_event_tick) & (place >= s.earliest)]
        return np.concatenate([gaps, placed])

    def _pitch_ids(self, s: _Stream, register: Register | None) -> np.ndarray:
        """The pitch ids of the chord's classes (N ones where no chord sounds); with a Register
        only those whose interval keeps the line in range, all of them for a line that has none
        (the decoder folds that one back)."""
        ids, intervals = self.no_chord_pitches if s.no_chord else self.chord_pitches
        if register is None:
            return ids
        target = s.pitch + intervals
        inside = ids[(target >= register.low) & (target <= register.high)]
        return inside if len(inside) else ids

    def echoed(self, p: np.ndarray, streams: list[_Stream], echo: Echo, register: Register | None):
        """p (streams, vocab) with each pitch choice mixed with its line's echo (see Echo)."""
        out = p
        for row, s in enumerate(streams):
            pull = echo.intervals(s.intervals) if s.phase == "gap" else {}
            cache = self._cache(p[row], s, pull, register) if pull else None
            if cache is None:
                continue
            mass = p[row] * self.pitch
            out = out.copy() if out is p else out
            # only the pitch share moves: a chained gap's chance of going on stays the model's
            out[row] = p[row] + echo.weight * (mass.sum() * cache - mass)
        return out

    def _cache(self, p: np.ndarray, s: _Stream, pull: dict[int, float], register: Register | None):
        """The echo's distribution over the vocabulary (None where the model allows none of it):
        each pulled interval on the token that sounds it (with a Register), or shared among the
        pitch tokens of that interval as the model shares them."""
        cache = np.zeros(len(p))
        for interval, share in pull.items():
            if register is not None and register.classify is not None:
                start = s.onset + s.gap
                token = f"{register.classify(s.pitch + interval, start)}{interval:+d}"
                token_id = self.vocab.id(token) if token in self.vocab else None
                if token_id is not None and p[token_id] > 0:
                    cache[token_id] += share
            else:
                mass = p * self.pitch * (self.interval == interval)
                if mass.sum() > 0:
                    cache += share * mass / mass.sum()
        total = cache.sum()
        return cache / total if total > 0 else None

    def _next_event_id(self, s: _Stream):
        """The id of the token that starts the next forced event (a bar line, '@24', ..., or the
        end): the model's probability of it is its belief that the next note comes after it.
        Gap tokens reach no further than the event, as in training streams, where every event
        comes before the gap tokens that pass it."""
        token = s.events[0][1][0] if s.events else END
        return self.vocab.id(token) if token in self.vocab else self.advance


def improvise(
    lm,
    vocab: Vocab,
    prefix: list[str],
    events: list[tuple[int, list[str]]],
    end_tick: int,
    sampling: SamplingConfig,
    n: int = 1,
    max_tokens: int = 20_000,
    resume_at: int | None = None,
    register: Register | None = None,
    rhythm_temperature: float | None = None,
    bar_start: int = 0,
    echo: Echo | None = None,
    selection: Selection | None = None,
) -> list[list[str]]:
    """n token streams: the forced prefix, then note values sampled over the forced events.

    events: (tick, tokens) of the bar lines and chord changes still to come, up to end_tick.
    lm has initial_state(batch) and step(ids, state) -> (logits, state). resume_at: the onset of
    the prefix's last note when the prefix already holds notes (a primer), else None.
    register: the range the lines keep to (see Register); None leaves pitch to the decoder.
    rhythm_temperature: the temperature of the rhythm choices; None: sampling.temperature.
    bar_start: the tick of the last bar line in the prefix (position tokens count from it).
    echo: how much each line's recent motifs pull its pitch choices (see Echo); None: not at all.
    selection: which takes live on at bar lines along the way (see Selection); None: all of them.
    """
    if not prefix:
        raise ValueError("improvise needs a prefix holding at least the start token")
    grammar = _Grammar(vocab)
    _check_degrees(grammar, register)
    rng = np.random.default_rng(sampling.seed)
    streams = [
        _Stream(
            list(prefix),
            [(t, list(e)) for t, e in events],
            end_tick,
            pitch=register.pitch if register else 0,
            bar_start=bar_start,
        )
        for _ in range(n)
    ]
    if resume_at is not None:
        for s in streams:
            s.onset, s.has_note, s.phase, s.earliest = resume_at, True, "held", resume_at + 1
    state, logits = lm.initial_state(n), None
    live = list(range(n))  # the streams still going, in the order of the state's rows
    waiting: set[int] = set()  # streams held at a selection tick until their group is there
    rhythm_scale = sampling.temperature / (rhythm_temperature or sampling.temperature)
    while live:
        moving = [row for row, i in enumerate(live) if i not in waiting]
        need = [row for row in moving if not streams[live[row]].forced]
        if need:
            chosen = [streams[live[row]] for row in need]
            masks = grammar.masks(chosen, register)
            # probabilities divides by sampling.temperature: a rhythm row's logits end up divided
            # by rhythm_temperature
            scale = np.array([rhythm_scale if s.phase in RHYTHM_PHASES else 1.0 for s in chosen])
            p = probabilities(logits[need] * scale[:, None], sampling, masks)
            if echo is not None and echo.weight:
                p = grammar.echoed(p, chosen, echo, register)
            picked = draw(p, rng)
            for s, token_id, mask in zip(chosen, picked, masks):
                token = _accept(s, vocab.tokens[token_id], register, grammar) if mask.any() else END
                _emit(s, token, max_tokens)
        for row in moving:
            s = streams[live[row]]
            if s.forced and row not in need:
                _emit(s, _force(s), max_tokens)
        if selection is not None:
            state = _select(selection, streams, live, [live[row] for row in moving], waiting, state)
        going = [row for row, i in enumerate(live) if not streams[i].done]
        if not going:
            break
        if len(going) < len(live):  # a finished take stops costing model steps
            state, live = _rows(state, going), [live[row] for row in going]
            logits = None if logits is None else logits[going]
        moving = [row for row, i in enumerate(live) if i not in waiting]
        ids = np.array([vocab.id(streams[live[row]].tokens[-1]) for row in moving], np.int64)
        if len(moving) == len(live):
            logits, state = lm.step(ids, state)
        else:  # the takes held at a selection tick keep their state until their group is there
            step_logits, step_state = lm.step(ids, _rows(state, moving))
            logits, state = _put_rows(logits, moving, step_logits), _put_rows(state, moving, step_state)
    return [s.tokens if s.tokens[-1] == END else s.tokens + [END] for s in streams]


def _rows(state, rows: list[int]):
    """The recurrent state of the given batch rows: every array in a (nested) list or tuple of
    them indexed by rows; None stays None."""
    if isinstance(state, np.ndarray):
        return state[rows]
    if isinstance(state, (list, tuple)):
        return type(state)(_rows(part, rows) for part in state)
    return state


def _put_rows(state, rows: list[int], values):
    """A copy of state with the given batch rows replaced by values (as _rows gives them)."""
    if isinstance(state, np.ndarray):
        out = state.copy()
        out[rows] = values
        return out
    if isinstance(state, (list, tuple)):
        return type(state)(_put_rows(part, rows, new) for part, new in zip(state, values))
    return state


def _select(selection: Selection, streams: list[_Stream], live: list[int], moved: list[int], waiting, state):
    """Hold the streams that just reached a selection tick; where a whole group is there (or
    done), carry its best take into the others. Returns the state, rows copied."""
    for i in moved:
        s = streams[i]
        if not s.done and s.tokens[-1] == BAR and s.bar_start in selection.ticks:
            waiting.add(i)
    for first in sorted({i - i % selection.takes for i in waiting}):
        group = range(first, min(first + selection.takes, len(streams)))
        held = [i for i in group if i in waiting]
        if not all(i in waiting or streams[i].done for i in group):
            continue
        waiting.difference_update(held)
        if len(held) < 2:
            continue
        tick = streams[held[0]].bar_start
        best = max(held, key=lambda i: selection.score(streams[i].tokens, tick))
        others = [i for i in held if i != best]
        for i in others:
            streams[i] = copy.deepcopy(streams[best])
        row = {i: r for r, i in enumerate(live)}
        state = _put_rows(state, [row[i] for i in others], _rows(state, [row[best]] * len(others)))
    return state


@dataclass(frozen=True)
class Choice:
    """A token a sampler chose in a finished stream (see replay): its index in the stream, the ids
    the sampler's grammar allowed there, and for a pitch, the pitch the line stood on before it
    and the onset of the note it sounds."""

    position: int
    allowed: np.ndarray
    previous_pitch: int | None = None
    onset: int = 0


def replay(
    vocab: Vocab,
    tokens: list[str],
    events: list[tuple[int, list[str]]],
    end_tick: int,
    register: Register,
    prefix_length: int,
) -> list[Choice]:
    """Walk a finished stream through the sampler's grammar: every token improvise would have
    chosen (a note's gap or position, pitch, duration, or the next event it moves on to), with
    what it could have chosen there. tokens: a stream over `events` (every bar line and chord
    change still to come after the prefix, as forced_events gives them), whose first
    prefix_length tokens are the prefix a sampler is given (the header and the first bar line).
    Raises DataError where the stream leaves the grammar (a forced token that is not the one
    the sampler would force)."""
    grammar = _Grammar(vocab)
    _check_degrees(grammar, register)
    stream = _Stream(
        list(tokens[:prefix_length]), [(t, list(e)) for t, e in events], end_tick, pitch=register.pitch
    )
    choices = []
    for position, token in enumerate(tokens):
        if stream.done:
            raise DataError(f"token {position} ({token!r}) comes after the stream's end")
        if stream.forced:
            wanted = _force(stream)
        else:
            allowed = grammar.masks([stream], register)[0]
            is_pitch = token_kind(token) == "pitch"
            choices.append(
                Choice(
                    position,
                    np.flatnonzero(allowed),
                    stream.pitch if is_pitch else None,
                    stream.onset + stream.gap,
                )
            )
            wanted = _accept(stream, token, register, grammar)
        if wanted != token:
            raise DataError(f"token {position} is {token!r} where the sampler would write {wanted!r}")
        _emit(stream, token, len(tokens) + 1)
    return choices


def _emit(s: _Stream, token: str, max_tokens: int) -> None:
    s.tokens.append(token)
    s.done = s.done or token == END or len(s.tokens) >= max_tokens


def _force(s: _Stream) -> str:
    token = s.forced.pop(0)
    if token == "NC":
        s.no_chord = True
    elif token.startswith("R+"):
        s.no_chord = False
    return token


def _check_degrees(grammar: _Grammar, register: Register | None) -> None:
    if grammar.degree and (register is None or register.degree is None):
        raise ValueError(
            "a placed+degree model needs a Register that gives degrees: it follows each line's pitch"
        )


def _accept(s: _Stream, token: str, register: Register | None, grammar: _Grammar) -> str:
    """Take a sampled token; the next event's first token means: force that event now. In the
    placed scheme a gap that ends its chain is followed by the note's place in the bar, forced
    (and in placed+degree by where the line stands over the chord the note comes over)."""
    kind = token_kind(token)
    start = s.onset + s.gap
    if kind in EVENT_KINDS or kind == "end":
        return _advance(s)
    if kind == "gap":
        s.gap += int(token[1:])
        s.phase, s.last_step = "gap", int(token[1:])
        if grammar.placed and s.last_step < MAX_STEP:
            s.forced = [f"^{s.onset + s.gap - s.bar_start}"]
            if grammar.degree:
                s.forced.append(register.degree(s.pitch, s.onset + s.gap))
    elif kind == "position":
        s.gap = s.bar_start + int(token[1:]) - s.onset
        s.phase, s.last_step = "gap", 0
    elif kind == "pitch":
        if register is not None:
            previous, s.pitch = s.pitch, register.realise(s.pitch, token, start)
            s.intervals.append(s.pitch - previous)
        else:
            s.intervals.append(int(token[1:]))
        s.onset, s.gap, s.has_note = start, 0, True
        s.earliest = s.onset + 1
        s.phase = "pitch"
    elif kind == "duration":
        s.phase, s.last_step = "held", int(token[1:])
    return token


def _advance(s: _Stream) -> str:
    """Force the next event's tokens (or the end); the next note comes after the event."""
    s.phase, s.last_step = "next", 0
    if not s.events:
        s.forced = [END]
        return _force(s)
    tick, tokens = s.events.pop(0)
    s.earliest = max(s.earliest, tick)
    if BAR in tokens:
        s.bar_start = tick
    s.forced = list(tokens)
    return _force(s)
