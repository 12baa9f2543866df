"""Generated data is part of every stored result's identity: a speed-up of a generator must
give the same bits. x, y and the generator's state after several consecutive batches are
hashed for every built-in spec, the ECG tasks at several rates and knob variants, and
compared with hashes recorded before the generators were last optimised
(tests/data/generator_hashes.json).

A change that is meant to alter data bumps a data version (CHANGELOG.md) and rewrites the
file: ``PYTHONPATH=src python tests/tasks/test_generator_hashes.py --write``.
Hashes hold for one numpy version on one CPU feature set (numpy's SIMD paths decide the
last bit of ``sin`` and ``exp``; recorded on an AMD EPYC with AVX-512): elsewhere the test is
skipped, saying why.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toytasks.specs.spec import available_specs, load_spec

HASHES = Path(__file__).resolve().parents[1] / "data" / "generator_hashes.json"
BATCHES = (32, 32, 5, 32)  # consecutive batches from one generator (an odd size included)
ECG_VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = tuple(
    [(name, {"sampling_hz": hz}) for name in ("ecg-ectopy", "ecg-rhythm")
     for hz in (5.0, 20.0, 50.0, 100.0, 250.0, 500.0)]
    + [("ecg-ectopy", {"n_normal": 1, "pvc_prob": 0.0}),
       ("ecg-ectopy", {"n_normal": 4, "hrv": 0.0, "coupling": 0.8}),
       ("ecg-ectopy", {"noise_std": 0.0, "baseline_wander": 0.0, "prefix_beats": 0}),
       ("ecg-rhythm", {"longer_share": 1.0}),
       ("ecg-rhythm", {"p_waves": False, "hr_spread": 0.0}),
       ("ecg-rhythm", {"n_beats": 6, "irregularity": 0.4, "hrv": 0.0}),
       ("ecg-rhythm", {"noise_std": 0.0, "heart_rate_bpm": 120.0, "prefix_beats": 0}),
       ("ecg-ectopy", {"heart_rate_bpm": 40.0, "sampling_hz": 250.0})])


def cases() -> dict[str, tuple[str, dict[str, Any]]]:
    """Label -> (spec, knob overrides): every built-in spec at its defaults, the variants."""
    found = {name: (name, {}) for name in sorted(available_specs())}
    for name, knobs in ECG_VARIANTS:
        found[name + " " + json.dumps(knobs, sort_keys=True)] = (name, knobs)
    return found


def digest(name: str, knobs: dict[str, Any], seed: int = 7) -> str:
    """sha256 over x, y (bytes, dtype and shape) of each batch and the final rng state."""
    spec = load_spec(name)
    with warnings.catch_warnings():  # the long-sequence cost warning of 250-500 Hz
        warnings.simplefilter("ignore", UserWarning)
        task = (spec.with_knobs(knobs) if knobs else spec).make_generator()
    rng = np.random.default_rng(seed)
    h = hashlib.sha256()
    for n in BATCHES:
        for a in task.sample(n, rng):
            a = np.asarray(a)
            h.update(f"{a.dtype} {a.shape}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
    h.update(json.dumps(rng.bit_generator.state, sort_keys=True).encode())
    return h.hexdigest()


def recorded() -> dict[str, Any]:
    return json.loads(HASHES.read_text())


def simd() -> list[str]:
    """The SIMD extensions numpy found on this CPU (which ufunc kernels it runs)."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    return sorted(k for k, on in features.items() if on)


def test_every_case_is_recorded():
    assert set(cases()) == set(recorded()["hashes"])


@pytest.mark.parametrize("label", sorted(cases()))
def test_generator_gives_the_recorded_bits(label):
    data = recorded()
    if data["numpy"] != np.__version__:
        pytest.skip(f"hashes recorded under numpy {data['numpy']}, this is {np.__version__}")
    if data["simd"] != simd():
        pytest.skip("hashes recorded on a CPU with other SIMD extensions than this one")
    name, knobs = cases()[label]
    assert digest(name, knobs) == data["hashes"][label], (
        f"{label}: x, y or the generator state changed (a data change needs a version bump)")


def test_digest_sees_a_change_in_one_value_and_in_the_generator_state():
    """The hash is not blind: one flipped label, or one extra draw, changes it."""
    spec = load_spec("ecg-ectopy")
    task = spec.make_generator()
    base = digest("ecg-ectopy", {})
    original = task.sample

    def flipped(n, rng):
        x, y = original(n, rng)
        y = y.copy()
        y[0] = 1 - y[0]
        return x, y

    def extra_draw(n, rng):
        out = original(n, rng)
        rng.random()
        return out

    for patch in (flipped, extra_draw):
        type(task).sample = lambda self, n, rng, p=patch: p(n, rng)
        try:
            assert digest("ecg-ectopy", {}) != base
        finally:
            del type(task).sample
    assert digest("ecg-ectopy", {}) == base


def write() -> None:
    hashes = {label: digest(name, knobs) for label, (name, knobs) in cases().items()}
    HASHES.write_text(json.dumps({"numpy": np.__version__, "simd": simd(),
                                  "batches": list(BATCHES),
                                  "hashes": hashes}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(hashes)} hashes to {HASHES}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/tasks/test_generator_hashes.py --write")
    write()
