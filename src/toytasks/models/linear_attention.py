"""`linear-attention`: the `transformer` with softmax replaced by a positive feature map.

Katharopoulos et al. 2020 ("Transformers are RNNs"): attention weights exp(q.k/sqrt(d))
normalised by their sum become phi(q).phi(k) normalised by their sum, phi(x) = elu(x) + 1.
The causal output at step t is then

    out_t = phi(q_t) S_t / (phi(q_t) . z_t),  S_t = sum_{s<=t} phi(k_s) v_s^T,  z_t = sum phi(k_s)

a running sum: a recurrent model with a (d x d) matrix state per head, O(L) in time.

Everything else is the `transformer`'s: this class builds the very same modules (same
parameters at the same seed) and runs the same pre-norm block by hand; only the attention
kernel differs. Running this forward with the softmax kernel reproduces the `transformer`
exactly (tested), so the pair isolates softmax normalisation: a softmax can put (almost)
all weight on one matching key, a sum of positive feature products cannot sharpen like that
at a fixed feature size, which is what associative recall probes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from toytasks.models.transformer import CausalTransformer, sinusoidal_positions


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal elu+1 attention; (batch, heads, time, d) each, computed as running sums."""
    q, k = F.elu(q) + 1.0, F.elu(k) + 1.0
    state = torch.cumsum(k[..., :, None] * v[..., None, :], dim=2)  # (b, h, t, d, d)
    numerator = torch.einsum("bhtd,bhtde->bhte", q, state)
    denominator = (q * torch.cumsum(k, dim=2)).sum(-1, keepdim=True)
    return numerator / denominator


def softmax_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The `transformer`'s kernel, for the pair test: causal scaled dot-product attention."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class LinearAttention(CausalTransformer):
    arch = "linear-attention"
    summary = ("transformer with causal linear attention, phi = elu+1 (Katharopoulos et al. "
               "2020), 4 heads")
    isolates = ("transformer", "softmax normalisation (exp kernel -> elu+1 feature map)")
    kernel = staticmethod(linear_attention)

    def attend(self, layer: nn.TransformerEncoderLayer, x: torch.Tensor) -> torch.Tensor:
        attn = layer.self_attn
        batch, seq_len, _ = x.shape
        qkv = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)
        q, k, v = (t.view(batch, seq_len, self.heads, -1).transpose(1, 2)
                   for t in qkv.chunk(3, dim=-1))
        out = self.kernel(q, k, v).transpose(1, 2).reshape(batch, seq_len, self.width)
        return attn.out_proj(out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + sinusoidal_positions(x.shape[1], self.width).to(x.device)
        for layer in self.encoder.layers:
            h = h + self.attend(layer, layer.norm1(h))
            h = h + layer.linear2(layer.activation(layer.linear1(layer.norm2(h))))
        return self.norm(h)

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Forward FLOPs by kind. 'dense' (contractions, what a matmul counter sees):
        embedding, projections, feed-forward and the readout q S (2 d^2 per head and step,
        d = width/heads). 'attention': the outer products k v^T, their running sums, the
        normaliser and the feature maps (~4 d^2 + 6 d per head and step)."""
        w, d = self.width, self.width // self.heads
        per_layer = 4 * w * w + 4 * w * w + self.heads * d * d
        dense = 2.0 * seq_len * (self.n_inputs * w + self.depth * per_layer)
        attention = self.depth * seq_len * self.heads * (4.0 * d * d + 6.0 * d)
        return {"dense": dense, "attention": attention}

    def body_flops(self, seq_len: int) -> float:
        return sum(self.flop_terms(seq_len).values())
