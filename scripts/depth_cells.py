"""Every trained cell of one or more stores: solved seeds of those trained, whatever the rule.

`toytasks table` counts a cell's seeds the way its rule decided it (a sequential rule stops
counting once the cell is decided), which hides seeds trained later, e.g. when a bracket
found by an adaptive search was completed to every seed. This lists, per architecture and
depth, every stored seed: solved / trained with the 95% Clopper-Pearson interval, the
median steps to solve, the median best held-out metric and the device.

    python scripts/depth_cells.py stores/ecg-rate-250/locate stores/ecg-rate-250/recurrent
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict

from tabulate import tabulate

from toytasks.api import load
from toytasks.training.stats import clopper_pearson


def main(folders: list[str]) -> None:
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for folder in folders:
        for record in load(folder).records():
            hz = record["knobs"].get("sampling_hz", "")
            cells[(record["arch"], record["depth"], hz, record.get("device", "cpu"))].append(
                record)
    rows = []
    for (arch, depth, hz, device), records in sorted(cells.items()):
        solved = [r for r in records if r["result_status"] == "solved"]
        low, high = clopper_pearson(len(solved), len(records))
        steps = (f"{statistics.median(r['result_steps_to_solve'] for r in solved):g}"
                 if solved else "-")
        best = statistics.median(r["result_best_metric"] for r in records)
        rows.append([arch, depth, hz, f"{len(solved)}/{len(records)} [{low:.2f}-{high:.2f}]",
                     steps, f"{best:.3f}", device])
    print(tabulate(rows, ["arch", "depth", "sampling_hz", "solved / trained [95% CI]",
                          "median steps to solve", "median best metric", "device"],
                   tablefmt="github"))


if __name__ == "__main__":
    main(sys.argv[1:])
