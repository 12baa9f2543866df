"""Executors that run train(trial): in-process (1 worker) or a persistent process pool.

Workers are spawned once and reused, so torch is imported once per worker, not per trial
(about 2 s each here). Every trial sets its own seeds and one torch thread, so a result
does not depend on which worker, or how many, ran it. On CUDA each worker is pinned to one
GPU when it starts (round robin over the GPUs asked for, ``toytasks.running.devices``), so several
workers can share a GPU and a pool can span several.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from toytasks.running.devices import default_workers, pin_worker, worker_gpu
from toytasks.running.spawning import die_with_parent

__all__ = ["InlineExecutor", "LocalPool", "default_workers", "make_executor", "uses_processes"]


def _init_worker(slots: Any = None, gpus: tuple[int, ...] = (),
                 memory_fraction: float | None = None, parent: int | None = None) -> None:
    if parent is not None:  # no orphans: the worker ends with the driver, even on kill -9
        die_with_parent(parent)
    # Ctrl-C reaches the whole process group: only the driver reacts (stops scheduling,
    # keeps what is stored, prints how to resume); workers must not die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(1)
    if gpus:  # the i-th worker of this pool to start takes slot i: GPU gpus[i % len(gpus)]
        with slots.get_lock():
            slot = slots.value
            slots.value += 1
        pin_worker(worker_gpu(slot, gpus), memory_fraction)
    import toytasks.training.train  # noqa: F401  (import torch and the models once, up front)


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


class LocalPool(Executor):
    """A spawn process pool that can be restarted after a worker process dies.

    A dead worker (out of memory, a segfault in a native library) breaks a
    ProcessPoolExecutor for good; the runner calls ``restart()`` and resubmits. With
    ``gpus``, each worker is pinned to one of them when it starts (round robin), with
    at most ``memory_fraction`` of that GPU's memory.
    """

    def __init__(self, workers: int, gpus: tuple[int, ...] = (),
                 memory_fraction: float | None = None) -> None:
        self.workers = workers
        self.gpus = tuple(gpus)
        self.memory_fraction = memory_fraction
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        slots = context.Value("i", 0)  # a fresh pool numbers its workers from 0 again
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_init_worker,
            initargs=(slots, self.gpus, self.memory_fraction, os.getpid()),
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


def uses_processes(workers: int, memory_fraction: float | None = None) -> bool:
    """Whether ``make_executor`` starts worker processes (else trials run in this one)."""
    return workers > 1 or memory_fraction is not None


def make_executor(workers: int, gpus: tuple[int, ...] = (),
                  memory_fraction: float | None = None) -> Executor:
    """In-process for one worker (its trials use the device they name: ``cuda`` is GPU 0,
    the first of ``gpus``); a pool otherwise, or when a memory cap must stay in a worker."""
    if not uses_processes(workers, memory_fraction):
        return InlineExecutor()
    return LocalPool(workers, gpus, memory_fraction)
