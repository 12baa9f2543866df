"""``--dry-run``: what a command would train and cost, printed; nothing trained or written.

Every command hands its jobs here grouped as it runs them (one results folder and one
process pool per group: a run, a sweep and a suite are one group, a study one per
section). Each job passes the run's own checks first (``plan.preflight``), so a dry run
refuses what the run refuses, with the same message. Results folders that exist are read
(never created), so a dry run of a half-finished command estimates what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tabulate import tabulate

from toytasks.cost.calibrate import Calibration, pool_start_seconds
from toytasks.cost.estimate import JobEstimate, estimate_job
from toytasks.cost.prior import CHECKOUT_STORES, Prior, read_prior
from toytasks.running.plan import Job, preflight
from toytasks.running.runner import MAX_STORED_ERRORS

# A study's report with its figures: `time toytasks report DIR` on a quick-profile (a) folder
# took 6-8 s, of which ~4 s are the interpreter and imports a dry run has already paid.
REPORT_S = 5.0


@dataclass(frozen=True)
class Group:
    """Jobs that run in one process pool into one results folder."""

    name: str
    jobs: Sequence[Job]
    store: Path | None = None  # read if it exists


def stored_outcomes(root: Path | None) -> dict[str, bool]:
    """Outcome of each stored trial the runner would reuse (a lost-worker error due for a
    retry is not reused)."""
    from toytasks.reading.store import TRIALS_FILE, ResultStore

    if root is None or not (root / TRIALS_FILE).exists():
        return {}
    store = ResultStore(root, create=False)
    return {r.key: r.result.solved for r in store.records()
            if not store.retry_due(r.key, MAX_STORED_ERRORS)}


@dataclass(frozen=True)
class DryRun:
    estimates: list[tuple[str, JobEstimate]]
    workers: int
    calibration: Calibration
    fixed_seconds: float  # process pools' start-up, a study's report
    prior: Prior | None = None  # stored results the likely scenario read

    @property
    def likely_seconds(self) -> float:
        return sum(e.likely_seconds for _, e in self.estimates) + self.fixed_seconds

    @property
    def most_seconds(self) -> float:
        return sum(e.most_seconds for _, e in self.estimates) + self.fixed_seconds


def dry_run(groups: Sequence[Group], workers: int, report: bool = False,
            stores: Sequence[Path] = (CHECKOUT_STORES,)) -> DryRun:
    """Estimate every job of every group; trials a job would train count as stored for the
    jobs after it in its group (likely scenario), as the runner would reuse them. Each
    group starts a process pool when ``workers`` > 1 (timed here); ``report``: a study.
    Each job is checked first as the run checks it (``plan.preflight``): a job the run
    would refuse is refused here, with the same message. The likely scenario reads what
    the trials in ``stores`` (the committed stores) and in each group's folder say about
    the trials to train (``cost.prior``)."""
    calibration = Calibration()
    prior = read_prior(stores)
    estimates = []
    for group in groups:
        known = stored_outcomes(group.store)
        if group.store is not None:
            prior.add_folder(group.store)
        for job in group.jobs:
            preflight(job)
            estimate = estimate_job(job, workers, known, calibration, prior)
            estimates.append((group.name, estimate))
            known |= {t.key: s for t, s in estimate.likely_trained}
    fixed = (len(groups) * pool_start_seconds() if workers > 1 else 0.0) + report * REPORT_S
    return DryRun(estimates, workers, calibration, fixed, prior)


def duration(seconds: float) -> str:
    """'4.2 s', '45 s', '12 min 5 s', '3 h 20 min'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _label(job: Job, group: list[Job]) -> str:
    """The job's description, with the task knobs that tell it apart from its group's."""
    same_task = [j for j in group if j.spec.name == job.spec.name]
    varied = sorted(k for k, v in job.spec.knobs.items()
                    if any(j.spec.knobs.get(k) != v for j in same_task))
    knobs = ", ".join(f"{k}={job.spec.knobs[k]}" for k in varied)
    return job.describe() + (f" ({knobs})" if knobs else "")


def render(result: DryRun) -> str:
    """The per-job table and the totals (stdout of ``--dry-run``)."""
    rows = []
    for name, e in result.estimates:
        rows.append([name, _label(e.job, [o.job for n, o in result.estimates if n == name]),
                     f"{e.fewest}-{e.most}",
                     f"{e.flops_fewest:.2g}-{e.flops_most:.2g}", e.likely_trials,
                     e.reused, duration(e.likely_seconds)])
    table = tabulate(rows, headers=["", "job", "trials (fewest-most)",
                                    "FLOPs at full budget", "likely trials", "stored",
                                    "est. wall (likely)"], tablefmt="simple")
    fewest = sum(e.fewest for _, e in result.estimates)
    most = sum(e.most for _, e in result.estimates)
    flo = sum(e.flops_fewest for _, e in result.estimates)
    fhi = sum(e.flops_most for _, e in result.estimates)
    likely_trials = sum(e.likely_trials for _, e in result.estimates)
    cal = result.calibration
    told = sum(e.known for _, e in result.estimates)
    stored = len(result.prior) if result.prior is not None else 0
    return "\n".join([
        table, "",
        f"trials to train: {fewest} to {most} ({flo:.3g} to {fhi:.3g} FLOPs at the full step "
        f"budget); likely {likely_trials}",
        f"estimated wall time on {result.workers} worker(s): {duration(result.likely_seconds)} "
        f"(likely); at most {duration(result.most_seconds)} (the most trials, each run to its "
        f"step budget); both include {duration(result.fixed_seconds)} of start-up and report",
        f"likely scenario: {told} of {likely_trials} trials end as stored results of the same "
        f"trial or cell say ({stored} stored trials read); the rest by the receptive-field "
        "rule and the steps model",
        f"calibration: {cal.timed} configuration(s) timed on this machine in "
        f"{duration(cal.seconds)}; nothing was trained or written (dry run)",
    ])
