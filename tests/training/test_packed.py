"""Packed seeds (``--pack K``, ``toytasks.training.packed``): a seed's record does not
depend on which seeds share its pack, and it is the record the trainer's own rules give
(early stopping, evaluation, the causality check, diagnostics), under its own identity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.helpers import VOLATILE, make_trial

from toytasks.errors import ToytasksError
from toytasks.models.packing import PACKINGS
from toytasks.training import packed
from toytasks.training.packed import check_pack, pack_key, packs, train_pack
from toytasks.training.train import train
from toytasks.training.trial import DIVERGED, ERROR, SOLVED, TrialResult


def record(result: TrialResult) -> dict:
    return {k: v for k, v in result.to_dict().items() if k not in VOLATILE}


def trial(arch: str = "gru", seed: int = 0, **overrides):
    # patience 2 every 10 steps: seeds stop at different steps, so frozen slots are exercised
    fields = {"width": 8, "depth": 2, "max_steps": 60, "eval_every": 10, "patience": 2,
              "pack": 4, **overrides}
    return make_trial(arch, seed=seed, **fields)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("arch", sorted(PACKINGS))
def test_a_seed_gets_the_same_record_whichever_seeds_share_its_pack(arch):
    """Seed 1 in slot 1 of pack 0: with seeds 0 and 2 (which stop at other steps), with
    seed 3 only, and alone. Every field but the wall time is the same bits."""
    crowded = train_pack([trial(arch, s) for s in (0, 1, 2)])
    other = train_pack([trial(arch, s) for s in (3, 1)])
    alone = train_pack([trial(arch, 1)])
    assert record(crowded[1]) == record(other[1]) == record(alone[0])
    assert len({r.steps for r in crowded}) > 1  # its mates stopped at other steps
    assert [r.key for r in crowded] == [trial(arch, s).key for s in (0, 1, 2)]


def test_train_refuses_a_packed_trial():
    """A packed trial's numbers come from its K-slot model: ``train`` (one seed alone)
    would store other bits under its key, so it refuses (the runner packs)."""
    result = train(trial(seed=5))
    assert result.status == ERROR and "trains in its pack" in result.reason
    assert train_pack([trial(seed=5)])[0].status != ERROR


def test_packed_records_hold_every_field_the_trainer_fills():
    """Solved at the first held-out score (threshold 0): steps_to_solve, the causality
    check on the solved model, FLOPs and parameters counted as for a single seed; the
    diagnostics measured on the seed's own model."""
    alone = train(trial("cnn", 0, pack=1, threshold=0.0, diagnostics=True))
    packed_ = train_pack([trial("cnn", s, threshold=0.0, diagnostics=True) for s in (0, 1)])[0]
    assert packed_.status == alone.status == SOLVED
    assert packed_.steps == packed_.steps_to_solve == alone.steps
    assert (packed_.params, packed_.flops, packed_.evals) == (alone.params, alone.flops,
                                                               alone.evals)
    assert set(packed_.diagnostics) == set(alone.diagnostics) != set()
    assert set(packed_.to_dict()) == set(alone.to_dict())


def test_packed_seed_trains_with_its_own_initialisation_and_data():
    """Different seeds, different runs; the same seed, the same run (repeatable)."""
    first = train_pack([trial(seed=0), trial(seed=1)])
    again = train_pack([trial(seed=0), trial(seed=1)])
    assert [record(r) for r in first] == [record(r) for r in again]
    assert record(first[0])["train_loss"] != record(first[1])["train_loss"]


def test_a_seed_with_a_non_finite_batch_stops_alone(monkeypatch):
    """Seed 2's task yields NaN at step 5: seed 2 is a task error at step 5 (as ``train``
    records it); seed 1, sharing its pack, gets the record it gets without seed 2."""
    real = packed.batch
    drawn: dict[int, int] = {}

    def poisoned(t, *args):
        x, y = real(t, *args)
        drawn[t.seed] = drawn.get(t.seed, 0) + 1
        return (x * np.nan, y) if t.seed == 2 and drawn[t.seed] == 5 else (x, y)

    monkeypatch.setattr(packed, "batch", poisoned)
    results = train_pack([trial(seed=1), trial(seed=2)])
    monkeypatch.setattr(packed, "batch", real)
    assert results[1].status == ERROR and results[1].steps == 5
    assert "sampled NaN or infinite values at step 5" in results[1].reason
    assert record(results[0]) == record(train_pack([trial(seed=1)])[0])


def test_a_diverging_seed_stops_as_diverged_and_the_others_go_on(monkeypatch):
    """A non-finite loss for one seed only (its outputs made infinite): that seed is
    diverged at that step; its mate's record is the one it gets alone."""
    real = packed.PackedModel.__call__

    def call(self, x):
        out = real(self, x)
        if x.shape[0] == 4 and bool(x[2].abs().sum() > 0) and self.training:
            hits.append(1)
            if len(hits) == 7:
                out = out.clone()
                out[2] = float("inf")
        return out

    hits: list[int] = []
    monkeypatch.setattr(packed.PackedModel, "__call__", call)
    results = train_pack([trial(seed=1), trial(seed=2)])
    monkeypatch.setattr(packed.PackedModel, "__call__", real)
    assert results[1].status == DIVERGED
    assert results[1].reason == "non-finite training loss at step 7"
    assert record(results[0]) == record(train_pack([trial(seed=1)])[0])


def test_pack_is_in_the_identity_only_when_packed():
    plain, packed_ = trial(pack=1), trial(pack=4)
    assert "pack" not in plain.config() and packed_.config()["pack"] == 4
    assert plain.key == make_trial("gru", width=8, depth=2, max_steps=60, eval_every=10,
                                   patience=2).key
    assert len({plain.key, packed_.key, trial(pack=2).key}) == 3


@pytest.mark.parametrize(("seeds", "pack", "groups"), [
    ((0, 1, 2, 3), 4, [[0, 1, 2, 3]]),
    ((0, 1, 2, 3), 2, [[0, 1], [2, 3]]),
    ((3, 4), 4, [[3], [4]]),  # 3 // 4 = 0, 4 // 4 = 1: never one pack
    ((0, 1), 1, [[0], [1]]),  # unpacked: each alone
])
def test_packs_are_seed_div_pack_whatever_else_is_asked(seeds, pack, groups):
    trials = [trial(seed=s, pack=pack) for s in seeds]
    assert [[t.seed for t in unit] for unit in packs(trials)] == groups
    assert (pack_key(trials[0]) is None) == (pack == 1)


def test_packs_never_mix_cells():
    assert len(packs([trial(seed=0), trial(seed=1, depth=3), trial(seed=2, lr=1e-2)])) == 3


@pytest.mark.parametrize("bad", [
    [trial(seed=0), trial(seed=4)],  # two packs
    [trial(seed=0), trial(seed=0)],  # a seed twice
    [trial(seed=0, pack=1)],  # unpacked
    [trial("lstm", 0)],  # an architecture that does not pack
    [],
])
def test_a_malformed_pack_is_refused(bad):
    with pytest.raises(ToytasksError):
        check_pack(bad)


def test_an_exception_becomes_an_error_for_every_seed_of_the_pack(monkeypatch):
    def boom(*_):
        raise RuntimeError("kernel refused")

    monkeypatch.setattr(packed, "_attempt", boom)
    results = train_pack([trial(seed=0), trial(seed=1)])
    assert [r.status for r in results] == [ERROR, ERROR]
    assert all("kernel refused" in r.reason for r in results)


def test_a_packed_seed_sees_the_batches_it_sees_alone(monkeypatch):
    """Its data stream is the unpacked trial's: same batches, in the same order (here with
    a fixed training set, whose draw comes first from the same stream)."""
    from toytasks.training import train as train_module

    seen: dict[str, list] = {"alone": [], "packed": []}

    def spy(name, real):
        def draw(t, *args):
            x, y = real(t, *args)
            if t.seed == 1:
                seen[name].append((x.clone(), y.clone()))
            return x, y
        return draw

    monkeypatch.setattr(train_module, "batch", spy("alone", train_module.batch))
    monkeypatch.setattr(packed, "batch", spy("packed", packed.batch))
    train(trial(seed=1, pack=1, train_size=64))
    train_pack([trial(seed=s, train_size=64) for s in (0, 1)])
    common = min(len(seen["alone"]), len(seen["packed"]))
    assert common >= 20
    for (xa, ya), (xp, yp) in zip(seen["alone"][:common], seen["packed"][:common],
                                  strict=True):
        assert torch.equal(xa, xp) and torch.equal(ya, yp)


def test_a_fixed_training_set_keeps_a_seeds_record_independent_of_its_pack():
    crowded = train_pack([trial(seed=s, train_size=64) for s in (0, 1, 2)])
    alone = train_pack([trial(seed=1, train_size=64)])
    assert record(crowded[1]) == record(alone[0])
