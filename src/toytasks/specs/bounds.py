"""The bounds of every integer run option, written once.

Below both the task spec (which checks its ``[search]`` and ``[budget]`` tables against
them) and the run options (which resolve against the spec), so neither imports the other
for them.
"""

from __future__ import annotations

# Integer options: (lowest, highest) allowed. Keys are the words users write in TOML files
# (``steps``) and, with dashes, on the command line (``--batch-size``).
BOUNDS: dict[str, tuple[int, int]] = {
    "seeds": (1, 1000),
    "min_depth": (1, 256),
    "max_depth": (1, 256),
    "width": (1, 4096),
    "steps": (1, 10**7),
    "batch_size": (1, 65536),
    "workers": (1, 256),
    "train_size": (0, 10**7),
    "match_params": (1, 10**9),
    # evaluations without held-out improvement before a trial stops; 0: never stop early
    "patience": (0, 10**6),
    "pack": (1, 64),  # seeds per packed model (--pack K; toytasks.training.packed)
}
