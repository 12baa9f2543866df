"""The explanation registry: one module per explanation, found by its file name; a new
explanation is one file, and studies and reports pick it up without other changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import toytasks.study.explanations as registry
from toytasks.errors import ToytasksError
from toytasks.study.experiment import load_study
from toytasks.study.explanations import EXPLANATIONS, Explanation
from toytasks.study.report import judge

NEW_MODULE = '''
from toytasks.study.explanations.d_multiplication import Multiplication


class Products(Multiplication):
    letter = "i"
    title = "products again"
    claim = "gated archs need fewer layers on products (a copy of (d) as a new letter)"
    keys = ("pairs",)
    rule = "supported when the test module says so"


EXPLANATION = Products()
'''


def test_the_registry_holds_a_to_h_in_letter_order_each_complete():
    assert list(EXPLANATIONS) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    for letter, explanation in EXPLANATIONS.items():
        assert isinstance(explanation, Explanation) and explanation.letter == letter
        assert explanation.title and explanation.claim and explanation.rule and explanation.keys


@pytest.fixture
def explanation_i(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Explanation:
    """A new explanation (i) as one new file in a folder of the package's search path."""
    (tmp_path / "i_products.py").write_text(NEW_MODULE)
    (tmp_path / "notes.py").write_text("raise AssertionError('not an explanation module')\n")
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "toytasks.study.explanations.i_products", raising=False)
    found = registry._discover()
    assert list(found) == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    monkeypatch.setitem(EXPLANATIONS, "i", found["i"])
    yield found["i"]
    sys.modules.pop("toytasks.study.explanations.i_products", None)


def test_a_new_explanation_is_one_file_that_studies_and_reports_pick_up(explanation_i,
                                                                        tmp_path: Path):
    spec = tmp_path / "study.toml"
    spec.write_text('[profile.q]\nseeds = 1\n\n[i]\ntask = "xor-products"\n'
                    'pairs = [["gated-cnn", "cnn"]]\n')
    study = load_study(str(spec), "q")
    (exp,) = study.experiments
    assert exp.letter == "i" and exp.opts.archs == ("gated-cnn", "cnn")
    (job,) = exp.jobs()
    assert job.confirm and job.spec.name == "xor-products"
    assert judge("i", None, [], []).line == "not tested by this study"


def test_a_section_for_an_unknown_letter_is_refused(tmp_path: Path):
    spec = tmp_path / "study.toml"
    spec.write_text('[profile.q]\nseeds = 1\n\n[i]\ntask = "xor-products"\n')
    with pytest.raises(ToytasksError, match="unknown key 'i'"):
        load_study(str(spec), "q")


def test_a_module_whose_letter_disagrees_with_its_file_name_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "j_wrong.py").write_text(NEW_MODULE)  # defines letter "i"
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "toytasks.study.explanations.j_wrong", raising=False)
    with pytest.raises(RuntimeError, match="j_wrong defines letter 'i'"):
        registry._discover()
    sys.modules.pop("toytasks.study.explanations.j_wrong", None)


def test_jobs_of_each_section_of_the_tiny_study():
    """What each explanation asks the plan layer to run (the tiny fixture's sections)."""
    tiny = Path(__file__).resolve().parents[1] / "data" / "tiny-study.toml"
    jobs = {e.letter: e.jobs() for e in load_study(str(tiny), "tiny").experiments}
    assert [j.spec.knobs["period_samples"] for j in jobs["a"]] == [3, 4]
    assert [j.announce for j in jobs["a"]] == ["(a) period_samples=3", "(a) period_samples=4"]
    assert all(j.confirm for j in jobs["a"])
    assert [(j.opts.min_depth, j.opts.max_depth, j.opts.search, j.opts.diagnostics, j.confirm)
            for j in jobs["b"]] == [(1, 1, "exhaustive", True, False),
                                    (3, 3, "exhaustive", True, False)]
    (c,) = jobs["c"]
    assert (c.opts.train_size, c.opts.diagnostics, c.confirm) == (16, True, True)
    (d,) = jobs["d"]
    assert d.opts.archs == ("gated-cnn", "cnn", "lstm", "rnn") and d.confirm
    assert [j.opts.match_params for j in jobs["e"]] == [0, 600]


def test_jobs_of_the_ecg_question_sections_f_and_g_train_every_seed_at_fixed_depths():
    """(f) and (g) run no search: each cell the verdict reads is trained with every seed;
    (f) at each of its rates, at that rate's own depths."""
    for profile, rates, beside in (("quick", {50.0: (3, 12)}, ("lstm", "s4d")),
                                   ("paper", {100.0: (8, 13)},
                                    ("lstm", "s4d", "s6"))):
        exps = {e.letter: e for e in load_study("ecg-question", profile).experiments}
        f, g = exps["f"].jobs(), exps["g"].jobs()
        assert all(j.opts.search == "exhaustive" and not j.confirm for j in f + g)
        assert [(j.spec.knobs["sampling_hz"], j.opts.archs, j.opts.min_depth,
                 j.opts.max_depth) for j in f] == [
            cell for rate, (shallow, deep) in rates.items() for cell in (
                (rate, ("ecg-resnet",), shallow, shallow), (rate, ("ecg-resnet",), deep, deep),
                (rate, ("chrono-lstm", *beside), 1, 1))]
        assert [j.spec.name for j in g] == ["ecg-rhythm", "ecg-ectopy", "ecg-rhythm"]
        # the shape task runs at the timing task's rate
        assert g[0].spec.knobs["sampling_hz"] == g[1].spec.knobs["sampling_hz"]
        assert (g[2].opts.archs, g[2].opts.min_depth) == (("cnn",), 22)
        assert exps["f"].opts.seeds >= 6 and exps["g"].opts.seeds >= 6  # least that separates


@pytest.mark.parametrize("section, error", [
    ('[f]\ntask = "ecg-ectopy"\nconv = "ecg-resnet"\nshallow = 12\ndeep = 3\n'
     'recurrent = "chrono-lstm"\nbeside = []\n', "'shallow' must be less than 'deep'"),
    ('[f]\ntask = "ecg-ectopy"\nconv = "ecg-resnet"\nshallow = 3\ndeep = 12\n'
     'recurrent = "chrono-lstm"\nbeside = "lstm"\n', "'beside' must be a list"),
    ('[f]\ntask = "ecg-ectopy"\nconv = "ecg-resnet"\nshallow = 3\ndeep = 12\n'
     'recurrent = "chrono-lstm"\n', "'beside' is required"),
    ('[g]\ntask = "ecg-rhythm"\nrecurrent = "lstm"\nconv = "cnn"\nconv_depth = 22\n'
     'contrast = "no-such-task"\nbeside = []\n', "'contrast': unknown task 'no-such-task'"),
    ('[g]\ntask = "ecg-rhythm"\nrecurrent = "lstm"\nconv = "nope"\nconv_depth = 22\n'
     'contrast = "ecg-ectopy"\nbeside = []\n', "'conv' must be an architecture"),
])
def test_a_broken_f_or_g_section_is_one_clear_error(tmp_path: Path, section: str, error: str):
    spec = tmp_path / "study.toml"
    spec.write_text("[profile.q]\nseeds = 1\n\n" + section)
    with pytest.raises(ToytasksError, match=error):
        load_study(str(spec), "q")
