"""What a paper-grade study does after a section's jobs, with training faked:

* seed extension: a fragile verdict gets 10 more seeds at a time in the cells that make it
  fragile, up to ``fragile_seeds``; the cells still fragile at the cap are named. Built on
  the (c) case (8/10 under cp95 "inconclusive", 9/9 on another CPU "not supported");
* budget reruns: an unsolved cell the verdict rests on, not provably blind, is rerun on 3
  seeds at twice the steps with early stopping off; the reruns have their own identity,
  are shown beside the cell and never change the verdict's counts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.reading.test_fragility import c_records
from tests.reading.test_fragility import judge as judge_c
from tests.reading.test_verdicts import records
from tests.search_fakes import fake_result

from toytasks.reading.records import TrialRecord
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.unsolved import CHANCE
from toytasks.running import runner as runner_module
from toytasks.study.budget import (
    is_rerun,
    rerun_job,
    rerun_lines,
    source_job,
    split_reruns,
)
from toytasks.study.experiment import load_study
from toytasks.study.explanations.evidence import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED
from toytasks.study.explanations.f_sampling_rate import verdict_f
from toytasks.study.extension import extend_job, next_seeds, plan, remaining_text
from toytasks.study.fragility import deciding_unsolved, fragility
from toytasks.training.trial import PATIENCE_OFF, Trial

# --- seed extension: the rule -----------------------------------------------------------


@pytest.mark.parametrize("now, cap, expected", [
    (10, 30, 20), (20, 30, 30), (30, 30, None), (4, 30, 10), (15, 30, 20), (25, 30, 30),
    (10, 15, 15), (31, 30, None), (10, 10, None)])
def test_seeds_grow_in_steps_of_ten_up_to_the_cap(now, cap, expected):
    assert next_seeds(now, cap) == expected


def more_seeds(recs: list[TrialRecord], arch: str, depth: int, outcomes: str,
               seeds: int) -> list[TrialRecord]:
    """The extension's new seeds of one cell: ``outcomes`` for the seeds after those
    stored, asked as ``seeds`` by an exhaustive run (as ``extend_job`` asks)."""
    cell = [r for r in recs if r.arch == arch and r.depth == depth]
    first = max(r.seed for r in cell) + 1
    template = cell[0]
    out = []
    for offset, char in enumerate(outcomes):
        trial = replace(template.trial, seed=first + offset)
        out.append(TrialRecord.from_dict({
            "key": trial.key, "trial": trial.config(),
            "result": {**fake_result(trial, char == "1").to_dict(),
                       "diagnostics": dict(template.result.diagnostics)},
            "search": {**template.run.to_dict(), "seeds": seeds, "search": "exhaustive"}}))
    return recs + out


def settle(recs: list[TrialRecord], solves, cap: int = 30) -> tuple[list, list]:
    """The study's extension loop, with ``solves(arch, depth, seed)`` as the trainer:
    (the records at the end, the rounds as [(arch, depth, seeds asked)])."""
    rounds = []
    while True:
        rows = summarise(recs)
        grow, _ = plan(rows, recs, judge_c(rows, recs), judge_c, cap)
        if not grow:
            return recs, rounds
        rounds.append(sorted((r.arch, d, n) for r, d, n in grow))
        for row, depth, seeds in grow:
            have = max(r.seed for r in recs if r.arch == row.arch and r.depth == depth) + 1
            outcomes = "".join("1" if solves(row.arch, depth, s) else "0"
                               for s in range(have, seeds))
            recs = more_seeds(recs, row.arch, depth, outcomes, seeds)


def test_the_c_case_is_extended_where_fragile_and_the_new_seeds_join_the_cell():
    recs = c_records("1111111100")  # lstm 8/10 at depth 4 (and 2): "inconclusive", fragile
    rows = summarise(recs)
    verdict = judge_c(rows, recs)
    assert verdict.outcome == INCONCLUSIVE
    grow, stuck = plan(rows, recs, verdict, judge_c, 30)
    assert sorted((r.arch, d, n) for r, d, n in grow) == [("lstm", 2, 20), ("lstm", 4, 20)]
    assert stuck == []
    # every new seed solves where the first ten mostly did (cnn fails at 3, as before)
    recs, rounds = settle(recs, lambda arch, depth, seed: not (arch == "cnn" and depth == 3))
    assert rounds[0] == [("lstm", 2, 20), ("lstm", 4, 20)]
    rows = summarise(recs)
    (lstm,) = [r for r in rows if r.arch == "lstm"]
    assert (lstm.depths[4].successes, lstm.depths[4].seeds) == (18, 20)
    # the row's other depths keep their 10 seeds (not read as undecided at 20)
    assert (lstm.depths[16].seeds, lstm.depths[16].decided) == (10, True)
    verdict = judge_c(rows, recs)
    assert verdict.outcome == NOT_SUPPORTED, verdict.line  # as the 9/9 rerun found
    assert fragility(rows, recs, verdict, judge_c) == ""
    # "not supported" reads cnn's 10/10 at depth 4 too: one flip there made it fragile in
    # turn, so it got its 10 more seeds in a later round
    assert ("cnn", 4, 20) in [c for r in rounds[1:] for c in r]


def test_a_cell_still_fragile_at_the_cap_is_named():
    # lstm at depth 4 hovers at the cp95 edge: 9/10 (8/10 is not solved), 15/20 (14/20
    # not), 21/30 (20/30 not): one seed decides at every count
    recs = c_records("1111111110")
    for outcomes, seeds in (("1111110000", 20), ("1111110000", 30)):
        rows = summarise(recs)
        verdict = judge_c(rows, recs)
        grow, _ = plan(rows, recs, verdict, judge_c, 30)
        assert ("lstm", 4, seeds) in [(r.arch, d, n) for r, d, n in grow]
        recs = more_seeds(recs, "lstm", 4, outcomes, seeds)
    rows = summarise(recs)
    (lstm,) = [r for r in rows if r.arch == "lstm"]
    assert (lstm.depths[4].successes, lstm.depths[4].seeds) == (21, 30)
    verdict = judge_c(rows, recs)
    grow, stuck = plan(rows, recs, verdict, judge_c, 30)
    assert [(r.arch, d) for r, d in stuck] == [("lstm", 4)]
    assert remaining_text(rows, stuck, 30) == \
        "lstm at depth 4 (21/30) (still fragile at the cap of 30 seeds)"
    # the report's verdict names it; below the cap it says the study has more to add
    from toytasks.study.report import judge, verdict_text

    exp = {"steps": 600, "recurrent": "lstm", "conv": "cnn"}
    at_cap = judge("c", exp, rows, recs, cap=30)
    assert "lstm at depth 4 (21/30) (still fragile at the cap of 30 seeds)" in \
        verdict_text(at_cap)
    higher = judge("c", exp, rows, recs, cap=40)
    assert "2 fragile cell(s) below the cap of 40 seeds" in higher.fragile  # lstm, cnn


# --- budget reruns: which cells ---------------------------------------------------------
def f_recs(conv: str = "gru") -> list[TrialRecord]:
    """(f) on ecg-ectopy: ``conv`` fails at depth 3 (at chance), solves at 12; chrono-lstm
    solves at depth 1: supported."""
    return (records(conv, {3: "0" * 10, 12: "1" * 10}, generator="ecg-ectopy")
            + records("chrono-lstm", {1: "1" * 10}, generator="ecg-ectopy"))


def judge_f(conv: str = "gru"):
    return lambda rows, recs: verdict_f(rows, conv, 3, 12, "chrono-lstm", [])


def test_an_unsolved_cell_the_verdict_rests_on_is_deciding_unless_blind():
    recs = f_recs()
    rows = summarise(recs)
    verdict = judge_f()(rows, recs)
    assert verdict.outcome == SUPPORTED
    assert [(r.arch, d, k) for r, d, k in deciding_unsolved(rows, recs, verdict, judge_f())] \
        == [("gru", 3, CHANCE)]
    # the same cell of a cnn, below its receptive-field bound: blind, never rerun
    recs = f_recs("cnn")
    rows = summarise(recs)
    (cnn,) = [r for r in rows if r.arch == "cnn"]
    assert cnn.rf_bound is not None and cnn.rf_bound > 3
    verdict = judge_f("cnn")(rows, recs)
    assert deciding_unsolved(rows, recs, verdict, judge_f("cnn")) == []


def rerun_records(recs: list[TrialRecord], arch: str, depth: int, steps_to_solve: list,
                  steps: int) -> list[TrialRecord]:
    """Reruns of a cell: seeds 0.. at ``steps`` steps, patience 0 (None: unsolved)."""
    template = next(r for r in recs if r.arch == arch and r.depth == depth)
    out = []
    for seed, at in enumerate(steps_to_solve):
        trial = replace(template.trial, seed=seed, max_steps=steps, patience=PATIENCE_OFF)
        result = fake_result(trial, at is not None)
        if at is not None:
            result = replace(result, steps=at, steps_to_solve=at)
        out.append(TrialRecord.from_dict({
            "key": trial.key, "trial": trial.config(), "result": result.to_dict(),
            "search": {"seeds": 3, "rule": "majority", "search": "exhaustive",
                       "lrs": [3e-3], "match_params": 0}}))
    return out


def test_reruns_are_shown_never_judged():
    recs = f_recs()
    reruns = rerun_records(recs, "gru", 3, [700, None, 1150], 1200)  # 2x the 600 steps
    assert all(is_rerun(r, 600) for r in reruns) and not any(is_rerun(r, 600) for r in recs)
    assert not is_rerun(reruns[0], 1200)  # a section of 1,200 steps: its own trials
    own, shown = split_reruns(recs + reruns, {"steps": 600})
    assert own == recs and shown == reruns
    assert split_reruns(recs + reruns, None) == (recs + reruns, [])
    rows = summarise(own)
    assert rerun_lines(rows, shown, 600) == [
        "gru at depth 3 (chance): at 2x budget (1,200 steps), no early stopping: 2/3 "
        "solved, steps-to-solve 700-1,150"]
    # the rerun's cell differs only in steps and patience: summarised with the section it
    # would be a row of its own, which is why the report leaves it out
    assert len(summarise(recs + reruns)) == len(summarise(recs)) + 1


def test_the_verdict_says_when_a_rerun_solved_a_cell_it_rests_on():
    from toytasks.study.report import judge, verdict_text

    exp = {"steps": 600, "conv": "gru", "shallow": 3, "deep": 12,
           "recurrent": "chrono-lstm", "beside": []}
    recs = f_recs()
    solved = judge("f", exp, summarise(recs), recs,
                   rerun_records(recs, "gru", 3, [700, None, None], 1200))
    assert solved.outcome == SUPPORTED  # the counts the verdict reads are unchanged
    assert "rests on the step budget" in verdict_text(solved)
    assert "gru at depth 3: 1/3 solved at 1,200 steps" in solved.budget
    none = judge("f", exp, summarise(recs), recs,
                 rerun_records(recs, "gru", 3, [None, None, None], 1200))
    assert none.budget == "" and "step budget" not in verdict_text(none)


# --- the jobs, from a real study section ------------------------------------------------
SPEC = """
question = "followups"
[profile.paper]
seeds = 10
rule = "cp95"
steps = 100
width = 8
batch_size = 16
budget_reruns = true
fragile_seeds = 30
[profile.quick]
seeds = 4
steps = 100
width = 8
batch_size = 16
[f]
task = "ecg-ectopy"
set = { sampling_hz = 20.0 }
conv = "gru"
shallow = 2
deep = 4
recurrent = "chrono-lstm"
beside = []
"""


def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "followups.toml"
    path.write_text(SPEC)
    return path


def test_the_profile_keys_are_read_and_checked(tmp_path):
    from toytasks.errors import ToytasksError

    path = spec_file(tmp_path)
    paper, quick = load_study(str(path), "paper"), load_study(str(path), "quick")
    assert (paper.budget_reruns, paper.fragile_seeds) == (True, 30)
    assert (quick.budget_reruns, quick.fragile_seeds) == (False, 0)
    assert paper.manifest()["fragile_seeds"] == 30 and "budget_reruns" not in quick.manifest()
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace("budget_reruns = true", 'budget_reruns = "yes"'))
    with pytest.raises(ToytasksError, match="'budget_reruns' must be true or false"):
        load_study(str(bad), "paper")
    bad.write_text(SPEC.replace("fragile_seeds = 30", "fragile_seeds = -1"))
    with pytest.raises(ToytasksError, match="'fragile_seeds' must be an integer"):
        load_study(str(bad), "paper")


def test_rerun_and_extension_jobs_are_the_sections_own_cells(tmp_path):
    (exp,) = load_study(str(spec_file(tmp_path)), "paper").experiments
    jobs = exp.jobs()
    from toytasks.running.trials import trial_factory

    job = next(j for j in jobs if "gru" in j.opts.archs)
    trial: Trial = trial_factory(job.spec, "gru", job.opts)(2, 0, job.opts.lrs[0])
    record = TrialRecord.from_dict({"key": trial.key, "trial": trial.config(),
                                    "result": fake_result(trial, False).to_dict(),
                                    "search": {"seeds": 10, "rule": "cp95",
                                               "search": "exhaustive"}})
    (row,) = summarise([record])
    found = source_job(jobs, row, 2)
    assert found is not None and found[1] == "gru"
    rerun = rerun_job(*found, 2)
    assert (rerun.opts.seeds, rerun.opts.max_steps, rerun.opts.patience) == (3, 200, 0)
    assert (rerun.opts.min_depth, rerun.opts.max_depth, rerun.opts.search) == \
        (2, 2, "exhaustive")
    again = trial_factory(rerun.spec, "gru", rerun.opts)(2, 0, rerun.opts.lrs[0])
    assert again.key != trial.key
    assert is_rerun(TrialRecord.from_dict({"key": again.key, "trial": again.config(),
                                           "result": fake_result(again, True).to_dict()}),
                    100)
    more = extend_job(*found, 2, 20)
    grown = trial_factory(more.spec, "gru", more.opts)(2, 0, more.opts.lrs[0])
    assert grown.key == trial.key and more.opts.seeds == 20  # the same cell, more seeds


# --- end to end: `toytasks study` with training faked -----------------------------------
def fake(trial: Trial):
    """gru fails at 2 (solves there only in reruns, seeds 0-1), solves at 4; chrono-lstm
    at 1 solves every seed but 9: 9/10, fragile under cp95, then 19/20."""
    if trial.arch == "gru":
        solved = trial.depth == 4 or (trial.patience == PATIENCE_OFF and trial.seed < 2)
    else:
        solved = trial.seed != 9
    return fake_result(trial, solved)


def test_the_study_extends_then_reruns_and_reports_both(tmp_path, monkeypatch, cli_in_process):
    monkeypatch.setattr(runner_module, "train", fake)
    out = tmp_path / "out"
    code, stdout, err = cli_in_process("study", str(spec_file(tmp_path)), "--profile", "paper",
                                       "--out", str(out), "--workers", "1", "-q")
    assert code == 0, err
    records = ResultStore(out / "f", create=False).records()
    lstm = {r.seed for r in records if r.arch == "chrono-lstm"}
    assert lstm == set(range(20))  # extended once: 19/20 is no longer fragile
    reruns = [r for r in records if r.config["patience"] == PATIENCE_OFF]
    assert {(r.arch, r.depth, r.seed, r.config["max_steps"]) for r in reruns} == \
        {("gru", 2, s, 200) for s in range(3)}
    report = (out / "report" / "report.md").read_text()
    assert "**Budget reruns.**" in report
    assert "- gru at depth 2 (chance): at 2x budget (200 steps), no early stopping: 2/3 " \
        "solved, steps-to-solve 100\n" in report
    assert "rests on the step budget" in report and "supported" in stdout
    assert "(fragile)" not in report
    # rerunning the study trains nothing new
    before = len(records)
    code, _, err = cli_in_process("study", str(spec_file(tmp_path)), "--profile", "paper",
                                  "--out", str(out), "--workers", "1", "-q")
    assert code == 0, err
    assert len(ResultStore(out / "f", create=False).records()) == before
