"""Adaptive vs exhaustive depth search: the same minimal depths for a fraction of the FLOPs.

The exhaustive grid (every depth, seed and lr) is trained once, for real. The adaptive and
linear searches are then replayed against its stored results: ``train`` is pure and seeded,
so a trial's result (status, steps, FLOPs) is the same whichever search asks for it, and a
replay trains exactly what a live run with one worker would. Compute is the sum over the
trials each search asked for (with more workers a live run also spends some speculative
trials, which are stored but not counted).

    PYTHONPATH=src python benchmarks/search_savings.py               # quick (a few minutes)
    PYTHONPATH=src python benchmarks/search_savings.py --full        # the spec defaults
    PYTHONPATH=src python benchmarks/search_savings.py --out DIR     # keep / resume the grid
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tabulate import tabulate

from toytasks.reading.store import ResultStore
from toytasks.running.executor import make_executor
from toytasks.running.plan import Job, run_job
from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec, parse_assignments
from toytasks.training.search import make_search
from toytasks.training.trial import TrialResult

# Quick default: one receptive-field task and one memory task, three contrasting archs.
QUICK = (
    ("cycle-pattern", "n_positive=1,period_samples=8"),
    ("copy-memory", "n_symbols=3,lag_steps=4"),
)


def replay(kind: str, spec, opts, arch: str, results: dict[str, TrialResult]
           ) -> tuple[int | None, float, int, int]:
    """(minimal depth, FLOPs, steps, trials) of search ``kind`` against stored results."""
    search = make_search(kind, arch, trial_factory(spec, arch, opts), opts.seeds, opts.lrs,
                         opts.min_depth, opts.max_depth)
    flops, steps, trials = 0.0, 0, 0
    while not search.done:
        candidates = search.candidates()
        if not candidates:
            raise RuntimeError(f"{kind} search for {arch} stalled")
        trial = candidates[0]
        result = results[trial.key]  # every trial a search can ask for is in the grid
        search.started(trial)
        search.record(trial, result)
        flops, steps, trials = flops + result.flops, steps + result.steps, trials + 1
    return search.minimal_depth, flops, steps, trials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true",
                        help="every task spec with its own defaults (hours on 2 cores)")
    parser.add_argument("--arch", default="cnn,tcn,lstm")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--max-depth", type=int, default=8)
    parser.add_argument("--steps", type=int, default=None, help="training step budget")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, help="results folder (kept; reused to resume)")
    args = parser.parse_args(argv)

    from toytasks.specs.spec import available_specs

    suite = [(name, "") for name in sorted(available_specs())] if args.full else list(QUICK)
    root = args.out or Path(tempfile.mkdtemp(prefix="search-savings-"))
    executor = make_executor(args.workers)
    rows, totals = [], {"exhaustive": 0.0, "adaptive": 0.0, "linear": 0.0}
    agree = True
    start = time.perf_counter()
    for name, sets in suite:
        spec = load_spec(name).with_knobs(parse_assignments([sets] if sets else []))
        opts = default_options(spec)
        if not args.full:
            opts = replace(opts, archs=tuple(args.arch.split(",")), seeds=args.seeds,
                           max_depth=args.max_depth, max_steps=args.steps or opts.max_steps)
        opts = replace(opts, search="exhaustive")
        store = ResultStore(root / name)
        grid = run_job(Job(spec, opts), store, executor, args.workers,
                       progress=lambda event: print(event, file=sys.stderr))
        results = {r.key: r.result for r in store.records()}
        for row in grid:
            ex_flops = sum(s.flops for s in row.depths.values())
            ex_steps = sum(s.steps for s in row.depths.values())
            ad = replay("adaptive", spec, opts, row.arch, results)
            li = replay("linear", spec, opts, row.arch, results)
            same = ad[0] == row.minimal_depth
            agree &= same
            totals["exhaustive"] += ex_flops
            totals["adaptive"] += ad[1]
            totals["linear"] += li[1]
            rows.append([
                f"{name} {sets}".strip(), row.arch, row.minimal_depth or f">{opts.max_depth}",
                ad[0] or f">{opts.max_depth}", li[0] or f">{opts.max_depth}",
                "yes" if same else "NO", f"{row.trials} / {ad[3]} / {li[3]}",
                f"{ex_steps:,} / {ad[2]:,} / {li[2]:,}",
                f"{ex_flops:.3g} / {ad[1]:.3g} / {li[1]:.3g}",
                f"{ad[1] / ex_flops:.1%}" if ex_flops else "-",
                "non-monotonic" if row.non_monotonic else "",
            ])
    executor.shutdown()
    print(tabulate(rows, headers=["task", "arch", "exhaustive", "adaptive", "linear", "same",
                                  "trials ex/ad/lin", "steps ex/ad/lin", "FLOPs ex/ad/lin",
                                  "adaptive/ex", "curve"], disable_numparse=True))
    ex = totals["exhaustive"]
    print(f"\ntotal training FLOPs: exhaustive {ex:.3g}, adaptive {totals['adaptive']:.3g} "
          f"({totals['adaptive'] / ex:.1%}), linear {totals['linear']:.3g} "
          f"({totals['linear'] / ex:.1%}); adaptive minimal depths "
          f"{'all equal' if agree else 'DIFFER from'} exhaustive; seeds {opts.seeds}, "
          f"depths {opts.min_depth}..{opts.max_depth}, lr {','.join(map(str, opts.lrs))}; "
          f"grid trained in {time.perf_counter() - start:.0f} s with {args.workers} worker(s); "
          f"results in {root}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
