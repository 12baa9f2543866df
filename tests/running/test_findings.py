"""The flagship finding, measured: recurrent nets solve cycle-pattern at depth 1; the plain CNN
needs more depth than the dilated one, and neither solves below its receptive-field bound."""

from __future__ import annotations

import pytest

from toytasks.reading.store import ResultStore
from toytasks.running.executor import make_executor
from toytasks.running.plan import Job, run_job
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec

pytestmark = pytest.mark.slow


def test_default_cycle_pattern_findings_agree_with_receptive_field_theory(tmp_path):
    spec = load_spec("cycle-pattern")
    opts = default_options(spec)
    opts = type(opts)(**{**opts.__dict__, "archs": ("cnn", "tcn", "lstm", "gru"), "seeds": 1,
                             "search": "linear"})  # every depth trained: the bound is measured
    executor = make_executor(2)
    try:
        rows = {r.arch: r for r in run_job(Job(spec, opts), ResultStore(tmp_path), executor, 2)}
    finally:
        executor.shutdown()
    assert rows["lstm"].minimal_depth == 1 and rows["gru"].minimal_depth == 1
    cnn, tcn = rows["cnn"], rows["tcn"]
    assert cnn.minimal_depth is not None and tcn.minimal_depth is not None
    assert cnn.minimal_depth > tcn.minimal_depth
    for row in (cnn, tcn):
        assert row.minimal_depth >= row.rf_bound
        # every depth below the bound was trained and failed: measured, not assumed
        assert all(not row.depths[d].solved for d in range(1, row.rf_bound))


def test_a_span_sweep_moves_the_cnn_depth_with_its_bound_and_not_the_lstm(tmp_path):
    """The claim tests/running/test_sweep.py shows with a fake trainer that encodes it, here
    measured with real training: doubling cycle-pattern's period moves the plain CNN's
    minimal depth up with its receptive-field bound (2 -> 4), and the LSTM stays at 1."""
    from dataclasses import replace

    from toytasks.running.sweep import run_points
    from toytasks.training.solve import SolveRule

    spec = load_spec("cycle-pattern").with_knobs({"n_positive": 1})
    opts = replace(default_options(spec), archs=("cnn", "lstm"), seeds=1, search="linear",
                   width=16, max_steps=600, max_depth=8)
    executor = make_executor(2)
    try:
        points = run_points(spec, "period_samples", ["4", "8"], opts, ResultStore(tmp_path),
                           executor, 2, rule=SolveRule())
    finally:
        executor.shutdown()
    (short, long) = ({r.arch: r for r in p.rows} for p in points)
    assert short["lstm"].minimal_depth == 1 and long["lstm"].minimal_depth == 1
    assert long["cnn"].rf_bound > short["cnn"].rf_bound
    for cnn in (short["cnn"], long["cnn"]):
        assert cnn.minimal_depth is not None and cnn.minimal_depth >= cnn.rf_bound
    assert long["cnn"].minimal_depth > short["cnn"].minimal_depth
