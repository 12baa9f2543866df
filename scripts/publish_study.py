"""Publish a study's report as a page of the docs: the project's headline result.

Runs ``toytasks study SPEC --profile P --workers W --out DIR`` (timed), then renders the
report of DIR into ``--doc`` (default docs/ecg-question.md) with its figures beside it
(docs/ecg-question/figures/), headed by the exact command, the measured runtime, the
machine and the git commit it ran from. ``make ecg-question`` runs it for the paper
profile.

    python scripts/publish_study.py --profile paper --workers 2 --out results/ecg-paper
    python scripts/publish_study.py --no-run --out results/ecg-paper   # re-render only

The study must start from an empty --out: a resumed run would time only what was left.
The runtime is kept in DIR/publish.json, so ``--no-run`` re-renders with the measured
runtime of the run that filled DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_INFO = "publish.json"


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def toytasks() -> str:
    found = Path(sys.executable).parent / "toytasks"
    return str(found) if found.is_file() else "toytasks"


def run_study(args: argparse.Namespace, out: Path) -> dict:
    if out.exists() and any(out.iterdir()):
        sys.exit(f"publish_study: {out} is not empty; the runtime of a resumed study would "
                 "not be the study's (use a new --out, or --no-run to re-render it)")
    command = ["toytasks", "study", args.spec, "--profile", args.profile, "--workers",
               str(args.workers), "--out", args.out, "-q"]
    commit, dirty = git("rev-parse", "--short=7", "HEAD"), bool(git("status", "--porcelain"))
    start = time.perf_counter()
    done = subprocess.run([toytasks(), *command[1:-2], str(out), "-q"], cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"publish_study: the study failed (exit {done.returncode}); nothing written")
    info = {"command": " ".join(command), "seconds": round(seconds),
            "commit": commit + ("+dirty" if dirty else ""),
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, "
                       f"{platform.system()}, Python {platform.python_version()}"}
    (out / RUN_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return info


def runtime_text(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{seconds} s ({minutes} min {rest} s)" if minutes else f"{seconds} s"


def _shown(path: Path) -> str:
    """A path inside the repository as the README's commands write it: relative."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def render(out: Path, doc: Path, info: dict, figures: bool) -> None:
    """DIR's report into ``doc``; figures into a folder named after it, links rewritten."""
    assets = doc.with_suffix("")  # docs/ecg-question/
    if assets.exists():
        shutil.rmtree(assets)
    cmd = [toytasks(), "report", str(out), "--out", str(assets)]
    if not figures:
        cmd.append("--no-figures")
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"publish_study: toytasks report failed: {done.stderr.strip()}")
    report = (assets / "report.md").read_text()
    (assets / "report.md").unlink()
    report = report.replace("](figures/", f"]({assets.name}/figures/")
    title, _, body = report.partition("\n")
    if "seconds" in info:
        how = (f"Made by `{info['command']}`, which took **{runtime_text(info['seconds'])}** "
               f"wall time on {info['machine']} ({info['date']}, from commit "
               f"`{info['commit']}`).")
    else:
        how = "Runtime: to be measured (rendered with --no-run from a folder with no record)."
    head = (f"{title}\n\n{how} Regenerate this page with `python scripts/publish_study.py` "
            f"and the same options (`make ecg-question` for the paper profile); re-render it "
            f"from the same results with `python scripts/publish_study.py --no-run --out "
            f"{_shown(out)}`.\n")
    doc.write_text(head + body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="ecg-question")
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="results/ecg-paper")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "ecg-question.md"))
    parser.add_argument("--no-run", action="store_true", help="re-render an existing folder")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    if args.no_run:
        path = out / RUN_INFO
        info = json.loads(path.read_text()) if path.is_file() else {}
    else:
        info = run_study(args, out)
    render(out, Path(args.doc).resolve(), info, not args.no_figures)
    print(f"publish_study: wrote {args.doc}")


if __name__ == "__main__":
    main()
