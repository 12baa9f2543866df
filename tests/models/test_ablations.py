"""Ablation pairs: each differs from its base in the one property it declares, nothing else."""

from __future__ import annotations

import pytest
import torch

from toytasks.models import ARCHITECTURES, build_model

PAIRS = {"gated-cnn": "cnn", "res-cnn": "cnn", "res-lstm": "lstm", "tcn": "cnn", "s6": "s4d",
         "mamba": "s6", "linear-attention": "transformer", "ecg-resnet-hannun": "ecg-resnet"}


@pytest.mark.parametrize(("arch", "base"), sorted(PAIRS.items()))
def test_ablation_declares_its_base_and_property(arch, base):
    cls = ARCHITECTURES[arch]
    assert cls.isolates is not None and cls.isolates[0] == base and cls.isolates[1]
    assert cls.family == ARCHITECTURES[base].family


def measured_span(arch: str, depth: int, seq_len: int = 80) -> int:
    """How many input steps the last output depends on, measured from input gradients of a
    built model (not read from the class's formula, which an ablation may inherit), as it is
    measured: in eval mode (batch norm's running statistics, not the batch's)."""
    torch.manual_seed(0)
    model = build_model(arch, 2, 2, depth=depth, width=8).eval()
    seen = torch.zeros(seq_len, dtype=torch.bool)
    for seed in range(3):
        torch.manual_seed(seed)
        x = torch.randn(4, seq_len, 2, requires_grad=True)
        model(x).sum().backward()
        seen |= x.grad.abs().sum(dim=(0, 2)).flip(0) > 0
    return int(seen.nonzero().max()) + 1


@pytest.mark.parametrize(("arch", "base"), sorted((a, b) for a, b in PAIRS.items()
                                                  if ARCHITECTURES[a].receptive_field(1)))
@pytest.mark.parametrize("depth", [1, 4])
def test_conv_ablations_keep_the_base_receptive_field_unless_they_isolate_it(arch, base,
                                                                             depth):
    """The built models' spans: equal to the base's unless the ablation's declared property
    is the receptive field itself (tcn: dilation), where it must then differ."""
    ours, theirs = measured_span(arch, depth), measured_span(base, depth)
    if "receptive field" in ARCHITECTURES[arch].isolates[1]:
        assert ours > theirs or (depth == 1 and ours == theirs)
    else:
        assert ours == theirs
    assert ours == ARCHITECTURES[arch].receptive_field(depth)


@pytest.mark.parametrize(("arch", "base"), [("res-cnn", "cnn"), ("res-lstm", "lstm")])
def test_residual_stacks_have_their_base_parameters_at_the_same_seed(arch, base):
    """Same layers, same init: the shortcuts are the only difference."""
    models = []
    for name in (arch, base):
        torch.manual_seed(3)
        models.append(build_model(name, 2, 3, depth=3, width=8))
    res, plain = ([p for _, group in m.layer_groups() for p in group] for m in models)
    assert len(res) == len(plain)
    assert all(torch.equal(a, b) for a, b in zip(res, plain, strict=True))


@pytest.mark.parametrize(("arch", "base"), [("res-cnn", "cnn"), ("res-lstm", "lstm")])
def test_residual_stack_of_depth_one_is_its_base(arch, base):
    x = torch.randn(4, 12, 2)
    outs = []
    for name in (arch, base):
        torch.manual_seed(5)
        outs.append(build_model(name, 2, 3, depth=1, width=8)(x))
    assert torch.equal(outs[0], outs[1])


@pytest.mark.parametrize(("arch", "base"), [("res-cnn", "cnn"), ("res-lstm", "lstm")])
def test_residual_stacks_compute_something_else_when_deeper(arch, base):
    x = torch.randn(4, 12, 2)
    outs = []
    for name in (arch, base):
        torch.manual_seed(5)
        outs.append(build_model(name, 2, 3, depth=3, width=8)(x))
    assert not torch.allclose(outs[0], outs[1])


def test_gated_cnn_gates_multiplicatively():
    """Scaling the input by c does not scale a gated layer's output by c (ReLU stacks of zero
    bias are positively homogeneous: f(cx) = c f(x) exactly)."""
    torch.manual_seed(0)
    x = torch.rand(3, 10, 2) + 0.1
    plain = build_model("cnn", 2, 2, depth=2, width=8).eval()
    gated = build_model("gated-cnn", 2, 2, depth=2, width=8).eval()
    with torch.no_grad():
        assert torch.allclose(plain.features(3 * x), 3 * plain.features(x), atol=1e-5)
        assert not torch.allclose(gated.features(3 * x), 3 * gated.features(x), atol=1e-3)


@pytest.mark.parametrize("arch", ["gated-cnn", "res-cnn"])
def test_conv_ablations_keep_activations_bounded_with_depth(arch):
    """Init is part of the architecture: a 48-layer stack must neither vanish nor explode
    relative to its 2-layer version. Measured RMS ratio depth 48 / depth 2 at width 32:
    gated-cnn 0.17, res-cnn 1.0 (and the base cnn 0.11; with cnn's He init on both halves a
    gated stack falls to 1e-4 of its 2-layer size by depth 24)."""
    torch.manual_seed(0)
    x = torch.randn(16, 60, 1)
    rms = []
    for depth in (2, 48):
        torch.manual_seed(0)
        with torch.no_grad():
            rms.append(build_model(arch, 1, 2, depth=depth, width=32).features(x).pow(2)
                       .mean().sqrt().item())
    assert 0.1 < rms[1] / rms[0] < 10, rms


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_layer_groups_cover_every_parameter_once(arch):
    model = build_model(arch, 2, 3, depth=3, width=8)
    grouped = [id(p) for _, group in model.layer_groups() for p in group]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())
    names = [name for name, _ in model.layer_groups()]
    assert names[-1] == "head" and len(names) == len(set(names))
    if arch not in ("transformer", "linear-attention"):  # embed + blocks + head
        assert len(names) == 3 + 1  # one group per stacked layer, then the readout
