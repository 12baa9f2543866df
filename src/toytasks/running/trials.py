"""Trials of a job: the factory that turns (depth, seed, lr) into a fully specified Trial.

Everything a trial's identity holds comes from the spec and the resolved run options here,
in one place, so the runner and the dry run (``toytasks.cost.estimate``) ask for the same
trials by construction.
"""

from __future__ import annotations

from typing import Any

from toytasks.models import arch_origin, base_arch, get_architecture, knob_schema
from toytasks.models.matching import match_width
from toytasks.models.packing import packable
from toytasks.specs.options import RunOptions
from toytasks.specs.spec import TaskSpec
from toytasks.tasks import generator_origin
from toytasks.training.search import TrialFactory
from toytasks.training.trial import FIELD_KNOBS, Trial


def arch_settings(spec: TaskSpec, arch: str, opts: RunOptions
                  ) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...], str]:
    """(the ``FIELD_KNOBS`` fields, the other knobs away from their defaults, plugin origin)
    of ``arch``'s trials (``arch`` an architecture or a variant, ``cnn@kernel=7``). Every
    knob comes from the same place (``opts.knobs_for``, checked against the architecture's
    schema). A knob kept in a field of its own defaults to the spec's old budget field of
    that name (``budget.gate_bias``, 3), so an architecture that does not declare it stores
    what it always stored and no identity changes."""
    values = opts.knobs_for(arch)
    fields = {name: values.pop(name, getattr(spec.budget, name)) for name in FIELD_KNOBS}
    defaults = {name: knob.default for name, knob in knob_schema(arch).items()}
    knobs = tuple(sorted((k, v) for k, v in values.items() if v != defaults.get(k)))
    return fields, knobs, arch_origin(arch)


def trial_factory(spec: TaskSpec, arch: str, opts: RunOptions) -> TrialFactory:
    """(depth, seed, lr) -> the Trial ``arch`` trains for this spec and these options."""
    task = spec.make_generator()
    knobs = tuple(sorted(task.identity_values.items()))  # a newer knob only when set
    fields, arch_knobs, origin = arch_settings(spec, arch, opts)
    base = base_arch(arch)  # a variant's trials are its architecture's, with its knobs
    task_plugin = generator_origin(spec.generator)
    version = get_architecture(base).version  # numerics version: identity from 2 on
    # packed where the architecture packs; any other trains alone, its identity unchanged
    pack = opts.pack if packable(base) and not origin else 1

    def width(depth: int) -> int:
        if not opts.match_params:
            return opts.width
        return match_width(base, task.n_inputs, task.n_outputs, depth, opts.match_params,
                           task.output_steps, arch_knobs)[0]

    def make(depth: int, seed: int, lr: float) -> Trial:
        return Trial(
            task=spec.name, generator=spec.generator, knobs=knobs, arch=base, depth=depth,
            width=width(depth), seed=seed, lr=lr, max_steps=opts.max_steps,
            batch_size=opts.batch_size, eval_every=spec.budget.eval_every,
            patience=spec.budget.patience if opts.patience is None else opts.patience,
            test_size=spec.budget.test_size,
            threshold=spec.threshold, clip=spec.budget.clip, train_size=opts.train_size,
            diagnostics=opts.diagnostics, device=opts.device, arch_knobs=arch_knobs,
            arch_plugin=origin, task_plugin=task_plugin, test_lengths=opts.test_lengths,
            arch_version=version, pack=pack, **fields,
        )

    return make


def variant_of(trial: Trial) -> tuple:
    """What tells the trials of two variants of one architecture apart."""
    return trial.arch, trial.arch_knobs, trial.gate_bias, trial.arch_plugin
