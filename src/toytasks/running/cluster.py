"""Run trials on a Dask ``distributed`` cluster (optional extra: ``toytasks[dask]``).

The runner only needs a ``concurrent.futures.Executor``; ``Client.get_executor()`` is one.
This module adds what a sweep needs around it: a loopback-only ``LocalCluster`` when no
scheduler is named, a check that the workers run the same toytasks as the driver (the same
code gives the same numbers), how many trials to keep in flight (the cluster's worker
threads, followed as workers join or leave), and clean shutdown or abandon on Ctrl-C.
Workers only compute and return ``TrialResult``s: the driver alone writes the store.
"""

from __future__ import annotations

import logging
import signal
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from toytasks import __version__
from toytasks.errors import ToytasksError

INSTALL = "pip install 'toytasks[dask]'"
CONNECT_TIMEOUT_S = 20


def _distributed() -> Any:
    """Import ``distributed`` only when asked for: the default install does not have it."""
    try:
        import distributed
    except ImportError:
        raise ToytasksError(
            f"--executor dask needs the optional 'distributed' package; install it with: "
            f"{INSTALL}"
        ) from None
    return distributed


def _worker_versions() -> dict[str, str]:
    """Runs on each worker: the versions that decide a trial's numbers."""
    import numpy
    import torch

    import toytasks

    return {"toytasks": toytasks.__version__, "torch": torch.__version__,
            "numpy": numpy.__version__}


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group, including a LocalCluster's worker processes:
    # only the driver reacts (stops, keeps what is stored, prints how to resume).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class DaskExecutor(Executor):
    """``Client.get_executor()`` plus the lifetimes of the client and of a cluster we own."""

    def __init__(self, client: Any, cluster: Any = None, max_in_flight: int | None = None):
        self.client = client
        self.cluster = cluster
        self.max_in_flight = max_in_flight
        self._executor = client.get_executor()
        self._futures: list[Future] = []

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def capacity(self) -> int:
        """Trials to keep in flight: the cluster's worker threads now (at least one, so a
        sweep waits in the scheduler's queue for workers to join), or the user's cap."""
        if self.max_in_flight:
            return self.max_in_flight
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future = self._executor.submit(fn, *args, **kwargs)
        self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for future in self._futures:
                future.cancel()
        self._executor.shutdown(wait=wait)
        # A worker that imported torch can take more than the nanny's 4 s to exit on a busy
        # machine; being killed then is harmless (results are stored): don't warn about it.
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            quiet.setLevel(level)

    def abandon(self) -> None:
        """Stop at once (Ctrl-C): drop queued and running trials; stored ones are kept.
        Our own local cluster is simply closed (its workers with it); on a shared cluster
        our trials are cancelled there."""
        self.shutdown(wait=False, cancel_futures=self.cluster is None)


def check_workers(client: Any) -> None:
    """Refuse workers that cannot import toytasks or run another version of it; warn when
    torch or numpy differ (results may then differ in the last bits)."""
    try:
        versions = client.run(_worker_versions)
    except Exception as exc:
        raise ToytasksError(
            f"the dask workers at {client.scheduler.address} cannot run toytasks "
            f"({type(exc).__name__}: {exc}); install toytasks {__version__} in the workers' "
            "environment") from None
    mine = _worker_versions()
    for worker, theirs in sorted(versions.items()):
        if theirs["toytasks"] != mine["toytasks"]:
            raise ToytasksError(f"dask worker {worker} runs toytasks {theirs['toytasks']}, "
                                f"this driver {mine['toytasks']}: install the same version")
        for name in ("torch", "numpy"):
            if theirs[name] != mine[name]:
                warnings.warn(f"dask worker {worker} has {name} {theirs[name]}, this driver "
                              f"{mine[name]}: results may differ from local runs", stacklevel=2)


def start(scheduler: str | None, workers: int,
          say: Callable[[str], None] = lambda _: None) -> DaskExecutor:
    """Connect to ``scheduler`` (e.g. ``tcp://host:8786``) or, without one, start a
    ``LocalCluster`` of ``workers`` processes with one thread each on 127.0.0.1 only.

    With a scheduler, ``workers`` caps the trials in flight (0: the cluster's threads).
    """
    distributed = _distributed()
    if scheduler is None:
        # dashboard_address=None: no dashboard; the scheduler's and workers' small HTTP
        # servers (health, metrics) then bind to the cluster's host, 127.0.0.1, too.
        # silence_logs: a worker cancelled by Ctrl-C or restarted after a crash would
        # otherwise print distributed's own warnings between toytasks' progress lines.
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, worker_dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster)
        client.run(_ignore_sigint)
        executor = DaskExecutor(client, cluster)
        say(f"dask: local cluster at {executor.address}, {workers} worker(s) x 1 thread")
        return executor
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ToytasksError(f"cannot connect to the dask scheduler at '{scheduler}' "
                            f"({type(exc).__name__}: {exc})") from None
    if not client.nthreads():
        say(f"dask: waiting for a worker to join {scheduler}")
        client.wait_for_workers(1)
    check_workers(client)
    executor = DaskExecutor(client, max_in_flight=workers or None)
    threads = sum(client.nthreads().values())
    cap = f"; at most {workers} trial(s) in flight" if workers else ""
    say(f"dask: scheduler {scheduler}, {len(client.nthreads())} worker(s), "
        f"{threads} thread(s){cap}")
    return executor
