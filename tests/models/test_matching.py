"""Parameter matching: the width whose exact parameter count is closest to the target."""

from __future__ import annotations

import pytest

from toytasks.errors import ToytasksError
from toytasks.models import ARCHITECTURES, build_model
from toytasks.models.matching import match_width, param_count


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_meta_count_equals_the_built_model(arch: str) -> None:
    for depth, width in ((1, 5), (3, 16), (2, 33)):
        real = build_model(arch, 1, 2, depth, width).param_count()
        assert param_count(arch, 1, 2, depth, width) == real


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("target", [500, 3000, 20000])
def test_matched_width_is_the_closest_of_all_widths(arch: str, depth: int, target: int) -> None:
    width, count = match_width(arch, 1, 2, depth, target)
    assert count == param_count(arch, 1, 2, depth, width)
    if width > 300:  # too wide to enumerate: the two neighbours are no closer
        below, above = (param_count(arch, 1, 2, depth, w) for w in (width - 1, width + 1))
        assert below < count < above
        assert abs(below - target) > abs(count - target) <= abs(above - target)
        return
    counts = {w: param_count(arch, 1, 2, depth, w) for w in range(1, 2 * width + 3)}
    best = min(abs(c - target) for c in counts.values())
    assert abs(count - target) == best
    assert width == min(w for w, c in counts.items() if abs(c - target) == best)


def test_deeper_stacks_get_narrower() -> None:
    widths = [match_width("lstm", 1, 2, d, 20000)[0] for d in (1, 2, 4, 8)]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]


def test_unreachable_target_gives_the_widest() -> None:
    width, count = match_width("cnn", 1, 2, 1, 10**12)
    assert width == 4096 and count < 10**12


def test_bad_target_is_a_user_error() -> None:
    with pytest.raises(ToytasksError):
        match_width("cnn", 1, 2, 1, 0)
