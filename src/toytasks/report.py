"""`toytasks report DIR`: a Markdown report of a study, one section per explanation (a)–(e).

Each section states the explanation, the experiment that tests it (with the equivalent
commands), the evidence (per architecture and depth: successes/seeds with the 95%
Clopper–Pearson interval), figures, and a one-line verdict computed by ``toytasks.verdicts``
with its rule written out. The report is a pure function of ``DIR/study.json`` and the
stores under DIR: the same folder renders the same bytes (figures included).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabulate import tabulate

from toytasks.errors import ToytasksError
from toytasks.stats import interval_text
from toytasks.store import ResultStore
from toytasks.study import EXPLANATIONS, LETTERS, read_manifest, store_dir
from toytasks.summary import Row, summarise
from toytasks.table import render
from toytasks.verdicts import (
    GENERAL_RULE,
    INCONCLUSIVE,
    RULES,
    Verdict,
    verdict_a,
    verdict_b,
    verdict_c,
    verdict_d,
    verdict_e,
)

REPORT = "report.md"
FIGURES = "figures"


@dataclass
class Section:
    letter: str
    exp: dict[str, Any] | None
    rows: list[Row]
    records: list[dict[str, Any]]
    verdict: Verdict


def load_sections(root: Path) -> tuple[dict[str, Any], list[Section]]:
    """The manifest and, per explanation, the rows, records and verdict (no figures)."""
    manifest = read_manifest(root)
    sections = []
    for letter in LETTERS:
        exp = manifest["experiments"].get(letter)
        folder = store_dir(root, letter)
        records = (ResultStore(folder, create=False).records()
                   if exp is not None and (folder / "trials.jsonl").is_file() else [])
        rows = summarise(records) if records else []
        sections.append(Section(letter, exp, rows, records, judge(letter, exp, rows, records)))
    return manifest, sections


def judge(letter: str, exp: dict[str, Any] | None, rows: list[Row],
          records: list[dict[str, Any]]) -> Verdict:
    """The verdict for one explanation from its experiment's results."""
    if exp is None:
        return Verdict(letter, INCONCLUSIVE, "not tested by this study")
    if not rows:
        return Verdict(letter, INCONCLUSIVE, "no results yet (run the study)")
    if letter == "a":
        return verdict_a(rows, exp["conv"], exp["recurrent"], exp["vary"])
    if letter == "b":
        return verdict_b(rows, records, exp["arch"], exp["residual"])
    if letter == "c":
        return verdict_c(rows, records, exp["recurrent"], exp["conv"])
    if letter == "d":
        return verdict_d(rows, exp["pairs"])
    return verdict_e(rows, exp["recurrent"], exp["conv"], exp["match_params"])


def verdict_table(sections: list[Section], fmt: str = "github") -> str:
    body = [[f"({s.letter})", EXPLANATIONS[s.letter][1], f"**{s.verdict.outcome}**"
             if fmt == "github" else s.verdict.outcome, s.verdict.line] for s in sections]
    return tabulate(body, headers=["", "explanation", "verdict", "what the data show"],
                    tablefmt=fmt, disable_numparse=True)


def write_report(root: str | Path, out: str | Path, figures: bool = True) -> Path:
    """Render DIR's report into ``out``/report.md (and ``out``/figures/ when matplotlib is
    installed and ``figures``); returns the Markdown file's path."""
    root, out = Path(root), Path(out)
    manifest, sections = load_sections(root)
    drawn: dict[str, list[tuple[str, str]]] = {}
    figure_note = ""
    if figures:
        try:
            drawn = _figures(sections, out / FIGURES)
        except ToytasksError as exc:
            if "matplotlib" not in str(exc):
                raise
            figure_note = f"Figures skipped: {exc}."
    else:
        figure_note = "Figures not drawn (--no-figures)."
    path = out / REPORT
    try:
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(manifest, sections, drawn, figure_note))
    except OSError as exc:  # e.g. --out under a file: one line, not a traceback
        raise ToytasksError(f"cannot write report '{path}' ({exc.strerror or exc})") from None
    return path


def render_report(manifest: dict[str, Any], sections: list[Section],
                  drawn: dict[str, list[tuple[str, str]]], figure_note: str = "") -> str:
    lines = [f"# {manifest.get('question') or manifest.get('study', 'Study')}", ""]
    if manifest.get("description"):
        lines += [manifest["description"], ""]
    versions = sorted({v for s in sections for r in s.rows for v in r.versions})
    lines += [f"Study `{manifest.get('study')}` ({manifest.get('spec')}), profile "
              f"`{manifest.get('profile')}`; results made with "
              f"{', '.join('toytasks ' + v for v in versions) or 'no results yet'}. "
              f"Rerun: `toytasks study {manifest.get('spec')} --profile "
              f"{manifest.get('profile')} --out DIR`.", ""]
    if figure_note:
        lines += [figure_note, ""]
    lines += ["## Verdicts", "", verdict_table(sections), "",
              f"How a verdict is reached: {GENERAL_RULE} Each section states its own rule; "
              "intervals are exact 95% Clopper–Pearson intervals of the success rate over "
              "the seeds counted (`successes/seeds [low-high]`).", ""]
    for section in sections:
        lines += _section(section, drawn.get(section.letter, []))
    lines += ["## Appendix: minimal-depth tables", "",
              "The tables `toytasks table DIR/<letter> --format github` prints, with their "
              "caption lines (task, budget, rule, code version).", ""]
    for section in sections:
        if section.rows:
            lines += [f"### ({section.letter}) {EXPLANATIONS[section.letter][0]}", "",
                      render(section.rows, "github"), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section, figures: list[tuple[str, str]]) -> list[str]:
    title, claim = EXPLANATIONS[section.letter]
    lines = [f"## ({section.letter}) {title}", "", f"> {claim}", ""]
    exp = section.exp
    if exp is None:
        return [*lines, f"**Verdict: {section.verdict.outcome}.** {section.verdict.line}.", ""]
    lines += ["**Experiment.** " + _experiment_text(section.letter, exp), ""]
    if exp.get("note"):
        lines += [exp["note"], ""]
    lines += ["```", *_commands(section.letter, exp), "```", ""]
    if section.rows:
        lines += ["**Evidence.** Per depth: successes/seeds [95% interval], ✓ solved, "
                  "✗ not solved, ? undecided (by the study's rule).", "",
                  _evidence_table(section.rows), ""]
    for caption, path in figures:
        lines += [f"![{caption}]({path})", ""]
    lines += [f"**Verdict: {section.verdict.outcome}.** {section.verdict.line}.", "",
              f"*Rule:* {RULES[section.letter]}", ""]
    return lines


def _experiment_text(letter: str, exp: dict[str, Any]) -> str:
    knobs = ", ".join(f"{k}={v}" for k, v in exp["knobs"].items()
                      if not (letter == "a" and k == exp["vary"]))
    seeds = f"{exp['seeds']} seed{'s' if exp['seeds'] != 1 else ''}"
    lrs = ",".join(f"{lr:g}" for lr in exp["lr"])
    budget = (f"{seeds}, rule {exp['rule']}, {exp['steps']} steps, batch {exp['batch_size']}, "
              f"lr {lrs}, width {exp['width']}")
    task = f"`{exp['task']}` ({knobs})"
    if letter == "a":
        values = ", ".join(map(str, exp["values"]))
        return (f"minimal depth of `{exp['conv']}` and `{exp['recurrent']}` on {task} at "
                f"{exp['vary']} = {values} (the span grows with it), depths "
                f"{exp['min_depth']}..{exp['max_depth']}; {budget}.")
    if letter == "b":
        depths = ", ".join(map(str, exp["depths"]))
        return (f"`{exp['arch']}` and `{exp['residual']}` on {task} at depths {depths}, every "
                f"seed trained, per-layer gradient norms recorded (--diagnostics); {budget}.")
    if letter == "c":
        return (f"minimal depth of `{exp['recurrent']}` and `{exp['conv']}` on {task} trained "
                f"on a fixed set of {exp['train_size']} examples (--train-size), train and "
                f"held-out metric recorded (--diagnostics); {budget}.")
    if letter == "d":
        pairs = "; ".join(f"`{g}` vs `{p}`" for g, p in exp["pairs"])
        return (f"minimal depth on {task} of each pair differing only in multiplicative "
                f"gating: {pairs}; depths {exp['min_depth']}..{exp['max_depth']}; {budget}.")
    return (f"minimal depth of `{exp['recurrent']}` and `{exp['conv']}` on {task}, at the "
            f"fixed width and with the width chosen per depth for ~{exp['match_params']:,} "
            f"parameters (--match-params); {budget}.")


def _commands(letter: str, exp: dict[str, Any]) -> list[str]:
    """Equivalent `toytasks` commands (the study also confirms the decisive cells)."""
    sets = ",".join(f"{k}={v}" for k, v in exp["knobs"].items()
                    if not (letter == "a" and k == exp["vary"]))
    common = (f"--seeds {exp['seeds']} --rule {exp['rule']} --steps {exp['steps']} "
              f"--batch-size {exp['batch_size']} --lr {','.join(f'{lr:g}' for lr in exp['lr'])}")
    archs = ",".join(exp["archs"])
    depth = f"--min-depth {exp['min_depth']} --max-depth {exp['max_depth']}"
    task = f"--task {exp['task']} --set {sets}" if sets else f"--task {exp['task']}"
    search = f"--search {exp['search']}"
    if letter == "a":
        values = ",".join(map(str, exp["values"]))
        return [f"toytasks sweep {task} --vary {exp['vary']}={values} --arch {archs} "
                f"{depth} {common} --width {exp['width']} {search}"]
    if letter == "b":
        return [f"toytasks run {task} --arch {archs} --min-depth {d} --max-depth {d} "
                f"{common} --width {exp['width']} --exhaustive --diagnostics"
                for d in exp["depths"]]
    if letter == "c":
        return [f"toytasks run {task} --arch {archs} {depth} {common} --width {exp['width']} "
                f"{search} --train-size {exp['train_size']} --diagnostics"]
    if letter == "d":
        return [f"toytasks run {task} --arch {archs} {depth} {common} --width {exp['width']} "
                f"{search}"]
    return [f"toytasks run {task} --arch {archs} {depth} {common} --width {exp['width']} "
            f"{search}",
            f"toytasks run {task} --arch {archs} {depth} {common} --match-params "
            f"{exp['match_params']} {search}"]


def _evidence_table(rows: list[Row]) -> str:
    varying = [k for k in sorted(rows[0].config["knobs"])
               if len({repr(r.config["knobs"].get(k)) for r in rows}) > 1]
    body = []
    for row in rows:
        label = ", ".join(f"{k}={row.config['knobs'][k]}" for k in varying)
        if row.match_params:
            label = ", ".join(filter(None, [label, f"~{row.match_params:,} params"]))
        cells = []
        for depth, stats in sorted(row.depths.items()):
            mark = "?" if not stats.decided else ("✓" if stats.solved else "✗")
            cells.append(f"{depth}: {interval_text(stats.successes, stats.seeds)} {mark}")
        minimal = str(row.minimal_depth) if row.minimal_depth else f">{row.max_depth_tried}"
        body.append([row.arch, label or "-", minimal,
                     str(row.rf_bound) if row.rf_bound is not None else "-",
                     f"{row.evidence.params:,}", "; ".join(cells)])
    return tabulate(body, headers=["arch", "configuration", "minimal depth", "RF bound",
                                   "params", "per depth"], tablefmt="github",
                    disable_numparse=True)


def _figures(sections: list[Section], folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Draw each section's figures (imported here: matplotlib is an optional extra)."""
    from toytasks.figures import (
        grad_norm_by_layer,
        gradient_vs_lag,
        min_depth_vs_knob,
        success_vs_depth,
        task_examples,
    )
    from toytasks.tasks import get_generator

    drawn: dict[str, list[tuple[str, str]]] = {}
    for section in sections:
        if not section.rows or section.exp is None:
            continue
        letter, rows, exp = section.letter, section.rows, section.exp
        items: list[tuple[str, str]] = []
        drawn[letter] = items

        def add(name: str, caption: str, draw: Any, items: list = items) -> None:
            draw(folder / name)
            items.append((caption, f"{FIGURES}/{name}"))

        config = rows[0].config
        task = get_generator(config["generator"])(**config["knobs"])
        add(f"{letter}-task.png", f"({letter}) examples of the task, deciding span marked",
            lambda p, t=task: task_examples(t, p))
        if letter == "e":
            rows = [r for r in rows if r.match_params]
        add(f"{letter}-success-vs-depth.png",
            f"({letter}) success rate vs depth, 95% bands; circle: minimal depth",
            lambda p, r=rows: success_vs_depth(r, p))
        if letter == "a":
            add(f"a-min-depth-vs-{exp['vary']}.png",
                f"(a) minimal depth vs {exp['vary']}, receptive-field bound dashed",
                lambda p, s=section, k=exp["vary"]: min_depth_vs_knob(s.rows, k, p))
            if any((r.get("result") or {}).get("diagnostics") for r in section.records):
                add("a-gradient-vs-lag.png", "(a) input gradient by lag after training",
                    lambda p, s=section: gradient_vs_lag(s.records, p))
        if letter == "b":
            deep = max(exp["depths"])
            add("b-grad-norm-by-layer.png",
                f"(b) per-layer gradient norm at depth {deep}, dashed at initialisation",
                lambda p, d=deep, s=section: grad_norm_by_layer(s.records, p, depths=[d]))
    return drawn
