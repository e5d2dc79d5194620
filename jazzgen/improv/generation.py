"""Generation: a trained bundle improvises over a lead sheet, in NumPy, without TensorFlow.

solo = jazzgen.improv.generation(model="trained/jazz", changes="| Dm7 G7 | Cmaj7 | % |", seed=1)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from pathlib import Path

from jazzgen.errors import DataError, UsageError
from jazzgen.improv.critic import WINDOW_BARS, Critic, load_critic
from jazzgen.improv.improvise import Echo, Register, Selection, improvise
from jazzgen.lm.bundle import load_bundle_meta
from jazzgen.lm.numpy_lm import NumpyLM, one_blas_thread
from jazzgen.lm.sampling import SamplingConfig
from jazzgen.music.instruments import program_number
from jazzgen.music.solo import Solo, chord_at, monophonic
from jazzgen.music.tunes import MAX_BARS, arranged, lead_sheet
from jazzgen.music.windows import windows
from jazzgen.tokens.decoding import decode, last_pitch, realise
from jazzgen.tokens.values import (
    END,
    GAPS,
    degree_token,
    encode,
    forced_events,
    header,
    looks_ahead,
    note_class,
    scheme_of,
    token_kind,
)

DEFAULT_MODEL = "trained/jazz"
# Semitones the sampler keeps a line inside the instrument's range: the decoder may move a value
# a little to land on its class (a chord tone ...), and past the range it would fold an octave.
SNAP_ROOM = 2
REPO_ROOT = Path(__file__).resolve().parents[2]
# The temperature of the rhythm choices (when the next note comes, how long it lasts) unless told,
# for a model of the gaps scheme; pitch choices keep `temperature`. Such a model adds up gaps to know
# where it is, and a line sampled at its own rhythm feeds on its output, loses the beat and drifts
# sparser than real solos. The gaps-scheme trained/jazz over 100 progressions of its validation solos
# (real: 6.51 notes a bar, empty beats 0.136): rhythm at 1.0 gave 4.79 notes a bar (empty beats
# 0.177), 0.9 5.52 (0.169), 0.85 5.66 (0.164), 0.8 6.62 (0.136); over 200 more, 0.85 gave 5.93
# (0.139) and 0.8 6.59 (0.122). Lower, the model's rarer habits grow: at 0.8, 2 of the 300 solos
# held a run of 15-18 notes on one pitch a tick or two apart, a figure 2 of the 410 corpus solos hold.
RHYTHM_TEMPERATURE = 0.8
# A model told where each note falls (the placed and positions schemes) keeps the beat and the
# density at its own rhythm: the placed model over 60 validation progressions at 1.0 played 6.77
# notes a bar (real 6.51) with no window off the beat, and the two-sample test told it from real
# 77% of the time, against 87% at 0.8 (whose lines run on in 8ths, phrases of 47 notes against 22).
TOLD_RHYTHM_TEMPERATURE = 1.0
# How much a line's own recent motifs pull its next interval unless told (improvise.Echo). A model
# alone seldom restates a figure. The placed model over 40 validation progressions, echo 0 / 0.3 /
# 0.5 / 0.6: repeated interval 3-grams within 8 bars 5.9% / 14% / 23% / 29% (real solos 21%); the
# two-sample test's accuracy 0.81 / 0.72 / 0.67 / 0.67. Over 60 progressions, echo 0 -> 0.5: 6.6% ->
# 24% (real 20%), accuracy 0.77 -> 0.68 (AUC 0.85 -> 0.72; the boosted trees 0.75 -> 0.67), with
# notes a bar, phrase lengths and the longest copy of training data about where they were.
ECHO = 0.5
# Takes a solo the bundle's critic chooses among unless told (when the bundle has one). Over those
# 60 progressions with the echo, best of 1 / 4 / 8: the two-sample accuracy 0.68 / 0.62 / 0.55
# (the critic is linear like the test, so it partly aims at the test's own features; the boosted
# trees' second opinion: 0.67 / 0.66 / 0.63). The takes are one batch: a 12-bar chorus takes as
# long as one take, a 32-bar chorus about 0.6 s more at 4.
BEST_OF = 4
# Bars between the critic's choices among the takes (0: one choice, of whole takes, at the end).
# At each choice every take goes on from the best so far, so each 8-bar window of the solo is the
# best of BEST_OF rather than the whole solo the best of BEST_OF whole takes, at the same cost.
# trained/jazz over 60 validation progressions, seeds 0 / 1 / 2, chosen once -> every 8 bars: the
# two-sample accuracy 0.61 / 0.63 / 0.56 -> 0.55 / 0.59 / 0.55; the boosted trees, which the
# linear critic aims at less, 0.67 / 0.61 / 0.60 -> 0.62 / 0.62 / 0.60 (and with its critic refitted
# on 400 progressions, 0.50 / 0.56 / 0.55, trees 0.57 / 0.57 / 0.62).
CHOOSE_EVERY = WINDOW_BARS
MAX_DEFAULT_TAKES = 16  # streams sampled in all unless --best-of is given: -n 8 gets 2 takes each


def default_rhythm_temperature(vocab) -> float:
    """The rhythm temperature a model samples at unless told: RHYTHM_TEMPERATURE for a gaps model,
    TOLD_RHYTHM_TEMPERATURE for one told where it is."""
    return RHYTHM_TEMPERATURE if scheme_of(vocab.tokens) == GAPS else TOLD_RHYTHM_TEMPERATURE


def find_model(model: str | Path | None) -> Path:
    """The bundle folder: as given, or trained/jazz here or in the jazzgen checkout."""
    if model is not None:
        return Path(model)
    for candidate in (Path(DEFAULT_MODEL), REPO_ROOT / DEFAULT_MODEL):
        if (candidate / "config.json").is_file():
            return candidate
    raise UsageError(
        f"no model at {DEFAULT_MODEL}: pass -m trained/NAME, or train one with "
        "`jazzgen prepare SOURCES -o corpus && jazzgen train corpus -o trained/jazz`"
    )


def load_model(model: str | Path | None = None) -> tuple[NumpyLM, object]:
    """The NumPy model and the bundle's metadata; refuses a text model."""
    path = find_model(model)
    meta = load_bundle_meta(path)
    if meta.config.tokenizer.kind != "values":
        raise UsageError(f"{path}: a text model; use `jazzgen text sample -m {path}` for it")
    return NumpyLM.load(path, meta), meta


def generate(
    model: str | Path | None = None, changes: str | None = None, tune: str | None = None, **options
) -> Solo:
    """One solo over changes ('| Dm7 G7 | Cmaj7 | % |') or a built-in tune (default: the blues).

    Options: key, choruses, bars, tempo, temperature (of the pitch choices), rhythm_temperature
    (of the rhythm choices; the model's default), echo, best_of, choose_every, top_k, top_p, seed,
    primer (a Solo the improvisation continues), instrument (sets the playable range), max_tokens,
    over (a chart read by jazzgen.formats.read_chart, instead of changes or a tune).
    """
    return generate_variations(model, changes, tune, n=1, **options)[0]


def generate_variations(
    model=None,
    changes=None,
    tune=None,
    *,
    n: int = 1,
    key=None,
    choruses: int = 1,
    bars: int | None = None,
    tempo: float | None = None,
    temperature: float = 1.0,
    rhythm_temperature: float | None = None,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
    primer: Solo | None = None,
    instrument: str | int = "tenor sax",
    max_tokens: int = 20_000,
    best_of: int | None = None,
    echo: float | None = None,
    over: Solo | None = None,
    choose_every: int | None = None,
) -> list[Solo]:
    """n variations sampled together as one batch, with generate's options (rhythm_temperature None:
    the model's default, default_rhythm_temperature). best_of > 1: that many takes a variation,
    the bundle's critic keeping the best (it must have a critic.json); None: see takes_and_critic.
    choose_every: bars between the critic's choices, every take going on from the best so far
    (None: CHOOSE_EVERY; 0: one choice among whole takes). echo: how much each line's own recent
    motifs pull its next interval (see improvise.Echo); None: ECHO, 0: none. over: a chart read
    from a file (jazzgen.formats.read_chart) to play over instead of changes or a tune; key,
    choruses and bars arrange it as they do a tune."""
    if rhythm_temperature is not None:
        check_rhythm_temperature(rhythm_temperature)
    motifs = echo_of(echo)
    if not 1 <= n <= 1000:
        raise UsageError(f"-n {n}: give 1 to 1000 variations")
    if best_of is not None and (not 1 <= best_of <= 64 or n * best_of > 4096):
        raise UsageError(f"--best-of {best_of}: give 1 to 64 takes a variation, at most 4096 takes in all")
    if tempo is not None and not 20 <= tempo <= 400:
        raise UsageError(f"--tempo {tempo}: give 20 to 400 beats per minute")
    choose_every = check_choose_every(choose_every)
    if max_tokens < 1:
        raise UsageError(f"--max-tokens {max_tokens}: give at least 1 (the default is 20000)")
    sampling = SamplingConfig(temperature, top_k, top_p, seed)
    lm, meta = load_model(model)
    sheet = _sheet(changes, tune, over, key, choruses, bars)
    best_of, critic = takes_and_critic(meta.path, best_of, n, sheet)
    if tempo is not None:
        sheet = replace(sheet, tempo=tempo)
    return improvise_over(
        lm,
        meta.vocab,
        sheet,
        sampling,
        n,
        instrument,
        primer,
        max_tokens,
        rhythm_temperature,
        critic,
        best_of,
        motifs,
        choose_every,
    )


def check_choose_every(bars: int | None) -> int:
    """--choose-every BARS as a count (None: CHOOSE_EVERY); UsageError unless a multiple of the
    critic's window (a choice in mid-window would compare takes on windows they all share)."""
    if bars is None:
        return CHOOSE_EVERY
    if bars < 0 or bars % WINDOW_BARS:
        raise UsageError(
            f"--choose-every {bars}: give a multiple of {WINDOW_BARS} bars (the critic judges "
            f"{WINDOW_BARS}-bar windows), or 0 to choose once among whole takes"
        )
    return bars


def echo_of(weight: float | None) -> Echo | None:
    """The Echo for --echo WEIGHT (None: ECHO's; no Echo for 0); UsageError outside [0, 0.9]."""
    if weight is None:
        weight = ECHO
    if not 0 <= weight <= 0.9:
        raise UsageError(
            f"--echo {weight}: give a weight from 0 (the model alone) to 0.9 "
            "(the line's own motifs nearly always win)"
        )
    return Echo(weight) if weight else None


def _sheet(changes, tune, over: Solo | None, key, choruses: int, bars: int | None) -> Solo:
    if over is None:
        return lead_sheet(changes, tune, key, choruses, bars)
    if changes or tune:
        raise UsageError("give --over, --changes/--changes-file or --tune, only one of them")
    return arranged(over, key, choruses, bars)


def takes_and_critic(
    bundle: Path, best_of: int | None, n: int = 1, sheet: Solo | None = None
) -> tuple[int, Critic | None]:
    """How many takes a solo and the critic choosing among them: as asked, or (None) with the
    bundle's critic when it has one, BEST_OF takes a solo within MAX_DEFAULT_TAKES in all (so
    -n 16 samples 16 streams, not 64), else a single take. A sheet with no 8-bar 4/4 window (a
    waltz) gets a single take: the critic judges only such windows, so it would have no say."""
    if best_of is not None:
        return best_of, needed_critic(bundle, best_of)
    critic = load_critic(bundle)
    takes = max(1, min(BEST_OF, MAX_DEFAULT_TAKES // n))
    if sheet is not None and not windows(sheet, WINDOW_BARS):
        takes = 1
    return (1, None) if critic is None or takes == 1 else (takes, critic)


def needed_critic(bundle: Path, best_of: int) -> Critic | None:
    """The bundle's critic when best_of asks for one; UsageError when it has none."""
    if best_of == 1:
        return None
    critic = load_critic(bundle)
    if critic is None:
        raise UsageError(
            f"--best-of {best_of}: {bundle} has no critic to choose with (critic.json); fit one with "
            f"`jazzgen critic -m {bundle} --corpus CORPUS`, or leave out --best-of"
        )
    return critic


def check_rhythm_temperature(value: float) -> None:
    if not 0.01 <= value <= 10:
        raise UsageError(
            f"--rhythm-temperature {value}: give a value from 0.01 to 10 "
            "(1.0 samples the model's rhythm as trained)"
        )


def improvise_over(
    lm,
    vocab,
    sheet: Solo,
    sampling: SamplingConfig,
    n: int = 1,
    instrument: str | int = "tenor sax",
    primer: Solo | None = None,
    max_tokens: int = 20_000,
    rhythm_temperature: float | None = None,
    critic: Critic | None = None,
    best_of: int = 1,
    echo: Echo | None = None,
    choose_every: int = 0,
) -> list[Solo]:
    """n solos over a lead sheet (a note-less Solo) from a loaded model: the register anchor on a
    chord tone mid-range, bars and chords forced, each line kept inside the instrument's range.
    best_of: takes sampled for each solo (in the same batch), of which the critic keeps the one
    it finds most like real solos (jazzgen.improv.critic); choose_every: bars between the
    critic's choices along the way, all takes going on from the best (0: it chooses once, among
    whole takes). echo: see improvise.Echo."""
    if rhythm_temperature is None:
        rhythm_temperature = default_rhythm_temperature(vocab)
    pitch_range = playing_range(program_number(instrument))
    whole, prefix, events, resume_at = _plan(sheet, primer, pitch_range, vocab)
    register = register_for(whole, prefix, pitch_range)
    bar_start = 0 if resume_at is None else whole.bar_starts[bisect_right(whole.bar_starts, resume_at) - 1]
    with one_blas_thread():
        streams = improvise(
            lm,
            vocab,
            prefix,
            events,
            whole.end,
            sampling,
            n * best_of,
            max_tokens,
            resume_at,
            register,
            rhythm_temperature,
            bar_start,
            echo,
            selection_for(critic, best_of, choose_every, whole, resume_at, sheet.tempo, pitch_range),
        )
    takes = [
        _to_solo(tokens, whole, sheet.tempo, pitch_range, i // best_of) for i, tokens in enumerate(streams)
    ]
    if best_of == 1 or critic is None:
        return takes[::best_of]
    return [max(takes[i : i + best_of], key=critic.realness) for i in range(0, len(takes), best_of)]


def selection_for(
    critic: Critic | None,
    best_of: int,
    every: int,
    whole: Solo,
    resume_at: int | None,
    tempo: float,
    pitch_range: tuple[int, int],
) -> Selection | None:
    """The critic's choice among each solo's takes at every `every`-th bar line of the whole solo
    (after a primer's last note, before the end), by how real it finds each take's bars so far,
    decoded as the finished takes are (at tempo, into pitch_range)."""
    if critic is None or best_of < 2 or every < 1:
        return None
    after = -1 if resume_at is None else resume_at
    ticks = frozenset(t for t in whole.bar_starts[every::every] if after < t < whole.end)

    def score(tokens: list[str], tick: int) -> float:
        solo = _to_solo([*tokens, END], whole, tempo, pitch_range, 0)
        bars = bisect_right(whole.bar_starts, tick) - 1
        return critic.realness(replace(solo, notes=tuple(n for n in solo.notes if n.onset < tick), bars=bars))

    return Selection(best_of, ticks, score)


def register_for(whole: Solo, prefix: list[str], pitch_range: tuple[int, int]) -> Register:
    """The instrument's range, the pitch the lines go on from, and the decoder's way to a pitch."""
    start = last_pitch(prefix, whole.chords, pitch_range)

    def pitch_of(previous: int, token: str, onset: int) -> int:
        return realise(previous, int(token[1:]), token[0], chord_at(whole.chords, onset), pitch_range)

    def class_of(pitch: int, onset: int) -> str:
        return note_class(pitch, chord_at(whole.chords, onset))

    def degree_of(pitch: int, onset: int) -> str:
        return degree_token(pitch, chord_at(whole.chords, onset))

    low, high = pitch_range
    return Register(low + SNAP_ROOM, high - SNAP_ROOM, start, pitch_of, class_of, degree_of)


def _plan(sheet: Solo, primer: Solo | None, pitch_range: tuple[int, int], vocab):
    """The whole lead sheet, the forced prefix, the events still to come and where a primer ends."""
    if primer is None or not primer.notes:
        events = forced_events(sheet, looks_ahead(scheme_of(vocab.tokens)))
        anchor = _known_register(opening_pitch(sheet, pitch_range), vocab)
        prefix = header(sheet, anchor) + events[0][1]
        return sheet, prefix, events[1:], None
    if primer.bars + sheet.bars > MAX_BARS:
        raise UsageError(
            f"the primer's {primer.bars:,} bars and the {sheet.bars:,} to improvise make "
            f"{primer.bars + sheet.bars:,}; jazzgen improvises over up to {MAX_BARS:,}: give a shorter "
            "--primer or fewer bars"
        )
    whole = append_sheet(primer, sheet)
    tokens = encode(whole, scheme_of(vocab.tokens))
    last = whole.notes[-1].onset
    cut = _after_last_note(tokens)
    events = [(t, e) for t, e in forced_events(whole, looks_ahead(scheme_of(vocab.tokens))) if t > last]
    return whole, tokens[:cut], events, last


def _after_last_note(tokens: list[str]) -> int:
    """Index just past the last note value's duration tokens."""
    index = max(i for i, t in enumerate(tokens) if token_kind(t) == "duration")
    return index + 1


def _known_register(pitch: int, vocab) -> int:
    """The register anchor nearest pitch among those the model saw ('reg:P' tokens)."""
    known = [int(t[4:]) for t in vocab.tokens if t.startswith("reg:") and t[4:].isdigit()]
    return min(known, key=lambda p: abs(p - pitch)) if known else pitch


def append_sheet(primer: Solo, sheet: Solo) -> Solo:
    """The primer's bars, chords and notes, followed by the lead sheet's bars and chords."""
    shift = primer.end
    chords = primer.chords + tuple(replace(c, onset=c.onset + shift) for c in sheet.chords)
    meter = primer.meter + tuple(
        replace(ts, bar=ts.bar + primer.bars)
        for ts in sheet.meter
        if ts.bar > 0 or (ts.numerator, ts.denominator) != _last_meter(primer)
    )
    return replace(primer, chords=chords, meter=meter, bars=primer.bars + sheet.bars)


def _last_meter(solo: Solo) -> tuple[int, int]:
    return solo.meter[-1].numerator, solo.meter[-1].denominator


def opening_pitch(sheet: Solo, pitch_range: tuple[int, int]) -> int:
    """A chord tone of the first chord near the middle of the range: the register anchor."""
    low, high = pitch_range
    middle = (low + high) // 2
    chord = next((c for c in sheet.chords if not c.is_nc), None)
    candidates = range(middle - 6, middle + 7)
    tones = [p for p in candidates if note_class(p, chord) == "C"] if chord else []
    return min(tones or [middle], key=lambda p: abs(p - middle))


def _to_solo(tokens: list[str], sheet: Solo, tempo: float, pitch_range, index: int) -> Solo:
    if END not in tokens:
        raise DataError("the sampler stopped without an end token")
    solo = decode(tokens, chords=sheet.chords, tempo=tempo, pitch_range=pitch_range)
    notes = monophonic([n for n in solo.notes if n.onset < sheet.end])
    return replace(
        solo,
        notes=notes,
        bars=sheet.bars,
        meter=sheet.meter,
        chords=sheet.chords,
        title=f"{sheet.title or 'solo'} {index + 1}".strip(),
        source="jazzgen generate",
        info=sheet.info,  # the chart's key, when it names one: the key signature the files write
    )


# Sounding ranges (MIDI pitches) by GM program family; a soloist's comfortable register.
_RANGES = [
    (range(64, 68), (56, 88)),  # saxophones: soprano, alto, tenor, baritone (tenor set below)
    (range(56, 64), (54, 86)),  # brass
    (range(24, 32), (50, 86)),  # guitars
    (range(8, 16), (53, 89)),  # chromatic percussion: vibraphone, marimba ...
    (range(0, 8), (48, 91)),  # pianos
    (range(32, 40), (28, 55)),  # basses
    (range(71, 80), (60, 94)),  # clarinet, flutes
]
_BY_PROGRAM = {66: (46, 80), 67: (38, 72), 65: (51, 84), 64: (58, 91), 57: (42, 75), 56: (54, 86)}


def playing_range(program: int) -> tuple[int, int]:
    """The pitch range a generated line is folded into for a GM program."""
    if program in _BY_PROGRAM:
        return _BY_PROGRAM[program]
    return next((r for family, r in _RANGES if program in family), (48, 84))
