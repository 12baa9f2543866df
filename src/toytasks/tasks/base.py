"""The task contract: a seeded, vectorised batch sampler plus what the theory needs.

A task answers one question about one architectural property. Besides sampling data it
states how far back a model must look (``span_samples``), how far back it may look and
still learn nothing (``blind_samples``), and the score of the best trivial predictor
(``baseline``), so that tables can put every number next to what it should be compared to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from toytasks.errors import ToytasksError

CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Knob:
    """One difficulty knob: its type, allowed range, unit and meaning (the single schema)."""

    name: str
    kind: type
    default: Any
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    # A knob added to a task that already has stored results: in a trial's identity only
    # away from its default (``Task.identity_values``), so every stored key stays valid.
    keyed_when_set: bool = False

    def validate(self, value: Any, where: str = "") -> Any:
        """Coerce ``value`` to the knob's type, or raise a one-line error naming what is allowed."""
        prefix = f"{where}: " if where else ""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            raise ToytasksError(f"{prefix}knob '{self.name}' must be true or false, got {value!r}")
        try:
            coerced = self._coerce(value)
        except (TypeError, ValueError, OverflowError):
            raise ToytasksError(
                f"{prefix}knob '{self.name}' must be {self.kind.__name__} "
                f"({self.range_text()}), got {value!r}"
            ) from None
        if not np.isfinite(coerced) or (self.low is not None and coerced < self.low) or (
            self.high is not None and coerced > self.high
        ):
            raise ToytasksError(
                f"{prefix}knob '{self.name}' = {value!r} is out of range ({self.range_text()})"
            )
        return coerced

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("bool is not a number")
        number = float(value)
        if self.kind is int:
            if not number.is_integer():
                raise ValueError("not an integer")
            return int(number)
        return number

    def range_text(self) -> str:
        if self.kind is bool:
            return "true or false"
        low = "-inf" if self.low is None else _fmt(self.low)
        high = "inf" if self.high is None else _fmt(self.high)
        return f"{self.kind.__name__} in [{low}, {high}]"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


class Task(ABC):
    """A task family; an instance is one configuration of its knobs.

    Conventions shared by every task and every model:
      * ``x`` is float32 of shape (n, seq_len, n_inputs);
      * targets sit at the last ``output_steps`` time steps: ``y`` has shape
        (n, output_steps), int64 class indices for classification, float32 for regression;
      * ``span_samples``: trailing samples (ending at a target step, inclusive) that always
        contain everything that determines the target;
      * ``blind_samples``: a window of this many trailing samples carries no information on
        the target (a model that sees only this much is at chance, by construction).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    source: ClassVar[str] = ""
    # Optional, for `toytasks audit`: (n, window, channels) of the span ending at a target
    # step -> features that read the label the way a model must (e.g. a key-value lookup),
    # for tasks whose label no cheap probe reads from raw samples. Only the full-span check
    # uses it; the blind-window check always probes raw samples.
    probe_features: ClassVar[Callable[..., np.ndarray] | None] = None
    kind: ClassVar[str] = CLASSIFICATION
    knobs: ClassVar[tuple[Knob, ...]]
    # The knob that makes a sequence longer *before* the deciding span (more random cycles
    # or beats), leaving the span and the label's rule unchanged: what a length-
    # generalisation test raises (``longer``). None: the task has no such knob.
    prefix_knob: ClassVar[str | None] = None

    def __init__(self, **values: Any) -> None:
        known = {k.name: k for k in self.knobs}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ToytasksError(
                f"unknown knob '{unknown[0]}' for task '{self.name}' "
                f"(valid: {', '.join(known) or 'none'})"
            )
        self.values = {
            name: knob.validate(values.get(name, knob.default)) for name, knob in known.items()
        }
        self.check()

    @property
    def identity_values(self) -> dict[str, Any]:
        """The knob values a trial's identity holds: all, less a ``keyed_when_set`` knob at
        its default (the same data as before the knob existed, under the same key)."""
        quiet = {k.name for k in self.knobs
                 if k.keyed_when_set and self.values[k.name] == k.default}
        return {k: v for k, v in self.values.items() if k not in quiet}

    def __getattr__(self, item: str) -> Any:
        values = self.__dict__.get("values", {})
        if item in values:
            return values[item]
        raise AttributeError(item)

    def check(self) -> None:
        """Cross-knob validation; raise ToytasksError for impossible combinations."""
        return None

    # --- shapes -----------------------------------------------------------------------
    @property
    @abstractmethod
    def seq_len(self) -> int: ...

    @property
    @abstractmethod
    def n_inputs(self) -> int: ...

    @property
    def n_outputs(self) -> int:
        """Classes for classification, 1 for regression."""
        return 2 if self.kind == CLASSIFICATION else 1

    @property
    def output_steps(self) -> int:
        return 1

    # --- theory -----------------------------------------------------------------------
    @property
    @abstractmethod
    def span_samples(self) -> int: ...

    @property
    def blind_samples(self) -> int:
        return self.span_samples - 1

    @property
    def metric(self) -> str:
        return "accuracy" if self.kind == CLASSIFICATION else "mse"

    @property
    def higher_is_better(self) -> bool:
        return self.kind == CLASSIFICATION

    @property
    @abstractmethod
    def baseline(self) -> float:
        """Metric of the best predictor that ignores the inputs (chance / constant MSE)."""

    @property
    def solve_threshold(self) -> float | None:
        """A threshold that the knobs set (e.g. a required precision), else None (the spec's)."""
        return None

    # --- data -------------------------------------------------------------------------
    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` independent examples; must be vectorised (no per-sample Python work)."""

    def longer(self, factor: int) -> Task:
        """This task with its prefix knob raised until the sequence is at least ``factor``
        times as long (exactly, where the length is linear in the knob): the same span and
        rule, more label-free prefix before it. A one-line error when the task has no
        prefix knob or the knob's range cannot reach that length."""
        if self.prefix_knob is None:
            raise ToytasksError(f"task '{self.name}' has no prefix knob: it cannot be tested "
                                "at longer lengths (toytasks list shows which tasks can)")
        knob = next(k for k in self.knobs if k.name == self.prefix_knob)
        want = factor * self.seq_len
        value = self.values[knob.name]
        high = int(knob.high) if knob.high is not None else value + want
        while value <= high:
            task = type(self)(**{**self.values, knob.name: value})
            if task.seq_len >= want:
                return task
            value += 1
        raise ToytasksError(f"task '{self.name}': {knob.name} <= {high} cannot make the "
                            f"sequence {factor}x longer ({want} samples)")

    def describe(self) -> dict[str, Any]:
        return {
            "seq_len": self.seq_len,
            "span_samples": self.span_samples,
            "blind_samples": self.blind_samples,
            "metric": self.metric,
            "baseline": self.baseline,
        }
