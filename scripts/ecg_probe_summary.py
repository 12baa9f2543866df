"""Summarise probe runs (scripts/ecg_probe.py output): one row per condition, seeds pooled.

    python scripts/ecg_probe_summary.py stores/rhythm-puzzle/*.jsonl
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(paths: list[str]) -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    r = json.loads(line)
                    knobs = " ".join(f"{k}={v}" for k, v in sorted(r["knobs"].items()))
                    key = (r["task"], knobs, r["arch"], r["width"], r["init"], r["input"])
                    if all(old["seed"] != r["seed"] for old in groups[key]):
                        groups[key].append(r)  # a rerun of the same seed is the same run
    print("| task | knobs | arch | width | init | input | solved | steps to 0.95 | best acc "
          "| train loss (last 100) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key, runs in groups.items():
        runs.sort(key=lambda r: r["seed"])
        solved = sum(r["solved_at"] is not None for r in runs)
        steps = ", ".join(str(r["solved_at"] or "-") for r in runs)
        best = ", ".join(f"{r['best_acc']:.2f}" for r in runs)
        loss = ", ".join(f"{r['train_loss_last100']:.3f}" for r in runs)
        print(f"| {' | '.join(str(k) for k in key)} | {solved}/{len(runs)} | {steps} | {best} "
              f"| {loss} |")


if __name__ == "__main__":
    main(sys.argv[1:])
