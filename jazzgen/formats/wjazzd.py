"""The Weimar Jazz Database layout: `mcsv_melody/<Solo>_FINAL.csv` plus `mcsv_beat/<Solo>_FINAL_beattrack.csv`.

The melody file gives each note's metrical position (bar, beat, tatum out of division) and its
length in seconds; the beat track gives every beat's time, meter and lead-sheet chord. Onsets come
from the metrical position, note ends from the beat times, both rounded to the 12-tick grid.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from jazzgen.errors import DataError
from jazzgen.music.chords import make_chord, merge_repeats
from jazzgen.music.solo import (
    TICKS_PER_BEAT,
    Chord,
    Note,
    Solo,
    TimeSignature,
    bar_starts,
    check_solo_length,
    monophonic,
)

MELODY_SUFFIX = "_FINAL.csv"
BEAT_SUFFIX = "_FINAL_beattrack.csv"
MAX_CSV_BYTES = 8 * 2**20  # the database's longest solo (Coltrane's Impressions, 1961) takes 534 KB


@dataclass(frozen=True)
class _Beat:
    time: float  # seconds
    bar: int  # bar number as annotated (may start below 1 for pick-ups)
    beat: int  # 1-based beat in the bar
    signature: tuple[int, int]
    chord: str


def is_wjazzd_melody(path: Path) -> bool:
    return path.name.endswith(MELODY_SUFFIX) and path.parent.name == "mcsv_melody"


def beat_track_path(melody_csv: Path) -> Path:
    stem = melody_csv.name[: -len(MELODY_SUFFIX)]
    return melody_csv.parent.parent / "mcsv_beat" / f"{stem}{BEAT_SUFFIX}"


def read_wjazzd(melody_csv: str | Path) -> Solo:
    """One solo from its melody CSV; the beat track is found in the sibling mcsv_beat/ folder."""
    melody_csv = Path(melody_csv)
    beat_csv = beat_track_path(melody_csv)
    if not beat_csv.is_file():
        raise DataError(
            f"{melody_csv}: no beat track at {beat_csv}; keep mcsv_melody/ and mcsv_beat/ side by side"
        )
    beats = _read_beats(beat_csv)
    rows = _read_rows(melody_csv, ("onset", "duration", "bar", "beat", "tatum", "division", "pitch"))
    if not rows:
        raise DataError(f"{melody_csv}: no notes")
    try:
        first_bar = min(int(r["bar"]) for r in rows)
    except (TypeError, ValueError):
        raise DataError(f"{melody_csv}: a melody row's bar is not a whole number") from None
    try:
        grid = _Grid(beats, first_bar)
    except DataError as err:
        raise DataError(f"{beat_csv}: {err}") from None
    notes = _notes(rows, grid, melody_csv)
    meter = grid.meter()
    bars = grid.bar_count(notes[-1].onset)
    end = bar_starts(meter, bars)[-1]
    chords = tuple(c for c in _chords(beats, grid) if c.onset < end)
    if chords and chords[-1].end > end:
        chords = chords[:-1] + (make_chord(chords[-1].symbol, chords[-1].onset, end - chords[-1].onset),)
    beat_seconds = median(b.time - a.time for a, b in zip(beats, beats[1:]))
    stem = melody_csv.name[: -len(MELODY_SUFFIX)]
    return Solo(notes, chords, meter, bars, round(60.0 / beat_seconds, 2), str(melody_csv), stem)


def _read_rows(path: Path, needed: tuple[str, ...]) -> list[dict]:
    """The rows of a CSV file of at most MAX_CSV_BYTES, refused unread when it is larger."""
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise DataError(
                f"{path}: it is {size / 2**20:,.1f} MiB; jazzgen reads Weimar Jazz Database CSVs "
                f"of up to {MAX_CSV_BYTES / 2**20:g} MiB: split the solo"
            )
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in needed if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}: not a Weimar Jazz Database CSV (no column {', '.join(missing)})")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}: cannot read ({err})") from None


def _read_beats(path: Path) -> list[_Beat]:
    beats = []
    for row in _read_rows(path, ("onset", "bar", "beat", "signature", "chord")):
        try:
            numerator, denominator = (int(x) for x in row["signature"].strip("'\" ").split("/"))
            beats.append(
                _Beat(
                    float(row["onset"]),
                    int(row["bar"]),
                    int(row["beat"]),
                    (numerator, denominator),
                    row["chord"].strip(),
                )
            )
        except ValueError:
            raise DataError(f"{path}: bad beat row {row}") from None
    if len(beats) < 2:
        raise DataError(f"{path}: a beat track needs at least two beats")
    return beats


class _Grid:
    """Maps annotated (bar, beat) positions and beat-track times to ticks from the first bar."""

    def __init__(self, beats: list[_Beat], first_bar: int):
        self.first_bar = first_bar
        self.signatures: dict[int, tuple[int, int]] = {}
        for beat in beats:
            self.signatures.setdefault(beat.bar, beat.signature)
        self.first_annotated, self.last_bar = min(self.signatures), max(self.signatures)
        if first_bar > self.last_bar + 1:
            raise DataError(f"the melody starts in bar {first_bar:,}, after its last bar ({self.last_bar:,})")
        check_solo_length(
            self._span_ticks() / TICKS_PER_BEAT,
            "its bars span {} beats",
            "remove the rows with stray bar numbers",
        )
        self.bar_tick = self._bar_ticks()
        self.times = [b.time for b in beats]
        self.ticks = [self.position(b.bar, b.beat) for b in beats]

    def _span_ticks(self) -> int:
        """Ticks from the lowest bar to the end of the bar after the last (the bars _bar_ticks builds),
        counted from the annotated bars alone (see _nearest_signature for the others)."""
        first, low = self.first_annotated, min(self.first_bar, self.first_annotated)
        annotated = sum(self.timesig(bar).bar_ticks for bar in self.signatures)
        before = (first - low) * self.timesig(first).bar_ticks
        gaps = (self.last_bar + 2 - first - len(self.signatures)) * self.timesig(self.last_bar).bar_ticks
        return annotated + before + gaps

    def _bar_ticks(self) -> dict[int, int]:
        """Start tick of every annotated bar; bars before the first note's bar are negative."""
        ticks, tick = {}, 0
        for bar in range(self.first_bar, self.last_bar + 2):
            ticks[bar] = tick
            tick += self.timesig(bar).bar_ticks
        tick = 0
        for bar in range(self.first_bar - 1, min(self.signatures) - 1, -1):
            tick -= self.timesig(bar).bar_ticks
            ticks[bar] = tick
        return ticks

    def timesig(self, bar: int) -> TimeSignature:
        numerator, denominator = self.signatures.get(bar) or self._nearest_signature(bar)
        return TimeSignature(0, numerator, denominator)

    def _nearest_signature(self, bar: int) -> tuple[int, int]:
        """A bar with no beats takes the first annotated bar's signature before it, else the last's."""
        return self.signatures[self.first_annotated if bar < self.first_annotated else self.last_bar]

    def beat_ticks(self, bar: int) -> int:
        return 4 * TICKS_PER_BEAT // self.timesig(bar).denominator

    def position(self, bar: int, beat: int, fraction: float = 0.0) -> int:
        """Tick of a metrical position; fraction is the share of the beat after its start."""
        if bar not in self.bar_tick:
            raise DataError(f"bar {bar} is outside the beat track")
        step = self.beat_ticks(bar)
        return self.bar_tick[bar] + (beat - 1) * step + round(fraction * step)

    def tick_at(self, seconds: float) -> int:
        """Tick at a time, interpolating between annotated beats (extrapolating past the ends)."""
        i = min(max(bisect_right(self.times, seconds) - 1, 0), len(self.times) - 2)
        t0, t1 = self.times[i], self.times[i + 1]
        k0, k1 = self.ticks[i], self.ticks[i + 1]
        return round(k0 + (seconds - t0) / (t1 - t0) * (k1 - k0)) if t1 > t0 else k0

    def meter(self) -> tuple[TimeSignature, ...]:
        changes, last = [], None
        for bar in range(self.first_bar, self.last_bar + 1):
            ts = self.timesig(bar)
            if (ts.numerator, ts.denominator) != last:
                changes.append(TimeSignature(bar - self.first_bar, ts.numerator, ts.denominator))
                last = (ts.numerator, ts.denominator)
        return tuple(changes)

    def bar_count(self, last_onset: int) -> int:
        bar = max(b for b, tick in self.bar_tick.items() if tick <= last_onset)
        return bar - self.first_bar + 1


def _notes(rows: list[dict], grid: _Grid, path: Path) -> tuple[Note, ...]:
    placed = []
    for row in rows:
        try:
            bar, beat = int(row["bar"]), int(row["beat"])
            tatum, division = int(row["tatum"]), max(int(row["division"]), 1)
            onset_s, length_s, pitch = float(row["onset"]), float(row["duration"]), round(float(row["pitch"]))
        except ValueError:
            raise DataError(f"{path}: bad melody row {row}") from None
        onset = grid.position(bar, beat, (tatum - 1) / division)
        end = grid.tick_at(onset_s + length_s)
        placed.append((onset, max(end - onset, 1), pitch))
    return monophonic([Note(onset, duration, pitch) for onset, duration, pitch in _spread(sorted(placed))])


def _spread(placed: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Notes that round onto the same tick (fast runs in fine tuplets) move to the next free tick."""
    out, last = [], -1
    for onset, duration, pitch in placed:
        if onset <= last:
            onset = last + 1
        out.append((onset, duration, pitch))
        last = onset
    return out


def _chords(beats: list[_Beat], grid: _Grid) -> tuple[Chord, ...]:
    spans = []
    usable = [b for b in beats if b.bar >= grid.first_bar]
    for beat, nxt in zip(usable, usable[1:] + [None]):
        onset = grid.position(beat.bar, beat.beat)
        end = grid.position(nxt.bar, nxt.beat) if nxt else onset + grid.beat_ticks(beat.bar)
        if beat.chord in ("NC", "") or end <= onset:
            continue
        spans.append(make_chord(beat.chord, onset, end - onset, suffix_accidentals=True))
    return merge_repeats(spans)
