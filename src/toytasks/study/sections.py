"""The shared types of the study layer: a section as the study runs it (``Experiment``)
and as the report reads it (``Section``).

They live below the explanations, the study loader and the report, so that each of those
imports them and none imports another for its types (no cycle, type-only included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from toytasks.training.solve import SolveRule, get_rule

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.reading.summary import Row
    from toytasks.running.plan import Job
    from toytasks.specs.options import RunOptions
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.explanations.evidence import Verdict


class JobMaker(Protocol):
    """What a section needs of its explanation to run: the jobs it expands into."""

    def jobs(self, exp: Experiment) -> list[Job]: ...


@dataclass(frozen=True)
class Experiment:
    """One section of a study, resolved for a profile."""

    letter: str
    spec: TaskSpec
    opts: RunOptions
    rule: str
    params: dict[str, Any]  # the section's own keys (conv, recurrent, vary, values, ...)
    note: str = ""
    # the registry's explanation for ``letter``, set by the study loader; typed by the
    # protocol below so that this module needs no import of the registry
    explanation: JobMaker | None = field(default=None, compare=False, repr=False)

    @property
    def solve_rule(self) -> SolveRule:
        return get_rule(self.rule)

    def jobs(self) -> list[Job]:
        """What the section runs: its explanation's jobs."""
        if self.explanation is None:
            raise RuntimeError(f"section ({self.letter}) was built without its explanation")
        return self.explanation.jobs(self)

    def manifest(self) -> dict[str, Any]:
        knobs = self.spec.make_generator().identity_values  # as the trials store them
        return {"task": self.spec.name, "knobs": dict(sorted(knobs.items())),
                "rule": self.rule, "seeds": self.opts.seeds, "search": self.opts.search,
                "min_depth": self.opts.min_depth, "max_depth": self.opts.max_depth,
                "width": self.opts.width, "steps": self.opts.max_steps,
                "batch_size": self.opts.batch_size, "lr": list(self.opts.lrs),
                "archs": list(self.opts.archs), "note": self.note, **self.params,
                # only when set: manifests (and reports) without them stay as they were
                **({"arch_knobs": {f"{a}.{k}": v for a, k, v in self.opts.arch_knobs}}
                   if self.opts.arch_knobs else {}),
                **({"pack": self.opts.pack} if self.opts.pack > 1 else {})}



@dataclass
class Section:
    letter: str
    exp: dict[str, Any] | None
    rows: list[Row]
    records: list[TrialRecord]  # the section's own: what its verdict reads
    verdict: Verdict
    # budget reruns of its deciding unsolved cells (toytasks.study.budget): shown, never
    # judged; ``reruns_asked``: the study's profile asked for them
    reruns: list[TrialRecord] = field(default_factory=list)
    reruns_asked: bool = False
