"""Minimal depth vs sampling rate on ecg-ectopy: measured (the stores written by
scripts/ecg_rate_sweep.sh and the commands in docs/ecg.md) next to the receptive-field
theory. Writes a Markdown table to stdout and docs/figures/ecg-rate.png (needs the [plots]
extra); `--table-only` skips the figure (docs/ecg.md's table is this output, checked by
tests/docs/test_doc_tables.py).

    python scripts/ecg_rate_figure.py [--table-only] [stores/ecg-rate]
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


def measured(root: Path) -> dict[tuple[float, str], dict[int, tuple[int, int]]]:
    """(rate, arch) -> {depth: (seeds solved, seeds trained)} over every stored trial of
    ecg-ectopy with n_normal = 2 (the default)."""
    out: dict[tuple[float, str], dict[int, list[int]]] = defaultdict(dict)
    seen: set[str] = set()  # a trial stored in two folders counts once
    for path in sorted(root.glob("ectopy-*hz*/trials.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            trial, result = record["trial"], record["result"]
            if int(trial["knobs"].get("n_normal", 2)) != 2 or record["key"] in seen:
                continue
            seen.add(record["key"])
            hz = float(trial["knobs"]["sampling_hz"])
            counts = out[hz, trial["arch"]].setdefault(trial["depth"], [0, 0])
            counts[0] += result["status"] == "solved"
            counts[1] += 1
    return {key: {d: (s, n) for d, (s, n) in runs.items()} for key, runs in out.items()}


def solved(runs: dict[int, tuple[int, int]]) -> dict[int, bool]:
    """A depth is solved when a majority of its seeds solved (docs/search.md)."""
    return {d: 2 * s > n for d, (s, n) in runs.items()}


def cell(runs: dict[int, tuple[int, int]] | None, blind_depth: int = 1) -> str:
    """Minimal depth: exact when depth - 1 failed or lies inside the blind window; the
    seeds per depth when more than one."""
    if not runs:
        return "not run"
    ok = solved(runs)
    seeds = sorted({n for _, n in runs.values()})
    note = "" if seeds == [1] else f" ({'/'.join(map(str, seeds))} seeds)"
    wins = sorted(d for d, s in ok.items() if s)
    if not wins:
        return f"> {max(ok)} (unsolved at {', '.join(map(str, sorted(ok)))}){note}"
    best = wins[0]
    below = (best - 1 in ok and not ok[best - 1]) or best - 1 < blind_depth
    return (str(best) if below or best == 1 else f"<= {best}") + note


def table(root: Path) -> list[str]:
    data = measured(root)
    rates = sorted({hz for hz, _ in data})
    lines = ["| rate | T / span / blind | " + " | ".join(ARCHS) + " |",
             "|---|---|" + "---|" * len(ARCHS)]
    for hz in rates:
        task = get_generator("ecg-ectopy")(sampling_hz=hz)
        cells = []
        for arch in ARCHS:
            lo = first_depth(arch, task.blind_samples + 1) if arch in CONV else 1
            text = cell(data.get((hz, arch)), lo)
            if arch in CONV:
                hi = first_depth(arch, task.span_samples)
                if text == "not run" and lo > MAX_DEPTH:
                    rf = ARCHITECTURES[arch].receptive_field(MAX_DEPTH)
                    text = f"> {MAX_DEPTH} (RF {rf} <= blind {task.blind_samples})"
                text += f" [theory {lo}-{hi}]"
            cells.append(text)
        lines.append(f"| {hz:g} Hz | {task.seq_len} / {task.span_samples} / "
                     f"{task.blind_samples} | " + " | ".join(cells) + " |")
    return lines


def figure(root: Path, out: Path) -> None:
    """Each architecture its own colour and marker (the package's plotting styles); points
    that share a rate and a depth are spread sideways so that none hides another."""
    import matplotlib.ticker

    from toytasks.reading.plotting import arch_styles, pyplot, save

    plt = pyplot()
    data = measured(root)
    styles = arch_styles(ARCHS)
    fig, ax = plt.subplots(figsize=(7.6, 4.6))
    grid = [20, 50, 100, 250, 500]
    for arch in CONV:
        spans = [first_depth(arch, get_generator("ecg-ectopy")(sampling_hz=h).span_samples)
                 for h in grid]
        ax.plot(grid, spans, "--", color=styles[arch][0], alpha=0.6, lw=1,
                label=f"{arch}: RF = span (theory)")
    points: dict[tuple[float, float], list[str]] = defaultdict(list)
    series: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    for arch in ARCHS:
        for hz in sorted({h for h, a in data if a == arch}):
            ok = solved(data[hz, arch])
            wins = sorted(d for d, s in ok.items() if s)
            y = wins[0] if wins else max(ok) + 0.5
            points[hz, y].append(arch)
            series[arch].append((hz, y, bool(wins)))
    for arch in ARCHS:
        colour, marker = styles[arch]
        xs, ys = [], []  # the line joins solved points only: an open marker is a bound
        for hz, y, won in series[arch]:
            group = points[hz, y]
            x = hz * 1.13 ** (group.index(arch) - (len(group) - 1) / 2)
            if won:
                xs.append(x)
                ys.append(y)
            ax.plot([x], [y], marker, ms=7, color=colour,
                    mfc=colour if won else "none", mew=1.5, ls="none")
        if series[arch]:
            ax.plot(xs, ys, "-", color=colour, lw=1.2, alpha=0.8)
            ax.plot([], [], marker + "-", color=colour, label=arch)
    ax.plot([], [], "o", color="0.4", mfc="none", ls="none",
            label="open: unsolved at every depth\nup to the one below it")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(grid, [str(g) for g in grid])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("sampling_hz")
    ax.set_ylabel("minimal depth (layers)")
    ax.set_title("ecg-ectopy (n_normal = 2): minimal depth vs sampling rate", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    save(fig, out)


def main() -> None:
    warnings.simplefilter("ignore")
    args = [a for a in sys.argv[1:] if a != "--table-only"]
    root = Path(args[0] if args else "stores/ecg-rate")
    print("\n".join(table(root)))
    if "--table-only" in sys.argv[1:]:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    out = Path("docs/figures/ecg-rate.png")
    figure(root, out)
    print(f"\n(figure: {out})")


if __name__ == "__main__":
    main()
