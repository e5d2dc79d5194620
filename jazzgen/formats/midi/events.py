"""One MIDI track's events read byte by byte, repaired, and written back as clean bytes that keep
only what jazzgen's reader uses: note-ons and note-offs, program changes, tempo, time signatures,
text events and track names (see jazzgen.formats.midi.repair for the file around the tracks).

- Delta times of dropped events are carried over to the next kept one.
- Data bytes above 127 are clipped to 127 (as mido's clip=True).
- Running status with no status before it skips the data bytes up to the next status byte.
- An undefined status byte, or a delta time or length over 4 bytes, ends the track.
- A track cut short keeps its whole events; the cut-off event's delta time still counts.
- Tempo events shorter than 3 bytes or of tempo 0 are dropped; a 2- or 3-byte time signature is
  completed with the standard clocks and 32nds; one jazzgen cannot use (numerator 0, denominator
  over 16) is dropped. Text events over MAX_TEXT bytes are dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

MAX_TEXT = 1024  # longer text events are dropped: a chord symbol or track name is short
CLOCKS, THIRTY_SECONDS = 24, 8  # time signature bytes 3 and 4 as nearly every file writes them
TEXT_METAS = (0x01, 0x03, 0x05, 0x06, 0x07)  # text, track name, lyric, marker, cue point
DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
SYSTEM_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}


@dataclass(frozen=True)
class Track:
    """A track read: its clean MTrk body (ending with end-of-track), the note-ons and events
    kept, what was repaired (one phrase each), whether its end-of-track event was reached, the
    byte offset where reading stopped, and 'notes' or 'events' when a limit stopped it."""

    events: bytes
    notes: int
    kept: int
    problems: tuple[str, ...]
    ended: bool
    end: int
    over: str = ""


def read_track(
    data: bytes,
    start: int,
    limit: int,
    tick_scale: int = 1,
    smpte_tempo: int | None = None,
    max_notes: int = 10**9,
    max_events: int = 10**9,
) -> Track:
    """The track whose events are data[start:limit], written back clean.

    tick_scale multiplies delta times; smpte_tempo (microseconds a beat) is set at the start and
    the track's own tempo events dropped (a file in SMPTE time). Reading stops, with Track.over
    set, past max_notes note-ons or max_events kept events.
    """
    reader = _EventReader(data, start, limit, tick_scale, smpte_tempo, max_notes, max_events)
    reader.run()
    return reader.track()


class _EventReader:
    """Reads one track's events from data[pos:limit]; `out` gets the kept ones, each with its
    delta time from the last kept event (dropped events' times are carried over)."""

    def __init__(
        self,
        data: bytes,
        position: int,
        limit: int,
        tick_scale: int,
        smpte_tempo: int | None,
        max_notes: int,
        max_events: int,
    ):
        self.data, self.pos, self.limit, self.scale = data, position, limit, tick_scale
        self.smpte = smpte_tempo is not None
        self.max_notes, self.max_events = max_notes, max_events
        self.out, self.pending = bytearray(), 0  # pending: clean ticks since the last kept event
        self.notes = self.kept = 0
        self.problems: Counter[str] = Counter()
        self.ended = self.broken = False  # ended: at its end-of-track event
        self.over = ""  # 'notes' or 'events' when a limit was passed
        if smpte_tempo is not None:
            self._keep(b"\xff\x51\x03" + smpte_tempo.to_bytes(3, "big"))

    def run(self) -> None:
        status = None  # the running status
        while self.pos < self.limit and not self.ended and not self.over:
            delta = self._number()
            if delta is None:
                return self._cut()
            self.pending += delta * self.scale  # time passed, even when the event is cut off
            if self.pos >= self.limit:
                return self._cut()
            byte = self.data[self.pos]
            if byte < 0x80 and status is None and not self._skip_to_status():
                return self._cut()
            byte = self.data[self.pos]
            if byte >= 0x80:
                self.pos += 1
                status = byte if byte < 0xF0 else status
            if not self._event(byte if byte >= 0x80 else status):
                return

    def _cut(self) -> None:
        if not self.broken:
            self.problems["cut short: read the events before the cut"] += 1

    def _unreadable(self, why: str) -> None:
        self.problems[f"{why}: the rest of the track is unreadable"] += 1
        self.broken = True

    def _number(self) -> int | None:
        """A variable-length number (at most 4 bytes); None when it runs past the track."""
        value = 0
        for _ in range(4):
            if self.pos >= self.limit:
                return None
            byte = self.data[self.pos]
            self.pos += 1
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                return value
        self._unreadable("a delta time or length longer than 4 bytes")
        return None

    def _skip_to_status(self) -> bool:
        start = self.pos
        while self.pos < self.limit and self.data[self.pos] < 0x80:
            self.pos += 1
        self.problems[f"running status with no status before it: skipped {self.pos - start} data bytes"] += 1
        return self.pos < self.limit

    def _event(self, status: int) -> bool:
        """Read (and keep or drop) the event after its status byte; False when the track ends."""
        if status < 0xF0:
            return self._channel(status)
        if status == 0xFF:
            return self._meta()
        if status in (0xF0, 0xF7):
            return self._payload() is not None
        if status in SYSTEM_BYTES:
            return self._data_bytes(SYSTEM_BYTES[status]) is not None
        self._unreadable(f"undefined status byte 0x{status:02X}")
        return False

    def _data_bytes(self, count: int) -> bytes | None:
        if self.pos + count > self.limit:
            self.pos = self.limit
            self._cut()
            return None
        raw = self.data[self.pos : self.pos + count]
        self.pos += count
        if max(raw, default=0) > 127:
            self.problems["data bytes above 127 clipped to 127"] += 1
            raw = bytes(min(b, 127) for b in raw)
        return raw

    def _channel(self, status: int) -> bool:
        kind = status & 0xF0
        raw = self._data_bytes(DATA_BYTES[kind])
        if raw is None:
            return False
        if kind in (0x80, 0x90, 0xC0):
            self._keep(bytes([status]) + raw)
            if kind == 0x90 and raw[1] > 0:
                self._count_note()
        return True

    def _count_note(self) -> None:
        self.notes += 1
        if self.notes > self.max_notes:
            self.over = "notes"

    def _payload(self) -> bytes | None:
        length = self._number()
        if length is None or self.pos + length > self.limit:
            self.pos = self.limit
            self._cut()
            return None
        self.pos += length
        return self.data[self.pos - length : self.pos]

    def _meta(self) -> bool:
        if self.pos >= self.limit:
            self._cut()
            return False
        kind = self.data[self.pos]
        self.pos += 1
        payload = self._payload()
        if payload is None:
            return False
        if kind == 0x2F:
            self.ended = True
        elif kind == 0x51:
            self._tempo(payload)
        elif kind == 0x58:
            self._time_signature(payload)
        elif kind in TEXT_METAS and len(payload) <= MAX_TEXT:
            self._keep(bytes([0xFF, kind]) + _number_bytes(len(payload)) + payload)
        return True

    def _tempo(self, payload: bytes) -> None:
        if self.smpte:
            return  # times are absolute in an SMPTE file: its tempo events change nothing
        if len(payload) < 3:
            self.problems[f"a tempo event of {len(payload)} bytes (3 needed) ignored"] += 1
        elif int.from_bytes(payload[:3], "big") == 0:
            self.problems["a tempo of 0 microseconds a beat ignored"] += 1
        else:
            self._keep(b"\xff\x51\x03" + payload[:3])

    def _time_signature(self, payload: bytes) -> None:
        """numerator, log2(denominator), then MIDI clocks a click and 32nds a quarter (completed
        with the standard 24 and 8 when missing)."""
        if len(payload) < 2:
            self.problems[f"a time signature of {len(payload)} bytes (4 needed) ignored"] += 1
            return
        numerator, power = payload[0], payload[1]
        if numerator == 0 or power > 4:
            self.problems[f"a time signature {numerator}/{2**power} jazzgen cannot use ignored"] += 1
            return
        if len(payload) < 4:
            self.problems[f"a time signature of {len(payload)} bytes completed to 4"] += 1
        clocks = payload[2] if len(payload) > 2 else CLOCKS
        thirty_seconds = payload[3] if len(payload) > 3 else THIRTY_SECONDS
        self._keep(bytes([0xFF, 0x58, 4, numerator, power, min(clocks, 127), min(thirty_seconds, 127)]))

    def _keep(self, event: bytes) -> None:
        self.out += _number_bytes(self.pending) + event
        self.pending = 0
        self.kept += 1
        if self.kept > self.max_events:
            self.over = "events"

    def track(self) -> Track:
        events = bytes(self.out + _number_bytes(self.pending) + b"\xff\x2f\x00")
        problems = tuple(f"{text} ({n} times)" if n > 1 else text for text, n in self.problems.items())
        return Track(events, self.notes, self.kept, problems, self.ended, self.pos, self.over)


def _number_bytes(value: int) -> bytes:
    """A variable-length number as MIDI files write delta times and lengths."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))
