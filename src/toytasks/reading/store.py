"""Append-only JSONL results store, keyed by trial hash, with provenance.

One line per finished trial, written with flush + fsync, so a record is complete or
absent. A torn last line (the process died mid-write) is ignored with a warning; a broken
line anywhere else means someone edited the file, and is an error naming the line.
A trial's first record is its result, with one exception: an ``error`` whose worker was
lost (``trial.lost_worker``) is retried by a later run, and the retry's record supersedes
it while the error stays in the file and in ``history``. Everything downstream (tables,
regression check, plots, report) reads only this file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toytasks import __version__
from toytasks.errors import ToytasksError
from toytasks.reading.records import TrialRecord
from toytasks.training.trial import Trial, TrialResult, config_hash, lost_worker

TRIALS_FILE = "trials.jsonl"
RUNS_FILE = "runs.jsonl"
LOCK_FILE = ".lock"
MIN_FREE_BYTES = 16 * 2**20  # a record is ~2 KiB: refuse to start a run on a full disk


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: store them as null so every line is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def provenance(device: str = "cpu") -> dict[str, Any]:
    """Where and with what a run's trials were computed (not part of their identity).

    ``threads`` is the torch thread count that ``train`` fixes for every trial; ``device_name``
    names the CPU model or GPU, because bit-level results can differ between them.
    """
    import numpy
    import torch

    from toytasks.training.train import TRIAL_THREADS

    commit, dirty = git_state()
    return {
        "toytasks": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": f"{sys.platform}-{platform.machine()}",
        "device": device,
        "device_name": device_name(device),
        "threads": TRIAL_THREADS,
    }


def device_name(device: str) -> str | None:
    """The GPU's name for cuda devices, else the CPU model (from /proc/cpuinfo when present)."""
    if device.startswith("cuda"):
        try:
            import torch

            return str(torch.cuda.get_device_name(torch.device(device)))
        except (RuntimeError, AssertionError, ValueError):
            return None
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip() or None
    except OSError:
        pass
    return platform.processor() or None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(__file__).parent, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_state() -> tuple[str | None, bool | None]:
    """(commit, has uncommitted changes to tracked files) of the source tree, when it is a
    git checkout; (None, None) for an installed package."""
    head = _git("rev-parse", "HEAD")
    if not head or not head.strip():
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return head.strip(), (bool(status.strip()) if status is not None else None)


def _append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one record as one ``write`` on an O_APPEND descriptor, then fsync.

    One system call per line means concurrent appenders never interleave inside a line,
    and a crash leaves at most one torn line, at the end.
    """
    data = (json.dumps(_finite(record), sort_keys=True, allow_nan=False) + "\n").encode()
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _lost_worker(record: dict[str, Any]) -> bool:
    return lost_worker(TrialResult.from_dict(record["result"]))


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _drop_torn_tail(path: Path) -> None:
    """Repair an unterminated last line before appending after it.

    A complete record that only lacks its newline (the write stopped one byte short) is
    kept and terminated, as the reader already counted it; anything else is cut off, so
    the next append starts on a line of its own.
    """
    if not path.exists():
        return
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return
    start = data.rfind(b"\n") + 1
    tail = data[start:].decode("utf-8", errors="replace")
    with open(path, "r+b") as handle:
        if _parse(tail) is not None:
            handle.seek(0, os.SEEK_END)
            handle.write(b"\n")
        else:
            handle.truncate(start)
        handle.flush()
        os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Strict JSONL reader that tolerates only a torn final line."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToytasksError(f"{path}: cannot read results ({exc})") from None
    lines = text.split("\n")
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _parse(line)
        if record is None:
            if number == len(lines):  # no newline after it: the write was interrupted
                warnings.warn(f"{path}:{number}: ignoring a torn last line (interrupted write)",
                              stacklevel=2)
                continue
            raise ToytasksError(f"{path}:{number}: broken record (not a JSON object)")
        records.append(record)
    return records


class ResultStore:
    """A results folder: trials.jsonl (one record per trial) and runs.jsonl (a log of the
    invocations that wrote it, for people: nothing reads it back)."""

    def __init__(self, root: str | Path, create: bool = True) -> None:
        self.root = Path(root)
        if create:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                probe = self.root / ".write-test"
                probe.write_text("ok")
                probe.unlink()
                free = shutil.disk_usage(self.root).free
            except OSError as exc:
                raise ToytasksError(
                    f"results folder '{self.root}' is not writable ({exc.strerror})"
                ) from None
            if free < MIN_FREE_BYTES:
                raise ToytasksError(
                    f"results folder '{self.root}' has only {free // 1024} KiB free (needs "
                    f"{MIN_FREE_BYTES // 2**20} MiB); free some space or choose another --out"
                )
        elif not (self.root / TRIALS_FILE).exists():
            raise ToytasksError(f"'{self.root}' holds no results ({TRIALS_FILE} not found)")
        self.trials_path = self.root / TRIALS_FILE
        self.runs_path = self.root / RUNS_FILE
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._written: set[str] = set()  # keys this store object appended (this run)
        self._cache = self._load()
        if create:
            for path in (self.trials_path, self.runs_path):
                _drop_torn_tail(path)

    def _load(self) -> dict[str, dict[str, Any]]:
        records: dict[str, dict[str, Any]] = {}
        for record in read_jsonl(self.trials_path):
            if not {"key", "trial", "result"} <= set(record):
                raise ToytasksError(f"{self.trials_path}: record without key/trial/result")
            if record["key"] != config_hash(record["trial"]):
                raise ToytasksError(
                    f"{self.trials_path}: record {record['key']} does not match its trial "
                    "configuration (edited by hand?): restore or delete that line, or resume and "
                    "tables would trust a wrong result"
                )
            earlier = records.get(record["key"])
            if earlier is None:
                records[record["key"]] = record
            elif _lost_worker(earlier):  # a later run retried it: the retry is the result
                self._history.setdefault(record["key"], []).append(earlier)
                records[record["key"]] = record
            # else a second record of a settled trial (two writers raced): the first counts
        return records

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __len__(self) -> int:
        return len(self._cache)

    def result(self, key: str) -> TrialResult:
        return TrialResult.from_dict(self._cache[key]["result"])

    def history(self, key: str) -> list[TrialResult]:
        """Earlier results of ``key`` that a retry superseded (lost-worker errors), oldest
        first; the file keeps every one of them."""
        return [TrialResult.from_dict(r["result"]) for r in self._history.get(key, [])]

    def retry_due(self, key: str, max_errors: int) -> bool:
        """Whether a run should train ``key`` again although it is stored: its result is a
        lost-worker error stored by an earlier run, and fewer than ``max_errors`` such
        errors are stored for it (a trial that keeps killing its worker is given up)."""
        record = self._cache.get(key)
        return (record is not None and key not in self._written and _lost_worker(record)
                and len(self._history.get(key, ())) + 1 < max_errors)

    def records(self) -> list[TrialRecord]:
        """Every stored trial, in the order first stored, as typed records."""
        return [TrialRecord.from_dict(record) for record in self._cache.values()]

    def append(self, trial: Trial, result: TrialResult, prov: dict[str, Any],
               search: dict[str, Any] | None = None) -> None:
        """Store one finished trial; ``search`` records how the run that asked for it decides
        (seeds requested, rule), so a table read back later applies the same rule."""
        earlier = self._cache.get(trial.key)
        if earlier is not None and not _lost_worker(earlier):
            return
        record = {
            "key": trial.key,
            "trial": trial.config(),
            "result": result.to_dict(),
            "search": search or {},
            "provenance": {**prov, "date": dt.datetime.now(dt.UTC).isoformat()},
        }
        self._write(self.trials_path, record)
        if earlier is not None:
            self._history.setdefault(trial.key, []).append(earlier)
        self._cache[trial.key] = json.loads(json.dumps(_finite(record)))
        self._written.add(trial.key)

    def log_run(self, manifest: dict[str, Any]) -> None:
        self._write(self.runs_path, manifest)

    def _write(self, path: Path, record: dict[str, Any]) -> None:
        try:
            _append_line(path, record)
        except OSError as exc:  # full disk, folder removed, permissions changed mid-run
            raise ToytasksError(
                f"cannot write to {path} ({exc.strerror or exc}); the {len(self)} trial(s) "
                "stored before are intact: fix the folder and rerun the same command to resume"
            ) from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one writer: a second run on it gets a clear 'in use' error.

        An OS file lock (flock): it is released when the process ends, however it ends,
        so a killed run never leaves a stale lock behind.
        """
        path = self.root / LOCK_FILE
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the whole run)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise ToytasksError(
                    f"results folder '{self.root}' is in use by another toytasks run "
                    f"({holder}); wait for it to finish or choose another --out"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()
