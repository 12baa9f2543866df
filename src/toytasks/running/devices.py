"""Devices: what ``--device`` may say, and which GPU each local worker trains on.

``--device`` is ``cpu``, ``cuda`` (every GPU torch sees), ``cuda:N`` (one GPU) or a
comma-separated list ``cuda:0,cuda:1`` (those GPUs): no brackets, so it works unquoted in
bash and zsh. Local workers are pinned round robin: worker i trains on GPU
``gpus[i % len(gpus)]`` (``torch.cuda.set_device`` in the worker, before its first trial),
so ``--workers-per-device K`` on G GPUs starts K*G workers, K on each GPU.

A trial's identity holds only the *kind* of device (``trial.device_kind``): the trials of a
device list are made with device ``cuda`` and go to whichever GPU their worker is pinned
to, so which card ran a trial never changes its key or its result's place in a table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from toytasks.errors import ToytasksError
from toytasks.specs.bounds import BOUNDS


@dataclass(frozen=True)
class Placement:
    """How many local workers to start, and the GPUs they are pinned to (round robin)."""

    workers: int | None = None  # None: one per core (at least one per GPU)
    gpus: tuple[int, ...] = ()  # CUDA indices; empty: no pinning (cpu, or Dask)
    memory_fraction: float | None = None  # per worker: its cap on its GPU's memory
    device: str = "cpu"  # what trials are made with (checked): ``cuda`` for a list of GPUs

    def describe(self, workers: int) -> str:
        """'8 worker(s)' or '8 worker(s) on cuda:0,cuda:1' (progress and headers)."""
        if not self.gpus:
            return f"{workers} worker(s)"
        return f"{workers} worker(s) on {','.join(f'cuda:{g}' for g in self.gpus)}"


def _index(item: str) -> int | None:
    """N for 'cuda:N', else None."""
    return int(item[5:]) if item.startswith("cuda:") and item[5:].isdigit() else None


def parse_device(device: str) -> tuple[str, tuple[int, ...] | None]:
    """Syntax only: ('cpu', ()), ('cuda', None) for every GPU, ('cuda', (N, ...)) for
    the GPUs named. One line for anything else."""
    if device == "cpu":
        return "cpu", ()
    if device == "cuda":
        return "cuda", None
    if "," not in device:
        if _index(device) is None:
            raise ToytasksError(f"unknown device '{device}' (valid: cpu, cuda, cuda:N)")
        return "cuda", (int(device[5:]),)
    items = device.split(",")
    for item in items:
        if _index(item) is None:
            raise ToytasksError(f"--device {device}: '{item}' is not cuda:N (a list names "
                                "GPUs by index, e.g. cuda:0,cuda:1)")
    indices = tuple(int(item[5:]) for item in items)
    twice = [i for n, i in enumerate(indices) if i in indices[:n]]
    if twice:
        raise ToytasksError(f"--device {device} names cuda:{twice[0]} twice")
    return "cuda", indices


def check_device(device: str) -> str:
    """The device a trial is made with (``cuda`` for a list), if this machine has every GPU
    named; else one line, before any folder is made. For CUDA, also cuBLAS's fixed
    workspace, which cuBLAS reads when it starts: set here, before any CUDA call, worker
    processes inherit it (``train`` sets it too, for library use)."""
    kind, indices = parse_device(device)
    if kind == "cpu":
        return device
    import torch

    if not torch.cuda.is_available():
        raise ToytasksError(f"--device {device}: no CUDA GPU is available here")
    count = torch.cuda.device_count()
    if indices is not None and max(indices) >= count:
        raise ToytasksError(f"--device {device}: this machine has {count} CUDA GPU(s) "
                            f"(valid: cuda, cuda:0 to cuda:{count - 1})")
    from toytasks.training.train import CUBLAS_WORKSPACE

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    return "cuda" if indices is not None and len(indices) > 1 else device


def gpu_indices(device: str) -> tuple[int, ...]:
    """The GPUs a (checked) device names: none for cpu, every GPU for plain cuda."""
    kind, indices = parse_device(device)
    if kind == "cpu":
        return ()
    if indices is None:
        import torch

        return tuple(range(torch.cuda.device_count()))
    return indices


def worker_gpu(slot: int, gpus: tuple[int, ...]) -> int:
    """Round robin: the GPU of the ``slot``-th worker started (0, 1, 2, ...)."""
    return gpus[slot % len(gpus)]


def pin_worker(gpu: int, memory_fraction: float | None = None) -> None:
    """In a worker process, before its first trial: ``cuda`` now means this GPU, and this
    process may allocate at most ``memory_fraction`` of its memory (an allocation past the
    cap fails that trial with an out-of-memory error instead of starving its neighbours)."""
    import torch

    torch.cuda.set_device(gpu)
    if memory_fraction is not None:
        torch.cuda.set_per_process_memory_fraction(memory_fraction, gpu)


def plan_workers(device: str, workers: int | None = None,
                 workers_per_device: int | None = None,
                 memory_fraction: float | None = None, executor_kind: str = "local",
                 scheduler: str | None = None, where: str = "--") -> Placement:
    """Where trials run: the device, the executor and the worker options, checked together
    and only here (one line per conflict, before any folder is made)."""
    if scheduler and executor_kind != "dask":
        raise ToytasksError(f"{where}scheduler needs {where}executor dask")
    trial_device = check_device(device)
    kind, indices = parse_device(device)
    per, frac = f"{where}workers-per-device", f"{where}gpu-memory-fraction"
    if workers is not None and workers_per_device is not None:
        raise ToytasksError(f"{where}workers and {per} exclude each other ({per} K starts "
                            f"K workers on each GPU of {where}device)")
    if workers_per_device is not None and workers_per_device < 1:
        raise ToytasksError(f"{per} must be at least 1, got {workers_per_device}")
    if memory_fraction is not None and not 0 < memory_fraction <= 1:
        raise ToytasksError(f"{frac} must be in (0, 1], got {memory_fraction:g}")
    if kind == "cpu":
        for name, value in ((per, workers_per_device), (frac, memory_fraction)):
            if value is not None:
                raise ToytasksError(f"{name} needs a CUDA {where}device (cuda, cuda:N or "
                                    f"cuda:N,cuda:M); on the CPU {where}workers sets how "
                                    "many trials run at once")
        return Placement(workers, device=trial_device)
    if executor_kind != "local":
        several = indices is not None and len(indices) > 1
        for name, used in ((per, workers_per_device is not None),
                           (frac, memory_fraction is not None),
                           (f"{where}device {device}", several)):
            if used:
                raise ToytasksError(f"{name} needs {where}executor local: a Dask cluster "
                                    "places its workers on GPUs itself (docs/cluster.md)")
        return Placement(workers, device=trial_device)
    gpus = gpu_indices(device)
    if workers_per_device is not None:
        workers = workers_per_device * len(gpus)
        if workers > BOUNDS["workers"][1]:
            raise ToytasksError(f"{per} {workers_per_device} on {len(gpus)} GPU(s) is "
                                f"{workers} workers (at most {BOUNDS['workers'][1]})")
    elif workers is not None and indices is not None and workers < len(gpus):
        raise ToytasksError(f"{where}workers {workers} leaves GPUs of {where}device {device} "
                            f"idle: give {where}workers {len(gpus)} or more, or {per}")
    return Placement(workers, gpus, memory_fraction, trial_device)


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def local_workers(placement: Placement) -> int:
    """How many local workers a placement starts: as asked, else one per core and at least
    one per GPU."""
    return placement.workers or max(default_workers(), len(placement.gpus))
