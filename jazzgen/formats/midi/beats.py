"""Beats for performed MIDI: track them through the note onsets, then place the onsets on the grid.

A performance (a player's onsets in seconds, not on any tick grid, its tempo drifting) is read in
three steps:

1. `track_beats`: dynamic-programming beat tracking in the manner of Ellis (2007), over frames of
   1/FRAMES_PER_BEAT of the file's beat. A state is (time of a beat, length of the beat that ends
   there); the beat length may drift within TEMPO_RANGE of the file's tempo and pays for every
   change, so the tempo bends smoothly instead of jumping. Each beat is scored by where the onsets
   inside it fall: an onset's phase in the beat (0 = on the beat) is scored by ONSET_PHASE_PRIOR
   for its inter-onset interval, so long notes pull the beat onto themselves and the short second
   note of a swung pair pulls it away. The other parts of the file (bass, drums, comping) are
   scored the same way, each onset by the intervals within its own part, and count BAND_WEIGHT
   times a melody onset: a soloist plays around the beat that the band keeps.
2. `quantise`: each onset goes to the beat it is played in (up to EARLY of a beat ahead of it), and
   the onsets of one beat are read together as one of the divisions 1, 2 (swung), 3, 4 or 6,
   whichever fits best after a penalty for the busier ones: the notation a transcriber would write.
3. `bar_phase`: which beat is the downbeat, from where long notes and phrase starts fall.

Input is seconds (from jazzgen.formats.midi.timing); the result is ticks (TICKS_PER_BEAT per beat).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jazzgen.errors import DataError
from jazzgen.music.solo import TICKS_PER_BEAT

FRAMES_PER_BEAT = 40  # time resolution of the tracker: 1/40 of the file's beat
TEMPO_RANGE = (0.85, 1.15)  # the local beat length may lie within these multiples of the file's
TEMPO_PRIOR_COST = 50.0  # per beat, times log(beat length / file's beat length) ** 2
TEMPO_CHANGE_COST = 3000.0  # per beat, times log(beat length / previous beat length) ** 2
MAX_TEMPO_STEP = 2  # frames a beat may be longer or shorter than the one before it
START_BEATS = 3  # a beat chain may start within this many beats of the first onset
MAX_TRACKED_BEATS = 4000  # memory grows with the length: about 15 kB a beat
WINDOW_START = -0.2  # an onset up to a fifth of a beat early still belongs to the beat
PHASE_BINS = 200
# How much more an onset of a part playing along (bass, drums, comping) counts than the melody's:
# the band holds the beat the soloist plays around. Set on 60 files of the tune half of bench_midi.py
# --band (a bass note on every annotated beat): weight 1, 2, 4, 8 put 60.9, 61.4, 61.8, 61.5% of onsets
# on the annotated tick in the beat and 33.9, 34.9, 34.4, 33.1% exactly (before the bass line's
# downbeat evidence below).
BAND_WEIGHT = 2.0

IOI_EDGES = (0.2, 0.3, 0.4, 0.6, 0.8, 1.2)  # beats: inter-onset interval classes of ONSET_PHASE_PRIOR
# Log-likelihood (against uniform) of an onset's phase in its beat, per inter-onset-interval
# class, as a Fourier series c0 + sum over h of (a_h cos 2 pi h phase + b_h sin 2 pi h phase),
# h = 1..3. Fitted to the phases of the 180,000 notes of the Weimar Jazz Database relative to
# its annotated beats: long notes sit on the beat, notes of about a third of a beat are mostly
# the short half of a swung pair (phase near 2/3), 16ths are nearly uniform.
ONSET_PHASE_PRIOR = np.array(
    [
        (-0.00, -0.04, -0.04, 0.00, -0.06, 0.01, -0.01),  # IOI < 0.2 beat
        (-0.01, -0.04, -0.08, 0.02, -0.02, 0.03, 0.03),  # 0.2 .. 0.3
        (-0.05, -0.15, -0.35, -0.00, 0.14, 0.08, 0.07),  # 0.3 .. 0.4
        (-0.03, 0.03, -0.08, 0.13, 0.34, 0.02, 0.00),  # 0.4 .. 0.6
        (-0.17, 0.74, 0.14, 0.18, 0.10, 0.03, 0.02),  # 0.6 .. 0.8
        (-0.11, 0.59, -0.09, 0.10, 0.29, 0.04, -0.01),  # 0.8 .. 1.2
        (-0.04, 0.27, -0.21, 0.08, 0.18, 0.03, 0.05),  # 1.2 beats and longer
    ]
)

# Quantisation: an onset's squared distance from its grid position counts in units of
# TIMING_SPREAD beats; each division pays its penalty once per beat that uses it. The values were
# set by a search against the Weimar Jazz Database's annotated positions (bench/bench_midi.py).
EARLY = 0.1  # an onset this close before a beat is read as on that beat
TIMING_SPREAD = 0.14
LATE_FEEL = 0.015  # players sit this far behind their beat, in beats
SWING = 0.06  # the off-beat 8th is expected this far after the half beat
DIVISIONS = {  # beat division: (positions in the beat, penalty)
    1: ((0.0,), 0.0),
    2: ((0.0, 0.5 + SWING), 1.0),
    3: ((0.0, 1 / 3, 2 / 3), 3.5),
    4: ((0.0, 0.25, 0.5, 0.75), 4.0),
    6: (tuple(i / 6 for i in range(6)), 7.0),
    12: (tuple(i / 12 for i in range(12)), 12.0),  # the fallback: two onsets share no slot here
}


def ioi_classes(onsets: np.ndarray, period: float) -> np.ndarray:
    """Class 0..6 of each onset's inter-onset interval (the last note counts as long)."""
    ioi = np.diff(np.append(onsets, onsets[-1] + 4 * period)) / period
    return np.searchsorted(np.asarray(IOI_EDGES), ioi)


def phase_table() -> np.ndarray:
    """ONSET_PHASE_PRIOR evaluated on PHASE_BINS bins over [WINDOW_START, WINDOW_START + 1)."""
    phase = WINDOW_START + (np.arange(PHASE_BINS) + 0.5) / PHASE_BINS
    angles = 2 * np.pi * np.arange(1, 4)[:, None] * phase[None, :]  # (3 harmonics, bins)
    waves = np.stack([np.cos(angles), np.sin(angles)], axis=1).reshape(6, -1)  # cos 1, sin 1, cos 2, ...
    basis = np.concatenate([np.ones((1, PHASE_BINS)), waves])
    return ONSET_PHASE_PRIOR @ basis  # (classes, bins)


def _beat_scores(
    frames: np.ndarray, classes: np.ndarray, weights: np.ndarray, lengths: np.ndarray, n: int
) -> np.ndarray:
    """(n, K): score of a beat starting at frame u with length lengths[k], from the onsets in it
    (each onset's evidence times its weight)."""
    table = phase_table()
    K = len(lengths)
    scores = np.zeros(n * K)
    for k, length in enumerate(lengths):
        low, high = int(np.floor(WINDOW_START * length)), int(np.ceil((1 + WINDOW_START) * length))
        offsets = np.arange(low, high + 1)  # frames from a beat to the onsets it may hold
        starts = np.floor(frames).astype(int)[:, None] - offsets[None, :]  # (onsets, offsets)
        bins = np.floor(((frames[:, None] - starts) / length - WINDOW_START) * PHASE_BINS).astype(int)
        ok = (bins >= 0) & (bins < PHASE_BINS) & (starts >= 0) & (starts < n)
        values = table[np.broadcast_to(classes[:, None], bins.shape)[ok], bins[ok]]
        values *= np.broadcast_to(weights[:, None], bins.shape)[ok]
        scores += np.bincount(starts[ok] * K + k, weights=values, minlength=n * K)
    return scores.reshape(n, K)


def track_beats(onsets: np.ndarray, period: float, band: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Beat times in seconds, from a beat or more before the first onset to after the last.

    onsets: sorted note onsets in seconds; period: the file's beat length in seconds (the prior);
    band: the onsets of other parts playing along (bass, drums, comping), each part's own onsets,
    which vote with the melody's: a band keeps the beat that a soloist plays around.
    """
    parts = [np.asarray(onsets, dtype=float)] + [np.unique(np.asarray(p, dtype=float)) for p in band]
    onsets, classes, weights = _merged(parts, [1.0] + [BAND_WEIGHT] * len(band), period)
    beats = (onsets[-1] - onsets[0]) / period
    if beats > MAX_TRACKED_BEATS:
        raise DataError(
            f"the performance lasts {beats:.0f} beats; beats are tracked through up to "
            f"{MAX_TRACKED_BEATS} (about 20 minutes at 200 bpm): cut it into shorter files"
        )
    if len(onsets) < 4:
        return onsets[0] + period * np.arange(-1, (onsets[-1] - onsets[0]) / period + 2)
    frame = period / FRAMES_PER_BEAT
    origin = onsets[0] - 2 * period
    n = int((onsets[-1] - origin) / frame) + 2 * FRAMES_PER_BEAT
    lengths = np.arange(int(TEMPO_RANGE[0] * FRAMES_PER_BEAT), int(TEMPO_RANGE[1] * FRAMES_PER_BEAT) + 1)
    beat_scores = _beat_scores((onsets - origin) / frame, classes, weights, lengths, n)
    path = _best_path(beat_scores, lengths, int(round((onsets[-1] - origin) / frame)))
    beats = origin + path * frame
    return extend_beats(beats, onsets)


def _merged(
    parts: list[np.ndarray], weights: list[float], period: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All parts' onsets in time order, each with its IOI class within its own part and its
    part's weight."""
    kept = [(p, w) for p, w in zip(parts, weights) if len(p)]
    times = np.concatenate([p for p, _ in kept])
    classes = np.concatenate([ioi_classes(p, period) for p, _ in kept])
    weight = np.concatenate([np.full(len(p), w) for p, w in kept])
    order = np.argsort(times, kind="stable")
    return times[order], classes[order], weight[order]


def _best_path(beat_scores: np.ndarray, lengths: np.ndarray, last_onset: int) -> np.ndarray:
    """Frames of the best chain of beats: Viterbi over (frame, beat length), in blocks.

    A beat at frame t with length k follows one at t - k, so every frame of a block shorter than
    the shortest beat depends only on frames before the block: each block is one numpy step.
    """
    n, K = beat_scores.shape
    log_len = np.log(lengths)
    prior = TEMPO_PRIOR_COST * (log_len - np.log(FRAMES_PER_BEAT)) ** 2  # (K,)
    change = TEMPO_CHANGE_COST * (log_len[None, :] - log_len[:, None]) ** 2  # (K from, K to)
    change[np.abs(np.arange(K)[None, :] - np.arange(K)[:, None]) > MAX_TEMPO_STEP] = np.inf
    score = np.full((n, K), -np.inf)  # best chain ending with a beat of length k at frame t
    onward = np.full((n, K), -np.inf)  # best chain at t, ready to be followed by length k
    came_from = np.zeros((n, K), dtype=np.int32)
    start_frames = START_BEATS * FRAMES_PER_BEAT
    column = np.arange(K)[None, :]
    for t0 in range(0, n, lengths[0]):
        t = np.arange(t0, min(n, t0 + lengths[0]))
        before = t[:, None] - lengths[None, :]  # (block, K)
        safe = np.maximum(before, 0)
        previous = np.where(before >= 0, onward[safe, column] + beat_scores[safe, column], -np.inf)
        early = t < start_frames
        previous[early] = np.maximum(previous[early], 0.0)  # a chain may start here
        score[t] = previous - prior[None, :]
        candidates = score[t][:, :, None] - change[None, :, :]  # (block, K from, K to)
        came_from[t] = np.argmax(candidates, axis=1)
        onward[t] = np.take_along_axis(candidates, came_from[t][:, None, :], axis=1)[:, 0, :]
    region = score[last_onset : min(n, last_onset + lengths[-1])]
    t, k = np.unravel_index(np.argmax(region), region.shape)
    t += last_onset
    frames = [t]
    while True:
        u = t - lengths[k]
        if u < 0 or (t < start_frames and onward[u, k] + beat_scores[u, k] <= 0):
            break
        t, k = u, came_from[u, k]
        frames.append(t)
    return np.array(frames[::-1], dtype=float)


def extend_beats(beats: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """Add beats at the end beats' spacing until they reach a beat before the first onset and
    two after the last."""
    if len(beats) < 2:
        beats = np.array([beats[0] - 1.0, beats[0]]) if len(beats) else np.array([onsets[0] - 1, onsets[0]])
    head, tail = beats[1] - beats[0], beats[-1] - beats[-2]
    before = int(max(0, np.ceil((beats[0] - onsets[0]) / head))) + 1
    after = int(max(0, np.ceil((onsets[-1] - beats[-1]) / tail))) + 2
    lead_in = beats[0] - head * np.arange(before, 0, -1)
    return np.concatenate([lead_in, beats, beats[-1] + tail * np.arange(1, after + 1)])


def beat_positions(times: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Continuous position of each time in beats from beats[0] (linear between beats)."""
    return np.interp(times, beats, np.arange(len(beats), dtype=float), left=np.nan, right=np.nan)


def quantise(onsets: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Onset ticks from beats[0], each beat's onsets read as one division (see the module doc)."""
    position = beat_positions(np.asarray(onsets, dtype=float), beats) - LATE_FEEL
    position = np.nan_to_num(position, nan=0.0)
    beat = np.floor(position + EARLY).astype(int)
    phase = position - beat  # (notes,) in [-EARLY, 1 - EARLY)
    best_cost = np.full(beat.max() + 1, np.inf)
    best_ticks = np.zeros(len(phase), dtype=int)
    for grid, penalty in DIVISIONS.values():
        slots = np.append(grid, 1.0)
        slot = np.argmin(np.abs(phase[:, None] - slots[None, :]), axis=1)  # (notes,)
        error = (phase - slots[slot]) ** 2 / TIMING_SPREAD**2
        cost = np.bincount(beat, weights=error, minlength=len(best_cost)) + penalty
        if len(grid) < 12:
            key = beat * 16 + slot
            _, first, count = np.unique(key, return_index=True, return_counts=True)
            cost[beat[first[count > 1]]] = np.inf  # two onsets in one slot
        better = cost < best_cost
        best_cost = np.where(better, cost, best_cost)
        ticks = slot * TICKS_PER_BEAT // len(grid)  # the swung 8th is still written on the half beat
        best_ticks = np.where(better[beat], ticks, best_ticks)
    return beat * TICKS_PER_BEAT + best_ticks


# Log-odds of the beat in the bar a note falls on, by kind of note, as (downbeat, an inner beat,
# the middle beat of an even bar, the last beat); fitted to the downbeats of the Weimar Jazz
# Database's 4/4 solos (naive Bayes over these six kinds of note, cross-validated on halves).
DOWNBEAT_EVIDENCE = {
    "phrase start on a beat": (0.07, -0.01, 0.13, -0.21),
    "phrase start on an off-beat 8th": (0.20, -0.06, -0.03, -0.15),
    "note of 2 beats or more on a beat": (0.18, -0.19, 0.08, -0.11),
    "note of 1 to 2 beats on a beat": (0.10, -0.06, 0.02, -0.08),
    "shorter note on a beat": (-0.05, -0.01, 0.02, 0.04),
    "note of 2 beats or more on an off-beat 8th": (-0.07, 0.08, -0.07, 0.05),
}


# Log-odds of the beat in the bar a bass note falls on, by the interval from the bass note of the
# beat before, in DOWNBEAT_EVIDENCE's columns (downbeat, an inner beat, the middle beat of an even
# bar, the last beat): a walking line lands on the bar's root by a semitone or a fifth (-1, +1, -7,
# +5 favour the downbeat) and moves on by step or arpeggio. Fitted by bench/fit_bass_downbeat.py to
# the bass lines of the Weimar Jazz Database's 4/4 beat tracks: fitted on half of them, the bar
# phase it picks for a whole line is the annotated one in 78.2% of the other half.
BASS_INTERVALS = tuple(range(-12, 13))  # semitones from the bass note of the beat before
BASS_DOWNBEAT_EVIDENCE = np.array(
    [
        (-0.35, 0.46, -0.28, 0.18),  # -12
        (0.30, -0.17, 0.07, -0.20),  # -11
        (-0.07, 0.14, -0.02, -0.04),  # -10
        (-0.25, 0.28, 0.00, -0.04),  # -9
        (-0.19, 0.39, -0.27, 0.07),  # -8
        (0.35, -0.35, 0.09, -0.09),  # -7
        (-0.01, -0.01, -0.20, 0.22),  # -6
        (-0.38, 0.38, -0.03, 0.03),  # -5
        (-0.17, -0.11, -0.03, 0.31),  # -4
        (-0.09, -0.09, 0.07, 0.11),  # -3
        (0.16, -0.13, 0.06, -0.10),  # -2
        (0.35, -0.28, 0.12, -0.20),  # -1
        (-0.18, 0.19, -0.10, 0.09),  # +0
        (0.34, -0.38, 0.17, -0.12),  # +1
        (-0.15, 0.14, 0.10, -0.09),  # +2
        (-0.39, 0.18, -0.01, 0.22),  # +3
        (-0.39, 0.31, -0.22, 0.30),  # +4
        (0.23, -0.43, 0.21, -0.01),  # +5
        (-0.11, 0.16, -0.10, 0.05),  # +6
        (-0.60, 0.60, -0.13, 0.14),  # +7
        (-0.12, 0.08, 0.07, -0.02),  # +8
        (-0.10, -0.06, 0.07, 0.09),  # +9
        (-0.01, -0.05, 0.23, -0.17),  # +10
        (0.29, -0.13, 0.14, -0.29),  # +11
        (-0.40, 0.22, -0.04, 0.21),  # +12
        (0.05, -0.14, 0.10, -0.01),  # wider
    ]
)


def bass_interval_classes(pitches: np.ndarray) -> np.ndarray:
    """Per beat, the BASS_INTERVALS index of the step from the beat before's bass note,
    len(BASS_INTERVALS) for a leap wider than an octave, -1 where this beat or the one before has
    no bass note (pitch < 0; the first beat too): such a beat tells nothing."""
    pitches = np.asarray(pitches)
    step = np.diff(pitches, prepend=-1)
    known = (pitches >= 0) & (np.roll(pitches, 1) >= 0) & (np.arange(len(pitches)) > 0)
    classes = np.where(np.abs(step) <= BASS_INTERVALS[-1], step - BASS_INTERVALS[0], len(BASS_INTERVALS))
    return np.where(known, classes, -1)


def _note_kinds(onsets: np.ndarray, ends: np.ndarray) -> dict[str, np.ndarray]:
    """Which notes are of each DOWNBEAT_EVIDENCE kind; a phrase starts after a rest of a beat."""
    beat = TICKS_PER_BEAT
    ioi = np.diff(np.append(onsets, onsets[-1] + 4 * beat))
    rest = np.append(4 * beat, onsets[1:] - ends[:-1])
    start, on_beat, off_beat = rest >= beat, onsets % beat == 0, onsets % beat == beat // 2
    return {
        "phrase start on a beat": start & on_beat,
        "phrase start on an off-beat 8th": start & off_beat,
        "note of 2 beats or more on a beat": ~start & on_beat & (ioi >= 2 * beat),
        "note of 1 to 2 beats on a beat": ~start & on_beat & (ioi >= beat) & (ioi < 2 * beat),
        "shorter note on a beat": ~start & on_beat & (ioi < beat),
        "note of 2 beats or more on an off-beat 8th": ~start & off_beat & (ioi >= 2 * beat),
    }


def bar_phase(
    onsets: np.ndarray, ends: np.ndarray, beats_per_bar: int, bass: np.ndarray | None = None
) -> int:
    """Beats to add to the ticks so that bar lines (every beats_per_bar beats from 0) fall on the
    downbeat that DOWNBEAT_EVIDENCE (and, given a bass line, BASS_DOWNBEAT_EVIDENCE) finds likeliest.
    onsets, ends: quantised ticks of the notes; bass: the bass pitch played on each beat from
    tick 0 (-1 where none)."""
    if beats_per_bar < 2:
        return 0
    column = np.ones(beats_per_bar, dtype=int)  # which evidence column each beat uses
    column[0], column[-1] = 0, 3
    if beats_per_bar % 2 == 0 and beats_per_bar > 2:
        column[beats_per_bar // 2] = 2
    kinds = _note_kinds(onsets, ends)
    classes = bass_interval_classes(bass) if bass is not None else np.zeros(0, dtype=int)
    bass_rows = np.where(classes[:, None] >= 0, BASS_DOWNBEAT_EVIDENCE[classes], 0.0)  # (beats, 4)
    scores = []
    for shift in range(beats_per_bar):
        beat = (onsets // TICKS_PER_BEAT + shift) % beats_per_bar
        score = sum(
            np.asarray(DOWNBEAT_EVIDENCE[kind])[column[beat[notes]]].sum() for kind, notes in kinds.items()
        )
        bass_beat = (np.arange(len(bass_rows)) + shift) % beats_per_bar
        scores.append(score + bass_rows[np.arange(len(bass_rows)), column[bass_beat]].sum())
    return int(np.argmax(scores))
