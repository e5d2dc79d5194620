"""The long fuzz run: every target of tests/fuzz_targets.py fed --cases generated cases (10,000 by
default) by hypothesis. Prints, per target, how many cases were read, refused with which of
jazzgen's errors, and how many raised anything else (a bug: its first case and traceback are
shown). Exits 1 when any bug was found.

    .venv/bin/python fuzz/fuzz_all.py                    # all targets, 10,000 cases each
    .venv/bin/python fuzz/fuzz_all.py --cases 2000 read_midi --seed 3
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_targets import TARGETS


def run_target(name: str, cases: int, random_seed: int) -> tuple[Counter, dict]:
    """Outcome counts ('ok', 'DataError', 'UsageError', 'bug: ...') and the first case of each bug."""
    target, strategy = TARGETS[name]
    counts, bugs = Counter(), {}

    @seed(random_seed)
    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy())
    def feed(case):
        try:
            counts[target(case)] += 1
        except Exception as err:
            key = f"bug: {type(err).__name__}: {str(err)[:100]}"
            counts[key] += 1
            bugs.setdefault(key, (case, traceback.format_exc()))

    feed()
    return counts, bugs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "targets", nargs="*", default=sorted(TARGETS), help=f"of {', '.join(sorted(TARGETS))}"
    )
    parser.add_argument("--cases", type=int, default=10_000, help="generated cases per target")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    found = 0
    print(
        f"{'target':<15} {'cases':>7} {'ok':>7} {'DataError':>10} {'UsageError':>10} {'bugs':>5} "
        f"{'seconds':>8}"
    )
    for name in args.targets:
        started = time.perf_counter()
        counts, bugs = run_target(name, args.cases, args.seed)
        bug_count = sum(n for key, n in counts.items() if key.startswith("bug"))
        print(
            f"{name:<15} {sum(counts.values()):>7} {counts['ok']:>7} {counts['DataError']:>10} "
            f"{counts['UsageError']:>10} {bug_count:>5} {time.perf_counter() - started:>8.1f}",
            flush=True,
        )
        for key, (case, trace) in bugs.items():
            print(f"  {key} ({counts[key]} cases), first: {case!r:.300}\n{trace}")
        found += bug_count
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
