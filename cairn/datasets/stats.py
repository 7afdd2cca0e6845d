"""The two p-values drift needs, in NumPy and the standard library (SciPy is not a dependency).

``ks_p_value`` is the asymptotic two-sample Kolmogorov-Smirnov p-value with Stephens' small-sample
correction (Numerical Recipes, ``probks``); ``chi2_sf`` is the chi-square survival function, the
regularized upper incomplete gamma function Q(dof/2, x/2) by series or continued fraction.
"""

from __future__ import annotations

import math

import numpy as np

_EPS = 1e-15
_MAX_TERMS = 500


def kolmogorov_sf(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution: 2 * sum_k (-1)^(k-1) exp(-2 k^2 lam^2)."""
    if lam < 0.18:  # the series converges slowly here, and the answer is 1 to 1e-15
        return 1.0
    k = np.arange(1, 101, dtype=np.float64)
    terms = 2.0 * (-1.0) ** (k - 1) * np.exp(-2.0 * k * k * lam * lam)
    return float(min(max(terms.sum(), 0.0), 1.0))


def ks_p_value(statistic: float, n: int, m: int) -> float:
    """The p-value of a two-sample KS statistic ``D`` for samples of sizes ``n`` and ``m``."""
    if n <= 0 or m <= 0:
        return 1.0
    en = math.sqrt(n * m / (n + m))
    return kolmogorov_sf((en + 0.12 + 0.11 / en) * statistic)


def chi2_sf(x: float, dof: int) -> float:
    """P(X > x) for X chi-square distributed with ``dof`` degrees of freedom."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    if x <= 0:
        return 1.0
    return _gamma_q(dof / 2.0, x / 2.0)


def _gamma_q(a: float, x: float) -> float:
    if x < a + 1.0:
        return max(0.0, 1.0 - _gamma_p_series(a, x))
    return _gamma_q_fraction(a, x)


def _gamma_p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_TERMS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a: float, x: float) -> float:
    # Modified Lentz evaluation of the continued fraction for Q(a, x).
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)
