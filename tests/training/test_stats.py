"""Clopper-Pearson intervals against published values and an independent implementation."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from toytasks.errors import ToytasksError
from toytasks.training.stats import clopper_pearson, interval_text

# Exact 95% intervals as tabulated in the literature (e.g. Clopper & Pearson 1934 charts;
# 0/n upper = 1 - 0.025**(1/n), the "rule of three" cousin).
PUBLISHED = {
    (0, 10): (0.0, 0.3085),
    (10, 10): (0.6915, 1.0),
    (5, 10): (0.1871, 0.8129),
    (9, 10): (0.5550, 0.9975),
    (8, 10): (0.4439, 0.9748),
    (3, 3): (0.2924, 1.0),
}


@pytest.mark.parametrize(("k", "n"), sorted(PUBLISHED))
def test_matches_published_values(k: int, n: int) -> None:
    low, high = clopper_pearson(k, n)
    assert low == pytest.approx(PUBLISHED[k, n][0], abs=1e-4)
    assert high == pytest.approx(PUBLISHED[k, n][1], abs=1e-4)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 20, 50])
def test_matches_scipy_exact_binomial_ci_for_every_count(n: int) -> None:
    for k in range(n + 1):
        ref = binomtest(k, n).proportion_ci(0.95, method="exact")
        low, high = clopper_pearson(k, n)
        assert low == pytest.approx(ref.low, abs=1e-9)
        assert high == pytest.approx(ref.high, abs=1e-9)


def test_closed_forms_at_the_edges() -> None:
    for n in (1, 4, 10):
        assert clopper_pearson(0, n) == pytest.approx((0.0, 1 - 0.025 ** (1 / n)))
        assert clopper_pearson(n, n) == pytest.approx((0.025 ** (1 / n), 1.0))


def test_higher_confidence_widens_the_interval() -> None:
    low95, high95 = clopper_pearson(4, 10, 0.95)
    low99, high99 = clopper_pearson(4, 10, 0.99)
    assert low99 < low95 < 0.4 < high95 < high99


def test_no_trials_is_the_whole_unit_interval() -> None:
    assert clopper_pearson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("k", "n", "conf"), [(-1, 3, 0.95), (4, 3, 0.95), (1, 3, 1.0),
                                              (1, 3, 0.0)])
def test_bad_arguments_are_user_errors(k: int, n: int, conf: float) -> None:
    with pytest.raises(ToytasksError):
        clopper_pearson(k, n, conf)


def test_interval_text() -> None:
    assert interval_text(5, 10) == "5/10 [0.19-0.81]"
    assert interval_text(0, 10) == "0/10 [0.00-0.31]"
