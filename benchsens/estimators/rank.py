"""First-order Sobol' indices from any i.i.d. sample, by rank statistics (given data).

``S1_i = Var(E[y | x_i]) / Var(y)`` needs pairs of outputs that share ``x_i``. With the
outputs centred (``yc``) and ``V = mean(yc^2)``:

* **continuous inputs**: Gamboa, Klein & Lagnoux (2022, Bernoulli 28:2345) rank
  estimator: sort the sample by ``x_i`` and pair each point with its right neighbour,
  ``S1_i = mean(yc_(j) yc_(j+1)) / V``; neighbours in ``x_i`` almost share ``x_i``, so this
  is pick-freeze without a design. Ties (repeated values in given data) are broken at
  random, so no other input leaks into the pairing.
* **discrete inputs** (Integer, Ordinal, Categorical): points at one level share ``x_i``
  *exactly*, so every pair within a level is a pick-freeze pair. The U-statistic
  ``sum_k p_k (S_k^2 - Q_k) / (n_k (n_k - 1))`` (``S_k``, ``Q_k``: sum and sum of squares
  of ``yc`` at level ``k``, ``p_k = n_k / n``) estimates ``E[E[yc | x_i]^2]`` without the
  ``(K - 1) / n`` upward bias of the plain correlation ratio (between-group variance);
  levels seen once carry no pair and are left out (weights renormalised). Neighbour pairing
  with random tie-breaking would waste most pairs and mix levels at the boundaries.

``extras["chatterjee_xi"]`` holds Chatterjee's (2021) rank correlation ``xi(x_i, y)``
from the same ordering, a different index (Cramér–von Mises type, Gamboa et al. 2018).
Tie-breaking randomness comes from the seed the plan stores in ``design.info`` (0 for a
sample the estimator did not plan).
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from ..registry import register_estimator
from .base import Design, Estimate, Estimator


def _neighbour_orders(U, rng):
    """Column-wise sort orders of ``U`` with ties broken at random."""
    dense = stats.rankdata(U, method="dense", axis=0)
    return np.argsort(dense + rng.random(U.shape), axis=0)


def _neighbour_s1(yc, orders):
    ys = yc[orders]
    return (ys[:-1] * ys[1:]).mean(0) / np.mean(yc**2)


def _chatterjee_xi(y, orders):
    """Chatterjee's xi in its general form, valid with ties in ``y`` (frequent on grids):
    ``1 - n sum |r_(j+1) - r_(j)| / (2 sum l (n - l))``, ``r = #{y' <= y}``, ``l = #{y' >= y}``."""
    n = y.size
    r = stats.rankdata(y, method="max")[orders]
    l = n + 1 - stats.rankdata(y, method="min")
    return 1.0 - n * np.abs(np.diff(r, axis=0)).sum(0) / (2.0 * np.sum(l * (n - l)))


def _within_level_s1(yc, codes, n_levels):
    """U-statistic S1 for discrete columns; ``codes`` (n, m) are level indices."""
    n, m = codes.shape
    flat = (codes + np.arange(m) * n_levels).ravel()
    size = m * n_levels
    count = np.bincount(flat, minlength=size).reshape(m, n_levels)
    total = np.bincount(flat, weights=np.repeat(yc[:, None], m, 1).ravel(), minlength=size).reshape(m, n_levels)
    squares = np.bincount(flat, weights=np.repeat((yc**2)[:, None], m, 1).ravel(), minlength=size).reshape(m, n_levels)
    paired = count >= 2
    mean_sq = np.divide(total**2 - squares, count * (count - 1.0), out=np.zeros_like(total), where=paired)
    weights = np.where(paired, count, 0.0)
    n_paired = weights.sum(1)
    between = np.divide((weights * mean_sq).sum(1), n_paired, out=np.zeros(m), where=n_paired > 0)
    return between / np.mean(yc**2)


@register_estimator
class RankS1(Estimator):
    """First-order indices from any i.i.d. sample (rank neighbours / within-level pairs).

    ``target = "first"``: ``importance`` is the estimate of ``S1`` itself (``first``).
    No options.

    Limitations
    -----------
    First-order only: an input acting through interactions alone (Ishigami's x3) gets
    about 0. The neighbour estimator's bias shrinks like ``1/n`` only for smooth effects;
    with many inputs and few points neighbours in ``x_i`` are far apart in the other
    inputs, so small indices come out noisy (possibly negative in ``first``).
    """

    name = "rank_s1"
    version = "1"
    target = "first"
    given_data = True
    _parameter_constraints: dict = {}

    def __init__(self):
        pass

    def _plan(self, space, budget, rng, gradient):
        return Design.from_unit(space, rng.random((budget, len(space))), seed=int(rng.integers(2**63)))

    def _analyze(self, design, y, gradient):
        d = len(design.space)
        if np.ptp(y) == 0:  # no variance to share (Estimator.analyze warns)
            zeros = np.zeros(d)
            return Estimate(names=[], importance=zeros, first=zeros.copy(),
                            extras={"chatterjee_xi": zeros.copy()})
        rng = np.random.default_rng(design.info.get("seed", 0))
        yc = y - y.mean()
        orders = _neighbour_orders(design.U, rng)
        first = _neighbour_s1(yc, orders)
        discrete = np.array([dist.discrete for dist in design.space.dists])
        if discrete.any():
            dists = [dist for dist in design.space.dists if dist.discrete]
            codes = np.column_stack([dist.index(design.X[:, j]) for j, dist in
                                     zip(np.flatnonzero(discrete), dists)])
            first[discrete] = _within_level_s1(yc, codes, max(dist.levels.size for dist in dists))
        xi = _chatterjee_xi(y, orders)
        return Estimate(names=[], importance=first, first=first,
                        extras={"chatterjee_xi": xi, "discrete_inputs": discrete.tolist()})
