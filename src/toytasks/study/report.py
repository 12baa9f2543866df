"""`toytasks report DIR`: a Markdown report of a study, one section per explanation.

Each section states the explanation, the experiment that tests it (with the equivalent
commands), the evidence (per architecture and depth: successes/seeds with the 95%
Clopper–Pearson interval), figures, and a one-line verdict computed by the explanation's
own rule (``toytasks.study.explanations``), written out. The report is a pure function of
``DIR/study.json`` and the stores under DIR: the same folder renders the same bytes
(figures included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from toytasks.errors import ToytasksError
from toytasks.reading.evidence_table import render_evidence
from toytasks.reading.records import TrialRecord
from toytasks.reading.store import ResultStore
from toytasks.reading.summary import Row, summarise
from toytasks.reading.table import grid, render
from toytasks.reading.unsolved import LEGEND
from toytasks.study.budget import (
    RERUN_FACTOR,
    RERUN_SEEDS,
    budget_note,
    deciding_cells,
    rerun_lines,
    split_reruns,
)
from toytasks.study.experiment import MANIFEST, read_manifest, store_dir
from toytasks.study.explanations import EXPLANATIONS, GENERAL_RULE, INCONCLUSIVE, Parts, Verdict
from toytasks.study.extension import SEED_STEP, remaining_text
from toytasks.study.extension import plan as extension_plan
from toytasks.study.fragility import fragility, rests_on_learning
from toytasks.study.sections import Section

REPORT = "report.md"
FIGURES = "figures"


def load_sections(root: Path) -> tuple[dict[str, Any], list[Section]]:
    """The manifest and, per explanation, the rows, records and verdict (no figures)."""
    manifest = read_manifest(root)
    sections = []
    for letter in EXPLANATIONS:
        exp = manifest["experiments"].get(letter)
        folder = store_dir(root, letter)
        stored = (ResultStore(folder, create=False).records()
                  if exp is not None and (folder / "trials.jsonl").is_file() else [])
        records, reruns = split_reruns(stored, exp)  # reruns are shown, never judged
        rows = summarise(records) if records else []
        verdict = judge(letter, exp, rows, records, reruns,
                        int(manifest.get("fragile_seeds") or 0))
        sections.append(Section(letter, exp, rows, records, verdict, reruns,
                                bool(manifest.get("budget_reruns"))))
    return manifest, sections


def judge(letter: str, exp: dict[str, Any] | None, rows: list[Row],
          records: list[TrialRecord], reruns: list[TrialRecord] | None = None,
          cap: int = 0) -> Verdict:
    """The verdict for one explanation from its experiment's results (``reruns``: budget
    reruns of its unsolved cells, which can only add a note to it; ``cap``: the seeds a
    fragile cell may get, ``fragile_seeds``: a fragile verdict says which cells have it)."""
    if exp is None:
        return Verdict(letter, INCONCLUSIVE, "not tested by this study")
    if not rows:
        return Verdict(letter, INCONCLUSIVE, "no results yet (run the study)")
    explanation = EXPLANATIONS[letter]
    verdict = explanation.judge(rows, records, exp)
    def again(r: list[Row], rec: list[TrialRecord]) -> Verdict:
        return explanation.judge(r, rec, exp)

    learning = rests_on_learning(rows, records, verdict, again) \
        if verdict.outcome != INCONCLUSIVE else ""
    budget = budget_note(rows, records, reruns, verdict, again, int(exp["steps"])) \
        if reruns else ""
    fragile = fragility(rows, records, verdict, again)
    if fragile and cap:
        fragile += _at_cap(rows, records, verdict, again, cap)
    return replace(verdict, fragile=fragile, learning=learning, budget=budget)


def _at_cap(rows: list[Row], records: list[TrialRecord], verdict: Verdict,
            again: Callable[[list[Row], list[TrialRecord]], Verdict], cap: int) -> str:
    """Which fragile cells have the cap of seeds, and how many do not yet."""
    grow, stuck = extension_plan(rows, records, verdict, again, cap)
    notes = [remaining_text(rows, stuck, cap)] if stuck else []
    if grow:
        notes.append(f"{len(grow)} fragile cell(s) below the cap of {cap} seeds (run the "
                     "study again: it resumes and adds seeds)")
    return "".join(f"; {n}" for n in notes)


def outcome_text(verdict: Verdict) -> str:
    """'supported', or 'supported (fragile)' when one seed's outcome could flip it."""
    return f"{verdict.outcome} (fragile)" if verdict.fragile else verdict.outcome


def verdict_text(verdict: Verdict) -> str:
    """The verdict's line, with the cells that make it fragile."""
    fragile = f"; fragile: {verdict.fragile}" if verdict.fragile else ""
    learning = (f"; rests on unsolved cells still learning when the budget ran out (above "
                f"chance, below the threshold: a longer budget might solve them): "
                f"{verdict.learning}") if verdict.learning else ""
    budget = (f"; rests on the step budget: unsolved cells it reads solved when rerun with "
              f"{RERUN_FACTOR}x the steps and early stopping off: {verdict.budget}"
              ) if verdict.budget else ""
    return f"{verdict.line}{learning}{budget}{fragile}"


def _firm_up(manifest: dict[str, Any]) -> str:
    cap = manifest.get("fragile_seeds")
    if cap:
        return (f"this study adds seeds to the cells that make a verdict fragile, {SEED_STEP} at "
                f"a time "
                f"up to {cap} (only the new seeds train), and names the cells still fragile "
                "at that cap.")
    return ("to firm it up, raise that section's `seeds` in the study spec (up to 30) and "
            "rerun the study into the same folder: it resumes, and only the new seeds train.")


def verdict_table(sections: list[Section], fmt: str = "github") -> str:
    body = [[f"({s.letter})", EXPLANATIONS[s.letter].claim,
             f"**{outcome_text(s.verdict)}**" if fmt == "github" else outcome_text(s.verdict),
             verdict_text(s.verdict)] for s in sections]
    return grid(["", "explanation", "verdict", "what the data show"], body, fmt)


def write_report(root: str | Path, out: str | Path, figures: bool = True) -> Path:
    """Render DIR's report into ``out``/report.md (and ``out``/figures/ when matplotlib is
    installed and ``figures``); returns the Markdown file's path."""
    root, out = Path(root), Path(out)
    try:
        return _write_report(root, out, figures)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # a hand-edited study.json whose values have the wrong shape: one line, no traceback
        raise ToytasksError(f"{root / MANIFEST}: a value has the wrong type or shape "
                            f"({type(exc).__name__}: {exc}; hand-edited? rerun toytasks "
                            "study to rewrite it)") from None


def _write_report(root: Path, out: Path, figures: bool) -> Path:
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
              "the seeds counted (`successes/seeds [low-high]`). A verdict marked *fragile* "
              "changes if one seed's outcome in a cell it names flipped (each seed of each "
              "cell is flipped in turn); " + _firm_up(manifest), ""]
    for section in sections:
        lines += _section(section, drawn.get(section.letter, []))
    lines += ["## Appendix: minimal-depth tables", "",
              "The tables `toytasks table DIR/<letter> --format github` prints, with their "
              "caption lines (task, budget, rule, code version).", ""]
    for section in sections:
        if section.rows:
            lines += [f"### ({section.letter}) {EXPLANATIONS[section.letter].title}", "",
                      render(section.rows, "github"), ""]
    return "\n".join(lines).rstrip() + "\n"


def _section(section: Section, figures: list[tuple[str, str]]) -> list[str]:
    explanation = EXPLANATIONS[section.letter]
    lines = [f"## ({section.letter}) {explanation.title}", "", f"> {explanation.claim}", ""]
    exp = section.exp
    if exp is None:
        return [*lines, f"**Verdict: {section.verdict.outcome}.** {section.verdict.line}.", ""]
    parts = _parts(exp, explanation.varies)
    lines += ["**Experiment.** " + explanation.experiment_text(exp, parts), ""]
    if exp.get("note"):
        lines += [exp["note"], ""]
    lines += ["```", *explanation.commands(exp, parts), "```", ""]
    if section.rows:
        lines += ["**Evidence.** Per depth: successes/seeds [95% interval], ✓ solved, "
                  "✗ not solved, ? undecided (by the study's rule). " + LEGEND, "",
                  render_evidence(section.rows), ""]
    lines += _reruns(section)
    for caption, path in figures:
        lines += [f"![{caption}]({path})", ""]
    lines += [f"**Verdict: {outcome_text(section.verdict)}.** {verdict_text(section.verdict)}.",
              "",
              f"*Rule:* {explanation.rule}", ""]
    return lines


def _reruns(section: Section) -> list[str]:
    """The budget reruns of the section's deciding unsolved cells: class, then outcome."""
    if not section.reruns and not (section.reruns_asked and section.rows):
        return []
    head = (f"**Budget reruns.** Each unsolved cell whose being solved would change the "
            f"verdict, unless provably blind, rerun on {RERUN_SEEDS} seeds with "
            f"{RERUN_FACTOR}x the steps and early stopping off (trials of their own, never "
            "counted in the evidence or the verdict).")
    lines = rerun_lines(section.rows, section.reruns, int(section.exp["steps"])) \
        if section.exp else []
    if not lines:
        waiting = len(deciding_cells(section.letter, section.exp, section.records)) \
            if section.exp else 0
        return [head + (f" {waiting} deciding unsolved cell(s) not rerun yet (run the study "
                        "again: it resumes)." if waiting else
                        " No unsolved cell decides this verdict."), ""]
    return [head, "", *(f"- {line}" for line in lines), ""]


def _parts(exp: dict[str, Any], varies: str | None) -> Parts:
    """The text and command pieces every explanation's section shares; the knob a section
    sweeps (``varies`` names its key) is left out of the fixed knobs."""
    swept = exp.get(varies) if varies else None  # (f) sweeps only with 'rates'
    knobs = {k: v for k, v in exp["knobs"].items() if k != swept}
    seeds = f"{exp['seeds']} seed{'s' if exp['seeds'] != 1 else ''}"
    lrs = ",".join(f"{lr:g}" for lr in exp["lr"])
    sets = ",".join(f"{k}={v}" for k, v in {**knobs, **exp.get("arch_knobs", {})}.items())
    return Parts(
        task=f"`{exp['task']}` ({', '.join(f'{k}={v}' for k, v in knobs.items())})",
        budget=(f"{seeds}, rule {exp['rule']}, {exp['steps']} steps, batch "
                f"{exp['batch_size']}, lr {lrs}, width {exp['width']}"),
        task_option=f"--task {exp['task']} --set {sets}" if sets else f"--task {exp['task']}",
        common=(f"--seeds {exp['seeds']} --rule {exp['rule']} --steps {exp['steps']} "
                f"--batch-size {exp['batch_size']} --lr {lrs}"),
        archs=",".join(exp["archs"]),
        depth=f"--min-depth {exp['min_depth']} --max-depth {exp['max_depth']}",
        search=f"--search {exp['search']}",
    )


def _figures(sections: list[Section], folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Draw each section's figures (the explanation says which; matplotlib is imported
    only then: it is an optional extra)."""
    drawn: dict[str, list[tuple[str, str]]] = {}
    for section in sections:
        if not section.rows or section.exp is None:
            continue
        items = drawn.setdefault(section.letter, [])
        for name, caption, draw in EXPLANATIONS[section.letter].figures(section):
            draw(folder / name)
            items.append((caption, f"{FIGURES}/{name}"))
    return drawn
