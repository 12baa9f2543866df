"""The `toytasks` command: a thin click layer that parses, validates and calls the library.

One module per command group (``run``: run, sweep; ``suite``; ``results``: table, baseline,
check; ``figures``: show, plot; ``study``: study, report; ``listing``: list); what they
share is in ``common``. Tables go to stdout; progress, logs and the results folder go to
stderr. Every user error is one line, `toytasks: error: ...`, with exit code 2 and no
traceback.
"""

from __future__ import annotations

import sys

import click

from toytasks.cli import figures, listing, results, run, study, suite  # noqa: F401 (commands)
from toytasks.cli.common import RULE_NAMES, SEARCH_NAMES, main
from toytasks.errors import ToytasksError

__all__ = ["RULE_NAMES", "SEARCH_NAMES", "entry", "main"]


def entry(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors with exit code 2, never a traceback."""
    import warnings

    warnings.formatwarning = lambda message, *_args, **_kw: f"toytasks: warning: {message}\n"
    try:
        main.main(args=argv, prog_name="toytasks", standalone_mode=False)
    except ToytasksError as exc:
        click.echo(f"toytasks: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("toytasks: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"toytasks: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
