"""Preparing a corpus: every solo under some folders -> DIR/tokens.jsonl, vocab.json, report.json.

Each file is read and encoded on its own (in parallel with jobs > 1, never more processes than
files or CPUs); a file that fails is reported and the rest is kept. Results are cached in
DIR/cache.json by path, size and modification time, so a re-run only reads what changed. DIR
must be new, empty or a corpus already; the corpus is written as one unit (jazzgen.tokens.corpus), by
one prepare at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from jazzgen.errors import DataError, JazzgenError, UsageError
from jazzgen.files.fileio import check_writable, read_json
from jazzgen.files.outputs import claim_folder, locked
from jazzgen.formats.reading import find_sources, read_file
from jazzgen.formats.wjazzd import beat_track_path
from jazzgen.lm.vocab import Vocab
from jazzgen.tokens.corpus import CACHE, corpus_entry, holds_corpus, write_corpus
from jazzgen.tokens.values import GAPS, SCHEMES

MAX_CACHE_BYTES = 2**31  # cache.json holds every solo's tokens once more
CACHE_VERSION = 4  # bump when readers or the value grammar change what a file gives (2: broken MIDI repaired,
# 3: chord marks after the melody keep their bars, 4: each file's chord source)


@dataclass(frozen=True)
class ReadSettings:
    """How each file is read and encoded: the MIDI melody track (None: chosen per file) and the
    value-token scheme. A cache written with other settings is not used."""

    melody_track: int | str | None = None
    scheme: str = GAPS
    require_chords: bool = False  # a file whose solos have no chords is skipped


@dataclass(frozen=True)
class FileResult:
    """What one file gave: solo records for tokens.jsonl, or the reason it was skipped; repairs:
    what was wrong with a file that was read all the same (jazzgen.formats.midi.repair);
    chords_from: where its chords came from ('none' when it has none)."""

    path: str
    signature: tuple
    solos: tuple[dict, ...] = ()
    error: str = ""
    repairs: tuple[str, ...] = ()
    chords_from: str = ""


@dataclass(frozen=True)
class PrepareSummary:
    out_dir: Path
    files: int
    solos: int
    notes: int
    tokens: int
    vocab_size: int
    skipped: tuple[tuple[str, str], ...]
    from_cache: int
    duplicates: int = 0
    repaired: int = 0  # files read in spite of broken bytes (their repairs are in report.json)
    chordless: int = 0  # files used although they have no chords

    def line(self) -> str:
        text = (
            f"prepared {self.solos} solos ({self.notes:,} notes, {self.tokens:,} tokens, "
            f"vocabulary {self.vocab_size}) from {self.files} files into {self.out_dir}"
        )
        if self.from_cache:
            text += f"; {self.from_cache} from cache"
        if self.duplicates:
            text += f"; passed over {self.duplicates} MIDI exports of annotated CSV solos"
        if self.repaired:
            text += f"; repaired {self.repaired}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}"
        if self.repaired or self.skipped:
            text += f" (see {self.out_dir / 'report.json'})"
        if self.chordless:
            text += (
                f"; {self.chordless} file{'s have' if self.chordless > 1 else ' has'} no chords: see "
                f"{self.out_dir / 'report.json'}; add NAME.chords beside a MIDI file, or use --require-chords"
            )
        return text


def prepare(
    sources: Iterable[str | Path],
    out_dir: str | Path,
    jobs: int = 1,
    melody_track: int | str | None = None,
    progress: Callable[[int], None] | None = None,
    follow_links: bool = False,
    scheme: str = GAPS,
    require_chords: bool = False,
) -> PrepareSummary:
    """Read and encode every solo under sources and write the corpus into out_dir.

    progress(n) is called as files finish; follow_links: follow symbolic links that lead outside
    the sources too; scheme: the value-token scheme (jazzgen.tokens.values.SCHEMES); require_chords:
    skip a file whose solos have no chords. Raises DataError when no file gave a solo.
    """
    out_dir = Path(out_dir)
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give at least 1")
    if scheme not in SCHEMES:
        raise UsageError(f"--scheme {scheme}: choose one of {', '.join(SCHEMES)}")
    settings = ReadSettings(melody_track, scheme, require_chords)
    check_writable(out_dir, folder=True)
    claim_folder(out_dir, "corpus", holds_corpus)
    found = find_sources(list(sources), follow_links)
    files = list(found.files)
    if not files:
        raise DataError(
            "no MIDI, MusicXML, Impro-Visor or Weimar Jazz Database files found in "
            + ", ".join(map(str, sources))
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    with locked(out_dir, "writing a corpus into"):
        claim_folder(out_dir, "corpus", holds_corpus)  # again, now that no other prepare can write it
        return _prepare_locked(out_dir, found, files, jobs, settings, progress)


def _prepare_locked(
    out_dir: Path, found, files: list[Path], jobs: int, settings: ReadSettings, progress
) -> PrepareSummary:
    cache = _load_cache(out_dir, settings)
    results, from_cache = _process(files, cache, jobs, settings, progress)
    entries = [solo for r in results for solo in r.solos]
    skipped = tuple((p.as_posix(), why) for p, why in found.skipped) + tuple(
        (r.path, r.error) for r in results if r.error
    )
    if not entries:
        raise DataError(
            f"no usable solo in {len(files)} files (first problem: {skipped[0][0]}: {skipped[0][1]})"
        )
    vocab = Vocab.build(e["tokens"] for e in entries)
    write_corpus(
        out_dir, entries, vocab, _report(vocab, results, skipped, found.duplicates), _cache(settings, results)
    )
    notes = sum(e["notes"] for e in entries)
    tokens = sum(len(e["tokens"]) for e in entries)
    return PrepareSummary(
        out_dir,
        len(files),
        len(entries),
        notes,
        tokens,
        len(vocab),
        skipped,
        from_cache,
        len(found.duplicates),
        sum(1 for r in results if r.repairs and not r.error),
        sum(1 for r in results if r.chords_from == "none" and not r.error),
    )


def _process(files, cache, jobs, settings: ReadSettings, progress) -> tuple[list[FileResult], int]:
    """Results in file order; cached results are reused when the file's signature is unchanged."""
    results: dict[int, FileResult] = {}
    todo = []
    for index, path in enumerate(files):
        hit = cache.get(str(path))
        if hit is not None and tuple(hit.signature) == _signature(path):
            results[index] = hit
            if progress:
                progress(1)
        else:
            todo.append(index)
    work = [(str(files[i]), settings) for i in todo]
    jobs = min(jobs, len(work), os.cpu_count() or 1)  # more processes than files or CPUs only cost memory
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = pool.map(_prepare_one, work, chunksize=max(1, len(work) // (jobs * 8)))
            _collect(todo, done, results, progress)
    else:
        _collect(todo, map(_prepare_one, work), results, progress)
    return [results[i] for i in range(len(files))], len(files) - len(todo)


def _collect(indices, done, results, progress) -> None:
    for index, result in zip(indices, done):
        results[index] = result
        if progress:
            progress(1)


def _prepare_one(job: tuple[str, ReadSettings]) -> FileResult:
    path, settings = job
    signature = _signature(Path(path))
    try:
        reading = read_file(path, settings.melody_track)
        chords_from = chord_source(reading)
        if settings.require_chords and chords_from == "none":
            return FileResult(
                path, signature, error="has no chords (--require-chords): add NAME.chords beside it"
            )
        solos = tuple(corpus_entry(s, settings.scheme) for s in reading.solos if s.notes)
        return FileResult(
            path, signature, solos, repairs=tuple(reading.details.get("repairs", ())), chords_from=chords_from
        )
    except JazzgenError as err:
        return FileResult(path, signature, error=_reason(str(err), path))
    except Exception as err:  # a reader bug must not lose the other files
        return FileResult(path, signature, error=f"internal error {type(err).__name__}: {err}")


def chord_source(reading) -> str:
    """Where a file's chords came from, as report.json says it: the MIDI reader's account, the
    file's own chord symbols, or 'none'."""
    if not any(solo.chords for solo in reading.solos):
        return "none"
    own = {
        "wjazzd": "the beat track's chords",
        "musicxml": "the lead sheet's chord symbols",
        "leadsheet": "the leadsheet's chord part",
    }
    return reading.details.get("chords_from") or own[reading.reader]


def _reason(message: str, path: str) -> str:
    """Why a file was skipped, without the file name the reader put in front (the report has it)."""
    return message[len(path) + 2 :] if message.startswith(f"{path}: ") else message


def _signature(path: Path) -> tuple:
    """Size and modification time of the file and of the files it depends on."""
    parts = [path]
    if path.suffix.lower() == ".csv":
        parts.append(beat_track_path(path))
    elif path.suffix.lower() in (".mid", ".midi", ".kar", ".rmi"):
        parts.append(path.with_suffix(".chords"))
    out = []
    for part in parts:
        try:
            stat = os.stat(part)
            out += [stat.st_size, stat.st_mtime_ns]
        except OSError:
            out += [-1, -1]
    return tuple(out)


def _report(vocab: Vocab, results, skipped, duplicates) -> dict:
    return {
        "used": [
            {
                "path": r.path,
                "solos": len(r.solos),
                "notes": sum(s["notes"] for s in r.solos),
                "chords_from": r.chords_from,
            }
            | ({"repaired": list(r.repairs)} if r.repairs else {})
            for r in results
            if not r.error
        ],
        "skipped": [{"path": p, "reason": why} for p, why in skipped],
        "passed_over": [
            {"path": p.as_posix(), "reason": "a MIDI export of an annotated CSV solo that is also present"}
            for p in duplicates
        ],
        "vocab_size": len(vocab),
    }


def _load_cache(out_dir: Path, settings: ReadSettings) -> dict[str, FileResult]:
    try:
        data = read_json(out_dir / CACHE, MAX_CACHE_BYTES)
    except DataError:
        return {}  # no cache, or one that cannot be used: every file is read again
    if (
        not isinstance(data, dict)
        or data.get("version") != CACHE_VERSION
        or data.get("reading") != asdict(settings)
    ):
        return {}
    try:
        return {
            r["path"]: FileResult(
                r["path"],
                tuple(r["signature"]),
                tuple(r["solos"]),
                r["error"],
                tuple(r["repairs"]),
                r["chords_from"],
            )
            for r in data["files"]
        }
    except (KeyError, TypeError):
        return {}


def _cache(settings: ReadSettings, results: list[FileResult]) -> dict:
    files = [
        {
            "path": r.path,
            "signature": list(r.signature),
            "solos": list(r.solos),
            "error": r.error,
            "repairs": list(r.repairs),
            "chords_from": r.chords_from,
        }
        for r in results
    ]
    return {"version": CACHE_VERSION, "reading": asdict(settings), "files": files}
