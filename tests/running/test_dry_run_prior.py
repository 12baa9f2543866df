"""--dry-run's likely scenario reads what stored results say: a trial stored under its own
key ends as it did after the same steps; a trial whose cell is stored at that depth does
what most of its seeds did, for their median steps; only the rest follows the
receptive-field rule and the steps model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.search_fakes import fake_result, tiny_spec

from toytasks.cost.calibrate import Calibration
from toytasks.cost.dryrun import Group, dry_run, render
from toytasks.cost.estimate import estimate_job, likely, likely_steps
from toytasks.cost.prior import Known, Prior, read_prior
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import rf_bound
from toytasks.running.plan import Job
from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.training.solve import SolveRule
from toytasks.training.trial import DIVERGED, ERROR, Trial

LR = 3e-3


def fixed_job(arch: str, depth: int, seeds: int = 4) -> Job:
    """Every seed of ``arch`` at one depth, as the study's fixed-depth sections run."""
    opts = replace(default_options(tiny_spec()), archs=(arch,), seeds=seeds, min_depth=depth,
                   max_depth=depth, lrs=(LR,), search="exhaustive")
    return Job(tiny_spec(), opts, SolveRule(), confirm=False)


def trial(arch: str, depth: int, seed: int, job: Job | None = None) -> Trial:
    j = job or fixed_job(arch, depth)
    return trial_factory(j.spec, arch, j.opts)(depth, seed, LR)


def store(root: Path, rows: list[tuple[Trial, bool, int]], status: str | None = None) -> None:
    s = ResultStore(root)
    for t, solved, steps in rows:
        result = replace(fake_result(t, solved), steps=steps)
        s.append(t, replace(result, status=status) if status else result, {})


def prior_of(root: Path) -> Prior:
    return read_prior([root])


def conv_bound() -> int:
    bound = rf_bound("cnn", tiny_spec().make_generator().blind_samples)
    assert bound is not None and bound > 1
    return bound


def test_a_stored_trial_ends_as_stored_after_its_stored_steps(tmp_path: Path) -> None:
    t = trial("cnn", conv_bound() + 2, 0)
    store(tmp_path / "a" / "f", [(t, False, 737)])  # found below the root, any depth
    assert prior_of(tmp_path).about(t) == Known(False, 737)


def test_another_seed_of_a_stored_cell_does_what_most_of_its_seeds_did(tmp_path: Path) -> None:
    depth = conv_bound() + 2
    store(tmp_path, [(trial("cnn", depth, 0), False, 600), (trial("cnn", depth, 1), False, 900),
                     (trial("cnn", depth, 2), True, 150), (trial("cnn", depth, 3), False, 700)])
    prior = prior_of(tmp_path)
    assert prior.about(trial("cnn", depth, 7)) == Known(False, 700)  # median of 600/700/900
    assert prior.about(trial("cnn", depth + 1, 7)) is None  # another depth: not known
    assert prior.about(trial("lstm", 1, 0)) is None  # another cell


def test_a_tied_cell_counts_as_solved_with_the_solved_seeds_median(tmp_path: Path) -> None:
    store(tmp_path, [(trial("lstm", 1, 0), True, 300), (trial("lstm", 1, 1), False, 900)])
    assert prior_of(tmp_path).about(trial("lstm", 1, 5)) == Known(True, 300)


def test_an_error_is_not_an_outcome_but_a_diverged_trial_is_unsolved(tmp_path: Path) -> None:
    store(tmp_path / "e", [(trial("lstm", 1, 0), False, 5)], status=ERROR)
    store(tmp_path / "d", [(trial("lstm", 1, 1), False, 40)], status=DIVERGED)
    prior = prior_of(tmp_path)
    assert prior.about(trial("lstm", 1, 0)) == Known(False, 40)  # the cell, not the error
    assert len(prior) == 1


def test_a_missing_folder_gives_an_empty_prior(tmp_path: Path) -> None:
    prior = read_prior([tmp_path / "nowhere"])
    assert len(prior) == 0 and prior.about(trial("lstm", 1, 0)) is None


def test_a_conv_above_its_bound_known_to_fail_is_estimated_to_fail(tmp_path: Path) -> None:
    depth = conv_bound() + 2
    j = fixed_job("cnn", depth)
    store(tmp_path, [(trial("cnn", depth, 0, j), False, 800)])
    assert likely(j)(trial("cnn", depth, 3, j))  # the RF rule alone: solves
    assert not likely(j, prior_of(tmp_path))(trial("cnn", depth, 3, j))
    assert likely(j, Prior())(trial("cnn", depth, 3, j))  # nothing known: the RF rule


def fake_calibration() -> Calibration:
    cal = Calibration()
    cal.step_seconds = lambda t: 0.01  # type: ignore[method-assign]
    cal.eval_seconds = lambda t: 0.0  # type: ignore[method-assign]
    cal.overhead_seconds = lambda t: 0.0  # type: ignore[method-assign]
    cal.measure = lambda trials: None  # type: ignore[method-assign]
    return cal


def test_the_estimate_times_known_trials_by_their_stored_steps(tmp_path: Path) -> None:
    depth = conv_bound() + 2
    j = fixed_job("cnn", depth, seeds=2)  # 2 trials on 2 workers: the wall is the longer
    store(tmp_path, [(trial("cnn", depth, 0, j), False, 1300),
                     (trial("cnn", depth, 1, j), False, 700)])
    told = estimate_job(j, 2, {}, fake_calibration(), prior_of(tmp_path))
    assert told.likely_seconds == pytest.approx(13.0) and told.known == 2
    assert [s for _, s in told.likely_trained] == [False, False]
    blind = estimate_job(j, 2, {}, fake_calibration())  # the RF rule: solves, modelled steps
    t = trial("cnn", depth, 0, j)
    assert blind.likely_seconds == pytest.approx(0.01 * likely_steps(t, True))
    assert blind.known == 0


def test_dry_run_reads_the_committed_stores_and_the_groups_folder(tmp_path: Path) -> None:
    depth = conv_bound() + 2
    j = fixed_job("cnn", depth, seeds=2)
    committed, folder = tmp_path / "stores", tmp_path / "out"
    store(committed / "x", [(trial("cnn", depth, 0, j), False, 900)])
    store(folder, [(trial("cnn", depth, 1, j), False, 1100)])  # stored: reused, not trained
    result = dry_run([Group("g", [j], folder)], 1, stores=[committed])
    (_, estimate), = result.estimates
    assert estimate.reused == 1 and estimate.likely_trials == 1 and estimate.known == 1
    assert "likely scenario: 1 of 1 trials end as stored results" in render(result)
    assert "(2 stored trials read)" in render(result)
