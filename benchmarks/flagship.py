"""End to end: `toytasks run --task cycle-pattern` wall time, trials and training FLOPs.

Run: `python -m benchmarks.flagship [--workers N] [extra toytasks run options]`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(task: str = "cycle-pattern", extra: list[str] | None = None) -> dict[str, float]:
    from toytasks.reading.store import ResultStore
    from toytasks.reading.summary import summarise

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "res"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "toytasks", "run", "--task", task, "--out", str(out), "-q",
             *(extra or [])], capture_output=True, text=True, check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"toytasks run failed: {proc.stderr.strip()}")
        store = ResultStore(out, create=False)
        rows = summarise(store.records())
        return {
            "wall_s": wall,
            "trials_stored": len(store),
            "trials_counted": sum(r.trials for r in rows),
            "train_gflop": sum(r.result.flops or 0 for r in store.records()) / 1e9,
            "table": proc.stdout,
        }


def main(argv: list[str]) -> None:
    result = measure(extra=argv)
    print(result.pop("table"))
    print(f"flagship `toytasks run --task cycle-pattern {' '.join(argv)}`: "
          f"{result['wall_s']:.1f} s wall, {result['trials_stored']} trials "
          f"({result['trials_counted']} counted in the table), "
          f"{result['train_gflop']:.1f} GFLOP of training")


if __name__ == "__main__":
    main(sys.argv[1:])
