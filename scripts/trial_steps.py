"""How many steps trials really run, from the committed result stores: what the dry run's
steps model (``toytasks.cost.estimate.likely_steps``) rests on.

    python scripts/trial_steps.py            # the committed stores under stores/
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(roots: list[Path]) -> None:
    unsolved: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    solved: dict[int, list[int]] = defaultdict(list)
    for path in sorted(p for root in roots for p in root.rglob("trials.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            trial, result = record["trial"], record["result"]
            if result["status"] == "solved":
                solved[trial["max_steps"]].append(result["steps"])
            elif result["status"] == "unsolved":
                unsolved[(trial["max_steps"], trial["eval_every"], trial["patience"])].append(
                    result["steps"])
    total = sum(map(len, unsolved.values())) + sum(map(len, solved.values()))
    print(f"{total} solved or unsolved trials")
    for (budget, every, patience), steps in sorted(unsolved.items()):
        print(f"unsolved, budget {budget}, eval every {every}, patience {patience}: "
              f"{len(steps)} trials, median {statistics.median(steps):g}, "
              f"mean {statistics.mean(steps):.0f} steps")
    for budget, steps in sorted(solved.items()):
        print(f"solved, budget {budget}: {len(steps)} trials, median "
              f"{statistics.median(steps):g}, mean {statistics.mean(steps):.0f} steps")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or [ROOT / "stores"])
