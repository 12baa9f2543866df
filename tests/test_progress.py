"""Progress: live line on a terminal, plain lines elsewhere, nothing with --quiet."""

from __future__ import annotations

import io

from tests.helpers import make_trial

from toytasks.progress import TRIAL_LINE, LiveLine, PlainLines, Silent, make_progress
from toytasks.runner import _progress_line
from toytasks.train import train


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_runner_line_is_the_one_the_live_display_parses():
    trial = make_trial(max_steps=2)
    line = _progress_line(7, 3, trial, train(trial))
    match = TRIAL_LINE.match(line)
    assert match and match.groups() == ("7", "3")


def test_choice_of_display():
    assert isinstance(make_progress(quiet=True, stream=FakeTerminal()), Silent)
    assert isinstance(make_progress(stream=io.StringIO()), PlainLines)
    live = make_progress(stream=FakeTerminal())
    assert isinstance(live, LiveLine)
    live.close()


def test_plain_lines_are_written_as_they_come():
    stream = io.StringIO()
    progress = make_progress(stream=stream)
    progress("[1 done, 0 running] a")
    progress("reused 3")
    progress.close()
    assert stream.getvalue() == "[1 done, 0 running] a\nreused 3\n"


def test_live_line_counts_trials_and_keeps_the_log_lines():
    stream = FakeTerminal()
    progress = LiveLine(stream, tick_s=0.01)
    progress("[1 done, 2 running] cnn depth=1")
    progress("[2 done, 1 running] cnn depth=2")
    assert progress.bar.n == 2
    progress("reused 4 stored trial(s)")
    assert progress.bar.n == 2
    progress.close()
    assert not progress.ticker.is_alive()
    text = stream.getvalue()
    for line in ("cnn depth=1", "cnn depth=2", "reused 4 stored trial(s)", "1 running"):
        assert line in text
