"""The one-to-many sampler: forced bars and chords, the note grammar, seeds, and generate()."""

import numpy as np
import pytest
from bundle_helpers import random_bundle
from helpers import make_solo

import jazzgen.improv.generation as generate_module
from jazzgen.errors import UsageError
from jazzgen.improv.generation import generate, generate_variations, opening_pitch
from jazzgen.improv.improvise import Echo, Register, Selection, improvise
from jazzgen.lm.sampling import SamplingConfig, draw, probabilities
from jazzgen.lm.vocab import Vocab
from jazzgen.music.line_features import repeated_share
from jazzgen.music.tunes import lead_sheet
from jazzgen.tokens.decoding import decode
from jazzgen.tokens.values import (
    PLACED,
    PLACED_DEGREE,
    POSITIONS,
    degree_token,
    encode,
    forced_events,
    header,
    token_kind,
)

TRAINING = make_solo([(60 + (i * 7) % 12, i * 6, 5) for i in range(40)], "| Dm7 G7 | Cmaj7 | F7 | Bb7 |")


def corpus_vocab() -> Vocab:
    return Vocab.build(
        [encode(TRAINING), ["g12", "d12", "g48", "C+2", "S-1", "|", "R+5", "Q7", "@24", "<end>"]]
    )


class TableLM:
    """A model sure of its next token: table[previous token], else any of the default tokens."""

    def __init__(self, vocab: Vocab, table: dict[str, str], default: str | list[str]):
        defaults = [default] if isinstance(default, str) else default
        self.logits = np.full((len(vocab), len(vocab)), -30.0)  # (previous id, next id)
        for previous, token in enumerate(vocab.tokens):
            for nxt in [table[token]] if token in table else defaults:
                self.logits[previous, vocab.id(nxt)] = 30.0
        self.vocab = vocab

    def initial_state(self, batch):
        return None

    def step(self, ids, state):
        return self.logits[ids], state


QUARTERS = {"g12": "C+2", "C+2": "d12"}  # after a duration or a forced token: g12


def run(table, default="g12", changes="| Dm7 G7 | Cmaj7 | % |", n=1, seed=0, register=None, echo=None):
    vocab = corpus_vocab()
    sheet = lead_sheet(changes)
    events = forced_events(sheet)
    prefix = header(sheet, 62) + events[0][1]
    streams = improvise(
        TableLM(vocab, table, default),
        vocab,
        prefix,
        events[1:],
        sheet.end,
        SamplingConfig(seed=seed),
        n=n,
        register=register,
        echo=echo,
    )
    return sheet, streams


def test_one_hot_model_gives_exactly_its_notes_over_the_forced_bars():
    # quarter notes: gap 12, pitch C+2, duration 12, asked for forever
    sheet, (tokens,) = run(QUARTERS)
    solo = decode(tokens, chords=sheet.chords)
    assert [n.onset for n in solo.notes] == list(range(12, sheet.end, 12))
    assert all(n.duration == 12 for n in solo.notes)
    assert solo.bars == sheet.bars == 3  # '| Cmaj7 | % |' is two bars of Cmaj7
    assert [(c.onset, c.symbol) for c in solo.chords] == [(0, "Dm7"), (24, "G7"), (48, "Cmaj7")]
    assert tokens.count("|") == 3 and tokens[-1] == "<end>"


class TwoPaceLM:
    """Row k of the first batch plays quarter notes when k is 0, 8ths otherwise, and moves on to
    the next bar or chord where its gap would pass it. Its state is each row's own k, so a row's
    notes show which state the sampler carried for it."""

    def __init__(self, vocab: Vocab):
        self.logits = [self._pace(vocab, gap, duration) for gap, duration in (("g12", "d12"), ("g6", "d5"))]
        self.batches = []

    @staticmethod
    def _pace(vocab: Vocab, gap: str, duration: str) -> np.ndarray:
        logits = np.full((len(vocab), len(vocab)), -30.0)  # (previous id, next id)
        logits[:, [vocab.id(t) for t in ("|", "@24", "<end>")]] = 0.0
        logits[:, vocab.id(gap)] = 30.0
        logits[vocab.id(gap), vocab.id("C+2")] = logits[vocab.id("C+2"), vocab.id(duration)] = 60.0
        return logits

    def initial_state(self, batch):
        return [(np.arange(batch),)]

    def step(self, ids, state):
        (rows,) = state[0]
        self.batches.append(len(ids))
        return np.stack([self.logits[min(k, 1)][i] for k, i in zip(rows, ids)]), state


def test_a_finished_take_stops_costing_steps_and_the_others_keep_their_state():
    vocab, sheet = corpus_vocab(), lead_sheet("| Dm7 G7 | Cmaj7 | % | F7 |")
    events = forced_events(sheet)
    lm = TwoPaceLM(vocab)
    streams = improvise(
        lm, vocab, header(sheet, 62) + events[0][1], events[1:], sheet.end, SamplingConfig(seed=0), n=3
    )
    quarters, eighths = (decode(tokens, chords=sheet.chords).notes for tokens in streams[:2])
    assert [n.onset for n in quarters] == list(range(12, sheet.end, 12))
    assert [n.onset for n in eighths] == list(range(6, sheet.end, 6))  # 8ths to the last bar
    assert streams[1] == streams[2]
    assert lm.batches == sorted(lm.batches, reverse=True) and lm.batches[-1] == 2  # the 8ths alone
    assert lm.batches.count(3) == len(streams[0]) - 1  # each token but the last was fed back


@pytest.mark.parametrize("busier", [True, False])
def test_a_selection_carries_the_best_take_on_from_its_bar_line(busier):
    vocab, sheet = corpus_vocab(), lead_sheet("| Dm7 G7 | Cmaj7 | % | F7 |")
    events, lm, seen = forced_events(sheet), TwoPaceLM(vocab), []

    def notes(tokens, tick):
        seen.append((tokens.count("C+2"), tick))
        return tokens.count("C+2") * (1 if busier else -1)

    selection = Selection(2, frozenset({sheet.bar_starts[2]}), notes)
    prefix = header(sheet, 62) + events[0][1]
    streams = improvise(
        lm, vocab, prefix, events[1:], sheet.end, SamplingConfig(seed=0), n=2, selection=selection
    )
    assert streams[0] == streams[1]  # both went on from the same take, with its state
    step = 6 if busier else 12
    assert [n.onset for n in decode(streams[0], chords=sheet.chords).notes] == list(
        range(step, sheet.end, step)
    )
    assert sorted(seen) == [(7, 96), (15, 96)]  # each take scored once, at bar 3's line
    assert 1 in lm.batches  # the quarters waited at the bar line while the 8ths caught up


def test_bar_k_sounds_over_chord_k_when_the_model_rests():
    # the model asks for the next event all the time: every bar and chord is still forced in order
    sheet, (tokens,) = run({}, default=["|", "@24", "<end>"])
    assert [t for t in tokens if token_kind(t) in ("bar", "chord")] == [
        t for _, e in forced_events(sheet) for t in e
    ]
    assert decode(tokens).notes == ()


def test_a_gap_never_reaches_past_the_next_event():
    # the model would rest a whole bar: g48 is only taken once the bar line is in the stream
    sheet, (tokens,) = run({"g48": "C+2", "C+2": "d12"}, default=["g48", "|", "@24", "<end>"])
    first_gap = tokens.index("g48")
    assert tokens[first_gap - 3 : first_gap] == ["|", "R+5", "Qmaj7"]
    solo = decode(tokens, chords=sheet.chords)
    assert [n.onset for n in solo.notes] == [48, 96]


def test_same_seed_same_output_and_variations_differ(tmp_path):
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    a = generate_variations(bundle, tune="blues", n=3, seed=5, temperature=1.5)
    b = generate_variations(bundle, tune="blues", n=3, seed=5, temperature=1.5)
    assert [s.notes for s in a] == [s.notes for s in b]
    assert len({s.notes for s in a}) > 1


def test_generate_keeps_the_progression_and_the_range(tmp_path):
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    solo = generate(
        bundle, changes="| Dm7 G7 | Cmaj7 | % |", choruses=2, seed=1, instrument="trumpet", temperature=2.0
    )
    assert solo.bars == 6
    assert [c.symbol for c in solo.chords] == ["Dm7", "G7", "Cmaj7", "Dm7", "G7", "Cmaj7"]
    assert all(54 <= n.pitch <= 86 for n in solo.notes)
    assert all(a.end <= b.onset for a, b in zip(solo.notes, solo.notes[1:]))  # one voice


def test_primer_is_kept_and_continued(tmp_path):
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    primer = make_solo([(62, 0, 12), (65, 12, 12), (69, 24, 24)], "| Dm7 | G7 |")
    solo = generate(bundle, changes="| Cmaj7 | Cmaj7 |", primer=primer, seed=3, temperature=2.0)
    assert solo.bars == 4
    assert [(n.onset, n.pitch) for n in solo.notes[:3]] == [(0, 62), (12, 65), (24, 69)]
    assert [c.symbol for c in solo.chords] == ["Dm7", "G7", "Cmaj7"]


class LeaningLM:
    """A model with the same mild preferences after every token: g6 over g12, C+2 over S-1."""

    def __init__(self, vocab: Vocab):
        self.logits = np.full(len(vocab), -30.0)
        for token, logit in {"g6": 1.0, "g12": 0.0, "C+2": 1.0, "S-1": 0.0, "d5": 0.0}.items():
            self.logits[vocab.id(token)] = logit

    def initial_state(self, batch):
        return None

    def step(self, ids, state):
        return np.tile(self.logits, (len(ids), 1)), state


def test_the_rhythm_temperature_sets_the_rhythm_choices_alone():
    vocab = corpus_vocab()
    sheet = lead_sheet("| Cmaj7 | Cmaj7 | F7 | F7 |")  # 8th notes always fit before the next bar
    events = forced_events(sheet)
    prefix = header(sheet, 62) + events[0][1]

    def used(rhythm_temperature):
        streams = improvise(
            LeaningLM(vocab),
            vocab,
            prefix,
            events[1:],
            sheet.end,
            SamplingConfig(seed=1),
            n=16,
            rhythm_temperature=rhythm_temperature,
        )
        tokens = [t for stream in streams for t in stream[len(prefix) :]]
        return {t for t in tokens if token_kind(t) == "gap"}, {t for t in tokens if token_kind(t) == "pitch"}

    assert used(None) == ({"g6", "g12"}, {"C+2", "S-1"})  # the model as trained: both of each
    assert used(0.01) == ({"g6"}, {"C+2", "S-1"})  # rhythm all but greedy, pitch as trained


def _line(tokens, start=62):
    """The pitches of plain intervals from start (no chord snapping)."""
    return list(start + np.cumsum([int(t[1:]) for t in tokens if token_kind(t) == "pitch"]))


def test_a_register_turns_a_climbing_line_before_it_leaves_the_range():
    climbing = {"g12": "C+2", "C+2": "d12"}  # the model only ever wants to go up a tone
    _, (free,) = run(climbing, changes="| C7 | F7 | C7 | F7 |")
    assert max(_line(free)) > 80

    register = Register(55, 70, 62, lambda previous, token, onset: previous + int(token[1:]))
    _, (kept,) = run(climbing, changes="| C7 | F7 | C7 | F7 |", register=register)
    line = _line(kept)
    assert len(line) >= 12 and all(55 <= p <= 70 for p in line)
    assert line[:4] == [64, 66, 68, 70]  # the model's own choice while it fits


def test_generated_lines_are_not_folded_back_by_octaves(tmp_path, monkeypatch):
    """The sampler keeps each line in range, so decoding with no range at all gives the same pitches."""
    sampled = []
    real_improvise = generate_module.improvise

    def keep(*args, **kwargs):
        streams = real_improvise(*args, **kwargs)
        sampled.extend(streams)
        return streams

    monkeypatch.setattr(generate_module, "improvise", keep)
    bundle = random_bundle(tmp_path / "m", corpus_vocab(), scale=0.3)
    primer = make_solo([(62, 0, 12), (65, 12, 12), (69, 24, 24)], "| Dm7 | G7 |")
    for options in ({"tune": "rhythm"}, {"changes": "| Cmaj7 | A7 | Dm7 | G7 |", "primer": primer}):
        sampled.clear()
        solos = generate_variations(bundle, n=4, seed=5, temperature=1.5, **options)
        for solo, tokens in zip(solos, sampled):
            unfolded = decode(tokens, chords=solo.chords, pitch_range=(0, 127))
            assert [n.pitch for n in unfolded.notes] == [n.pitch for n in solo.notes]
            assert all(46 <= n.pitch <= 80 for n in solo.notes)  # tenor sax, the default instrument


def test_opening_pitch_is_a_chord_tone_in_the_middle_of_the_range():
    sheet = lead_sheet("| Ebmaj7 |")
    assert opening_pitch(sheet, (46, 80)) % 12 in (3, 7, 10, 2)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"temperature": 0}, "--temperature"),
        ({"rhythm_temperature": 0}, "--rhythm-temperature"),
        ({"top_p": 1.5}, "--top-p"),
        ({"top_k": -1}, "--top-k"),
        ({"tune": "nope"}, "--tune nope: unknown"),
        ({"instrument": "kazoo"}, "kazoo"),
        ({"key": "H"}, "--key H"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, options, message):
    bundle = random_bundle(tmp_path / "m", corpus_vocab())
    with pytest.raises(UsageError, match=message):
        generate(bundle, **options)


def test_sampling_filters():
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    assert np.allclose(probabilities(logits, SamplingConfig(top_k=2)), [[0.625, 0.375, 0, 0]])
    assert np.allclose(probabilities(logits, SamplingConfig(top_p=0.7)), [[0.625, 0.375, 0, 0]])
    mask = np.array([[False, True, True, False]])
    assert np.allclose(probabilities(logits, SamplingConfig(), mask), [[0, 2 / 3, 1 / 3, 0]])
    one_hot = np.array([[0.0, 0.0, 1.0, 0.0]] * 5)
    assert list(draw(one_hot, np.random.default_rng(0))) == [2] * 5


def test_the_placed_scheme_forces_the_place_each_gap_reaches():
    vocab = Vocab.build(
        [encode(TRAINING, PLACED), [f"^{t}" for t in range(48)] + ["g12", "d12", "C+2", "<end>"]]
    )
    places = {f"^{t}": "C+2" for t in range(48)}
    sheet = lead_sheet("| Dm7 G7 | Cmaj7 | % |")
    events = forced_events(sheet)
    prefix = header(sheet, 62) + events[0][1]
    model = TableLM(vocab, {**places, "C+2": "d12"}, "g12")
    (tokens,) = improvise(model, vocab, prefix, events[1:], sheet.end, SamplingConfig(seed=0))
    solo = decode(tokens, chords=sheet.chords)
    assert [n.onset for n in solo.notes] == list(range(12, sheet.end, 12))
    written = [int(t[1:]) for t in tokens if token_kind(t) == "place"]
    assert written == [n.onset % 48 for n in solo.notes]  # each note's place in its bar


def test_the_placed_degree_scheme_forces_where_each_line_stands_as_the_encoder_writes_it():
    degrees = [f"={d}" for d in range(12)] + ["=N"]
    pitches = ["C+2", "S-1", "C+7", "A-5", "N+3", "N-2"]
    notes = [f"^{t}" for t in range(48)] + degrees + pitches + ["g12", "d6", "d12"]
    vocab = Vocab.build([encode(TRAINING, PLACED_DEGREE), notes])
    sheet = lead_sheet("| Dm7 G7 | Cmaj7 | NC | F7 Bb7 |")
    events = forced_events(sheet)
    prefix = header(sheet, 62) + events[0][1]
    model = OpenLM(vocab, {t: pitches for t in degrees} | {p: ["d6", "d12"] for p in pitches})
    register = generate_module.register_for(sheet, prefix, (40, 90))
    for seed in range(3):
        (tokens,) = improvise(
            model, vocab, prefix, events[1:], sheet.end, SamplingConfig(seed=seed), register=register
        )
        solo = decode(tokens, chords=sheet.chords, pitch_range=(40, 90))
        assert len(solo.notes) > 8
        written = [t for t in tokens if token_kind(t) == "degree"]
        before = [62] + [n.pitch for n in solo.notes[:-1]]  # the register anchor, then each note
        assert written == [degree_token(p, sheet.chord_at(n.onset)) for p, n in zip(before, solo.notes)]
        assert "=N" in written and len(set(written)) > 4
    with pytest.raises(ValueError, match="needs a Register"):
        improvise(model, vocab, prefix, events[1:], sheet.end, SamplingConfig(seed=0))


def test_the_positions_scheme_keeps_notes_in_order_inside_their_bars():
    positions = [f"p{t}" for t in range(0, 48, 6)]
    vocab = Vocab.build([encode(TRAINING, POSITIONS), positions + ["d6", "C+2", "S-1", "|", "<end>"]])
    sheet = lead_sheet("| Dm7 G7 | Cmaj7 | % |")
    events = forced_events(sheet)
    prefix = header(sheet, 62) + events[0][1]
    model = TableLM(vocab, {p: "C+2" for p in positions} | {"C+2": "d6"}, positions + ["|", "@24"])
    for seed in range(5):
        (tokens,) = improvise(model, vocab, prefix, events[1:], sheet.end, SamplingConfig(seed=seed))
        solo = decode(tokens, chords=sheet.chords)
        onsets = [n.onset for n in solo.notes]
        assert onsets == sorted(set(onsets)) and all(o % 6 == 0 and o < sheet.end for o in onsets)
        assert solo.bars == 3


@pytest.mark.parametrize("scheme", [PLACED, PLACED_DEGREE])
def test_generate_with_a_placed_bundle_and_a_primer(tmp_path, scheme):
    degrees = [f"={d}" for d in range(12)] + ["=N"] if scheme == PLACED_DEGREE else []
    vocab = Vocab.build(
        [encode(TRAINING, scheme), [f"^{t}" for t in range(48)] + degrees + ["g12", "d12", "C+2"]]
    )
    bundle = random_bundle(tmp_path / "m", vocab, scale=0.3)
    primer = make_solo([(62, 0, 12), (65, 12, 12), (69, 24, 24)], "| Dm7 | G7 |")
    solo = generate(bundle, changes="| Cmaj7 | Cmaj7 |", primer=primer, seed=3, temperature=2.0)
    assert solo.bars == 4 and [(n.onset, n.pitch) for n in solo.notes[:3]] == [(0, 62), (12, 65), (24, 69)]
    assert len(solo.notes) > 3


CHOICES = ["A+7", "A-5", "C+0", "C+2", "C+7", "C-5", "S+7", "S-1", "S-5"]  # the corpus's pitch values
# quarter notes whose pitch value the model leaves open: any of CHOICES, equally likely
OPEN_PITCH = {"g12": CHOICES, "d12": "g12", "|": "g12", "@24": "g12"} | {c: "d12" for c in CHOICES}


class OpenLM(TableLM):
    """TableLM, but a list in the table is a uniform choice."""

    def __init__(self, vocab: Vocab, table: dict[str, str | list[str]]):
        self.logits = np.full((len(vocab), len(vocab)), -30.0)
        for previous, token in enumerate(vocab.tokens):
            nexts = table.get(token, "g12")
            for nxt in [nexts] if isinstance(nexts, str) else nexts:
                self.logits[previous, vocab.id(nxt)] = 0.0
        self.vocab = vocab


def open_lines(
    echo, register=None, n=12, changes="| C7 | F7 | C7 | C7 | F7 | F7 | C7 | C7 | G7 | F7 | C7 | G7 |"
):
    """The pitch intervals of n lines of quarter notes over a blues, their pitch values chosen freely."""
    vocab = corpus_vocab()
    sheet = lead_sheet(changes)
    events = forced_events(sheet)
    streams = improvise(
        OpenLM(vocab, OPEN_PITCH),
        vocab,
        header(sheet, 62) + events[0][1],
        events[1:],
        sheet.end,
        SamplingConfig(seed=5),
        n=n,
        register=register,
        echo=echo,
    )
    return [np.array([int(t[1:]) for t in tokens if token_kind(t) == "pitch"]) for tokens in streams]


def repetition(lines) -> float:
    return float(np.mean([repeated_share(line, 3) for line in lines]))


def test_echo_shares_what_followed_the_last_intervals_in_the_lines_memory():
    assert Echo(context=2).intervals([2, -1, 3, 2, -1]) == {3: 1.0}
    assert Echo(context=1).intervals([2, -1, 3, 2, 5, 2]) == {-1: 0.5, 5: 0.5}
    assert Echo(memory=3, context=1).intervals([2, -1, 3, 2, 5, 2]) == {5: 1.0}  # the first 2 forgotten
    assert Echo().intervals([4]) == {} and Echo().intervals([1, 2, 3]) == {}
    with pytest.raises(ValueError):
        Echo(weight=1.0)


def test_an_echo_makes_a_line_restate_its_own_interval_figures():
    # five intervals among the nine values: by chance alone about half the 3-grams recur in 48 notes
    alone, echoed = repetition(open_lines(None)), repetition(open_lines(Echo(0.8)))
    assert alone < 0.55 and echoed > 0.8  # measured: 0.48 alone, 0.89 with the echo


def test_with_a_register_the_echo_sounds_each_interval_in_the_class_it_has_there():
    # every pitch a scale tone over the chord: an interval is sounded again by its S token
    register = Register(
        20, 110, 62, lambda previous, token, onset: previous + int(token[1:]), lambda pitch, onset: "S"
    )
    echoed = open_lines(Echo(0.8), register)
    assert repetition(open_lines(None, register)) < 0.55 and repetition(echoed) > 0.7  # 0.45, 0.76


def test_an_echo_passes_over_intervals_no_token_sounds_there():
    # every pitch a chord tone: the -1 of S-1 has no C token, so after it the model chooses alone
    register = Register(
        20, 110, 62, lambda previous, token, onset: previous + int(token[1:]), lambda pitch, onset: "C"
    )
    lines = open_lines(Echo(0.8), register)
    assert repetition(lines) > 0.6  # the intervals the chord tones sound are echoed still


def test_generate_refuses_an_echo_outside_its_range(tmp_path):
    bundle = random_bundle(tmp_path / "model", corpus_vocab(), scale=0.3)
    with pytest.raises(UsageError, match="--echo 1.5"):
        generate_variations(bundle, "| C7 | F7 |", echo=1.5)
