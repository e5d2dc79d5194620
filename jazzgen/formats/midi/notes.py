"""Pairing a MIDI track's note-ons with its note-offs, and ending the notes a file leaves open.

Used by jazzgen.formats.midi.reader on the events mido reads; times are the file's ticks.
"""

from __future__ import annotations

import numpy as np


class Sounding:
    """Pairs note-ons with note-offs, per (channel, pitch).

    A note-on while the same key sounds ends the sounding note there. A note-off at the very
    tick its note started either belongs to the note the note-on just ended (a repeated note
    written on-before-off) or leaves a zero-length note. Zero-length notes and notes never
    released are loose: each ends at the next onset in its channel, else at the track's end
    (a beat after its onset when the track ends there). Note-offs with nothing sounding are ignored.
    """

    def __init__(self):
        self.notes, self.loose = [], []  # (start, end, pitch, velocity, channel); loose: end unknown
        self.sounding: dict[tuple[int, int], list] = {}  # key -> [start, velocity, ended another note there]
        self.zero_length = self.unreleased = 0

    def start(self, key: tuple[int, int], tick: int, velocity: int) -> None:
        held = self.sounding.get(key)
        if held is not None and held[0] == tick:
            return  # the same note-on twice
        if held is not None:
            self.notes.append((held[0], tick, key[1], held[1], key[0]))
        self.sounding[key] = [tick, velocity, held is not None]

    def stop(self, key: tuple[int, int], tick: int) -> None:
        held = self.sounding.get(key)
        if held is None:
            return
        if held[0] < tick:
            self.notes.append((held[0], tick, key[1], held[1], key[0]))
        elif held[2]:
            held[2] = False  # this note-off ended the note before it
            return
        else:
            self.loose.append((held[0], key[1], held[1], key[0]))
            self.zero_length += 1
        del self.sounding[key]

    def finish(self, end: int, tpb: int) -> list:
        """Every note, loose ones ended (see the class doc); the sounding ones count as loose."""
        self.unreleased = len(self.sounding)
        self.loose += [
            (start, pitch, velocity, channel)
            for (channel, pitch), (start, velocity, _) in self.sounding.items()
        ]
        onsets: dict[int, list[int]] = {}
        for start, _, _, _, channel in self.notes:
            onsets.setdefault(channel, []).append(start)
        for start, _, _, channel in self.loose:
            onsets.setdefault(channel, []).append(start)
        later = {channel: np.unique(starts) for channel, starts in onsets.items()}
        for start, pitch, velocity, channel in self.loose:
            after = int(np.searchsorted(later[channel], start, side="right"))
            if after < len(later[channel]):
                stop = int(later[channel][after])
            else:
                stop = end if end > start else start + tpb
            self.notes.append((start, stop, pitch, velocity, channel))
        return self.notes

    def repairs(self) -> tuple[str, ...]:
        out = []
        if self.unreleased:
            out.append(
                f"{_notes(self.unreleased)} never released: each ends at the next note or the track's end"
            )
        if self.zero_length:
            out.append(
                f"{_notes(self.zero_length)} of zero length: each lasts until the next note or the "
                "track's end"
            )
        return tuple(out)


def _notes(count: int) -> str:
    return f"{count} note{'s' if count != 1 else ''}"
