"""Azzini & Rosati's first- and total-order estimators on the symmetric A/B/AB/BA design.

Design (rows, in blocks of ``N``): ``A``, ``B``, ``AB_1 .. AB_d`` (``A`` with column ``i``
from ``B``), ``BA_1 .. BA_d`` (``B`` with column ``i`` from ``A``): ``N (2d + 2)``
evaluations. ``A|B`` are the halves of a scrambled Sobol' sequence in ``2d`` dimensions
(``sampling="sobol"``) or i.i.d. uniforms (``"random"``), mapped by the Space.

Estimators (Azzini, Mara & Rosati 2020, arXiv:2006.08232; Azzini, Mara & Rosati 2021,
Environ. Model. Softw. 144:105167; as ``sensobol::sobol_indices(matrices = c("A", "B",
"AB", "BA"), first = "azzini", total = "azzini")`` writes them)::

    D_i  = sum((fA - fB)^2 + (fBA_i - fAB_i)^2)
    ST_i = sum((fB - fBA_i)^2 + (fA - fAB_i)^2) / D_i
    S1_i = 2 sum((fBA_i - fB) (fA - fAB_i)) / D_i

Each index is a ratio of two sums over the same ``N`` base rows whose denominator is
built from the same four runs, so the noise of numerator and denominator partly cancels
(Azzini et al. 2021 show a smaller asymptotic variance than Jansen's/Saltelli's for the
same number of runs). Every term is a difference, so no centring is needed.

Bootstrap as in ``sobol``: ``n_bootstrap`` resamples of the base rows as one count matrix
``W``; the resampled sums are ``W @ T``. Intervals are percentile intervals at
``confidence``; ``extras`` holds the bootstrap standard errors ``se_first``/``se_total``.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ..registry import register_estimator
from ._params import Interval, StrOptions
from .base import Design, Estimate, Estimator
from .sobol import _base_matrices, _bootstrap_counts, _bootstrap_intervals

#: Smallest base sample (a bootstrap needs a few rows).
_MIN_N = 4
_SAMPLING = ("sobol", "random")


def _indices(S):
    """S1, ST from the column sums (or means) ``S`` of the term matrix, shape (..., 3d)."""
    d = S.shape[-1] // 3
    den, num_t, num_1 = S[..., :d], S[..., d:2 * d], S[..., 2 * d:]
    safe = den > 1e-300
    ST = np.divide(num_t, den, out=np.zeros_like(den), where=safe)
    S1 = np.divide(2.0 * num_1, den, out=np.zeros_like(den), where=safe)
    return S1, ST


@register_estimator
class Azzini(Estimator):
    """Azzini & Rosati first/total-order Sobol' indices (A, B, AB_i, BA_i design).

    ``target = "total"``: ``importance`` is the estimate of ``ST``.

    Limitations
    -----------
    Needs its own design of ``N (2d + 2)`` evaluations, twice the ``AB`` blocks of
    ``sobol``, so at a fixed budget ``N`` is about half of ``sobol``'s.
    """

    name = "azzini"
    version = "1"
    target = "total"
    _parameter_constraints = {
        "sampling": [StrOptions(set(_SAMPLING))],
        "base2": ["boolean"],
        "n_bootstrap": [Interval(Integral, 0, 0, closed="both"), Interval(Integral, 2, None, closed="left")],
        "confidence": [Interval(Real, 0.0, 1.0, closed="neither")],
    }

    def __init__(self, *, sampling: str = "sobol", base2: bool = True, n_bootstrap: int = 100,
                 confidence: float = 0.95):
        self.sampling = sampling
        self.base2 = base2
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence

    def _min_budget(self, space, gradient) -> int:
        return _MIN_N * (2 * len(space) + 2)

    def base_sample(self, d: int, budget: int) -> int:
        """The base sample size ``N`` for ``d`` inputs and ``budget`` (a power of two with
        Sobol' sampling and ``base2``)."""
        n = budget // (2 * d + 2)
        return 1 << (n.bit_length() - 1) if self.base2 and self.sampling == "sobol" else n

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        n = self.base_sample(d, budget)
        A, B = _base_matrices(d, n, rng, self.sampling, self.base2)
        cols = np.arange(d)
        # AB[i] = A with column i of B; BA[i] = B with column i of A: (d, n, d) each
        AB = np.where(cols[:, None, None] == cols[None, None, :], B[None], A[None])
        BA = np.where(cols[:, None, None] == cols[None, None, :], A[None], B[None])
        U = np.concatenate([A, B, AB.reshape(-1, d), BA.reshape(-1, d)])
        return Design.from_unit(space, U, N=n, layout="A,B,AB_1..AB_d,BA_1..BA_d",
                                seed=int(rng.integers(2**63)))

    def _analyze(self, design, y, gradient):
        d = len(design.space)
        n = design.info.get("N")
        if n is None or n * (2 * d + 2) != len(design) or design.info.get("layout") != "A,B,AB_1..AB_d,BA_1..BA_d":
            raise ValueError(
                f"azzini: the design must be an azzini plan (2d + 2 = {2 * d + 2} blocks of N rows, "
                f"N in design.info); got {len(design)} rows, info={design.info}"
            )
        # scaled so that squares of huge outputs cannot overflow (the indices are ratios)
        Y = (y / np.abs(y).max() if np.ptp(y) > 0 else np.zeros_like(y)).reshape(2 * d + 2, n)
        fA, fB = Y[0][:, None], Y[1][:, None]
        fAB, fBA = Y[2:d + 2].T, Y[d + 2:].T
        T = np.concatenate([(fA - fB) ** 2 + (fBA - fAB) ** 2,
                            (fB - fBA) ** 2 + (fA - fAB) ** 2,
                            (fBA - fB) * (fA - fAB)], axis=1)
        S1, ST = _indices(T.sum(0))
        extras = {"N": n}
        result = Estimate(names=[], importance=ST, first=S1, total=ST, extras=extras)
        if self.n_bootstrap:
            rng = np.random.default_rng(design.info.get("seed", 0))
            b1, bt = _indices(_bootstrap_counts(rng, n, int(self.n_bootstrap)) @ T)
            _bootstrap_intervals(result, {"first": b1, "total": bt}, self.confidence)
        return result
