"""The bytes of a Standard MIDI File, checked and repaired before mido reads them.

Collections gathered over years hold files mido cannot read, or reads wrongly. This module walks
the file's chunks, has jazzgen.formats.midi.events read and repair each track's events (keeping what the
MIDI reader uses), and writes it all back as a clean file mido always reads:

- a RIFF RMID wrapper (.rmi) or up to MAX_LEADING_JUNK bytes before 'MThd' are skipped;
- the header's track count is not trusted (mido reads 32,768 and up as negative): every MTrk
  chunk there is is read, other chunks are passed over;
- a chunk length that does not land on the next chunk or the file's end (0xFFFFFFFF, a length
  written wrong) is replaced by the track's own extent: up to the next 'MTrk' or the file's end;
- a file cut short keeps every whole event before the cut;
- SMPTE time division becomes ticks per beat at 120 bpm (ticks doubled, so times stay exact);
- a format 2 file (independent sequences) gives its first sequence that holds notes.

Each repair is reported in one sentence. A file nothing can be recovered from raises DataError,
and so does one over MAX_FILE_BYTES, MAX_NOTES or MAX_EVENTS, so memory and time stay bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

from jazzgen.errors import DataError
from jazzgen.formats.midi.events import Track, read_track

MAX_FILE_BYTES = 16 * 2**20  # a solo's MIDI file is rarely over 1 MiB
MAX_NOTES = 100_000  # note-ons a file may hold (a solo has a few thousand)
MAX_EVENTS = 500_000  # events kept for the reader: notes on and off, tempos, meters, texts
MAX_TRACKS = 0x7FFF  # mido reads the header's 16-bit track count as signed
MAX_LEADING_JUNK = 4096
SMPTE_RATES = {24: 24.0, 25: 25.0, 29: 29.97, 30: 30.0}  # header byte (negated) -> frames a second


@dataclass(frozen=True)
class CleanMidi:
    """A Standard MIDI File mido reads without error, and what was repaired to make it."""

    data: bytes
    repairs: tuple[str, ...]


@dataclass(frozen=True)
class _Header:
    format: int
    tracks_claimed: int
    ticks_per_beat: int
    tick_scale: int  # file ticks -> clean ticks (2 for SMPTE, else 1)
    smpte_tempo: int | None  # microseconds a beat for a file in SMPTE time, else None
    first_chunk: int  # offset of the first chunk after the header


def clean_midi(data: bytes) -> CleanMidi:
    """The clean file for the raw bytes of a .mid, .kar or .rmi file (see the module doc)."""
    if len(data) > MAX_FILE_BYTES:
        raise DataError(
            f"is {len(data) / 2**20:.1f} MiB; jazzgen reads MIDI files of up to "
            f"{MAX_FILE_BYTES // 2**20} MiB (a solo is rarely over 1 MiB)"
        )
    data, repairs = _unwrap(data)
    header = _header(data, repairs)
    chunks = _track_chunks(data, header.first_chunk, repairs)
    if not chunks:
        raise DataError("holds no track (no 'MTrk' chunk after its header)")
    if len(chunks) > MAX_TRACKS:
        raise DataError(f"holds {len(chunks):,} tracks; jazzgen reads files of up to {MAX_TRACKS:,}")
    if header.tracks_claimed != len(chunks):
        repairs.append(
            f"its header claims {header.tracks_claimed} tracks but it holds {len(chunks)}: "
            f"read all {len(chunks)}"
        )
    tracks = _read_tracks(data, chunks, header, repairs)
    if header.format == 2:
        tracks = _first_sequence(tracks, repairs)
    out_format = 0 if len(tracks) == 1 else 1
    return CleanMidi(_smf(out_format, header.ticks_per_beat, [t.events for t in tracks]), tuple(repairs))


# ---------------------------------------------------------------- chunks


def _unwrap(data: bytes) -> tuple[bytes, list[str]]:
    """The bytes from 'MThd' on: out of a RIFF RMID wrapper, or after a little leading junk."""
    if not data:
        raise DataError("is empty (0 bytes), not MIDI")
    if data[:4] == b"RIFF" and data[8:12] == b"RMID" and data[12:16] == b"data" and data[20:24] == b"MThd":
        return data[20 : 20 + int.from_bytes(data[16:20], "little")], []  # RIFF sizes are little-endian
    start = data.find(b"MThd", 0, MAX_LEADING_JUNK + 4)
    if start < 0:
        raise DataError(_not_midi(data))
    if start == 0 or data[:4] == b"RIFF":
        return data[start:], []
    return data[start:], [f"skipped {start} bytes before its MIDI header"]


def _not_midi(data: bytes) -> str:
    head = data[:64]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
        return (
            f"is a text file, not MIDI (it starts {text.splitlines()[0][:30]!r})"
            if text.strip()
            else "holds only blank text, not MIDI"
        )
    return f"is not a MIDI file (it starts with bytes {head[:4].hex(' ')}, not 'MThd')"


def _header(data: bytes, repairs: list[str]) -> _Header:
    if len(data) < 14:
        raise DataError(f"its MIDI header is cut short ({len(data)} of 14 bytes)")
    declared = int.from_bytes(data[4:8], "big")
    file_format, claimed, division = (int.from_bytes(data[i : i + 2], "big") for i in (8, 10, 12))
    first = 8 + declared if declared >= 6 and data[8 + declared : 12 + declared] == b"MTrk" else 14
    if first == 14 and declared != 6:
        repairs.append(f"its header length says {declared} bytes: read as the standard 6")
    if file_format > 2:
        repairs.append(f"its header gives format {file_format}: read as format 1")
        file_format = 1
    if division == 0:
        raise DataError(
            "its header gives 0 ticks per beat, so its note times cannot be read; "
            "export it again from a sequencer"
        )
    if division < 0x8000:
        return _Header(file_format, claimed, division, 1, None, first)
    return _smpte_header(file_format, claimed, division, first, repairs)


def _smpte_header(file_format: int, claimed: int, division: int, first: int, repairs: list[str]) -> _Header:
    """SMPTE time (frames a second x ticks a frame) as ticks per beat at 120 bpm, ticks doubled."""
    frames, per_frame = 256 - (division >> 8), division & 0xFF
    if frames not in SMPTE_RATES or per_frame == 0:
        raise DataError(
            f"its header gives an unknown SMPTE time division ({frames} frames a second, "
            f"{per_frame} ticks a frame); export it with ticks per beat"
        )
    nominal = 30 if frames == 29 else frames
    tempo = round(500_000 * nominal / SMPTE_RATES[frames])  # one beat = ticks_per_beat ticks
    repairs.append(
        f"SMPTE time ({SMPTE_RATES[frames]:g} frames a second x {per_frame} ticks) read as "
        "120 bpm; its beats are tracked from the notes"
    )
    return _Header(file_format, claimed, nominal * per_frame, 2, tempo, first)


def _track_chunks(data: bytes, position: int, repairs: list[str]) -> list[tuple[int, int, int]]:
    """(start, limit, declared end) of every MTrk body. A length that does not land on the next
    chunk or the file's end is not trusted: the track then reaches the next 'MTrk' or the end."""
    chunks = []
    while position + 8 <= len(data):
        kind, length = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "big")
        body, end = position + 8, position + 8 + length
        lands = end <= len(data) and (len(data) - end < 8 or _is_chunk_id(data[end : end + 4]))
        if kind == b"MTrk":
            limit = end
            if not lands:
                found = data.find(b"MTrk", body)
                limit = found if found >= 0 else len(data)
            chunks.append((body, limit, end))
            position = limit
        elif _is_chunk_id(kind) and end <= len(data) and data.find(b"MTrk", body, end) < 0:
            position = end  # a chunk of another kind (Yamaha XF, RIFF LIST, ...): not for jazzgen
        else:
            found = data.find(b"MTrk", position + 1)
            skipped = (found if found >= 0 else len(data)) - position
            repairs.append(f"ignored {skipped:,} bytes that are not a chunk, before track {len(chunks)}")
            if found < 0:
                break
            position = found
    return chunks


def _is_chunk_id(kind: bytes) -> bool:
    return len(kind) == 4 and all(0x20 <= b < 0x7F for b in kind)


def _smf(file_format: int, ticks_per_beat: int, tracks: list[bytes]) -> bytes:
    out = bytearray(b"MThd" + (6).to_bytes(4, "big"))
    for value in (file_format, len(tracks), ticks_per_beat):
        out += value.to_bytes(2, "big")
    for events in tracks:
        out += b"MTrk" + len(events).to_bytes(4, "big") + events
    return bytes(out)


def _read_tracks(
    data: bytes, chunks: list[tuple[int, int, int]], header: _Header, repairs: list[str]
) -> list[Track]:
    tracks, notes, kept = [], 0, 0
    for index, (start, limit, declared_end) in enumerate(chunks):
        track = read_track(
            data, start, limit, header.tick_scale, header.smpte_tempo, MAX_NOTES - notes, MAX_EVENTS - kept
        )
        notes, kept = notes + track.notes, kept + track.kept
        if track.over == "notes":
            raise DataError(
                f"holds more than {MAX_NOTES:,} notes (a solo has a few thousand): "
                "split it into shorter files"
            )
        if track.over == "events":
            raise DataError(
                f"holds more than {MAX_EVENTS:,} note, tempo, meter and text events: "
                "split it into shorter files"
            )
        if track.ended and track.end != declared_end and limit != declared_end:
            repairs.append(
                f"track {index}'s chunk length ({declared_end - start:,} bytes) is wrong: "
                f"read its {track.end - start:,} bytes up to its end-of-track event"
            )
        repairs += [f"track {index}: {problem}" for problem in track.problems]
        tracks.append(track)
    return tracks


def _first_sequence(tracks: list[Track], repairs: list[str]) -> list[Track]:
    """A format 2 file's sequences do not sound together: the first one with notes is the file."""
    with_notes = [i for i, t in enumerate(tracks) if t.notes]
    if len(tracks) > 1 and with_notes:
        others = len(tracks) - 1
        repairs.append(
            f"format 2 (independent sequences): read sequence {with_notes[0]}, the first with "
            f"notes, alone; {others} other sequence{'s' if others > 1 else ''} ignored"
        )
        return [tracks[with_notes[0]]]
    return tracks
