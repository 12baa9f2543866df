"""temporal-order: classify the order of two relevant symbols hidden among distractors.

Hochreiter & Schmidhuber 1997 (LSTM paper, Exp. 6a). Symbols, one-hot over 8 channels:
distractors a, b, c, d (channels 0-3), B (end, 4), E (start, 5), and the relevant X, Y
(6, 7). A sequence starts with E and ends with B; every other step is a random distractor
except two: the first relevant symbol (X or Y) on one of steps 1..W and the second on one
of W steps in the middle of the rest (W = ``spread_steps``). The class is the pair in
order: XX, XY, YX, YY (4 classes, chance 1/4), read at the final step B.

H&S used variable lengths 100-110 with the relevant symbols on steps 10-20 and 50-60;
here the length is fixed, ``T = 1 + W + lag_steps``: ``lag_steps`` is how long the first
symbol must be held after its latest possible step. Honesty, by construction:

* the last ``blind_samples`` steps (after the second symbol's range) hold only
  distractors and B: a model that sees only them is at chance (1/4) exactly;
* a window that misses steps 1..W but sees the second symbol knows half the class:
  accuracy 1/2 at best, not chance. That cannot be avoided with two symbols; it keeps
  such a model below any threshold above 1/2;
* the whole class is visible from ``span_samples = T - 1`` trailing steps (step 1 on).
"""

from __future__ import annotations

import numpy as np

from toytasks.errors import ToytasksError
from toytasks.tasks.base import Knob, Task

DISTRACTORS, END, START, X = 4, 4, 5, 6  # Y = X + 1
N_SYMBOLS = 8


class TemporalOrder(Task):
    name = "temporal-order"
    summary = "order of two relevant symbols (X/Y) among distractors, 4 classes (memory)"
    source = "Hochreiter & Schmidhuber 1997 (Exp. 6a)"
    knobs = (
        Knob("lag_steps", int, 20,
             "steps from the first symbol's latest step to the final step", "steps", 2, 4096),
        Knob("spread_steps", int, 4,
             "steps each relevant symbol may fall on (H&S 1997: 11)", "steps", 1, 256),
    )

    def check(self) -> None:
        if self.lag_steps < self.spread_steps + 1:
            raise ToytasksError(
                f"knob 'lag_steps' = {self.lag_steps} is too short for spread_steps = "
                f"{self.spread_steps} (needs >= {self.spread_steps + 1})"
            )

    @property
    def seq_len(self) -> int:
        return 1 + self.spread_steps + self.lag_steps

    @property
    def n_inputs(self) -> int:
        return N_SYMBOLS

    @property
    def n_outputs(self) -> int:
        return 4

    @property
    def second_start(self) -> int:
        """First step of the second symbol's range: centred between the first range and B."""
        w = self.spread_steps
        return w + 1 + (self.lag_steps - 1 - w) // 2

    @property
    def span_samples(self) -> int:
        return self.seq_len - 1

    @property
    def blind_samples(self) -> int:
        return self.seq_len - self.second_start - self.spread_steps

    @property
    def first_missed_samples(self) -> int:
        """Largest trailing window that never sees the first symbol."""
        return self.seq_len - 1 - self.spread_steps

    @property
    def baseline(self) -> float:
        return 1.0 / self.n_outputs

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t_len, w = self.seq_len, self.spread_steps
        tokens = rng.integers(0, DISTRACTORS, size=(n, t_len))
        tokens[:, 0], tokens[:, -1] = START, END
        which = rng.integers(0, 2, size=(n, 2))  # 0: X, 1: Y; [first, second]
        rows = np.arange(n)
        tokens[rows, 1 + rng.integers(0, w, size=n)] = X + which[:, 0]
        tokens[rows, self.second_start + rng.integers(0, w, size=n)] = X + which[:, 1]
        x = np.eye(N_SYMBOLS, dtype=np.float32)[tokens]
        return x, (2 * which[:, 0] + which[:, 1]).astype(np.int64)[:, None]
