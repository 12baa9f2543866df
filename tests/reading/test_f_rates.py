"""(f) at several sampling rates in one section (``rates``): each rate trained and judged at
its own shallow and deep depths, a rate with a missing cell named, the spec checked with
one-line errors, and the report's experiment text and commands listing every rate."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reading.test_verdicts import records

from toytasks.errors import ToytasksError
from toytasks.reading.summary import summarise
from toytasks.running.trials import trial_factory
from toytasks.study.experiment import load_study
from toytasks.study.explanations import EXPLANATIONS
from toytasks.study.explanations.evidence import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED
from toytasks.study.explanations.f_sampling_rate import verdict_f, verdict_f_rates
from toytasks.study.report import _parts

TEN, NONE = "1" * 10, "0" * 10
RATES = {100.0: (8, 13), 250.0: (12, 20)}


def at_rate(rate: float, cells: dict[int, str], chrono: str = TEN) -> list:
    out = records("ecg-resnet", cells, generator="ecg-ectopy", sampling_hz=rate)
    return out + records("chrono-lstm", {1: chrono}, generator="ecg-ectopy", sampling_hz=rate)


def judge(rows, rates=None):
    return verdict_f_rates(rows, "ecg-resnet", rates or RATES, "chrono-lstm", ["lstm"])


# --- verdicts ----------------------------------------------------------------------------
@pytest.mark.parametrize("first", [100.0, 250.0])
def test_each_rate_is_judged_at_its_own_depths_whatever_comes_first(first):
    stores = {100.0: at_rate(100.0, {8: NONE, 13: TEN}),
              250.0: at_rate(250.0, {12: NONE, 20: TEN})}
    other = 250.0 if first == 100.0 else 100.0
    verdict = judge(summarise(stores[first] + stores[other]))
    assert verdict.outcome == SUPPORTED and "2 settings judged" in verdict.line
    assert "at sampling_hz=100.0: supported (ecg-resnet at depth 8:" in verdict.line
    assert "at sampling_hz=250.0: supported (ecg-resnet at depth 12:" in verdict.line
    # one pair of depths for both rates (the one-rate form) finds no 250 Hz cell at 8 and 13
    assert verdict_f(summarise(stores[first] + stores[other]), "ecg-resnet", 8, 13,
                     "chrono-lstm", []).outcome == INCONCLUSIVE


def test_a_rate_is_read_at_its_depths_only_not_at_another_rates():
    """At 250 Hz depth 8 fails and 13 solves (the 100 Hz pair would say supported), but the
    250 Hz depths are 12 and 20, and the shallow 12 solves: not supported there."""
    rows = summarise(at_rate(100.0, {8: NONE, 13: TEN})
                     + at_rate(250.0, {8: NONE, 12: TEN, 13: TEN, 20: TEN}))
    verdict = judge(rows)
    assert verdict.outcome == INCONCLUSIVE and "disagree" in verdict.line
    assert "at sampling_hz=100.0: supported" in verdict.line
    assert "at sampling_hz=250.0: not supported (ecg-resnet at depth 12: 10/10" in verdict.line
    assert judge(rows, {250.0: (12, 20)}).outcome == INCONCLUSIVE  # 100 Hz in store, not asked


def test_a_rate_asked_for_with_no_rows_is_named_inconclusive():
    verdict = judge(summarise(at_rate(100.0, {8: NONE, 13: TEN})))
    assert verdict.outcome == INCONCLUSIVE
    assert "at sampling_hz=100.0: supported" in verdict.line
    assert ("at sampling_hz=250.0: inconclusive (needs ecg-resnet at depths 12 and 20 and "
            "chrono-lstm at depth 1)") in verdict.line


def test_a_rate_missing_one_cell_is_named_inconclusive():
    partial = at_rate(250.0, {12: NONE})  # no depth-20 cell
    verdict = judge(summarise(at_rate(100.0, {8: NONE, 13: TEN}) + partial))
    assert verdict.outcome == INCONCLUSIVE
    assert "at sampling_hz=250.0: inconclusive (needs ecg-resnet at depths 12 and 20" \
        in verdict.line


def test_no_rows_names_every_rate_and_one_rate_reads_as_today():
    empty = judge([])
    assert empty.outcome == INCONCLUSIVE
    assert "at sampling_hz=100.0: inconclusive (needs ecg-resnet at depths 8 and 13" \
        in empty.line and "at sampling_hz=250.0: inconclusive" in empty.line
    one = judge(summarise(at_rate(50.0, {3: NONE, 12: TEN})), {50.0: (3, 12)})
    assert one.outcome == SUPPORTED and "settings" not in one.line
    assert one.line == verdict_f(summarise(at_rate(50.0, {3: NONE, 12: TEN})), "ecg-resnet",
                                 3, 12, "chrono-lstm", ["lstm"]).line


def test_a_rate_in_the_store_that_the_study_does_not_list_is_named():
    rows = summarise(at_rate(100.0, {8: NONE, 13: TEN}) + at_rate(50.0, {3: NONE, 12: TEN}))
    verdict = judge(rows, {100.0: (8, 13)})
    assert verdict.outcome == INCONCLUSIVE
    assert "at sampling_hz=50.0: inconclusive (the study gives no depths for sampling_hz=50.0" \
        in verdict.line


def test_rates_that_agree_on_not_supported_give_not_supported():
    rows = summarise(at_rate(100.0, {8: TEN, 13: TEN}) + at_rate(250.0, {12: TEN, 20: TEN}))
    assert judge(rows).outcome == NOT_SUPPORTED


# --- the study spec ------------------------------------------------------------------------
SECTION = ('[f]\ntask = "ecg-ectopy"\nconv = "ecg-resnet"\nrecurrent = "chrono-lstm"\n'
           'beside = ["lstm"]\n')
GOOD = "rates = [{ sampling_hz = 100.0, shallow = 8, deep = 13 }, " \
       "{ sampling_hz = 250, shallow = 12, deep = 20 }]\n"


def study(tmp_path: Path, extra: str):
    spec = tmp_path / "study.toml"
    spec.write_text("[profile.q]\nseeds = 1\n\n" + SECTION + extra)
    return load_study(str(spec), "q")


def test_rates_expand_into_jobs_per_rate_at_that_rates_depths(tmp_path):
    (exp,) = study(tmp_path, GOOD).experiments
    assert exp.params["rates"] == [{"sampling_hz": 100.0, "shallow": 8, "deep": 13},
                                   {"sampling_hz": 250.0, "shallow": 12, "deep": 20}]
    assert [(j.spec.knobs["sampling_hz"], j.opts.archs, j.opts.min_depth) for j in exp.jobs()] \
        == [(100.0, ("ecg-resnet",), 8), (100.0, ("ecg-resnet",), 13),
            (100.0, ("chrono-lstm", "lstm"), 1), (250.0, ("ecg-resnet",), 12),
            (250.0, ("ecg-resnet",), 20), (250.0, ("chrono-lstm", "lstm"), 1)]


def test_one_rate_in_rates_trains_the_same_trials_as_the_one_rate_form(tmp_path):
    old = study(tmp_path, 'set = { sampling_hz = 50.0 }\nshallow = 3\ndeep = 12\n')
    new = study(tmp_path, "rates = [{ sampling_hz = 50.0, shallow = 3, deep = 12 }]\n")

    def keys(s):
        return [trial_factory(j.spec, a, j.opts)(j.opts.min_depth, 0, j.opts.lrs[0]).key
                for j in s.experiments[0].jobs() for a in j.opts.archs]
    assert keys(old) == keys(new)


@pytest.mark.parametrize("extra, error", [
    ("rates = 100\n", r"'rates' must be a list of tables \{ sampling_hz = HZ"),
    ("rates = []\n", "'rates' must be a list of tables"),
    ("rates = [{ sampling_hz = 100.0, shallow = 8 }]\n",
     r"rates\[0\]: 'deep' is required \(each rate takes sampling_hz, shallow, deep\)"),
    ("rates = [{ sampling_hz = 100.0, shallow = 8, deep = 13, width = 3 }]\n",
     r"rates\[0\]: unknown key 'width'"),
    ("rates = [{ sampling_hz = 100.0, shallow = 13, deep = 8 }]\n",
     r"rates\[0\]: 'shallow' must be less than 'deep'"),
    ("rates = [{ sampling_hz = 100.0, shallow = 0, deep = 8 }]\n",
     r"rates\[0\]: 'shallow' must be an integer in \[1, 256\]"),
    ("rates = [{ sampling_hz = -5, shallow = 3, deep = 8 }]\n",
     r"rates\[0\]: knob 'sampling_hz' = -5"),
    ("rates = [{ sampling_hz = 100, shallow = 3, deep = 8 }, "
     "{ sampling_hz = 100.0, shallow = 4, deep = 9 }]\n",
     "'rates' lists sampling_hz = 100.0 twice"),
    (GOOD + "shallow = 3\n", "give 'rates' .* or 'shallow' and 'deep' .*, not both"),
    (GOOD + "set = { sampling_hz = 100.0 }\n", "'rates' sets sampling_hz; leave it out of"),
    ("deep = 12\n", r"'shallow' is required \(or 'rates'"),
])
def test_a_broken_rates_key_is_one_clear_error(tmp_path, extra, error):
    with pytest.raises(ToytasksError, match=error):
        study(tmp_path, extra)


def test_rates_need_a_task_with_a_sampling_rate(tmp_path):
    spec = tmp_path / "study.toml"
    spec.write_text("[profile.q]\nseeds = 1\n\n" + SECTION.replace("ecg-ectopy", "cycle-pattern")
                    + GOOD)
    with pytest.raises(ToytasksError, match="'rates' needs a task with a 'sampling_hz' knob; "
                                            "'cycle-pattern' has none"):
        load_study(str(spec), "q")


# --- the report ----------------------------------------------------------------------------
def test_the_report_text_and_commands_list_every_rate_at_its_depths(tmp_path):
    manifest = study(tmp_path, GOOD).manifest()["experiments"]["f"]
    f = EXPLANATIONS["f"]
    parts = _parts(manifest, f.varies)
    assert "sampling_hz" not in parts.task  # the rate is per entry, not a fixed knob
    text = f.experiment_text(manifest, parts)
    assert "at sampling_hz=100.0: `ecg-resnet` at depths 8 and 13" in text
    assert "at sampling_hz=250.0: `ecg-resnet` at depths 12 and 20" in text
    commands = f.commands(manifest, parts)
    assert len(commands) == 6
    assert [c.split("--set ")[1].split(",")[0] for c in commands] == \
        ["sampling_hz=100.0"] * 3 + ["sampling_hz=250.0"] * 3
    assert all(c.count("sampling_hz=") == 1 for c in commands)
    assert [c.split("--min-depth ")[1].split()[0] for c in commands] == \
        ["8", "13", "1", "12", "20", "1"]


def test_the_ecg_question_paper_profile_runs_the_rate_its_store_holds():
    """100 Hz only: 250 Hz is not located yet (the spec's comment says why)."""
    (f,) = [e for e in load_study("ecg-question", "paper").experiments if e.letter == "f"]
    assert [(r["sampling_hz"], r["shallow"], r["deep"]) for r in f.params["rates"]] == \
        [(100.0, 8, 13)]
    (q,) = [e for e in load_study("ecg-question", "quick").experiments if e.letter == "f"]
    assert q.params["rates"] == [{"sampling_hz": 50.0, "shallow": 3, "deep": 12}]


def test_the_committed_study_judges_its_one_rate_and_renders():
    """stores/ecg-question-paper's (f) trials were made with the one-rate form (shallow,
    deep, set: 100 Hz); section (h), run into the same folder later, rewrote its manifest in
    the rates form with that one rate. The trials are the same (same keys), and the verdict
    and text name 100 Hz as before."""
    from toytasks.reading.store import ResultStore
    from toytasks.study.experiment import read_manifest
    from toytasks.study.report import judge as report_judge

    root = Path(__file__).resolve().parents[2] / "stores" / "ecg-question-paper"
    exp = read_manifest(root)["experiments"]["f"]
    assert exp["rates"] == [{"deep": 13, "sampling_hz": 100.0, "shallow": 8}]
    from toytasks.study.budget import split_reruns

    # the store also holds the section's budget reruns: never part of the verdict
    records_, reruns = split_reruns(ResultStore(root / "f", create=False).records(), exp)
    assert reruns
    verdict = report_judge("f", exp, summarise(records_), records_)
    assert verdict.outcome == SUPPORTED and verdict.line.startswith("ecg-resnet at depth 8:")
    f = EXPLANATIONS["f"]
    parts = _parts(exp, f.varies)
    assert "at sampling_hz=100.0: `ecg-resnet` at depths 8 and 13" in \
        f.experiment_text(exp, parts)
    assert len(f.commands(exp, parts)) == 3


def test_a_two_rate_study_folder_renders_each_rate_in_the_report(tmp_path):
    """End to end through the report: the manifest of a two-rate section, a store holding
    both rates' cells (250 Hz without its deep cell), the verdict naming each rate."""
    import json

    from toytasks.study.experiment import write_manifest
    from toytasks.study.report import write_report

    spec = study(tmp_path, GOOD)
    root = tmp_path / "study"
    write_manifest(spec, root)
    six, none = "1" * 6, "0" * 6  # 6/6 vs 0/6: the least that separates
    found = at_rate(100.0, {8: none, 13: six}, six) + at_rate(250.0, {12: none}, six)
    (root / "f").mkdir()
    with open(root / "f" / "trials.jsonl", "w") as out:
        for r in found:
            out.write(json.dumps({"key": r.key, "trial": r.trial.config(),
                                  "result": r.result.to_dict(),
                                  "search": r.run.to_dict()}) + "\n")
    text = write_report(root, tmp_path / "report", figures=False).read_text()
    # a rate with a cell missing is undecided, not a disagreement
    assert "**Verdict: inconclusive.** not every setting is decided; 2 settings " \
        "judged; at sampling_hz=100.0: supported" in text
    assert "at sampling_hz=250.0: inconclusive (needs ecg-resnet at depths 12 and 20" in text
    assert "--set sampling_hz=250.0," in text and "at sampling_hz=250.0: `ecg-resnet` at " \
        "depths 12 and 20" in text
