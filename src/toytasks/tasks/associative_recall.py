"""associative-recall: key-value pairs, then several queries (MQAR, Arora et al. 2023).

The multi-query associative recall task of Zoology: ``n_pairs`` pairs "key value" (keys
distinct, drawn from ``key_vocab``; values drawn with replacement from ``value_vocab``, a
separate vocabulary), then ``n_queries`` of those keys (distinct, in random order). At each
query the model outputs the value that followed that key. Which step holds the answer
depends on the query's content, not on its position, so the model must match the query
against every key it has seen: attention does this in one layer, while Arora et al. found
gated convolutions (H3, Hyena, RWKV) needing far more width or depth.

One deviation from Zoology, for this package's readout convention (targets at the last
steps): the queries are the last ``n_queries`` steps, contiguous, rather than scattered
over the rest of the sequence. Every output step is a query (nothing else is scored); a
model that ignores the input scores ``1/value_vocab``; one that sees the values but cannot
bind them to keys can only guess the most frequent value present (0.41 at the defaults,
about ``1/n_pairs`` when values rarely repeat).
Inputs are one-hot: channels 0..key_vocab-1 keys, then the values.
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task


class AssociativeRecall(Task):
    name = "associative-recall"
    summary = "key-value pairs, then queries: output each queried key's value (MQAR)"
    source = "Arora et al. 2023 (Zoology, MQAR), after Ba et al. 2016 (associative recall)"
    knobs = (
        Knob("n_pairs", int, 4, "key-value pairs to memorise", "pairs", 1, 256),
        Knob("n_queries", int, 4, "keys queried after the pairs (distinct, at most n_pairs)",
             "queries", 1, 256),
        Knob("key_vocab", int, 8, "distinct keys (at least n_pairs)", "tokens", 1, 1024),
        Knob("value_vocab", int, 8, "distinct values", "tokens", 2, 1024),
    )

    def check(self) -> None:
        if self.n_queries > self.n_pairs:
            raise ToytasksError(f"associative-recall: n_queries ({self.n_queries}) must not "
                                f"exceed n_pairs ({self.n_pairs})")
        if self.key_vocab < self.n_pairs:
            raise ToytasksError(f"associative-recall: key_vocab ({self.key_vocab}) must be at "
                                f"least n_pairs ({self.n_pairs}): keys are distinct")

    @property
    def seq_len(self) -> int:
        return 2 * self.n_pairs + self.n_queries

    @property
    def n_inputs(self) -> int:
        return self.key_vocab + self.value_vocab

    @property
    def n_outputs(self) -> int:
        return self.value_vocab

    @property
    def output_steps(self) -> int:
        return self.n_queries

    @property
    def span_samples(self) -> int:
        # The last query may ask for the first pair.
        return self.seq_len

    @property
    def blind_samples(self) -> int:
        # Ending at the first query: the query alone, no value.
        return 1

    @property
    def baseline(self) -> float:
        return 1.0 / self.value_vocab

    def probe_features(self, window: np.ndarray) -> np.ndarray:
        """The lookup a model must do, for the audit: the one-hot values that follow a key
        equal to the query (the window's last step), summed over the window."""
        tokens = window.argmax(-1)
        query = tokens[:, -1:]
        follows = tokens[:, 1:] >= self.key_vocab  # a value comes next: a key of a pair
        match = (tokens[:, :-1] == query) & follows
        values = np.clip(tokens[:, 1:] - self.key_vocab, 0, self.value_vocab - 1)
        return np.einsum("np,npv->nv", match.astype(float), np.eye(self.value_vocab)[values])

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        pairs, queries = self.n_pairs, self.n_queries
        keys = np.argsort(rng.random((n, self.key_vocab)), axis=1)[:, :pairs]
        values = rng.integers(0, self.value_vocab, size=(n, pairs))
        asked = np.argsort(rng.random((n, pairs)), axis=1)[:, :queries]  # which pairs
        tokens = np.empty((n, self.seq_len), dtype=np.int64)
        tokens[:, 0 : 2 * pairs : 2] = keys
        tokens[:, 1 : 2 * pairs : 2] = values + self.key_vocab
        tokens[:, 2 * pairs :] = np.take_along_axis(keys, asked, axis=1)
        x = np.eye(self.n_inputs, dtype=np.float32)[tokens]
        return x, np.take_along_axis(values, asked, axis=1).astype(np.int64)
