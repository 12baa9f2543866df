"""Packing K seeds into one module (benchmarks/packed_models.py) is the same math as the K
single-seed models: same parameters, same outputs, no seed sees another's data; the grouped
convolution packing trains bit-identically to the single-seed trainer step."""

from __future__ import annotations

import pytest
import torch
from benchmarks import packing_groups
from benchmarks.packed_models import pack
from benchmarks.packing_groups import Setup, determinism

from toytasks.models import build_model

CASES = [("cnn", "grouped-conv"), ("tcn", "grouped-conv"), ("res-cnn", "grouped-conv"),
         ("gated-cnn", "grouped-conv"), ("lstm", "block-diagonal"), ("gru", "block-diagonal"),
         ("rnn", "block-diagonal"), ("lstm", "batched-lstm")]
K, DEPTH, WIDTH, N_IN, N_OUT, STEPS_OUT = 3, 2, 8, 2, 3, 2


def _singles(arch: str) -> list[torch.nn.Module]:
    models = []
    for seed in range(K):
        torch.manual_seed(seed)
        models.append(build_model(arch, N_IN, N_OUT, DEPTH, WIDTH, STEPS_OUT))
    return models


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(("arch", "method"), CASES)
def test_packed_model_holds_each_seeds_parameters_and_computes_its_forward(arch, method):
    models = _singles(arch)
    packed = pack(models, method)
    for seed_params, model in zip(packed.unpack(), models, strict=True):
        names = [n for n, _ in model.named_parameters()]
        assert list(seed_params) == names  # the single model's order: clipping sums in it
        for name, param in model.named_parameters():
            assert torch.equal(seed_params[name], param.detach()), name
    x = torch.randn(K, 5, 20, N_IN)
    with torch.no_grad():
        out = packed(x)
        expected = torch.stack([m(x[k]) for k, m in enumerate(models)])
    assert out.shape == (K, 5, STEPS_OUT, N_OUT)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("arch", "method"), CASES)
def test_no_seed_sees_another_seeds_input_or_weights(arch, method):
    packed = pack(_singles(arch), method)
    x = torch.randn(K, 4, 20, N_IN, requires_grad=True)
    packed(x)[1].sum().backward()  # seed 1's output only
    grad = x.grad.abs().sum(dim=(1, 2, 3))
    assert grad[1] > 0 and grad[0] == 0 and grad[2] == 0
    packed.after_backward()
    for seed, grads in enumerate(packed.unpack(grads=True)):
        total = sum(g.abs().sum() for g in grads.values())
        assert (total > 0) == (seed == 1)


def test_block_diagonal_off_diagonal_blocks_stay_zero_through_training():
    packed = pack(_singles("lstm"), "block-diagonal")
    optimizer = torch.optim.Adam(packed.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        packed(torch.randn(K, 4, 10, N_IN)).square().sum().backward()
        packed.after_backward()
        optimizer.step()
    for name, mask in packed.masks.items():
        weight = getattr(packed.rnn, name).detach()
        assert torch.all(weight[mask == 0] == 0), name
        assert torch.any(weight[mask == 1] != 0), name


@pytest.mark.parametrize("arch", ["cnn", "tcn", "res-cnn", "gated-cnn"])
def test_grouped_conv_packing_trains_bit_identically_to_single_seed_runs(arch):
    """The determinism contract at width 16, where it was measured to hold: the packed run's
    per-seed losses and parameters after a few trainer steps (with clipping and Adam) equal
    the single-seed runs' bit for bit. It rests on oneDNN choosing the same algorithm for
    the grouped convolution as for the single one, which depends on the channel counts
    (measured: not at width 24, nor gated-cnn at width 8), so it is pinned where claimed."""
    result = determinism(Setup(arch, 3, 16, 3, steps=4), "grouped-conv")
    assert result.identical, result
    assert result.repeatable


def test_determinism_check_reports_a_difference_when_there_is_one():
    """The stepped LSTM (composite cell) rounds differently from nn.LSTM's fused kernel."""
    result = determinism(Setup("lstm", 1, 8, 2, steps=4), "batched-lstm")
    assert not result.identical
    assert result.max_param_diff > 0
    assert result.repeatable


def test_benchmark_runs_every_case_at_tiny_sizes(capsys):
    packing_groups.main(["--tiny"])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "packed " in ln]
    assert len(lines) == len(packing_groups.CASES)
    assert all("ms/seed-step" in ln and "x " in ln for ln in lines)
