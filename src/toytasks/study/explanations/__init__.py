"""The explanation registry: every module here named ``<letter>_<name>.py`` that defines
``EXPLANATION`` is one explanation, keyed by its letter, in letter order.

To add explanation (h): copy the closest module to ``h_<name>.py``, change its letter,
title, claim, section keys, jobs, verdict rule (``judge`` and ``rule`` together) and
report text, and add tests. Nothing else changes: study specs may then have an ``[h]``
section, and ``toytasks study`` and ``toytasks report`` pick it up (docs/architecture.md).
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from toytasks.study.explanations.base import Explanation, Parts
from toytasks.study.explanations.evidence import (
    GENERAL_RULE,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    Verdict,
)

_MODULE = re.compile(r"^([a-z])_\w+$")


def _discover() -> dict[str, Explanation]:
    found: dict[str, Explanation] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        match = _MODULE.match(info.name)
        if not match:
            continue
        explanation = importlib.import_module(f"{__name__}.{info.name}").EXPLANATION
        if explanation.letter != match.group(1) or explanation.letter in found:
            raise RuntimeError(f"explanation module {info.name} defines letter "
                               f"'{explanation.letter}' (must be unique and match the file)")
        found[explanation.letter] = explanation
    return found


EXPLANATIONS: dict[str, Explanation] = _discover()

__all__ = ["EXPLANATIONS", "GENERAL_RULE", "INCONCLUSIVE", "NOT_SUPPORTED", "SUPPORTED",
           "Explanation", "Parts", "Verdict"]
