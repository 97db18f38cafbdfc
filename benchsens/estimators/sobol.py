"""Sobol' indices from a scrambled Sobol' A/B/AB pick-freeze design.

Design (rows, in blocks of ``N``): ``A``, ``B``, ``AB_1 .. AB_d`` (``AB_i`` is ``A`` with
column ``i`` from ``B``) and, with ``second_order=True``, ``BA_1 .. BA_d``. ``A`` and ``B``
are the two halves of one scrambled Sobol' sequence in ``2d`` dimensions (scipy.stats.qmc),
mapped by the Space, so every parameter kind works. ``N`` is the largest base sample that
fits ``N * (d + 2)`` (or ``N * (2d + 2)``) in the budget, rounded **down to a power of two**
when ``base2=True`` (the default: Sobol' points keep their balance properties only then).

Estimators (Saltelli et al. 2010, Computer Physics Communications 181:259, table 2):
``first="saltelli2010"``: ``mean(fB (fAB_i - fA)) / V``; ``first="janon"``: Janon et al.
(2014, ESAIM P&S 18:342) asymptotically efficient pick-freeze, using ``B`` and ``AB_i``
(which share ``x_i``). ``total="jansen"``: ``mean((fA - fAB_i)^2) / 2V`` (Jansen 1999);
``total="homma"``: ``1 - (mean(fA fAB_i) - f0^2) / V`` (Homma & Saltelli 1996). Second
order: Saltelli (2002) closed ``V_jk = mean(fBA_j fAB_k - fA fB)``, ``S2 = V_jk/V - S1_j - S1_k``.
``V`` and ``f0`` come from the ``2N`` points of ``A`` and ``B``; outputs are first centred
by the mean over the whole design (every row has the input distribution), as SALib does.

Bootstrap: ``n_bootstrap`` resamples of the ``N`` base rows, drawn as an ``(R, N)`` integer
array and turned into a count matrix ``W``; every bootstrap mean is then ``W @ T / N``
for the ``(N, m)`` matrix ``T`` of per-row terms: one matrix product, no loop over
resamples. ``ci`` holds percentile intervals at ``confidence``; ``extras`` the bootstrap
standard errors and SALib-style half-widths ``z * se``. The bootstrap treats base rows
as i.i.d.; on scrambled Sobol' points the true error is smaller, so intervals are conservative.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..registry import register_estimator
from .base import Design, Estimate, Estimator

_FIRST = ("saltelli2010", "janon")
_TOTAL = ("jansen", "homma")
#: Smallest base sample: a variance and a bootstrap need a few rows.
_MIN_N = 4


def _blocks(d: int, second_order: bool) -> int:
    return 2 * d + 2 if second_order else d + 2


def _term_matrix(fA, fB, fAB, fBA, first, total):
    """Per-row terms whose column means determine every index; returns (T, slices)."""
    d = fAB.shape[1]
    parts = {"y": 0.5 * (fA + fB)[:, None], "y2": 0.5 * (fA**2 + fB**2)[:, None]}
    if first == "saltelli2010":
        parts["s1"] = fB[:, None] * (fAB - fA[:, None])
    else:
        parts["j_prod"] = fB[:, None] * fAB
        parts["j_mean"] = 0.5 * (fB[:, None] + fAB)
        parts["j_sq"] = 0.5 * (fB[:, None] ** 2 + fAB**2)
    if total == "jansen":
        parts["st"] = 0.5 * (fA[:, None] - fAB) ** 2
    else:
        parts["h_prod"] = fA[:, None] * fAB
    if fBA is not None:
        j, k = np.triu_indices(d, 1)
        parts["ab"] = (fA * fB)[:, None]
        parts["s2"] = fBA[:, j] * fAB[:, k]
    slices, start = {}, 0
    for key, block in parts.items():
        slices[key] = slice(start, start + block.shape[1])
        start += block.shape[1]
    return np.concatenate(list(parts.values()), axis=1), slices


def _ratio(num, den):
    """num / den, 0 where the variance vanishes (constant output)."""
    return np.divide(num, den, out=np.zeros(np.broadcast_shapes(num.shape, den.shape)),
                     where=den > 1e-300)


def _indices_from_means(M, s, first, total, d):
    """S1, ST (and S2 pairs) from column means ``M`` of shape (..., m)."""
    f0 = M[..., s["y"]]
    V = M[..., s["y2"]] - f0**2
    if first == "saltelli2010":
        S1 = _ratio(M[..., s["s1"]], V)
    else:
        m = M[..., s["j_mean"]]
        S1 = _ratio(M[..., s["j_prod"]] - m**2, M[..., s["j_sq"]] - m**2)
    if total == "jansen":
        ST = _ratio(M[..., s["st"]], V)
    else:
        ST = np.where(V > 1e-300, 1.0 - _ratio(M[..., s["h_prod"]] - f0**2, V), 0.0)
    S2 = None
    if "s2" in s:
        j, k = np.triu_indices(d, 1)
        S2 = _ratio(M[..., s["s2"]] - M[..., s["ab"]], V) - S1[..., j] - S1[..., k]
    return S1, ST, S2


def _bootstrap_counts(rng, n: int, resamples: int) -> np.ndarray:
    """(resamples, n) matrix: how often each base row appears in each resample."""
    idx = rng.integers(0, n, size=(resamples, n))
    idx += (np.arange(resamples) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)


def _square(pairs, d):
    out = np.zeros(pairs.shape[:-1] + (d, d))
    j, k = np.triu_indices(d, 1)
    out[..., j, k] = pairs
    out[..., k, j] = pairs
    return out


@register_estimator
class Sobol(Estimator):
    """First/total (optionally second) order Sobol' indices with bootstrap intervals."""

    name = "sobol"
    version = "1"

    def __init__(self, second_order: bool = False, first: str = "saltelli2010", total: str = "jansen",
                 n_bootstrap: int = 100, confidence: float = 0.95, base2: bool = True):
        self.second_order = second_order
        self.first = first
        self.total = total
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.base2 = base2

    def _check_options(self):
        if self.first not in _FIRST:
            raise ValueError(f"sobol: first must be one of {_FIRST}, got {self.first!r}")
        if self.total not in _TOTAL:
            raise ValueError(f"sobol: total must be one of {_TOTAL}, got {self.total!r}")
        if isinstance(self.n_bootstrap, bool) or int(self.n_bootstrap) != self.n_bootstrap \
                or self.n_bootstrap < 0 or self.n_bootstrap == 1:
            raise ValueError(f"sobol: n_bootstrap must be 0 or an integer >= 2, got {self.n_bootstrap!r}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"sobol: confidence must lie in (0, 1), got {self.confidence!r}")

    def min_budget(self, space) -> int:
        return _MIN_N * _blocks(len(space), self.second_order)

    def base_sample(self, d: int, budget: int) -> int:
        """The base sample size ``N`` this estimator uses for ``d`` inputs and ``budget``."""
        n = budget // _blocks(d, self.second_order)
        return 1 << (n.bit_length() - 1) if self.base2 else n

    def _plan(self, space, budget, rng, gradient):
        self._check_options()
        d = len(space)
        n = self.base_sample(d, budget)
        engine = qmc.Sobol(2 * d, scramble=True, rng=rng)
        if self.base2:
            AB = engine.random_base2(n.bit_length() - 1)
        else:
            with warnings.catch_warnings():  # balance is knowingly given up with base2=False
                warnings.simplefilter("ignore", UserWarning)
                AB = engine.random(n)
        A, B = AB[:, :d], AB[:, d:]
        blocks = [A, B]
        for i in range(d):
            block = A.copy()
            block[:, i] = B[:, i]
            blocks.append(block)
        if self.second_order:
            for i in range(d):
                block = B.copy()
                block[:, i] = A[:, i]
                blocks.append(block)
        return Design.from_unit(space, np.concatenate(blocks), N=n, second_order=self.second_order,
                                layout="A,B,AB_1..AB_d" + (",BA_1..BA_d" if self.second_order else ""),
                                seed=int(rng.integers(2**63)))

    def _analyze(self, design, y, gradient):
        self._check_options()
        d = len(design.space)
        n = design.info.get("N")
        blocks = _blocks(d, self.second_order)
        if n is None or n * blocks != len(design) or design.info.get("second_order") != self.second_order:
            raise ValueError(
                f"sobol: the design must be a sobol plan with second_order={self.second_order} "
                f"({blocks} blocks of N rows, N in design.info); got {len(design)} rows, info={design.info}"
            )
        # a constant output has no variance to share: exact zeros make every index 0
        Y = (y - y.mean() if np.ptp(y) > 0 else np.zeros_like(y)).reshape(blocks, n)
        fA, fB, fAB = Y[0], Y[1], Y[2:d + 2].T
        fBA = Y[d + 2:].T if self.second_order else None
        T, slices = _term_matrix(fA, fB, fAB, fBA, self.first, self.total)
        S1, ST, S2 = _indices_from_means(T.mean(0), slices, self.first, self.total, d)
        extras = {"N": n, "first_estimator": self.first, "total_estimator": self.total}
        result = Estimate(names=[], importance=ST, first=S1, total=ST,
                          second=None if S2 is None else _square(S2, d), extras=extras)
        if self.n_bootstrap:
            rng = np.random.default_rng(design.info.get("seed", 0))
            W = _bootstrap_counts(rng, n, int(self.n_bootstrap))
            b1, bt, b2 = _indices_from_means(W @ T / n, slices, self.first, self.total, d)
            alpha = 1.0 - self.confidence
            z = stats.norm.ppf(0.5 + self.confidence / 2)
            for label, boot in (("first", b1), ("total", bt)):
                lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
                result.ci[label] = (lo, hi)
                se = boot.std(axis=0, ddof=1)
                extras[f"se_{label}"] = se
                extras[f"conf_{label}"] = z * se
            if b2 is not None:
                lo, hi = np.quantile(b2, [alpha / 2, 1 - alpha / 2], axis=0)
                extras["ci_second"] = (_square(lo, d), _square(hi, d))
                extras["conf_second"] = _square(z * b2.std(axis=0, ddof=1), d)
        return result
