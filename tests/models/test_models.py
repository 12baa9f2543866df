"""Architectures: one interface, causality, receptive fields checked empirically, init."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, build_model, get_architecture


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_interface_shape_and_param_count(arch):
    torch.manual_seed(0)
    model = build_model(arch, n_inputs=3, n_outputs=5, depth=2, width=16, output_steps=4)
    out = model(torch.randn(7, 20, 3))
    assert out.shape == (7, 4, 5)
    assert model.param_count() == sum(p.numel() for p in model.parameters()) > 0
    assert model.forward_flops(20) > model.forward_flops(10) > 0


# Models whose forward pass includes work the counter cannot see (FFT, elementwise scans,
# running sums) and work done once per batch (s4d's kernel): their formula is split into
# terms and tests/models/test_ssm_models.py::test_dense_flops_match_torch_flop_counter checks
# the counted part exactly, per sequence (batch 2 minus batch 1, so per-batch work cancels).
# Measured here at width 16, depth 2, T = 20 and 64 (formula / whole count of one batch-1
# pass): s4d 0.74-0.82 (the kernel's per-batch work), s6 2.5, mamba 2.2 and linear-attention
# 1.06 (uncounted scan and chunk terms).
COUNTED_BY_TERMS = {arch for arch, cls in ARCHITECTURES.items() if hasattr(cls, "flop_terms")}


@pytest.mark.filterwarnings("ignore:TF32 acceleration")
@pytest.mark.parametrize("arch", [
    arch for arch in ARCHITECTURES if arch not in COUNTED_BY_TERMS])
@pytest.mark.parametrize(("depth", "seq_len", "output_steps"), [(1, 20, 1), (3, 12, 4)])
def test_forward_flops_equal_what_torchs_flop_counter_sees(arch, depth, seq_len,
                                                           output_steps):
    """``forward_flops`` (what tables and cost estimates report) is torch's own count of
    one sequence's forward pass, exactly. FlopCounterMode does not see oneDNN's fused RNN
    kernels nor the fused attention kernel, so those run as their composite versions
    (mm/addmm/bmm, the same maths) while counting."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    model = build_model(arch, n_inputs=3, n_outputs=5, depth=depth, width=16,
                        output_steps=output_steps).train()
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), \
            FlopCounterMode(display=False) as counter:
        model(torch.randn(1, seq_len, 3))
    assert model.forward_flops(seq_len) == counter.get_total_flops() > 0


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_models_are_causal(arch):
    """Changing inputs after step t never changes the features at step t."""
    torch.manual_seed(0)
    model = build_model(arch, 2, 2, depth=3, width=16).eval()
    x = torch.randn(4, 24, 2)
    y = x.clone()
    y[:, 15:] = torch.randn(4, 9, 2)
    with torch.no_grad():
        assert torch.allclose(model.features(x)[:, :15], model.features(y)[:, :15], atol=1e-6)


def input_gradient_lags(model, seq_len=80, trials=4):
    """Lags (0 = last step) at which the last output has a non-zero input gradient."""
    seen = torch.zeros(seq_len, dtype=torch.bool)
    for seed in range(trials):
        torch.manual_seed(seed)
        x = torch.randn(8, seq_len, model.n_inputs, requires_grad=True)
        model(x).sum().backward()
        seen |= x.grad.abs().sum(dim=(0, 2)).flip(0) > 0
    return seen


@pytest.mark.parametrize("arch", ["cnn", "tcn", "gated-cnn", "res-cnn"])
@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_receptive_field_formula_matches_input_gradients(arch, depth):
    torch.manual_seed(0)
    model = build_model(arch, 2, 2, depth=depth, width=16)
    rf = model.receptive_field(depth)
    lags = input_gradient_lags(model)
    assert lags[:rf].all(), "every lag inside the receptive field must matter"
    assert not lags[rf:].any(), "no lag outside the receptive field may matter"


def test_receptive_field_formulas():
    cnn, tcn = ARCHITECTURES["cnn"], ARCHITECTURES["tcn"]
    assert [cnn.receptive_field(d) for d in (1, 2, 10)] == [3, 5, 21]
    assert [tcn.receptive_field(d) for d in (1, 2, 3, 4)] == [3, 7, 15, 31]
    assert ARCHITECTURES["lstm"].receptive_field(3) is None


@pytest.mark.parametrize(("arch", "chunk"), [("lstm", 1), ("gru", 1), ("res-lstm", 1)])
def test_memory_gate_bias_is_initialised(arch, chunk):
    model = build_model(arch, 2, 2, depth=2, width=8, knobs={"gate_bias": 2.5})
    for layer in range(2):
        rnn, suffix = (model.layers[layer], 0) if arch == "res-lstm" else (model.rnn, layer)
        bias = getattr(rnn, f"bias_ih_l{suffix}").detach()
        assert torch.all(bias[chunk * 8 : (chunk + 1) * 8] == 2.5)
        assert not torch.all(bias[:8] == 2.5)
        assert torch.all(getattr(rnn, f"bias_hh_l{suffix}")[chunk * 8 : (chunk + 1) * 8] == 0)


@pytest.mark.parametrize("arch", ["lstm", "gru", "res-lstm"])
def test_torch_init_keeps_pytorchs_default_biases(arch):
    """torch_init=true: the memory-gate biases stay PyTorch's uniform draws in ±1/sqrt(width)
    (not a constant, and gate_bias is not used); the rest of the model is built from the same
    random stream, so only the biases the gate init writes differ from the shipped init."""
    torch.manual_seed(0)
    torch_init = build_model(arch, 2, 2, depth=2, width=8,
                             knobs={"torch_init": True, "gate_bias": 2.5})
    torch.manual_seed(0)
    shipped = build_model(arch, 2, 2, depth=2, width=8, knobs={"gate_bias": 2.5})
    bound = 1 / 8 ** 0.5
    for layer in range(2):
        rnn, suffix = (torch_init.layers[layer], 0) if arch == "res-lstm" \
            else (torch_init.rnn, layer)
        for kind in ("ih", "hh"):
            gate = getattr(rnn, f"bias_{kind}_l{suffix}").detach()[8:16]
            assert gate.abs().max() <= bound and gate.std() > 0
    changed = [name for (name, a), (_, b) in zip(torch_init.named_parameters(),
                                                 shipped.named_parameters(), strict=True)
               if not torch.equal(a, b)]
    assert changed and all("bias" in name for name in changed)


def test_torch_init_is_a_variant_with_its_own_identity():
    from toytasks.running.trials import trial_factory
    from toytasks.specs.options import default_options
    from toytasks.specs.spec import load_spec

    spec = load_spec("cycle-pattern")
    keys = {arch: trial_factory(spec, arch, replace(default_options(spec), archs=(arch,)))(
        1, 0, 3e-3).key for arch in ("lstm", "lstm@torch_init=true", "lstm@torch_init=false")}
    assert keys["lstm@torch_init=true"] != keys["lstm"]
    assert keys["lstm@torch_init=false"] == keys["lstm"]  # the default: no identity change


def test_unknown_architecture_names_the_valid_ones():
    with pytest.raises(ToytasksError, match="valid: cnn, tcn"):
        get_architecture("resnet")


def test_every_model_counted_by_terms_has_its_counted_part_checked():
    """A model left out of the whole-count test above must be in the per-term test."""
    from tests.models.test_ssm_models import NEW

    assert COUNTED_BY_TERMS and set(NEW) >= COUNTED_BY_TERMS
