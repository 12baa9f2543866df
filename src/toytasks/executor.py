"""Executors that run train(trial): in-process (1 worker) or a persistent process pool.

Workers are spawned once and reused, so torch is imported once per worker, not per trial
(about 2 s each here). Every trial sets its own seeds and one torch thread, so a result
does not depend on which worker, or how many, ran it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group: only the driver reacts (stops scheduling,
    # keeps what is stored, prints how to resume); workers must not die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(1)
    import toytasks.train  # noqa: F401  (import torch and the models once, up front)


class InlineExecutor(Executor):
    """Runs each submission immediately in this process (no start-up cost, easy debugging)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like a pool would
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


class LocalPool(Executor):
    """A spawn process pool that can be restarted after a worker process dies.

    A dead worker (out of memory, a segfault in a native library) breaks a
    ProcessPoolExecutor for good; the runner calls ``restart()`` and resubmits.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def abandon(self) -> None:
        """Stop now: cancel queued work and end running workers (Ctrl-C, fatal errors)."""
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def make_executor(workers: int) -> Executor:
    if workers <= 1:
        return InlineExecutor()
    return LocalPool(workers)
