"""Regenerate the ECG figures of docs/ecg.md (needs the `[plots]` extra).

Run from the repository root: `PYTHONPATH=src python docs/figures/make_ecg_figures.py`.
Each figure shows two examples of each class of a task as its spec defines it (or with the
sampling rate raised, to show the morphology), the blind window in grey, the span dashed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from toytasks.reading.figures import task_examples
from toytasks.specs.spec import load_spec

HERE = Path(__file__).resolve().parent
NAMES = {
    "ecg-ectopy": {1: "N N V\n(positive)", 0: "V N V\n(negative)"},
    "ecg-rhythm": {1: "regular\n(positive)", 0: "irregular\n(negative)"},
}


def main() -> None:
    for task_name, names in NAMES.items():
        spec = load_spec(task_name)
        for suffix, overrides in (("", {}), ("-250hz", {"sampling_hz": 250.0})):
            task = spec.with_knobs(overrides).make_generator()
            knobs = ", ".join(f"{k}={v}" for k, v in task.values.items())
            title = f"{task_name}\n" + "\n".join(textwrap.wrap(knobs, 110))
            path = task_examples(task, HERE / f"{task_name}{suffix}.png", per_class=2,
                                 seed=0, class_names=names, title=title,
                                 sampling_hz=task.sampling_hz)
            print(path)


if __name__ == "__main__":
    main()
