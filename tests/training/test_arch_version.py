"""The architecture's numerics version in a trial's identity (``Trial.arch_version``).

Version 1 stays out of the configuration, so every key stored before the field existed is
unchanged; from version 2 on it is part of the hash, so the results of two numerics never
share a key (the new `mamba` block is version 2; the `mamba` stored before it was S6)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from toytasks.models import ARCHITECTURES
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import arch_label
from toytasks.running.trials import trial_factory
from toytasks.specs.options import default_options
from toytasks.specs.spec import load_spec
from toytasks.training.train import train
from toytasks.training.trial import ERROR, config_hash

ROOT = Path(__file__).resolve().parents[2]
STORES = sorted({path.parent for top in ("tests/data", "stores")
                 for path in (ROOT / top).rglob("trials.jsonl")})


@pytest.mark.parametrize("folder", STORES, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_stores_keep_their_keys(folder: Path) -> None:
    """Version 1 trials keep the configuration they had before versions existed; trials of
    a later version (stores made since, e.g. the Mamba block's) carry it in theirs."""
    records = ResultStore(folder, create=False).records()
    assert records
    for record in records:
        version = record.trial.arch_version
        assert record.config.get("arch_version", 1) == version
        assert ("arch_version" in record.config) == (version != 1)
        assert record.trial.key == record.key == config_hash(record.config)


def test_the_committed_stores_hold_both_kinds_of_key() -> None:
    """The test above reads version-1 keys and, since the Mamba block's stores, later ones."""
    versions = {r.trial.arch_version for folder in STORES
                for r in ResultStore(folder, create=False).records()}
    assert {1, 2} <= versions


def trial_for(arch: str):
    spec = load_spec("selective-copy")
    return trial_factory(spec, arch, default_options(spec))(1, 0, spec.budget.lr)


def test_a_trial_carries_its_architectures_version_from_two_on() -> None:
    mamba, s6, lstm = trial_for("mamba"), trial_for("s6"), trial_for("lstm")
    assert mamba.arch_version == ARCHITECTURES["mamba"].version == 2
    assert mamba.config()["arch_version"] == 2
    assert "arch_version" not in s6.config() and "arch_version" not in lstm.config()
    # the same trial at version 1 (a `mamba` stored before the block) is another result
    old = replace(mamba, arch_version=1)
    assert old.key != mamba.key and "arch_version" not in old.config()
    # both render under their name; their configurations (so their rows) differ
    assert arch_label(mamba.config()) == arch_label(old.config()) == "mamba"


def test_a_trial_of_another_version_is_refused_not_trained() -> None:
    old = replace(trial_for("mamba"), arch_version=1, max_steps=1)
    result = train(old)
    assert result.status == ERROR and "arch version 1" in result.reason
