"""User-facing errors: the CLI turns these into one line on stderr and exit code 2."""


class ToytasksError(Exception):
    """Bad input from the user (unknown name, bad knob, broken file): never a traceback."""

    exit_code = 2
