"""Minimal depth vs sampling rate on ecg-ectopy: measured (the stores written by
scripts/ecg_rate_sweep.sh) next to the receptive-field theory. Writes a Markdown table to
stdout and docs/figures/ecg-rate.png (needs the [plots] extra).

    python scripts/ecg_rate_figure.py [stores/ecg-rate]
"""

from __future__ import annotations

import json
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from toytasks.models import ARCHITECTURES
from toytasks.tasks import get_generator

ARCHS = ["cnn", "tcn", "ecg-resnet", "lstm", "chrono-lstm", "gru", "chrono-gru", "transformer"]
CONV = ["cnn", "tcn", "ecg-resnet"]
MAX_DEPTH = 20


def first_depth(arch: str, samples: int) -> int:
    rf = ARCHITECTURES[arch].receptive_field
    return next(d for d in range(1, 10_000) if rf(d) >= samples)


def measured(root: Path) -> dict[tuple[float, str], dict[int, bool]]:
    """(rate, arch) -> {depth: solved} over every stored trial (1 seed per depth)."""
    out: dict[tuple[float, str], dict[int, bool]] = defaultdict(dict)
    for path in root.glob("ectopy-*hz*/trials.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            trial, result = record["trial"], record["result"]
            hz = float(trial["knobs"]["sampling_hz"])
            out[hz, trial["arch"]][trial["depth"]] = result["status"] == "solved"
    return out


def cell(runs: dict[int, bool] | None, blind_depth: int = 1) -> str:
    """Minimal depth: exact when depth - 1 failed or lies inside the blind window."""
    if not runs:
        return "not run"
    solved = sorted(d for d, ok in runs.items() if ok)
    if not solved:
        return f"> {max(runs)} (unsolved at {', '.join(map(str, sorted(runs)))})"
    best = solved[0]
    below = (best - 1 in runs and not runs[best - 1]) or best - 1 < blind_depth
    return str(best) if below or best == 1 else f"<= {best}"


def main() -> None:
    warnings.simplefilter("ignore")
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "stores/ecg-rate")
    data = measured(root)
    rates = sorted({hz for hz, _ in data})
    print("| rate | T / span / blind | " + " | ".join(ARCHS) + " |")
    print("|---|---|" + "---|" * len(ARCHS))
    theory = {}
    for hz in rates:
        task = get_generator("ecg-ectopy")(sampling_hz=hz)
        cells = []
        for arch in ARCHS:
            lo = first_depth(arch, task.blind_samples + 1) if arch in CONV else 1
            text = cell(data.get((hz, arch)), lo)
            if arch in CONV:
                hi = first_depth(arch, task.span_samples)
                theory[hz, arch] = (lo, hi)
                if text == "not run" and lo > MAX_DEPTH:
                    rf = ARCHITECTURES[arch].receptive_field(MAX_DEPTH)
                    text = f"> {MAX_DEPTH} (RF {rf} <= blind {task.blind_samples})"
                text += f" [theory {lo}-{hi}]"
            cells.append(text)
        print(f"| {hz:g} Hz | {task.seq_len} / {task.span_samples} / {task.blind_samples} | "
              + " | ".join(cells) + " |")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    grid = [20, 50, 100, 250, 500]
    colours = {"cnn": "C0", "tcn": "C1", "ecg-resnet": "C2", "lstm": "C3", "chrono-lstm": "C4",
               "gru": "C5", "chrono-gru": "C6", "transformer": "C7"}
    for arch in CONV:
        spans = [first_depth(arch, get_generator("ecg-ectopy")(sampling_hz=h).span_samples)
                 for h in grid]
        ax.plot(grid, spans, "--", color=colours[arch], alpha=0.6,
                label=f"{arch}: RF = span (theory)")
    for arch in ARCHS:
        xs, ys, open_x, open_y = [], [], [], []
        for hz in rates:
            runs = data.get((hz, arch))
            if not runs:
                continue
            solved = sorted(d for d, ok in runs.items() if ok)
            if solved:
                xs.append(hz)
                ys.append(solved[0])
            else:
                open_x.append(hz)
                open_y.append(max(runs) + 0.5)
        if xs:
            ax.plot(xs, ys, "o-", color=colours[arch], label=f"{arch} (measured)")
        if open_x:
            ax.plot(open_x, open_y, "^", color=colours[arch], mfc="none",
                    label=f"{arch}: unsolved up to the marker")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(grid, [str(g) for g in grid])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("sampling_hz (ecg-ectopy, n_normal = 2)")
    ax.set_ylabel("minimal depth (layers)")
    ax.set_title("Minimal depth vs sampling rate: plain CNN linear, strided/dilated ~log")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    out = Path("docs/figures/ecg-rate.png")
    fig.savefig(out, dpi=120)
    print(f"\n(figure: {out})")


if __name__ == "__main__":
    main()
