"""Exact functional ANOVA of a function tabulated on a full tensor grid.

``values[i1, ..., id]`` holds ``f`` at every combination of per-axis nodes and
``weights[j]`` the probability (or quadrature weight) of each node of axis ``j``.
With independent inputs the Sobol' decomposition of the tabulated function is exact:
``S1_j = Var(E[f | x_j]) / V``, ``ST_j = E[Var(f | x_-j)] / V`` and the closed second-order
``S2_jk = Var(E[f | x_j, x_k]) / V - S1_j - S1_k``. Used for real grids (discrete ANOVA)
and for quadrature on continuous × enumeration on discrete inputs.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["grid_anova"]


def _mean_over(values, weights, keep):
    """Weighted mean over every axis not in ``keep`` (kept axes stay, in order)."""
    out = values
    for axis in reversed(range(values.ndim)):
        if axis not in keep:
            out = np.tensordot(out, weights[axis], axes=([axis], [0]))
    return out


def grid_anova(values: np.ndarray, weights: Sequence[np.ndarray], second: bool = True):
    """Return ``(first, total, second_or_None, mean, variance)`` of a tabulated function."""
    values = np.asarray(values, float)
    d = values.ndim
    if len(weights) != d:
        raise ValueError(f"grid_anova: {len(weights)} weight vectors for a {d}-D grid")
    w = []
    for j, wj in enumerate(weights):
        wj = np.asarray(wj, float)
        if wj.shape != (values.shape[j],):
            raise ValueError(f"grid_anova: axis {j} has {values.shape[j]} nodes but {wj.size} weights")
        if np.any(wj < 0) or not np.isclose(wj.sum(), 1.0):
            raise ValueError(f"grid_anova: axis {j} weights must be >= 0 and sum to 1")
        w.append(wj / wj.sum())
    if not np.all(np.isfinite(values)):
        raise ValueError("grid_anova: the grid holds non-finite values")
    mean = _mean_over(values, w, ())
    centred = values - mean
    variance = float(_mean_over(centred**2, w, ()))
    if variance <= 0:
        raise ValueError("grid_anova: the function is constant on the grid (zero variance)")
    first = np.empty(d)
    total = np.empty(d)
    for j in range(d):
        m_j = _mean_over(centred, w, (j,))
        first[j] = w[j] @ m_j**2 / variance
        # E_{x_-j}[Var_{x_j}(f)]: variance along axis j, then averaged over the rest
        cond_mean = np.tensordot(centred, w[j], axes=([j], [0]))
        var_j = np.tensordot(centred**2, w[j], axes=([j], [0])) - cond_mean**2
        rest = [w[k] for k in range(d) if k != j]
        total[j] = float(_mean_over(var_j, rest, ())) / variance
    s2 = None
    if second:
        s2 = np.zeros((d, d))
        for j in range(d):
            for k in range(j + 1, d):
                m_jk = _mean_over(centred, w, (j, k))
                vjk = w[j] @ m_jk**2 @ w[k] / variance
                s2[j, k] = s2[k, j] = vjk - first[j] - first[k]
    clip = lambda a: None if a is None else np.clip(a, 0.0, 1.0)  # noqa: E731 (round-off)
    return clip(first), clip(total), clip(s2), float(mean), variance
