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
(which share ``x_i``). Second order: Saltelli (2002) closed
``V_jk = mean(fBA_j fAB_k - fA fB)``, ``S2 = V_jk/V - S1_j - S1_k``.

Total-order formulas (``total=``; as ``sensobol::sobol_indices`` writes them, Puy et al.
2022, J. Stat. Softw. 102(5), table 2; compared in Puy, Becker, Lo Piano & Saltelli 2022,
Int. J. Uncertain. Quantif. 12(2)):

* ``"jansen"``: ``mean((fA - fAB_i)^2) / 2V`` (Jansen 1999, Comput. Phys. Commun. 117:35);
* ``"homma"``: ``1 - (mean(fA fAB_i) - f0^2) / V`` (Homma & Saltelli 1996, Reliab. Eng.
  Syst. Saf. 52:1);
* ``"sobol"``: ``mean(fA (fA - fAB_i)) / V`` (Sobol' 2001, Math. Comput. Simul. 55:271;
  Sobol' et al. 2007, Reliab. Eng. Syst. Saf. 92:957);
* ``"janon"``: ``1 - (mean(fA fAB_i) - m_i^2) / (mean((fA^2 + fAB_i^2)/2) - m_i^2)`` with
  ``m_i = mean((fA + fAB_i)/2)`` (Janon et al. 2014; Monod, Naud & Makowski 2006, in
  Working with Dynamic Crop Models, Elsevier, 55-100): mean and variance from the pair itself;
* ``"glen"``: ``1 - corr(fA, fAB_i)``, the Pearson correlation (Glen & Isaacs 2012,
  Environ. Model. Softw. 37:157, without their spurious-correlation corrections, as sensobol);
* ``"saltelli"``: ``1 - (mean(fB fBA_i) - f0^2) / V`` (Saltelli et al. 2008, Global
  Sensitivity Analysis. The Primer, Wiley, ch. 4.6): needs ``BA_i`` (``B`` with column
  ``i`` from ``A``), so its design is ``A, B, BA_1..BA_d`` (same size); first-order
  estimators then read it with ``A`` and ``B`` exchanged (``BA_i`` is ``B`` with column ``i``
  of ``A``), which, ``A`` and ``B`` being exchangeable, is the same estimator.

``V`` and ``f0`` come from the ``2N`` points of ``A`` and ``B``. ``convention="centred"``
(default): outputs are first centred by the mean over the whole design (every row has the
input distribution), as SALib does, and ``V`` divides by ``2N``; this removes the output
offset that the non-centred formulas (``homma``, ``sobol``, ``saltelli``,
``first="saltelli2010"``) otherwise carry as noise. ``convention="sensobol"``: raw outputs
and ``V`` with divisor ``2N - 1``, exactly as sensobol (for reproducing published results).
``sampling="sobol"`` (default) draws ``A|B`` from a scrambled Sobol' sequence;
``sampling="random"`` from i.i.d. uniforms (Monte Carlo; ``base2`` is then ignored).

Bootstrap: ``n_bootstrap`` resamples of the ``N`` base rows, drawn as an ``(R, N)`` integer
array and turned into a count matrix ``W``; every bootstrap mean is then ``W @ T / N``
for the ``(N, m)`` matrix ``T`` of per-row terms: one matrix product, no loop over
resamples. ``ci`` holds percentile intervals at ``confidence``; ``extras`` the bootstrap
standard errors and SALib-style half-widths ``z * se``. The bootstrap treats base rows
as i.i.d.; on scrambled Sobol' points the true error is smaller, so intervals are conservative.
"""
from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..registry import register_estimator
from ._params import Interval, StrOptions
from .base import Design, Estimate, Estimator

_FIRST = ("saltelli2010", "janon")
_TOTAL = ("jansen", "homma", "sobol", "janon", "glen", "saltelli")
_SAMPLING = ("sobol", "random")
_CONVENTIONS = ("centred", "sensobol")
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
    elif total == "homma":
        parts["h_prod"] = fA[:, None] * fAB
    elif total == "sobol":
        parts["st"] = fA[:, None] * (fA[:, None] - fAB)
    elif total == "janon":
        parts["t_prod"] = fA[:, None] * fAB
        parts["t_mean"] = 0.5 * (fA[:, None] + fAB)
        parts["t_sq"] = 0.5 * (fA[:, None] ** 2 + fAB**2)
    elif total == "glen":
        parts["g_a"], parts["g_a2"] = fA[:, None], fA[:, None] ** 2
        parts["g_ab"], parts["g_ab2"], parts["g_prod"] = fAB, fAB**2, fA[:, None] * fAB
    else:  # saltelli: f(B) f(BA_i); without BA blocks the caller exchanged A and B (see _analyze)
        parts["h_prod"] = fA[:, None] * fAB if fBA is None else fB[:, None] * fBA
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


def _indices_from_means(M, s, first, total, d, v_scale=1.0):
    """S1, ST (and S2 pairs) from column means ``M`` of shape (..., m); ``V`` is the
    population variance of A and B times ``v_scale`` (``2N / (2N - 1)``: sensobol's)."""
    f0 = M[..., s["y"]]
    V = v_scale * (M[..., s["y2"]] - f0**2)
    if first == "saltelli2010":
        S1 = _ratio(M[..., s["s1"]], V)
    else:
        m = M[..., s["j_mean"]]
        S1 = _ratio(M[..., s["j_prod"]] - m**2, M[..., s["j_sq"]] - m**2)
    if total in ("jansen", "sobol"):
        ST = _ratio(M[..., s["st"]], V)
    elif total == "janon":
        m = M[..., s["t_mean"]]
        ST = np.where(V > 1e-300, 1.0 - _ratio(M[..., s["t_prod"]] - m**2, M[..., s["t_sq"]] - m**2), 0.0)
    elif total == "glen":
        ma, mab = M[..., s["g_a"]], M[..., s["g_ab"]]
        scale = np.sqrt(np.maximum((M[..., s["g_a2"]] - ma**2) * (M[..., s["g_ab2"]] - mab**2), 0.0))
        ST = np.where(V > 1e-300, 1.0 - _ratio(M[..., s["g_prod"]] - ma * mab, scale), 0.0)
    else:  # homma, saltelli
        ST = np.where(V > 1e-300, 1.0 - _ratio(M[..., s["h_prod"]] - f0**2, V), 0.0)
    S2 = None
    if "s2" in s:
        j, k = np.triu_indices(d, 1)
        S2 = _ratio(M[..., s["s2"]] - M[..., s["ab"]], V) - S1[..., j] - S1[..., k]
    return S1, ST, S2


def _base_matrices(d: int, n: int, rng, sampling: str, base2: bool):
    """``A`` and ``B`` (``n x d`` each, unit cube): the halves of one scrambled Sobol'
    sequence in ``2d`` dimensions (``sampling="sobol"``; ``base2``: ``n`` is a power of two)
    or i.i.d. uniforms (``"random"``)."""
    if sampling == "random":
        AB = rng.random((n, 2 * d))
    elif base2:
        AB = qmc.Sobol(2 * d, scramble=True, rng=rng).random_base2(n.bit_length() - 1)
    else:
        with warnings.catch_warnings():  # balance is knowingly given up with base2=False
            warnings.simplefilter("ignore", UserWarning)
            AB = qmc.Sobol(2 * d, scramble=True, rng=rng).random(n)
    return AB[:, :d], AB[:, d:]


def _bootstrap_counts(rng, n: int, resamples: int) -> np.ndarray:
    """(resamples, n) matrix: how often each base row appears in each resample."""
    idx = rng.integers(0, n, size=(resamples, n))
    idx += (np.arange(resamples) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)


def _bootstrap_intervals(result: Estimate, boots: dict, confidence: float) -> None:
    """Percentile intervals into ``result.ci`` and bootstrap standard errors ``se_<label>``
    (with the normal half-width ``conf_<label>``, SALib's convention) into its extras."""
    alpha = 1.0 - confidence
    z = stats.norm.ppf(0.5 + confidence / 2)
    for label, boot in boots.items():
        lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
        result.ci[label] = (lo, hi)
        se = boot.std(axis=0, ddof=1)
        result.extras[f"se_{label}"] = se
        result.extras[f"conf_{label}"] = z * se


def _square(pairs, d):
    out = np.zeros(pairs.shape[:-1] + (d, d))
    j, k = np.triu_indices(d, 1)
    out[..., j, k] = pairs
    out[..., k, j] = pairs
    return out


@register_estimator
class Sobol(Estimator):
    """First/total (optionally second) order Sobol' indices with bootstrap intervals.

    ``target = "total"``: ``importance`` is the estimate of ``ST`` (``total``), the index
    that says whether an input matters at all (through any interaction).

    Limitations
    -----------
    Needs its own design (``N (d + 2)`` evaluations; not given data). Small indices are
    noisy and may come out slightly negative in ``first``/``total`` (``importance`` is
    clipped at 0). Outputs with heavy tails make every estimate slow to converge.
    """

    name = "sobol"
    version = "1"
    target = "total"
    _parameter_constraints = {
        "second_order": ["boolean"],
        "first": [StrOptions(set(_FIRST))],
        "total": [StrOptions(set(_TOTAL))],
        "n_bootstrap": [Interval(Integral, 0, 0, closed="both"), Interval(Integral, 2, None, closed="left")],
        "confidence": [Interval(Real, 0.0, 1.0, closed="neither")],
        "base2": ["boolean"],
        "sampling": [StrOptions(set(_SAMPLING))],
        "convention": [StrOptions(set(_CONVENTIONS))],
    }

    def __init__(self, *, second_order: bool = False, first: str = "saltelli2010", total: str = "jansen",
                 n_bootstrap: int = 100, confidence: float = 0.95, base2: bool = True,
                 sampling: str = "sobol", convention: str = "centred"):
        self.second_order = second_order
        self.first = first
        self.total = total
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.base2 = base2
        self.sampling = sampling
        self.convention = convention

    def _min_budget(self, space, gradient) -> int:
        return _MIN_N * _blocks(len(space), self.second_order)

    def base_sample(self, d: int, budget: int) -> int:
        """The base sample size ``N`` this estimator uses for ``d`` inputs and ``budget``."""
        n = budget // _blocks(d, self.second_order)
        return 1 << (n.bit_length() - 1) if self.base2 and self.sampling == "sobol" else n

    def _layout(self) -> str:
        """Row blocks of the design: ``total="saltelli"`` needs ``BA_i`` instead of ``AB_i``."""
        if self.second_order:
            return "A,B,AB_1..AB_d,BA_1..BA_d"
        return "A,B,BA_1..BA_d" if self.total == "saltelli" else "A,B,AB_1..AB_d"

    def _plan(self, space, budget, rng, gradient):
        d = len(space)
        n = self.base_sample(d, budget)
        A, B = _base_matrices(d, n, rng, self.sampling, self.base2)
        layout = self._layout()
        blocks = [A, B]
        for i in range(d):
            block = (B if layout.startswith("A,B,BA") else A).copy()
            block[:, i] = (A if layout.startswith("A,B,BA") else B)[:, i]
            blocks.append(block)
        if self.second_order:
            for i in range(d):
                block = B.copy()
                block[:, i] = A[:, i]
                blocks.append(block)
        return Design.from_unit(space, np.concatenate(blocks), N=n, second_order=self.second_order,
                                layout=layout, seed=int(rng.integers(2**63)))

    def _analyze(self, design, y, gradient):
        d = len(design.space)
        n = design.info.get("N")
        blocks = _blocks(d, self.second_order)
        layout = self._layout()
        if n is None or n * blocks != len(design) or design.info.get("layout") != layout:
            raise ValueError(
                f"sobol: the design must be a sobol plan with layout {layout} "
                f"({blocks} blocks of N rows, N in design.info); got {len(design)} rows, info={design.info}"
            )
        # scaled (indices are ratios to V; products of huge outputs would overflow) and, by
        # the default convention, centred; a constant output makes every index 0
        centre = y.mean() if self.convention == "centred" else 0.0
        Y = ((y - centre) / y.std() if np.ptp(y) > 0 else np.zeros_like(y)).reshape(blocks, n)
        if layout == "A,B,BA_1..BA_d":  # read with A and B exchanged: BA_i is then "AB_i"
            fA, fB, fAB, fBA = Y[1], Y[0], Y[2:].T, None
        else:
            fA, fB, fAB = Y[0], Y[1], Y[2:d + 2].T
            fBA = Y[d + 2:].T if self.second_order else None
        v_scale = 2 * n / (2 * n - 1) if self.convention == "sensobol" else 1.0
        T, slices = _term_matrix(fA, fB, fAB, fBA, self.first, self.total)
        S1, ST, S2 = _indices_from_means(T.mean(0), slices, self.first, self.total, d, v_scale)
        extras = {"N": n, "first_estimator": self.first, "total_estimator": self.total}
        result = Estimate(names=[], importance=ST, first=S1, total=ST,
                          second=None if S2 is None else _square(S2, d), extras=extras)
        if self.n_bootstrap:
            rng = np.random.default_rng(design.info.get("seed", 0))
            W = _bootstrap_counts(rng, n, int(self.n_bootstrap))
            b1, bt, b2 = _indices_from_means(W @ T / n, slices, self.first, self.total, d, v_scale)
            _bootstrap_intervals(result, {"first": b1, "total": bt}, self.confidence)
            if b2 is not None:
                alpha = 1.0 - self.confidence
                lo, hi = np.quantile(b2, [alpha / 2, 1 - alpha / 2], axis=0)
                extras["ci_second"] = (_square(lo, d), _square(hi, d))
                z = stats.norm.ppf(0.5 + self.confidence / 2)
                extras["conf_second"] = _square(z * b2.std(axis=0, ddof=1), d)
        return result
