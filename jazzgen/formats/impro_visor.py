"""Impro-Visor leadsheets (`.ls`): a chord part and melody choruses, as one Solo.

A leadsheet is a run of S-expressions. Lists are settings ((title ...), (meter 4 4), (tempo
160.0), (part (type melody) ...), (section (style ...)) ...); bare words are the music, routed by
their first character whatever part they follow:

- chords: `|` ends a bar; a word starting with an upper-case letter is a chord symbol and `/`
  holds the chord before it, each taking an even share of its bar; an empty bar holds on too.
  Impro-Visor's spellings are read into jazzgen's (CM7 is Cmaj7, Ch7 Cm7b5, C13_ a voicing of
  C13, B\\F7 a polychord over F7); one jazzgen cannot read is an error naming the bar.
- notes: `c`, `eb+`, `f#-` (c alone is middle C; each + or - before the length an octave),
  `r` a rest, then a length in slots of 480 to the whole note: 8 an eighth, 8/3 a triplet eighth,
  dots, and `+` joining lengths (`c+2+4` is an octave up, a half and a quarter long). Notes follow
  each other from the start; `v<n>` sets the velocity of those after it.

The chord part is one chorus; each (part (type melody)) that holds notes is one chorus over it.
Times are kept in jazzgen ticks (a slot is a tenth of a tick: 120 slots a quarter note, 12
ticks); the rare quintuplet lands on the nearest tick.

    solo = read_leadsheet("GiantStepsColtrane.ls")      # every chorus, chords repeated under them
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from jazzgen.errors import DataError
from jazzgen.files.fileio import read_bytes, shown
from jazzgen.music.changes import MAX_BARS
from jazzgen.music.chords import make_chord, parse_chord
from jazzgen.music.solo import (
    TICKS_PER_BEAT,
    Chord,
    Note,
    Solo,
    TimeSignature,
    bars_needed,
    check_solo_length,
    monophonic,
)
from jazzgen.music.tunes import arranged

MAX_FILE_BYTES = 4 * 2**20  # a leadsheet of 104 choruses of Giant Steps is 200 KB
MAX_DEPTH = 32  # nested lists; Impro-Visor's own roadmaps go about 8 deep
SLOTS_PER_TICK = 120 // TICKS_PER_BEAT  # Impro-Visor counts 480 slots to the whole note
DEFAULT_TEMPO = 160.0  # Impro-Visor's, when a sheet names none
DELIMITERS = "()|,[]"

# Impro-Visor chord spellings that jazzgen writes otherwise (after a trailing "_" voicing mark is
# dropped); anything else is tried as written, then by its longest readable start ('7b9sus4' as 7b9).
SPELLINGS = {
    "M": "",
    "h": "m7b5",
    "h7": "m7b5",
    "h9": "m9b5",
    "M6": "6",
    "M69": "69",
    "M69#11": "69#11",
    "m+": "m#5",
    "9+": "9#5",
    "M7+": "maj7#5",
    "mMaj7": "mM7",
    "mM9": "mmaj9",
    "2": "add9",
    "4": "sus4",
    "sus24": "sus4",
    "13sus": "13sus4",
    "Blues": "7",
    "phryg": "m7",
}
NOTE = re.compile(r"([a-g])([#bs]?)([-+u]*)(.*)")


@dataclass
class _Sheet:
    """What a leadsheet says, as it is read."""

    title: str = ""
    meter: tuple[int, int] = (4, 4)
    tempo: float = DEFAULT_TEMPO
    bars: list[list[str]] = field(default_factory=lambda: [[]])  # chord words and '/' per bar
    choruses: list[list[tuple[str, int]]] = field(default_factory=lambda: [[]])  # (note word, velocity)
    velocity: int = 100


def read_leadsheet(path: str | Path) -> Solo:
    """The leadsheet at path as one Solo: every melody chorus in turn, the chord part under each.
    DataError naming the file (and the bar or note) for one jazzgen cannot read."""
    return _with_name(path, _solo)


def leadsheet_chart(path: str | Path) -> Solo:
    """The leadsheet's chord part alone (one chorus, no notes), as generate --over plays it."""
    return _with_name(path, _chart)


def _with_name(path, build) -> Solo:
    path = Path(path)
    data = read_bytes(path, MAX_FILE_BYTES, "an Impro-Visor leadsheet is rarely over 1 MB")
    try:
        return build(_read(data.decode("utf-8", errors="replace")), path)
    except DataError as err:
        raise DataError(f"{shown(path)}: {err}") from None


# ---------------------------------------------------------------- reading the text


def _read(text: str) -> _Sheet:
    sheet = _Sheet()
    depth, current = 0, None  # current: the top-level list being read, as words
    for word in _words(text):
        if word == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise DataError(f"lists nested over {MAX_DEPTH} deep; this is not an Impro-Visor leadsheet")
            if depth == 1:
                current = []
            else:
                current.append("(")
        elif word == ")":
            if depth == 0:
                continue  # a stray closing parenthesis reads as nothing, as Impro-Visor reads it
            depth -= 1
            if depth == 0:
                _setting(sheet, current)
            else:
                current.append(")")
        elif depth:
            current.append(word)
        else:
            _music(sheet, word)
    if depth:
        _setting(sheet, current)
    return sheet


def _words(text: str):
    """Words, parentheses and bar lines, comments (// and /* */) dropped."""
    text = re.sub(r"/\*.*?(\*/|$)", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    for match in re.finditer(r"[()|,\[\]]|[^\s()|,\[\]]+", text):
        word = match[0]
        yield "|" if word == "," else word


def _setting(sheet: _Sheet, words: list[str]) -> None:
    """A top-level list: the settings jazzgen uses; the rest (style, layout, roadmap) is passed over."""
    if not words:
        return
    key, rest = words[0], words[1:]
    if key == "title":
        sheet.title = " ".join(w for w in rest if w not in "()")
    elif key == "meter" and rest and rest[0].isdigit():
        beats = int(rest[0])
        unit = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else 4
        if not (1 <= beats <= 32 and unit in (1, 2, 4, 8, 16, 32)):
            raise DataError(f"(meter {' '.join(rest)}) is not a meter jazzgen reads")
        sheet.meter = (beats, unit)
    elif key == "tempo" and rest and re.fullmatch(r"\d+(\.\d*)?", rest[0]):
        sheet.tempo = min(1000.0, max(10.0, float(rest[0])))
    elif key == "part" and "melody" in rest[:4] and any(sheet.choruses[-1]):
        sheet.choruses.append([])


def _music(sheet: _Sheet, word: str) -> None:
    first = word[0]
    if word == "|":
        if len(sheet.bars) > 1 or sheet.bars[0]:  # a bar line before any chord opens no bar
            sheet.bars.append([])
    elif word == "/" or first.isupper():
        sheet.bars[-1].append(word)
    elif first in "abcdefgr":
        sheet.choruses[-1].append((word, sheet.velocity))
    elif first == "v" and word[1:].isdigit():
        sheet.velocity = max(1, min(127, int(word[1:])))
    if len(sheet.bars) > MAX_BARS + 1:
        raise DataError(f"the chord part runs over {MAX_BARS:,} bars, more than jazzgen reads")


# ---------------------------------------------------------------- into a Solo


def _solo(sheet: _Sheet, path: Path) -> Solo:
    meter = (TimeSignature(0, *sheet.meter),)
    bar_ticks = meter[0].bar_ticks
    form_ticks = max(1, _bar_count(sheet.bars)) * bar_ticks
    notes, end = [], 0
    for number, chorus in enumerate([c for c in sheet.choruses if c] or [[]]):
        start = number * form_ticks
        placed, stop = _notes(chorus, start, number + 1)
        notes += placed
        end = max(end, stop, start + form_ticks)
    check_solo_length(end / TICKS_PER_BEAT, "its choruses run to beat {}", "split the leadsheet")
    played = arranged(_chart(sheet, path), bars=bars_needed(meter, end))  # the form under each chorus
    return replace(played, notes=monophonic(notes))


def _chart(sheet: _Sheet, path: Path) -> Solo:
    meter = (TimeSignature(0, *sheet.meter),)
    chords = _form(sheet.bars, meter[0].bar_ticks)
    bars = max(1, _bar_count(sheet.bars))
    return Solo((), chords, meter, bars, sheet.tempo, str(path), sheet.title or path.stem)


def _bar_count(bars: list[list[str]]) -> int:
    """Bars in the chord part: a last bar line closes the last bar, it opens none."""
    return len(bars) - (1 if not bars[-1] else 0)


def _form(bars: list[list[str]], bar_ticks: int) -> tuple[Chord, ...]:
    """The chord part's spans: each word an even share of its bar, '/' and empty bars holding on."""
    spans: list[list] = []  # [symbol, onset, end]
    for index, bar in enumerate(bars[: _bar_count(bars)]):
        start = index * bar_ticks
        if not bar:
            if spans:
                spans[-1][2] = start + bar_ticks
            continue
        share = bar_ticks // len(bar)
        if share * len(bar) != bar_ticks:
            raise DataError(f"bar {index + 1} holds {len(bar)} chords, which do not share it evenly")
        for k, word in enumerate(bar):
            onset, stop = start + k * share, start + (k + 1) * share
            if word == "/":
                if spans:
                    spans[-1][2] = stop
                continue
            spans.append([_symbol(word, index + 1), onset, stop])
    chords = []
    for symbol, onset, stop in spans:
        if symbol != "NC":
            chords.append(make_chord(symbol, onset, stop - onset))
    return tuple(chords)


def _symbol(word: str, bar: int) -> str:
    """An Impro-Visor chord symbol in jazzgen's spelling; DataError naming the bar when unreadable."""
    word = word.split("\\")[-1]  # a polychord: the chord below
    if word.upper() == "NC":
        return "NC"
    match = re.fullmatch(r"([A-G][#b]?)([^/]*)(/.*)?", word)
    if match is None:
        raise DataError(f"bar {bar}: {word!r} is not a chord symbol")
    root, suffix, slash = match[1], match[2].rstrip("_"), match[3] or ""
    if suffix == "Bass":
        return "NC"
    bass = ""
    if slash:
        head = re.match(r"/([A-Ga-g][#b]?)", slash)
        bass = "/" + head[1].capitalize() if head else ""
    suffix = SPELLINGS.get(suffix, suffix)
    for cut in range(len(suffix), -1, -1):
        candidate = root + suffix[:cut] + bass
        try:
            parse_chord(candidate)
            return candidate
        except DataError:
            continue
    raise DataError(f"bar {bar}: {word!r} is not a chord symbol")


def _notes(words: list[tuple[str, int]], start: int, chorus: int) -> tuple[list[Note], int]:
    """Notes of one chorus from tick start, and the tick where the chorus's notes end."""
    slot, notes = start * SLOTS_PER_TICK, []
    for word, velocity in words:
        pitch, length = _note(word, chorus)
        onset, slot = round(slot / SLOTS_PER_TICK), slot + length
        check_solo_length(
            slot / SLOTS_PER_TICK / TICKS_PER_BEAT, "its notes run to beat {}", "split the leadsheet"
        )
        end = round(slot / SLOTS_PER_TICK)
        if pitch is not None and end > onset:
            notes.append(Note(onset, end - onset, pitch, velocity))
    return notes, round(slot / SLOTS_PER_TICK)


def _note(word: str, chorus: int) -> tuple[int | None, int]:
    """(MIDI pitch or None for a rest, length in slots) of a note or rest word."""
    if word[0] == "r":
        return None, _length(word[1:], word, chorus)
    match = NOTE.fullmatch(word)
    if match is None:
        raise DataError(f"chorus {chorus}: {word!r} is not a note")
    letter, accidental, octaves, length = match.groups()
    pitch_class = "c d ef g a b".index(letter)
    pitch_class += {"#": 1, "s": 1, "b": -1}.get(accidental, 0)
    octave = octaves.count("+") + octaves.count("u") - octaves.count("-")
    pitch = 60 + 12 * octave + pitch_class % 12  # cb and b# keep their letter's octave, as Impro-Visor has it
    if not 0 <= pitch <= 127:
        raise DataError(f"chorus {chorus}: {word!r} is outside MIDI's range")
    return pitch, _length(length, word, chorus)


def _length(text: str, word: str, chorus: int) -> int:
    """Slots of a length: terms joined by '+', each N (480/N), N/T (a tuplet) and dots."""
    if not text:
        return 60  # an eighth, as Impro-Visor reads a bare note
    total = 0
    for term in text.replace("u", "+").split("+"):
        match = re.fullmatch(r"(\d{1,4})(?:/(\d{1,2}))?(\.*)", term)
        if match is None or int(match[1]) == 0 or (match[2] and int(match[2]) < 2):
            raise DataError(f"chorus {chorus}: {word!r} has no length jazzgen reads")
        value = 480 // int(match[1])
        if match[2]:
            tuplet = int(match[2])
            value = 480 * (tuplet - 1) // (int(match[1]) * tuplet)
        added = value
        for _ in match[3]:
            added //= 2
            value += added
        total += value
    return total
