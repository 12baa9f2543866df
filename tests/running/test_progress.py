"""Progress: live line on a terminal, plain lines elsewhere, nothing with --quiet."""

from __future__ import annotations

import io

from tests.helpers import make_trial

from toytasks.running.progress import LiveLine, PlainLines, Silent, TrialDone, make_progress
from toytasks.training.train import train


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def done(n: int, running: int) -> TrialDone:
    trial = make_trial(max_steps=2)
    return TrialDone(n, running, trial, RESULT)


RESULT = train(make_trial(max_steps=2))


def test_a_finished_trial_is_an_event_that_prints_as_its_log_line():
    event = done(7, 3)
    line = str(event)
    assert line.startswith("[7 done, 3 running] ")
    assert f"depth={event.trial.depth} seed={event.trial.seed}" in line
    assert f"{RESULT.status} after {RESULT.steps} steps" in line


def test_choice_of_display():
    assert isinstance(make_progress(quiet=True, stream=FakeTerminal()), Silent)
    assert isinstance(make_progress(stream=io.StringIO()), PlainLines)
    live = make_progress(stream=FakeTerminal())
    assert isinstance(live, LiveLine)
    live.close()


def test_plain_lines_are_written_as_they_come():
    stream = io.StringIO()
    progress = make_progress(stream=stream)
    event = done(1, 0)
    progress(event)
    progress("reused 3")
    progress.close()
    assert stream.getvalue() == f"{event}\nreused 3\n"


def test_live_line_counts_trials_and_keeps_the_log_lines():
    stream = FakeTerminal()
    progress = LiveLine(stream, tick_s=0.01)
    progress(done(1, 2))
    progress(done(2, 1))
    assert progress.bar.n == 2
    progress("[9 done, 0 running] text is not parsed")
    progress("reused 4 stored trial(s)")
    assert progress.bar.n == 2
    progress.close()
    assert not progress.ticker.is_alive()
    text = stream.getvalue()
    for line in ("[1 done, 2 running]", "[2 done, 1 running]", "reused 4 stored trial(s)",
                 "1 running"):
        assert line in text
