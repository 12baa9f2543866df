"""The explanation registry: one module per explanation, found by its file name; a new
explanation is one file, and studies and reports pick it up without other changes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import toytasks.explanations as registry
from toytasks.errors import ToytasksError
from toytasks.explanations import EXPLANATIONS, Explanation
from toytasks.report import judge
from toytasks.study import load_study

NEW_MODULE = '''
from toytasks.explanations.d_multiplication import Multiplication


class SamplingRate(Multiplication):
    letter = "f"
    title = "sampling rate"
    claim = "a CNN's depth grows with the sampling rate, a recurrent net's does not"
    keys = ("pairs",)
    rule = "supported when the test module says so"


EXPLANATION = SamplingRate()
'''


def test_the_registry_holds_a_to_e_in_letter_order_each_complete():
    assert list(EXPLANATIONS) == ["a", "b", "c", "d", "e"]
    for letter, explanation in EXPLANATIONS.items():
        assert isinstance(explanation, Explanation) and explanation.letter == letter
        assert explanation.title and explanation.claim and explanation.rule and explanation.keys


@pytest.fixture
def explanation_f(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Explanation:
    """A new explanation (f) as one new file in a folder of the package's search path."""
    (tmp_path / "f_sampling_rate.py").write_text(NEW_MODULE)
    (tmp_path / "notes.py").write_text("raise AssertionError('not an explanation module')\n")
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "toytasks.explanations.f_sampling_rate", raising=False)
    found = registry._discover()
    assert list(found) == ["a", "b", "c", "d", "e", "f"]
    monkeypatch.setitem(EXPLANATIONS, "f", found["f"])
    yield found["f"]
    sys.modules.pop("toytasks.explanations.f_sampling_rate", None)


def test_a_new_explanation_is_one_file_that_studies_and_reports_pick_up(explanation_f,
                                                                        tmp_path: Path):
    spec = tmp_path / "study.toml"
    spec.write_text('[profile.q]\nseeds = 1\n\n[f]\ntask = "xor-products"\n'
                    'pairs = [["gated-cnn", "cnn"]]\n')
    study = load_study(str(spec), "q")
    (exp,) = study.experiments
    assert exp.letter == "f" and exp.opts.archs == ("gated-cnn", "cnn")
    (job,) = exp.jobs()
    assert job.confirm and job.spec.name == "xor-products"
    assert judge("f", None, [], []).line == "not tested by this study"


def test_a_section_for_an_unknown_letter_is_refused(tmp_path: Path):
    spec = tmp_path / "study.toml"
    spec.write_text('[profile.q]\nseeds = 1\n\n[f]\ntask = "xor-products"\n')
    with pytest.raises(ToytasksError, match="unknown key 'f'"):
        load_study(str(spec), "q")


def test_a_module_whose_letter_disagrees_with_its_file_name_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "g_wrong.py").write_text(NEW_MODULE)  # defines letter "f"
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "toytasks.explanations.g_wrong", raising=False)
    with pytest.raises(RuntimeError, match="g_wrong defines letter 'f'"):
        registry._discover()
    sys.modules.pop("toytasks.explanations.g_wrong", None)


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
