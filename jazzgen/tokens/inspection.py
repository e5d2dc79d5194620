"""What `jazzgen inspect` shows about a file: tracks, the chosen melody and why, how its notes were
placed on the grid, chords, first values."""

from __future__ import annotations

from pathlib import Path

from jazzgen.formats.reading import read_file
from jazzgen.music.changes import format_changes
from jazzgen.tokens.values import encode


def describe(path: str | Path, melody_track: int | str | None = None, values: int = 40) -> dict:
    """A JSON-ready description of one file; `values` is how many value tokens to show per solo."""
    reading = read_file(path, melody_track)
    return {
        "path": str(reading.path),
        "reader": reading.reader,
        **reading.details,
        "solos": [_solo(solo, values) for solo in reading.solos],
    }


def _solo(solo, values: int) -> dict:
    starts = solo.bar_starts
    tokens = encode(solo)
    return {
        "title": solo.title,
        "notes": len(solo.notes),
        "bars": solo.bars,
        "meter": [f"bar {ts.bar + 1}: {ts.name}" for ts in solo.meter],
        "tempo": solo.tempo,
        "pitch_range": [min(n.pitch for n in solo.notes), max(n.pitch for n in solo.notes)]
        if solo.notes
        else [],
        "chords_per_bar": format_changes(solo.chords, starts),
        "tokens": len(tokens),
        "first_values": tokens[:values],
        "info": dict(solo.info),
    }


def format_text(description: dict) -> str:
    """The description as lines for a terminal."""
    lines = [f"{description['path']}  ({description['reader']})"]
    for track in description.get("tracks", []):
        lines.append("  track " + ", ".join(f"{k}={v}" for k, v in track.items()))
    if "melody_track" in description:
        lines.append(f"  melody: track {description['melody_track']} - {description['melody_reason']}")
        lines.append(f"  timing: {description['timing']}")
        lines.append(f"  chords from: {description['chords_from']}")
    lines += [f"  repaired: {repair}" for repair in description.get("repairs", [])]
    for solo in description["solos"]:
        lines.append(
            f"  solo {solo['title']!r}: {solo['notes']} notes, {solo['bars']} bars, "
            f"{', '.join(solo['meter'])}, {solo['tempo']:g} bpm, pitches {solo['pitch_range']}"
        )
        lines.append(f"  chords: {solo['chords_per_bar']}")
        lines.append(f"  first values: {' '.join(solo['first_values'])}")
    return "\n".join(lines)
