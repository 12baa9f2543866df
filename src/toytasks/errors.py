"""User-facing errors: the CLI turns these into one line on stderr and exit code 2."""

from __future__ import annotations


class ToytasksError(Exception):
    """Bad input from the user (unknown name, bad knob, broken file): never a traceback.

    The message is kept to one line whatever the user typed: control characters in echoed
    input (a task named "a\\nb", found by fuzzing) are shown escaped.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in str(text))
