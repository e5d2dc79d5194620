"""Writing a Solo as a MusicXML 4.0 lead sheet, as the player of a given instrument reads it.

Takes a Solo (notes and chord spans on the TICKS_PER_BEAT grid, meter, bars, tempo) and gives
partwise MusicXML text: one part, <divisions> TICKS_PER_BEAT (so a tick is one division), the
Solo's bars and time-signature changes, a key signature, a metronome mark with <sound tempo>,
the chord symbols as <harmony> at their onsets (an <offset> where a chord changes under a held
note, N.C. where the changes stop before the solo does), and notes and rests that fill every
measure. Built with xml.etree: music21 is never imported here (it takes seconds).

A note is cut where the next one starts (one voice), and at the solo's last bar line. The line is
split into measures and note values (ties, tuplets) by jazzgen.formats.musicxml.rhythm; the key
signature and the spelling of notes and chord roots come from jazzgen.formats.musicxml.spelling,
the <harmony> elements from jazzgen.formats.musicxml.harmony.

Transposition: transpose_for moves notes, key and chord symbols by the instrument's interval
(tenor sax a major ninth up, alto sax a major sixth up, trumpet and clarinet in Bb a major second
up) and writes a <transpose> element saying how to get back to concert pitch.

Not written: beams, stems, <accidental> marks and dynamics (notation programs derive the first
three from the notes), grouping of compound meters (6/8 is beamed by the program).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import BinaryIO

from jazzgen.errors import UsageError
from jazzgen.files.fileio import write_bytes_atomic
from jazzgen.formats.musicxml.elements import sub
from jazzgen.formats.musicxml.harmony import chord_marks
from jazzgen.formats.musicxml.rhythm import Piece, Ratio, cut_at_bar_lines, note_values
from jazzgen.formats.musicxml.spelling import (
    LETTERS,
    NATURAL,
    SpellingContext,
    chord_contexts,
    spelled_pitch,
    tonic_context,
    written_key,
)
from jazzgen.music.instruments import program_name, program_number
from jazzgen.music.solo import TICKS_PER_BEAT, Solo, TimeSignature

DOCTYPE = (
    '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" '
    '"http://www.musicxml.org/dtds/partwise.dtd">'
)
LOW_CLEF_MEDIAN = 55  # a written line whose median pitch is below G3 gets the bass clef


@dataclass(frozen=True)
class Transposition:
    """How a player's part is written: semitones above concert pitch, the same interval in
    letter steps, and what it adds to the key signature's fifths."""

    semitones: int
    steps: int
    fifths: int


TRANSPOSITIONS = {
    "concert": Transposition(0, 0, 0),
    "tenor": Transposition(14, 8, 2),  # Bb tenor sax: a major ninth up
    "alto": Transposition(9, 5, 3),  # Eb alto sax: a major sixth up
    "trumpet": Transposition(2, 1, 2),  # Bb trumpet: a major second up
    "clarinet": Transposition(2, 1, 2),  # Bb clarinet: a major second up
}


def write_musicxml(
    solo: Solo,
    path_or_file: str | Path | BinaryIO,
    *,
    transpose_for: str = "concert",
    instrument: str | int = "tenor sax",
) -> None:
    """Write solo as a MusicXML lead sheet to a path (atomically) or a binary file object.

    transpose_for: one of TRANSPOSITIONS, the player the part is written for; instrument: the GM
    name or program number the part is named after and plays back with."""
    data = musicxml_text(solo, transpose_for=transpose_for, instrument=instrument).encode("utf-8")
    if hasattr(path_or_file, "write"):
        path_or_file.write(data)
        return
    write_bytes_atomic(path_or_file, data)


def musicxml_text(solo: Solo, *, transpose_for: str = "concert", instrument: str | int = "tenor sax") -> str:
    """The MusicXML document write_musicxml writes."""
    if transpose_for not in TRANSPOSITIONS:
        raise UsageError(f"transpose_for {transpose_for!r}: choose one of {', '.join(TRANSPOSITIONS)}")
    root = ET.Element("score-partwise", version="4.0")
    sub(sub(root, "work"), "work-title", solo.title or "jazzgen solo")
    sub(sub(sub(root, "identification"), "encoding"), "software", "jazzgen")
    _part_list(root, program_number(instrument))
    _part(ET.SubElement(root, "part", id="P1"), solo, TRANSPOSITIONS[transpose_for])
    ET.indent(root, "  ")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n{ET.tostring(root, encoding="unicode")}\n'


def _part_list(root: ET.Element, program: int) -> None:
    part = sub(sub(root, "part-list"), "score-part", id="P1")
    sub(part, "part-name", program_name(program))
    sub(sub(part, "score-instrument", id="P1-I1"), "instrument-name", program_name(program))
    midi = sub(part, "midi-instrument", id="P1-I1")
    sub(midi, "midi-channel", 1)
    sub(midi, "midi-program", program + 1)  # MusicXML counts programs from 1


def _part(part: ET.Element, solo: Solo, transposition: Transposition) -> None:
    """Every measure of the part: attributes where the meter changes, harmonies, notes, rests."""
    key = written_key(solo, transposition.fifths)
    contexts = chord_contexts(solo, transposition.semitones, key_sharp=key[0] > 0)
    line = _solo_line(solo, transposition.semitones, contexts, tonic_context(*key))
    marks = deque(chord_marks(solo, transposition.semitones, contexts))  # (tick, <harmony>), in time order
    signatures = {ts.bar: ts for ts in solo.meter}
    clef = _clef(line)
    starts = solo.bar_starts
    for bar, pieces in enumerate(cut_at_bar_lines(line, starts)):
        measure = sub(part, "measure", number=bar + 1)
        if bar in signatures:
            _attributes(measure, signatures[bar], key, clef, transposition, first_bar=bar == 0)
        if bar == 0:
            _tempo(measure, solo.tempo)
        for piece in note_values(pieces, starts[bar + 1] - starts[bar]):
            _place_marks(measure, marks, starts[bar] + piece.start, piece.ticks)
            _note(measure, piece)
    sub(sub(measure, "barline", location="right"), "bar-style", "light-heavy")


def _place_marks(measure: ET.Element, marks: deque, begin: int, ticks: int) -> None:
    """Move the marks that fall in [begin, begin + ticks) (ticks from bar 1) into measure, before
    the note or rest that starts at begin; one inside it gets an <offset>."""
    while marks and marks[0][0] < begin + ticks:
        tick, element = marks.popleft()
        if tick > begin:
            sub(element, "offset", tick - begin)
        measure.append(element)


def _attributes(
    measure: ET.Element,
    ts: TimeSignature,
    key: tuple[int, str],
    clef: tuple[str, int],
    transposition: Transposition,
    first_bar: bool,
) -> None:
    """<attributes> of bar 1 (divisions, key, time, clef, transpose) or of a meter change (time)."""
    attributes = sub(measure, "attributes")
    if first_bar:
        sub(attributes, "divisions", TICKS_PER_BEAT)
        key_element = sub(attributes, "key")
        sub(key_element, "fifths", key[0])
        sub(key_element, "mode", key[1])
    time = sub(attributes, "time")
    sub(time, "beats", ts.numerator)
    sub(time, "beat-type", ts.denominator)
    if first_bar:
        clef_element = sub(attributes, "clef")
        sub(clef_element, "sign", clef[0])
        sub(clef_element, "line", clef[1])
    if first_bar and transposition.semitones:
        _transpose(attributes, transposition)


def _transpose(attributes: ET.Element, transposition: Transposition) -> None:
    """<transpose>: what to add to the written pitch to hear concert pitch."""
    transpose = sub(attributes, "transpose")
    sub(transpose, "diatonic", -(transposition.steps % 7))
    sub(transpose, "chromatic", -(transposition.semitones % 12))
    if transposition.semitones >= 12:
        sub(transpose, "octave-change", -(transposition.semitones // 12))


def _tempo(measure: ET.Element, tempo: float) -> None:
    bpm = f"{round(tempo, 2):g}"
    direction = sub(measure, "direction", placement="above")
    metronome = sub(sub(direction, "direction-type"), "metronome")
    sub(metronome, "beat-unit", "quarter")
    sub(metronome, "per-minute", bpm)
    sub(direction, "sound", tempo=bpm)


def _clef(line: list[Piece]) -> tuple[str, int]:
    """(sign, line) of the clef: treble, or bass for a written line whose median is below G3."""
    spelled = [piece.pitch for piece in line if piece.pitch is not None]
    midi = [12 * (octave + 1) + NATURAL[letter] + alter for letter, alter, octave in spelled]
    return ("F", 4) if midi and median(midi) < LOW_CLEF_MEDIAN else ("G", 2)


def _solo_line(
    solo: Solo, semitones: int, contexts: dict[int, SpellingContext], tonic: SpellingContext
) -> list[Piece]:
    """The solo as notes and rests filling [0, solo.end), starts in ticks from bar 1, spelled over
    the chord sounding at each onset (contexts by chord onset), else over the key's tonic."""
    line, now = [], 0
    for note, following in zip(solo.notes, solo.notes[1:] + (None,)):
        end = min(note.end, following.onset if following is not None else solo.end, solo.end)
        if note.onset > now:
            line.append(Piece(now, note.onset - now, None))
        chord = solo.chord_at(note.onset)
        context = contexts.get(chord.onset, tonic) if chord is not None else tonic
        line.append(Piece(note.onset, end - note.onset, spelled_pitch(note.pitch + semitones, context)))
        now = end
    if now < solo.end:
        line.append(Piece(now, solo.end - now, None))
    return line


def _note(measure: ET.Element, piece: Piece) -> None:
    """<note> of a note value or a rest: pitch, duration, ties, type, dots, tuplet."""
    note = sub(measure, "note")
    _pitch_or_rest(note, piece)
    sub(note, "duration", piece.ticks)
    ties = [kind for kind, on in (("stop", piece.tie_in), ("start", piece.tie_out)) if on]
    for kind in ties:
        sub(note, "tie", type=kind)
    sub(note, "voice", 1)
    if piece.note_type != "measure":
        sub(note, "type", piece.note_type)
    for _ in range(piece.dots):
        sub(note, "dot")
    if piece.ratio:
        _time_modification(note, piece.ratio)
    if ties or piece.bracket:
        notations = sub(note, "notations")
        for kind in ties:
            sub(notations, "tied", type=kind)
        if piece.bracket:
            sub(notations, "tuplet", type=piece.bracket, bracket="yes")


def _pitch_or_rest(note: ET.Element, piece: Piece) -> None:
    if piece.pitch is None:
        sub(note, "rest", **({"measure": "yes"} if piece.note_type == "measure" else {}))
        return
    letter, alter, octave = piece.pitch
    pitch = sub(note, "pitch")
    sub(pitch, "step", LETTERS[letter])
    if alter:
        sub(pitch, "alter", alter)
    sub(pitch, "octave", octave)


def _time_modification(note: ET.Element, ratio: Ratio) -> None:
    modification = sub(note, "time-modification")
    sub(modification, "actual-notes", ratio[0])
    sub(modification, "normal-notes", ratio[1])
