"""What a command would train and what it would cost, without training anything
(``--dry-run``).

Which trials an adaptive search trains depends on their outcomes, so the dry run replays
the real searches (``toytasks.training.search``, the same objects the runner drives) against
outcome *scenarios* and reports the range:

* every depth from the lowest upwards being the first that solves (seeds agreeing), and
  seeds splitting at every depth from there (half, or two thirds, of them solving), which
  makes the sequential rule read more seeds; ``fewest`` and ``most`` are taken over these;
* the *likely* scenario: what stored results say (``prior``: a trial stored under its own
  key ends as it did, after the same steps; one whose cell at that depth is stored does
  what most of its seeds did), and for the rest a convolution solves from its
  receptive-field bound on (``summary.rf_bound``; the depth below it is at chance by
  construction), everything else from the lowest depth.

The replay is not a copy of the runner's loop: both drive the same scheduler
(``toytasks.running.schedule``), so trials already in the results folder are reused exactly
as the runner reuses them (a dry run of a half-finished run says what is left), and the
confirmation of a row's decisive depths (``plan.confirmations``) is replayed from the
searches' evidence. It refuses what the run refuses (``plan.preflight``, in ``dryrun``).

Wall time: each trial's duration is its expected steps times seconds per step measured on
this machine (``toytasks.cost.calibrate``); the replay schedules trials on ``workers`` the
way the runner does (``flops.priority``: lowest seed first, dearest first). How many steps
a trial runs is taken from stored results where ``prior`` knows it (``cost.prior``) and
modelled for the rest: solved trials stop after about ``SOLVED_EVALS``
held-out evaluations and unsolved ones after about ``UNSOLVED_PATIENCE`` times their
patience (in the stores committed under stores/, medians and means of 95-213 steps for
solved trials and 700-1,731 for unsolved ones: ``python scripts/trial_steps.py``;
docs/performance.md compares estimates with measured runs).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from toytasks.cost.calibrate import Calibration
from toytasks.cost.prior import Prior
from toytasks.reading.summary import rf_bound
from toytasks.running.flops import priority, step_flops
from toytasks.running.plan import Job, confirmations
from toytasks.running.schedule import Schedule, make_searches
from toytasks.running.trials import trial_factory, variant_of
from toytasks.training.search import DepthSearch
from toytasks.training.trial import PATIENCE_OFF, Trial

SOLVED_EVALS = 2  # a solved trial: about two evaluation periods
UNSOLVED_PATIENCE = 2  # an unsolved one: about twice its patience in evaluation periods

Solves = Callable[[Trial], bool]
Duration = Callable[[Trial, bool], float]


@dataclass(frozen=True)
class _Outcome:
    solved: bool


def likely_steps(trial: Trial, solved: bool) -> int:
    if not solved and trial.patience == PATIENCE_OFF:  # early stopping off: the whole budget
        return trial.max_steps
    periods = SOLVED_EVALS if solved else UNSOLVED_PATIENCE * trial.patience
    return min(trial.max_steps, periods * trial.eval_every)


def full_budget_flops(trial: Trial, flops_per_step: float) -> float:
    """FLOPs of ``trial`` run to its step budget with its scheduled evaluations (the
    trainer's own count: forward = a third of a step)."""
    evals = trial.max_steps // trial.eval_every + 1
    return flops_per_step * (trial.max_steps + evals * trial.test_size / (3 * trial.batch_size))


@dataclass
class Replay:
    """One scenario replayed: what would be trained, reused, and when it would end."""

    trained: list[tuple[Trial, bool]] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)  # keys stored before the replay
    reused_keys: set[str] = field(default_factory=set)  # of those, the ones read
    seconds: float = 0.0

    @property
    def reused(self) -> int:
        return len(self.reused_keys)


def replay(jobs: Sequence[Job], solves: Solves, workers: int, known: dict[str, bool],
           duration: Duration = lambda t, s: 1.0) -> Replay:
    """Replay ``jobs`` in order as ``plan.run_jobs`` runs them. ``known`` maps stored trial
    keys to their outcome (not modified); ``reused`` counts those the replay reads."""
    out = Replay(stored=set(known))
    known = dict(known)
    for job in jobs:
        _replay_job(job, solves, workers, known, duration, out)
    return out


def _replay_job(job: Job, solves: Solves, workers: int, known: dict[str, bool],
                duration: Duration, out: Replay) -> None:
    """``plan.run_job``: the job, then the confirmations its searches' evidence asks for."""
    searches = _schedule(job, solves, workers, known, duration, out)
    if job.confirms:
        decided = [(s.arch, s.minimal_depth, s.counted()) for s in searches]
        for check in confirmations(job, decided):
            _replay_job(check, solves, workers, known, duration, out)


MAX_MEMO = 256
_FACTORIES: dict[tuple[int, str], tuple[Job, Callable[[int, int, float], Trial]]] = {}


def _factory(job: Job, arch: str) -> Callable[[int, int, float], Trial]:
    """``trials.trial_factory``, memoised per job: a replay of many scenarios asks for the
    same trials (and their keys) thousands of times."""
    held = _FACTORIES.get((id(job), arch))
    if held is None or held[0] is not job:
        if len(_FACTORIES) >= MAX_MEMO:  # a long-lived process (the Python API) stays flat
            _FACTORIES.clear()
        make = lru_cache(maxsize=None)(trial_factory(job.spec, arch, job.opts))
        held = _FACTORIES[(id(job), arch)] = (job, make)
    return held[1]


def _schedule(job: Job, solves: Solves, workers: int, known: dict[str, bool],
              duration: Duration, out: Replay) -> list[DepthSearch]:
    """``runner.run_trials`` with a clock instead of an executor: the same ``Schedule``
    decides, each trial ends ``duration`` after it starts with the scenario's outcome."""
    task = job.spec.make_generator()
    schedule = Schedule(
        make_searches(job.opts, job.rule, lambda arch: _factory(job, arch)),
        stored=lambda t: _Outcome(known[t.key]) if t.key in known else None,
        rank=lambda t: priority(t, task.seq_len, task.n_inputs))
    clock, order = out.seconds, 0
    running: list[tuple[float, int, DepthSearch, Trial, bool]] = []
    while True:
        for search, trial in schedule.submit(workers - len(running)):
            solved = solves(trial)
            heapq.heappush(running, (clock + duration(trial, solved), order, search, trial,
                                     solved))
            order += 1
        if not running:
            break
        clock, _, search, trial, solved = heapq.heappop(running)
        known[trial.key] = solved
        out.trained.append((trial, solved))
        schedule.record(search, trial, _Outcome(solved))
    out.seconds = clock
    out.reused_keys.update(t.key for t in schedule.reused if t.key in out.stored)
    return schedule.searches


# --- scenarios ------------------------------------------------------------------------------

def solves_from(depth: int, share: float = 1.0) -> Solves:
    """Depths >= ``depth`` solve; of their seeds, a ``share`` spread evenly (seed s solves
    when floor((s+1)*share) > floor(s*share))."""
    return lambda t: t.depth >= depth and int((t.seed + 1) * share) > int(t.seed * share)


SPLITS = (1.0, 0.5, 2 / 3)


def scenarios(job: Job) -> list[Solves]:
    """Every first-solved depth (and never), with seeds agreeing or split."""
    opts = job.opts
    return [solves_from(d, share) for d in range(opts.min_depth, opts.max_depth + 2)
            for share in SPLITS]


def likely(job: Job, prior: Prior | None = None) -> Solves:
    """What ``prior`` knows; else convolutions from their receptive-field bound, the rest
    from the lowest depth."""
    blind = job.spec.make_generator().blind_samples
    first = {_variant(job, arch): max(job.opts.min_depth, rf_bound(
        arch, blind, knobs=job.opts.knobs_for(arch)) or job.opts.min_depth)
        for arch in job.opts.archs}

    def solves(t: Trial) -> bool:
        known = prior.about(t) if prior is not None else None
        return known.solved if known is not None else t.depth >= first[variant_of(t)]
    return solves


def _variant(job: Job, arch: str) -> tuple:
    """``trials.variant_of`` the trials of ``arch`` (an architecture or a variant)."""
    return variant_of(_factory(job, arch)(job.opts.min_depth, 0, job.opts.lrs[0]))


def trial_seconds(trial: Trial, steps: int, calibration: Calibration) -> float:
    """A trial of ``steps`` steps: its one-off cost (which includes one evaluation), its
    steps, and its other scheduled evaluations."""
    return (calibration.overhead_seconds(trial) + steps * calibration.step_seconds(trial)
            + steps // trial.eval_every * calibration.eval_seconds(trial))


# --- the estimate ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JobEstimate:
    job: Job
    fewest: int  # trials to train, over the scenarios
    most: int
    flops_fewest: float  # their FLOPs at the full step budget
    flops_most: float
    likely_trials: int
    likely_seconds: float  # wall seconds on ``workers`` workers, likely scenario
    most_seconds: float  # the most-trials scenario, every trial run to its budget
    reused: int  # trials already stored (likely scenario)
    likely_trained: tuple[tuple[Trial, bool], ...] = ()  # what the likely scenario trains
    known: int = 0  # of those, trials whose outcome and steps stored results give


def estimate_job(job: Job, workers: int, known: dict[str, bool],
                 calibration: Calibration, prior: Prior | None = None) -> JobEstimate:
    """Replay one job (each architecture on its own for the range: their searches do not
    interact) and time its likely scenario (``prior``: what stored results say)."""
    def flops(trials: list[tuple[Trial, bool]]) -> float:
        return sum(full_budget_flops(t, step_flops(t)) for t, _ in trials)

    lo = hi = 0
    flo = fhi = 0.0
    most_jobs: list[Solves] = []
    for arch in job.opts.archs:
        one = replace(job, opts=replace(job.opts, archs=(arch,)))
        runs = [(replay([one], s, workers, known).trained, s) for s in scenarios(one)]
        fewest = min(runs, key=lambda r: (len(r[0]), flops(r[0])))
        most = max(runs, key=lambda r: (len(r[0]), flops(r[0])))
        lo, hi = lo + len(fewest[0]), hi + len(most[0])
        flo, fhi = flo + flops(fewest[0]), fhi + flops(most[0])
        most_jobs.append(most[1])
    scenario = likely(job, prior)
    calibration.measure(t for t, _ in replay([job], scenario, workers, known).trained)

    def steps(trial: Trial, solved: bool) -> int:
        told = prior.about(trial) if prior is not None else None
        return told.steps if told is not None else likely_steps(trial, solved)

    def seconds(trial: Trial, solved: bool) -> float:
        return trial_seconds(trial, steps(trial, solved), calibration)

    def full(trial: Trial, solved: bool) -> float:
        return trial_seconds(trial, trial.max_steps, calibration)

    guess = replay([job], scenario, workers, known, seconds)
    by_arch = {_variant(job, arch): s for arch, s in zip(job.opts.archs, most_jobs,
                                                         strict=True)}
    worst = replay([job], lambda t: by_arch[variant_of(t)](t), workers, known, full)
    told = sum(prior.about(t) is not None for t, _ in guess.trained) if prior else 0
    return JobEstimate(job, lo, hi, flo, fhi, len(guess.trained), guess.seconds,
                       worst.seconds, guess.reused, tuple(guess.trained), told)
