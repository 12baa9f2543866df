"""--dry-run: the replay trains what the runner trains, the range brackets every outcome,
the time estimate is built from measured steps, and nothing is trained or written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.search_fakes import fake_train_from, tiny_spec

from toytasks.cost.calibrate import Calibration, family
from toytasks.cost.dryrun import Group, dry_run, duration, render, stored_outcomes
from toytasks.cost.estimate import (
    estimate_job,
    full_budget_flops,
    likely,
    likely_steps,
    replay,
    scenarios,
    solves_from,
)
from toytasks.reading.store import ResultStore
from toytasks.running import runner as runner_module
from toytasks.running.executor import InlineExecutor
from toytasks.running.flops import step_flops
from toytasks.running.plan import Job, run_job
from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.training.solve import SolveRule, get_rule


def job(confirm: bool = True, rule: SolveRule | None = None, **changes) -> Job:
    base = replace(default_options(tiny_spec()), archs=("cnn", "lstm"), seeds=3,
                   max_depth=8, lrs=(3e-3,))
    return Job(tiny_spec(), replace(base, **changes), rule or SolveRule(), confirm=confirm)


def trained_by_runner(monkeypatch, root: Path, j: Job, outcome) -> list[str]:
    monkeypatch.setattr(runner_module, "train", fake_train_from(outcome))
    store = ResultStore(root)
    run_job(j, store, InlineExecutor(), 1)
    return [r.key for r in store.records()]


CASES = {
    "agree from 3": solves_from(3),
    "half the seeds from 2": solves_from(2, 0.5),
    "two thirds from 5": solves_from(5, 2 / 3),
    "never": solves_from(99),
    "cnn from 4, lstm from 1": lambda t: t.depth >= (4 if t.arch == "cnn" else 1),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("search", ["adaptive", "linear", "exhaustive"])
def test_the_replay_trains_exactly_what_the_runner_trains(monkeypatch, tmp_path: Path,
                                                          case: str, search: str) -> None:
    j = job(search=search)
    real = trained_by_runner(monkeypatch, tmp_path, j, CASES[case])
    replayed = [t.key for t, _ in replay([j], CASES[case], 1, {}).trained]
    assert sorted(replayed) == sorted(real)
    assert len(replayed) == len(set(replayed))


def test_the_replay_of_a_cp95_job_with_confirmation_matches_the_runner(monkeypatch,
                                                                       tmp_path: Path) -> None:
    j = job(rule=get_rule("cp95"), seeds=10, max_depth=6)
    outcome = solves_from(3, 0.9)
    real = trained_by_runner(monkeypatch, tmp_path, j, outcome)
    assert sorted(t.key for t, _ in replay([j], outcome, 1, {}).trained) == sorted(real)


def test_stored_trials_are_reused_not_counted(monkeypatch, tmp_path: Path) -> None:
    j = job()
    trained_by_runner(monkeypatch, tmp_path, j, solves_from(3))
    known = stored_outcomes(tmp_path)
    again = replay([j], solves_from(3), 1, known)
    assert again.trained == [] and again.reused == len(known) > 0
    bigger = replace(j, opts=replace(j.opts, seeds=5))  # more seeds: only the new ones train
    more = replay([bigger], solves_from(3), 1, known)
    assert more.trained and all(t.key not in known for t, _ in more.trained)


def test_the_range_brackets_every_scenario_and_the_likely_one() -> None:
    j = job(max_depth=6)
    counts = [len(replay([j], s, 1, {}).trained) for s in scenarios(j)]
    cal = Calibration(points={}, seconds=0.0)
    cal.step_seconds = lambda t: 1e-3  # type: ignore[method-assign]
    cal.eval_seconds = lambda t: 1e-3  # type: ignore[method-assign]
    cal.overhead_seconds = lambda t: 0.5  # type: ignore[method-assign]
    cal.measure = lambda trials: None  # type: ignore[method-assign]
    est = estimate_job(j, 1, {}, cal)
    assert est.fewest <= min(counts) and est.most >= max(counts)
    assert est.fewest <= est.likely_trials <= est.most
    assert est.fewest < est.most
    assert 0 < est.likely_seconds <= est.most_seconds


def test_likely_scenario_starts_a_convolution_at_its_receptive_field_bound() -> None:
    from toytasks.reading.summary import rf_bound

    j = job()
    blind = j.spec.make_generator().blind_samples
    bound = rf_bound("cnn", blind)
    assert bound is not None and bound > 1
    factory = trial_factory(j.spec, "cnn", j.opts)
    solves = likely(j)
    assert not solves(factory(bound - 1, 0, 3e-3)) and solves(factory(bound, 0, 3e-3))
    assert solves(trial_factory(j.spec, "lstm", j.opts)(1, 0, 3e-3))


def test_a_trials_seconds_are_its_overhead_steps_and_other_evaluations() -> None:
    from toytasks.cost.estimate import trial_seconds

    trial = replace(trial_factory(tiny_spec(), "lstm", job().opts)(1, 0, 3e-3),
                    eval_every=100)
    cal = Calibration()
    cal.step_seconds = lambda t: 0.01  # type: ignore[method-assign]
    cal.eval_seconds = lambda t: 0.2  # type: ignore[method-assign]
    cal.overhead_seconds = lambda t: 1.0  # type: ignore[method-assign]
    assert trial_seconds(trial, 250, cal) == pytest.approx(1.0 + 2.5 + 2 * 0.2)
    assert trial_seconds(trial, 99, cal) == pytest.approx(1.0 + 0.99)


def test_steps_model_at_its_boundaries() -> None:
    trial = trial_factory(tiny_spec(), "lstm", job().opts)(1, 0, 3e-3)
    trial = replace(trial, max_steps=3000, eval_every=100, patience=5)
    assert likely_steps(trial, True) == 200
    assert likely_steps(trial, False) == 1000
    short = replace(trial, max_steps=150)
    assert likely_steps(short, True) == 150 and likely_steps(short, False) == 150


def test_full_budget_flops_is_the_trainers_count_at_the_budget() -> None:
    trial = trial_factory(tiny_spec(), "cnn", job().opts)(2, 0, 3e-3)
    per_step = step_flops(trial)
    forward = per_step / (3 * trial.batch_size)
    evals = trial.max_steps // trial.eval_every + 1
    expected = forward * (3.0 * trial.batch_size * trial.max_steps + trial.test_size * evals)
    assert full_budget_flops(trial, per_step) == pytest.approx(expected, rel=1e-12)


def test_calibration_times_the_real_trainer_and_interpolates_in_flops() -> None:
    opts = job().opts
    make = trial_factory(tiny_spec(), "cnn", opts)
    shallow, deep = make(1, 0, 3e-3), make(6, 0, 3e-3)
    cal = Calibration()
    cal.measure([shallow, deep, make(3, 0, 3e-3)])
    assert cal.timed == 2 and len(cal.points[family(shallow)]) == 2 and cal.seconds > 0
    s1, s3, s6 = (cal.step_seconds(make(d, 0, 3e-3)) for d in (1, 3, 6))
    assert 0 < s1 <= s3 <= s6
    assert cal.overhead_seconds(shallow) > 0  # building the model and its held-out set
    assert cal.eval_seconds(shallow) == pytest.approx(
        s1 * shallow.test_size / (3 * shallow.batch_size))


def test_dry_run_renders_every_job_and_totals() -> None:
    jobs = [job(max_depth=3), job(max_depth=3, archs=("lstm",))]
    result = dry_run([Group("tiny", jobs)], 2)
    text = render(result)
    assert text.count("tiny") == 2 and "trials to train:" in text
    assert f"on 2 worker(s): {duration(result.likely_seconds)}" in text
    assert result.most_seconds >= result.likely_seconds > 0


@pytest.mark.parametrize(("seconds", "text"), [(4.24, "4.2 s"), (45, "45 s"), (725, "12 min 5 s"),
                                               (12000, "3 h 20 min")])
def test_duration_text(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_cli_dry_run_trains_nothing_and_writes_nothing(cli_in_process, tmp_path: Path) -> None:
    out = tmp_path / "never"
    for args in (["run", "--task", "cycle-pattern", "--arch", "lstm,cnn", "--max-depth", "4"],
                 ["sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,8",
                  "--arch", "lstm", "--max-depth", "2"],
                 ["suite", "quick"],
                 ["study", "ecg-question", "--only", "b,g"]):
        code, stdout, stderr = cli_in_process(*args, "--dry-run", "--workers", "1",
                                              "--out", str(out))
        assert code == 0, stderr
        assert "trials to train:" in stdout and "nothing was trained or written" in stdout
        assert not out.exists()


def test_a_family_met_again_at_other_depths_is_timed_there_not_stretched(monkeypatch) -> None:
    import toytasks.cost.calibrate as calibrate

    timed: list[int] = []

    def fake_seconds(trial):  # a step costs 1 ms per layer
        timed.append(trial.depth)
        return 1e-3 * trial.depth, 0.1 * trial.depth

    monkeypatch.setattr(calibrate, "seconds_per_step", fake_seconds)
    make = trial_factory(tiny_spec(), "cnn", job().opts)
    cal = Calibration()
    cal.measure([make(1, 0, 3e-3)])  # a job at one fixed depth: one point
    assert cal.step_seconds(make(1, 0, 3e-3)) == pytest.approx(1e-3) and timed == [1]
    assert cal.step_seconds(make(8, 0, 3e-3)) == pytest.approx(8e-3)  # outside: timed
    assert timed == [1, 8]
    cal.measure([make(4, 0, 3e-3), make(16, 0, 3e-3)])  # 4 lies inside, 16 outside
    assert timed == [1, 8, 16] and cal.timed == 3
    assert cal.step_seconds(make(12, 0, 3e-3)) == pytest.approx(12e-3, rel=0.05)
    assert cal.overhead_seconds(make(12, 0, 3e-3)) == pytest.approx(1.2, rel=0.05)


FIX = "tests.plugin_fixtures"
REFUSED = {
    "a cheating architecture": ["run", "--task", "cycle-pattern", "--arch", f"{FIX}:Peeker"],
    "an unseeded task": ["run", "--task", f"{FIX}:Unseeded", "--arch", "lstm"],
    "too few seeds for the rule": ["run", "--task", "cycle-pattern", "--arch", "lstm",
                                   "--rule", "cp95", "--seeds", "3"],
    "a knob the model refuses": ["run", "--task", "cycle-pattern", "--arch", "transformer",
                                 "--set", "transformer.heads=3"],
    "a sweep over a cheating architecture": ["sweep", "--task", "cycle-pattern", "--vary",
                                             "period_samples=4,8", "--arch", f"{FIX}:Peeker"],
}


@pytest.mark.parametrize("case", REFUSED)
def test_dry_run_refuses_what_the_run_refuses_with_the_same_line(cli_in_process,
                                                                 tmp_path: Path,
                                                                 case: str) -> None:
    args = [*REFUSED[case], "--max-depth", "2", "--workers", "1", "-q"]
    real_code, _, real_err = cli_in_process(*args, "--out", str(tmp_path / "real"))
    dry_code, dry_out, dry_err = cli_in_process(*args, "--dry-run",
                                                "--out", str(tmp_path / "dry"))
    refusal = real_err.strip().splitlines()[-1]
    assert real_code != 0 and refusal.startswith("toytasks: error: ")
    assert dry_code == real_code and dry_err.strip().splitlines()[-1] == refusal
    assert "trials to train" not in dry_out and not (tmp_path / "dry").exists()


def test_a_profile_entry_the_suite_refuses_is_refused_by_its_dry_run(cli_in_process,
                                                                     tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text(f'[[run]]\ntask = "cycle-pattern"\narch = ["{FIX}:Peeker"]\n'
                       'max_depth = 2\nseeds = 1\n')
    real = cli_in_process("suite", str(profile), "--workers", "1", "-q",
                          "--out", str(tmp_path / "real"))
    dry = cli_in_process("suite", str(profile), "--dry-run", "--workers", "1")
    assert real[0] != 0 and "is not causal" in real[2]
    assert dry[0] == real[0]
    assert dry[2].strip().splitlines()[-1] == real[2].strip().splitlines()[-1]
