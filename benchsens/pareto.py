"""Pareto fronts of two objectives on a finite set of configurations (both minimised).

Used to define the goal-oriented ground truth of several objectives on real grids: the
indicator "off the Pareto front" (0 on the front, 1 off it) and "farther than ``eps`` from
the front", whose exact Sobol' indices say which parameters decide whether a configuration
is Pareto-optimal (:func:`benchsens.anova.grid_anova` of the indicator over the grid).
"""
from __future__ import annotations

import numpy as np

__all__ = ["pareto_front", "front_distance", "DEFAULT_EPS"]

#: Default tolerance of "within eps of the front", in units of each objective's range
#: over the grid (additive epsilon-indicator on range-normalised objectives).
DEFAULT_EPS = 0.05
_CHUNK = 4096


def _objectives(F) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    if F.ndim != 2 or F.shape[1] != 2:
        raise ValueError(f"F must have shape (n, 2) (two objectives, minimised), got {F.shape}")
    if not np.all(np.isfinite(F)):
        i = int(np.argmin(np.all(np.isfinite(F), axis=1)))
        raise ValueError(f"F must be finite; row {i} is {F[i].tolist()}")
    return F


def pareto_front(F) -> np.ndarray:
    """Which rows of ``F`` are non-dominated (both columns minimised).

    Row ``x`` is dominated when some row ``z`` is no worse in both objectives and strictly
    better in one; rows with identical objectives are all on the front. Vectorised:
    O(n log n) by grouping the first objective's distinct values.

    Parameters
    ----------
    F : array-like of shape (n, 2)
        Finite objective values.

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> from benchsens.pareto import pareto_front
    >>> pareto_front([[1, 5], [2, 3], [2, 4], [3, 3], [1, 5]]).tolist()
    [True, True, False, False, True]
    """
    F = _objectives(F)
    values, group = np.unique(F[:, 0], return_inverse=True)
    group_min = np.full(values.size, np.inf)
    np.minimum.at(group_min, group, F[:, 1])
    # smallest second objective among rows with a strictly smaller first objective
    before = np.concatenate([[np.inf], np.minimum.accumulate(group_min)[:-1]])
    dominated = (before[group] <= F[:, 1]) | (group_min[group] < F[:, 1])
    return ~dominated


def front_distance(F, on_front=None) -> np.ndarray:
    """Additive epsilon-indicator distance of every row to the Pareto front, on objectives
    rescaled to [0, 1] by their range over the rows: the smallest ``eps`` such that some
    front point is at most ``eps`` better in each objective. 0 on the front, > 0 off it.

    Examples
    --------
    >>> from benchsens.pareto import front_distance
    >>> front_distance([[0, 1], [1, 0], [1, 1]]).tolist()
    [0.0, 0.0, 1.0]
    """
    F = _objectives(F)
    front = pareto_front(F) if on_front is None else np.asarray(on_front, bool)
    span = np.ptp(F, axis=0)
    scaled = (F - F.min(axis=0)) / np.where(span > 0, span, 1.0)
    P = scaled[front]
    out = np.empty(F.shape[0])
    for s in range(0, F.shape[0], _CHUNK):  # chunks of rows x front points
        gap = scaled[s:s + _CHUNK, None, :] - P[None, :, :]
        out[s:s + _CHUNK] = gap.max(axis=2).min(axis=1)
    return np.maximum(out, 0.0)
