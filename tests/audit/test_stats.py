"""audit/stats: Wilson intervals and the exact tests against scipy (when installed) and textbook values."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tierguard.audit.stats import (
    binom_two_sided,
    fisher_exact,
    mcnemar_exact,
    two_proportion_z,
    wilson,
)


def test_wilson_textbook_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to
    # 0.1605; 0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718
    for k, n, lo, hi in [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ]:
        r = wilson("x", k, n)
        assert (round(r.low, 4), round(r.high, 4)) == (lo, hi), (k, n)
        assert r.k == k and r.n == n and math.isclose(r.rate, k / n)


def test_wilson_edges() -> None:
    r = wilson("x", 0, 0)
    assert (r.rate, r.low, r.high) == (0.0, 0.0, 1.0)
    r = wilson("x", 10, 10)
    assert r.high == 1.0 and 0.69 < r.low < 0.73
    with pytest.raises(ValueError):
        wilson("x", 3, 2)


def test_mcnemar_and_binomial_textbook() -> None:
    # b=1, c=9: 2 * P(X<=1 | n=10, 1/2) = 2 * 11/1024
    assert math.isclose(mcnemar_exact(1, 9), 22 / 1024)
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert math.isclose(binom_two_sided(0, 5), 2 / 32)
    # large n stays finite and tiny
    p = mcnemar_exact(100, 400)
    assert 0 < p < 1e-30


def test_fisher_tea_tasting() -> None:
    # Fisher's lady tasting tea: [[3, 1], [1, 3]] two-sided p = 0.4857 (34/70)
    assert math.isclose(fisher_exact(3, 1, 1, 3), 34 / 70)
    assert fisher_exact(0, 0, 0, 0) == 1.0
    assert fisher_exact(5, 0, 5, 0) == 1.0


def test_two_proportion_z_textbook() -> None:
    # 27/100 vs 19/100: pooled p = 0.23, se = sqrt(0.23 * 0.77 * 0.02) = 0.05951, z = 0.08 / se = 1.3442
    z, p = two_proportion_z(27, 100, 19, 100)
    assert math.isclose(z, 1.3442, abs_tol=1e-4)
    assert math.isclose(p, 0.1789, abs_tol=1e-4)
    assert two_proportion_z(0, 0, 1, 2) == (0.0, 1.0)


@pytest.fixture(scope="module")
def scipy_stats() -> Any:
    return pytest.importorskip("scipy.stats", reason="scipy is not installed")


TABLES = [
    (3, 1, 1, 3),
    (8, 2, 1, 5),
    (0, 10, 7, 3),
    (12, 5, 9, 14),
    (272, 2728, 190, 2810),
    (1, 0, 0, 1),
    (20, 0, 15, 5),
    (2, 7, 8, 2),
]


@pytest.mark.parametrize("table", TABLES)
def test_fisher_matches_scipy(scipy_stats: Any, table: tuple[int, int, int, int]) -> None:
    a, b, c, d = table
    assert math.isclose(fisher_exact(a, b, c, d), scipy_stats.fisher_exact([[a, b], [c, d]])[1], rel_tol=1e-9)


@pytest.mark.parametrize("bc", [(0, 1), (1, 9), (3, 12), (40, 60), (7, 7), (150, 190), (0, 25)])
def test_mcnemar_matches_scipy_binomtest(scipy_stats: Any, bc: tuple[int, int]) -> None:
    b, c = bc
    ref = scipy_stats.binomtest(min(b, c), b + c, 0.5).pvalue
    assert math.isclose(mcnemar_exact(b, c), ref, rel_tol=1e-9)


@pytest.mark.parametrize("kn", [(0, 1), (1, 10), (19, 100), (272, 1000), (999, 1000), (5, 5)])
def test_wilson_matches_scipy(scipy_stats: Any, kn: tuple[int, int]) -> None:
    k, n = kn
    ci = scipy_stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    r = wilson("x", k, n, z=float(scipy_stats.norm.ppf(0.975)))
    assert math.isclose(r.low, ci.low, abs_tol=1e-12) and math.isclose(r.high, ci.high, abs_tol=1e-12)
