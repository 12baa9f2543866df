"""Figures are produced, deterministic (same input, same bytes), and the CLI drives them."""

from __future__ import annotations

import pytest
from tests.helpers import make_trial

from toytasks.reading.figures import (
    clopper_pearson,
    example_pair,
    grad_norm_by_layer,
    gradient_vs_lag,
    min_depth_vs_knob,
    store_figures,
    success_vs_depth,
    task_examples,
)
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.tasks import get_generator
from toytasks.training.train import train

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


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures handed to ``save`` (what is drawn, not only the file)."""
    import toytasks.reading.diagnostic_figures
    import toytasks.reading.figures

    figures = []
    original = toytasks.reading.figures.save

    def keep(fig, path):
        figures.append(fig)
        return original(fig, path)

    monkeypatch.setattr(toytasks.reading.figures, "save", keep)
    monkeypatch.setattr(toytasks.reading.diagnostic_figures, "save", keep)
    return figures


def solved_rows():
    """Rows with solved and unsolved cells (fake results): cnn at period 4 solves at depth
    2 (also trained at 3), at period 5 at depth 3 (1/2 at depth 2); lstm at depth 1; gru
    unsolved at depths 1-2."""
    from tests.search_fakes import fake_result

    from toytasks.reading.records import TrialRecord

    cells = {4: {"cnn": {1: "00", 2: "11", 3: "11"}, "lstm": {1: "11"},
                 "gru": {1: "00", 2: "00"}},
             5: {"cnn": {1: "00", 2: "10", 3: "11"}, "lstm": {1: "11"},
                 "gru": {1: "00", 2: "00"}}}
    out = []
    for period, archs in cells.items():
        for arch, depths in archs.items():
            for depth, text in depths.items():
                for seed, char in enumerate(text):
                    trial = make_trial(arch, depth, seed, knobs={"period_samples": period,
                                                                 "prefix_cycles": 0})
                    out.append(TrialRecord.from_dict({
                        "key": trial.key, "trial": trial.config(),
                        "result": fake_result(trial, char == "1").to_dict(),
                        "search": {"seeds": 2, "search": "exhaustive"}}))
    return summarise(out)


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return list(line.get_xdata()), list(line.get_ydata())


def test_success_vs_depth_plots_each_rows_success_rates_and_minimal_depth(tmp_path, drawn):
    rows = solved_rows()
    success_vs_depth(rows, tmp_path / "s.png")
    axes = drawn[0].axes
    assert len(axes) == 2  # one panel per period
    for ax, period in zip(axes, (4, 5), strict=True):
        assert f"period_samples={period}" in ax.get_title()
        for row in (r for r in rows if r.config["knobs"]["period_samples"] == period):
            xs, ys = _line(ax, row.arch)
            depths = sorted(row.depths)
            assert [round(x) for x in xs] == depths
            assert ys == pytest.approx([row.depths[d].successes / row.depths[d].seeds
                                        for d in depths])
        circles = {(round(ln.get_xdata()[0]), ln.get_ydata()[0]) for ln in ax.get_lines()
                   if ln.get_markersize() == 10}
        solved = {(r.minimal_depth, r.depths[r.minimal_depth].successes
                   / r.depths[r.minimal_depth].seeds) for r in rows
                  if r.config["knobs"]["period_samples"] == period and r.minimal_depth}
        assert circles == solved  # the minimal depths circled, nothing else


def test_min_depth_vs_knob_plots_minimal_depths_and_the_bound(tmp_path, drawn):
    rows = solved_rows()
    min_depth_vs_knob(rows, "period_samples", tmp_path / "k.png")
    (ax,) = drawn[0].axes
    assert [r.minimal_depth for r in rows if r.arch == "cnn"] == [2, 3]
    for arch in ("cnn", "lstm", "gru"):
        group = sorted((r for r in rows if r.arch == arch),
                       key=lambda r: r.config["knobs"]["period_samples"])
        solved = [(r.config["knobs"]["period_samples"], r.minimal_depth) for r in group
                  if r.minimal_depth is not None]
        unsolved = [(r.config["knobs"]["period_samples"], r.max_depth_tried) for r in group
                    if r.minimal_depth is None]
        if solved:
            assert list(zip(*_line(ax, arch), strict=True)) == solved
        if unsolved:
            assert list(zip(*_line(ax, f"{arch}: unsolved up to this depth"),
                            strict=True)) == unsolved
    bound = _line(ax, "cnn: receptive-field bound")
    assert bound[1] == [r.rf_bound for r in sorted((r for r in rows if r.arch == "cnn"),
                                                   key=lambda r: r.config["knobs"]
                                                   ["period_samples"])]
    assert not [ln for ln in ax.get_lines() if ln.get_label() == "lstm: receptive-field bound"]


def test_every_architecture_has_its_own_colour_and_marker():
    """lstm (0/10) and mamba (10/10) were both red in (f)'s figure: every built-in arch now
    has a colour and a marker no other has, in every figure, plugins included."""
    from toytasks.models import ARCHITECTURES
    from toytasks.reading.plotting import arch_styles

    styles = arch_styles(ARCHITECTURES)
    assert len({c for c, _ in styles.values()}) == len(ARCHITECTURES)
    assert len({m for _, m in styles.values()}) == len(ARCHITECTURES)
    assert styles["lstm"] != styles["mamba"]
    assert arch_styles(["lstm", "mamba"]) == {a: styles[a] for a in ("lstm", "mamba")}
    many = arch_styles([*ARCHITECTURES, *(f"plugin-{i}" for i in range(10))])
    assert len({c for c, _ in many.values()}) == 20  # the whole palette, then repeats
    few = arch_styles(["plugin-a", "plugin-b", "lstm"])
    assert len(set(few.values())) == 3
