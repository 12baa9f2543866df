"""`toytasks audit`: a task with a shortcut fails, honest tasks pass (built-ins: slow)."""

from __future__ import annotations

import pytest

from toytasks.specs.spec import available_specs, load_spec
from toytasks.tasks import get_generator
from toytasks.tasks.audit import TASK_FEATURES, audit_task, render_audit

FIX = "tests.plugin_fixtures"


def test_a_task_with_a_shortcut_fails_with_exit_code_1(cli_in_process):
    code, out, _ = cli_in_process("audit", "--task", f"{FIX}:Leaky", "--samples", "500")
    assert code == 1
    assert "fail: a probe that sees only the blind window beats chance (a shortcut)" in out
    assert "FAIL" in out.split("\n")[2]  # the first blind probe's line


def test_an_honest_task_passes_with_exit_code_0(cli_in_process):
    code, out, _ = cli_in_process("audit", "--task", f"{FIX}:Sign", "--samples", "500")
    assert code == 0, out
    assert f"{FIX}:Sign: pass" in out and "FAIL" not in out


def test_the_audit_checks_the_task_first(cli_in_process):
    code, _, err = cli_in_process("audit", "--task", f"{FIX}:Unseeded")
    assert code == 2 and "not deterministic for a seed" in err


def test_a_span_that_does_not_carry_the_target_fails():
    """Declaring a span too short to hold the first sample: no probe reads the label."""
    cls = get_generator(f"{FIX}:Sign")
    short = type("Short", (cls,), {"span_samples": property(lambda self: 3)})()
    result = audit_task("short", short, n_train=500)
    assert not result.passed
    assert "no probe reads the target from the full span" in render_audit(result)


def test_the_limits_at_their_boundaries():
    """Blind: chance + 3 standard errors passes, a hair above fails; full span: halfway
    from the baseline to perfect passes, a hair short fails (accuracy and MSE)."""
    from toytasks.tasks.audit import limits, passes

    blind, full = limits(0.5, 2000, True)
    assert blind == pytest.approx(0.5 + 3 * (0.25 / 2000) ** 0.5) and full == 0.75
    assert passes("blind", blind, blind, True) and not passes("blind", blind + 1e-9, blind, True)
    assert passes("full", 0.75, full, True) and not passes("full", 0.75 - 1e-9, full, True)
    blind, full = limits(1 / 6, 2000, False)
    assert blind == pytest.approx(1 / 6 - 3 / 6 / 2000**0.5) and full == pytest.approx(1 / 12)
    assert passes("blind", blind, blind, False) and not passes("blind", blind - 1e-9, blind,
                                                               False)
    assert passes("full", full, full, False) and not passes("full", full + 1e-9, full, False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(available_specs()))
def test_every_builtin_task_passes_the_audit(name):
    result = audit_task(name, load_spec(name).make_generator())
    assert result.passed, render_audit(result)


def test_a_task_can_declare_how_its_full_span_is_read_for_the_audit():
    """associative-recall: no raw probe reads a key-value lookup (best 0.41 against a limit
    of 0.56, measured), but the task's declared lookup features determine the label, while
    its blind window (the query alone) stays at chance with raw probes."""
    task = load_spec("associative-recall").make_generator()
    result = audit_task("associative-recall", task, n_train=1500, n_test=1000)
    assert result.passed, render_audit(result)
    full = [line for line in result.lines if line.window == "full"]
    assert full and all(line.probe == TASK_FEATURES and line.score >= 0.99 for line in full)
    blind = [line for line in result.lines if line.window == "blind"]
    assert blind and TASK_FEATURES not in {line.probe for line in blind}


def test_declared_features_that_ignore_the_span_fail_the_full_span_check():
    """The declared features are a claim the audit checks, not a pass: features blind to
    the pairs leave the full-span probe at chance and the audit fails."""
    task = load_spec("associative-recall").make_generator()
    task.probe_features = lambda window: window[:, -1, :]  # the query alone
    result = audit_task("associative-recall", task, n_train=1500, n_test=1000)
    assert not result.passed
