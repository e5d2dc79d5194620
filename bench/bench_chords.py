"""Chord recognition from an accompaniment: render backing tracks of known progressions, read them
back with the MIDI reader (no chord markers) and count what comes back right.

Every built-in tune (jazzgen.music.tunes.TUNES) in three keys, in six comping styles: jazzgen's own
rootless comp with and without its walking bass, and four made here: shell voicings (root, 3rd,
7th), block chords with the root on top, jazzgen's comp over a two-feel bass (root on beat 1, fifth
on beat 3), and a bossa bass (root and fifth, dotted). A beat is right when the chord read at it has
the true root and the true quality family (jazzgen.music.recognition.FAMILIES); a bar is right when
all its beats are. --against REV also runs the estimator of jazzgen/music/recognition.py at git
revision REV, for a before and after.

--charts FOLDER renders, in the same styles, the changes of real charts rather than the built-in
tunes: a fixed sample (--limit, chosen by a hash of each file's name, so one folder always gives
the same sample) of the Impro-Visor leadsheets under FOLDER, each in its own key; --skip passes over
the first of them. This is the held-out check: the recognition constants were set looking at the
built-in tunes and the first 150 charts of imaginary-book/, so --skip 150 gives progressions they
were not set on.

--band FOLDER scores real band files the same way: each MIDI file in FOLDER with an Impro-Visor
leadsheet of the same name beside it (NAME.mid, NAME.ls), read as generate --over reads a backing
track. The leadsheet's form is laid over the file's bars from the offset (0 to 8 bars: an intro)
where it agrees best, and repeated to the file's end; a band's arrangement may reharmonise the
written changes, so this counts agreement with the leadsheet, not only recognition errors. (The
files measured so far: the midi/ folder of Impro-Visor's repository, each beside the leadsheet of
its tune from its leadsheets/ folder; only BerniesTuneWardellGray.mid is Impro-Visor's own band
export of its leadsheet, the others are third-party arrangements of the tunes. The pairs, from
midi/ and leadsheets/imaginary-book/ of the repository: BerniesTuneWardellGray + BerniesTune,
afternooninparis + AfternoonInParis, bagsgroove + BagsGroove, lazybird + LazyBird, milestones +
Milestones, each .ls copied beside its .mid under the .mid's name.)

    .venv/bin/python bench/bench_chords.py [--against HEAD] [--keys 3] [--band runs/impro-visor]
        [--charts runs/impro-visor/leadsheets/imaginary-book [--skip 150] [--limit 150]]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import mido

from jazzgen.formats import render
from jazzgen.formats.midi import reader
from jazzgen.formats.midi.reader import read_midi
from jazzgen.music.accompany import comp_notes
from jazzgen.music.changes import format_changes
from jazzgen.music.chords import NOTE_NAMES, pitch_class
from jazzgen.music.recognition import TENSIONS, family
from jazzgen.music.solo import TICKS_PER_BEAT, Chord, Note, Solo, chord_at
from jazzgen.music.tunes import TUNES, lead_sheet

KEY_SHIFTS = (0, 5, 8)  # semitones up from each tune's own key
ROOT = Path(__file__).resolve().parents[1]


def melody(solo: Solo) -> tuple[Note, ...]:
    """A plain 8th-note line high above the band, so the reader takes it as the melody."""
    pitches = (72, 74, 76, 77, 79, 77, 76, 74)
    step = TICKS_PER_BEAT // 2
    return tuple(Note(t, step - 1, pitches[(t // step) % 8], 90) for t in range(0, solo.end, step))


def bass_line(solo: Solo, pattern) -> list[Note]:
    """Root and fifth bass: pattern is (offset ticks, length ticks, 0 for the root | 7 for the fifth)
    within each beat pair; a new chord restarts on its root."""
    notes = []
    for chord in solo.chords:
        for pair in range(chord.onset, chord.end, 2 * TICKS_PER_BEAT):
            for offset, length, step in pattern:
                if pair + offset < chord.end:
                    pitch = 36 + (chord.root + step) % 12
                    notes.append(Note(pair + offset, min(length, chord.end - pair - offset), pitch, 90))
    return notes


def shell(chord: Chord) -> tuple[int, ...]:
    tones = sorted((pc - chord.root) % 12 for pc in chord.chord_tones)
    third = next((t for t in tones if t in (3, 4, 5)), tones[1])
    seventh = next((t for t in reversed(tones) if t in (9, 10, 11)), tones[-1])
    return (48 + chord.root, 48 + chord.root + third + 12, 48 + chord.root + seventh)


def block(chord: Chord) -> tuple[int, ...]:
    """Chord tones in close position under the root on top (around G4)."""
    top = 60 + (chord.root - 60) % 12 + 12 if chord.root < 7 else 60 + chord.root
    return tuple(sorted(top - (12 - (pc - chord.root) % 12) % 12 for pc in chord.chord_tones))


def chord_hits(solo: Solo, voicing) -> list[Note]:
    """Each chord voiced by voicing, struck on beats 1 and 3 of its span (half notes)."""
    notes = []
    for chord in solo.chords:
        for tick in range(chord.onset, chord.end, 2 * TICKS_PER_BEAT):
            length = min(2 * TICKS_PER_BEAT, chord.end - tick) - 1
            notes += [Note(tick, max(length, 1), p, 70) for p in voicing(chord)]
    return notes


def two_feel(solo: Solo) -> list[Note]:
    return bass_line(solo, ((0, 2 * TICKS_PER_BEAT - 1, 0), (2 * TICKS_PER_BEAT, 2 * TICKS_PER_BEAT - 1, 7)))


def bossa(solo: Solo) -> list[Note]:
    beat = TICKS_PER_BEAT
    return bass_line(solo, ((0, beat + beat // 2 - 1, 0), (beat + beat // 2, beat // 2 - 1, 7)))


def with_parts(solo: Solo, parts: list[tuple[str, int, list[Note]]]) -> io.BytesIO:
    """jazzgen's melody-only render with parts (name, GM program, notes) added as tracks."""
    midi = render.midi_file(solo, comp=False)
    for channel, (name, program, notes) in enumerate(parts, start=1):
        events = []
        for n in notes:
            events.append(
                (
                    n.onset * render.SCALE,
                    1,
                    mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.velocity),
                )
            )
            events.append((n.end * render.SCALE, 0, mido.Message("note_off", channel=channel, note=n.pitch)))
        track, now = mido.MidiTrack([mido.MetaMessage("track_name", name=name)]), 0
        track.append(mido.Message("program_change", channel=channel, program=program))
        for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
            track.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    data = io.BytesIO()
    midi.save(file=data)
    data.seek(0)
    return data


def rendered(solo: Solo, **options) -> io.BytesIO:
    data = io.BytesIO()
    render.write_midi(solo, data, **options)
    data.seek(0)
    return data


STYLES = {
    "jazzgen comp + walking bass": lambda s: rendered(s, comp=True, bass=True),
    "jazzgen comp, no bass": lambda s: rendered(s, comp=True, bass=False),
    "shell voicings (R-3-7)": lambda s: with_parts(s, [("Piano", 0, chord_hits(s, shell))]),
    "block chords, root on top": lambda s: with_parts(s, [("Piano", 0, chord_hits(s, block))]),
    "jazzgen comp + two-feel bass": lambda s: with_parts(
        s, [("Piano", 0, list(comp_notes(s))), ("Bass", 32, two_feel(s))]
    ),
    "jazzgen comp + bossa bass": lambda s: with_parts(
        s, [("Piano", 0, list(comp_notes(s))), ("Bass", 32, bossa(s))]
    ),
}


def score(truth: Solo, read: Solo) -> tuple[int, ...]:
    """(right bars, bars, right beats, beats, right bars of the plain ones, plain bars): a plain bar
    changes chord only on its first beat and, in an even meter, half way, where the reader looks."""
    right_bars = right_beats = beats = right_plain = plain = 0
    starts = truth.bar_starts
    for start, end in zip(starts, starts[1:]):
        ok = [_same(truth.chord_at(t), read.chord_at(t)) for t in range(start, end, TICKS_PER_BEAT)]
        right_beats, beats, right_bars = right_beats + sum(ok), beats + len(ok), right_bars + all(ok)
        if _plain(truth, start, end):
            plain, right_plain = plain + 1, right_plain + all(ok)
    return right_bars, len(starts) - 1, right_beats, beats, right_plain, plain


def _plain(truth: Solo, start: int, end: int) -> bool:
    halves = {start, (start + end) // 2} if ((end - start) // TICKS_PER_BEAT) % 2 == 0 else {start}
    return all(c.onset in halves for c in truth.chords if start < c.onset < end)


def _same(true: Chord | None, read: Chord | None) -> bool:
    """The true root and quality family; for a slash chord also its notes named from its bass: a
    reading on the bass whose chord tones all sound in it and whose chord tones and usual tensions
    hold all its notes (F/D read as Dm7, Fm7/Bb as Bb7sus4 with its 9th; not F/A as Am7)."""
    if true is None or read is None or read.is_nc:
        return False
    if true.root == read.root and family(true.quality) == family(read.quality):
        return True
    if true.bass is None or read.root != true.bass:
        return False
    notes = true.chord_tones | {true.bass}
    tensions = {(read.root + t) % 12 for t in TENSIONS.get(read.quality, ())}
    return read.chord_tones <= notes <= read.chord_tones | tensions


def estimator_at(revision: str):
    """estimate_chords of jazzgen/music/recognition.py at a git revision, loaded from a temp file."""
    text = subprocess.run(
        ["git", "show", f"{revision}:jazzgen/music/recognition.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "recognition_then.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("recognition_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.estimate_chords


def built_in(keys: tuple[int, ...]) -> list[tuple[str, Solo]]:
    """(label, truth) for every built-in tune in each key shift."""
    sheets = []
    for name in TUNES:
        for shift in keys:
            key = NOTE_NAMES[(pitch_class(TUNES[name].key) + shift) % 12]
            sheets.append((f"{name} +{shift}", lead_sheet(tune=name, key=key)))
    return [(label, _with_melody(sheet)) for label, sheet in sheets]


def charts(folder: Path, limit: int, skip: int = 0) -> list[tuple[str, Solo]]:
    """(label, truth) for a fixed sample of the leadsheets under folder: those that read, span 8
    bars or more and hold chords but no NC, after the first skip of them (a reader that reads more
    files moves the boundary between the first 150 and the rest)."""
    from jazzgen.errors import DataError
    from jazzgen.formats.impro_visor import leadsheet_chart

    files = sorted(folder.rglob("*.ls"), key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
    sheets = []
    for path in files:
        if len(sheets) == skip + limit:
            break
        try:
            sheet = leadsheet_chart(path)
        except DataError:
            continue
        if sheet.bars >= 8 and sheet.chords and not any(c.is_nc for c in sheet.chords):
            sheets.append((path.stem, _with_melody(sheet)))
    return sheets[skip:]


def _with_melody(sheet: Solo) -> Solo:
    return Solo(melody(sheet), sheet.chords, sheet.meter, sheet.bars, sheet.tempo, "bench")


def run(estimator, sheets: list[tuple[str, Solo]], verbose: bool) -> None:
    reader.estimate_chords = estimator
    for style, make in STYLES.items():
        totals = [0] * 6
        for label, truth in sheets:
            read = read_midi(make(truth)).solo
            counts = score(truth, read)
            totals = [a + b for a, b in zip(totals, counts)]
            if verbose and counts[0] < counts[1]:
                print(f"  {label}: {format_changes(read.chords, read.bar_starts)}", file=sys.stderr)
        print(
            f"  {style:32s} bars {totals[0] / totals[1]:6.1%}   beats {totals[2] / totals[3]:6.1%}   "
            f"plain bars {totals[4] / max(totals[5], 1):6.1%}   ({totals[1]} bars, {totals[5]} plain)"
        )


def band_files(folder: Path, verbose: bool) -> None:
    """Real band files against their leadsheets (see the module doc)."""
    from jazzgen.formats.impro_visor import leadsheet_chart
    from jazzgen.formats.midi.backing import file_chart

    totals = [0, 0, 0, 0]
    for midi in sorted(folder.glob("*.mid")):
        sheet = midi.with_suffix(".ls")
        if not sheet.is_file():
            continue
        read, form = file_chart(midi), leadsheet_chart(sheet)
        offset, counts = max(
            ((o, _laid_over(form, read, o)) for o in range(min(9, read.bars))),
            key=lambda found: found[1][2],
        )
        totals = [a + b for a, b in zip(totals, counts)]
        print(
            f"  {midi.name:32s} bars {counts[0] / counts[1]:6.1%}   beats {counts[2] / counts[3]:6.1%}   "
            f"({counts[1]} bars; form of {form.bars} from bar {offset + 1})"
        )
        if verbose:
            print(f"    read: {format_changes(read.chords, read.bar_starts)}", file=sys.stderr)
    if totals[1]:
        print(
            f"  {'all':32s} bars {totals[0] / totals[1]:6.1%}   beats {totals[2] / totals[3]:6.1%}   ({totals[1]} bars)"
        )


def _laid_over(form: Solo, read: Solo, offset: int) -> tuple[int, int, int, int]:
    """score() of read against the form's chords repeated over its bars from bar offset on (both
    in one meter), counting those bars only."""
    from dataclasses import replace

    begin = read.bar_starts[offset]
    span = form.end
    chords = tuple(
        replace(c, onset=start + c.onset, duration=min(c.duration, read.end - start - c.onset))
        for start in range(begin, read.end, span)
        for c in form.chords
        if start + c.onset < read.end
    )
    right_bars = right_beats = beats = 0
    starts = read.bar_starts[offset:]
    for start, end in zip(starts, starts[1:]):
        ok = [_same(chord_at(chords, t), read.chord_at(t)) for t in range(start, end, TICKS_PER_BEAT)]
        right_beats, beats, right_bars = right_beats + sum(ok), beats + len(ok), right_bars + all(ok)
    return right_bars, len(starts) - 1, right_beats, beats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also run the estimator of git revision REV")
    parser.add_argument("--band", type=Path, help="a folder of band files NAME.mid with leadsheets NAME.ls")
    parser.add_argument("--charts", type=Path, help="render the changes of the leadsheets under this folder")
    parser.add_argument("--limit", type=int, default=150, help="how many charts --charts renders")
    parser.add_argument(
        "--skip", type=int, default=0, help="--charts passes over the first SKIP of its sample"
    )
    parser.add_argument("--keys", type=int, default=len(KEY_SHIFTS))
    parser.add_argument("--verbose", action="store_true", help="print the changes read in bars that miss")
    args = parser.parse_args()
    if args.charts:
        sheets = charts(args.charts, args.limit, args.skip)
        if not sheets:
            raise SystemExit(f"--charts {args.charts}: no readable Impro-Visor leadsheet (.ls) there")
        what = f"{len(sheets)} charts under {args.charts} (from {args.skip + 1} of its sample)"
    else:
        sheets = built_in(KEY_SHIFTS[: args.keys])
        what = f"{len(TUNES)} built-in tunes in {args.keys} keys"
    current = reader.estimate_chords
    if args.against:
        print(f"{what}, the estimator at {args.against}:")
        run(estimator_at(args.against), sheets, args.verbose)
    print(f"{what}, jazzgen.music.recognition.estimate_chords:")
    run(current, sheets, args.verbose)
    if args.band:
        print(f"real band files in {args.band} against their leadsheets:")
        band_files(args.band, args.verbose)


if __name__ == "__main__":
    main()
