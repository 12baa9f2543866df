"""A task variant: do the first and the last of ``seq_len`` noisy +-1 samples agree?

The label is the XOR of two independent signs, so a model that misses the first sample
(any window of seq_len - 1 trailing samples) is at chance: the task's span is the whole
sequence, its blind window one sample shorter.
"""

from __future__ import annotations

import numpy as np

from toytasks.tasks import Knob, Task


class FirstLastSign(Task):
    name = "first-last-sign"
    summary = "do the first and the last sign agree? (span = seq_len)"
    knobs = (
        Knob("seq_len_samples", int, 16, "sequence length", "samples", 2, 4096),
        Knob("noise_std", float, 0.1, "Gaussian noise on every sample", "", 0.0, 1.0),
    )

    @property
    def seq_len(self) -> int:
        return self.seq_len_samples

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def span_samples(self) -> int:
        return self.seq_len_samples

    @property
    def baseline(self) -> float:
        return 0.5

    def sample(self, n, rng):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n, self.seq_len))
        x = signs + self.noise_std * rng.standard_normal((n, self.seq_len))
        y = (signs[:, 0] * signs[:, -1] > 0).astype(np.int64)[:, None]
        return x[:, :, None].astype(np.float32), y
