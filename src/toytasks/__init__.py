"""toytasks: controlled experiments on the minimal depth at which architectures solve tasks."""

__version__ = "0.1.0"
