"""What the causality guarantee costs: the checks' time as a share of training time.

Trains the quick profile's trials (seed 0, first lr, every depth of each entry, a step
budget of ``--steps``, default 300: shorter than the profile's 1,000, so the share printed
is an upper bound, since the checks cost the same per trial however long it trains) and
times, inside each trial, the end-of-trial check (``train.causality_fault``: every cut of
a short probe, plus every cut of a full-length held-out sequence when solved). Also times
the preflight at every depth of each entry, as a run does for a plugin or a built-in with
knobs set. CPU time of this process (``time.process_time``), so other load on a shared
machine does not count. Run: python -m benchmarks.causality_cost [--steps N]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from toytasks.running.preflight import check_architecture
from toytasks.running.suite import load_profile
from toytasks.running.trials import trial_factory
from toytasks.training import train as train_module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    spent = {"check": 0.0}
    real = train_module.causality_fault

    def timed(*a, **kw):
        start = time.process_time()
        try:
            return real(*a, **kw)
        finally:
            spent["check"] += time.process_time() - start

    train_module.causality_fault = timed
    total = preflight = 0.0
    trials = solved = 0
    for job in load_profile("quick").jobs():
        opts = replace(job.opts, max_steps=args.steps)
        task = job.spec.make_generator()
        for arch in opts.archs:
            start = time.process_time()
            check_architecture(arch, task, opts.width, depth=opts.min_depth,
                               max_depth=opts.max_depth)
            preflight += time.process_time() - start
            make = trial_factory(job.spec, arch, opts)
            for depth in range(opts.min_depth, opts.max_depth + 1):
                start = time.process_time()
                result = train_module.train(make(depth, 0, opts.lrs[0]))
                total += time.process_time() - start
                trials += 1
                solved += result.solved
                assert result.status != "refused", (arch, depth, result.reason)
    check = spent["check"]
    print(f"{trials} trials ({solved} solved), {args.steps} steps at most: training "
          f"{total:.1f} s CPU, of which the end-of-trial check {check:.2f} s "
          f"({100 * check / total:.2f}%); preflight at every depth {preflight:.2f} s "
          f"({100 * preflight / total:.2f}% of training)")


if __name__ == "__main__":
    main()
