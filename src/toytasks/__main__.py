"""`python -m toytasks` = the `toytasks` command."""

from toytasks.cli import entry

entry()
