"""Class-example figures (optional `[plots]` extra; skipped without matplotlib)."""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.plots import class_examples, plot_class_examples
from toytasks.tasks.ecg_ectopy import EcgEctopy

pytest.importorskip("matplotlib")


def test_class_examples_draws_the_asked_number_of_each_class():
    task = EcgEctopy()
    examples = class_examples(task, per_class=3, seed=1)
    assert sorted(examples) == [0, 1]
    assert all(v.shape == (3, task.seq_len, 1) for v in examples.values())
    again = class_examples(task, per_class=3, seed=1)
    assert all(np.array_equal(examples[c], again[c]) for c in examples)


def test_plot_class_examples_writes_a_png(tmp_path):
    task = EcgEctopy()
    path = plot_class_examples(task, tmp_path / "sub" / "ectopy.png", per_class=1,
                               class_names={0: "V N V", 1: "N N V"},
                               sampling_hz=task.sampling_hz)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
