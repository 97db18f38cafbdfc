"""PED-ANOVA-style local importance (Watanabe, Bansal & Hutter, IJCAI 2023), on cells.

Let ``b = 1[y <= q_gamma]`` mark the best ``gamma`` share of the given points (ties at the
quantile count as good, as in the grid truths). For one input, cut its range into cells (a
discrete input's levels; ``n_bins`` equal-probability cells of a continuous input's
distribution) and let ``p`` be the share of all given points in each cell and ``q`` the
share of the good points. With ``m`` the share of good points, ``E[b | cell] = m q / p``, so
the main-effect variance of ``b`` is ``m^2 * sum (q - p)^2 / p``: ``m^2`` times the Pearson
divergence of the top-``gamma`` distribution from the whole, the quantity PED-ANOVA
estimates (their Theorem 1). Dividing by ``Var(b) = m (1 - m)`` gives the local Sobol'
index ``m / (1 - m) * D_PE(q || p)``, the first-order index of the top-region indicator
that real grids record as ``truth.extras["local"][gamma]["first"]``.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ..registry import register_estimator
from ._params import Interval
from .base import Design, Estimate, Estimator

__all__ = ["PedAnova", "cell_codes"]


def cell_codes(design: Design, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell of every point for every input, ``(n, d)`` integer codes offset per input so
    that all inputs share one code range, and the number of cells per input ``(d,)``.

    Discrete inputs: their levels (read from ``X``); continuous inputs: ``n_bins``
    equal-probability cells of their distribution (equal-width cells of ``U``)."""
    sizes = np.array([dist.levels.size if dist.discrete else n_bins for dist in design.space.dists])
    codes = np.empty(design.X.shape, np.int64)
    for j, dist in enumerate(design.space.dists):
        codes[:, j] = dist.index(design.X[:, j]) if dist.discrete \
            else np.minimum((design.U[:, j] * n_bins).astype(np.int64), n_bins - 1)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return codes + offsets, sizes


@register_estimator
class PedAnova(Estimator):
    """Local importance of each input for landing in the best ``gamma`` share of the given
    points: the Pearson divergence of its top-``gamma`` distribution from its distribution
    over all given points (PED-ANOVA, Watanabe et al. 2023), on the local Sobol' scale.

    ``target = "local"``: ``importance`` estimates the first-order Sobol' index of the
    indicator ``1[y <= gamma-quantile]`` (``extras["gamma"]`` states which quantile), what
    tuners ask ("what decides whether a configuration is among the best?") and the truth's
    ``extras["local"]``. Discrete inputs are counted per level (exact when the given points
    are the whole grid under uniform level weights); continuous inputs per ``n_bins``
    equal-probability cells. ``extras``: ``divergence`` (Pearson, per input),
    ``top_share`` (``m``, at least ``gamma``: ties are kept), ``threshold``.

    Options: ``gamma`` in (0, 1) (default 0.1, as PED-ANOVA and Optuna); ``n_bins`` cells
    per continuous input.

    Limitations
    -----------
    Only ``gamma * n`` points carry the signal; the plug-in divergence is biased upwards by
    about ``(cells - 1) / (gamma * n)``, more for inputs with more levels, so few points
    favour many-level inputs. Binning a continuous input loses the variation inside a cell
    (a lower estimate). The "whole" is the given sample: on an optimiser's trace it is the
    explored region, not the prior, so the estimate is local to what was explored. Main
    effects only (interactions on the indicator are not seen).
    """

    name = "ped_anova"
    target = "local"
    given_data = True
    _parameter_constraints = {
        "gamma": [Interval(Real, 0.0, 1.0, closed="neither")],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, gamma: float = 0.1, n_bins: int = 8):
        self.gamma = gamma
        self.n_bins = n_bins

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        n, d = design.X.shape
        threshold = float(np.quantile(y, self.gamma, method="inverted_cdf"))
        good = y <= threshold
        m = good.mean()
        codes, sizes = cell_codes(design, self.n_bins)
        total = np.bincount(codes.ravel(), minlength=sizes.sum()) / n  # p per cell, all inputs
        top = np.bincount(codes[good].ravel(), minlength=sizes.sum()) / good.sum()  # q per cell
        terms = np.divide((top - total) ** 2, total, out=np.zeros_like(total), where=total > 0)
        divergence = np.add.reduceat(terms, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        local = m / (1.0 - m) * divergence if m < 1 else np.zeros(d)  # m = 1: constant output
        return Estimate(design.space.names, local,
                        extras={"gamma": float(self.gamma), "divergence": divergence,
                                "top_share": float(m), "threshold": threshold})
