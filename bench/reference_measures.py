"""The solo measures (jazzgen.judge.metrics) over 32-bar 4/4 windows of the shared Weimar Jazz Database
solos, next to REFERENCE.md's "mean ± sd over 698 windows", and how the groove grid and the
empty-beat definition move the figures.

    .venv/bin/python bench/reference_measures.py [../shared/data/wjazzd/mcsv_melody]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from jazzgen.formats.wjazzd import MELODY_SUFFIX, read_wjazzd
from jazzgen.judge.metrics import groove_consistency, measure, windows
from jazzgen.judge.quality import REFERENCE
from jazzgen.music.solo import TICKS_PER_BEAT

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd" / "mcsv_melody"


def onset_empty_beat_rate(solo) -> float:
    """The variant left out: share of beats in which no note starts."""
    beats = solo.end // TICKS_PER_BEAT
    return 1.0 - len({n.onset // TICKS_PER_BEAT for n in solo.notes}) / beats


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        raise SystemExit(f"{folder}: no such folder (the Weimar Jazz Database's mcsv_melody)")
    start = time.perf_counter()
    solos = [read_wjazzd(path) for path in sorted(folder.glob(f"*{MELODY_SUFFIX}"))]
    found = [w for solo in solos for w in windows(solo)]
    print(
        f"{len(solos)} solos read in {time.perf_counter() - start:.1f} s; {len(found)} 32-bar 4/4 windows "
        f"(REFERENCE.md: 698)\n"
    )
    measured = [measure(w) for w in found]
    print(f"{'measure':<22} {'jazzgen':>16} {'reference':>16}  {'diff / ref sd':>13}")
    for name, (mean, sd) in REFERENCE.items():
        values = np.array([getattr(m, name) for m in measured], float)
        ours, spread = np.nanmean(values), np.nanstd(values)
        shift = (ours - mean) / sd
        print(f"{name:<22} {ours:>9.3f} ± {spread:<5.3f} {mean:>9.2f} ± {sd:<5.2f} {shift:>+13.2f}")
    print(f"{'monophonic':<22} {np.mean([m.monophonic for m in measured]):>9.3f}")
    print("\nvariants (mean ± sd):")
    grids = ((3, "8th triplets"), (4, "16ths"), (6, "16th triplets"), (12, "every tick (used)"))
    for per_beat, grid in grids:
        values = [groove_consistency(w, per_beat) for w in found]
        print(f"  groove consistency, {grid:<22} {np.mean(values):.3f} ± {np.std(values):.3f}")
    values = [onset_empty_beat_rate(w) for w in found]
    print(f"  empty beats = beats without an onset      {np.mean(values):.3f} ± {np.std(values):.3f}")


if __name__ == "__main__":
    main()
