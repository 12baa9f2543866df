"""Packed seeds in runs (``--pack K``): the schedule hands a worker a whole pack of the
trials the searches ask for, and a seed's stored record does not depend on ``--seeds``,
resume or the worker count; architectures that do not pack train alone, keys unchanged."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from tests.helpers import results
from tests.search_fakes import make_trial

import toytasks
from toytasks.errors import ToytasksError
from toytasks.running.schedule import Schedule
from toytasks.running.trials import trial_factory
from toytasks.specs.options import resolve
from toytasks.specs.spec import load_spec
from toytasks.training.packed import pack_key
from toytasks.training.search import make_search


@dataclass(frozen=True)
class Done:
    solved: bool


def schedule(kind: str = "exhaustive", seeds: int = 4, pack: int = 2) -> Schedule:
    factory = lambda d, s, lr: replace(make_trial(d, s, lr), pack=pack)  # noqa: E731
    searches = [make_search(kind, "cnn", factory, seeds, (1e-3,), 1, 2)]
    return Schedule(searches, stored=lambda _: None, rank=lambda t: (t.seed, t.depth),
                    group=pack_key)


def test_a_free_worker_takes_a_whole_pack_of_asked_for_trials():
    s = schedule()
    wanted = {t.key for t in s.searches[0].candidates()}
    first = [t for _, t in s.submit(1)]
    assert [(t.depth, t.seed) for t in first] == [(1, 0), (1, 1)]  # seeds 0, 1: pack 0
    two = [t for _, t in s.submit(2)]
    assert [(t.depth, t.seed) for t in two] == [(2, 0), (2, 1), (1, 2), (1, 3)]
    assert {t.key for t in first + two} <= wanted


def test_packing_asks_for_no_seed_the_search_did_not():
    """The adaptive search asks for the seeds of its depth; a pack never adds a seed past
    ``--seeds`` (3 seeds, pack 4: one pack of 3)."""
    s = schedule("adaptive", seeds=3, pack=4)
    chosen = [t for _, t in s.submit(8)]
    assert [(t.depth, t.seed) for t in chosen] == [(1, 0), (1, 1), (1, 2)]
    for t in chosen:
        s.record(s.searches[0], t, Done(False))
    assert [(t.depth, t.seed) for _, t in s.submit(8)] == [(2, 0), (2, 1), (2, 2)]


def test_unpacked_schedules_are_unchanged():
    s = schedule(pack=1)
    assert [(t.depth, t.seed) for _, t in s.submit(3)] == [(1, 0), (2, 0), (1, 1)]


def test_only_architectures_that_pack_get_a_pack_in_their_identity():
    spec = load_spec("cycle-pattern")
    opts = resolve(spec, {"arch": ("gru", "lstm", "cnn", "chrono-gru"), "pack": 4})
    packs = {arch: trial_factory(spec, arch, opts)(1, 0, 3e-3).pack for arch in opts.archs}
    assert packs == {"gru": 4, "lstm": 1, "cnn": 4, "chrono-gru": 1}
    plain = resolve(spec, {"arch": ("lstm",)})
    assert trial_factory(spec, "lstm", opts)(1, 0, 3e-3).key == \
        trial_factory(spec, "lstm", plain)(1, 0, 3e-3).key


def run(folder: Path, seeds: int, workers: int = 1, arch: str = "gru,cnn") -> dict:
    toytasks.run("cycle-pattern", arch, out=folder, workers=workers, seeds=seeds, pack=2,
                 search="exhaustive", min_depth=1, max_depth=2, width=8, steps=40)
    return results(folder)


def test_a_seeds_record_is_the_same_whatever_seeds_and_resume(tmp_path):
    """Seeds 0-1 of a 2-seed run equal those of a 3-seed run (where seed 2 packs alone);
    a 2-seed folder resumed to 3 seeds equals the 3-seed run."""
    two = run(tmp_path / "two", seeds=2)
    three = run(tmp_path / "three", seeds=3)
    assert len(two) == 8 and len(three) == 12
    assert {k: three[k] for k in two} == two
    run(tmp_path / "two", seeds=3)
    assert results(tmp_path / "two") == three


@pytest.mark.slow
def test_a_packed_run_stores_the_same_bits_on_one_worker_or_two(tmp_path):
    assert run(tmp_path / "one", seeds=3) == run(tmp_path / "pool", seeds=3, workers=2)


def test_pack_out_of_range_is_one_line_error(tmp_path):
    with pytest.raises(ToytasksError, match=r"'pack' must be an integer in \[1, 64\]"):
        toytasks.run("cycle-pattern", "gru", out=tmp_path / "x", pack=0)


def test_pack_reaches_jobs_from_a_suite_entry_a_study_profile_and_a_task_spec(tmp_path):
    from toytasks.running.suite import load_profile
    from toytasks.study.experiment import load_study

    profile = tmp_path / "p.toml"
    profile.write_text('[[run]]\ntask = "cycle-pattern"\narch = ["gru"]\npack = 4\n')
    assert [job.opts.pack for job in load_profile(str(profile)).jobs()] == [4]
    study = tmp_path / "s.toml"
    text = (Path(__file__).parents[1] / "data" / "tiny-study.toml").read_text()
    study.write_text(text.replace("[profile.tiny]\n", "[profile.tiny]\npack = 2\n"))
    loaded = load_study(str(study), "tiny")
    assert {job.opts.pack for e in loaded.experiments for job in e.jobs()} == {2}
    assert loaded.experiments[0].manifest()["pack"] == 2
    spec = tmp_path / "t.toml"
    spec.write_text('generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n'
                    '[budget]\npack = 3\n')
    assert resolve(load_spec(str(spec)), {}).pack == 3
    assert resolve(load_spec(str(spec)), {"pack": 1}).pack == 1


@pytest.mark.parametrize("text", ["pack = 0", "pack = 65", 'pack = "4"'])
def test_a_bad_pack_in_a_profile_is_one_line_error(tmp_path, text):
    from toytasks.running.suite import load_profile

    profile = tmp_path / "p.toml"
    profile.write_text(f'[[run]]\ntask = "cycle-pattern"\n{text}\n')
    with pytest.raises(ToytasksError, match=r"'pack' must be an integer in \[1, 64\]"):
        load_profile(str(profile))


class CrashOncePerPack:
    """Runs work inline, but 'kills the worker' the first time each pack is submitted."""

    def __init__(self) -> None:
        self.seen: set[tuple] = set()
        self.restarts = 0
        self.units: list[list[int]] = []

    def submit(self, fn, unit):
        from concurrent.futures import BrokenExecutor, Future

        future: Future = Future()
        key = tuple(sorted((t.depth, t.seed) for t in unit))
        if key not in self.seen:
            self.seen.add(key)
            future.set_exception(BrokenExecutor("a worker process died"))
        else:
            self.units.append([t.seed for t in unit])
            future.set_result(fn(unit))
        return future

    def restart(self) -> None:
        self.restarts += 1


def test_a_pack_whose_worker_dies_is_retried_whole_and_gives_the_same_records(tmp_path):
    from toytasks.reading.store import ResultStore
    from toytasks.running.runner import run_trials
    from toytasks.training.solve import SolveRule

    spec = load_spec("cycle-pattern")
    opts = resolve(spec, {"arch": ("cnn",), "seeds": 2, "min_depth": 1, "max_depth": 1,
                          "width": 8, "steps": 30, "search": "exhaustive", "pack": 2})
    executor = CrashOncePerPack()
    run_trials(spec, opts, SolveRule(), ResultStore(tmp_path / "crashy"), executor, 1)
    assert executor.restarts == 1 and [sorted(u) for u in executor.units] == [[0, 1]]
    toytasks.run("cycle-pattern", "cnn", out=tmp_path / "calm", workers=1, seeds=2, pack=2,
                 search="exhaustive", min_depth=1, max_depth=1, width=8, steps=30)
    assert results(tmp_path / "crashy") == results(tmp_path / "calm")
