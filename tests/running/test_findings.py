"""The flagship finding, measured: recurrent nets solve cycle-pattern at depth 1; the plain CNN
needs more depth than the dilated one, and neither solves below its receptive-field bound."""

from __future__ import annotations

import pytest

from toytasks.executor import make_executor
from toytasks.options import default_options
from toytasks.plan import Job, run_job
from toytasks.spec import load_spec
from toytasks.store import ResultStore

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
