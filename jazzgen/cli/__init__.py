"""The command line: a thin shell over jazzgen's Python API.

Each command parses its options, calls one API function and lets jazzgen's own errors become one
line for the user (exit 2 for usage errors, 1 for data errors). `--debug` shows the traceback.
"""

from __future__ import annotations

import os
import sys

import click

from jazzgen.cli import data_commands, generate_commands, model_commands, quality_commands
from jazzgen.cli.common import JazzgenGroup


@click.group(
    cls=JazzgenGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="jazzgen")
def cli(debug: bool) -> None:
    """Improvise jazz solos with an LSTM language model over chord-relative note values."""


for command in data_commands.COMMANDS:
    cli.add_command(command)

for command in model_commands.COMMANDS:
    cli.add_command(command)

cli.add_command(generate_commands.generate)
for command in quality_commands.COMMANDS:
    cli.add_command(command)
model_commands.text_group.add_command(generate_commands.text_sample)


def main() -> None:
    try:
        cli(prog_name="jazzgen")
    except BrokenPipeError:  # `jazzgen evaluate ... | head -1`: the rest of the output is not wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        sys.exit(1)
