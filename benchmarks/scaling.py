"""Scaling: a fixed sweep with 1 worker vs 2 workers (target >= 1.7x on 2 cores).

The sweep is exhaustive (every depth and seed), so both runs train exactly the same trials
whatever they find; an adaptive search would leave workers idle while it waits for a verdict.
One worker runs in-process; two workers are spawned processes (their torch import counts).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

SWEEP = ["run", "--task", "cycle-pattern", "--arch", "cnn,tcn,lstm,gru,transformer",
         "--seeds", "2", "--max-depth", "5", "--steps", "400", "--exhaustive", "-q"]


def timed(workers: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "toytasks", *SWEEP, "--workers",
                               str(workers), "--out", tmp], capture_output=True, text=True,
                              check=True)
        return time.perf_counter() - start, proc.stdout


def main() -> float:
    one, table_one = timed(1)
    two, table_two = timed(2)
    same = "identical" if table_one == table_two else "DIFFERENT"
    print(f"3. scaling (`toytasks {' '.join(SWEEP)}`): 1 worker {one:.1f}s, 2 workers "
          f"{two:.1f}s, speed-up {one / two:.2f}x (target >= 1.7x); tables {same}")
    return one / two


if __name__ == "__main__":
    main()
