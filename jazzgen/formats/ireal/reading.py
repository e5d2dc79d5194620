"""Reading an iReal Pro export: its text, its songs (all of them, or those of one title), and each
song's chart read (chart), played through (walk) and laid out as a note-less Solo."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from jazzgen.errors import DataError, UsageError
from jazzgen.files.fileio import clipped, read_bytes, shown
from jazzgen.formats.ireal import limits
from jazzgen.formats.ireal.chart import bar_ticks, written_bars
from jazzgen.formats.ireal.links import Song, link_songs
from jazzgen.formats.ireal.walk import played_chords, played_order
from jazzgen.music.chords import ChordSymbol, chord_from_symbol, merge_repeats
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Solo, TimeSignature, check_solo_length

DEFAULT_TEMPO = 120.0


def read_ireal(source: str | Path | BinaryIO, title: str | None = None) -> list[Solo]:
    """The songs of an iReal Pro export (a path, or a file object), or only those titled `title`
    (case-insensitive; UsageError naming the titles when none is)."""
    text, name = _source_text(source)
    return parse_ireal_text(text, name, title)


def parse_ireal_text(text: str, name: str = "<iReal Pro text>", title: str | None = None) -> list[Solo]:
    """The songs of the iReal Pro links in text; name: the file, for messages."""
    if len(text) > limits.MAX_IREAL_BYTES:
        raise DataError(
            f"{shown(name)}: over the {limits.MAX_IREAL_BYTES // 2**20} MiB jazzgen reads of iReal Pro charts"
        )
    songs = link_songs(text, name)
    if title is not None:
        songs = _select(songs, title, name)
    budget = limits.Budget(name)
    return [_solo(song, name, len(songs) > 1, budget) for song in songs]


def _source_text(source) -> tuple[str, str]:
    """The text of a path or file object (UTF-8, else Latin-1) and its name, for messages."""
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "<iReal Pro data>"))
        data = source.read(limits.MAX_IREAL_BYTES + 1)
        if len(data) > limits.MAX_IREAL_BYTES:
            raise DataError(
                f"{shown(name)}: over the {limits.MAX_IREAL_BYTES // 2**20} MiB jazzgen reads; "
                "export fewer songs"
            )
    else:
        name = str(source)
        if not Path(source).exists() and not Path(source).is_symlink():
            raise UsageError(f"iReal Pro file {shown(name)} not found")
        data = read_bytes(source, limits.MAX_IREAL_BYTES, "export fewer songs at a time")
    if isinstance(data, str):
        return data, name
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        return data.decode("latin-1"), name


def _select(songs: list[Song], title: str, name: str) -> list[Song]:
    wanted = title.strip().casefold()
    found = [s for s in songs if wanted in (s.title.casefold(), s.written.strip().casefold())]
    if not found:
        titles = ", ".join(repr(s.title) for s in songs[:10])
        more = f" and {len(songs) - 10:,} more" if len(songs) > 10 else ""
        raise UsageError(f"{shown(name)}: no song titled {clipped(title)!r}; it holds {titles}{more}")
    return found


def _solo(song: Song, name: str, many: bool, budget: limits.Budget) -> Solo:
    """The song as a Solo with no notes; many: whether the read holds more than one song, when the
    Solo's source names the song too."""
    where = f"{shown(name)}: {clipped(song.title)!r}"
    bars = written_bars(song.music, where, budget)
    order = played_order(bars, where)
    budget.play(len(order))
    played = played_chords(bars, order, where)
    beats = sum(bar_ticks(meter) for meter, _ in played) / TICKS_PER_BEAT
    try:
        check_solo_length(beats, "its bars as played span {} beats", "cut its repeats or jumps")
    except DataError as err:
        raise DataError(f"{where}: {err}") from None
    meter = _meter([m for m, _ in played])
    return Solo(
        notes=(),
        chords=_spans(played),
        meter=meter,
        bars=len(played),
        tempo=_tempo(song.tempo, where),
        source=f"{name}#{song.title}" if many else name,
        title=song.title,
        info=song.info,
    )


def _tempo(field: str, where: str) -> float:
    """The tempo field in bpm; DEFAULT_TEMPO when it is empty or 0."""
    text = field.strip()
    if text in ("", "0"):
        return DEFAULT_TEMPO
    if not re.fullmatch(r"\d{1,4}", text, re.ASCII) or not 10 <= int(text) <= 1000:
        raise DataError(
            f"{where}: tempo {clipped(text)!r} is not one jazzgen plays (10 to 1000 bpm); set it in iReal Pro"
        )
    return float(text)


def _meter(meters: list[tuple[int, int]]) -> tuple[TimeSignature, ...]:
    """The time signature of the first played bar and of each bar that changes it."""
    return tuple(TimeSignature(k, *m) for k, m in enumerate(meters) if k == 0 or meters[k - 1] != m)


def _spans(played: list[tuple[tuple[int, int], list]]) -> tuple[Chord, ...]:
    """The chord spans of the played bars, in ticks, adjacent spans of one symbol joined."""
    spans, tick = [], 0
    for meter, events in played:
        ticks = bar_ticks(meter)
        onsets = [tick + int(onset * ticks) for onset, _ in events] + [tick + ticks]
        for (_, symbol), onset, end in zip(events, onsets, onsets[1:]):
            if symbol is not None and end > onset:
                spans.append(_chord(symbol, onset, end - onset))
        tick += ticks
    return merge_repeats(spans)


def _chord(symbol: ChordSymbol, onset: int, duration: int) -> Chord:
    """chord_from_symbol, its pitch sets worked out once a symbol."""
    shape = _chord_shape(symbol)
    return Chord(
        onset,
        duration,
        shape.symbol,
        shape.root,
        shape.quality,
        shape.chord_tones,
        shape.scale,
        shape.pitch_classes,
        shape.bass,
    )


@lru_cache(maxsize=4096)
def _chord_shape(symbol: ChordSymbol) -> Chord:
    return chord_from_symbol(symbol, 0, 1)
