"""Progress on stderr: a live status line on a terminal, plain log lines elsewhere.

The runner reports each finished trial as a structured event (``TrialDone``) and anything
else as a line of text. Both are written as lines; on a terminal those lines scroll
above a live tqdm status line (trials done, trials running, elapsed time, time per
trial) whose clock ticks every second, so that a run whose trials take minutes visibly
is alive. When stderr is not a terminal (CI, a log file, a pipe)
there is no live display: the lines are written as they are, a plain log. ``--quiet``
silences both.

tqdm rather than rich: it is one small pure-Python package without dependencies, and its
``write`` already interleaves log lines with a live line, which is all that is needed.
No total is shown: an adaptive depth search does not know in advance how many trials it
will train, and a percentage of an upper bound would mislead.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from dataclasses import dataclass
from typing import Protocol, TextIO

from toytasks.reading.summary import arch_label
from toytasks.training.trial import Trial, TrialResult

TICK_S = 1.0


@dataclass(frozen=True)
class TrialDone:
    """One trial finished (and was stored): the counts of the run so far, and what it gave."""

    done: int
    running: int
    trial: Trial
    result: TrialResult

    def __str__(self) -> str:
        result, trial = self.result, self.trial
        best = f", best {result.metric} {result.best_metric:.3f}" if result.metric else ""
        reason = f" ({result.reason})" if result.reason else ""
        name = arch_label(trial.config())  # the variant: lstm@gate_bias=0, not lstm
        return (f"[{self.done} done, {self.running} running] {name} depth={trial.depth} "
                f"seed={trial.seed} lr={trial.lr:g}: {result.status} after {result.steps} "
                f"steps{best}, {result.wall_s:.1f}s{reason}")


Event = str | TrialDone  # what the runner and the plan report


class Progress(Protocol):
    def __call__(self, event: Event) -> None: ...

    def close(self) -> None: ...


class Silent:
    """--quiet: nothing at all."""

    def __call__(self, event: Event) -> None:
        return None

    def close(self) -> None:
        return None


class PlainLines:
    """Not a terminal: each line as it comes, flushed (a log that `tail -f` can follow)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        print(event, file=self.stream, flush=True)

    def close(self) -> None:
        return None


class LiveLine:
    """A terminal: lines scroll above a status line that a background thread keeps fresh."""

    def __init__(self, stream: TextIO, tick_s: float = TICK_S) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self.stream = stream
        self.lock = threading.Lock()
        width = _columns(stream)
        self.bar = tqdm(total=None, file=stream, unit="trial", leave=False,
                        dynamic_ncols=width is None, ncols=width, nrows=None if width is None
                        else 24, mininterval=0.0, smoothing=0.0,
                        bar_format="{n_fmt} trial(s) done{postfix} [{elapsed}, {rate_fmt}]")
        self.stopped = threading.Event()
        self.ticker = threading.Thread(target=self._tick, args=(tick_s,), daemon=True)
        self.ticker.start()

    def _tick(self, tick_s: float) -> None:
        while not self.stopped.wait(tick_s):
            with self.lock:
                self.bar.refresh()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self._tqdm.write(str(event), file=self.stream)
            if isinstance(event, TrialDone):
                self.bar.update(event.done - self.bar.n)
                self.bar.set_postfix_str(f"{event.running} running")

    def close(self) -> None:
        self.stopped.set()
        self.ticker.join()
        with self.lock:
            self.bar.close()


def _columns(stream: TextIO) -> int | None:
    """None when the terminal reports its width (tqdm follows resizes), else 100: a
    pseudo-terminal without a size reports 0 columns and 0 rows, and tqdm would then print
    nothing (it hides bars below the last row)."""
    try:
        return None if os.get_terminal_size(stream.fileno()).columns > 0 else 100
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 100


def make_progress(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """The right display for ``stream`` (default stderr); close it when the run ends."""
    stream = stream or sys.stderr
    if quiet:
        return Silent()
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return LiveLine(stream)
    return PlainLines(stream)
