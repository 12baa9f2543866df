"""The results store: fsync'd append, torn last line tolerated, broken middle line refused."""

from __future__ import annotations

import json

import pytest
from tests.helpers import make_trial

from toytasks.errors import ToytasksError
from toytasks.reading.store import ResultStore
from toytasks.training.train import train


@pytest.fixture(scope="module")
def two_results():
    trials = [make_trial(seed=s, max_steps=5) for s in (0, 1)]
    return [(t, train(t)) for t in trials]


def test_records_round_trip_with_provenance(tmp_path, two_results):
    store = ResultStore(tmp_path)
    for trial, result in two_results:
        store.append(trial, result, {"toytasks": "test"}, {"seeds": 2})
    again = ResultStore(tmp_path, create=False)
    assert len(again) == 2
    trial, result = two_results[0]
    assert trial.key in again and again.result(trial.key).status == result.status
    record = again.records()[0]
    assert record.config == trial.config() and record.trial == trial
    assert record.provenance.date


def test_torn_last_line_is_ignored_with_a_warning_and_cut_before_appending(tmp_path,
                                                                            two_results):
    store = ResultStore(tmp_path)
    (trial0, result0), (trial1, result1) = two_results
    store.append(trial0, result0, {})
    with open(tmp_path / "trials.jsonl", "a") as handle:
        handle.write('{"key": "abc", "trial": {')  # a crash mid-write
    with pytest.warns(UserWarning, match="torn"):
        reopened = ResultStore(tmp_path)
    assert len(reopened) == 1
    reopened.append(trial1, result1, {})
    lines = (tmp_path / "trials.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["key"] for line in lines)


def test_broken_middle_line_is_a_clear_error(tmp_path, two_results):
    store = ResultStore(tmp_path)
    for trial, result in two_results:
        store.append(trial, result, {})
    path = tmp_path / "trials.jsonl"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\nGARBAGE\n" + lines[1] + "\n")
    with pytest.raises(ToytasksError, match=r"trials.jsonl:2: broken record"):
        ResultStore(tmp_path)


def test_missing_results_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ToytasksError, match="holds no results"):
        ResultStore(tmp_path / "nothing", create=False)
