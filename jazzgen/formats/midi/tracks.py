"""The parts of a MIDI file: what each one holds, and which one is the melody.

Without a melody_track, every non-drum part is scored and the best one is the melody:

- notes: log of its note count (a solo is busy);
- one voice: how few of its notes sound over another of its notes (a solo is a line);
- register: its median pitch in the melody register (55..84) or below it;
- lead: a name or GM program of a lead instrument (sax, trumpet, guitar, "melody", "solo", ...);
- comping: a name or program of a comping instrument (piano, organ, strings, pads, ...);
- bass: a name or program of a bass, or a median pitch below 48.

The reason given to the user names the score part that set the winner furthest ahead of the
runner-up. A keyboard part played with two hands (a piano trio's piano) is split by register
(hands): its right hand is the line, its left hand harmony. The MIDI reader
(jazzgen.formats.midi.reader) parses the file; this module only judges parts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from jazzgen.errors import DataError, UsageError
from jazzgen.music.instruments import GM_PROGRAMS

DRUM_CHANNEL = 9  # 0-based: channel 10
LEAD_WORDS = (
    "sax",
    "trumpet",
    "tpt",
    "trombone",
    "tbn",
    "clarinet",
    "flute",
    "guitar",
    "gtr",
    "vibe",
    "melody",
    "solo",
    "lead",
    "voice",
    "vocal",
    "cornet",
    "horn",
)
COMP_WORDS = ("piano", "pno", "comp", "chord", "pad", "string", "organ", "keys", "rhythm", "accomp")
LEAD_PROGRAMS = set(range(24, 32)) | set(range(56, 80)) | set(range(80, 88)) | {11, 40, 41}
COMP_PROGRAMS = set(range(0, 8)) | set(range(16, 24)) | set(range(48, 56)) | set(range(88, 96))
BASS_PROGRAMS = set(range(32, 40)) | {43, 58}
MELODY_REGISTER = (55, 84)  # median MIDI pitch of a typical solo line
BASS_BELOW = 48
KEYBOARD_PROGRAMS = set(range(0, 8)) | set(range(16, 24))  # pianos, electric pianos, organs
KEYBOARD_WORDS = ("piano", "pno", "keys", "keyboard", "organ", "rhodes", "wurli")
TWO_HANDS = 0.3  # polyphony from which a keyboard part is taken to be played with both hands
HAND_SPLIT = (48, 67)  # MIDI pitches the hands divide between (C3 to G4), at the emptiest place


@dataclass(frozen=True)
class TrackInfo:
    """One part of a MIDI file as the reading reports it.

    index: the part's number (its track number, or its place among the channels of a format 0
    file), what melody_track takes; channel: 1..16 as sequencers show it; program: GM program
    0..127, None when the file sets none; polyphony: share of its notes that start while another
    of its notes still sounds; lowest, highest, median_pitch: MIDI pitches.
    """

    index: int
    name: str
    program: int | None
    channel: int
    notes: int
    polyphony: float
    lowest: int
    highest: int
    median_pitch: int
    is_drum: bool


@dataclass(frozen=True)
class Part:
    """A part and its notes: (n, 4) file ticks start, end, then pitch, velocity; sorted by start."""

    info: TrackInfo
    notes: np.ndarray


def part_info(
    index: int,
    name: str,
    notes: np.ndarray,
    program: int | None,
    channel: int,
    ticks_per_beat: int,
    split: bool = False,
) -> TrackInfo:
    """Describe a part; a part split off by channel is named after its channel and instrument."""
    instrument = GM_PROGRAMS[program] if program is not None else None
    if split:
        name = f"{name + ' ' if name else ''}ch{channel + 1}" + (f" {instrument}" if instrument else "")
    elif not name:
        name = instrument or f"track {index}"
    return TrackInfo(
        index,
        name,
        program,
        channel + 1,
        len(notes),
        _polyphony(notes, ticks_per_beat),
        int(notes[:, 2].min()),
        int(notes[:, 2].max()),
        int(np.median(notes[:, 2])),
        channel == DRUM_CHANNEL,
    )


def _polyphony(notes: np.ndarray, ticks_per_beat: int) -> float:
    """Share of notes starting while an earlier note sounds on (legato overlaps of a 32nd pass)."""
    if len(notes) < 2:
        return 0.0
    still_sounding = np.maximum.accumulate(notes[:, 1])[:-1]  # latest end among earlier notes
    overlapping = still_sounding > notes[1:, 0] + ticks_per_beat // 8
    return round(float(overlapping.mean()), 3)


def hands(part: Part) -> tuple[Part, Part | None]:
    """(right hand, left hand) of a keyboard part played with both hands, split by register at the
    pitch the part plays least between HAND_SPLIT's bounds; (part, None) for any other part."""
    info = part.info
    keyboard = info.program in KEYBOARD_PROGRAMS or any(word in info.name.lower() for word in KEYBOARD_WORDS)
    if not keyboard or info.polyphony < TWO_HANDS:
        return part, None
    split = split_pitch(part.notes[:, 2])
    upper = part.notes[:, 2] >= split
    if upper.all() or not upper.any():
        return part, None
    right = replace(info, name=f"{info.name}, right hand", notes=int(upper.sum()))
    left = replace(info, name=f"{info.name}, left hand", notes=int((~upper).sum()))
    return Part(right, part.notes[upper]), Part(left, part.notes[~upper])


def split_pitch(pitches: np.ndarray) -> int:
    """The lowest pitch of the right hand: where the pitch histogram, smoothed over a whole tone
    each way, is lowest between HAND_SPLIT's bounds (nearest middle C among equals)."""
    low, high = HAND_SPLIT
    counts = np.bincount(np.clip(pitches, 0, 127), minlength=128).astype(float)
    smooth = np.convolve(counts, np.ones(5), mode="same")
    candidates = np.arange(low, high + 1)
    return int(min(candidates, key=lambda p: (smooth[p], abs(p - 60))))


def choose_melody(parts: tuple[Part, ...], melody_track: int | str | None) -> tuple[Part, str]:
    """The melody part and one sentence saying why it was chosen."""
    if melody_track is not None:
        part = _named_part(parts, melody_track)
        return part, f"{_label(part.info)} is the melody, as melody_track={melody_track!r} asks"
    candidates = [p for p in parts if not p.info.is_drum]
    if not candidates:
        raise DataError("has only drum tracks (channel 10); a solo needs a melody track")
    if len(candidates) == 1:
        part = candidates[0]
        return part, f"{_label(part.info)} is the only track with notes that is not drums"
    scored = sorted(((melody_score(p.info), p) for p in candidates), key=lambda sp: -sum(sp[0].values()))
    (best, part), (runner_up, other) = scored[0], scored[1]
    return part, f"{_label(part.info)} is the melody: {_why(best, runner_up, part.info, other.info)}"


def _label(info: TrackInfo) -> str:
    return f"track {info.index} {info.name!r}"


def _named_part(parts: tuple[Part, ...], wanted: int | str) -> Part:
    listing = ", ".join(f"{p.info.index} {p.info.name!r}" for p in parts)
    if isinstance(wanted, str) and wanted.strip().lstrip("-").isdigit():
        wanted = int(wanted)
    if isinstance(wanted, int):
        found = [p for p in parts if p.info.index == wanted]
    else:
        found = [p for p in parts if p.info.name.casefold() == wanted.strip().casefold()]
    if not found:
        raise UsageError(f"melody track {wanted!r} is not in the file; its tracks with notes are: {listing}")
    if found[0].info.is_drum:
        raise UsageError(f"track {wanted!r} is a drum track (channel 10); choose one of: {listing}")
    return found[0]


def is_bass(info: TrackInfo) -> bool:
    """Whether a part looks like a bass: by its name, its program or its register."""
    return "bass" in info.name.casefold() or info.program in BASS_PROGRAMS or info.median_pitch < BASS_BELOW


def melody_score(info: TrackInfo) -> dict[str, float]:
    """The parts of a part's melody score (see the module doc); the score is their sum."""
    words = info.name.casefold()
    median = info.median_pitch
    bass = is_bass(info)
    lead = 2.0 if any(w in words for w in LEAD_WORDS) else 1.5 if info.program in LEAD_PROGRAMS else 0.0
    comp = any(w in words for w in COMP_WORDS) or (info.program in COMP_PROGRAMS and not lead)
    return {
        "notes": float(np.log(info.notes)),
        "one voice": 3.0 * (1.0 - info.polyphony),
        "register": 1.0 if MELODY_REGISTER[0] <= median <= MELODY_REGISTER[1] else -1.0,
        "lead": 0.0 if bass else lead,
        "comping": -1.5 if comp else 0.0,
        "bass": -4.0 if bass else 0.0,
    }


def _why(best: dict[str, float], runner_up: dict[str, float], info: TrackInfo, other: TrackInfo) -> str:
    key = max(best, key=lambda k: best[k] - runner_up[k])
    them = _label(other)
    if key == "notes":
        return f"it has the most notes ({info.notes}; next is {them} with {other.notes})"
    if key == "one voice":
        return (
            f"it is mostly one voice ({info.polyphony:.0%} of its notes overlap another) "
            f"while {them} plays chords ({other.polyphony:.0%})"
        )
    if key == "register":
        return (
            f"it lies in the melody register (median pitch {info.median_pitch}) "
            f"and {them} does not (median {other.median_pitch})"
        )
    if key == "lead":
        return f"its name or instrument marks a lead part and {them}'s does not"
    if key == "comping":
        return f"{them} looks like a comping part (piano, organ, strings or pads)"
    return f"{them} is a bass part"
