"""Commands over language models: train and evaluate for jazz, and the same under `jazzgen text`.

Importing this module does not import TensorFlow: the training and evaluation code imports it,
quietly (jazzgen.lm.model.load_tensorflow_quietly), when a command needs it.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import click
from click.core import ParameterSource

from jazzgen.errors import UsageError
from jazzgen.lm import (
    CELLS,
    LOSSES,
    MODEL_OPTION_FIELDS,
    STRATEGIES,
    TRAIN_OPTION_FIELDS,
    ModelConfig,
    TrainConfig,
)

TEXT_MODEL, TEXT_TRAIN = ModelConfig(), TrainConfig()
# The jazz defaults are the logged sweep's winner (trained/jazz's card has the table).
JAZZ_MODEL = ModelConfig(cell="gru", layers=2, units=384, embedding=96, dropout=0.3)
JAZZ_TRAIN = TrainConfig(seq_len=256, batch_size=32, epochs=30, lr=0.003, patience=5, val_groups=True)
# A fine-tune (--init) starts near a good model: a third of the base's learning rate, few epochs;
# its blend with the base (lm.loop.Mix) takes back what the faster rate forgets. Chosen by
# bench/bench_finetune.py (held out, CSV / MIDI: a tenth and 10 epochs 8.685 / 6.959 bits a note,
# a third and 20 epochs 8.675 / 6.914).
FINE_TUNE_LR_FACTOR, FINE_TUNE_EPOCHS, FINE_TUNE_PATIENCE = 1 / 3, 20, 2
SPLITS = ("tune", "solo")


def _config_options(command, defaults: tuple[ModelConfig, TrainConfig] = (TEXT_MODEL, TEXT_TRAIN)):
    """The options that become fields of ModelConfig or TrainConfig, and --quiet (train, text train, sweep)."""
    _DEFAULT_MODEL, _DEFAULT_TRAIN = defaults
    options = [
        click.option(
            "--layers",
            type=int,
            default=_DEFAULT_MODEL.layers,
            show_default=True,
            help="Stacked recurrent layers.",
        ),
        click.option(
            "--units",
            type=int,
            default=_DEFAULT_MODEL.units,
            show_default=True,
            help="Units per recurrent layer.",
        ),
        click.option(
            "--embedding",
            type=int,
            default=_DEFAULT_MODEL.embedding,
            show_default=True,
            help="Embedding size.",
        ),
        click.option(
            "--cell",
            type=click.Choice(CELLS),
            default=_DEFAULT_MODEL.cell,
            show_default=True,
            help="Recurrent cell.",
        ),
        click.option(
            "--input-dropout",
            type=float,
            default=_DEFAULT_MODEL.input_dropout,
            show_default=True,
            help="Dropout on the embedding, before the first recurrent layer: whole embedding "
            "channels, one mask per window.",
        ),
        click.option(
            "--dropout",
            type=float,
            default=_DEFAULT_MODEL.dropout,
            show_default=True,
            help="Dropout on each recurrent layer's output.",
        ),
        click.option(
            "--recurrent-dropout",
            type=float,
            default=_DEFAULT_MODEL.recurrent_dropout,
            show_default=True,
            help="Dropout on the recurrent state (slower).",
        ),
        click.option(
            "--seq-len",
            type=int,
            default=_DEFAULT_TRAIN.seq_len,
            show_default=True,
            help="Tokens per training window.",
        ),
        click.option(
            "--batch-size",
            type=int,
            default=_DEFAULT_TRAIN.batch_size,
            show_default=True,
            help="Windows per step (global, over all workers).",
        ),
        click.option(
            "--epochs", type=int, default=_DEFAULT_TRAIN.epochs, show_default=True, help="Most epochs to run."
        ),
        click.option(
            "--lr",
            type=float,
            default=_DEFAULT_TRAIN.lr,
            show_default=True,
            help="Peak learning rate (cosine schedule).",
        ),
        click.option(
            "--patience",
            type=int,
            default=_DEFAULT_TRAIN.patience,
            show_default=True,
            help="Stop after this many epochs without a better validation loss.",
        ),
        click.option(
            "--loss",
            type=click.Choice(LOSSES),
            default=_DEFAULT_TRAIN.loss,
            show_default=True,
            help="The targets the loss counts: all, or (jazz) only what a sampler chooses.",
        ),
        click.option(
            "--clipnorm",
            type=float,
            default=_DEFAULT_TRAIN.clipnorm,
            show_default=True,
            help="Gradient norm clip.",
        ),
        click.option(
            "--weight-decay",
            type=float,
            default=_DEFAULT_TRAIN.weight_decay,
            show_default=True,
            help="AdamW's decoupled weight decay (0 to 1; 0.01-0.1 is usual) on the kernels, not "
            "the embedding or biases; 0 trains with Adam. A fine-tune uses 0 unless given.",
        ),
        click.option(
            "--seed", type=int, default=_DEFAULT_TRAIN.seed, show_default=True, help="Seed of the run."
        ),
        click.option(
            "--strategy",
            type=click.Choice(STRATEGIES),
            default=_DEFAULT_TRAIN.strategy,
            show_default=True,
            help="tf.distribute strategy; multiworker reads TF_CONFIG.",
        ),
        click.option("--quiet", is_flag=True, help="No progress line."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _split_option(command):
    return click.option(
        "--split",
        type=click.Choice(SPLITS),
        default="tune",
        show_default=True,
        help="What validation holds out: whole tunes (a tune's takes, 'Body And Soul-1' and '-2', "
        "stay on one side) or whole solos (as bundles trained before this option did).",
    )(command)


def _jazz_config_options(command):
    return _split_option(_config_options(command, (JAZZ_MODEL, JAZZ_TRAIN)))


def _shared_train_options(command, defaults: tuple[ModelConfig, TrainConfig] = (TEXT_MODEL, TEXT_TRAIN)):
    """The options both train commands share: the config options and those of one run."""
    options = [
        click.option(
            "--init",
            type=click.Path(),
            help="Fine-tune this bundle (e.g. trained/jazz): its architecture, "
            f"weights and vocabulary; by default a third of its learning rate, {FINE_TUNE_EPOCHS} epochs, "
            f"patience {FINE_TUNE_PATIENCE}; the bundle holds the blend of the fine-tuned and the "
            "base weights that scores best on validation (see --no-blend).",
        ),
        click.option(
            "--no-blend",
            is_flag=True,
            help="With --init: keep the fine-tuned weights as trained, not blended with the base's.",
        ),
        click.option("--resume", is_flag=True, help="Continue the interrupted run from its last checkpoint."),
        click.option(
            "--force",
            is_flag=True,
            help="Replace the bundle already at OUTPUT (it stays whole until the new one is complete).",
        ),
        click.option(
            "--notice",
            type=click.Path(),
            help="A Markdown file with the data's licence and citation, "
            "copied into the model card (e.g. the ODbL notice a model of the Weimar Jazz Database must carry).",
        ),
        click.option(
            "-o",
            "--output",
            required=True,
            type=click.Path(),
            help="Bundle folder to write, e.g. trained/NAME.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return _config_options(command, defaults)


def _jazz_train_options(command):
    command = click.option(
        "--chordless",
        type=click.FloatRange(0, 1),
        default=0.0,
        show_default=True,
        help="This share of the training solos that have chords is trained on again without them, "
        "so the model also knows lines over no chord (MIDI files without chord symbols): 0.25 "
        "for a base model that users fine-tune on such files.",
    )(command)
    return _split_option(_shared_train_options(command, (JAZZ_MODEL, JAZZ_TRAIN)))


def _configs(options: dict) -> tuple[ModelConfig, TrainConfig]:
    """The run's settings from the options; with --init, the base bundle's where none was given."""
    if options.get("init"):
        model, train = _fine_tune_configs(options)
    else:
        model = ModelConfig(**{name: options[name] for name in MODEL_OPTION_FIELDS})
        train = TrainConfig(**{name: options[name] for name in TRAIN_OPTION_FIELDS})
    if "split" in options:  # jazz: --split
        train = replace(train, val_groups=options["split"] == "tune")
    if options.get("no_blend"):
        train = replace(train, blend=False)
    if options.get("chordless"):  # jazz: --chordless
        train = replace(train, chordless=options["chordless"])
    return model, train


def _fine_tune_configs(options: dict) -> tuple[ModelConfig, TrainConfig]:
    from jazzgen.lm import load_bundle_meta

    base = load_bundle_meta(options["init"]).config
    given = _given(MODEL_OPTION_FIELDS + TRAIN_OPTION_FIELDS)
    model = replace(base.model, **{name: options[name] for name in MODEL_OPTION_FIELDS if name in given})
    defaults = {
        "seq_len": base.train.seq_len,
        "batch_size": base.train.batch_size,
        "epochs": FINE_TUNE_EPOCHS,
        "lr": base.train.lr * FINE_TUNE_LR_FACTOR,
        "patience": FINE_TUNE_PATIENCE,
    }
    train = TrainConfig(
        **{
            name: options[name] if name in given else defaults.get(name, options[name])
            for name in TRAIN_OPTION_FIELDS
        }
    )
    return model, train


def _given(names) -> set[str]:
    """Which of the named options the user wrote on the command line."""
    context = click.get_current_context()
    return {name for name in names if context.get_parameter_source(name) == ParameterSource.COMMANDLINE}


def _run_options(options: dict) -> dict:
    command = " ".join(shlex.quote(a) for a in ["jazzgen", *sys.argv[1:]] if a not in ("--resume", "--force"))
    return {
        "resume": options["resume"],
        "progress": not options["quiet"],
        "command": command,
        "notice": _notice_text(options["notice"]),
        "force": options["force"],
        "init": options["init"],
    }


def _notice_text(path: str | None) -> str:
    """The --notice file's text, read before training so that a wrong path fails at once."""
    if path is None:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        why = error.strerror
    except UnicodeDecodeError:
        why = "not UTF-8 text"
    raise UsageError(f"--notice {path}: cannot read it ({why}); give a UTF-8 text file")


@click.command("train")
@click.argument("corpus", type=click.Path())
@click.option(
    "--val", type=click.Path(), help="A prepared corpus to validate on (default: 10% of the solos)."
)
@_jazz_train_options
def train(corpus, val, **options):
    """Train a jazz language model on a CORPUS folder written by `jazzgen prepare`.

    Writes the bundle OUTPUT (model.keras, weights.npz, config.json, vocab.json, metrics.json,
    README.md, ngram.json); checkpoints and history live in OUTPUT.run until it is done.

    \b
    Example:
        jazzgen prepare ../shared/data/wjazzd -o corpus/wjazzd
        jazzgen train corpus/wjazzd -o trained/jazz --layers 2 --units 256 --epochs 30
    """
    from jazzgen.training import train_jazz

    model, train_config = _configs(options)
    out = train_jazz(corpus, options["output"], model, train_config, val=val, **_run_options(options))
    if out is not None:
        click.echo(f"wrote {out}")


@click.command("evaluate")
@click.option("-m", "--model", "model_path", required=True, type=click.Path(), help="A jazz model bundle.")
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate(model_path, sources, as_json):
    """Score a jazz model and its n-gram baseline on SOURCES: MIDI, MusicXML, Impro-Visor or Weimar
    Jazz Database files or folders, or corpus folders from `jazzgen prepare`.

    Only the note tokens a sampler samples are scored; bits per note = their loss / notes. The
    figures "as sampled" score each choice the sampler makes among the tokens its grammar allows
    there, a pitch by every token that sounds the same pitch: the generator's own odds.

    \b
    Example:
        jazzgen evaluate -m trained/jazz ../shared/data/wjazzd/mcsv_melody --json
    """
    from jazzgen.judge import evaluate_jazz

    report = evaluate_jazz(model_path, list(sources))
    _warn_if_trained_on(report, report["solos"], "solos", model_path)
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return
    unknown = (
        f" ({report['unknown_tokens']:,} not in the model's vocabulary)" if report["unknown_tokens"] else ""
    )
    click.echo(
        f"{report['solos']} solos, {report['notes']:,} notes, {report['tokens']:,} scored tokens{unknown}"
    )
    for name in ("model", "baseline"):
        figures = report[name]
        if figures:
            click.echo(
                f"{name:9s} {figures['nats_per_token']:.4f} nats/token  {_bits(figures)}  "
                f"perplexity {figures['perplexity']:.3f}  accuracy {figures['accuracy']:.3f}"
            )
    sampled = report["as_sampled"]
    left_out = (
        f"; {sampled['not_replayed']} solos left out (they do not replay)" if sampled["not_replayed"] else ""
    )
    click.echo(f"as sampled (the sampler's choices, a pitch by every token that sounds it){left_out}:")
    for name in ("model", "baseline"):
        if sampled[name]:
            click.echo(f"{name:9s} {_bits(sampled[name])}")


def _bits(figures: dict) -> str:
    return (
        f"{figures['bits_per_note']:.4f} bits/note "
        f"(pitch {figures['pitch_bits_per_note']:.4f}, rhythm {figures['rhythm_bits_per_note']:.4f})"
    )


def _warn_if_trained_on(report: dict, total: int | None, what: str, model_path: str) -> None:
    seen = report["in_training_data"]
    if seen:
        of = f" of {total}" if total is not None else ""
        click.echo(
            f"warning: {seen}{of} {what} are in {model_path}'s training data: their figures say how well "
            "it learnt them, not how it plays what it never heard; evaluate on solos held out of training",
            err=True,
        )


@click.group("text")
def text_group():
    """Character and word language models over plain text, with the same model core."""


@text_group.command("train")
@click.argument("file", type=click.Path())
@click.option(
    "--level", type=click.Choice(["char", "word"]), default="char", show_default=True, help="Token unit."
)
@click.option(
    "--vocab-size", type=int, help="Word level: keep this many most common words, <unk> for the rest."
)
@click.option("--lines", is_flag=True, help="Each line is one example ended by <EOS> (e.g. one name a line).")
@click.option("--lower", is_flag=True, help="Lowercase the text first.")
@click.option(
    "--val",
    type=click.Path(),
    help="A text file to validate on (default: 10% of FILE, held out from ten places).",
)
@click.option(
    "--carry-state",
    is_flag=True,
    help="Train on the text as --batch-size parallel lanes, each window going on from the state "
    "the one before it ended with, so the model learns from more context than a window holds "
    "(truncated backpropagation through time). One replica, not with --init.",
)
@_shared_train_options
def text_train(file, level, vocab_size, lines, lower, val, carry_state, **options):
    """Train a text language model on FILE (UTF-8).

    \b
    Example:
        jazzgen text train ../shared/data/text/dinos.txt --lines -o trained/dinos --units 128
    """
    from jazzgen.tokens import text_tokenizer
    from jazzgen.training import train_text

    tokenizer = text_tokenizer(level, vocab_size, lines, lower)
    if options["init"] and not _given(("level", "vocab_size", "lines", "lower")):
        tokenizer = None  # the base bundle's
    model, train_config = _configs(options)
    if carry_state:
        if lines:
            raise UsageError("--carry-state is for running text: with --lines each line starts afresh")
        train_config = replace(train_config, carry_state=True)
    out = train_text(
        file, options["output"], tokenizer, model, train_config, val=val, **_run_options(options)
    )
    if out is not None:
        click.echo(f"wrote {out}")


@text_group.command("evaluate")
@click.option("-m", "--model", "model_path", required=True, type=click.Path(), help="A text model bundle.")
@click.argument("file", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def text_evaluate(model_path, file, as_json):
    """Score a text model on FILE: nats and bits per character (or per word token).

    \b
    Example:
        jazzgen text evaluate -m trained/shakespeare held_out.txt --json
    """
    from jazzgen.judge import evaluate_text

    report = evaluate_text(model_path, file)
    _warn_if_trained_on(report, None, "of the scored texts or lines", model_path)
    if as_json:
        click.echo(json.dumps(report, indent=1))
    else:
        click.echo(
            "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v:,}" for k, v in report.items())
        )


@click.command("sweep")
@click.argument("corpus", type=click.Path())
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="Folder for the runs, sweep.jsonl (one row a finished run) and sweep.md (the table).",
)
@_jazz_config_options
def sweep(corpus, output, **options):
    """Train a small grid of jazz models on CORPUS and tabulate them: the base config (the options)
    and one change at a time: GRU, 1 and 3 layers, 128/256/512 units, dropout 0.1, seq len 128.

    Every run uses the same epochs and validation split (--seed), so their validation bits per
    note compare; run it again to finish an interrupted sweep (finished runs are kept).

    \b
    Example:
        jazzgen sweep out/wjazzd -o runs/sweep --units 384 --embedding 96 --dropout 0.3 --seq-len 256 --epochs 6
    """
    from jazzgen.training import run_sweep, sweep_table

    model, train_config = _configs(options)
    rows = run_sweep(corpus, output, None, model, train_config, progress=not options["quiet"])
    click.echo(sweep_table(rows))


COMMANDS = [train, evaluate, sweep, text_group]
