"""How much does an untrained s4d / mamba layer's last output depend on the distant past?

For cycle-pattern inputs (default spec), redraw the first 20 steps (the part a model must
remember) and report the relative change of the mixer's output at the last step, and of
its SSM part alone (output minus the skip D*u). Seeded; run from the repository root:

    python scripts/memory_at_init.py
"""

import numpy as np
import torch

from toytasks.models import build_model
from toytasks.specs.spec import load_spec

task = load_spec("cycle-pattern").make_generator()
x, _ = task.sample(256, np.random.default_rng(0))
x = torch.from_numpy(x)
redrawn = x.clone()
redrawn[:, :20] = torch.from_numpy(task.sample(256, np.random.default_rng(1))[0])[:, :20]
for arch in ("s4d", "mamba"):
    changes, ssm_changes = [], []
    for seed in range(5):
        torch.manual_seed(seed)
        model = build_model(arch, task.n_inputs, task.n_outputs, 1, 32)
        mixer, norm, encoder = model.mixers[0], model.norms[0], model.encoder
        with torch.no_grad():
            u, v = norm(encoder(x)), norm(encoder(redrawn))
            a, b = mixer(u)[:, -1], mixer(v)[:, -1]
            sa, sb = a - (u * mixer.D)[:, -1], b - (v * mixer.D)[:, -1]
        changes.append(((a - b).norm() / a.norm()).item())
        ssm_changes.append(((sa - sb).norm() / sa.norm()).item())
    print(f"{arch:6s} relative change of the last output: mixer {np.mean(changes):.4f}, "
          f"SSM part {np.mean(ssm_changes):.4f} (mean of 5 inits)")
