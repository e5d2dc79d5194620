"""Commands over solo files and value tokens: prepare, inspect."""

from __future__ import annotations

import json
import sys

import click

from jazzgen.errors import UsageError
from jazzgen.files import one_line, shown
from jazzgen.tokens import PLACED, SCHEMES


def parse_track(value: str | None) -> int | str | None:
    """--melody-track: an index (0-based) or a track name."""
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Corpus folder to write."
)
@click.option("--jobs", "-j", default=1, show_default=True, type=int, help="Files read in parallel.")
@click.option(
    "--melody-track",
    default=None,
    help="MIDI track (index or name) holding the solo; default: chosen automatically.",
)
@click.option("--follow-links", is_flag=True, help="Follow symbolic links that lead outside the SOURCES too.")
@click.option("--require-chords", is_flag=True, help="Skip files whose solos have no chords.")
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    default=PLACED,
    show_default=True,
    help="How a note's time is written: the gap since the last note, its position in the bar, or "
    "both (placed: the gap, then the place it reaches; the scheme of trained/jazz); "
    "placed+next: placed, and each chord change names the next; placed+degree: placed, and each "
    "note is told where the line stands over its chord.",
)
def prepare(
    sources: tuple[str, ...],
    out_dir: str,
    jobs: int,
    melody_track: str | None,
    follow_links: bool,
    require_chords: bool,
    scheme: str,
) -> None:
    """Read solos (MIDI, MusicXML, Impro-Visor leadsheets, Weimar Jazz Database CSVs; folders
    recursively) and write OUT/tokens.jsonl, OUT/vocab.json and OUT/report.json. Unreadable files
    are skipped and listed.

    \b
    Example:
      jazzgen prepare data/midi ~/my_solos -o corpus --jobs 2
    """
    from jazzgen.formats import find_sources
    from jazzgen.tokens import prepare as run_prepare

    files = find_sources(list(sources), follow_links).files
    with click.progressbar(
        length=len(files), label="reading", file=sys.stderr, hidden=not sys.stderr.isatty()
    ) as bar:
        summary = run_prepare(
            sources,
            out_dir,
            jobs=jobs,
            melody_track=parse_track(melody_track),
            progress=bar.update,
            follow_links=follow_links,
            scheme=scheme,
            require_chords=require_chords,
        )
    for path, reason in summary.skipped:
        click.echo(f"skipped {shown(path)}: {one_line(reason)}", err=True)
    click.echo(summary.line())


@click.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--melody-track", default=None, help="MIDI track (index or name) holding the solo.")
@click.option(
    "--values", default=40, show_default=True, type=click.IntRange(0), help="How many value tokens to show."
)
@click.option(
    "--chords",
    is_flag=True,
    help="Print only the progression read, as a changes text to correct and pass back with "
    "--changes-file (any file generate --over reads, or a solo prepare reads; a MIDI file's from "
    "its bar 1, NC in a count-in, as generate --over FILE --changes-file reads them).",
)
@click.option("--title", default=None, help="With --chords: the song of an iReal Pro playlist.")
def inspect(
    file: str, as_json: bool, melody_track: str | None, values: int, chords: bool, title: str | None
) -> None:
    """Show what jazzgen reads in one file: tracks, the chosen melody and why, chords per bar,
    and the first value tokens.

    \b
    Examples:
      jazzgen inspect data/midi/blues_in_f.mid
      jazzgen inspect standards.html --chords --title "Autumn Leaves" > autumn.chords
    """
    from pathlib import Path

    from jazzgen.tokens import describe, format_text

    if not Path(file).exists():
        raise UsageError(f"{file}: no such file")
    if Path(file).is_dir():
        raise UsageError(f"{file}: is a folder; inspect reads one file (prepare reads folders)")
    if chords:
        click.echo(_progression(file, title, parse_track(melody_track)))
        return
    description = describe(file, parse_track(melody_track), values)
    click.echo(json.dumps(description, indent=1) if as_json else format_text(description))


def _progression(file: str, title: str | None, melody_track) -> str:
    """The chords read from file as a changes text, four bars a line."""
    from jazzgen.formats import chart_kind, read_chart, read_file
    from jazzgen.music import format_changes

    kind = chart_kind(file)
    if kind == "midi":
        from jazzgen.formats import file_chart

        sheet = file_chart(file)  # from the file's bar 1, as generate --over FILE --changes-file reads it
    elif kind == "musicxml" or (kind == "changes" and file.lower().endswith(".csv")):
        sheet = read_file(file, melody_track=melody_track).solos[0]  # a solo, as prepare reads it
    else:
        sheet = read_chart(file, title)
    cells = format_changes(sheet.chords, sheet.bar_starts)[2:-2].split(" | ")
    return "\n".join("| " + " | ".join(cells[i : i + 4]) + " |" for i in range(0, len(cells), 4))


COMMANDS = [prepare, inspect]
