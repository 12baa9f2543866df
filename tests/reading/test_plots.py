"""Class-example figures (toytasks.reading.figures; optional `[plots]` extra; skipped
without it)."""

from __future__ import annotations

import numpy as np
import pytest

from toytasks.reading.figures import class_examples, task_examples
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


def test_task_examples_draws_the_examples_and_the_theorys_windows(tmp_path, monkeypatch):
    """What is on the figure: each panel plots one drawn example (positives first), and
    the shaded windows sit where the task's span and blind window say."""
    import toytasks.reading.figures

    figures = []
    original = toytasks.reading.figures.save
    monkeypatch.setattr(toytasks.reading.figures, "save",
                        lambda fig, path: figures.append(fig) or original(fig, path))
    task = EcgEctopy()
    task_examples(task, tmp_path / "e.png", per_class=2, seed=1,
                  class_names={0: "normal", 1: "ectopic"})
    examples = class_examples(task, per_class=2, seed=1)
    expected = [(examples[1][i], "ectopic") for i in range(2)] + \
        [(examples[0][i], "normal") for i in range(2)]
    axes = figures[0].axes
    assert len(axes) == 4
    for ax, (x, name) in zip(axes, expected, strict=True):
        (trace,) = [ln for ln in ax.get_lines() if len(ln.get_ydata()) == task.seq_len]
        assert np.array_equal(np.asarray(trace.get_ydata()), x[:, 0])
        assert np.asarray(trace.get_xdata())[-1] == 0  # 0 = the step the model answers at
        assert ax.get_title(loc="left") == name
        (span_line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert span_line.get_xdata()[0] == -(task.span_samples - 0.5)
