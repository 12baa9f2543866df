"""Every committed result keeps its identity: each stored trial, rebuilt through the run's
own path (spec + options -> ``trial_factory``, architecture knobs and ``lstm.gate_bias``
set as knobs like any other), hashes to the key it was stored under, at the architecture
version it was stored with; at a newer version (CHANGELOG.md) the rebuilt key differs, so a
run never reuses another version's result."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from tests.search_fakes import tiny_spec

from toytasks.models import get_architecture, knob_schema
from toytasks.running.trials import trial_factory
from toytasks.specs.options import RunOptions, default_options
from toytasks.specs.spec import Budget, TaskSpec
from toytasks.training.train import model_knobs
from toytasks.training.trial import FIELD_KNOBS

ROOT = Path(__file__).resolve().parents[2]
STORES = sorted([*ROOT.glob("stores/**/trials.jsonl"), *ROOT.glob("tests/data/**/trials.jsonl")])


def stored(path: Path) -> list[tuple[str, dict]]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(rec["key"], rec["trial"]) for rec in lines if "trial" in rec]


@cache
def factory(frozen: str):
    """The factory a run would use for this stored cell; field knobs (gate_bias) go in as
    the architecture's knob where it declares one, else as the spec's budget default."""
    c = json.loads(frozen)
    arch, declared = c["arch"], knob_schema(c["arch"])
    knobs = dict(c.get("arch_knobs") or {})
    budget_fields = {}
    for name in FIELD_KNOBS:
        if name in declared:
            knobs[name] = c[name]
        else:
            budget_fields[name] = c[name]
    budget = replace(Budget(), eval_every=c["eval_every"], patience=c["patience"],
                     test_size=c["test_size"], clip=c["clip"], **budget_fields)
    spec = TaskSpec(c["task"], c["generator"], "", c["knobs"], c["threshold"], budget)
    opts = RunOptions(archs=(arch,), seeds=1, min_depth=1, max_depth=1, width=c["width"],
                      lrs=(c["lr"],), max_steps=c["max_steps"], batch_size=c["batch_size"],
                      device=c.get("device", "cpu"), train_size=c["train_size"],
                      diagnostics=c["diagnostics"],
                      test_lengths=tuple(c.get("test_lengths") or ()),
                      arch_knobs=tuple((arch, k, v) for k, v in sorted(knobs.items())))
    return trial_factory(spec, arch, opts)


def test_the_committed_stores_are_found() -> None:
    assert len(STORES) >= 30 and sum(len(stored(p)) for p in STORES) > 500


@pytest.mark.parametrize("path", STORES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_stored_trial_rebuilds_to_its_stored_key(path: Path) -> None:
    records = stored(path)
    for key, config in records:
        cell = {k: v for k, v in config.items() if k not in ("depth", "seed")}
        trial = factory(json.dumps(cell, sort_keys=True))(config["depth"], config["seed"],
                                                          config["lr"])
        stored_version = config.get("arch_version", 1)
        as_stored = replace(trial, arch_version=stored_version)
        as_json = json.loads(json.dumps(as_stored.config()))  # tuples read back as lists
        assert as_json == config and as_stored.key == key, (path, key)
        current = get_architecture(config["arch"]).version
        assert trial.arch_version == current
        assert (trial.key == key) == (current == stored_version), (path, key)


def made(arch: str, budget_bias: float, knobs: tuple = ()):
    spec = replace(tiny_spec(), budget=replace(Budget(), gate_bias=budget_bias))
    opts = replace(default_options(spec), archs=(arch,), arch_knobs=knobs)
    return trial_factory(spec, arch, opts)(1, 0, 3e-3)


def test_the_old_budget_field_is_the_default_of_the_gate_bias_knob() -> None:
    """[budget] gate_bias (old specs) sets lstm.gate_bias's default; the knob overrides it;
    an architecture without the knob stores the budget's value as it always did."""
    assert made("lstm", 1.0).gate_bias == 1.0
    set_too = made("lstm", 1.0, (("lstm", "gate_bias", 2.0),))
    assert set_too.gate_bias == 2.0 and set_too.arch_knobs == ()
    assert made("cnn", 1.0).gate_bias == 1.0 and made("cnn", 3.0).gate_bias == 3.0
    assert made("lstm", 3.0).key == made("lstm", 3.0, (("lstm", "gate_bias", 3.0),)).key


@pytest.mark.parametrize(("arch", "built_with"), [
    ("lstm", {"gate_bias": 1.0}), ("gru", {"gate_bias": 1.0}), ("res-lstm", {"gate_bias": 1.0}),
    ("rnn", {}), ("chrono-lstm", {}), ("cnn", {}),  # they declare no gate_bias knob
])
def test_a_model_gets_the_gate_bias_only_where_its_architecture_declares_it(arch,
                                                                           built_with) -> None:
    assert model_knobs(made(arch, 1.0)) == built_with


def test_a_knob_added_later_joins_the_identity_only_when_set() -> None:
    """cycle-pattern's label_noise came after its stored results: at its default a trial
    keeps the key it always had; set, it is a new trial."""
    from toytasks.specs.spec import load_spec

    spec = load_spec("cycle-pattern")
    opts = replace(default_options(spec), archs=("lstm",))

    def key_of(s: TaskSpec):
        return trial_factory(s, "lstm", opts)(1, 0, 3e-3)

    plain, noisy = key_of(spec), key_of(spec.with_knobs({"label_noise": 0.2}))
    assert "label_noise" in spec.knobs and "label_noise" not in plain.knob_values
    assert noisy.knob_values["label_noise"] == 0.2 and noisy.key != plain.key
    assert key_of(spec.with_knobs({"label_noise": 0.0})).key == plain.key
