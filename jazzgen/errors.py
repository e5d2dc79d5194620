"""jazzgen's own error types. The CLI turns each into one line for the user, never a traceback."""


class JazzgenError(Exception):
    """Base of every error jazzgen raises on purpose."""

    exit_code = 1


class DataError(JazzgenError):
    """An input file or record is unusable: corrupt, empty, or outside what jazzgen supports."""

    exit_code = 1


class UsageError(JazzgenError):
    """The user asked for something impossible: a bad option value, a missing path."""

    exit_code = 2
