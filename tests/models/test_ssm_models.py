"""State-space models and linear attention: kernels, FLOPs, and the one property per pair.

Shape, causality and layer groups are covered for every architecture in test_models.py and
test_ablations.py; here: what is specific to `s4d`, `s6`, `mamba` and `linear-attention`.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from toytasks.models import ARCHITECTURES, build_model
from toytasks.models.linear_attention import linear_attention, softmax_attention
from toytasks.models.transformer import sinusoidal_positions

NEW = ["s4d", "s6", "mamba", "linear-attention"]


def seeded(arch, seed=0, **kwargs):
    torch.manual_seed(seed)
    args = {"n_inputs": 3, "n_outputs": 5, "depth": 2, "width": 16, **kwargs}
    return build_model(arch, **args)


@pytest.mark.parametrize("arch", NEW)
def test_receptive_field_is_unbounded_and_reaches_far_back(arch):
    assert ARCHITECTURES[arch].receptive_field(4) is None
    model = seeded(arch, n_inputs=2, n_outputs=2)
    x = torch.randn(2, 300, 2, requires_grad=True)
    model(x).sum().backward()
    assert (x.grad[:, 0].abs() > 0).all()  # the very first step reaches the last output


@pytest.mark.parametrize("arch", NEW)
def test_same_seed_same_model_same_training_step(arch):
    outs = []
    for _ in range(2):
        model = seeded(arch)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.randn(4, 30, 3, generator=torch.Generator().manual_seed(1))
        model(x).square().mean().backward()
        opt.step()
        outs.append(model(x).detach())
    assert torch.equal(outs[0], outs[1])


def counted_flops_per_sequence(model, seq_len):
    """FlopCounterMode's count for one more sequence in the batch (per-batch work cancels)."""
    totals = []
    for batch in (1, 2):
        with FlopCounterMode(display=False) as counter:
            model(torch.randn(batch, seq_len, model.n_inputs))
        totals.append(counter.get_total_flops())
    return totals[1] - totals[0]


@pytest.mark.parametrize("arch", NEW)
@pytest.mark.parametrize("seq_len", [17, 64])
def test_dense_flops_match_torch_flop_counter(arch, seq_len):
    """The counter sees matmuls and einsums only: they must equal the 'dense' term exactly.
    The other terms (FFT, scan, running sums) are elementwise work it does not count."""
    model = seeded(arch, output_steps=4)
    head = 2.0 * model.width * model.n_outputs * model.output_steps
    terms = model.flop_terms(seq_len)
    assert counted_flops_per_sequence(model, seq_len) == terms["dense"] + head
    assert model.forward_flops(seq_len) == sum(terms.values()) + head
    assert all(v > 0 for v in terms.values()) and len(terms) >= 2


def test_s4d_fft_convolution_equals_the_zero_order_hold_recurrence():
    mixer = seeded("s4d").mixers[0]
    dt = mixer.log_dt.exp()[:, None]
    A = torch.complex(-mixer.log_A_real.exp(), mixer.A_imag)
    a_bar, b_bar = torch.exp(A * dt), (torch.exp(A * dt) - 1) / A
    C = torch.view_as_complex(mixer.C)
    u = torch.randn(1, 120, 16)
    state, ys = torch.zeros_like(A), []
    for t in range(u.shape[1]):
        state = a_bar * state + b_bar * u[0, t, :, None]
        ys.append(2 * (C * state).sum(-1).real + mixer.D * u[0, t])
    with torch.no_grad():
        assert torch.allclose(torch.stack(ys), mixer(u)[0], atol=1e-4)


def test_s4d_init_is_s4d_lin():
    mixer = seeded("s4d").mixers[0]
    assert torch.allclose(mixer.log_A_real.exp(), torch.full_like(mixer.log_A_real, 0.5))
    assert torch.allclose(mixer.A_imag[3], torch.pi * torch.arange(32.0))
    dt = mixer.log_dt.exp()
    assert dt.min() >= 1e-3 and dt.max() <= 1e-1


def superposition_gap(mixer, seq_len=40, channels=16):
    u1, u2 = torch.randn(2, seq_len, channels), torch.randn(2, seq_len, channels)
    with torch.no_grad():
        return (mixer(u1 + u2) - mixer(u1) - mixer(u2)).abs().max().item()


class ConstantProjection(torch.nn.Module):
    """Stands in for s6's x_proj: dt, B and C no longer depend on the token."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, u):
        return self.value.expand(*u.shape[:-1], -1)


def test_the_pair_s4d_s6_differs_in_selection_only():
    s4d, s6 = seeded("s4d"), seeded("s6")
    # Everything but the mixers is the same module with the same parameters.
    for name, p in s4d.named_parameters():
        if not name.startswith("mixers."):
            assert torch.equal(p, dict(s6.named_parameters())[name]), name
    assert ARCHITECTURES["s6"].isolates[0] == "s4d"
    # s4d's mixer is linear in its input (time-invariant kernel); s6's is not ...
    assert superposition_gap(s4d.mixers[0]) < 1e-4
    mixer = s6.mixers[0]
    assert superposition_gap(mixer) > 1e-2
    # ... until dt, B and C stop depending on the input: then it is linear too.
    mixer.x_proj = ConstantProjection(torch.randn(mixer.rank + 2 * mixer.state_size))
    assert superposition_gap(mixer) < 1e-4


@pytest.mark.parametrize(("arch", "channels"), [("s6", 16), ("mamba", 32)])
def test_s6_init_follows_the_paper(arch, channels):
    mixer = seeded(arch).mixers[0]
    ssm = mixer.ssm if arch == "mamba" else mixer
    assert torch.allclose(ssm.A_log.exp()[0], torch.arange(1.0, 17.0))
    dt = torch.nn.functional.softplus(ssm.dt_proj.bias)
    assert dt.min() >= 1e-3 * 0.999 and dt.max() <= 1e-1 * 1.001
    # dt rank ceil(width / 16) of the block's width, on all (expanded) channels
    assert ssm.rank == 1 and torch.equal(ssm.D, torch.ones(channels))


def test_linear_attention_running_sums_equal_the_masked_quadratic_form():
    q, k, v = (torch.randn(2, 3, 25, 4) for _ in range(3))
    fq, fk = torch.nn.functional.elu(q) + 1, torch.nn.functional.elu(k) + 1
    weights = (fq @ fk.transpose(-1, -2)).tril()
    expected = (weights @ v) / weights.sum(-1, keepdim=True)
    assert torch.allclose(linear_attention(q, k, v), expected, atol=1e-5)


def running_sums_attention(q, k, v):
    """linear-attention as arch version 1 computed it: a (d x d) running sum per step."""
    q, k = torch.nn.functional.elu(q) + 1.0, torch.nn.functional.elu(k) + 1.0
    state = torch.cumsum(k[..., :, None] * v[..., None, :], dim=2)
    numerator = torch.einsum("bhtd,bhtde->bhte", q, state)
    return numerator / (q * torch.cumsum(k, dim=2)).sum(-1, keepdim=True)


@pytest.mark.parametrize("seq_len", [1, 63, 64, 65, 200])
def test_chunked_linear_attention_equals_the_running_sums(seq_len):
    q, k, v = (torch.randn(2, 3, seq_len, 8, requires_grad=True) for _ in range(3))
    expected, got = running_sums_attention(q, k, v), linear_attention(q, k, v)
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(expected)
    for a, b in zip(torch.autograd.grad(expected, (q, k, v), grad),
                    torch.autograd.grad(got, (q, k, v), grad), strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_the_pair_transformer_linear_attention_differs_in_the_kernel_only():
    transformer, linear = seeded("transformer"), seeded("linear-attention")
    for a, b in zip(transformer.parameters(), linear.parameters(), strict=True):
        assert torch.equal(a, b)
    x = torch.randn(4, 20, 3)
    transformer.eval()
    with torch.no_grad():
        reference = transformer.features(x)
        assert (linear.features(x) - reference).abs().max() > 1e-2
        linear.kernel = staticmethod(softmax_attention)  # swap the kernel back
        assert torch.allclose(linear.features(x), reference, atol=1e-5)


def autograd_fft_convolution(u, kernel):
    """s4d's convolution as arch version 1 computed it: autograd through rfft/irfft."""
    n = 2 * u.shape[-1]
    y = torch.fft.irfft(torch.fft.rfft(u, n=n) * torch.fft.rfft(kernel, n=n), n=n)
    return y[..., : u.shape[-1]]


@pytest.mark.parametrize("seq_len", [1, 7, 100])
def test_s4d_hand_written_convolution_backward_equals_autograds(seq_len):
    from toytasks.models.s4d import CausalConvolution

    u = torch.randn(3, 5, seq_len, requires_grad=True)
    kernel = torch.randn(5, seq_len, requires_grad=True)
    expected, got = autograd_fft_convolution(u, kernel), CausalConvolution.apply(u, kernel)
    assert torch.allclose(got, expected, atol=1e-5)
    grad = torch.randn_like(expected)
    for a, b in zip(torch.autograd.grad(expected, (u, kernel), grad),
                    torch.autograd.grad(got, (u, kernel), grad), strict=True):
        assert torch.allclose(a, b, atol=1e-4)


def test_transformer_equals_pytorchs_encoder_with_a_causal_mask():
    """Arch version 1 ran nn.TransformerEncoder with a (T x T) mask; version 2 writes the
    same layers out and attends with is_causal alone."""
    model = seeded("transformer")
    x = torch.randn(4, 30, 3)

    def encoder_path():
        h = model.embed(x) + sinusoidal_positions(30, model.width)
        mask = torch.nn.Transformer.generate_square_subsequent_mask(30)
        return model.norm(model.encoder(h, mask=mask, is_causal=True))

    params = [p for name, p in model.named_parameters() if not name.startswith("head.")]
    expected, got = encoder_path(), model.features(x)
    assert torch.allclose(got, expected, atol=1e-6)
    for a, b in zip(torch.autograd.grad(expected.square().sum(), params),
                    torch.autograd.grad(got.square().sum(), params), strict=True):
        assert torch.allclose(a, b, atol=1e-5)
