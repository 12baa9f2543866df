"""Class-example figures (toytasks.figures; optional `[plots]` extra; skipped without it)."""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.figures import class_examples, task_examples
from toytasks.tasks.ecg_ectopy import EcgEctopy

pytest.importorskip("matplotlib")


def test_class_examples_draws_the_asked_number_of_each_class():
    task = EcgEctopy()
    examples = class_examples(task, per_class=3, seed=1)
    assert sorted(examples) == [0, 1]
    assert all(v.shape == (3, task.seq_len, 1) for v in examples.values())
    again = class_examples(task, per_class=3, seed=1)
    assert all(np.array_equal(examples[c], again[c]) for c in examples)


def test_task_examples_writes_several_per_class_deterministically(tmp_path):
    task = EcgEctopy()
    paths = [task_examples(task, tmp_path / "sub" / f"ectopy{i}.png", per_class=2,
                           class_names={0: "V N V", 1: "N N V"},
                           sampling_hz=task.sampling_hz) for i in (1, 2)]
    data = paths[0].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert data == paths[1].read_bytes()
