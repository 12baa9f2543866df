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
from pathlib import Path

from tabulate import tabulate

from toytasks.reading.store import ResultStore
from toytasks.reading.summary import arch_label
from toytasks.training.stats import clopper_pearson


def main(folders: list[str]) -> None:
    cells: dict[tuple, list] = defaultdict(list)
    for folder in folders:
        for record in ResultStore(Path(folder), create=False).records():
            config = record.config
            hz = config["knobs"].get("sampling_hz", "")
            label = arch_label(config)  # the variant: lstm@torch_init=true, lstm@gate_bias=1
            cells[(label, record.depth, hz, config.get("device", "cpu"))].append(record.result)
    rows = []
    for (arch, depth, hz, device), results in sorted(cells.items()):
        solved = [r for r in results if r.status == "solved"]
        low, high = clopper_pearson(len(solved), len(results))
        steps = (f"{statistics.median(r.steps_to_solve for r in solved):g}"
                 if solved else "-")
        best = statistics.median(r.best_metric for r in results)
        rows.append([arch, depth, hz, f"{len(solved)}/{len(results)} [{low:.2f}-{high:.2f}]",
                     steps, f"{best:.3f}", device])
    print(tabulate(rows, ["arch", "depth", "sampling_hz", "solved / trained [95% CI]",
                          "median steps to solve", "median best metric", "device"],
                   tablefmt="github"))


if __name__ == "__main__":
    main(sys.argv[1:])
