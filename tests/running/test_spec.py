"""Task specs: the shipped ones load; broken ones give errors naming the file and the key."""

from __future__ import annotations

import pytest

from toytasks.errors import ToytasksError
from toytasks.specs.spec import available_specs, load_spec, load_spec_file, parse_assignments

GOOD = """
generator = "cycle-pattern"
[knobs]
period_samples = 5
[solve]
threshold = 0.9
[budget]
max_steps = 10
[search]
architectures = ["lstm"]
max_depth = 2
"""


def write(tmp_path, text, name="variant.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["cycle-pattern", "copy-memory", "xor-products"])
def test_shipped_specs_load(name):
    spec = load_spec(name)
    assert spec.name == name and spec.make_generator().seq_len > 0


def test_user_variant_in_extra_folder_is_found_by_name(tmp_path):
    write(tmp_path, GOOD, "short-cycles.toml")
    assert "short-cycles" in available_specs([str(tmp_path)])
    spec = load_spec("short-cycles", [str(tmp_path)])
    assert spec.knobs["period_samples"] == 5 and spec.defaults.architectures == ("lstm",)
    assert spec.budget.max_steps == 10 and spec.threshold == 0.9


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("[search]", "colour = 1\n[search]"), "unknown key 'budget.colour'"),
    ("surprise = 1\n" + GOOD, "unknown key 'surprise'"),
    (GOOD.replace('generator = "cycle-pattern"', ""), "missing key 'generator'"),
    (GOOD.replace("max_steps = 10", 'max_steps = "ten"'), "'budget.max_steps' must be int"),
    (GOOD.replace("max_steps = 10", "max_steps = 0"), "out of range"),
    (GOOD.replace("period_samples = 5", "period_samples = 1"), "period_samples"),
    (GOOD.replace('["lstm"]', '["lstm", "resnet"]'), "unknown architecture 'resnet'"),
    (GOOD.replace("threshold = 0.9", ""), "missing key 'solve.threshold'"),
    ("this is = not toml [", "not valid TOML"),
])
def test_broken_spec_errors_name_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ToytasksError) as err:
        load_spec_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_unknown_task_lists_valid_names():
    with pytest.raises(ToytasksError, match=r"valid: .*cycle-pattern"):
        load_spec("cycle-patern")


def test_set_overrides_are_validated_against_the_schema():
    spec = load_spec("cycle-pattern")
    assert spec.with_knobs(parse_assignments(["period_samples=9"])).knobs["period_samples"] == 9
    with pytest.raises(ToytasksError, match="out of range"):
        spec.with_knobs(parse_assignments(["period_samples=2"]))
    with pytest.raises(ToytasksError, match="key=value"):
        parse_assignments(["period_samples"])
