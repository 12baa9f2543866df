"""Example toytasks plugin (docs/extending.md)."""
