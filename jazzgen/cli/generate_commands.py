"""Commands that sample from a trained model: generate (jazz) and text sample. No TensorFlow."""

from __future__ import annotations

from pathlib import Path

import click

from jazzgen.errors import UsageError
from jazzgen.files import clipped, read_bytes, shown
from jazzgen.formats import TRANSPOSITIONS  # the MusicXML writer's module: no music21, no numpy

MAX_PRIMER_BYTES = 16 * 2**20  # a primer of value tokens; a 32-bar solo takes about 3 KB


def _sampling_options(command):
    options = [
        click.option(
            "--temperature",
            type=float,
            default=1.0,
            show_default=True,
            help="Below 1: safer choices; above 1: wilder.",
        ),
        click.option(
            "--top-k", type=int, default=0, show_default=True, help="Sample among the k likeliest (0: all)."
        ),
        click.option(
            "--top-p",
            type=float,
            default=1.0,
            show_default=True,
            help="Sample among the likeliest tokens holding this much probability.",
        ),
        click.option("--seed", type=int, default=None, help="Same seed, same output."),
        click.option(
            "-n",
            "count",
            type=int,
            default=1,
            show_default=True,
            help="How many samples, drawn as one batch.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.option("-m", "--model", type=click.Path(), default=None, help="Model bundle [default: trained/jazz].")
@click.option(
    "--changes",
    default=None,
    help="Progression: a bar is what stands between two bar lines, '%' alone in one repeats the "
    "previous bar, e.g. '| Dm7 G7 | Cmaj7 | % |'.",
)
@click.option("--changes-file", type=click.Path(), default=None, help="A file holding the progression.")
@click.option("--tune", default=None, help="A built-in progression (see --list-tunes) [default: blues].")
@click.option(
    "--over",
    type=click.Path(),
    default=None,
    help="A file to play over: a DAW's MIDI backing track (its chords, tempo map and bars; the solo "
    "lands on its bars), an iReal Pro export (HTML or text with irealb:// links), a MusicXML lead "
    "sheet, an Impro-Visor leadsheet (.ls) or a changes text; its meter, bars and tempo too.",
)
@click.option(
    "--from-bar",
    type=int,
    default=None,
    help="With a MIDI backing track: the bar of the file the solo starts at [default: the first "
    "bar with a chord; a count-in before it stays silent].",
)
@click.option("--title", default=None, help="With --over: the song of an iReal Pro playlist to play over.")
@click.option("--list-tunes", is_flag=True, help="List the built-in progressions and exit.")
@click.option("--key", default=None, help="Transpose the progression to this key, e.g. Eb.")
@click.option("--choruses", type=int, default=1, show_default=True, help="Times through the form.")
@click.option("--bars", type=int, default=None, help="Cut (or loop) the form to this many bars.")
@click.option("--tempo", type=float, default=None, help="Beats per minute [default: the tune's].")
@click.option("--swing", type=float, default=0.62, show_default=True, help="0.5 straight .. 0.75 hard swing.")
@click.option("--instrument", default="tenor sax", show_default=True, help="GM instrument name or number.")
@click.option("--no-comp", is_flag=True, help="Leave out the piano comping track.")
@click.option("--bass", is_flag=True, help="Add a walking bass track.")
@click.option(
    "--solo-only",
    is_flag=True,
    help="Write only the Melody track (and the tempo map): what a DAW user drags onto a session.",
)
@click.option("--primer", type=click.Path(), default=None, help="A MIDI or values file the solo continues.")
@click.option("--max-tokens", type=int, default=20_000, show_default=True, help="Longest token stream.")
@_sampling_options
@click.option(
    "--rhythm-temperature",
    type=float,
    default=None,
    help="Temperature of the rhythm choices: when each note comes and how long it lasts; "
    "--temperature sets the pitch choices [default: 1.0; 0.8 for a model of the gaps scheme, whose "
    "lines lose the beat and thin out at 1.0].",
)
@click.option(
    "-o", "--output", type=click.Path(), default=None, help="MIDI file to write [default: solo.mid]."
)
@click.option(
    "--outdir", type=click.Path(file_okay=False), default=None, help="Folder for numbered files (with -n)."
)
@click.option(
    "--best-of",
    type=int,
    default=None,
    help="Takes sampled for each solo; the model's critic (critic.json) keeps the one most like real "
    "solos [default: 4 with a critic, within 16 takes in all (-n 8: 2 each); else 1].",
)
@click.option(
    "--choose-every",
    type=int,
    default=None,
    metavar="BARS",
    help="With several takes: the critic chooses every BARS bars (a multiple of 8, its window) and "
    "all takes go on from the best so far; 0 chooses once, among whole takes [default: 8].",
)
@click.option(
    "--echo",
    type=float,
    default=None,
    help="0 to 0.9: how much a line's own recent motifs pull its next interval (ideas restated "
    "and sequenced); 0 leaves it to the model [default: 0.5].",
)
@click.option("--wav", is_flag=True, help="Also render a WAV through FluidSynth.")
@click.option("--png", is_flag=True, help="Also draw a piano roll with the chords.")
@click.option(
    "--musicxml",
    is_flag=True,
    help="Also write the solo as a MusicXML lead sheet (NAME.musicxml beside NAME.mid).",
)
@click.option(
    "--score",
    is_flag=True,
    help="Also engrave the lead sheet as a picture, NAME.svg beside NAME.mid (more pages: NAME-2.svg ...).",
)
@click.option(
    "--transpose-for",
    type=click.Choice(list(TRANSPOSITIONS)),
    default=None,
    help="Write the MusicXML part (and --score) as this player reads it: tenor (a major ninth up), "
    "alto (a major sixth up), trumpet or clarinet in Bb (a major second up) [default: concert].",
)
def generate(**o) -> None:
    """Improvise a solo over a chord progression and write it as MIDI (melody, comp, bass).

    \b
    Examples:
      jazzgen generate                                   # a blues chorus from trained/jazz
      jazzgen generate --tune rhythm --key Eb --choruses 2 --tempo 220 -o rhythm.mid --wav
      jazzgen generate --changes "| Dm7 G7 | Cmaj7 | % |" -n 4 --outdir takes --seed 7 --bass
      jazzgen generate --over standards.html --title "Autumn Leaves" --choruses 2 --musicxml
      jazzgen generate --tune autumn --musicxml --score --transpose-for tenor  # + .musicxml, .svg
      jazzgen generate --over backing.mid --solo-only -o solo.mid       # lands on the session's bars
    """
    from jazzgen.music import TUNES

    if o["list_tunes"]:
        for tune in TUNES.values():
            click.echo(f"{tune.name:<14} {tune.description} (in {tune.key}, {tune.tempo:g} bpm)")
        return
    from jazzgen.files import check_writable
    from jazzgen.improv import generate_variations

    outputs = _outputs(o["output"], o["outdir"], o["count"])
    if o["transpose_for"] and not (o["musicxml"] or o["score"]):
        raise UsageError(
            f"--transpose-for {o['transpose_for']}: it sets how --musicxml and --score write the part; "
            "add --musicxml or --score"
        )
    for path in outputs:
        check_writable(path)  # before sampling, not after it
        if o["musicxml"]:
            check_writable(path.with_suffix(".musicxml"))
        if o["score"]:
            check_writable(path.with_suffix(".svg"))
    changes = _changes(o["changes"], o["changes_file"])
    backing = _backing(o, changes)
    if backing is not None:
        chart = backing.chart
        click.echo(
            f"over {shown(o['over'])}: bars {backing.first_bar}-{backing.first_bar + chart.bars - 1}, "
            f"{chart.tempo:g} bpm at bar {backing.first_bar}, chords {backing.chords_from}"
        )
    solos = generate_variations(
        o["model"],
        changes if backing is None else None,  # a backing's chart holds the changes given
        o["tune"],
        n=o["count"],
        key=o["key"],
        choruses=o["choruses"],
        bars=o["bars"] if backing is None else None,  # read_backing cut the backing's bars
        tempo=o["tempo"],
        temperature=o["temperature"],
        rhythm_temperature=o["rhythm_temperature"],
        top_k=o["top_k"],
        top_p=o["top_p"],
        seed=o["seed"],
        primer=_primer(o["primer"]),
        instrument=o["instrument"],
        max_tokens=o["max_tokens"],
        best_of=o["best_of"],
        choose_every=o["choose_every"],
        echo=o["echo"],
        over=backing.chart if backing is not None else _chart(o["over"], o["title"]),
    )
    for solo, path in zip(solos, outputs):
        _write(solo, path, o, backing)


def _backing(o: dict, changes: str | None):
    """The MIDI backing track --over names (its given changes, --from-bar and --bars applied), or
    None when --over is not a MIDI file. Options a backing track settles itself are refused."""
    from jazzgen.formats import chart_kind

    if o["over"] is None or chart_kind(o["over"]) != "midi":
        if o["from_bar"] is not None:
            raise UsageError(
                f"--from-bar {o['from_bar']}: it picks the bar of a MIDI backing track the solo starts "
                "at; add --over FILE.mid (or cut a chart with --bars)"
            )
        return None
    settled = {
        "tune": "give --over or --tune, not both",
        "title": "--title picks a song of an iReal Pro playlist; a MIDI file holds one tune",
        "key": "--key: the solo plays in the backing track's key; transpose the backing in the DAW",
        "tempo": "--tempo: the backing track's tempo map sets the tempo; change it in the DAW",
        "bass": "--bass: the backing track's own parts are written under the solo; leave --bass out",
    }
    for option, message in settled.items():
        if o[option]:
            raise UsageError(message)
    if o["choruses"] != 1:
        raise UsageError(
            "--choruses: a backing track plays once through; export more choruses from the DAW, or "
            "choose the bars with --from-bar and --bars"
        )
    from jazzgen.formats import read_backing

    return read_backing(o["over"], changes, o["from_bar"], o["bars"])


def _chart(over: str | None, title: str | None):
    """The chart read from --over's file, or None."""
    if over is None:
        if title is not None:
            raise UsageError(f"--title {title!r}: it picks a song of --over's file; add --over FILE")
        return None
    from jazzgen.formats import read_chart

    return read_chart(over, title)


def _changes(changes: str | None, changes_file: str | None) -> str | None:
    """The progression text the user gave, checked: a bad one is a usage error (exit 2)."""
    if changes and changes_file:
        raise UsageError("give --changes or --changes-file, not both")
    option = (
        f"--changes {clipped(changes or '')!r}"
        if changes_file is None
        else f"--changes-file {shown(changes_file)}"
    )
    if changes_file is not None:
        changes = _changes_text(changes_file, option)
    if changes is not None:
        from jazzgen.errors import DataError
        from jazzgen.music import parse_changes

        try:
            parse_changes(changes)
        except DataError as err:
            raise UsageError(f"{option}: {err}") from None
    return changes


def _changes_text(path: str, option: str) -> str:
    """A changes file's text, read no further than parse_changes would (a UTF-8 character is 1 to 4 bytes)."""
    from jazzgen.errors import DataError
    from jazzgen.music import MAX_CHANGES_CHARS

    if not Path(path).exists():
        raise UsageError(f"{option}: cannot read it (No such file or directory)")
    try:
        data = read_bytes(path, 4 * (MAX_CHANGES_CHARS + 1), "give a text file of chord changes")
        return data.decode("utf-8")
    except DataError as err:
        raise UsageError(str(err)) from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{option}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def _primer(path: str | None):
    if path is None:
        return None
    if not Path(path).is_file():
        raise UsageError(f"--primer {shown(path)}: no such file")
    if Path(path).suffix.lower() in (".txt", ".values", ".tokens"):
        from jazzgen.tokens import decode

        data = read_bytes(path, MAX_PRIMER_BYTES, "give a shorter primer")
        try:
            return decode(data.decode("utf-8").split(), source=str(path))
        except UnicodeDecodeError as err:
            raise UsageError(
                f"--primer {shown(path)}: not UTF-8 text (byte {err.start}); give a file of value "
                "tokens or a MIDI file"
            ) from None
    from jazzgen.formats import read_file

    return read_file(path).solos[0]


def _outputs(output: str | None, outdir: str | None, count: int) -> list[Path]:
    if output and outdir:
        raise UsageError("give -o for one file or --outdir for numbered files, not both")
    if outdir:
        return [Path(outdir) / f"solo_{i + 1:03d}.mid" for i in range(count)]
    base = Path(output or "solo.mid")
    if base.suffix.lower() not in (".mid", ".midi"):
        raise UsageError(f"-o {base}: give a .mid file name")
    if count == 1:
        return [base]
    return [base.with_name(f"{base.stem}_{i + 1:03d}{base.suffix}") for i in range(count)]


def _write(solo, path: Path, o: dict, backing=None) -> None:
    """The MIDI file (on a backing track's clock, over its band unless --solo-only) and the
    WAV, piano roll and MusicXML asked for beside it."""
    from jazzgen.formats import write_midi

    if not 0.5 <= o["swing"] <= 0.75:
        raise UsageError(f"--swing {o['swing']}: give 0.5 (straight) to 0.75 (hard swing)")
    alone = o["solo_only"]
    write_midi(
        solo,
        path,
        instrument=o["instrument"],
        comp=not (o["no_comp"] or alone or backing is not None),
        bass=o["bass"] and not alone,
        swing=o["swing"],
        chord_markers=True,
        clock=backing.clock if backing is not None else None,
        band=backing.band if backing is not None and not alone else (),
    )
    written = [str(path)]
    if o["wav"]:
        from jazzgen.formats import render_wav

        render_wav(path, path.with_suffix(".wav"))
        written.append(str(path.with_suffix(".wav")))
    if o["png"]:
        from jazzgen.formats import draw_piano_roll

        draw_piano_roll(solo, path.with_suffix(".png"))
        written.append(str(path.with_suffix(".png")))
    if o["musicxml"] or o["score"]:
        from jazzgen.files import write_text_atomic
        from jazzgen.formats import musicxml_text

        text = musicxml_text(solo, transpose_for=o["transpose_for"] or "concert", instrument=o["instrument"])
        if o["musicxml"]:
            write_text_atomic(path.with_suffix(".musicxml"), text)
            written.append(str(path.with_suffix(".musicxml")))
        if o["score"]:
            from jazzgen.formats import write_score

            written += [str(p) for p in write_score(text, path.with_suffix(".svg"))]
    click.echo(f"wrote {', '.join(written)}: {len(solo.notes)} notes over {solo.bars} bars")


@click.command("sample")
@click.option(
    "-m", "--model", required=True, type=click.Path(), help="Text model bundle, e.g. trained/dinos."
)
@click.option("--prime", default="", help="Text every sample starts with.")
@click.option("--max-len", type=int, default=200, show_default=True, help="Most tokens per sample.")
@_sampling_options
def text_sample(model, prime, max_len, temperature, top_k, top_p, seed, count) -> None:
    """Sample text from a text model, one sample per line (stopping at <EOS>).

    \b
    Example:
      jazzgen text sample -m trained/dinos -n 10 --prime "Ty" --temperature 0.8 --seed 1
    """
    from jazzgen.improv import sample_text
    from jazzgen.lm import SamplingConfig

    samples = sample_text(model, count, prime, max_len, SamplingConfig(temperature, top_k, top_p, seed))
    for sample in samples:
        click.echo(sample)
