"""Reading lead sheets from MusicXML (.musicxml, .xml, .mxl) through music21.

This is the only module that imports music21, and it does so inside read_musicxml because the
import takes seconds. The file is read and checked first (jazzgen.formats.musicxml.archive), so that music21
only ever parses a score of bounded size. Each part with notes becomes one Solo: its notes on
jazzgen's tick grid (quarterLength * TICKS_PER_BEAT, exact for 16ths and triplets), tied notes
merged (in one pass: music21's stripTies takes time growing with the square of the ties), rests
skipped,
simultaneous notes reduced to the top one; chord spans from the part's chord symbols (or, in a
part that has none, from the first part that has some); meter changes where measures carry a new
time signature; the first metronome mark's tempo (120 bpm without one). A pickup measure is
padded at its start to a full bar, so that bar lines fall where the meter says.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from jazzgen.errors import DataError, UsageError
from jazzgen.formats.musicxml.archive import score_text
from jazzgen.music.chords import NOTE_NAMES, make_chord, merge_repeats
from jazzgen.music.solo import (
    TICKS_PER_BEAT,
    Chord,
    Note,
    Solo,
    TimeSignature,
    bar_starts,
    bars_needed,
    check_solo_length,
    monophonic,
)

DEFAULT_TEMPO = 120.0

# MusicXML / music21 chord kinds as jazzgen chord-symbol suffixes (parse_chord reads them).
KIND_SUFFIXES = {
    "major": "",
    "minor": "m",
    "augmented": "aug",
    "diminished": "dim",
    "dominant": "7",
    "dominant-seventh": "7",
    "major-seventh": "maj7",
    "minor-seventh": "m7",
    "minor-major-seventh": "mmaj7",
    "major-minor": "mmaj7",
    "augmented-major-seventh": "+maj7",
    "augmented-seventh": "aug7",
    "half-diminished": "m7b5",
    "half-diminished-seventh": "m7b5",
    "diminished-seventh": "dim7",
    "seventh-flat-five": "7(b5)",
    "major-sixth": "6",
    "minor-sixth": "m6",
    "major-ninth": "maj9",
    "dominant-ninth": "9",
    "minor-ninth": "m9",
    "minor-major-ninth": "mmaj7(9)",
    "augmented-major-ninth": "+maj7(9)",
    "augmented-dominant-ninth": "aug7(9)",
    "half-diminished-ninth": "m7b5(9)",
    "half-diminished-minor-ninth": "m7b5(b9)",
    "diminished-ninth": "dim7(9)",
    "diminished-minor-ninth": "dim7(b9)",
    "dominant-11th": "11",
    "major-11th": "maj7(9,11)",
    "minor-11th": "m11",
    "minor-major-11th": "mmaj7(9,11)",
    "augmented-major-11th": "+maj7(9,11)",
    "augmented-11th": "aug7(9,11)",
    "half-diminished-11th": "m7b5(9,11)",
    "diminished-11th": "dim7(9,11)",
    "dominant-13th": "13",
    "major-13th": "maj7(9,13)",
    "minor-13th": "m7(9,13)",
    "minor-major-13th": "mmaj7(9,13)",
    "augmented-major-13th": "+maj7(9,13)",
    "augmented-dominant-13th": "aug7(9,13)",
    "half-diminished-13th": "m7b5(9,13)",
    "suspended-second": "sus2",
    "suspended-fourth": "sus4",
    "suspended-fourth-seventh": "7sus4",
    "power": "5",
    "pedal": "",
    "Neapolitan": "",
    "Italian": "7",
    "French": "7",
    "German": "7",
    "Tristan": "m7b5",
}
# Scale degrees a chord-symbol <degree> may add or alter, as the tension number jazzgen spells.
_DEGREE_TENSIONS = {2: "9", 4: "11", 5: "5", 6: "13", 9: "9", 11: "11", 13: "13"}


def read_musicxml(path: str | Path | BinaryIO) -> list[Solo]:
    """One Solo per part that has notes, from a MusicXML file (a path, or a file object holding
    MusicXML or an .mxl archive)."""
    score, name = _parse(path)
    parts = list(score.parts) or [score]
    tempo = _tempo(score)
    title = (score.metadata.bestTitle if score.metadata else None) or Path(name).stem
    try:
        shared = next((found for found in (_chord_marks(p) for p in parts) if found), [])
    except DataError as err:
        raise DataError(f"{name}: {err}") from None
    solos = []
    for index, part in enumerate(parts):
        source = name if len(parts) == 1 else f"{name}#{part.partName or index + 1}"
        try:
            solo = _part_solo(part, shared, tempo, source, title)
        except DataError as err:
            raise DataError(f"{source}: {err}") from None
        if solo is not None:
            solos.append(solo)
    if not solos:
        raise DataError(f"{name} holds no notes: a lead sheet needs a melody")
    return solos


def _parse(path):
    """The music21 Score of a path or file object, and a name for messages."""
    is_file_object = hasattr(path, "read")
    name = str(getattr(path, "name", "<MusicXML data>") if is_file_object else path)
    if not is_file_object and not Path(path).is_file():
        raise UsageError(f"MusicXML file {path} not found")
    text = score_text(path, name)
    from music21 import converter

    try:
        score = converter.parseData(text, format="musicxml")
    except Exception as err:
        raise DataError(f"cannot read {name} as MusicXML: {type(err).__name__}: {err}") from None
    if not is_file_object and score.metadata is not None and score.metadata.movementName is None:
        score.metadata.movementName = Path(name).name  # what music21 does when it opens the path itself
    return score, name


def _tempo(score) -> float:
    from music21 import tempo

    for mark in score.flatten().getElementsByClass(tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm and 10 <= bpm <= 1000:
            return float(bpm)
    return DEFAULT_TEMPO


def _part_solo(part, shared_marks, tempo: float, source: str, title: str) -> Solo | None:
    from music21 import stream

    measures = list(part.getElementsByClass(stream.Measure))
    meter = _meter(measures)
    pad = _pickup_padding(measures, meter)
    notes = monophonic(_notes(part.flatten(), pad))
    if not notes:
        return None
    check_solo_length(notes[-1].end / TICKS_PER_BEAT, "its notes run to beat {}", "split the score")
    bars = max(len(measures), bars_needed(meter, notes[-1].onset + 1))
    _check_bar_lines(measures, meter, pad, bars)
    end = bar_starts(meter, bars)[-1]
    marks = _chord_marks(part) or shared_marks
    chords = _chord_spans([(tick + pad, symbol) for tick, symbol in marks], end)
    return Solo(
        notes, chords, meter, bars, tempo, source=source, title=title, info=(("part", part.partName or ""),)
    )


def _meter(measures) -> tuple[TimeSignature, ...]:
    """Time signatures by bar (0-based), 4/4 when the first measure names none."""
    meter = []
    for bar, measure in enumerate(measures):
        ts = measure.timeSignature
        if ts is None:
            continue
        if not meter or (meter[-1].numerator, meter[-1].denominator) != (ts.numerator, ts.denominator):
            meter.append(TimeSignature(bar, ts.numerator, ts.denominator))
    if not meter or meter[0].bar != 0:
        meter.insert(0, TimeSignature(0, 4, 4))
    return tuple(meter)


def _pickup_padding(measures, meter) -> int:
    """Ticks missing from a short first measure (an anacrusis), 0 for a full one."""
    if not measures:
        return 0
    length = _ticks(measures[0].duration.quarterLength)
    return max(0, meter[0].bar_ticks - length) if length else 0


def _check_bar_lines(measures, meter, pad: int, bars: int) -> None:
    """Every measure after the first must start where the meter puts its bar line (the last may be short)."""
    starts = bar_starts(meter, bars)
    for bar, measure in enumerate(measures[1:], start=1):
        offset = _ticks(measure.offset) + pad
        if offset != starts[bar]:
            raise DataError(
                f"measure {measure.number} starts at beat {offset / TICKS_PER_BEAT:g}, not at "
                f"{starts[bar] / TICKS_PER_BEAT:g} as its time signature says; fix the measure lengths"
            )


def _notes(flat, pad: int) -> list[Note]:
    """Every pitched note (the top of each chord), rests, grace notes and chord symbols skipped. A
    note that a tie leads into (from a note of its pitch ending where it starts) lengthens that note."""
    merged = []  # [onset, quarterLength, pitch, velocity], in quarter notes
    tied = {}  # (pitch, where it ends) of a note tied on to the next -> its index in merged
    for element in flat.notes:
        top = _top_note(element)
        if top is None:
            continue
        pitch, tie = top
        onset, length = Fraction(element.offset), Fraction(element.duration.quarterLength)
        held = tied.pop((pitch, onset), None)
        if held is not None:
            merged[held][1] += length
        else:
            velocity = element.volume.velocity if element.volume.velocity else 90
            merged.append([onset, length, pitch, velocity])
            held = len(merged) - 1
        if tie in ("start", "continue"):
            tied[(pitch, onset + length)] = held
    return [
        Note(
            _ticks(onset) + pad,
            max(1, _ticks(length)),
            min(max(pitch, 0), 127),
            min(max(int(velocity), 1), 127),
        )
        for onset, length, pitch, velocity in merged
    ]


def _top_note(element) -> tuple[int, str | None] | None:
    """MIDI pitch and tie type ('start', 'continue', 'stop' or None) of a note or of a chord's top
    note; None for chord symbols, grace notes, unpitched notes and empty chords."""
    from music21 import chord, harmony, note

    if isinstance(element, harmony.Harmony) or element.duration.isGrace:
        return None
    if isinstance(element, chord.Chord) and element.pitches:
        element = max(element.notes, key=lambda n: n.pitch.midi)
    if not isinstance(element, note.Note):
        return None
    return element.pitch.midi, element.tie.type if element.tie is not None else None


def _ticks(quarter_length) -> int:
    """quarterLength (a float or Fraction) as ticks, rounded to the grid for tuplets it cannot hold."""
    return round(Fraction(quarter_length).limit_denominator(1000) * TICKS_PER_BEAT)


def _chord_marks(part) -> list[tuple[int, str]]:
    """(tick, jazzgen symbol) of every chord symbol in part, NC for music21's NoChord."""
    from music21 import harmony

    marks = {}
    for symbol in part.flatten().getElementsByClass(harmony.ChordSymbol):
        try:
            marks[_ticks(symbol.offset)] = jazzgen_symbol(symbol)
        except DataError as err:
            raise DataError(f"bar {symbol.measureNumber}: {err}") from None
    return sorted(marks.items())


def jazzgen_symbol(symbol) -> str:
    """A music21 ChordSymbol as text jazzgen.music.chords.parse_chord reads: root, kind, degrees, bass."""
    from music21 import harmony

    if isinstance(symbol, harmony.NoChord) or symbol.root() is None:
        return "NC"
    if symbol.chordKind not in KIND_SUFFIXES:
        kind = symbol.chordKind
        raise DataError(
            f"chord symbol {symbol.figure!r} has kind {kind!r}, which jazzgen does not read; respell it "
            "in the notation program with a standard kind (major-seventh, minor-seventh, dominant, ...)"
        )
    root = symbol.root().pitchClass
    text = NOTE_NAMES[root] + KIND_SUFFIXES[symbol.chordKind]
    tensions = [_tension(m) for m in symbol.getChordStepModifications() if m.modType in ("add", "alter")]
    tensions = [t for t in tensions if t]
    if tensions:
        text += "(" + ",".join(tensions) + ")"
    bass = symbol.bass()
    if bass is not None and bass.pitchClass != root:
        text += "/" + NOTE_NAMES[bass.pitchClass]
    return text


def _tension(modification) -> str | None:
    number = _DEGREE_TENSIONS.get(modification.degree)
    if number is None:
        return None
    shift = modification.interval.semitones if modification.interval is not None else 0
    if number == "5" and not shift:
        return None
    return {-1: "b", 0: "", 1: "#"}.get(int(shift), "") + number


def _chord_spans(marks: list[tuple[int, str]], end: int) -> tuple[Chord, ...]:
    """Each chord symbol sounds until the next one (the last until end); repeats are merged."""
    spans = []
    marks = [(tick, symbol) for tick, symbol in marks if tick < end]
    for (tick, symbol), following in zip(marks, [m[0] for m in marks[1:]] + [end]):
        if following > tick:
            spans.append(make_chord(symbol, tick, following - tick))
    return merge_repeats(spans)
