"""Write jazzgen's own example lead sheets to data/midi/ as MIDI files.

Three short original lines, composed for this project: a 12-bar blues in F, a ii-V-I line in Bb
and a waltz in A minor (3/4). Each file has a "Melody" track, a piano "Comp" track and the chord
symbols as marker events, which jazzgen's MIDI reader turns back into chord spans.

    .venv/bin/python data/make_examples.py
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jazzgen.formats.render import write_midi
from jazzgen.music.changes import parse_changes
from jazzgen.music.chords import pitch_class
from jazzgen.music.solo import Note, Solo, TimeSignature

OUT = Path(__file__).resolve().parent / "midi"


@dataclass(frozen=True)
class Example:
    """A lead sheet: changes as '| Dm7 G7 | Cmaj7 |', one melody string per bar."""

    file_name: str
    title: str
    changes: str
    bars: tuple[str, ...]
    beats_per_bar: int = 4
    tempo: float = 140.0
    instrument: str = "tenor sax"


# Each bar: 'pitch:ticks' or 'r:ticks' for a rest, 12 ticks to a quarter note (6 = 8th, 4 = triplet 8th).
EXAMPLES = (
    Example(
        "blues_in_f.mid",
        "Blues for Twelve Ticks",
        "| F7 | Bb7 | F7 | Cm7 F7 | Bb7 | Bdim7 | F7 | D7alt | Gm7 | C7 | F7 D7 | Gm7 C7 |",
        (
            "r:12 A4:6 C5:6 Eb5:6 D5:6 C5:6 A4:6",
            "Ab4:12 F4:6 D4:6 F4:4 Ab4:4 C5:4 Bb4:12",
            "A4:18 r:6 C5:6 Db5:6 D5:6 F5:6",
            "Eb5:6 D5:6 C5:6 Bb4:6 A4:6 C5:6 Eb5:6 Gb5:6",
            "F5:12 D5:6 Bb4:6 Ab4:6 F4:6 D4:12",
            "r:6 F4:6 Ab4:6 B4:6 D5:12 C5:6 B4:6",
            "C5:6 A4:6 r:6 F4:6 G4:6 A4:6 Bb4:6 B4:6",
            "C5:6 Bb4:6 Ab4:6 F#4:6 Eb4:4 F#4:4 Bb4:4 C5:12",
            "Bb4:6 A4:6 G4:6 F4:6 E4:6 G4:6 Bb4:6 D5:6",
            "C5:6 Bb4:6 A4:6 G4:6 E4:6 G4:6 Bb4:6 Db5:6",
            "C5:12 A4:6 F4:6 F#4:6 A4:6 C5:6 Eb5:6",
            "D5:6 Bb4:6 G4:6 F4:6 E4:12 r:12",
        ),
        tempo=132.0,
    ),
    Example(
        "ii_v_i_in_bb.mid",
        "Two-Five Homework",
        "| Cm7 | F7 | Bbmaj7 | Bbmaj7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Bb6 |",
        (
            "r:6 G4:6 Bb4:6 D5:6 Eb5:6 D5:6 C5:6 Bb4:6",
            "A4:6 C5:6 Eb5:6 Gb5:6 F5:6 Eb5:6 D5:4 C5:4 B4:4",
            "Bb4:12 A4:6 F4:6 D4:6 F4:6 A4:6 C5:6",
            "D5:18 r:30",
            "r:6 Eb5:6 D5:6 C5:6 A4:6 C5:6 Eb5:6 Db5:6",
            "C5:6 A4:6 F4:6 D4:6 F4:4 G4:4 Ab4:4 B4:12",
            "C5:6 D5:6 Eb5:6 G5:6 F5:6 Eb5:6 C5:6 A4:6",
            "Bb4:12 G4:6 F4:6 D4:24",
        ),
        tempo=160.0,
        instrument="trumpet",
    ),
    Example(
        "waltz_in_a_minor.mid",
        "Waltz on the Grid",
        "| Dm7 | G7 | Cmaj7 | Fmaj7 | Bm7b5 | E7 | Am7 | Am7 |",
        (
            "A4:12 C5:6 E5:6 D5:12",
            "B4:18 D5:6 F5:6 E5:6",
            "E5:24 r:12",
            "r:6 C5:6 A4:6 F4:6 G4:6 A4:6",
            "D5:12 F5:6 A5:6 G5:6 F5:6",
            "E5:6 D5:6 B4:6 G#4:6 F4:4 E4:4 D4:4",
            "C5:12 B4:6 A4:6 G4:6 E4:6",
            "A4:24 r:12",
        ),
        beats_per_bar=3,
        tempo=150.0,
        instrument="vibraphone",
    ),
)


def midi_pitch(name: str) -> int:
    """'Eb5' -> 75 (C4 = 60)."""
    return pitch_class(name[:-1]) + 12 * (int(name[-1]) + 1)


def melody(example: Example, bar_ticks: int) -> list[tuple[int, int, int]]:
    """(pitch, onset ticks, duration ticks) of every note, checking that each bar adds up."""
    notes, tick = [], 0
    for number, bar in enumerate(example.bars, start=1):
        start = tick
        for item in bar.split():
            name, ticks = item.split(":")
            if name != "r":
                notes.append((midi_pitch(name), tick, int(ticks)))
            tick += int(ticks)
        if tick - start != bar_ticks:
            raise ValueError(f"{example.file_name}: bar {number} lasts {tick - start} ticks, not {bar_ticks}")
    return notes


def example_solo(example: Example) -> Solo:
    meter = (TimeSignature(0, example.beats_per_bar, 4),)
    chords, bars = parse_changes(example.changes, meter)
    if bars != len(example.bars):
        raise ValueError(f"{example.file_name}: {bars} bars of changes, {len(example.bars)} of melody")
    line = melody(example, meter[0].bar_ticks)
    notes = tuple(Note(onset, duration, pitch) for pitch, onset, duration in line)
    return Solo(notes, chords, meter, bars, example.tempo, source=example.file_name, title=example.title)


def main() -> None:
    for example in EXAMPLES:
        solo = example_solo(example)
        write_midi(solo, OUT / example.file_name, instrument=example.instrument, chord_markers=True)
        counts = f"{solo.bars} bars, {len(solo.notes)} notes, {len(solo.chords)} chords"
        print(f"{OUT / example.file_name}: {counts}")


if __name__ == "__main__":
    main()
