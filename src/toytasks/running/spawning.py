"""What spawned worker processes need: classes they can import, and to die with the driver.

Workers are *spawned*: each is a fresh interpreter that imports what a trial names. Two
things go wrong there that one process never sees, so they are checked before any trial:

- A spawned worker re-runs the driver's script (that is how ``multiprocessing`` finds what
  ``__main__`` defines). A script that calls toytasks outside ``if __name__ ==
  "__main__":`` then starts a run inside every worker, and every worker dies.
- A class defined in a notebook cell or an interactive session (``__main__`` without a
  file) cannot be imported by any other process.

And a driver can end without cleaning up (``kill -9``, SIGTERM, an out-of-memory kill):
each worker asks the kernel to kill it when the driver dies (Linux ``PR_SET_PDEATHSIG``),
or elsewhere watches its parent's pid, so no worker outlives its run.
"""

from __future__ import annotations

import ast
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from types import ModuleType

from toytasks.errors import ToytasksError

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL_S = 1.0


def check_spawnable(classes: Iterable[type], flag: str = "--") -> None:
    """Refuse, in one line naming the fix, a run whose spawned workers could not start."""
    main = sys.modules.get("__main__")
    if main is None:
        return
    workers = f"{flag}workers 1" if flag else "workers=1"
    script = _rerun_script(main)
    if script is None:  # a notebook, the interpreter, python -c, python -m package
        for cls in classes:
            if cls.__module__ == "__main__" and not hasattr(main, "__file__"):
                raise ToytasksError(
                    f"{cls.__qualname__} is defined in __main__ (a notebook or an interactive "
                    "session), which worker processes cannot import: move it to a module "
                    f"(name it module:Class), or run with {workers}")
        return
    if not os.path.isfile(script):  # e.g. python - (reads the script from stdin)
        raise ToytasksError(f"worker processes cannot start: they import the main script "
                            f"again, and '{script}' is not a file: save the script to a "
                            f"file, or run with {workers}")
    line = _calling_line(main)
    if line is not None and not _guarded(script, line):
        raise ToytasksError(
            f"{script} starts toytasks at line {line} outside 'if __name__ == \"__main__\":', "
            "so every worker process would run the script again: put the call under that "
            f"guard (docs/api.md), or run with {workers}")


def _rerun_script(main: ModuleType) -> str | None:
    """The file a spawned worker runs again as ``__mp_main__`` (None: it runs nothing);
    the rule of ``multiprocessing.spawn.get_preparation_data`` and ``_fixup_main_*``."""
    name = getattr(getattr(main, "__spec__", None), "name", None)
    path = getattr(main, "__file__", None)
    if name is not None:
        return None if name == "__main__" or name.endswith(".__main__") else path
    if not path or os.path.splitext(os.path.basename(path))[0] == "ipython":
        return None
    return path


def _calling_line(main: ModuleType) -> int | None:
    """The line of the script's top level that is running now (None: not found)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            return frame.f_lineno
        frame = frame.f_back
    return None


def _guarded(path: str, line: int) -> bool:
    """Whether ``line`` of the script lies in an ``if __name__ == "__main__":`` block
    (a file that cannot be read or parsed gets the benefit of the doubt)."""
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    return any(isinstance(node, ast.If) and _is_main_test(node.test)
               and node.body[0].lineno <= line <= (node.body[-1].end_lineno or line)
               for node in ast.walk(tree))


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and consts == ["__main__"]


def die_with_parent(parent: int) -> None:
    """In a worker, first thing: end when process ``parent`` (the driver) ends, however it
    ends. The kernel's parent-death signal fires when the *thread* that started the worker
    ends: the driver starts its pool from the thread that runs the whole run, so that is
    the run's end too. If the driver died before the signal was set, leave now."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:
                os._exit(1)
            return
    threading.Thread(target=_watch, args=(parent,), name="toytasks-parent-watch",
                     daemon=True).start()


def _watch(parent: int) -> None:
    """Elsewhere: poll the parent's pid (a dead parent's children are re-parented)."""
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)
