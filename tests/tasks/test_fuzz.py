"""Property-based fuzzing: generators under any valid knobs, and parsers under any input.

Generators: every valid knob combination gives finite arrays of the documented shapes and
dtypes with labels in range. Parsers (spec files, --set values, CLI arguments): any input
gives either success or a clean ToytasksError / exit 2 — never another exception.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toytasks.cli import entry
from toytasks.errors import ToytasksError
from toytasks.specs.spec import load_spec, parse_assignments, parse_spec
from toytasks.tasks import GENERATORS, REGRESSION

# TOYTASKS_FUZZ_SCALE=10 multiplies every example budget (a deeper campaign than CI's).
SCALE = max(1, int(os.environ.get("TOYTASKS_FUZZ_SCALE", "1")))

# Keep sequences small so that each example is cheap: caps on the size-like knobs.
SIZE_CAPS = {"period_samples": 40, "prefix_cycles": 6, "n_positive": 6, "lag_steps": 60,
             "n_symbols": 12, "seq_len_samples": 64}
DEFAULT_CAP = 64


def knob_strategy(knob):
    if knob.kind is bool:
        return st.booleans()
    low = knob.low if knob.low is not None else -1e3
    high = knob.high if knob.high is not None else 1e3
    if knob.kind is int:
        cap = SIZE_CAPS.get(knob.name, DEFAULT_CAP)
        return st.integers(int(low), int(min(high, max(low, cap))))
    return st.floats(low, min(high, 1e3), allow_nan=False, allow_infinity=False)


def valid_task(cls):
    return st.fixed_dictionaries({k.name: knob_strategy(k) for k in cls.knobs})


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_any_valid_knobs_give_finite_documented_arrays(name):
    cls = GENERATORS[name]

    @settings(max_examples=60 * SCALE, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(knobs=valid_task(cls), n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
    def check(knobs, n, seed):
        try:
            task = cls(**knobs)
        except ToytasksError:
            return  # a cross-knob rule refused the combination, with a clear message
        if task.seq_len > 4096:
            return
        x, y = task.sample(n, np.random.default_rng(seed))
        assert x.shape == (n, task.seq_len, task.n_inputs) and x.dtype == np.float32
        assert y.shape == (n, task.output_steps)
        assert np.isfinite(x).all()
        if task.kind == REGRESSION:
            assert y.dtype == np.float32 and np.isfinite(y).all()
        else:
            assert y.dtype == np.int64 and y.min() >= 0 and y.max() < task.n_outputs
        assert 0 <= task.blind_samples < task.span_samples <= task.seq_len
        assert math.isfinite(task.baseline)

    check()


toml_scalars = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(),
    st.text(max_size=12), st.lists(st.integers(-3, 3), max_size=3),
    st.lists(st.text(string.ascii_lowercase, max_size=8), max_size=3),
)
section_keys = st.sampled_from(["max_steps", "batch_size", "lr", "patience", "threshold",
                                "architectures", "seeds", "width", "min_depth", "max_depth",
                                "period_samples", "lag_steps", "n_products", "bogus"])
spec_data = st.fixed_dictionaries(
    {},
    optional={
        "generator": st.one_of(st.sampled_from(sorted(GENERATORS)), st.text(max_size=10),
                               st.integers()),
        "name": st.one_of(st.text(max_size=10), st.integers()),
        "knobs": st.one_of(st.dictionaries(section_keys, toml_scalars, max_size=3),
                           toml_scalars),
        "solve": st.one_of(st.dictionaries(section_keys, toml_scalars, max_size=2),
                           st.just({"threshold": 0.9}), toml_scalars),
        "budget": st.one_of(st.dictionaries(section_keys, toml_scalars, max_size=3),
                            toml_scalars),
        "search": st.one_of(st.dictionaries(section_keys, toml_scalars, max_size=3),
                            toml_scalars),
        "extra": toml_scalars,
    },
)


@settings(max_examples=400 * SCALE, deadline=None)
@given(data=spec_data)
def test_any_spec_data_parses_or_fails_cleanly(data):
    try:
        spec = parse_spec(data, "fuzz.toml")
    except ToytasksError as exc:
        assert str(exc).startswith("fuzz.toml: ") and "\n" not in str(exc)
    else:
        assert spec.make_generator().seq_len > 0


@settings(max_examples=300 * SCALE, deadline=None)
@given(items=st.lists(st.text(max_size=30), max_size=3))
def test_any_set_values_apply_or_fail_cleanly(items):
    spec = load_spec("cycle-pattern")
    try:
        spec.with_knobs(parse_assignments(items))
    except ToytasksError as exc:
        assert "\n" not in str(exc)


cli_words = st.one_of(
    st.sampled_from(["list", "run", "table", "--task", "--arch", "--seeds", "--set",
                     "--max-depth", "--lr", "--format", "cycle-pattern", "lstm", "-1", "0",
                     "x=1", "--help", "--bogus"]),
    st.text(max_size=12),
)


@settings(max_examples=250 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=st.lists(cli_words, max_size=5))
def test_any_cli_arguments_exit_cleanly(args):
    # Never start training from a fuzzed command line: a valid `run` is not the point here.
    if "run" in args and "--task" in args and "--help" not in args:
        args = [*args, "--seeds", "nope"]
    err_buffer, out_buffer = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err_buffer), contextlib.redirect_stdout(out_buffer):
            entry(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = err_buffer.getvalue()
    assert code in (0, 2, None), (args, code, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip().startswith("toytasks: error:"), (args, err)
