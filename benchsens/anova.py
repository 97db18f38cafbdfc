"""Exact functional ANOVA of a function tabulated on a full tensor grid.

``values[i1, ..., id]`` holds ``f`` at every combination of per-axis nodes and
``weights[j]`` the probability (or quadrature weight) of each node of axis ``j``.
With independent inputs the Sobol' decomposition of the tabulated function is exact:
``S1_j = Var(E[f | x_j]) / V``, ``ST_j = E[Var(f | x_-j)] / V`` and the pure second-order
interaction index ``S2_jk = Var(E[f | x_j, x_k]) / V - S1_j - S1_k`` (the closed index of
the pair, ``Var(E[f | x_j, x_k]) / V``, is ``S1_j + S1_k + S2_jk``). Used for real grids
(discrete ANOVA) and for quadrature on continuous × enumeration on discrete inputs.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from .space import WEIGHT_SUM_ATOL

__all__ = ["AnovaResult", "grid_anova"]


class AnovaResult(NamedTuple):
    """Sobol' decomposition of a tabulated function (unpacks like a 5-tuple).

    ``first``, ``total``: S1 and ST per axis; ``second``: the d x d pure interaction
    indices S2 (symmetric, zero diagonal) or None; ``mean`` and ``variance`` of ``f``.
    """

    first: np.ndarray
    total: np.ndarray
    second: np.ndarray | None
    mean: float
    variance: float


def _outer(weights):
    """The joint probability tensor of independent axes."""
    out = np.ones(())
    for wj in weights:
        out = np.multiply.outer(out, wj)
    return out


def _conditional_sq(summed, weights):
    """``sum p * E[c | kept]**2`` from ``summed = sum over the other axes of c * p``:
    with ``p_kept`` the kept axes' joint weight, ``E[c | kept] = summed / p_kept``."""
    p_kept = _outer(weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(p_kept > 0, summed**2 / p_kept, 0.0)
    return float(terms.sum())


def grid_anova(values: np.ndarray, weights: Sequence[np.ndarray], second: bool = True) -> AnovaResult:
    """The exact :class:`AnovaResult` of ``values`` under independent axis ``weights``.

    Each axis's weights must be >= 0 and sum to 1 within ``WEIGHT_SUM_ATOL`` (the
    tolerance :class:`~benchsens.space.Space` levels use); they are then renormalised.
    ``second=False`` skips the d(d-1)/2 pair indices. Computed with one BLAS thread: the
    round-off of threaded dot products depends on the thread count, and truths identify
    problems in cell keys, so a sweep's planner and its workers must get the same bits.
    """
    with threadpool_limits(1):
        return _grid_anova(values, weights, second)


def _grid_anova(values, weights, second) -> AnovaResult:
    values = np.asarray(values, float)
    d = values.ndim
    if len(weights) != d:
        raise ValueError(f"grid_anova: {len(weights)} weight vectors for a {d}-D grid")
    w = []
    for j, wj in enumerate(weights):
        wj = np.asarray(wj, float)
        if wj.shape != (values.shape[j],):
            raise ValueError(f"grid_anova: axis {j} has {values.shape[j]} nodes but {wj.size} weights")
        if np.any(wj < 0) or not np.isclose(wj.sum(), 1.0, rtol=0, atol=WEIGHT_SUM_ATOL):
            raise ValueError(f"grid_anova: axis {j} weights must be >= 0 and sum to 1, got "
                             f"min={float(wj.min())!r}, sum={float(wj.sum())!r}")
        w.append(wj / wj.sum())
    if not np.all(np.isfinite(values)):
        at = tuple(int(i[0]) for i in np.nonzero(~np.isfinite(values)))
        raise ValueError(f"grid_anova: the grid holds non-finite values, e.g. values{list(at)} = {float(values[at])!r}")
    p = _outer(w)
    mean = float(np.vdot(p, values))
    centred = values - mean
    cp = centred * p
    variance = float(np.vdot(cp, centred))
    # a constant table leaves only round-off (~1e-32 relative to mean**2): not a variance
    if variance <= 1e-24 * max(mean * mean, np.finfo(float).tiny):
        raise ValueError("grid_anova: the function is constant on the grid (zero variance)")
    axes = tuple(range(d))
    first = np.empty(d)
    total = np.empty(d)
    for j in range(d):
        others = axes[:j] + axes[j + 1 :]
        first[j] = _conditional_sq(cp.sum(axis=others), [w[j]]) / variance
        # ST_j = E[Var(f | x_-j)] / V from deviations along axis j; slices on which f is
        # exactly constant contribute exactly zero (so a true dummy gets ST = 0, not round-off)
        cond = np.expand_dims(np.tensordot(centred, w[j], axes=([j], [0])), j)
        dev = np.where(np.ptp(values, axis=j, keepdims=True) == 0, 0.0, centred - cond)
        total[j] = float(np.vdot(p, dev**2)) / variance
    s2 = None
    if second:
        s2 = np.zeros((d, d))
        for j in range(d):
            for k in range(j + 1, d):
                rest = tuple(a for a in axes if a not in (j, k))
                vjk = _conditional_sq(cp.sum(axis=rest), [w[j], w[k]]) / variance
                s2[j, k] = s2[k, j] = vjk - first[j] - first[k]
    clip = lambda a: None if a is None else np.clip(a, 0.0, 1.0)  # noqa: E731 (round-off)
    return AnovaResult(clip(first), clip(total), clip(s2), mean, variance)
