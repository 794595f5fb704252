"""Rates and significance tests for audit results, in plain ``math`` (no scipy).

- :func:`wilson`: k of n with its Wilson score interval (Wilson 1927; the interval recommended by Brown, Cai
  and DasGupta 2001 for small n and rates near 0 or 1, where the normal "Wald" interval fails).
- :func:`mcnemar_exact`: paired comparison (the same probes against two models, or the same task with and
  without a trigger): two-sided exact binomial test on the discordant pairs b and c.
- :func:`fisher_exact`: unpaired 2x2 table, two-sided (the sum of the probabilities of every table with the
  same margins that is no more likely than the observed one; scipy's definition).
- :func:`two_proportion_z`: the large-sample pooled z test, for when the counts are large.

Probabilities are summed in log space (``lgamma``) so counts in the tens of thousands neither overflow nor
underflow.
"""

from __future__ import annotations

import math

from tierguard.audit.interface import Rate

_REL_TOL = 1 + 1e-7  # tables whose probability is within this factor of the observed count as "as extreme"


def wilson(label: str, k: int, n: int, z: float = 1.96) -> Rate:
    """``k`` of ``n`` with its Wilson score interval (95 % for the default z); n == 0 gives 0 in [0, 1]."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"wilson: need 0 <= k <= n, got k={k} n={n}")
    if n == 0:
        return Rate(label=label, k=0, n=0, rate=0.0, low=0.0, high=1.0)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Rate(label=label, k=k, n=n, rate=p, low=low, high=high)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _logsumexp(xs: list[float]) -> float:
    if not xs:
        return -math.inf
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def binom_two_sided(k: int, n: int) -> float:
    """Two-sided exact binomial test of ``k`` successes in ``n`` trials against p = 1/2."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"binomial test: need 0 <= k <= n, got k={k} n={n}")
    if n == 0:
        return 1.0
    lo = min(k, n - k)
    log_half_n = -n * math.log(2)
    tail = _logsumexp([_log_comb(n, i) + log_half_n for i in range(lo + 1)])
    return min(1.0, 2 * math.exp(tail))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar test: ``b`` pairs changed one way, ``c`` the other; two-sided p-value."""
    return binom_two_sided(min(b, c), b + c)


def _hypergeom_logpmf(x: int, row1: int, col1: int, total: int) -> float:
    return _log_comb(col1, x) + _log_comb(total - col1, row1 - x) - _log_comb(total, row1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact test of the table [[a, b], [c, d]] (rows: groups; columns: outcome yes/no)."""
    if min(a, b, c, d) < 0:
        raise ValueError("fisher_exact: counts must be >= 0")
    row1, col1, total = a + b, a + c, a + b + c + d
    if total == 0 or row1 in (0, total) or col1 in (0, total):
        return 1.0
    lo, hi = max(0, row1 + col1 - total), min(row1, col1)
    observed = _hypergeom_logpmf(a, row1, col1, total)
    bound = observed + math.log(_REL_TOL)
    logs = [lp for x in range(lo, hi + 1) if (lp := _hypergeom_logpmf(x, row1, col1, total)) <= bound]
    return min(1.0, math.exp(_logsumexp(logs)))


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z test of k1/n1 against k2/n2: (z, two-sided p). Degenerate input: (0, 1)."""
    if n1 <= 0 or n2 <= 0:
        return 0.0, 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (k1 / n1 - k2 / n2) / se
    return z, min(1.0, 2 * normal_sf(abs(z)))
