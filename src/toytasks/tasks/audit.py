"""`toytasks audit`: is a task shortcut-free? The sub-span probes, for any task.

Two claims are checked with scikit-learn probes fitted on raw trailing windows
(``toytasks.tasks.probes``):

* **blind window at chance**: every probe given only the task's declared blind window
  (``blind_samples`` trailing samples) scores no better than the trivial baseline plus
  three standard errors. A probe that beats it found a shortcut: the label leaks into
  samples a model with a short receptive field can see. The blind MLP stops early when
  its validation split stops improving (a window with nothing to learn costs a few dozen
  epochs, not 600); a real shortcut keeps improving it.
* **full span informative**: the best probe given the whole span reaches at least
  ``FULL_SHARE`` of the way from the baseline to a perfect score (accuracy 1, MSE 0). The
  probes are cheap witnesses, not the models the table trains, so this asks that the span
  carries the target, not that a probe solves the task. Probes run cheapest first and
  stop at the first that passes.

The verdict is "pass" when both hold at every probed target step, "fail" otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from sklearn.exceptions import ConvergenceWarning

from toytasks.tasks import Task
from toytasks.tasks.probes import chance_tolerance, probe_accuracy, probe_mse

CLASSIFIERS = ("logistic", "tree", "mlp")
REGRESSORS = ("linear", "poly2", "mlp")
TASK_FEATURES = "logistic on the task's probe_features"  # full span only, when declared
BLIND_PROBES = {"classification": ("logistic", "mlp", "tree"), "regression": ("linear", "mlp")}
FULL_SHARE = 0.5
POLY2_MAX_INPUTS = 80  # degree-2 features of more inputs than this cost too much


@dataclass(frozen=True)
class ProbeLine:
    """One probe: which window, which target step, which model, its score, and the limit."""

    window: str  # "blind" or "full"
    samples: int
    target: int
    probe: str
    score: float
    limit: float
    ok: bool


@dataclass(frozen=True)
class Audit:
    task: str
    metric: str
    baseline: float
    lines: tuple[ProbeLine, ...]
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"


def _score(task: Task, window: int, probe: str, target: int, n_train: int, n_test: int,
           seed: int, early: bool = False) -> float:
    with warnings.catch_warnings():  # an MLP at its iteration cap still gives a score
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit(task, window, probe, target, n_train, n_test, seed, early)


def _fit(task: Task, window: int, probe: str, target: int, n_train: int, n_test: int,
         seed: int, early: bool) -> float:
    if probe == TASK_FEATURES:
        return probe_accuracy(task, window, "logistic", n_train, n_test, seed, target, early,
                              features=task.probe_features)
    if task.metric == "accuracy":
        return probe_accuracy(task, window, probe, n_train, n_test, seed, target, early)
    return probe_mse(task, window, probe, None, n_train, n_test, seed, target, early)[0]


def limits(baseline: float, n_test: int, classification: bool) -> tuple[float, float]:
    """(blind-window limit, full-span limit): a blind probe may score at most chance plus
    three standard errors (MSE: at least the baseline less three); the best full-span probe
    must get ``FULL_SHARE`` of the way from the baseline to perfect."""
    if classification:
        return (baseline + chance_tolerance(baseline, n_test),
                baseline + FULL_SHARE * (1 - baseline))
    return baseline - 3.0 * baseline / n_test**0.5, (1 - FULL_SHARE) * baseline


def passes(window: str, score: float, limit: float, classification: bool) -> bool:
    """Blind: no better than the limit. Full: at least as good as the limit."""
    better_or_equal = score >= limit if classification else score <= limit
    at_most = score <= limit if classification else score >= limit
    return at_most if window == "blind" else better_or_equal


def audit_task(name: str, task: Task, n_train: int = 3000, n_test: int = 2000,
               seed: int = 0) -> Audit:
    """Probe the blind window and the full span at the first and last target steps."""
    classification = task.metric == "accuracy"
    base = task.baseline
    blind_limit, full_limit = limits(base, n_test, classification)
    targets = sorted({0, task.output_steps - 1})
    lines: list[ProbeLine] = []
    note = ""
    kind = "classification" if classification else "regression"
    for target in targets:
        if task.blind_samples > 0:
            for probe in BLIND_PROBES[kind]:
                score = _score(task, task.blind_samples, probe, target, n_train, n_test, seed,
                               early=True)
                lines.append(ProbeLine("blind", task.blind_samples, target, probe, score,
                                       blind_limit, passes("blind", score, blind_limit,
                                                           classification)))
        else:
            note = "the task declares no blind window (blind_samples 0): only the span is probed"
        best: ProbeLine | None = None
        own = (TASK_FEATURES,) if classification and task.probe_features is not None else ()
        for probe in (*(CLASSIFIERS if classification else REGRESSORS), *own):  # cheapest first
            if probe == "poly2" and task.span_samples * task.n_inputs > POLY2_MAX_INPUTS:
                continue
            score = _score(task, task.span_samples, probe, target, n_train, n_test, seed)
            ok = passes("full", score, full_limit, classification)
            line = ProbeLine("full", task.span_samples, target, probe, score, full_limit, ok)
            if best is None or ok or (score > best.score) == classification:
                best = line
            if ok:
                break
        if best is not None:
            lines.append(best)
    return Audit(name, task.metric, base, tuple(lines), note)


def render_audit(audit: Audit, fmt: str = "simple") -> str:
    """The probes as a table, then the verdict line."""
    from tabulate import tabulate

    rows = []
    for line in audit.lines:
        expect = (f"<= {line.limit:.3g} (chance)" if line.window == "blind"
                  else f">= {line.limit:.3g}") if audit.metric == "accuracy" else (
            f">= {line.limit:.3g} (baseline)" if line.window == "blind"
            else f"<= {line.limit:.3g}")
        rows.append([line.window, line.samples, line.target, line.probe,
                     f"{line.score:.3g}", expect, "ok" if line.ok else "FAIL"])
    table = tabulate(rows, headers=["window", "samples", "target", "probe", audit.metric,
                                    "expected", "check"], tablefmt=fmt, disable_numparse=True)
    failed = [line for line in audit.lines if not line.ok]
    why = ""
    if any(line.window == "blind" for line in failed):
        why = ": a probe that sees only the blind window beats chance (a shortcut)"
    elif failed:
        why = ": no probe reads the target from the full span"
    verdict = f"{audit.task}: {audit.verdict}{why} (baseline {audit.baseline:.4g})"
    return "\n".join(filter(None, [table, audit.note, verdict]))
