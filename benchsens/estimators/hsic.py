"""Normalised R2-HSIC dependence measures (Da Veiga 2015), exact or Nyström-approximated.

``R2_i = HSIC(X_i, Y) / sqrt(HSIC(X_i, X_i) HSIC(Y, Y))`` in ``[0, 1]``, with the biased
(V-statistic) estimator ``HSIC = tr(K H L H) / n^2`` (Gretton et al. 2005). Kernels:
Gaussian with the median-heuristic bandwidth on the unit-transformed inputs (discrete levels
at their cell midpoints) and on ``y``, the Dirac kernel ``1[a == b]`` on categorical levels and
on the goal indicator.

HSIC measures dependence, not a share of variance, so its ranking need not follow the
Sobol' indices. On Ishigami (n = 2000) it ranks x1 > x3 > x2: x3 (S1 = 0, ST = 0.24) acts only
through its interaction with x1 but widens the spread of ``y``, which HSIC detects, while
x2 acts through ``7 sin^2(x2)``, two oscillations over its range, finer than the
median-heuristic Gaussian kernel resolves.

``hsic.goal`` replaces ``y`` by the indicator that ``y`` lies in its best (lowest)
``gamma``-quantile: which inputs decide whether a configuration is good (Novello, Poirier
et al., "Goal-oriented sensitivity analysis of hyperparameters in deep learning", 2022).

Sizes: up to ``exact_max_n`` points the n x n Gram matrices are built; above it each
kernel is replaced by Nyström features (``n_features`` landmarks at the sample's quantiles;
deterministic, as every kernel here is one-dimensional) or exact one-hot features for Dirac
kernels, so ``HSIC = ||C_xy||_F^2`` from centred ``n x m`` feature matrices and no n x n
matrix is ever built.

P-values for screening (``extras["pvalue"]``, H0: ``X_i`` independent of ``Y``): the Gamma
approximation of the null of ``n HSIC``. Exact path: moments of Gretton et al. (2008,
"A kernel statistical test of independence"). Feature path: the same Gamma matched to the
mean ``tr(C_x) tr(C_y)`` and variance ``2 ||C_x||_F^2 ||C_y||_F^2`` of the weighted chi-square
limit ``sum_ab lambda_a mu_b z_ab^2`` (Zhang et al. 2018, "Large-scale kernel methods for
independence testing").
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import gamma as gamma_dist
from threadpoolctl import threadpool_limits

from ..registry import register_estimator
from ..space import Space
from ._params import Interval
from .base import Design, Estimate, Estimator

__all__ = ["Hsic", "HsicGoal"]

# Points used for the median heuristic (an evenly strided subsample above this size).
_MEDIAN_POINTS = 500
# Nyström: eigenvalues of the landmark Gram matrix below this fraction of the largest are dropped.
_EIG_RTOL = 1e-10


def _bandwidth(v: np.ndarray) -> float:
    """Median of the pairwise distances (0 when ``v`` is constant)."""
    if v.size > _MEDIAN_POINTS:
        v = v[np.linspace(0, v.size - 1, _MEDIAN_POINTS).astype(int)]
    dist = pdist(v[:, None])
    med = float(np.median(dist))
    return med if med > 0 else float(dist.max(initial=0.0))


def _gram(v, sigma):
    """Gaussian Gram matrix (``sigma`` > 0) or Dirac Gram matrix (``sigma`` None)."""
    if sigma is None:
        return (v[:, None] == v[None, :]).astype(float)
    K = np.subtract.outer(v / sigma, v / sigma)
    np.square(K, out=K)
    K *= -0.5
    return np.exp(K, out=K)


def _center(K):
    """``H K H`` in place (``H = I - 1/n``)."""
    row = K.mean(axis=0)
    K -= row[None, :]
    K -= row[:, None]
    K += row.mean()
    return K


def _features(v, sigma, m):
    """Centred features ``Phi`` with ``Phi Phi^T ~ H K H``: one-hot for a Dirac kernel,
    Nyström on ``m`` quantile landmarks for a Gaussian one."""
    if sigma is None:
        _, codes = np.unique(v, return_inverse=True)
        phi = np.zeros((v.size, codes.max() + 1))
        phi[np.arange(v.size), codes] = 1.0
    else:
        landmarks = np.unique(np.quantile(v, np.linspace(0.0, 1.0, m)))
        lam, vec = np.linalg.eigh(_gram(landmarks, sigma))
        keep = lam > _EIG_RTOL * lam[-1]
        cross = np.exp(-0.5 * ((v[:, None] - landmarks[None, :]) / sigma) ** 2)
        phi = cross @ (vec[:, keep] / np.sqrt(lam[keep]))
    return phi - phi.mean(axis=0)


def _gamma_pvalue(stat, mean, var):
    """Upper tail of the Gamma law with this mean and variance (1 when degenerate)."""
    ok = (mean > 0) & (var > 0)
    shape = np.where(ok, mean**2 / np.where(ok, var, 1.0), 1.0)
    scale = np.where(ok, var / np.where(ok, mean, 1.0), 1.0)
    return np.where(ok, gamma_dist.sf(stat, shape, scale=scale), 1.0)


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


@register_estimator
class Hsic(Estimator):
    """Normalised R2-HSIC per input (``importance``), with screening p-values.

    ``target = "dependence"``: R2-HSIC measures any statistical dependence between ``x_i``
    and ``y`` (0 iff independent, for characteristic kernels), not a share of variance, so
    it is not on the Sobol' scale and ``first``/``total`` are not given.

    Options: ``exact_max_n`` (largest sample analysed with n x n Gram matrices; 0 always
    approximates), ``n_features`` (Nyström landmarks).

    Limitations
    -----------
    Ranks need not follow the Sobol' indices (see the module docstring: Ishigami's x2 and
    x3 swap). The median-heuristic bandwidth misses effects finer than the bandwidth.
    Exact Gram matrices cost ``O(n^2)`` memory; above ``exact_max_n`` the Nyström features
    approximate the kernel.
    """

    name = "hsic"
    version = "2"
    target = "dependence"
    given_data = True
    _goal = False
    _parameter_constraints = {
        "exact_max_n": [Interval(Integral, 0, None, closed="left")],
        "n_features": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, *, exact_max_n: int = 2000, n_features: int = 100):
        self.exact_max_n = exact_max_n
        self.n_features = n_features

    def _min_budget(self, space: Space, gradient) -> int:
        return max(2 * len(space) + 2, 10)

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        U = design.unit_at_levels()  # a level's points share one value (the Dirac kernel needs it)
        n, d = U.shape
        if self._goal:
            out, out_sigma = (y <= np.quantile(y, self.gamma)).astype(float), None
        else:  # standardised: the kernel is scale-free, and squared distances cannot overflow
            out = (y - y.mean()) / (y.std() or 1.0)
            out_sigma = _bandwidth(out)
        columns = []  # (values, bandwidth or None for the Dirac kernel)
        for i, dist in enumerate(design.space.dists):
            u = U[:, i]
            columns.append((u, None) if dist.kind == "categorical" else (u, _bandwidth(u)))
        constant = [np.all(v == v[0]) for v, _ in columns]
        exact = n <= self.exact_max_n
        out_constant = bool(np.all(out == out[0]))
        if exact:
            hsic, hsic_xx, hsic_yy, pvalue = self._exact(columns, constant, out, out_sigma, out_constant)
        else:
            # many tiny eigh/matmul calls: BLAS threads only add contention here
            with threadpool_limits(limits=1, user_api="blas"):
                hsic, hsic_xx, hsic_yy, pvalue = self._approx(columns, constant, out, out_sigma, out_constant)
        r2 = np.clip(_ratio(hsic, np.sqrt(hsic_xx * hsic_yy)), 0.0, 1.0)
        return Estimate(
            design.space.names, r2,
            extras={"hsic": hsic, "pvalue": pvalue, "method": "exact" if exact else "nystrom",
                    "output": "goal" if self._goal else "output",
                    "bandwidth": [np.nan if s is None else s for _, s in columns],
                    **({"gamma": float(self.gamma)} if self._goal else {})},
        )

    @staticmethod
    def _exact(columns, constant, out, out_sigma, out_constant):
        n, d = out.size, len(columns)
        hsic, hsic_xx, pvalue = np.zeros(d), np.zeros(d), np.ones(d)
        if out_constant:
            return hsic, hsic_xx, 0.0, pvalue
        Lc = _gram(out, out_sigma)
        mu_y = (Lc.sum() - n) / (n * (n - 1))  # mean off-diagonal entry (diagonal is 1)
        _center(Lc)
        hsic_yy = np.vdot(Lc, Lc) / n**2
        scale = 72.0 * (n - 4) * (n - 5) / (n * (n - 1) * (n - 2) * (n - 3))
        mean, var = np.zeros(d), np.zeros(d)
        for i, (v, sigma) in enumerate(columns):
            if constant[i]:
                continue
            Kc = _gram(v, sigma)
            mu_x = (Kc.sum() - n) / (n * (n - 1))
            _center(Kc)
            hsic_xx[i] = np.vdot(Kc, Kc) / n**2
            diag = np.diagonal(Kc) * np.diagonal(Lc)
            Kc *= Lc
            hsic[i] = Kc.sum() / n**2
            # Gretton et al. (2008): Gamma approximation of the null law of n * HSIC
            off_diag = (np.vdot(Kc, Kc) - np.sum(diag**2)) / 36.0
            var[i] = n**2 * scale * off_diag / (n * (n - 1))
            mean[i] = 1.0 + mu_x * mu_y - mu_x - mu_y
        pvalue = _gamma_pvalue(n * hsic, mean, var)
        return hsic, hsic_xx, hsic_yy, pvalue

    def _approx(self, columns, constant, out, out_sigma, out_constant):
        n, d = out.size, len(columns)
        hsic, hsic_xx, pvalue = np.zeros(d), np.zeros(d), np.ones(d)
        if out_constant:
            return hsic, hsic_xx, 0.0, pvalue
        psi = _features(out, out_sigma, self.n_features)
        cov_y = psi.T @ psi / n
        hsic_yy = np.sum(cov_y**2)
        mean, var = np.zeros(d), np.zeros(d)
        for i, (v, sigma) in enumerate(columns):
            if constant[i]:
                continue
            phi = _features(v, sigma, self.n_features)
            cov_x = phi.T @ phi / n
            hsic[i] = np.sum((phi.T @ psi / n) ** 2)
            hsic_xx[i] = np.sum(cov_x**2)
            mean[i] = np.trace(cov_x) * np.trace(cov_y)
            var[i] = 2.0 * hsic_xx[i] * hsic_yy
        pvalue = _gamma_pvalue(n * hsic, mean, var)
        return hsic, hsic_xx, hsic_yy, pvalue


@register_estimator
class HsicGoal(Hsic):
    """Goal-oriented R2-HSIC: dependence of the indicator ``1[y <= gamma-quantile]`` (the
    best ``gamma`` share of the sample, Dirac kernel) on each input.

    ``target = "local"``: which inputs decide whether a configuration is among the best,
    a top-quantile notion, not a Sobol' index of ``y``; ``extras["gamma"]`` states the
    quantile, so it is scored against the local truth of the same ``gamma``.

    Options: ``gamma`` in (0, 1), and those of ``hsic``.

    Limitations
    -----------
    Only ``gamma * n`` points are "good": with small samples the indicator is noisy. The
    indicator throws away how good a point is; ties at the quantile go to the good side.
    """

    name = "hsic.goal"
    version = "3"
    target = "local"
    _goal = True
    _parameter_constraints = {
        "gamma": [Interval(Real, 0.0, 1.0, closed="neither")],
        **Hsic._parameter_constraints,
    }

    def __init__(self, *, gamma: float = 0.1, exact_max_n: int = 2000, n_features: int = 100):
        self.gamma = gamma
        self.exact_max_n = exact_max_n
        self.n_features = n_features
