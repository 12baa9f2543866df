"""docs/troubleshooting.md lists every message a user can meet: guarded by reading the source.

The test parses every module under src/toytasks with ``ast``, finds each message that can
reach a user (a ``ToytasksError``, a wrapper that builds one, a warning, a trial's failure
reason) and asserts that the page shows it: its literal pieces (the f-string without its
placeholders) appear in order inside one code span of the page, the placeholders written
as ``<name>``. A new error without its line in the page fails here, naming file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "toytasks"
DOC = ROOT / "docs" / "troubleshooting.md"
MIN_TEXT = 8  # letters of literal text a message needs to be looked up in the page

# Calls whose argument at this position is a user-facing message.
MESSAGE_CALLS = {
    "ToytasksError": 0,   # errors.py: printed as `toytasks: error: MESSAGE`, exit 2
    "_fail": 1,           # spec.py: _fail(path, message) -> ToytasksError(f"{path}: {message}")
    "warn": 0,            # warnings.warn: printed as `toytasks: warning: MESSAGE`
    "error_result": 1,    # trial.py: a trial recorded with status `error` and this reason
}

# Message expressions with no literal text of their own (checked by source text).
NO_OWN_TEXT = {
    # re-raise an error documented where it is built, prefixed with where it happened:
    "str(exc)",                  # spec.py: an unknown generator, named with the spec file
    'f"{where}: {exc}"',         # suite.py: a task/knob error, with the profile and run[i]
    'f"[knobs] {exc}"',          # spec.py: a knob error, with the spec file and [knobs]
    'f"{where}: rates[{i}]: {exc}"',  # f_sampling_rate.py: a knob error, with the rate entry
    'f"{path}: {message}"',      # spec.py _fail() itself: its callers' messages are checked
    # trial reasons: any exception while training (the page explains `error: <Type>: ...`)
    'f"{type(exc).__name__}: {exc}"',
    "one_line(reason)",          # runner.py: the reason built the line above (checked there)
    '""',                        # train.py: a solved trial has no reason
    "refusal",                   # train.py: a refused trial's reason (causality.Leak.reason)
    "course.reason",             # train.py: the loop's reason, set in training/course.py
    # not a message: the progress line's "(reason)" suffix is a local called `reason`
    'f" ({result.reason})" if result.reason else ""',
}

# Lines that are not built from an error call but that users meet and look up.
ALSO_DOCUMENTED = (
    "toytasks: error:", "toytasks: warning:", "toytasks: aborted",
    "interrupted: ", "; resume with: toytasks run",
    "worker process died during", "dask: waiting for a worker to join",
    "finding(s) changed against", "If the change is intended, review it",
    "No such option", "No such command", "Missing option", "Missing argument",
    "requires an argument", "Got unexpected extra argument", "is not one of",
    "is not in the range", "is not a valid integer range", "is a file", "is a directory",
    "solved", "unsolved", "diverged", "error",
)


def _normal(text: str) -> str:
    return " ".join(text.split())


def _literal_parts(node: ast.expr) -> list[str] | None:
    """The constant text of a message, in order; None when it has none (e.g. ``str(exc)``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    return None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _reason_values(node: ast.Assign) -> list[ast.expr]:
    """``reason = "..."`` and ``status, reason = DIVERGED, f"..."`` in the trainer (also
    ``self.reason``: the loop's rules in ``training.course``)."""
    def is_reason(target: ast.expr) -> bool:
        return (isinstance(target, ast.Name) and target.id == "reason") or (
            isinstance(target, ast.Attribute) and target.attr == "reason")

    found = []
    for target in node.targets:
        if is_reason(target):
            found.append(node.value)
        elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            for name, value in zip(target.elts, node.value.elts, strict=False):
                if is_reason(name):
                    found.append(value)
    return found


def _reason_keyword(node: ast.Call) -> list[ast.expr]:
    """``TrialResult(..., reason=one_line(f"..."))``: a reason built in place (a bare name
    is checked where it is assigned)."""
    found = []
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg != "reason":
            continue
        if isinstance(value, ast.Call) and _call_name(value) == "one_line" and value.args:
            value = value.args[0]
        if not isinstance(value, ast.Name):
            found.append(value)
    return found


def messages() -> list[tuple[str, str, list[str] | None]]:
    """(file:line, source of the message expression, its literal parts) for every message."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        where = f"{path.relative_to(ROOT)}"
        for node in ast.walk(tree):
            exprs: list[ast.expr] = []
            if isinstance(node, ast.Call) and _call_name(node) in MESSAGE_CALLS:
                index = MESSAGE_CALLS[_call_name(node)]
                if len(node.args) > index:
                    arg = node.args[index]
                    if (isinstance(arg, ast.Call) and _call_name(arg) == "one_line" and arg.args
                            and not isinstance(arg.args[0], ast.Name)):
                        arg = arg.args[0]  # error_result(key, one_line(f"...")): the f-string
                    exprs.append(arg)
            if isinstance(node, ast.Call):
                exprs.extend(_reason_keyword(node))
            elif isinstance(node, ast.Assign):
                exprs.extend(_reason_values(node))
            for expr in exprs:
                text = ast.get_source_segment(source, expr) or ""
                out.append((f"{where}:{expr.lineno}", text, _literal_parts(expr)))
    return out


def pattern(parts: list[str]) -> re.Pattern | None:
    """The message's literal pieces in order, anything but a backtick between them (the
    placeholders); None when the pieces hold fewer than MIN_TEXT letters to look up."""
    pieces = [_normal(part) for part in parts if part.strip()]
    if sum(ch.isalpha() for ch in "".join(pieces)) < MIN_TEXT:
        return None
    return re.compile("[^`]*?".join(re.escape(piece) for piece in pieces))


ALL = messages()


def test_the_extraction_finds_the_messages_it_should():
    """Guard the guard: known messages of each kind are found, and plenty of them."""
    texts = " ".join(text for _, text, _ in ALL)
    for expected in ("unknown task '", "is in use by another toytasks run",
                     "ignoring a torn last line", "non-finite training loss",
                     "worker process died", "executor failed the trial",
                     "held-out loss flat", "missing key 'generator'"):
        assert expected in texts, expected
    assert len(ALL) > 120


def test_no_new_wrapper_builds_errors_unseen():
    """A helper that returns a ToytasksError must be listed in MESSAGE_CALLS (its message
    argument is then checked), or its messages would escape this test."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Call) \
                        and _call_name(node.value) == "ToytasksError":
                    assert func.name in MESSAGE_CALLS, (
                        f"{path.name}: {func.name}() builds a ToytasksError: add it to "
                        "MESSAGE_CALLS with the position of its message argument")
        for cls in ast.walk(tree):
            if isinstance(cls, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", None)) for b in cls.bases}
                assert "ToytasksError" not in bases, f"{path.name}: {cls.name} subclasses it"


@pytest.mark.parametrize(("where", "text", "parts"), ALL, ids=[w for w, _, _ in ALL])
def test_every_message_is_in_the_troubleshooting_page(where, text, parts):
    doc = _normal(DOC.read_text(encoding="utf-8"))
    regex = pattern(parts) if parts is not None else None
    if regex is None:
        assert text in NO_OWN_TEXT, (
            f"{where}: message {text} has too little literal text to look up; give it some, "
            "or add it to NO_OWN_TEXT with the reason")
        return
    assert regex.search(doc), (
        f"{where}: {text} is not shown in {DOC.relative_to(ROOT)} (its literal text, in "
        "order, within one `code span`; write placeholders as <name>)")


def test_no_own_text_has_no_stale_entries():
    used = {text for _, text, parts in ALL if parts is None or pattern(parts) is None}
    assert set(NO_OWN_TEXT) <= used, set(NO_OWN_TEXT) - used


@pytest.mark.parametrize("line", ALSO_DOCUMENTED)
def test_other_lines_users_meet_are_documented(line):
    assert _normal(line) in _normal(DOC.read_text(encoding="utf-8"))


def test_exit_codes_are_documented():
    doc = DOC.read_text(encoding="utf-8")
    for code, meaning in (("0", "success"), ("1", "toytasks check"), ("2", "bad input"),
                          ("130", "interrupted")):
        assert f"| `{code}` |" in doc and meaning in doc, code


def test_usage_links_to_the_page():
    assert "(troubleshooting.md)" in (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    assert DOC.is_file()


# --- tracebacks found while writing the page (now one-line errors) ---------------------
def test_a_spec_or_profile_that_is_not_utf8_is_a_one_line_error(cli_in_process, tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_bytes(b'generator = "\xff"\n')
    for args in (("list", "--task", str(spec)), ("suite", str(spec))):
        code, _, err = cli_in_process(*args)
        assert code == 2, err
        assert err.strip().splitlines() == [err.strip()]
        assert f"{spec}: not valid TOML (" in err


def test_a_figure_path_that_cannot_be_written_is_a_one_line_error(cli_in_process, tmp_path):
    pytest.importorskip("matplotlib")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = cli_in_process("show", "--task", "cycle-pattern",
                                  "--out", str(blocker / "x.png"))
    assert code == 2, err
    assert err.startswith(f"toytasks: error: cannot write figure '{blocker / 'x.png'}' (")
    assert len(err.strip().splitlines()) == 1


# --- the page shows messages exactly: real ones, triggered through the CLI --------------
def _templates() -> list[re.Pattern]:
    """Every `toytasks: ...` code span of the page as a regex: <name> and ... match anything."""
    spans = re.findall(r"`(toytasks: [^`]+)`", DOC.read_text(encoding="utf-8"))
    spans += re.findall(r"^(interrupted: .+|toytasks check: .+)$", DOC.read_text(
        encoding="utf-8"), flags=re.MULTILINE)
    out = []
    for span in spans:
        pieces = re.split(r"<[^<>]+>|\.\.\.(?=\s|$|')", _normal(span))
        own = "".join(pieces).removeprefix("toytasks: error:").removeprefix("toytasks: warning:")
        if sum(ch.isalpha() for ch in own) >= MIN_TEXT:  # not a catch-all like `<message>`
            out.append(re.compile(".+?".join(re.escape(p) for p in pieces)))
    return out


SPEC_CASES = {  # a spec file's content -> a fragment of the error it must give
    'generator = "cycle-pattern"\nfoo = 1\n': "unknown key 'foo'",
    'generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n[budget]\nlr = "x"\n':
        "'budget.lr' must be float",
    'generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n[budget]\nmax_steps = 0\n':
        "is out of range [1, 10000000]",
    'generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n[budget]\nfoo = 1\n':
        "unknown key 'budget.foo'",
    'name = "x"\n': "missing key 'generator'",
    'generator = "nope"\n': "unknown generator 'nope'",
    'generator = "cycle-pattern"\n[solve]\n': "missing key 'solve.threshold'",
    'generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\nfrom_task = true\n':
        "takes exactly one of",
    'generator = "cycle-pattern"\n[solve]\nrelative_to_baseline = 0.1\n':
        "needs a lower-is-better metric",
    'generator = "cycle-pattern"\n[solve]\nfrom_task = true\n': "has no knob that sets",
    'generator = "multiplication"\n[solve]\nthreshold = 0.9\n': "sets its threshold from",
    'generator = "cycle-pattern"\n[knobs]\nperiod_samples = 2\n[solve]\nthreshold = 0.9\n':
        "[knobs] knob 'period_samples' = 2 is out of range",
    'generator = "cycle-pattern"\n[solve]\nthreshold = 0.9\n[search]\narchitectures = ["x"]\n':
        "'search.architectures' has unknown architecture 'x'",
    'generator = "cycle-pattern\n': "not valid TOML",
}

PROFILE_CASES = {
    "foo = 1\n": "unknown key 'foo' (valid: description, run)",
    'description = "x"\n': "needs at least one [[run]] entry",
    "run = [1]\n": "run[0] must be a table",
    "[[run]]\nseeds = 1\n": "'task' (a task name) is required",
    '[[run]]\ntask = "adding"\nseeds = 0\n': "'seeds' must be an integer in [1, 1000]",
    '[[run]]\ntask = "adding"\narch = ["x"]\n': "run[0]: unknown architecture 'x'",
    '[[run]]\ntask = "adding"\nset = { foo = 1 }\n': "run[0]: unknown knob 'foo'",
    '[[run]]\ntask = "adding"\nmin_depth = 5\nmax_depth = 2\n': "min_depth 5 is larger",
}

TPU = ("--device", "tpu")  # a later check: a case that passed its own would stop here
CLI_CASES = [
    (("frobnicate",), "No such command"),
    (("run",), "Missing option '--task'"),
    (("table",), "Missing argument 'RESULTS_DIR'"),
    (("run", "--task", "cycle-pattern", "--bogus"), "No such option '--bogus'"),
    (("run", "--task", "cycle-pattern", "--set"), "requires an argument"),
    (("run", "--task", "cycle-pattern", "--rule", "x"), "is not one of 'cp95', 'majority'"),
    (("run", "--task", "cycle-pattern", "--seeds", "0"), "is not in the range 1<=x<=1000"),
    (("run", "--task", "cycle-pattern", "--seeds", "1.5"), "not a valid integer range"),
    (("table", "a", "b"), "unexpected extra argument (b)"),
    (("run", "--task", "nope"), "unknown task 'nope'"),
    (("list", "--tasks-dir", "/nonexistent/tasks"), "tasks folder '/nonexistent/tasks'"),
    (("run", "--task", "cycle-pattern", "--set", "foo=1", *TPU), "unknown knob 'foo'"),
    (("run", "--task", "cycle-pattern", "--set", "period_samples", *TPU), "key=value"),
    (("run", "--task", "cycle-pattern", "--set", "period_samples=x", *TPU), "must be int"),
    (("run", "--task", "cycle-pattern", "--set", "period_samples=1", *TPU), "out of range"),
    (("run", "--task", "ecg-rhythm", "--set", "p_waves=maybe", *TPU), "true or false"),
    (("run", "--task", "xor-products", "--set", "seq_len_samples=2,n_products=4", *TPU),
     "too short for 4 pairs"),
    (("run", "--task", "temporal-order", "--set", "lag_steps=2,spread_steps=4", *TPU),
     "too short for spread_steps"),
    (("run", "--task", "sparse-parity", "--set", "k=9,n_bits=4", *TPU), "larger than n_bits"),
    (("run", "--task", "ecg-rhythm", "--set", "irregularity=0.06,hrv=0.1", *TPU),
     "must exceed 3 x hrv"),
    (("run", "--task", "ecg-ectopy", "--set", "heart_rate_bpm=200,coupling=0.5,hrv=0.15",
      *TPU), "beats can come"),
    (("run", "--task", "cycle-pattern", "--arch", "x", *TPU), "unknown architecture 'x'"),
    (("run", "--task", "cycle-pattern", "--arch", ",", *TPU), "needs at least one value"),
    (("run", "--task", "cycle-pattern", "--lr", "x", *TPU), "comma-separated float"),
    (("run", "--task", "cycle-pattern", "--lr", "0"), "--lr values must be in"),
    (("run", "--task", "cycle-pattern", "--min-depth", "5", "--max-depth", "2"), "larger"),
    (("run", "--task", "cycle-pattern", *TPU), "unknown device 'tpu'"),
    (("run", "--task", "cycle-pattern", "--width", "3", "--match-params", "99"),
     "exclude each other"),
    (("run", "--task", "cycle-pattern", "--rule", "cp95", "--seeds", "3"),
     "needs at least 10 seeds"),
    (("sweep", "--task", "cycle-pattern", "--vary", "x", *TPU), "--vary expects"),
    (("sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,4", *TPU), "twice"),
    (("sweep", "--task", "cycle-pattern", "--vary", "foo=1,2", *TPU), "unknown knob 'foo'"),
    (("sweep", "--task", "cycle-pattern", "--vary", "period_samples=4,8", "--set",
      "period_samples=4", *TPU), "both varied"),
    (("suite", "nope"), "unknown profile 'nope'"),
    (("suite", "/nonexistent/p.toml"), "profile file '/nonexistent/p.toml' not found"),
    (("table", "/nonexistent/results"), "holds no results"),
    (("show", "--task", "cycle-pattern", "--out", "x.txt"), "use a .png, .svg or .pdf"),
]


def _assert_documented(err: str, fragment: str) -> None:
    line = _normal(err.strip().splitlines()[-1])  # after a run's "results in DIR" line
    assert fragment in line, err
    assert any(t.fullmatch(line) for t in _templates()), (
        f"not shown exactly in {DOC.name}: {line}")


@pytest.mark.parametrize(("args", "fragment"), CLI_CASES, ids=[" ".join(a) for a, _ in
                                                                 CLI_CASES])
def test_real_cli_errors_read_as_the_page_shows_them(cli_in_process, args, fragment):
    code, _, err = cli_in_process(*args)
    assert code == 2, err
    _assert_documented(err, fragment)


@pytest.mark.parametrize(("content", "fragment"), SPEC_CASES.items(), ids=SPEC_CASES.values())
def test_real_spec_errors_read_as_the_page_shows_them(cli_in_process, tmp_path, content,
                                                      fragment):
    spec = tmp_path / "spec.toml"
    spec.write_text(content)
    code, _, err = cli_in_process("list", "--task", str(spec))
    assert code == 2, err
    _assert_documented(err, fragment)


@pytest.mark.parametrize(("content", "fragment"), PROFILE_CASES.items(),
                         ids=PROFILE_CASES.values())
def test_real_profile_errors_read_as_the_page_shows_them(cli_in_process, tmp_path, content,
                                                         fragment):
    profile = tmp_path / "profile.toml"
    profile.write_text(content)
    code, _, err = cli_in_process("suite", str(profile))
    assert code == 2, err
    _assert_documented(err, fragment)


def test_the_torn_line_warning_reads_as_the_page_shows_it(cli, tmp_path):
    (tmp_path / "trials.jsonl").write_text('{"key": "ab')  # a torn last (and only) line
    proc = cli("table", str(tmp_path))  # a subprocess: pytest would capture the warning
    assert proc.returncode == 0, proc.stderr
    _assert_documented(proc.stderr, "ignoring a torn last line")


def test_real_store_and_baseline_messages_read_as_the_page_shows_them(cli_in_process,
                                                                      tmp_path):
    import fcntl

    store = tmp_path / "res"
    store.mkdir()
    (store / "trials.jsonl").write_text('garbage\n{"a": 1}\n')
    _assert_documented(cli_in_process("table", str(store))[2], "broken record")
    (store / "trials.jsonl").write_text('{"a": 1}\n')
    _assert_documented(cli_in_process("table", str(store))[2], "record without key")
    (store / "trials.jsonl").write_text('{"key": "x", "trial": {}, "result": {}}\n')
    _assert_documented(cli_in_process("table", str(store))[2], "does not match its trial")

    (store / "trials.jsonl").write_text("")
    _assert_documented(cli_in_process("baseline", str(store), "--write",
                                      str(tmp_path / "b.json"))[2], "no trial results")
    with open(store / ".lock", "w") as handle:
        handle.write("pid 4242")
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = cli_in_process("run", "--task", "cycle-pattern", "--arch", "cnn",
                                      "--seeds", "1", "--max-depth", "1", "--steps", "1",
                                      "--workers", "1", "--out", str(store))
    assert code == 2
    _assert_documented(err, "is in use by another toytasks run (pid 4242)")

    for content, fragment in (("{", "not valid JSON"), ("{}", "not a toytasks baseline"),
                              ('{"format": "toytasks-baseline/1", "tables": 1}',
                               "'tables' must be a list")):
        (tmp_path / "b.json").write_text(content)
        _assert_documented(cli_in_process("check", str(store), "--baseline",
                                          str(tmp_path / "b.json"))[2], fragment)
    _assert_documented(cli_in_process("check", str(store), "--baseline",
                                      str(tmp_path / "none.json"))[2], "not found")


STUDY_PROFILES = '[profile.quick]\nseeds = 4\n[profile.paper]\nseeds = 10\n'
STUDY_A = '[a]\ntask = "cycle-pattern"\nconv = "cnn"\nrecurrent = "lstm"\nvary = "period_samples"\n'
STUDY_CASES = {  # a study spec's content -> a fragment of the error it must give
    "foo = 1\n" + STUDY_PROFILES: "unknown key 'foo' (valid: a, b, c, d, description, e, f, g, h,",
    'question = "q"\n': "needs at least one [profile.NAME] table",
    "profile = { quick = 1 }\n": "profile.quick must be a table",
    "[profile.quick]\nfoo = 1\n": "profile.quick: unknown key 'foo'",
    "a = 1\n" + STUDY_PROFILES: "[a] must be a table",
    STUDY_PROFILES: "names no explanation to test",
    STUDY_PROFILES + STUDY_A + "values = { quick = [4, 8] }\n": "gives no value for profile",
    STUDY_PROFILES + STUDY_A + "values = [4, 8]\nfoo = 1\n": "[a]: unknown key 'foo'",
    STUDY_PROFILES + STUDY_A: "[a]: 'values' is required",
    STUDY_PROFILES + STUDY_A + "values = [4, 8]\nrule = 'x'\n": "'rule' must be one of",
    STUDY_PROFILES + STUDY_A + "values = [4, 8]\nrule = 'cp95'\n": "needs at least 10 seeds",
    STUDY_PROFILES + STUDY_A + "values = [4, 4]\n": "'values' lists a value twice",
    STUDY_PROFILES + STUDY_A + "values = [4, 1]\n": "[a]: knob 'period_samples' = 1 is out",
    STUDY_PROFILES + STUDY_A.replace('"cnn"', '"x"') + "values = [4, 8]\n":
        "'conv' must be an architecture",
    STUDY_PROFILES + '[d]\ntask = "xor-products"\npairs = [["lstm"]]\n':
        "'pairs' must be a list of [gated, plain] pairs",
}


@pytest.mark.parametrize(("content", "fragment"), STUDY_CASES.items(),
                         ids=STUDY_CASES.values())
def test_real_study_errors_read_as_the_page_shows_them(cli_in_process, tmp_path, content,
                                                       fragment):
    spec = tmp_path / "study.toml"
    spec.write_text(content)
    code, _, err = cli_in_process("study", str(spec), "--out", str(tmp_path / "out"))
    assert code == 2, err
    _assert_documented(err, fragment)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_real_study_folder_errors_read_as_the_page_shows_them(cli_in_process, tmp_path):
    code, _, err = cli_in_process("study", "nope")
    assert code == 2
    _assert_documented(err, "unknown study 'nope'")
    _assert_documented(cli_in_process("study", str(tmp_path / "none.toml"))[2], "not found")
    _assert_documented(cli_in_process("study", "ecg-question", "--profile", "x")[2],
                       "unknown profile 'x'")
    _assert_documented(cli_in_process("study", "ecg-question", "--only", "z", "--out",
                                      str(tmp_path / "o"))[2], "'z' is not a section of")
    _assert_documented(cli_in_process("report", str(tmp_path))[2], "is not a study folder")
    (tmp_path / "study.json").write_text("{")
    _assert_documented(cli_in_process("report", str(tmp_path))[2], "cannot read (")
    (tmp_path / "study.json").write_text("{}")
    _assert_documented(cli_in_process("report", str(tmp_path))[2], "not a study manifest")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    (tmp_path / "study.json").write_text('{"experiments": {}}')
    code, _, err = cli_in_process("report", str(tmp_path), "--no-figures", "--out",
                                  str(blocker / "r"))
    assert code == 2, err
    _assert_documented(err, "cannot write report")
    code, _, err = cli_in_process("study", "ecg-question", "--out", str(blocker / "s"))
    assert code == 2, err
    _assert_documented(err, "cannot write study folder")


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda m: m["experiments"]["a"].pop("conv"), "experiment 'a' lacks 'conv'"),
    (lambda m: m["experiments"].__setitem__("b", [1]), "experiment 'b' is not an object"),
    (lambda m: m["experiments"]["a"].__setitem__("values", 5), "wrong type or shape"),
    (lambda m: m["experiments"]["b"].__setitem__("lr", 0.003), "wrong type or shape"),
])
def test_a_hand_edited_study_json_gives_one_line(cli_in_process, tmp_path, edit, fragment):
    import json
    import shutil

    folder = tmp_path / "study"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "study", folder)
    manifest = json.loads((folder / "study.json").read_text())
    edit(manifest)
    (folder / "study.json").write_text(json.dumps(manifest))
    code, _, err = cli_in_process("report", str(folder), "--no-figures")
    assert code == 2, err
    assert "Traceback" not in err
    _assert_documented(err, fragment)


def test_a_study_path_outside_the_repository_points_to_the_installed_name(
        cli_in_process, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli_in_process("study", "experiments/ecg-question.toml")
    assert code == 2, err
    _assert_documented(err, "the installed study of that name is 'ecg-question'")
