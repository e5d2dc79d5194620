"""A rhythm section for a solo's changes: piano comping and a walking bass line, as Note records.

Both work on jazzgen's tick grid (TICKS_PER_BEAT per quarter note) and leave MIDI to
jazzgen.formats.render. Where no chord sounds (no span, or NC) they play nothing.

Comping: each chord gets a four-note rootless voicing (3rd, 5th or 13th, 7th, 9th, the tensions the
symbol names first; a slash chord keeps its root in place of its bass note, which the bass plays)
spread as a drop-2 voicing (a close position with its second voice from the top an octave lower,
about an octave and a half wide) around middle C, choosing the inversion that moves each voice
least from the previous chord. The rhythm alternates a Charleston bar (beat 1, and-of-2)
with a bar on beat 2 and the and-of-3, hits every chord change and anticipates every second change
on a downbeat by an 8th.

Walking bass: one note per beat, the root (or slash bass) on the chord's first beat, chord tones
in between, and a chromatic approach into the next chord's root on the last beat before it.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from itertools import pairwise

from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Note, Solo, TimeSignature

EIGHTH = TICKS_PER_BEAT // 2
COMP_LOW, COMP_HIGH, COMP_CENTER = 48, 76, 62  # C3..E5; voicings sit around middle C
TOP_RUB = 3.0  # semitones of voice motion worth spending to avoid a semitone on top
BASS_LOW, BASS_HIGH, BASS_CENTER = 28, 52, 40  # E1..E3 (sounding pitch)
SCALE_TONE_COST = 0.75  # semitones of detour a walking line takes to land on a chord tone instead

# (offset in the bar, length) in ticks: a Charleston bar and a bar on beat 2 and the and-of-3.
_BAR_PATTERNS = (
    ((0, 16), (3 * EIGHTH, EIGHTH - 1)),
    ((TICKS_PER_BEAT, 10), (5 * EIGHTH, EIGHTH - 1)),
)
_CHANGE_LENGTH, _ANTICIPATION_LENGTH = 16, 3 * EIGHTH
_VELOCITY = {"beat": 64, "offbeat": 58, "anticipation": 70}


# ---------------------------------------------------------------- voicings


def voicing_classes(chord: Chord) -> tuple[int, ...]:
    """Pitch classes of a rootless voicing of chord, low to high in close position: 3rd, 5th or
    13th, 7th (the 6th of a 6 chord), 9th."""
    root = chord.root
    tones = {(pc - root) % 12 for pc in chord.chord_tones}
    scale = {(pc - root) % 12 for pc in chord.scale}
    tensions = sorted({(pc - root) % 12 for pc in chord.pitch_classes} - tones)
    # the chord's own third (or the 4th of a sus chord) before any the scale offers
    third = _first((4, 3, 5, 2), tones) or _first((4, 3, 5, 2), scale)
    seventh_order = (10, 11, 9) if chord.quality in ("sus4", "aug") else (9, 10, 11)
    seventh = _first((10, 11, 9), tones) if tones & {9, 10, 11} else _first(seventh_order, scale)
    ninth = _first([t for t in tensions if t in (1, 2, 3)] + [2, 1, 3], scale | set(tensions))
    dominant = third == 4 and seventh == 10
    colour_order = [t for t in tensions if t in (5, 6, 8, 9)] + ([9, 8] if dominant else []) + [7, 6, 8]
    colour = _first(colour_order, (tones | set(tensions) | (scale if dominant else set())) - {third, seventh})
    steps = []
    for step in (third, colour, seventh, ninth):
        if step is not None and step not in steps:
            steps.append(step)
    if chord.bass is not None and chord.bass != root:
        steps = _over_slash_bass(steps, (chord.bass - root) % 12)
    return tuple((root + step) % 12 for step in steps)


def _over_slash_bass(steps: list[int], bass: int) -> list[int]:
    """A slash chord's voicing keeps its root, which its bass does not play (C/E: C G A D over E,
    where a rootless C6/9 over E would sound as Em11): the root takes the place of the bass's own
    tone where the voicing holds it, else of the 9th on top."""
    at = steps.index(bass) if bass in steps else len(steps) - 1
    return steps[:at] + [0] + steps[at + 1 :]


def _first(order, *allowed: set[int]) -> int | None:
    pool = set().union(*allowed)
    return next((step for step in order if step in pool), None)


def voice_chord(classes: tuple[int, ...], previous: tuple[int, ...] | None) -> tuple[int, ...]:
    """MIDI pitches for classes, a drop-2 voicing between COMP_LOW and COMP_HIGH, that moves
    least from previous (sum of semitones per voice), stay near COMP_CENTER and have no semitone
    between the top two voices."""
    best, best_cost = None, float("inf")
    for pitches in _placements(classes):
        cost = _drift(pitches) + _rub(pitches) + (_motion(pitches, previous) if previous else 0.0)
        if cost < best_cost:
            best, best_cost = pitches, cost
    return best


def _placements(classes: tuple[int, ...]):
    """Every drop-2 placement of classes in the comping register: a close position (all voices
    within an octave) with its second voice from the top dropped an octave."""
    for bottom in range(COMP_LOW - 12, COMP_HIGH + 1):
        if bottom % 12 not in classes:
            continue
        close = sorted(bottom + (pc - bottom) % 12 for pc in classes)  # each class above the bottom
        dropped = tuple(sorted(close[:-2] + [close[-2] - 12] + close[-1:]))
        if COMP_LOW <= dropped[0] and dropped[-1] <= COMP_HIGH:
            yield dropped


def _drift(pitches: tuple[int, ...]) -> float:
    """Penalty for leaving the middle of the register (semitones beyond 3 from COMP_CENTER)."""
    mean = sum(pitches) / len(pitches)
    return 0.5 * max(0.0, abs(mean - COMP_CENTER) - 3)


def _rub(pitches: tuple[int, ...]) -> float:
    """Penalty for a semitone between the top two voices, which sounds like a wrong note on top."""
    return TOP_RUB if pitches[-1] - pitches[-2] == 1 else 0.0


def _motion(pitches: tuple[int, ...], previous: tuple[int, ...]) -> float:
    """Semitones moved, each voice to the nearest voice of the previous chord (voice counts may differ)."""
    return float(sum(min(abs(p - q) for q in previous) for p in pitches))


def chord_voicings(chords: tuple[Chord, ...]) -> dict[int, tuple[int, ...]]:
    """Voiced pitches of every chord span (keyed by onset), voice-led in order; NC spans left out."""
    voicings, previous = {}, None
    for chord in chords:
        if chord.is_nc:
            continue
        previous = voice_chord(voicing_classes(chord), previous)
        voicings[chord.onset] = previous
    return voicings


# ---------------------------------------------------------------- comping rhythm


def comp_notes(solo: Solo) -> tuple[Note, ...]:
    """The piano part: voiced chords on the comping rhythm, sorted by onset then pitch."""
    return _comp_over(solo.chords, solo.meter, solo.bars)


@lru_cache(maxsize=8)  # generate -n 16 writes sixteen solos over the same changes
def _comp_over(chords: tuple[Chord, ...], meter: tuple[TimeSignature, ...], bars: int) -> tuple[Note, ...]:
    solo = Solo((), chords, meter, bars)
    voicings = chord_voicings(solo.chords)
    hits = _comp_hits(solo)
    notes = []
    for (tick, kind, chord), following in zip(hits, [h[0] for h in hits[1:]] + [solo.end]):
        length = _CHANGE_LENGTH if tick == chord.onset else _hit_length(solo, tick)
        if kind == "anticipation":
            length = _ANTICIPATION_LENGTH
        duration = min(length, following - tick, solo.end - tick, max(chord.end - tick, 1))
        notes += [Note(tick, duration, pitch, _VELOCITY[kind]) for pitch in voicings[chord.onset]]
    return tuple(sorted(notes, key=lambda n: (n.onset, n.pitch)))


def _comp_hits(solo: Solo) -> list[tuple[int, str, Chord]]:
    """(tick, 'beat' | 'offbeat' | 'anticipation', chord) for every comping hit, sorted by tick."""
    ticks = set(_pattern_ticks(solo)) | {c.onset for c in solo.chords if not c.is_nc}
    anticipated = _anticipated_changes(solo)
    for chord in anticipated:
        ticks -= set(range(chord.onset - EIGHTH, chord.onset + TICKS_PER_BEAT))
    hits = [(chord.onset - EIGHTH, "anticipation", chord) for chord in anticipated]
    for tick in ticks:
        chord = solo.chord_at(tick)
        if chord is not None and not chord.is_nc:
            hits.append((tick, "beat" if tick % TICKS_PER_BEAT == 0 else "offbeat", chord))
    return sorted(hits, key=lambda hit: hit[0])


def _pattern_ticks(solo: Solo):
    starts = solo.bar_starts
    for bar, (start, end) in enumerate(pairwise(starts)):
        for offset, _ in _BAR_PATTERNS[bar % 2]:
            if start + offset < end:
                yield start + offset


def _hit_length(solo: Solo, tick: int) -> int:
    """Ticks a pattern hit at tick sounds (a short off-beat stab where no pattern says otherwise)."""
    bar = bisect_right(solo.bar_starts, tick) - 1
    lengths = dict(_BAR_PATTERNS[bar % 2])
    return lengths.get(tick - solo.bar_starts[bar], TICKS_PER_BEAT - 2)


def _anticipated_changes(solo: Solo) -> list[Chord]:
    """Every second chord change that lands on a downbeat right after another chord."""
    downbeats = set(solo.bar_starts[1:-1])
    changes = [
        chord
        for previous, chord in zip(solo.chords, solo.chords[1:])
        if chord.onset in downbeats
        and previous.end == chord.onset
        and not previous.is_nc
        and not chord.is_nc
        and previous.duration > TICKS_PER_BEAT
    ]
    return changes[1::2]


# ---------------------------------------------------------------- walking bass


def walking_bass(solo: Solo) -> tuple[Note, ...]:
    """One bass note per beat (TICKS_PER_BEAT) wherever a chord sounds."""
    return _bass_over(solo.chords, solo.meter, solo.bars)


@lru_cache(maxsize=8)
def _bass_over(chords: tuple[Chord, ...], meter: tuple[TimeSignature, ...], bars: int) -> tuple[Note, ...]:
    solo = Solo((), chords, meter, bars)
    segments = _bass_segments(solo)
    notes, previous = [], BASS_CENTER
    for index, (ticks, chord, target) in enumerate(segments):
        following = segments[index + 1] if index + 1 < len(segments) else None
        next_target = None
        if following is not None and following[0][0] == ticks[-1] + TICKS_PER_BEAT:
            next_target = following[2]
        pitches = _walk(len(ticks), chord, target, next_target, previous)
        for tick, pitch in zip(ticks, pitches):
            notes.append(Note(tick, TICKS_PER_BEAT - 1, pitch, 88 if tick in solo.bar_starts else 80))
        previous = pitches[-1]
    ends = [n.onset for n in notes[1:]] + [solo.end]  # a short last beat (5/8) ends at the next note
    return tuple(
        Note(n.onset, min(n.duration, end - n.onset), n.pitch, n.velocity) for n, end in zip(notes, ends)
    )


def _bass_segments(solo: Solo) -> list[tuple[list[int], Chord, int]]:
    """Beats grouped by chord and bar: (beat ticks, chord, target pitch class of the first beat)."""
    segments, repeats = [], {}
    starts = solo.bar_starts
    for start, end in pairwise(starts):
        for tick in range(start, end, TICKS_PER_BEAT):
            chord = solo.chord_at(tick)
            if chord is None or chord.is_nc:
                continue
            last = segments[-1] if segments else None
            if last and last[1] is chord and tick != start and last[0][-1] == tick - TICKS_PER_BEAT:
                last[0].append(tick)
                continue
            repeats[chord.onset] = repeats.get(chord.onset, -1) + 1
            segments.append(([tick], chord, _segment_target(chord, repeats[chord.onset])))
    return segments


def _segment_target(chord: Chord, repeat: int) -> int:
    """The chord's bass note on its first bar, then the fifth and root in turn."""
    if repeat == 0:
        return chord.bass if chord.bass is not None else chord.root
    if repeat % 2:
        fifth = _first((7, 6, 8), {(pc - chord.root) % 12 for pc in chord.chord_tones})
        return (chord.root + (fifth if fifth is not None else 0)) % 12
    return chord.root


def _walk(beats: int, chord: Chord, target: int, next_target: int | None, previous: int) -> list[int]:
    """Pitches for beats: target first, chord and scale tones toward the next target, then a
    chromatic approach into it from the side the line arrives on."""
    line = [_nearest(target, previous)]
    goal = _nearest(next_target, line[0]) if next_target is not None and beats > 1 else None
    aim = goal if goal is not None else line[0] + 7
    while len(line) < beats - (goal is not None):
        line.append(_step_toward(line[-1], aim, beats - len(line), chord))
    if goal is not None:
        below, above = goal - 1, goal + 1
        arrives_from_above = line[-1] > goal
        approach = above if arrives_from_above else below
        line.append(approach if approach != line[-1] else (below if arrives_from_above else above))
    return line


def _nearest(pc: int, pitch: int) -> int:
    """The pitch of class pc in the bass register nearest to pitch, pulled toward BASS_CENTER."""
    options = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 == pc]
    return min(options, key=lambda p: abs(p - pitch) + 0.25 * abs(p - BASS_CENTER))


def _step_toward(current: int, aim: int, beats_left: int, chord: Chord) -> int:
    """The chord or scale tone (neither current nor aim) whose interval from current is closest to
    an even share of the way to aim over beats_left beats; chord tones are preferred."""
    ideal = (aim - current) / beats_left
    options = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 in chord.scale | chord.chord_tones]
    options = [p for p in options if p not in (current, aim)]

    def cost(pitch: int) -> float:
        return abs((pitch - current) - ideal) + (0 if pitch % 12 in chord.chord_tones else SCALE_TONE_COST)

    return min(options, key=lambda p: (cost(p), abs(p - BASS_CENTER)))
