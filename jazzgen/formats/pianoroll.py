"""A piano-roll picture of a solo's melody: PNG rows of bars with chord symbols above them.

matplotlib is imported inside draw_piano_roll (it is slow to import) and drawn through its Agg
canvas directly, so no pyplot state or GUI backend is touched.
"""

from __future__ import annotations

from pathlib import Path

from jazzgen.errors import UsageError
from jazzgen.files.fileio import atomic_path
from jazzgen.music.solo import TICKS_PER_BEAT, Solo


def draw_piano_roll(solo: Solo, png_path: str | Path, bars_per_row: int = 8) -> None:
    """A PNG piano roll of the melody, bars_per_row bars to a row, chord symbols above the bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if bars_per_row < 1:
        raise UsageError(f"bars_per_row {bars_per_row} must be 1 or more")
    starts = solo.bar_starts
    rows = -(-solo.bars // bars_per_row)
    figure = Figure(figsize=(16, 2.2 * rows + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    low, high = _pitch_window(solo)
    for row, ax in enumerate(axes):
        first, last = row * bars_per_row, min(solo.bars, (row + 1) * bars_per_row)
        _draw_row(ax, solo, starts[first], starts[last], starts[first : last + 1], low, high, first)
        left = starts[first] / TICKS_PER_BEAT
        ax.set_xlim(left, left + min(bars_per_row, solo.bars) * _bar_beats(solo))
    axes[0].set_title(solo.title or solo.source or "jazzgen solo", loc="left", pad=18)
    with atomic_path(png_path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)


def _pitch_window(solo: Solo) -> tuple[int, int]:
    if not solo.notes:
        return 58, 74
    pitches = [n.pitch for n in solo.notes]
    return min(pitches) - 2, max(pitches) + 2


def _bar_beats(solo: Solo) -> float:
    """Beats of the longest bar, so rows line up."""
    return max(ts.bar_ticks for ts in solo.meter) / TICKS_PER_BEAT


def _draw_row(ax, solo: Solo, start: int, end: int, bar_lines, low: int, high: int, first_bar: int) -> None:
    """One row of bars: note boxes, bar lines with numbers (and the meter where it changes), beat
    lines, chord symbols above the bars."""
    notes = [n for n in solo.notes if n.onset < end and n.end > start]
    ax.barh(
        [n.pitch for n in notes],
        [n.duration / TICKS_PER_BEAT for n in notes],
        left=[n.onset / TICKS_PER_BEAT for n in notes],
        height=0.8,
        color="tab:blue",
        edgecolor="black",
        linewidth=0.5,
        zorder=3,
    )
    for beat in range(start // TICKS_PER_BEAT, -(-end // TICKS_PER_BEAT)):
        ax.axvline(beat, color="0.88", linewidth=0.6, zorder=1)
    for tick in bar_lines:
        ax.axvline(tick / TICKS_PER_BEAT, color="black", linewidth=1.0, zorder=2)
    meters = {solo.bar_starts[ts.bar]: ts.name for ts in solo.meter if ts.bar < solo.bars}
    labels = [
        f"{first_bar + i + 1}" + (f"  ({meters[t]})" if t in meters else "")
        for i, t in enumerate(bar_lines[:-1])
    ]
    ax.set_xticks([t / TICKS_PER_BEAT for t in bar_lines[:-1]], labels, ha="left")
    ax.set_ylim(low, high)
    octave_cs = [p for p in range(low, high + 1) if p % 12 == 0]
    ax.set_yticks(octave_cs, [f"C{p // 12 - 1}" for p in octave_cs])
    ax.grid(axis="y", color="0.8", linewidth=0.5, zorder=1)
    label_y = ax.get_xaxis_transform()
    for chord in solo.chords:
        if start <= chord.onset < end:
            ax.text(
                chord.onset / TICKS_PER_BEAT + 0.05,
                1.02,
                chord.symbol,
                transform=label_y,
                fontsize=10,
                fontweight="bold",
            )
