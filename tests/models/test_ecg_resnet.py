"""ecg-resnet: the downsampling residual CNN keeps the model contract (causal, last step sees
the last sample, receptive field exactly as the formula says)."""

from __future__ import annotations

import pytest
import torch

from toytasks.models import ARCHITECTURES, build_model
from toytasks.models.ecg_resnet import KERNEL, EcgResNet


def lags_seen(model, seq_len: int, trials: int = 3) -> torch.Tensor:
    """Lags (0 = last step) at which the last output has a non-zero input gradient."""
    seen = torch.zeros(seq_len, dtype=torch.bool)
    for seed in range(trials):
        torch.manual_seed(seed)
        x = torch.randn(4, seq_len, model.n_inputs, requires_grad=True)
        model(x).sum().backward()
        seen |= x.grad.abs().sum(dim=(0, 2)).flip(0) > 0
    return seen


@pytest.mark.parametrize("depth", [1, 3, 4, 5, 8, 9])
@pytest.mark.parametrize("seq_len", [300, 301])
def test_receptive_field_formula_matches_input_gradients(depth, seq_len):
    torch.manual_seed(0)
    model = build_model("ecg-resnet", 2, 2, depth=depth, width=8)
    rf = model.receptive_field(depth)
    lags = lags_seen(model, seq_len)
    assert lags[:rf].all(), "every lag inside the receptive field must matter"
    assert not lags[rf:].any(), "no lag outside the receptive field may matter"


def test_receptive_field_formula_values():
    # Layers 1-3 at the input rate, layer 4 strided, 5-7 at half rate, ...: 15 per layer x stride
    rf = [EcgResNet.receptive_field(d) for d in (1, 2, 3, 4, 5, 8, 12, 16)]
    assert KERNEL == 16
    assert rf == [16, 31, 46, 61, 91, 181, 421, 901]
    assert ARCHITECTURES["ecg-resnet"] is EcgResNet


@pytest.mark.parametrize("seq_len", [37, 64, 65])
def test_last_output_sees_the_last_sample_and_is_causal_at_every_step(seq_len):
    torch.manual_seed(0)
    model = build_model("ecg-resnet", 1, 2, depth=9, width=8).eval()  # total stride 4
    x = torch.randn(3, seq_len, 1)
    with torch.no_grad():
        base = model.features(x)
        for t in (0, seq_len // 2, seq_len - 1):
            y = x.clone()
            y[:, t:] = torch.randn(3, seq_len - t, 1)
            changed = model.features(y)
            assert torch.equal(base[:, :t], changed[:, :t]), f"step < {t} saw input {t}"
        y = x.clone()
        y[:, -1] += 1.0
        assert not torch.allclose(model(x), model(y)), "the readout must see the last sample"


def test_output_steps_are_served_at_the_input_rate():
    torch.manual_seed(0)
    model = build_model("ecg-resnet", 2, 3, depth=8, width=8, output_steps=5)
    assert model.features(torch.randn(2, 50, 2)).shape == (2, 50, 8)
    assert model(torch.randn(2, 50, 2)).shape == (2, 5, 3)


def test_downsampling_makes_deep_layers_cheaper():
    m4 = build_model("ecg-resnet", 1, 2, depth=4, width=16)
    m8 = build_model("ecg-resnet", 1, 2, depth=8, width=16)
    # layers 5-8 run at half the rate (layer 8 at a quarter): less than the first four
    assert m8.body_flops(1000) < 2 * m4.body_flops(1000)
