"""Best depth at a budget (reading.best_depth): the t-interval, the best depth, the depths not
separated from it, at the rule's boundaries: touching intervals, one seed, the mse
direction, missing depths, faulted seeds; then the table, sweep, CLI, API and study helper."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy.stats import t as student_t

from toytasks.api import Results
from toytasks.reading.best_depth import (
    DepthScore,
    best_depth,
    depth_ranges,
    render_best,
    render_best_sweep,
    separated,
)
from toytasks.reading.records import TrialRecord
from toytasks.reading.summary import SweepPoint, summarise
from toytasks.specs.spec import load_spec
from toytasks.study.explanations.evidence import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    best_depth_in,
    better_depth,
)
from toytasks.training.stats import t_interval
from toytasks.training.trial import DIVERGED, ERROR, SOLVED, UNSOLVED, Trial, TrialResult

MSE_TASK = ("multiplication", {})  # the metric is mse: lower is better


def record(depth: int, seed: int, final: float | str, *, arch: str = "lstm",
           generator: str = "xor-count", knobs: dict | None = None, lr: float = 3e-3,
           search: str = "exhaustive", best: float | None = None,
           grid: tuple[float, ...] = (3e-3,)) -> TrialRecord:
    """One stored trial whose final held-out metric is ``final`` ('div' diverged, 'err'
    an error)."""
    trial = Trial(task=generator, generator=generator,
                  knobs=tuple(sorted((knobs or {}).items())), arch=arch, depth=depth,
                  width=16, seed=seed, lr=lr, max_steps=600, batch_size=32, eval_every=100,
                  patience=5, test_size=512, threshold=0.95)
    metric = "mse" if generator == "multiplication" else "accuracy"
    status = {"div": DIVERGED, "err": ERROR}.get(str(final), UNSOLVED)
    value = math.nan if isinstance(final, str) else final
    if status == UNSOLVED and metric == "accuracy" and value >= 0.95:
        status = SOLVED
    result = TrialResult(key=trial.key, status=status, metric=metric if status != ERROR else "",
                         best_metric=value if best is None else best, final_metric=value,
                         baseline=0.5, steps=100, steps_to_solve=None, train_loss=0.1,
                         test_loss=0.1, params=100, flops=1e6, wall_s=0.0)
    return TrialRecord.from_dict({"key": trial.key, "trial": trial.config(),
                                  "result": result.to_dict(),
                                  "search": {"seeds": 3, "rule": "majority", "search": search,
                                             "lrs": list(grid), "match_params": 0}})


def cells(values: dict[int, list], **kw) -> list[TrialRecord]:
    return [record(d, s, v, **kw) for d, vs in values.items() for s, v in enumerate(vs)]


def row_of(values: dict[int, list], **kw):
    (row,) = summarise(cells(values, **kw))
    return row


# --- the interval ----------------------------------------------------------------------
def test_t_interval_is_the_student_t_interval_and_none_for_one_value():
    assert t_interval([]) is None and t_interval([0.7]) is None
    low, high = t_interval([0.0, 1.0])  # mean 0.5, sd sqrt(0.5), n 2: half = t(0.975, 1) / 2
    assert (low, high) == pytest.approx((0.5 - student_t.ppf(0.975, 1) / 2,
                                         0.5 + student_t.ppf(0.975, 1) / 2))
    low, high = t_interval([0.8, 0.8, 0.8])  # no spread: what the data show
    assert low == high == pytest.approx(0.8)
    assert t_interval([1.0, 2.0, 3.0], 0.5)[1] - 2.0 == pytest.approx(
        student_t.ppf(0.75, 2) / math.sqrt(3))


def test_one_seed_has_no_interval_and_is_shown_so():
    score = DepthScore(2, (0.7,))
    assert score.interval is None
    assert score.text() == "0.7 n=1 (no interval)"
    assert DepthScore(3, (), 2).text() == "- (no usable seed, 2 left out)"


# --- not separated, at its boundary ------------------------------------------------------
def test_touching_intervals_are_not_separated_and_a_hair_apart_are():
    worse = DepthScore(1, (0.70, 0.74, 0.78))
    top = worse.interval[1]
    assert not separated(worse, DepthScore(2, (top, top)))  # touching: not separated
    above = math.nextafter(top, 2.0)
    assert separated(worse, DepthScore(2, (above, above)))
    # lower is better (mse): the worse interval must lie wholly above the best's
    bottom = worse.interval[0]
    assert not separated(worse, DepthScore(2, (bottom, bottom)), higher_is_better=False)
    below = math.nextafter(bottom, -1.0)
    assert separated(worse, DepthScore(2, (below, below)), higher_is_better=False)


def test_best_depth_names_every_depth_whose_interval_overlaps_the_best():
    found = best_depth(row_of({1: [0.60, 0.62, 0.61], 2: [0.80, 0.84, 0.82],
                               3: [0.70, 0.90, 0.80], 4: [0.81, 0.83, 0.82]}))
    assert found.best == 2  # means 0.61, 0.82, 0.80, 0.82: the tie goes to fewer layers
    assert found.not_separated == (2, 3, 4)  # depth 1 lies wholly below
    assert found.complete and found.missing == ()
    assert found.text() == "2 (not separated: 2-4)"


def test_a_one_seed_depth_is_never_separated_even_far_below_the_best():
    found = best_depth(row_of({1: [0.51], 2: [0.90, 0.91, 0.92], 3: [0.60, 0.61, 0.59]}))
    assert found.best == 2 and found.no_interval == (1,)
    assert found.not_separated == (1, 2)  # depth 1 (one seed) cannot be told apart


def test_a_one_seed_best_separates_nothing():
    found = best_depth(row_of({1: [0.60, 0.61, 0.62], 2: [0.95]}))
    assert found.best == 2 and found.not_separated == (1, 2)


def test_mse_lower_is_better_and_separation_is_mirrored():
    generator, knobs = MSE_TASK
    found = best_depth(row_of({1: [0.30, 0.32, 0.31], 2: [0.10, 0.11, 0.12],
                               3: [0.05, 0.30, 0.20]}, generator=generator, knobs=knobs))
    assert not found.higher_is_better
    assert found.best == 2 and found.not_separated == (2, 3)


def test_the_final_metric_counts_not_the_best_of_the_evaluations():
    rows = summarise([record(1, s, 0.6, best=0.99) for s in range(3)]
                     + [record(2, s, 0.8, best=0.81) for s in range(3)])
    assert best_depth(rows[0]).best == 2


def test_best_of_the_lr_grid_per_seed_in_the_metrics_direction():
    grid = (1e-3, 3e-3)
    acc = [record(1, 0, 0.6, grid=grid), record(1, 0, 0.7, lr=1e-3, grid=grid),
           record(1, 1, 0.65, grid=grid), record(1, 1, 0.5, lr=1e-3, grid=grid)]
    (row,) = summarise(acc)
    assert row.depths[1].held_out == (0.7, 0.65)
    mse = [record(1, 0, 0.3, generator="multiplication", grid=grid),
           record(1, 0, 0.2, generator="multiplication", lr=1e-3, grid=grid)]
    (row,) = summarise(mse)
    assert row.depths[1].held_out == (0.2,)


def test_diverged_and_errored_seeds_are_left_out_and_counted():
    found = best_depth(row_of({1: [0.7, "div", 0.72], 2: ["err", "div"]}))
    assert found.scores[1].values == (0.7, 0.72) and found.scores[1].left_out == 1
    assert found.scores[2].n == 0 and found.best == 1
    assert "no usable seed, 2 left out" in found.scores[2].text()


# --- missing depths ----------------------------------------------------------------------
def test_missing_depths_are_named_from_the_depths_asked_or_the_gaps():
    row = row_of({1: [0.6, 0.6], 2: [0.7, 0.7], 4: [0.8, 0.8]}, search="adaptive")
    gaps = best_depth(row)
    assert gaps.missing == (3,) and not gaps.complete and gaps.trained == (1, 2, 4)
    asked = best_depth(row, range(1, 7))
    assert asked.missing == (3, 5, 6) and asked.text().endswith("missing 3,5-6")
    assert best_depth(row, (1, 2)).trained == (1, 2)  # only the depths asked are scored
    text = render_best([row], depths=range(1, 6))
    assert "not trained" in text and "INCOMPLETE: depths not trained: lstm 3,5" in text


def test_matched_parameter_rows_are_measured_per_depth_at_their_own_width():
    recs = [record(d, s, v) for d, vs in {1: [0.6, 0.6], 2: [0.8, 0.8]}.items()
            for s, v in enumerate(vs)]
    matched = [TrialRecord.from_dict({
        "key": r.key, "trial": {**r.config, "width": 40 - 10 * r.depth},
        "result": r.result.to_dict(), "search": {**r.run.to_dict(), "match_params": 5000}})
        for r in recs]
    (row,) = summarise(matched)
    assert row.match_params == 5000 and {s.width for s in row.depths.values()} == {30, 20}
    found = best_depth(row)
    assert found.best == 2 and found.not_separated == (2,)
    assert "width matched to ~5,000 params" in render_best([row])


def test_depth_ranges():
    assert depth_ranges([5, 1, 2, 3]) == "1-3,5" and depth_ranges([]) == ""


# --- where it appears --------------------------------------------------------------------
def test_table_every_format_and_the_share_of_a_star():
    row = row_of({1: [0.70, 0.71, 0.72], 2: [0.76, 0.77, 0.78]},
                 knobs={"label_noise": 0.2})
    text = render_best([row])
    assert "A* (Bayes-optimal accuracy) 0.8" in text
    head, _, line = text.splitlines()[:3]
    assert head.split()[:3] == ["arch", "best", "depth"] and "of A*" in head
    assert line.split()[:3] == ["lstm", "2", "2"] and line.split()[-1] == "0.90"  # 0.27/0.3
    assert "(higher is better)" in text
    csv_text = render_best([row], "csv")
    assert csv_text.splitlines()[0].startswith("task,arch,best depth,not separated,depth 1")
    assert "\\begin{tabular}" in render_best([row], "latex")
    assert render_best([row], "markdown").startswith("| arch")


def test_csv_is_one_rectangular_table_over_every_group():
    import csv
    import io

    rows = summarise(cells({1: [0.6, 0.6]}, knobs={"label_noise": 0.1})
                     + cells({1: [0.6, 0.6], 2: [0.7, 0.7]}, knobs={"label_noise": 0.2}))
    table = list(csv.reader(io.StringIO(render_best(rows, "csv"))))
    assert len(table) == 3 and len({len(r) for r in table}) == 1
    assert table[0][:6] == ["task", "arch", "best depth", "not separated", "depth 1", "depth 2"]
    assert table[1][5] == "not trained"


def test_sweep_cells_carry_the_best_depth():
    spec = load_spec("xor-count")
    points = [SweepPoint(v, spec.with_knobs({"label_noise": v}),
                         summarise(cells({1: [0.6, 0.6], 2: [0.7, 0.7]},
                                         knobs={**spec.knobs, "label_noise": v})))
              for v in (0.1, 0.2)]
    text = render_best_sweep(points, "label_noise", ("lstm",), depths=range(1, 4))
    line = next(x for x in text.splitlines() if x.startswith("lstm"))
    assert line.count("2 (not separated: 2) missing 3") == 2
    assert "cell: best depth at the budget" in text


def test_api_results_give_the_measurement_and_its_table(tmp_path: Path):
    rows = summarise(cells({1: [0.6, 0.6], 2: [0.7, 0.72]}))
    results = Results(tmp_path, rows, depths=(1, 2, 3))
    (found,) = results.best_depths()
    assert found.best == 2 and found.missing == (3,)
    assert "INCOMPLETE" in results.table(best_depth=True)
    assert "min depth" in results.table()


def write_store(folder: Path, records: list[TrialRecord]) -> Path:
    folder.mkdir()
    (folder / "trials.jsonl").write_text("".join(json.dumps(
        {"key": r.key, "trial": r.config, "result": r.result.to_dict(),
         "search": r.run.to_dict()}) + "\n" for r in records))
    return folder


def test_cli_table_best_depth_and_its_refusals(cli_in_process, tmp_path: Path):
    folder = write_store(tmp_path / "res", cells({1: [0.6, 0.62], 2: [0.8, 0.81]}))
    code, out, _ = cli_in_process("table", str(folder), "--best-depth")
    assert code == 0 and out.splitlines()[2].split()[:3] == ["lstm", "2", "2"]
    code, _, err = cli_in_process("table", str(folder), "--best-depth", "--by", "arch")
    assert code == 2 and "leave out --by arch" in err
    code, _, err = cli_in_process("run", "--task", "xor-count", "--best-depth")
    assert code == 2 and "--best-depth needs every depth trained: add --exhaustive" in err
    code, _, err = cli_in_process("sweep", "--task", "xor-count", "--vary",
                                  "label_noise=0.1,0.2", "--best-depth", "--search", "linear")
    assert code == 2 and "the linear search trains only some depths" in err


# --- the study helpers --------------------------------------------------------------------
@pytest.mark.parametrize(("values", "outcome"), [
    ({1: [0.60, 0.61, 0.62], 2: [0.80, 0.81, 0.82]}, SUPPORTED),
    ({1: [0.80, 0.81, 0.82], 2: [0.60, 0.61, 0.62]}, NOT_SUPPORTED),
    ({1: [0.60, 0.80, 0.70], 2: [0.70, 0.75, 0.72]}, INCONCLUSIVE),  # overlap
    ({1: [0.60], 2: [0.80, 0.81, 0.82]}, INCONCLUSIVE),  # one seed: no interval
    ({1: [0.60, 0.61]}, INCONCLUSIVE),  # depth 2 not trained
])
def test_better_depth_verdict(values, outcome):
    got, line = better_depth(row_of(values), 2, 1)
    assert got == outcome, line


@pytest.mark.parametrize(("values", "outcome"), [
    # the best (2) in the prediction, every depth outside separated from it
    ({1: [0.60, 0.61, 0.62], 2: [0.80, 0.81, 0.82], 3: [0.79, 0.80, 0.81]}, SUPPORTED),
    # the best (1) outside, every predicted depth separated below it
    ({1: [0.90, 0.91, 0.92], 2: [0.80, 0.81, 0.82], 3: [0.70, 0.71, 0.72]}, NOT_SUPPORTED),
    # depth 1 not separated from the best at 2: inconclusive
    ({1: [0.70, 0.90, 0.80], 2: [0.80, 0.81, 0.82], 3: [0.79, 0.80, 0.81]}, INCONCLUSIVE),
    # a one-seed depth outside the prediction is never separated
    ({1: [0.50], 2: [0.80, 0.81, 0.82], 3: [0.79, 0.80, 0.81]}, INCONCLUSIVE),
    # depth 3 never trained
    ({1: [0.60, 0.61, 0.62], 2: [0.80, 0.81, 0.82]}, INCONCLUSIVE),
])
def test_best_depth_in_verdict(values, outcome):
    got, line, _ = best_depth_in(row_of(values), {2, 3}, range(1, 4))
    assert got == outcome, line


@pytest.mark.slow  # two tiny real runs (worker start-up dominates)
def test_run_and_sweep_print_the_best_depth_table_end_to_end(cli_in_process, tmp_path: Path):
    tiny = ("--arch", "lstm", "--max-depth", "2", "--seeds", "2", "--steps", "20",
            "--exhaustive", "--best-depth", "--workers", "1", "--quiet", "--set",
            "window_steps=5")
    code, out, err = cli_in_process("run", "--task", "xor-count", *tiny, "--out",
                                    str(tmp_path / "run"))
    assert code == 0, err
    assert out.splitlines()[0].split()[:5] == ["arch", "best", "depth", "not", "separated"]
    assert "depths trained: 1-2" in out and "INCOMPLETE" not in out
    code, out, err = cli_in_process("sweep", "--task", "xor-count", "--vary",
                                    "label_noise=0,0.2", *tiny, "--out", str(tmp_path / "sw"))
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("lstm"))
    assert line.count("(not separated: ") == 2 and "cell: best depth at the budget" in out
