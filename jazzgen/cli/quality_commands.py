"""`jazzgen quality`: solos generated over real progressions, measured against real solos. No TensorFlow."""

from __future__ import annotations

import json

import click


@click.command("quality")
@click.option("-m", "--model", "model_path", required=True, type=click.Path(), help="A jazz model bundle.")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--corpus",
    required=True,
    type=click.Path(),
    help="The prepared corpus the model was trained on (its training solos for copy length).",
)
@click.option("-n", "n_solos", type=int, default=100, show_default=True, help="Solos to generate.")
@click.option("--bars", type=int, default=32, show_default=True, help="Bars per progression window.")
@click.option(
    "--temperature", type=float, default=1.0, show_default=True, help="Temperature of the pitch choices."
)
@click.option(
    "--rhythm-temperature",
    type=float,
    default=None,
    help="Temperature of the rhythm choices [default: the model's, as generate].",
)
@click.option(
    "--top-k", type=int, default=0, show_default=True, help="Sample among the k likeliest (0: all)."
)
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Nucleus sampling mass.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the windows and of sampling.")
@click.option(
    "--instrument", default="tenor sax", show_default=True, help="GM instrument whose range the lines use."
)
@click.option(
    "--best-of",
    type=int,
    default=None,
    help="Takes a solo; the bundle's critic keeps the best [default: generate's].",
)
@click.option(
    "--choose-every",
    type=int,
    default=None,
    metavar="BARS",
    help="Bars between the critic's choices among the takes; 0: once, among whole takes "
    "[default: generate's].",
)
@click.option(
    "--echo",
    type=float,
    default=None,
    help="Pull of each line's own recent motifs on its next interval [default: generate's --echo].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
def quality(
    model_path,
    sources,
    corpus,
    n_solos,
    bars,
    temperature,
    rhythm_temperature,
    top_k,
    top_p,
    seed,
    instrument,
    best_of,
    choose_every,
    echo,
    as_json,
):
    """Generate solos over the chord progressions of real solos (32-bar 4/4 windows) and compare
    their measures (notes per bar, pitch range, pitch-class entropy, scale and groove consistency,
    empty beats, chord tones, mean interval) with real solos and REFERENCE.md's ranges; report
    monophony and the longest run of notes copied from the training data.

    SOURCES give the progressions (files, folders or corpus folders); without them the validation
    solos of --corpus do.

    \b
    Example:
        jazzgen quality -m trained/jazz --corpus corpus/wjazzd -n 100 --json
    """
    from jazzgen.judge import QualitySettings, quality_report

    settings = QualitySettings(
        n_solos,
        bars,
        seed,
        temperature,
        top_k,
        top_p,
        instrument,
        rhythm_temperature,
        best_of,
        echo,
        choose_every,
    )
    report = quality_report(model_path, corpus, list(sources), settings)
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return
    for line in report_lines(report):
        click.echo(line)


def report_lines(report: dict) -> list[str]:
    """The report as a table: generated, real and reference mean +- sd per measure."""
    where = report["progressions"]
    where = where if isinstance(where, str) else ", ".join(where)
    lines = [
        f"{report['solos']} solos of {report['bars']} bars over {report['real_windows']} real windows "
        f"({where})",
        f"{'measure':<20} {'generated':>16} {'real':>16} {'reference':>16}  in range",
    ]
    for name, row in report["measures"].items():
        cells = [_mean_sd(row[k]) for k in ("generated", "real", "reference")]
        verdict = "yes" if row["in_range"] else "NO"
        lines.append(
            f"{name:<20} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}  {verdict} "
            f"({row['solos_in_range']:.0%} of solos)"
        )
    copy = report["copy_length"]
    lines.append(f"monophonic: {report['monophonic']:.0%} of solos")
    generated, real = copy["generated"], copy["real"]
    lines.append(
        f"copy length (notes): generated median {generated['median']:g}, max {generated['max']}; "
        f"real median {real['median']:g}, max {real['max']} "
        f"(against {copy['training_solos']} training solos)"
    )
    return lines + _line_lines(report["lines"])


def _line_lines(lines_report: dict) -> list[str]:
    """The 8-bar line figures and the two-sample test, as lines of the table."""
    bars = lines_report["window_bars"]
    drift = lines_report["drift_by_window"]
    out = [
        f"{bars}-bar windows: {'generated':>16} {'real':>16}",
        "lost the beat, by window: "
        + " ".join(_share(x) for x in drift["generated"])
        + "  (real: "
        + " ".join(_share(x) for x in drift["real"])
        + ")",
    ]
    for name, row in lines_report["figures"].items():
        out.append(f"{name:<20} {_mean_sd(row['generated']):>16} {_mean_sd(row['real']):>16}")
    test = lines_report["two_sample"]
    if "error" in test:
        return out + [f"two-sample test: not run ({test['error']})"]
    sanity = test["real_vs_real"]
    out.append(
        f"two-sample test: a classifier tells generated from real {bars}-bar windows with accuracy "
        f"{test['accuracy']:.3f}, AUC {test['auc']:.3f} ({test['real_windows']} real, "
        f"{test['generated_windows']} generated; real against real: {sanity['accuracy']:.3f}, "
        f"{sanity['auc']:.3f})",
    )
    boosted, boosted_sanity = test["boosted"], sanity["boosted"]
    out.append(
        f"  gradient-boosted trees: accuracy {boosted['accuracy']:.3f}, AUC {boosted['auc']:.3f} "
        f"(real against real: {boosted_sanity['accuracy']:.3f}, {boosted_sanity['auc']:.3f})"
    )
    out += [
        f"  {f['feature']:<28} real {f['real']:.3g}, generated {f['generated']:.3g}"
        for f in test["separating_features"]
    ]
    return out


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _mean_sd(cell: dict) -> str:
    if cell["mean"] is None:
        return "-"
    return f"{cell['mean']:.3g} ± {cell['sd']:.2g}"


@click.command("critic")
@click.option("-m", "--model", "model_path", required=True, type=click.Path(), help="A jazz model bundle.")
@click.option(
    "--corpus", required=True, type=click.Path(), help="The prepared corpus the model was trained on."
)
@click.option(
    "-n",
    "progressions",
    type=int,
    default=200,
    show_default=True,
    help="32-bar progressions of training solos to generate over.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the progressions and of sampling."
)
@click.option(
    "--echo",
    type=float,
    default=None,
    help="The sampler's echo the lines are generated with [default: generate's].",
)
def critic(model_path, corpus, progressions, seed, echo):
    """Fit the bundle's critic, which `generate --best-of N` and `quality --best-of N` choose takes
    with: a classifier over 8-bar windows of the model's own lines against the training solos it
    learnt from, over the same progressions. Writes MODEL/critic.json.

    \b
    Example:
        jazzgen critic -m trained/jazz --corpus corpus/wjazzd -n 200
    """
    from jazzgen.judge import CriticSettings, fit_critic

    fitted = fit_critic(model_path, corpus, CriticSettings(progressions, seed, echo=echo))
    path = fitted.save(model_path)
    accuracy = fitted.fitted_on["held_out_accuracy"]
    click.echo(
        f"wrote {path}: {fitted.fitted_on['windows']['generated']} generated and "
        f"{fitted.fitted_on['windows']['real']} real windows; held out, it tells them apart {accuracy:.1%} "
        "of the time"
    )


COMMANDS = [quality, critic]
