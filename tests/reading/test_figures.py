"""Figures are produced, deterministic (same input, same bytes), and the CLI drives them."""

from __future__ import annotations

import pytest
from tests.helpers import make_trial

from toytasks.figures import (
    clopper_pearson,
    example_pair,
    grad_norm_by_layer,
    gradient_vs_lag,
    min_depth_vs_knob,
    store_figures,
    success_vs_depth,
    task_examples,
)
from toytasks.store import ResultStore
from toytasks.summary import summarise
from toytasks.tasks import get_generator
from toytasks.train import train

matplotlib = pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """A tiny diagnosed store: cnn at depths 1-2 and lstm at depth 1, two knob values."""
    store = ResultStore(tmp_path_factory.mktemp("store"))
    for period in (4, 5):
        for arch, depth, seed in (("cnn", 1, 0), ("cnn", 2, 0), ("cnn", 2, 1), ("lstm", 1, 0)):
            trial = make_trial(arch, depth, seed, knobs={"period_samples": period,
                                                         "prefix_cycles": 0},
                               max_steps=20, diagnostics=True)
            store.append(trial, train(trial), {}, {"seeds": 2})
    return store.records()


def test_clopper_pearson_known_values():
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    low, high = clopper_pearson(0, 3)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 3))
    low, high = clopper_pearson(3, 3)
    assert low == pytest.approx(0.025 ** (1 / 3)) and high == 1.0


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_figures_are_written_and_byte_identical(records, tmp_path, fmt):
    rows = summarise(records)
    makers = {
        "success": lambda p: success_vs_depth(rows, p),
        "knob": lambda p: min_depth_vs_knob(rows, "period_samples", p),
        "lag": lambda p: gradient_vs_lag(records, p),
        "lag-init": lambda p: gradient_vs_lag(records, p, which="init", depths=[1, 2]),
        "layers": lambda p: grad_norm_by_layer(records, p),
        "show": lambda p: task_examples(get_generator("copy-memory")(), p),
    }
    for name, make in makers.items():
        first, second = make(tmp_path / f"a-{name}.{fmt}"), make(tmp_path / f"b-{name}.{fmt}")
        data = first.read_bytes()
        assert len(data) > 1000, name
        assert data == second.read_bytes(), f"{name}.{fmt} differs between two runs"
    if fmt == "svg":
        assert b"<dc:date>" not in data


def test_store_figures_writes_what_the_store_supports(records, tmp_path):
    paths = store_figures(records, summarise(records), tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["grad-norm-by-layer-cycle-pattern.png", "gradient-vs-lag-cycle-pattern.png",
                     "min-depth-vs-period_samples-cycle-pattern.png",
                     "success-vs-depth-cycle-pattern.png"]


def test_example_pair_is_one_positive_one_negative():
    task = get_generator("cycle-pattern")()
    (x_pos, y_pos), (x_neg, y_neg) = example_pair(task, seed=3)
    assert (y_pos[0], y_neg[0]) == (1, 0)
    assert x_pos.shape == x_neg.shape == (task.seq_len, 1)


@pytest.mark.slow
def test_show_command(cli, tmp_path):
    out = tmp_path / "fig.png"
    proc = cli("show", "--task", "cycle-pattern", "--out", str(out), "--set", "n_positive=2")
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = cli("show", "--task", "cycle-pattern", "--out", str(tmp_path / "fig.txt"))
    assert bad.returncode == 2 and bad.stderr.startswith("toytasks: error:")
    assert "Traceback" not in bad.stderr


def test_plot_command_without_matplotlib_is_a_one_line_error(cli, tmp_path):
    """A `matplotlib` that cannot be imported (an empty stand-in first on the path)."""
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text("raise ImportError('absent')\n")
    from tests.conftest import ROOT

    proc = cli("show", "--task", "cycle-pattern", "--out", str(tmp_path / "f.png"),
               env={"PYTHONPATH": f"{fake}:{ROOT / 'src'}"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("toytasks: error: plots need matplotlib: "
                                   "pip install 'toytasks[plots]'")
