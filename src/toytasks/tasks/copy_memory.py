"""copy-memory: recall a string of symbols after a long stretch of blanks.

As in Arjovsky et al. 2016 and Bai et al. 2018: ``n_symbols`` symbols from an alphabet of
``alphabet`` letters, ``lag_steps`` blanks, a delimiter, then ``n_symbols`` blanks during
which the model must output the symbols in order. Scored by accuracy on the recalled
symbols only (blanks are not scored); a memoryless model can do no better than
``1/alphabet``. Input channels are one-hot: 0 blank, 1..alphabet symbols, alphabet+1 delimiter.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks.base import Knob, Task


class CopyMemory(Task):
    name = "copy-memory"
    summary = "output the first n_symbols after lag_steps blanks (memory over long lags)"
    source = "Arjovsky et al. 2016 (uRNN), Bai et al. 2018 (TCN)"
    knobs = (
        Knob("n_symbols", int, 10, "symbols to memorise and recall", "symbols", 1, 100),
        Knob("lag_steps", int, 20, "blanks between the last symbol and the delimiter",
             "steps", 0, 5000),
        Knob("alphabet", int, 8, "number of distinct symbols", "symbols", 2, 64),
    )

    @property
    def seq_len(self) -> int:
        return 2 * self.n_symbols + self.lag_steps + 1

    @property
    def n_inputs(self) -> int:
        return self.alphabet + 2

    @property
    def n_outputs(self) -> int:
        return self.alphabet

    @property
    def output_steps(self) -> int:
        return self.n_symbols

    @property
    def span_samples(self) -> int:
        # Output i sits n_symbols + lag_steps + 1 steps after the symbol it recalls.
        return self.n_symbols + self.lag_steps + 2

    @property
    def baseline(self) -> float:
        return 1.0 / self.alphabet

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        symbols = rng.integers(0, self.alphabet, size=(n, self.n_symbols))
        tokens = np.zeros((n, self.seq_len), dtype=np.int64)
        tokens[:, : self.n_symbols] = symbols + 1
        tokens[:, self.n_symbols + self.lag_steps] = self.alphabet + 1
        x = np.eye(self.n_inputs, dtype=np.float32)[tokens]
        return x, symbols.astype(np.int64)
