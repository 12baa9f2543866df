"""`linear-attention`: the `transformer` with softmax replaced by a positive feature map.

Katharopoulos et al. 2020 ("Transformers are RNNs"): attention weights exp(q.k/sqrt(d))
normalised by their sum become phi(q).phi(k) normalised by their sum, phi(x) = elu(x) + 1.
The causal output at step t is then

    out_t = phi(q_t) S_t / (phi(q_t) . z_t),  S_t = sum_{s<=t} phi(k_s) v_s^T,  z_t = sum phi(k_s)

a running sum: a recurrent model with a (d x d) matrix state per head, O(L) in time. It
is computed in chunks of at most ``CHUNK`` steps (``linear_attention``), not step by step.

Everything else is the `transformer`'s: this class builds the very same modules (same
parameters at the same seed) and runs the same hand-written pre-norm block; only the
attention kernel differs. Running this forward with the softmax kernel reproduces the `transformer`
exactly (tested), so the pair isolates softmax normalisation: a softmax can put (almost)
all weight on one matching key, a sum of positive feature products cannot sharpen like that
at a fixed feature size, which is what associative recall probes.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from toytasks.models.transformer import CausalTransformer, softmax_attention

# Steps per chunk at most. With d = 8 (width 32, 4 heads) the within-chunk products
# (2 c d per step) and the chunk states (2 d^2) balance near c = 16; measured at T = 1,000
# per training step: c = 8 0.30 s, 16 0.25 s, 32 0.28 s, 64 0.35 s.
CHUNK = 16


def chunking(seq_len: int) -> tuple[int, int]:
    """(chunks, steps per chunk): at most ``CHUNK`` steps each, as even as possible."""
    chunks = -(-seq_len // CHUNK)
    return chunks, -(-seq_len // chunks)


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal elu+1 attention; (batch, heads, time, d) each, in chunks of <= CHUNK steps.

    Within a chunk the quadratic form (phi(q) phi(k)^T, masked to s <= t, times v); across
    chunks the running sums S and z of everything before the chunk, one (d x d) matrix per
    chunk from an exclusive cumulative sum. The same sums as the step-by-step running
    sums, added in another order (arch version 2; equal up to float32 rounding, tested),
    without a (time, d, d) state per step: O(T (c + d) d) work in matmuls."""
    batch, heads, seq_len, dim = q.shape
    chunks, length = chunking(seq_len)
    pad = chunks * length - seq_len
    # Padded steps come after every real one (so a causal output never sees them) and
    # have phi(0) = 1 > 0 as query and key, so their own normaliser is never 0.
    q, k, v = (F.pad(t, (0, 0, 0, pad)).view(batch, heads, chunks, length, dim)
               for t in (q, k, v))
    q, k = F.elu(q) + 1.0, F.elu(k) + 1.0
    mask = torch.ones(length, length, dtype=torch.bool, device=q.device).tril()
    scores = (q @ k.transpose(-1, -2)).masked_fill(~mask, 0.0)    # (b, h, K, c, c)
    states = k.transpose(-1, -2) @ v                                # (b, h, K, d, d)
    before = torch.cumsum(states, dim=2) - states                   # sum over earlier chunks
    key_sums = k.sum(-2, keepdim=True)                              # (b, h, K, 1, d)
    key_before = torch.cumsum(key_sums, dim=2) - key_sums
    numerator = scores @ v + q @ before
    denominator = scores.sum(-1, keepdim=True) + (q * key_before).sum(-1, keepdim=True)
    out = numerator / denominator
    return out.view(batch, heads, chunks * length, dim)[:, :, :seq_len]


class LinearAttention(CausalTransformer):
    arch = "linear-attention"
    summary = ("transformer with causal linear attention, phi = elu+1 (Katharopoulos et al. "
               "2020), 4 heads")
    isolates = ("transformer", "softmax normalisation (exp kernel -> elu+1 feature map)")
    version = 2  # chunked form of the running sums (CHANGELOG.md)
    kernel = staticmethod(linear_attention)

    def flop_terms(self, seq_len: int) -> dict[str, float]:
        """Forward FLOPs by kind. 'dense' (contractions, what a matmul counter sees):
        embedding, projections and feed-forward per step; per head and (padded) step of
        the chunked form, with c steps per chunk and d = width/heads: q k^T and its product
        with v within the chunk (2 c d each), the chunk's k^T v and the readout q S
        (2 d^2 each). 'attention': the feature maps, masks, cumulative sums and the
        normaliser (~2 d^2 + c + 8 d per head and step)."""
        w, d = self.width, self.width // self.heads
        chunks, length = chunking(seq_len)
        padded = chunks * length
        dense = 2.0 * seq_len * (self.n_inputs * w + self.depth * 8 * w * w)
        dense += self.depth * self.heads * padded * (4.0 * length * d + 4.0 * d * d)
        attention = self.depth * padded * self.heads * (2.0 * d * d + length + 8.0 * d)
        return {"dense": dense, "attention": attention}

    def body_flops(self, seq_len: int) -> float:
        return sum(self.flop_terms(seq_len).values())


__all__ = ["LinearAttention", "linear_attention", "softmax_attention"]
