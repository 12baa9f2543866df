"""Suite profiles: strict parsing, running entries into one store, the committed baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import fake_train

from toytasks.errors import ToytasksError
from toytasks.running import runner
from toytasks.running.suite import load_profile

ROOT = Path(__file__).resolve().parents[2]




def write_profile(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(body)
    return path


def test_quick_profile_loads_and_names_what_it_runs() -> None:
    prof = load_profile("quick")
    assert prof.name == "quick" and prof.description
    assert len(prof.runs) >= 2
    assert all("rnn" not in r.opts.archs for r in prof.runs)  # noisy: kept out of CI
    first = prof.runs[0]
    assert first.spec.name == "cycle-pattern" and first.opts.seeds == 3
    assert prof.runs[1].spec.knobs["period_samples"] == 4


def test_committed_quick_baseline_covers_exactly_the_quick_profile() -> None:
    """Editing the profile without regenerating baselines/quick.json fails here, fast."""
    baseline = json.loads((ROOT / "baselines" / "quick.json").read_text())
    cells = {(json.dumps(t["config"]["knobs"], sort_keys=True), t["config"]["max_steps"],
              t["config"]["width"], arch) for t in baseline["tables"] for arch in t["cells"]}
    # the knobs as the trials store them (a newer knob at its default is left out)
    wanted = {(json.dumps(r.spec.make_generator().identity_values, sort_keys=True),
               r.opts.max_steps, r.opts.width, arch)
              for r in load_profile("quick").runs for arch in r.opts.archs}
    assert cells == wanted


@pytest.mark.parametrize(("body", "message"), [
    ("[[run]]\ntask = 'cycle-pattern'\nwidht = 3\n", r"run\[0\]: unknown key 'widht'"),
    ("[[run]]\ntask = 'cycle-pattern'\narch = ['cnn', 'lsmt']\n", "unknown architecture 'lsmt'"),
    ("[[run]]\ntask = 'cycle-pattern'\nseeds = 0\n", "'seeds' must be an integer in"),
    ("[[run]]\ntask = 'cycle-pattern'\nset = { period_samples = 1 }\n", "period_samples"),
    ("[[run]]\ntask = 'cycle-pattern'\nmin_depth = 5\nmax_depth = 2\n", "min_depth 5 is larger"),
    ("[[run]]\ntask = 'nope'\n", "unknown task 'nope'"),
    ("description = 'x'\n", "needs at least one"),
    ("runs = []\n", "unknown key 'runs'"),
    ("[[run\n", "not valid TOML"),
])
def test_a_bad_profile_is_one_error_naming_file_and_key(tmp_path: Path, body: str,
                                                        message: str) -> None:
    path = write_profile(tmp_path, body)
    with pytest.raises(ToytasksError, match=message) as info:
        load_profile(str(path))
    assert str(path) in str(info.value)


def test_unknown_profile_name_lists_the_valid_ones(cli_in_process) -> None:
    code, _, err = cli_in_process("suite", "nonexistent", "--out", "/tmp/unused")
    assert code == 2 and "unknown profile 'nonexistent' (valid: quick" in err


def test_suite_runs_every_entry_into_one_store_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_in_process) -> None:
    monkeypatch.setattr(runner, "train", fake_train)
    profile = write_profile(tmp_path, """
        description = "two entries"
        [[run]]
        task = "cycle-pattern"
        arch = "cnn,lstm"
        seeds = 1
        max_depth = 3
        steps = 10
        [[run]]
        task = "cycle-pattern"
        arch = ["tcn"]
        set = { period_samples = 4 }
        seeds = 1
        max_depth = 3
        steps = 10
        lr = [0.001, 0.003]
    """)
    out_dir = tmp_path / "out"
    code, out, err = cli_in_process("suite", str(profile), "--out", str(out_dir), "--workers", "1")
    assert code == 0, err
    assert "[run 1/2]" in err and "[run 2/2]" in err
    lines = (out_dir / "trials.jsonl").read_text().splitlines()
    # cnn 1, 2; lstm 1, 2; tcn depth 1 at both lrs, depth 2 solved by the first lr
    assert len(lines) == 2 + 2 + 3
    code, table_out, _ = cli_in_process("table", str(out_dir))
    assert out == table_out  # the suite prints what `toytasks table` prints
    assert table_out.count("lr 0.001,0.003 best-of-lr per seed") == 1
    code, _, err = cli_in_process("suite", str(profile), "--out", str(out_dir), "--workers", "1")
    assert code == 0 and "reused 4 stored trial(s)" in err and "reused 3 stored" in err
    assert len((out_dir / "trials.jsonl").read_text().splitlines()) == 7
