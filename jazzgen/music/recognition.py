"""Chord symbols estimated from an accompaniment's notes, as a jazz musician hears a rhythm section:
the bass names the root, the comp names the quality, and a rootless voicing over a bass is the
chord of the bass note.

Segments: a bar, or its two halves where the harmony moves there (a bar of an even number of beats
whose halves, read apart, beat the whole bar's reading by SPLIT_MARGIN).
A segment's reading (root, quality) scores
  - the comp's fit: each unit of pitch-class profile (ticks sounding, weighted by how much its part
    comps) earns 1 on a chord tone, TENSION_CREDIT on a tension compers add to that quality (9, 13,
    altered tensions on a dominant), and loses OUTSIDE_COST elsewhere; a silent 3rd, 7th or altered
    5th costs MISSING_COST, a silent perfect 5th nothing (rootless voicings drop it);
  - the root: a root that no part sounds costs ROOTLESS_COST (D F Bb alone is Bb, not a Gm7 whose
    G nobody plays); where a bass part plays (Accompaniment.bass),
    the bass note on the segment's first beat being the root earns BASS_FIRST and each unit of bass
    profile on the root BASS_SHARE, the same on the reading's perfect fifth BASS_FIFTH of that (a
    two-feel's beat 3, a walking line's fifth do not move the root); a bass held on one other chord
    tone earns SLASH_SHARE of that (a slash chord). Without a bass part the lowest comp notes earn LOW_NOTE_WEIGHT per unit on the root;
  - a prior per quality, from how often real changes use it (QUALITY_SHARES): where the notes fit
    two readings alike, the quality jazz uses more wins.
The readings of consecutive segments are chosen together (Viterbi), each move from one to the next
scored by how often real changes make it (CHORD_MOVES), so that where the notes fit two readings
nearly alike the progression decides. Then a minor 7 whose fifth is silent, a fifth above a
dominant that resolves to a minor tonic, is read m7b5 (the minor ii-V-i of shells and rootless
voicings, which leave the fifth out). Repeated readings merge; a merged span gets a slash bass
only where the bass part holds one non-root pitch class all through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from jazzgen.music.chords import NOTE_NAMES, QUALITIES, make_chord, merge_repeats
from jazzgen.music.solo import TICKS_PER_BEAT, Chord

# Quality families: how the benchmark and the tests judge a reading (a 6 is a major chord, ...).
FAMILIES = {
    "major": ("", "maj7", "6"),
    "dominant": ("7", "7alt", "aug7"),
    "minor": ("m", "m7", "m6", "mmaj7"),
    "half-diminished": ("m7b5",),
    "diminished": ("dim", "dim7"),
    "sus": ("sus4", "7sus4"),
    "augmented": ("aug", "augmaj7"),
}
# quality: the tensions compers add to it, in semitones above the root
TENSIONS = {
    "maj7": (2, 9),
    "6": (2,),
    "": (2, 9),
    "7": (1, 2, 3, 6, 8, 9),
    "m7": (2, 5),
    "m6": (2,),
    "m": (2, 5),
    "m7b5": (2, 5, 8),
    "mmaj7": (2, 9),
    "dim7": (2, 5, 8, 11),
    "dim": (),
    "7sus4": (2, 9),
    "sus4": (2,),
    "aug7": (2,),
    "aug": (),
    "augmaj7": (2,),
}
# Each quality's share of the chord changes in the Weimar Jazz Database's solos (23,929 changes in
# 410 solos; ODbL; counted by bench/chord_shares.py). A reading's prior is PRIOR_WEIGHT x the log of
# its share: where the notes fit two readings alike (Cm7 and Eb6 are the same four notes), the one
# jazz uses more wins. (7alt is counted but not a reading: an altered dominant reads as 7.)
QUALITY_SHARES = {
    "7": 0.4560,
    "m7": 0.2305,
    "maj7": 0.1096,
    "": 0.0432,
    "m7b5": 0.0378,
    "m": 0.0276,
    "6": 0.0235,
    "7sus4": 0.0154,
    "m6": 0.0147,
    "dim": 0.0109,
    "sus4": 0.0079,
    "aug7": 0.0072,
    "dim7": 0.0063,
    "7alt": 0.0055,
    "mmaj7": 0.0019,
    "aug": 0.0018,
    "augmaj7": 0.0003,
}
# How real changes move from one segment (a bar, or half a bar where the chord changes there) to
# the next: moves from a family, by the family moved to, counted for each root motion of 0 to 11
# semitones up (staying on the chord included) over the Weimar Jazz Database's beat tracks (35,026
# moves in 410 solos; ODbL; counted by bench/chord_shares.py --moves). Consecutive readings earn
# MOVE_WEIGHT x the log of the move's probability: Eb G C alone is Eb6, after a G7 the Cm it
# resolves to (a dominant moves down a fifth to a minor chord in 13% of its moves, up a minor sixth
# to a major one in 0.1%).
CHORD_MOVES = {
    "major": {
        "major": (1911, 34, 62, 27, 3, 132, 3, 59, 17, 30, 51, 34),
        "dominant": (126, 24, 94, 189, 90, 208, 43, 150, 52, 382, 63, 172),
        "minor": (238, 54, 338, 55, 94, 92, 85, 107, 17, 284, 42, 156),
        "half-diminished": (6, 14, 41, 3, 45, 0, 74, 6, 0, 18, 0, 134),
        "diminished": (27, 142, 1, 52, 1, 0, 6, 0, 0, 0, 1, 4),
        "sus": (0, 0, 41, 0, 0, 1, 0, 0, 2, 1, 1, 4),
        "augmented": (0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 2, 0),
    },
    "dominant": {
        "major": (7, 140, 107, 24, 15, 2591, 14, 27, 11, 8, 24, 141),
        "dominant": (3211, 65, 65, 27, 27, 2460, 63, 861, 67, 171, 202, 629),
        "minor": (355, 40, 147, 32, 137, 1960, 127, 173, 32, 151, 16, 249),
        "half-diminished": (13, 6, 6, 1, 14, 28, 53, 23, 2, 37, 6, 34),
        "diminished": (0, 53, 0, 4, 2, 13, 0, 4, 0, 0, 0, 0),
        "sus": (5, 0, 0, 0, 0, 20, 0, 6, 11, 5, 3, 21),
        "augmented": (0, 0, 0, 0, 3, 0, 6, 0, 0, 0, 0, 0),
    },
    "minor": {
        "major": (3, 52, 4, 64, 0, 9, 0, 57, 96, 2, 196, 48),
        "dominant": (49, 110, 68, 35, 14, 3487, 9, 186, 167, 4, 46, 92),
        "minor": (4573, 75, 129, 45, 17, 492, 13, 157, 22, 42, 170, 214),
        "half-diminished": (15, 1, 231, 1, 10, 15, 3, 21, 1, 114, 0, 14),
        "diminished": (1, 18, 3, 2, 1, 2, 0, 2, 1, 0, 1, 100),
        "sus": (0, 0, 0, 1, 0, 29, 0, 0, 3, 13, 1, 1),
        "augmented": (0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0),
    },
    "half-diminished": {
        "major": (0, 0, 7, 0, 0, 1, 4, 0, 0, 1, 0, 2),
        "dominant": (4, 0, 3, 0, 0, 806, 8, 1, 0, 0, 0, 29),
        "minor": (3, 12, 0, 1, 0, 9, 0, 0, 0, 0, 54, 47),
        "half-diminished": (10, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0),
        "diminished": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
    },
    "diminished": {
        "major": (20, 0, 2, 1, 3, 0, 41, 2, 0, 14, 0, 1),
        "dominant": (1, 57, 1, 1, 2, 15, 21, 3, 10, 0, 1, 1),
        "minor": (4, 66, 10, 1, 2, 0, 1, 0, 5, 0, 12, 140),
        "half-diminished": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
        "diminished": (20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        "sus": (0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0),
    },
    "sus": {
        "major": (2, 4, 4, 0, 0, 28, 0, 0, 2, 0, 4, 0),
        "dominant": (81, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 13),
        "minor": (0, 2, 0, 13, 1, 3, 3, 0, 0, 1, 0, 2),
        "sus": (571, 168, 20, 3, 7, 23, 0, 44, 8, 2, 53, 167),
    },
    "augmented": {
        "major": (2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0),
        "dominant": (0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0),
        "minor": (0, 0, 0, 0, 7, 0, 0, 0, 0, 1, 6, 0),
        "augmented": (3, 0, 18, 0, 0, 0, 0, 0, 0, 0, 12, 0),
    },
}
PRIOR_WEIGHT = 0.04
MOVE_WEIGHT = 0.015  # set on the built-in tunes and the first 150 charts (0.01-0.1 tried)
MOVE_SMOOTHING = 20.0  # moves' worth of the pooled motion shares mixed into each family's counts
TENSION_CREDIT = 0.6
OUTSIDE_COST = 0.5
MISSING_COST = 0.15
ROOTLESS_COST = 0.12
BASS_FIRST = 0.45
BASS_SHARE = 0.6
BASS_FIFTH = 0.6  # share of a root's bass credit a reading's perfect fifth earns (a two-feel's beat 3)
SLASH_SHARE = 0.6
LOW_NOTE_WEIGHT = 0.1
BASS_SPAN = 5  # semitones above a segment's lowest comp note that count as its low notes
STAY = 0.8  # for keeping the reading across a boundary the comp holds its voicing over
HELD_BASS = 0.3  # share of BASS_FIRST a segment's first bass note earns where the comp holds on
ANTICIPATION = TICKS_PER_BEAT // 2  # a note this close before a bar or half bar belongs after it
SPLIT_MARGIN = 0.05
SAME_COMP = 0.9  # cosine of two halves' comp profiles from which the comp has not moved
PRESENT = 0.03  # share of a segment's profile from which a pitch class counts as sounding
MIN_SOUNDING = 1.0  # beats of accompaniment a segment needs for a chord


def family(quality: str) -> str:
    """The family of a quality name of jazzgen.music.chords.QUALITIES ('m6' -> 'minor')."""
    return next(name for name, members in FAMILIES.items() if quality in members)


@dataclass(frozen=True)
class Accompaniment:
    """Accompaniment notes on the solo's tick grid: arrays of one value per note. bass marks the
    notes of bass parts (None: no part is known to be the bass)."""

    onsets: np.ndarray  # ticks
    ends: np.ndarray  # ticks
    pitches: np.ndarray  # MIDI numbers
    weights: np.ndarray  # how much each note's part counts (comping parts more than lines)
    bass: np.ndarray | None = None  # bool


@dataclass(frozen=True)
class _Readings:
    """Every (root, quality) reading as a row: root, quality name, and its (row, 12) tone weights."""

    roots: np.ndarray  # (readings,)
    names: tuple[str, ...]
    weights: np.ndarray  # (readings, 12): 1 chord tone, TENSION_CREDIT tension, -OUTSIDE_COST else
    required: np.ndarray  # (readings, 12): the tones whose silence costs MISSING_COST
    tones: np.ndarray  # (readings, 12) bool: chord tones
    priors: np.ndarray  # (readings,)
    moves: np.ndarray  # (from, to): MOVE_WEIGHT x log P(root motion, to family | from family)


def _readings() -> _Readings:
    roots, names, weights, required, tones, priors = [], [], [], [], [], []
    for quality, tensions in TENSIONS.items():
        for root in range(12):
            steps = QUALITIES[quality].tones
            row = np.full(12, -OUTSIDE_COST)
            row[[(root + t) % 12 for t in tensions]] = TENSION_CREDIT
            row[[(root + t) % 12 for t in steps]] = 1.0
            need = np.zeros(12)
            need[[(root + t) % 12 for t in steps if t not in (0, 7)]] = 1.0
            roots.append(root)
            names.append(quality)
            weights.append(row)
            required.append(need)
            tones.append(row == 1.0)
            priors.append(PRIOR_WEIGHT * np.log(QUALITY_SHARES[quality]))
    return _Readings(
        np.array(roots),
        tuple(names),
        np.array(weights),
        np.array(required),
        np.array(tones),
        np.array(priors),
        _move_scores(np.array(roots), names),
    )


def _move_scores(roots: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(from, to) reading: MOVE_WEIGHT x the log probability of the move in CHORD_MOVES, each
    family's counts smoothed towards the motions' shares over every family."""
    families = list(FAMILIES)
    counts = np.zeros((len(families), 12, len(families)))
    for start, row in CHORD_MOVES.items():
        for end, motions in row.items():
            counts[families.index(start), :, families.index(end)] = motions
    pooled = (counts.sum(axis=0) + 1) / (counts.sum() + counts[0].size)  # (motion, to family)
    probability = (counts + MOVE_SMOOTHING * pooled) / (
        counts.sum(axis=(1, 2), keepdims=True) + MOVE_SMOOTHING
    )
    group = np.array([families.index(family(name)) for name in names])
    motion = (roots[None, :] - roots[:, None]) % 12
    return MOVE_WEIGHT * np.log(probability)[group[:, None], motion, group[None, :]]


def estimate_chords(accompaniment: Accompaniment, starts: tuple[int, ...]) -> tuple[Chord, ...]:
    """Chord spans over the bars whose start ticks (and end tick) are starts."""
    readings = _readings()
    accompaniment = _anticipations_moved(accompaniment, starts)
    spans, scores = [], []
    for start, end in zip(starts, starts[1:]):
        for span, score in _bar_segments(accompaniment, readings, start, end):
            spans.append(span)
            scores.append(score)
    holds = [not _comp_moves(accompaniment, a, b) for a, b in zip(spans, spans[1:])]
    for index, held in enumerate(holds, start=1):  # under a held comp the bass walks on
        if held:
            first = _first_bass_root(accompaniment, readings, *spans[index])
            scores[index] = scores[index] - (1 - HELD_BASS) * BASS_FIRST * first
    chosen = _minor_twos(_best_path(spans, scores, holds, readings), spans, accompaniment, readings)
    chords = [
        make_chord(NOTE_NAMES[readings.roots[row]] + readings.names[row], start, end - start)
        for (start, end), row in zip(spans, chosen)
    ]
    return tuple(_with_slash(chord, accompaniment) for chord in merge_repeats(chords))


def _anticipations_moved(acc: Accompaniment, starts: tuple[int, ...]) -> Accompaniment:
    """acc with each note struck up to ANTICIPATION ticks before a bar or half bar and held over
    it moved to start there: a pushed chord belongs to the bar it is pushed into."""
    bounds = np.array(
        sorted({t for a, b in zip(starts, starts[1:]) for t in (a, (a + b) // 2)} | {starts[-1]})
    )
    following = bounds[np.minimum(np.searchsorted(bounds, acc.onsets, side="right"), len(bounds) - 1)]
    pushed = (following > acc.onsets) & (following - acc.onsets <= ANTICIPATION) & (acc.ends > following)
    return replace(acc, onsets=np.where(pushed, following, acc.onsets))


def _bar_segments(acc: Accompaniment, readings: _Readings, start: int, end: int):
    """[(span, scores of every reading)] for the bar: whole, or halved where its halves read better."""
    whole = _scores(acc, readings, start, end)
    length = end - start
    if length % (2 * TICKS_PER_BEAT) or length < 2 * TICKS_PER_BEAT:
        return [((start, end), whole)] if whole is not None else []
    middle = start + length // 2
    halves = [_scores(acc, readings, start, middle), _scores(acc, readings, middle, end)]
    if whole is None:
        return [(span, s) for span, s in zip([(start, middle), (middle, end)], halves) if s is not None]
    if any(h is None for h in halves):
        return [((start, end), whole)]
    best = [int(np.argmax(h)) for h in halves]
    moved = _comp_moves(acc, (start, middle), (middle, end))
    if moved and best[0] != best[1] and (halves[0].max() + halves[1].max()) / 2 > whole.max() + SPLIT_MARGIN:
        return [((start, middle), halves[0]), ((middle, end), halves[1])]
    return [((start, end), whole)]


def _comp_moves(acc: Accompaniment, first, second) -> bool:
    """Whether the comp (the parts but the bass) changes its pitch classes between two spans."""
    a, b = (_profile(acc, *span, comp_only=True) for span in (first, second))
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return norms == 0 or float(a @ b) / norms < SAME_COMP


def _profile(acc: Accompaniment, start: int, end: int, comp_only: bool = False) -> np.ndarray:
    """Weighted ticks each pitch class sounds in [start, end), of every part or of all but the bass."""
    overlap = np.clip(np.minimum(acc.ends, end) - np.maximum(acc.onsets, start), 0, None)
    sounding = overlap > 0
    if comp_only and acc.bass is not None:
        sounding &= ~acc.bass
    return np.bincount(acc.pitches[sounding] % 12, weights=(overlap * acc.weights)[sounding], minlength=12)


def _scores(acc: Accompaniment, readings: _Readings, start: int, end: int) -> np.ndarray | None:
    """The score of every reading of [start, end), or None where too little sounds. The quality is
    judged on the comp (a walking bass's passing notes are no chord tones); the root's presence on
    every part."""
    everything = _profile(acc, start, end)
    if everything.sum() < MIN_SOUNDING * TICKS_PER_BEAT:
        return None
    comp = _profile(acc, start, end, comp_only=True)
    share = comp / comp.sum() if comp.sum() > 0 else everything / everything.sum()  # (12,)
    silent = share < PRESENT
    scores = readings.weights @ share - MISSING_COST * (readings.required @ silent) + readings.priors
    root_silent = (everything / everything.sum()) < PRESENT
    scores -= ROOTLESS_COST * root_silent[readings.roots]
    overlap = np.clip(np.minimum(acc.ends, end) - np.maximum(acc.onsets, start), 0, None)
    return scores + _bass_scores(acc, readings, start, end, overlap)


def _bass_scores(acc: Accompaniment, readings: _Readings, start, end, overlap) -> np.ndarray:
    """The bass's say in each reading: a bass part's first note and share, else the low comp notes."""
    in_bass = (overlap > 0) & acc.bass if acc.bass is not None else np.zeros(len(overlap), bool)
    if not in_bass.any():
        sounding = overlap > 0
        low = sounding & (acc.pitches <= acc.pitches[sounding].min() + BASS_SPAN)
        lows = np.bincount(acc.pitches[low] % 12, weights=overlap[low], minlength=12)
        return LOW_NOTE_WEIGHT * (lows / lows.sum())[readings.roots]
    bass = np.bincount(acc.pitches[in_bass] % 12, weights=overlap[in_bass], minlength=12)
    first = np.zeros(12)
    first[_first_bass(acc, in_bass, start)] = 1.0
    on_root = BASS_FIRST * first + BASS_SHARE * bass / bass.sum()  # (12,)
    fifths = (readings.roots + 7) % 12
    has_fifth = readings.tones[np.arange(len(fifths)), fifths]
    scores = on_root[readings.roots] + BASS_FIFTH * on_root[fifths] * has_fifth
    held = np.flatnonzero(bass)
    if len(held) == 1:  # one pitch class all through: a chord tone of a slash chord
        slash = readings.tones[:, held[0]] & (readings.roots != held[0])
        scores = np.where(slash, SLASH_SHARE * on_root[held[0]], scores)
    return scores


def _first_bass_root(acc: Accompaniment, readings: _Readings, start: int, end: int) -> np.ndarray:
    """(readings,) 1 where the reading's root is the bass part's note on the first beat of [start, end)."""
    in_bass = (
        (np.minimum(acc.ends, end) > np.maximum(acc.onsets, start)) & acc.bass
        if acc.bass is not None
        else None
    )
    if in_bass is None or not in_bass.any():
        return np.zeros(len(readings.roots))
    return (readings.roots == _first_bass(acc, in_bass, start)).astype(float)


def _first_bass(acc: Accompaniment, in_bass: np.ndarray, start: int) -> int:
    """Pitch class of the bass note sounding at start, else of the first one after it."""
    candidates = np.flatnonzero(in_bass)
    at_start = candidates[acc.onsets[candidates] <= start]
    pool = at_start if len(at_start) else candidates
    return int(acc.pitches[pool[np.argmin(np.abs(acc.onsets[pool] - start))]] % 12)


def _best_path(spans, scores, holds: list[bool], readings: _Readings) -> list[int]:
    """The reading of each segment that maximises the scores plus the move scores between
    adjacent segments, and STAY where the comp holds (Viterbi; a silent gap breaks the chain)."""
    chosen, index = [], 0
    while index < len(spans):
        stop = index + 1
        while stop < len(spans) and spans[stop][0] == spans[stop - 1][1]:
            stop += 1
        chosen += _viterbi(np.array(scores[index:stop]), readings.moves, holds[index : stop - 1])
        index = stop
    return chosen


def _minor_twos(chosen: list[int], spans, acc: Accompaniment, readings: _Readings) -> list[int]:
    """chosen with the m7 of a minor ii-V-i read as m7b5 where no part sounds its fifth: shells
    and many rootless voicings leave the fifth out, and a ii a fifth above a dominant that resolves
    to a minor tonic is half-diminished by convention. A minor chord that moves on down a fifth to a
    dominant is itself a ii (Dm7 G7 | Cm7 F7), not a tonic: its ii is left as read."""
    names, roots = readings.names, readings.roots
    find = {(int(r), q): row for row, (r, q) in enumerate(zip(roots, names))}
    out = list(chosen)

    def down_a_fifth(a: int, b: int) -> bool:
        return spans[a][1] == spans[b][0] and (roots[chosen[b]] - roots[chosen[a]]) % 12 == 5

    for i in range(len(chosen) - 2):
        two, five, one = (chosen[i + k] for k in range(3))
        if not (names[two] == "m7" and family(names[five]) == "dominant" and family(names[one]) == "minor"):
            continue
        if not (down_a_fifth(i, i + 1) and down_a_fifth(i + 1, i + 2)):
            continue
        one_is_a_two = (
            i + 3 < len(chosen) and family(names[chosen[i + 3]]) == "dominant" and down_a_fifth(i + 2, i + 3)
        )
        if _sounds(acc, *spans[i], (roots[two] + 7) % 12) or one_is_a_two:
            continue
        out[i] = find[(int(roots[two]), "m7b5")]
    return out


def _sounds(acc: Accompaniment, start: int, end: int, pitch_class: int) -> bool:
    """Whether the comp, or the bass part on its own, sounds pitch_class in [start, end)."""
    parts = [_profile(acc, start, end, comp_only=True)]
    if acc.bass is not None:
        parts.append(_profile(acc, start, end) - parts[0])  # the bass part's own profile
    return any(p.sum() > 0 and p[pitch_class] >= PRESENT * p.sum() for p in parts)


def _viterbi(scores: np.ndarray, bonus: np.ndarray, holds: list[bool]) -> list[int]:
    """Best row per segment: scores (segments, readings), bonus (readings, readings); holds[i]:
    the comp holds between segments i and i + 1."""
    total, back = scores[0], []
    stay = STAY * np.eye(len(bonus))
    for row, held in zip(scores[1:], holds):
        options = total[:, None] + bonus + (stay if held else 0.0)  # (from, to)
        back.append(np.argmax(options, axis=0))
        total = options.max(axis=0) + row
    path = [int(np.argmax(total))]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]


def _with_slash(chord: Chord, acc: Accompaniment) -> Chord:
    """chord over a slash bass where a bass part holds one non-root pitch class all through it."""
    if acc.bass is None:
        return chord
    overlap = np.minimum(acc.ends, chord.end) - np.maximum(acc.onsets, chord.onset)
    held = np.unique(acc.pitches[acc.bass & (overlap > 0)] % 12)
    if len(held) != 1 or held[0] == chord.root:
        return chord
    return make_chord(f"{chord.symbol}/{NOTE_NAMES[held[0]]}", chord.onset, chord.duration)
