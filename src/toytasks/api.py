"""The Python API: ``toytasks.run``, ``toytasks.run_sweep``, ``toytasks.load``, ``Results``.

(The sweep function is ``run_sweep``: the public names never shadow a module.)

Arguments are checked like the command line's options (``running.launch.python_request``:
types, ranges, choices) and run by the same code (``running.launch.prepare`` and
``launch``), so a run from Python and the same run from the shell write identical results
folders, and a bad argument is one ``ToytasksError`` before anything is written.
Everything returns a ``Results``: typed rows, tables in every format, plain records, and
``to_pandas()`` when pandas is installed (it is not a dependency of toytasks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toytasks.errors import ToytasksError
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import Row, summarise
from toytasks.running.launch import check_progress, launch, prepare, python_request
from toytasks.training.solve import get_rule

if TYPE_CHECKING:
    from toytasks.reading.best_depth import BestDepth
    from toytasks.reading.summary import SweepPoint
    from toytasks.specs.spec import TaskSpec

__all__ = ["Results", "load", "run", "run_sweep"]


@dataclass
class Results:
    """What a run, a sweep or a results folder holds."""

    folder: Path
    rows: list[Row]
    points: list[SweepPoint] = field(default_factory=list)  # a sweep's columns
    vary: str = ""
    depths: tuple[int, ...] = ()  # the depths the run asked for (empty: read from a folder)

    def table(self, format: str = "simple", best_depth: bool = False) -> str:
        """The table `toytasks run/sweep/table` prints, in any tabulate format;
        ``best_depth``: the best-depth table (`--best-depth`) instead."""
        asked = self.depths or None
        if self.points:
            from toytasks.reading.best_depth import render_best_sweep
            from toytasks.reading.table import render_sweep

            archs = tuple(dict.fromkeys(r.arch for p in self.points for r in p.rows))
            return render_best_sweep(self.points, self.vary, archs, format, asked) \
                if best_depth else render_sweep(self.points, self.vary, archs, format)
        from toytasks.reading.best_depth import render_best
        from toytasks.reading.table import render

        return render_best(self.rows, format, asked) if best_depth else render(self.rows, format)

    def best_depths(self) -> list[BestDepth]:
        """Per row: the best depth at the budget, the depths not separated from it, each
        depth's seeds and interval, and the depths missing (``complete`` is False then)."""
        from toytasks.reading.best_depth import best_depth

        return [best_depth(row, self.depths or None) for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per stored trial: its configuration, its result, its key."""
        return [{"key": r.key, **r.config, **{f"result_{k}": v for k, v in
                                               r.result.to_dict().items() if k != "key"}}
                for r in ResultStore(self.folder, create=False).records()]

    def to_pandas(self) -> Any:
        """``records()`` as a pandas DataFrame (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ToytasksError("to_pandas() needs pandas (pip install pandas)") from None
        return pd.DataFrame(self.records())


def run(task: str | TaskSpec, arch: str | Sequence[str] | None = None, *,
        knobs: dict[str, Any] | None = None, out: str | Path | None = None,
        workers: int | None = None, executor: str = "local", scheduler: str | None = None,
        progress: Callable[[Any], None] | None = None, tasks_dir: Sequence[str] = (),
        lr: float | Sequence[float] = (), workers_per_device: int | None = None,
        gpu_memory_fraction: float | None = None, **options: Any) -> Results:
    """`toytasks run` from Python: the minimal-depth table of ``task`` for ``arch``.

    ``knobs``: task knobs and architecture knobs ({"n_positive": 1, "cnn.kernel": 7});
    ``options``: seeds, min_depth, max_depth, width, steps, batch_size, patience (0: early
    stopping off), device, rule, search, match_params, train_size, diagnostics,
    test_lengths, pack (as on the command line);
    ``workers_per_device``, ``gpu_memory_fraction``: local workers on CUDA devices.
    """
    report = check_progress(progress)
    plan = prepare(python_request(
        task, arch, knobs=knobs, out=out, workers=workers, executor=executor,
        scheduler=scheduler, tasks_dir=tasks_dir, lr=lr,
        workers_per_device=workers_per_device, gpu_memory_fraction=gpu_memory_fraction,
        **options))
    return Results(plan.root, launch(plan, report), depths=_asked(plan.job.opts))


def run_sweep(task: str | TaskSpec, vary: str, arch: str | Sequence[str] | None = None, *,
              knobs: dict[str, Any] | None = None, out: str | Path | None = None,
              workers: int | None = None, executor: str = "local",
              scheduler: str | None = None, progress: Callable[[Any], None] | None = None,
              tasks_dir: Sequence[str] = (), lr: float | Sequence[float] = (),
              workers_per_device: int | None = None, gpu_memory_fraction: float | None = None,
              **options: Any) -> Results:
    """`toytasks sweep` from Python: ``vary`` is "KNOB=v1,v2,..." (or "ARCH.KNOB=...");
    the other arguments as for ``run``."""
    report = check_progress(progress)
    plan = prepare(python_request(
        task, arch, vary, knobs=knobs, out=out, workers=workers, executor=executor,
        scheduler=scheduler, tasks_dir=tasks_dir, lr=lr,
        workers_per_device=workers_per_device, gpu_memory_fraction=gpu_memory_fraction,
        **options))
    points = launch(plan, report)
    return Results(plan.root, [r for p in points for r in p.rows], points, plan.knob,
                   _asked(plan.job.opts))


def _asked(opts: Any) -> tuple[int, ...]:
    return tuple(range(opts.min_depth, opts.max_depth + 1))


def load(path: str | Path, rule: str | None = None) -> Results:
    """A results folder read back: the rows `toytasks table` prints."""
    store = ResultStore(Path(path), create=False)
    return Results(store.root, summarise(store.records(), get_rule(rule) if rule else None))
