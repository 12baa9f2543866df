"""What an explanation is: one class that knows everything about testing one claim.

An explanation (one file in this package, e.g. ``a_receptive_field.py``) holds:
  * ``letter``, ``title``, ``claim``: how studies and reports name it;
  * ``keys`` (required), ``optional`` and ``parse``: the keys of its study-spec section,
    validated;
  * ``jobs``: the runs its experiment needs (``toytasks.running.plan.Job``);
  * ``judge`` and ``rule``: its verdict rule and the rule in words (the report prints
    both; they live side by side so that they change together);
  * ``experiment_text``, ``commands``, ``figures``: how the report describes the
    experiment, the equivalent `toytasks` commands and the figures it draws.
The study and the report loop over the registry (``toytasks.study.explanations``) and never
name a letter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, base_arch, variant_knobs
from toytasks.reading.summary import Row
from toytasks.running.plan import Job
from toytasks.specs.options import check_int
from toytasks.study.explanations.evidence import Verdict

if TYPE_CHECKING:
    from toytasks.reading.records import TrialRecord
    from toytasks.specs.spec import TaskSpec
    from toytasks.study.sections import Experiment, Section

Figure = tuple[str, str, Callable[[Path], Any]]  # (file name, caption, draw(path))


@dataclass(frozen=True)
class Parts:
    """Pieces of the report's text and commands that every explanation shares."""

    task: str  # "`cycle-pattern` (knob=value, ...)"
    budget: str  # "4 seeds, rule majority, 600 steps, batch 32, lr 0.003, width 16"
    task_option: str  # "--task NAME --set k=v,..."
    common: str  # "--seeds N --rule R --steps S --batch-size B --lr L"
    archs: str  # "lstm,cnn"
    depth: str  # "--min-depth 1 --max-depth 8"
    search: str  # "--search adaptive"


class Explanation:
    """Subclass per explanation; override what differs (see the module docstring)."""

    letter: ClassVar[str]
    title: ClassVar[str]
    claim: ClassVar[str]
    keys: ClassVar[tuple[str, ...]]  # the section's own keys, all required
    # keys the section may give (``parse`` decides which combinations); not in every manifest
    optional: ClassVar[tuple[str, ...]] = ()
    rule: ClassVar[str]  # the verdict rule in words
    varies: ClassVar[str | None] = None  # the section key naming a swept knob, if any

    # --- study spec -> jobs -------------------------------------------------------------
    def parse(self, values: dict[str, Any], spec: TaskSpec,
              where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The section's own keys, validated, and the architectures it trains."""
        raise NotImplementedError

    def jobs(self, exp: Experiment) -> list[Job]:
        """The runs that test the explanation (default: one minimal-depth search, confirmed)."""
        return [self.job(exp)]

    def job(self, exp: Experiment, announce: str = "", **changes: Any) -> Job:
        """A job at the section's options (``changes`` replace some), confirmed unless it is
        exhaustive."""
        opts = replace(exp.opts, **changes)
        return Job(exp.spec, opts, exp.solve_rule, announce,
                   confirm=opts.search != "exhaustive")

    # --- results -> verdict ---------------------------------------------------------------
    def judge(self, rows: list[Row], records: list[TrialRecord],
              exp: dict[str, Any]) -> Verdict:
        raise NotImplementedError

    # --- the report -----------------------------------------------------------------------
    def experiment_text(self, exp: dict[str, Any], p: Parts) -> str:
        raise NotImplementedError

    def commands(self, exp: dict[str, Any], p: Parts) -> list[str]:
        return [f"toytasks run {p.task_option} --arch {p.archs} {p.depth} {p.common} "
                f"--width {exp['width']} {p.search}"]

    def figures(self, section: Section) -> list[Figure]:
        """Task examples and success vs depth; explanations add their own."""
        from toytasks.reading.figures import success_vs_depth, task_examples
        from toytasks.tasks import get_generator

        config = section.rows[0].config
        task = get_generator(config["generator"])(**config["knobs"])
        rows = self.figure_rows(section.rows)
        return [
            (f"{self.letter}-task.png",
             f"({self.letter}) examples of the task, deciding span marked",
             lambda p, t=task: task_examples(t, p)),
            (f"{self.letter}-success-vs-depth.png",
             f"({self.letter}) success rate vs depth, 95% bands; circle: minimal depth",
             lambda p, r=rows: success_vs_depth(r, p)),
        ]

    def figure_rows(self, rows: list[Row]) -> list[Row]:
        return rows


def check_arch(value: Any, key: str, where: str) -> str:
    """A built-in architecture, or a variant of one (``lstm@gate_bias=1``: its knobs are
    checked here)."""
    if not isinstance(value, str) or base_arch(value) not in ARCHITECTURES:
        raise ToytasksError(f"{where}: '{key}' must be an architecture "
                            f"(valid: {', '.join(ARCHITECTURES)}), got {value!r}")
    variant_knobs(value, f"{where}: '{key}'")
    return value


def conv_and_recurrent(values: dict[str, Any], where: str) -> dict[str, Any]:
    """The ``recurrent`` and ``conv`` keys most sections share."""
    return {k: check_arch(values[k], k, where) for k in ("recurrent", "conv")}


def distinct_depths(value: Any, where: str) -> list[int]:
    """A section's ``depths``: at least two distinct depths, sorted ((b), (h))."""
    if not isinstance(value, list) or len(value) < 2 or len(set(map(repr, value))) != len(value):
        raise ToytasksError(f"{where}: 'depths' must list at least two distinct depths")
    return sorted(check_int(d, "depths", where, (1, 256)) for d in value)
