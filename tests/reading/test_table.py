"""Tables from a fixed store: golden files per format, determinism, CSV/LaTeX structure.

Regenerate the golden files after an intended change with
``TOYTASKS_UPDATE_GOLDEN=1 python -m pytest tests/reading/test_table.py`` and review the diff.
"""

from __future__ import annotations

import csv
import io
import os
import random
from pathlib import Path

import pytest

from toytasks.reading.store import ResultStore
from toytasks.reading.summary import summarise
from toytasks.reading.table import latex_escape, render

CASES = [("latex", "task", "table.tex"), ("markdown", "task", "table.md"),
         ("csv", "task", "table.csv"), ("simple", "task", "table.txt"),
         ("github", "arch", "table-by-arch.md")]

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURE_STORE = DATA / "store"  # 24 real trial records (cycle-pattern, xor-products)
GOLDEN = Path(__file__).resolve().parents[1] / "golden"



def fixture_rows() -> list:
    return summarise(ResultStore(FIXTURE_STORE, create=False).records())


@pytest.mark.parametrize(("fmt", "by", "name"), CASES)
def test_table_matches_its_golden_file(fmt: str, by: str, name: str, cli_in_process) -> None:
    code, out, err = cli_in_process("table", str(FIXTURE_STORE), "--format", fmt, "--by", by)
    assert code == 0, err
    golden = GOLDEN / name
    if os.environ.get("TOYTASKS_UPDATE_GOLDEN"):
        golden.write_text(out)
    assert out == golden.read_text(), f"{name} changed; see the module docstring"


def test_same_records_in_any_order_give_byte_identical_tables() -> None:
    records = ResultStore(FIXTURE_STORE, create=False).records()
    expected = {fmt: render(summarise(records), fmt) for fmt in ("latex", "csv", "markdown")}
    shuffled = records[:]
    for seed in range(3):
        random.Random(seed).shuffle(shuffled)
        for fmt, text in expected.items():
            assert render(summarise(shuffled), fmt) == text


def test_csv_is_one_rectangular_table_with_the_caption_on_every_row() -> None:
    rows = list(csv.reader(io.StringIO(render(fixture_rows(), "csv"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["task", "knobs", "arch"] and header[-1] == "caption"
    assert len(body) == 6 and all(len(r) == len(header) for r in body)
    cells = {r[header.index("arch")] + "/" + r[0]: r for r in body}
    tcn = cells["tcn/cycle-pattern"]
    assert tcn[header.index("min depth")] == "4" and tcn[header.index("params")] == "9506"
    assert cells["cnn/xor-products"][header.index("min depth")] == "> 2"
    assert "seeds 3 per depth" in tcn[-1] and "toytasks 0.1.0" in tcn[-1]


def test_latex_is_a_booktabs_float_with_escaped_text() -> None:
    text = render(fixture_rows(), "latex")
    assert text.count("\\begin{table}") == 3 == text.count("\\end{table}")
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert text.count(rule) == 3
    assert "\\hline" not in text
    caption = next(line for line in text.splitlines() if line.startswith("\\caption{"))
    assert "n\\_positive" in caption and "n_positive" not in caption
    assert "$\\geq$ 4" in text  # "RF bound >= 4"
    assert latex_escape("50% of a_b & {c} > d") == r"50\% of a\_b \& \{c\} $>$ d"


def test_caption_states_budget_seeds_rule_and_version() -> None:
    text = render(fixture_rows(), "plain")
    captions = [line for line in text.splitlines() if line.startswith(("cycle", "xor"))]
    assert len(captions) == 3
    for line in captions:
        for part in ("reaches 0.95 within", "steps (batch 32", "seeds", "rule majority",
                     "toytasks 0.1.0 @"):
            assert part in line, (part, line)
    assert any("within 200 steps" in c and "seeds 1 per depth" in c for c in captions)


def test_by_arch_gives_one_table_per_architecture_with_rows_labelled_by_config() -> None:
    text = render(fixture_rows(), "plain", by="arch")
    blocks = text.split("\n\n")
    assert len(blocks) == 4  # cnn, tcn, lstm, gru, in registry order
    assert blocks[0].startswith("task") and "cnn: minimal depth per task" in blocks[0]
    assert "cycle-pattern (n_positive=2, period_samples=4" in blocks[0]


def test_empty_store_renders_nothing(tmp_path: Path, cli_in_process) -> None:
    (tmp_path / "trials.jsonl").write_text("")
    code, out, _ = cli_in_process("table", str(tmp_path))
    assert code == 0 and out.strip() == ""


@pytest.mark.parametrize(("generator", "knobs"), [
    ("xor-products", {"n_products": 2}),
    ("xor-products", {"n_products": 3}),
    ("adding", {"marks_anywhere": True}),
    ("multiplication", {"marks_anywhere": True}),
])
def test_rf_bound_does_not_apply_without_a_blind_window(generator: str, knobs: dict) -> None:
    from toytasks.reading.summary import rf_bound, rf_bound_text
    from toytasks.tasks import get_generator

    blind = get_generator(generator)(**knobs).blind_samples
    assert blind == 0  # the task declares no provably blind window
    for conv in ("cnn", "tcn"):
        assert rf_bound(conv, blind) is None and rf_bound_text(conv, blind) == "n/a"
    assert rf_bound_text("lstm", blind) == "-"  # no finite receptive field at all
    default = get_generator(generator)().blind_samples  # one product / fixed marks: a bound
    assert default > 0 and rf_bound_text("cnn", default).startswith(">= ")


def test_table_says_n_a_for_the_rf_bound_of_a_task_without_a_blind_window(
        tmp_path: Path) -> None:
    import json

    from toytasks.training.trial import config_hash

    lines = []
    for line in (FIXTURE_STORE / "trials.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["trial"]["task"] == "xor-products":
            record["trial"]["knobs"]["n_products"] = 2
            record["key"] = record["result"]["key"] = config_hash(record["trial"])
        lines.append(json.dumps(record))
    (tmp_path / "trials.jsonl").write_text("\n".join(lines) + "\n")
    rows = [r for r in summarise(ResultStore(tmp_path, create=False).records())
            if r.task == "xor-products"]
    assert {r.arch: r.rf_bound for r in rows} == {"cnn": None, "lstm": None}
    text = render(rows, "github")
    header = [c.strip() for c in text.splitlines()[0].strip("|").split("|")]
    cells = {cols[0]: cols[header.index("RF bound")] for cols in
             ([c.strip() for c in line.strip("|").split("|")]
              for line in text.splitlines()[2:] if line.startswith("|"))}
    assert cells == {"cnn": "n/a", "lstm": "-"}
    from toytasks.reading.evidence_table import render_evidence
    evidence = render_evidence(rows)
    assert "| cnn " in evidence and "| n/a " in evidence and ">= 1" not in text + evidence


# --- captions say exactly what ran (issue 14, items 4 and 5) ------------------------------
def _record(depth: int, seed: int, solved: bool, search: str, metric: str = "accuracy",
            commit: str = "abc1234def"):
    from tests.search_fakes import fake_result

    from toytasks.reading.records import TrialRecord
    from toytasks.training.trial import Trial

    generator, knobs = (("adding", ()) if metric == "mse" else
                        ("cycle-pattern", (("n_positive", 1), ("period_samples", 4))))
    trial = Trial(task=generator, generator=generator, knobs=knobs, arch="cnn", depth=depth,
                  width=16, seed=seed, lr=3e-3, max_steps=600, batch_size=32, eval_every=100,
                  patience=5, test_size=512, threshold=0.002 if metric == "mse" else 0.95)
    result = fake_result(trial, solved)
    return TrialRecord.from_dict({
        "key": trial.key, "trial": trial.config(), "result": result.to_dict(),
        "search": {"seeds": 4, "rule": "majority", "search": search, "lrs": [3e-3]},
        "provenance": {"toytasks": "0.1.0", "git_commit": commit, "git_dirty": False}})


def confirmed_study_row():
    """An adaptive search (4 seeds asked): depth 1 fails on seeds 0, 1 (decided) plus a
    speculative seed 2; depth 2 fails on 0, 1; depth 3 solves 0, 1, 2. Then a study's
    confirmation trains every seed at depths 2 and 3 (exhaustive one-depth runs)."""
    recs = [_record(1, s, False, "adaptive") for s in range(3)]
    recs += [_record(2, s, False, "adaptive") for s in range(2)]
    recs += [_record(3, s, True, "adaptive") for s in range(3)]
    recs += [_record(2, s, False, "exhaustive") for s in (2, 3)]
    recs += [_record(3, 3, True, "exhaustive")]
    (row,) = summarise(recs)
    return row


def test_a_confirmation_does_not_relabel_the_row_or_its_seed_counting():
    from toytasks.reading.table import caption

    row = confirmed_study_row()
    assert row.search == "adaptive" and row.confirmed == (2, 3)
    # depth 1 keeps its sequential count (decided after 2 failures); confirmed depths count all
    assert [(d.successes, d.seeds) for d in row.depths.values()] == [(0, 2), (0, 4), (4, 4)]
    text = caption([row])
    assert "adaptive search" in text and "exhaustive search" not in text
    assert "confirmed: every seed trained and counted at cnn depth 2,3" in text


def test_an_exhaustive_caption_says_every_seed_is_counted():
    from toytasks.reading.table import caption

    (row,) = summarise([_record(1, s, s < 2, "exhaustive") for s in range(4)])
    text = caption([row])
    assert "(every seed trained and counted), exhaustive search" in text
    assert "until decided" not in text


def test_sweep_caption_states_mse_thresholds_and_the_recorded_versions():
    from toytasks.reading.table import sweep_caption
    from toytasks.running.sweep import SweepPoint
    from toytasks.specs.spec import load_spec

    (row,) = summarise([_record(1, s, True, "linear", metric="mse") for s in range(3)])
    point = SweepPoint(1, load_spec("adding"), [row])
    text = sweep_caption([point], "marks")
    assert "reaches" not in text and "held-out mse <= 0.002" in text
    assert "toytasks 0.1.0 @abc1234" in text


def test_the_caption_example_in_docs_is_what_the_command_prints(cli_in_process):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text()
    block = docs.split("the command prints):\n\n```\n", 1)[1].split("\n```", 1)[0]
    code, out, err = cli_in_process("table", str(FIXTURE_STORE))
    assert code == 0, err
    assert block in out.splitlines()
