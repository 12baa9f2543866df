"""What stored results already say about the trials a dry run replays.

A trial's result is a function of its configuration (same spec and seed, same bits on the
same machine), so a trial stored under the same key ends the same way after the same
number of steps: its outcome and steps are known, not modelled. (A store made on another
CPU is the best guess, not a certainty: on 2026-12-04 the committed paper store, made on
an Intel Xeon, and a rerun on an AMD EPYC agreed on every ecg-resnet trial of (f) but
not on the steps of 5 of 10 chrono-lstm seeds, and one lstm seed solved on the EPYC.)
A trial whose own key is not stored but whose cell is (the same configuration at the same
depth and lr, other seeds) is expected to do what most of that cell's seeds did, for the
median of their steps. Only what neither says falls back to the likely scenario's rule (a
convolution solves from its receptive-field bound) and the steps model
(``estimate.likely_steps``).

Where from: the results folder the command writes to (its stored trials are reused, and
their cells inform the seeds still to train), and the stores committed with toytasks
(``stores/`` of the source checkout it runs from, when there is one).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from toytasks.reading.records import TrialRecord, cell_key
from toytasks.training.trial import DIVERGED, SOLVED, UNSOLVED, Trial

CHECKOUT_STORES = Path(__file__).resolve().parents[3] / "stores"


@dataclass(frozen=True)
class Known:
    """How a trial ends: solved or not, after how many steps."""

    solved: bool
    steps: int


def _place(config: dict, depth: int, lr: float) -> tuple[str, int, float]:
    return cell_key(config), depth, lr


@dataclass
class Prior:
    """Stored outcomes by trial key and by (cell, depth, lr)."""

    trials: dict[str, Known] = field(default_factory=dict)
    cells: dict[tuple[str, int, float], list[Known]] = field(default_factory=dict)
    _memo: dict[str, Known | None] = field(default_factory=dict, repr=False)

    def add(self, records: Iterable[TrialRecord]) -> None:
        """Finished trials only (an error says nothing about how a trial ends)."""
        for r in records:
            if r.result.status not in (SOLVED, UNSOLVED, DIVERGED) or r.key in self.trials:
                continue
            known = Known(r.result.solved, int(r.result.steps))
            self.trials[r.key] = known
            where = _place(r.config, r.config["depth"], r.config["lr"])
            self.cells.setdefault(where, []).append(known)
        self._memo.clear()

    def about(self, trial: Trial) -> Known | None:
        """The trial's own stored result; else its cell's majority outcome (ties count as
        solved) with the median steps of the seeds that ended that way; else None."""
        if trial.key not in self._memo:
            self._memo[trial.key] = self._look_up(trial)
        return self._memo[trial.key]

    def _look_up(self, trial: Trial) -> Known | None:
        own = self.trials.get(trial.key)
        if own is not None:
            return own
        seeds = self.cells.get(_place(trial.config(), trial.depth, trial.lr))
        if not seeds:
            return None
        solved = 2 * sum(k.solved for k in seeds) >= len(seeds)
        steps = statistics.median_low(k.steps for k in seeds if k.solved == solved)
        return Known(solved, steps)

    def add_folder(self, root: Path) -> None:
        """The trials stored in one results folder, if it exists."""
        from toytasks.reading.store import TRIALS_FILE, ResultStore

        if (root / TRIALS_FILE).exists():
            self.add(ResultStore(root, create=False).records())

    def __len__(self) -> int:
        return len(self.trials)


def read_prior(roots: Iterable[Path]) -> Prior:
    """Every trial stored in ``roots`` or in any results folder below them."""
    from toytasks.reading.store import TRIALS_FILE

    prior = Prior()
    for root in roots:
        if root.is_dir():
            for found in sorted(root.rglob(TRIALS_FILE)):
                prior.add_folder(found.parent)
    return prior
