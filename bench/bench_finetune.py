"""A personal collection: one performer's solos, fine-tuned from a base that never heard them.

The question a musician with 20-50 files asks: is the shipped model, adapted to my files, better
than the shipped model as is, or than a model trained on my files alone? Played here with one
WJazzD performer (default John Coltrane, 18 solos):

1. Split the performer's solos by tune (takes of one tune stay together), a few tunes held out.
2. Prepare four corpora: every other performer's solos (the base's data), the performer's
   remaining solos, and the held-out solos, as CSV; the performer's solos again from the
   database's own MIDI exports (unquantised performance timing, as a user's MIDI files are).
3. Train the base once on the other performers, with --chordless (or pass one with --base; it
   must not have heard the performer), then, for CSV and for MIDI alike, fine-tune it on the performer's solos
   (`train --init`, timed) and train a model of the same size from scratch on them.
4. Score base, fine-tune and scratch on the held-out solos (bits a note, pitch and rhythm apart)
   and run `jazzgen quality` over the held-out progressions: which measures sit in the real range.

Every stage writes under --work and is skipped when its output is already there, so a second run
only prints the table. Each `jazzgen` command runs as a user would run it.

    .venv/bin/python bench/bench_finetune.py [--performer JohnColtrane] [--held-out 4] [--seed 0]
        [--base-epochs 12] [--chordless 0.25] [--work runs/bench-finetune]
        [--base runs/bench-finetune/base --base-corpus runs/bench-finetune/corpus-others]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

WJAZZD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wjazzd"
JAZZGEN = [sys.executable, "-m", "jazzgen"]
TAKE = re.compile(r"(_AlternateTake|-\d+|_\d{4})$")


def tune_of(solo: str) -> str:
    """'JohnColtrane_Impressions_1963' -> 'Impressions': the takes of one tune share it."""
    title = solo.split("_", 1)[1] if "_" in solo else solo
    return TAKE.sub("", title)


def solos_of(wjazzd: Path) -> list[str]:
    return sorted(p.name.removesuffix("_FINAL.csv") for p in (wjazzd / "mcsv_melody").glob("*_FINAL.csv"))


def split(solos: list[str], performer: str, held_tunes: int, seed: int) -> dict[str, list[str]]:
    """Other performers' solos, and the performer's own split by whole tunes into train and held out."""
    mine = [s for s in solos if s.split("_", 1)[0] == performer]
    if not mine:
        raise SystemExit(f"no solos of {performer} in the database (names look like JohnColtrane)")
    tunes = sorted({tune_of(s) for s in mine})
    held = set(random.Random(seed).sample(tunes, min(held_tunes, len(tunes) - 1)))
    return {
        "others": [s for s in solos if s not in mine],
        "train": [s for s in mine if tune_of(s) not in held],
        "held": [s for s in mine if tune_of(s) in held],
    }


def run(args: list[str], log: Path) -> float:
    """Run a jazzgen command, its output into log; the wall seconds it took."""
    start = time.perf_counter()
    with log.open("a") as out:
        shown = args if len(args) < 12 else args[:3] + [f"... ({len(args) - 5} more)"] + args[-2:]
        out.write("$ jazzgen " + " ".join(shown) + "\n")
        out.flush()
        done = subprocess.run(JAZZGEN + args, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"jazzgen {args[0]} failed: see {log}")
    return time.perf_counter() - start


def prepare(files: list[Path], out: Path, log: Path) -> Path:
    if not (out / "corpus.json").exists():
        run(["prepare", *map(str, files), "-o", str(out), "--jobs", "2"], log)
    return out


def train(corpus: Path, out: Path, log: Path, *extra: str) -> float | None:
    """Train (or fine-tune) into out; the seconds it took, or None when it was already there."""
    if (out / "config.json").exists():
        return None
    return run(["train", str(corpus), "-o", str(out), "--quiet", *extra], log)


def evaluate(model: Path, held: Path, log: Path) -> dict:
    cached = model / f"bench-evaluate-{_held_key(held)}.json"
    if not cached.exists():
        done = subprocess.run(
            JAZZGEN + ["evaluate", "-m", str(model), str(held), "--json"], capture_output=True, text=True
        )
        if done.returncode:
            log.open("a").write(done.stderr)
            raise SystemExit(f"jazzgen evaluate failed: see {log}")
        cached.write_text(done.stdout)
    return json.loads(cached.read_text())


def _held_key(held: Path) -> str:
    """A held-out corpus's name and a hash of its manifest: one base model is scored on the
    held-out solos of several splits (--seed), each cached apart."""
    return f"{held.name}-{hashlib.sha1((held / 'corpus.json').read_bytes()).hexdigest()[:10]}"


def quality(model: Path, corpus: Path, held: Path, solos: int, log: Path) -> dict:
    cached = model / f"bench-quality-{_held_key(held)}.json"
    if not cached.exists():
        args = ["quality", "-m", str(model), "--corpus", str(corpus), str(held), "-n", str(solos), "--json"]
        done = subprocess.run(JAZZGEN + args, capture_output=True, text=True)
        if done.returncode:
            log.open("a").write(done.stderr)
            raise SystemExit(f"jazzgen quality failed: see {log}")
        cached.write_text(done.stdout)
    return json.loads(cached.read_text())


def row(name: str, seconds: float | None, scores: dict, report: dict) -> str:
    model = scores["model"]
    measures = report["measures"]
    inside = sum(m["in_range"] for m in measures.values())
    test = report["lines"]["two_sample"]
    accuracy = f"{test['accuracy']:.2f}" if "accuracy" in test else "-"
    took = "-" if seconds is None else f"{seconds / 60:.1f} min"
    return (
        f"{name:<22} {model['bits_per_note']:>9.2f} {model['pitch_bits_per_note']:>7.2f} "
        f"{model['rhythm_bits_per_note']:>7.2f} {scores['unknown_tokens']:>5} "
        f"{inside:>3}/{len(measures):<3} {accuracy:>6} {took:>9}"
    )


def blend_line(fine: Path) -> str:
    """What share of its own weights the fine-tune kept (train --init blends it with the base)."""
    mix = json.loads((fine / "metrics.json").read_text()).get("fine_tune_mix")
    if mix is None:
        return "(the fine-tune was not blended with its base)"
    tried = ", ".join(f"{w}: {loss:.4f}" for w, loss in mix["val_nats_per_sampled_token"].items())
    return f"fine-tune: {mix['trained_weight']:g} of its own weights kept (validation by share: {tried})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wjazzd", type=Path, default=WJAZZD)
    parser.add_argument("--performer", default="JohnColtrane")
    parser.add_argument("--held-out", type=int, default=4, help="tunes of the performer held out")
    parser.add_argument("--seed", type=int, default=0, help="seed of the held-out tunes")
    parser.add_argument("--work", type=Path, default=Path("runs/bench-finetune"))
    parser.add_argument("--base", type=Path, help="a base bundle that never heard the performer")
    parser.add_argument("--base-corpus", type=Path, help="with --base: the corpus it was trained on")
    parser.add_argument("--base-epochs", type=int, default=12)
    parser.add_argument(
        "--chordless", type=float, default=0.25, help="the base's train --chordless (0: as trained/jazz was)"
    )
    parser.add_argument("--solos", type=int, default=24, help="solos quality generates per model")
    args = parser.parse_args()
    if (args.base is None) != (args.base_corpus is None):
        raise SystemExit("give --base and --base-corpus together (quality needs the base's training corpus)")
    if not (args.wjazzd / "mcsv_melody").is_dir():
        raise SystemExit(f"{args.wjazzd}: no Weimar Jazz Database here; give --wjazzd")

    work, log = args.work, args.work / "log.txt"
    work.mkdir(parents=True, exist_ok=True)
    parts = split(solos_of(args.wjazzd), args.performer, args.held_out, args.seed)
    (work / "split.json").write_text(json.dumps(parts, indent=1))
    print(
        f"{args.performer}: {len(parts['train'])} solos to learn from, {len(parts['held'])} held out "
        f"({', '.join(parts['held'])}); base: {len(parts['others'])} solos of other performers"
    )

    def csv(names):
        return [args.wjazzd / "mcsv_melody" / f"{n}_FINAL.csv" for n in names]

    def mid(names):
        return [p for n in names if (p := args.wjazzd / "midi" / f"{n}_FINAL.mid").exists()]

    base = args.base or work / "base"
    if args.base is None:
        others = prepare(csv(parts["others"]), work / "corpus-others", log)
        base_options = ["--epochs", str(args.base_epochs), "--chordless", str(args.chordless)]
        took = train(others, base, log, *base_options, "--split", "solo")  # as the README's figures
        if took:
            print(f"base trained in {took / 60:.1f} min")

    header = (
        f"{'model':<22} {'bits/note':>9} {'pitch':>7} {'rhythm':>7} {'unk':>5} "
        f"{'in range':>7} {'2-sample':>6} {'training':>9}"
    )
    for kind, files in (("csv", csv), ("midi", mid)):
        mine = prepare(files(parts["train"]), work / f"corpus-{kind}-train", log)
        held = prepare(files(parts["held"]), work / f"corpus-{kind}-held", log)
        fine, scratch = work / f"finetuned-{kind}", work / f"scratch-{kind}"
        times = {
            "fine": train(mine, fine, log, "--init", str(base)),
            "scratch": train(mine, scratch, log),
        }
        times = _remember(work / f"times-{kind}.json", times)
        print(f"\nheld-out {kind.upper()} solos ({len(parts['held'])}); quality over their progressions")
        print(header)
        base_corpus = work / "corpus-others" if args.base is None else args.base_corpus
        for name, model, corpus, seconds in (
            ("base (never heard)", base, base_corpus, None),
            (f"fine-tuned on {kind}", fine, mine, times["fine"]),
            (f"scratch on {kind}", scratch, mine, times["scratch"]),
        ):
            scores = evaluate(model, held, log)
            report = quality(model, corpus, held, args.solos, log)
            print(row(name, seconds, scores, report))
        print(blend_line(fine))
    print("\nin range: quality's measures whose generated mean is inside the real mean +- 1 sd")


def _remember(path: Path, times: dict) -> dict:
    """Training times survive a rerun that skips the training itself."""
    known = json.loads(path.read_text()) if path.exists() else {}
    known.update({k: v for k, v in times.items() if v is not None})
    path.write_text(json.dumps(known))
    return {k: known.get(k) for k in times}


if __name__ == "__main__":
    main()
