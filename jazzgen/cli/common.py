"""What every command shares: jazzgen's errors become one line and an exit code, never a traceback."""

from __future__ import annotations

import traceback

import click

from jazzgen.errors import JazzgenError
from jazzgen.files import clipped, one_line

MAX_MESSAGE = 2000  # characters of an error line; a message quoting a huge input is cut


class UserFacingError(click.ClickException):
    """One line on stderr: 'jazzgen: error: <what is wrong and how to fix it>'."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        message = one_line(" ".join(clipped(self.format_message(), MAX_MESSAGE).split("\n")))  # one line
        click.echo(f"jazzgen: error: {message}", err=True, file=file)


class JazzgenGroup(click.Group):
    """A click group that turns JazzgenError, click's own usage errors (and any bug) into a
    UserFacingError: one line, never a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            raise _one_line(err) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            raise _one_line(err) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except JazzgenError as err:
            _maybe_traceback(ctx)
            raise UserFacingError(str(err), err.exit_code) from None
        except KeyboardInterrupt:
            raise click.exceptions.Abort() from None
        except BrokenPipeError:
            raise  # the reader of our output went away (`| head`): jazzgen.cli.main ends quietly
        except Exception as err:  # a bug: still one line, the traceback only with --debug
            _maybe_traceback(ctx)
            raise UserFacingError(
                f"internal error ({type(err).__name__}: {err}); run again with --debug and report it", 1
            ) from None


def _one_line(err: click.UsageError) -> UserFacingError:
    """click's 'Usage: ... Error: ...' block as one line that names the command's --help."""
    where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
    return UserFacingError(err.format_message().rstrip(".") + where, err.exit_code)


def _maybe_traceback(ctx: click.Context) -> None:
    root = ctx.find_root()
    if root.params.get("debug"):
        traceback.print_exc()
