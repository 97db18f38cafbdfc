"""Tools for checking ground truths and estimators.

:func:`pick_freeze` re-estimates Sobol' indices by plain Monte Carlo, independent of any
registry value, so tests can hold an analytic or exact truth to it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["pick_freeze", "assert_truth_matches"]


def _ratio_se(num_terms, den_terms):
    """Delta-method standard error of mean(num) / mean(den)."""
    n = num_terms.size
    a, b = num_terms.mean(), den_terms.mean()
    cov = np.cov(num_terms, den_terms)
    var = (cov[0, 0] / b**2 - 2 * a * cov[0, 1] / b**3 + a**2 * cov[1, 1] / b**4) / n
    return float(np.sqrt(max(var, 0.0)))


def pick_freeze(problem, n: int, rng: np.random.Generator, chunk: int = 2**17):
    """Monte Carlo S1 (Saltelli 2010) and ST (Jansen 1999) of a problem's noiseless
    function with ``n`` i.i.d. base samples; returns ``(first, total, se_first, se_total)``.

    Memory stays bounded: each input's AB matrix is built in chunks of ``chunk`` rows.
    """
    space, d = problem.space, problem.d
    func = problem._call
    first = np.empty(d)
    total = np.empty(d)
    se1 = np.empty(d)
    set_ = np.empty(d)
    A = space.from_unit(rng.random((n, d)))
    B = space.from_unit(rng.random((n, d)))
    fA, fB = func(A), func(B)
    mu = 0.5 * (fA.mean() + fB.mean())
    den = 0.5 * ((fA - mu) ** 2 + (fB - mu) ** 2)
    for i in range(d):
        fAB = np.empty(n)
        for s in range(0, n, chunk):
            ABi = A[s : s + chunk].copy()
            ABi[:, i] = B[s : s + chunk, i]
            fAB[s : s + chunk] = func(ABi)
        t1 = fB * (fAB - fA)
        tt = 0.5 * (fA - fAB) ** 2
        first[i] = t1.mean() / den.mean()
        total[i] = tt.mean() / den.mean()
        se1[i] = _ratio_se(t1, den)
        set_[i] = _ratio_se(tt, den)
    return first, total, se1, set_


def assert_truth_matches(problem, n: int = 10**6, seed: int = 0, z: float = 4.0, atol: float = 1e-6):
    """Raise AssertionError unless the problem's S1/ST agree with :func:`pick_freeze`
    within ``z`` standard errors (plus ``atol`` for round-off of tiny indices)."""
    first, total, se1, set_ = pick_freeze(problem, n, np.random.default_rng(seed))
    gt = problem.truth
    for label, est, se, true in (("first", first, se1, gt.first), ("total", total, set_, gt.total)):
        err = np.abs(est - true)
        tol = z * se + atol
        if np.any(err > tol):
            j = int(np.argmax(err - tol))
            raise AssertionError(
                f"{problem.name}: {label}[{j}] ({problem.space.names[j]}) truth={true[j]:.5f} "
                f"but Monte Carlo gives {est[j]:.5f} ± {se[j]:.5f} (n={n})"
            )
    return first, total, se1, set_
