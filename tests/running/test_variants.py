"""Variants: several settings of one architecture side by side (``--arch cnn,cnn@kernel=7``),
each its own row, addressing the same trials as ``--set ARCH.KNOB=V``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.search_fakes import fake_train_from, tiny_spec

import toytasks
from toytasks.cli import main
from toytasks.errors import ToytasksError
from toytasks.models import split_variant, variant_knobs, variant_name
from toytasks.reading.records import cell_key
from toytasks.reading.summary import receptive_field
from toytasks.running import runner as runner_module
from toytasks.running.plan import confirm_job
from toytasks.running.runner import trial_factory
from toytasks.specs.options import resolve
from toytasks.specs.spec import parse_spec


def by_receptive_field(t) -> bool:
    from toytasks.training.train import make_generator

    rf = receptive_field(t.arch, t.depth, dict(t.arch_knobs))
    return rf is None or rf > make_generator(t).blind_samples


@pytest.fixture(autouse=True)
def fake_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "train", fake_train_from(by_receptive_field))


def invoke(args: list[str]):
    return CliRunner().invoke(main, args, standalone_mode=False, catch_exceptions=True)


def stored(folder: Path) -> list[dict]:
    return [json.loads(line)["trial"] for line in
            (folder / "trials.jsonl").read_text().splitlines()]


def keys(folder: Path) -> set[str]:
    return {json.loads(line)["key"] for line in
            (folder / "trials.jsonl").read_text().splitlines()}


def factory_trial(arch: str, triples: tuple = ()):
    opts = resolve(tiny_spec(), {"arch": (arch,), "arch_knobs": triples})
    return trial_factory(tiny_spec(), arch, opts)(2, 0, 3e-3)


RUN = ["run", "--task", "cycle-pattern", "--set", "n_positive=1", "--seeds", "1",
       "--workers", "1", "--max-depth", "8", "-q"]


def test_variant_names_parse_chain_and_print_back():
    assert split_variant("cnn@kernel=7@dilation=2") == ("cnn", {"kernel": "7",
                                                               "dilation": "2"})
    assert split_variant("tests.plugin_fixtures:Linear") == ("tests.plugin_fixtures:Linear", {})
    assert variant_knobs("cnn@kernel=7@dilation=2") == {"kernel": 7, "dilation": 2}
    assert variant_name("cnn", {"kernel": 7, "dilation": 2}) == "cnn@dilation=2@kernel=7"
    assert variant_name("lstm", {"gate_bias": 1.0}) == "lstm@gate_bias=1"
    assert variant_name("lstm", {"gate_bias": 0.25}) == "lstm@gate_bias=0.25"
    assert variant_knobs(variant_name("lstm", {"gate_bias": 0.1 + 0.2})) == {
        "gate_bias": 0.1 + 0.2}  # the printed name round-trips a float exactly


@pytest.mark.parametrize(("arch", "knob", "value"), [
    ("cnn", "kernel", 7), ("transformer", "heads", 2), ("lstm", "gate_bias", 1.0),
    ("tcn", "dilation", 3),
])
def test_a_variant_is_the_same_trial_as_its_set_spelling(arch, knob, value):
    variant = factory_trial(f"{arch}@{knob}={value}")
    assert variant.arch == arch
    assert variant.key == factory_trial(arch, ((arch, knob, value),)).key
    assert variant.key != factory_trial(arch).key


def test_a_variant_at_the_default_is_the_plain_architecture():
    assert factory_trial("cnn@kernel=3").key == factory_trial("cnn").key


def test_variants_run_side_by_side_and_match_set(tmp_path: Path):
    both = invoke([*RUN, "--arch", "cnn,cnn@kernel=7", "--out", str(tmp_path / "v")])
    assert both.exception is None, both.output
    rows = [line.split()[0] for line in both.stdout.splitlines()[2:4]]
    assert rows == ["cnn", "cnn@kernel=7"]
    plain = invoke([*RUN, "--arch", "cnn", "--out", str(tmp_path / "p")])
    wide = invoke([*RUN, "--arch", "cnn", "--set", "cnn.kernel=7", "--out",
                   str(tmp_path / "s")])
    assert plain.exception is None and wide.exception is None
    assert keys(tmp_path / "v") == keys(tmp_path / "p") | keys(tmp_path / "s")
    assert "cnn@kernel=7" in wide.stdout  # the row is named the same either way


def test_chained_knobs_and_a_set_knob_for_every_variant(tmp_path: Path):
    result = invoke([*RUN, "--arch", "cnn,cnn@kernel=7@dilation=2", "--set",
                     "cnn.dilation=2", "--out", str(tmp_path)])
    # --set cnn.dilation=2 applies to both variants; the second also sets kernel=7
    assert result.exception is not None
    assert "knob 'dilation' is also fixed by --set cnn.dilation" in str(result.exception)
    result = invoke([*RUN, "--arch", "cnn,cnn@kernel=7@dilation=2", "--set",
                     "cnn.kernel=5", "--out", str(tmp_path)])
    assert "knob 'kernel' is also fixed by --set cnn.kernel" in str(result.exception)
    result = invoke([*RUN, "--arch", "cnn,cnn@kernel=7@dilation=2", "--out", str(tmp_path)])
    assert result.exception is None, result.output
    assert {json.dumps(t.get("arch_knobs"), sort_keys=True) for t in stored(tmp_path)} == {
        "null", '{"dilation": 2, "kernel": 7}'}
    assert "cnn@dilation=2@kernel=7" in result.stdout


def test_gate_bias_variants_are_two_rows(tmp_path: Path):
    result = invoke([*RUN, "--arch", "lstm,lstm@gate_bias=0", "--out", str(tmp_path)])
    assert result.exception is None, result.output
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:4]]
    assert rows == ["lstm", "lstm@gate_bias=0"]
    assert {t["gate_bias"] for t in stored(tmp_path)} == {3.0, 0.0}
    assert "gate bias per row" in result.stdout


def test_an_import_path_plugin_variant():
    pytest.importorskip("toytasks_example", reason="run `make setup`: it installs it")
    path = "toytasks_example.models:MiniMixer"
    variant = factory_trial(f"{path}@kernel=8")
    assert variant.arch == path and variant.arch_knobs == (("kernel", 8),)
    assert variant.arch_plugin.startswith(path)
    assert variant.key == factory_trial(path, ((path, "kernel", 8),)).key


def test_a_plugin_variant_with_an_unknown_knob(tmp_path: Path):
    result = invoke([*RUN, "--arch", "tests.plugin_fixtures:Linear@scale=2", "--out",
                     str(tmp_path)])
    assert isinstance(result.exception, ToytasksError)
    assert "tests.plugin_fixtures:Linear@scale=2: unknown knob 'scale' for architecture " \
        "'tests.plugin_fixtures:Linear'" in str(result.exception)


@pytest.mark.parametrize(("arch", "message"), [
    ("cnn@kernels=5", "--arch: cnn@kernels=5: unknown knob 'kernels' for architecture 'cnn'"),
    ("cnn@kernel=99", "--arch: cnn@kernel=99: knob 'kernel' = '99' is out of range"),
    ("cnn@kernel=x", "--arch: cnn@kernel=x: knob 'kernel' must be int"),
    ("cnn@kernel", "--arch: variant 'cnn@kernel': write each knob as @KNOB=VALUE"),
    ("cnn@kernel=5@kernel=7", "variant 'cnn@kernel=5@kernel=7' sets knob 'kernel' twice"),
    ("@kernel=5", "variant '@kernel=5' names no architecture"),
    ("rnn@gate_bias=1", "unknown knob 'gate_bias' for architecture 'rnn'"),
    ("cnn,cnn@kernel=3", "'cnn' and 'cnn@kernel=3' train the same trials"),
    ("nope@kernel=3", "unknown architecture 'nope'"),
])
def test_a_bad_variant_is_one_line_naming_it(arch, message, tmp_path: Path):
    result = invoke([*RUN, "--arch", arch, "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, ToytasksError), result.output
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)
    assert not (tmp_path / "out" / "trials.jsonl").exists()


def test_vary_a_knob_a_variant_fixes_is_refused(tmp_path: Path):
    result = invoke(["sweep", "--task", "cycle-pattern", "--vary", "cnn.kernel=3,5",
                     "--arch", "cnn,cnn@kernel=7", "--seeds", "1", "--out", str(tmp_path)])
    assert isinstance(result.exception, ToytasksError)
    assert str(result.exception) == ("knob 'cnn.kernel' is both varied (--vary) and fixed "
                                     "by the variant 'cnn@kernel=7' (--arch)")


def test_sweep_keeps_variants_apart(tmp_path: Path):
    result = invoke(["sweep", "--task", "cycle-pattern", "--vary", "cnn.kernel=3,5",
                     "--set", "n_positive=1,period_samples=8", "--arch",
                     "cnn,cnn@dilation=2", "--seeds", "1", "--workers", "1",
                     "--max-depth", "12", "--out", str(tmp_path), "-q"])
    assert result.exception is None, result.output
    cells = {line.split()[0]: line.split()[1::3] for line in result.stdout.splitlines()[2:4]}
    # blind window 7; RF = 1 + (k-1)(d**L - 1)/(d-1): plain 4, 2; dilation 2: 3, 2
    assert cells == {"cnn": ["4", "2"], "cnn@dilation=2": ["3", "2"]}


def test_the_python_api_takes_variants(tmp_path: Path):
    res = toytasks.run("cycle-pattern", arch=["lstm", "lstm@gate_bias=1"],
                       knobs={"n_positive": 1}, seeds=1, max_depth=2, out=tmp_path, workers=1)
    assert [r.arch_label for r in res.rows] == ["lstm", "lstm@gate_bias=1"]
    assert [r.config["gate_bias"] for r in res.rows] == [3.0, 1.0]


def make_job(spec, arch=None, **options):
    """The job ``toytasks.run`` would run with these arguments."""
    from toytasks.running.launch import prepare, python_request

    return prepare(python_request(spec, arch, **options)).job


def test_confirmation_keeps_the_variant(tmp_path: Path):
    archs = ["cnn", "cnn@kernel=5", "lstm@gate_bias=1"]
    job = make_job(tiny_spec(), archs, seeds=2)
    res = toytasks.run(tiny_spec(), arch=archs, seeds=2, out=tmp_path, workers=1)
    assert [r.arch_label for r in res.rows] == archs
    for row in res.rows:
        check = confirm_job(job, row.arch_label, row.max_depth_tried)
        trial = trial_factory(check.spec, row.arch_label, check.opts)(
            row.max_depth_tried, 0, 3e-3)
        assert cell_key(trial.config()) == cell_key(row.config)


SPEC = """generator = "cycle-pattern"
[knobs]
n_positive = 1
[solve]
threshold = 0.9
[search]
architectures = ["cnn", "cnn@kernel=5", "lstm@gate_bias=1"]
[arch.cnn]
dilation = 2
"""


def test_a_task_spec_sets_architecture_knobs_and_variants(tmp_path: Path):
    spec = parse_spec(__import__("tomllib").loads(SPEC), "t.toml")
    assert spec.arch_knobs == (("cnn", "dilation", 2),)
    job = make_job(spec)
    assert job.opts.archs == ("cnn", "cnn@kernel=5", "lstm@gate_bias=1")
    assert job.opts.knobs_for("cnn@kernel=5") == {"dilation": 2, "kernel": 5}
    # a run's --set replaces the spec's value; a variant may fix what the spec sets
    assert make_job(spec, knobs={"cnn.dilation": 3}).opts.knobs_for("cnn") == {
        "dilation": 3}
    assert make_job(spec, ["cnn@dilation=1"]).opts.knobs_for("cnn@dilation=1") == {
        "dilation": 1}


@pytest.mark.parametrize(("text", "message"), [
    ("[arch.cnn]\nkernels = 5\n", "t.toml: [arch.cnn]: unknown knob 'kernels'"),
    ("[arch]\ncnn = 5\n", "t.toml: [arch] must hold one table per architecture"),
    ("[arch.nope]\nk = 5\n", "t.toml: unknown architecture 'nope'"),
    ('[search]\narchitectures = ["cnn@kernel=99"]\n',
     "'search.architectures': cnn@kernel=99: knob 'kernel' = '99'"),
])
def test_a_bad_arch_table_in_a_spec_is_one_line(text, message):
    data = __import__("tomllib").loads('generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n'
                                       + text)
    with pytest.raises(ToytasksError) as err:
        parse_spec(data, "t.toml")
    assert message in str(err.value)


STUDY = """[profile.q]
seeds = 1
[c]
task = "cycle-pattern"
set = { n_positive = 1, cnn.kernel = 5 }
recurrent = "lstm@gate_bias=1"
conv = "cnn"
train_size = 16
"""


def test_a_study_section_takes_variants_and_architecture_knobs(tmp_path: Path):
    from toytasks.study.experiment import load_study

    path = tmp_path / "s.toml"
    path.write_text(STUDY)
    (exp,) = load_study(str(path), "q").experiments
    assert set(exp.opts.archs) == {"lstm@gate_bias=1", "cnn"}
    assert exp.opts.arch_knobs == (("cnn", "kernel", 5),)
    assert exp.manifest()["arch_knobs"] == {"cnn.kernel": 5}
    path.write_text(STUDY.replace('"lstm@gate_bias=1"', '"lstm@gate_bias=x"'))
    with pytest.raises(ToytasksError, match=r"\[c\]: 'recurrent': lstm@gate_bias=x: knob "
                                            "'gate_bias' must be float"):
        load_study(str(path), "q")
