"""Engineering test functions with a *reference* or *exact* ground truth.

Functions and input distributions follow Surjanovic & Bingham, Virtual Library of
Simulation Experiments (VLSE, https://www.sfu.ca/~ssurjano/) and the papers cited per
problem.

* ``welch`` and ``morris`` have exact truths (``EXACT_TRUTHS``), computed from their
  structure: Welch is a sum of functions of independent groups of inputs ({x1, x12},
  {x4, x20}, singletons; x8 and x16 are dummies), so its ANOVA is that of each group,
  done by Gauss-Legendre quadrature (exact to round-off: every piece is analytic on the
  box); Morris is a sum of products of independent transformed inputs w_i, whose ANOVA
  follows from the means and variances of the w_i (closed forms).
* ``borehole``, ``piston``, ``otl_circuit`` and ``wing_weight`` have no closed form: the
  truth is a large-sample pick-freeze estimate (S1: Saltelli et al. 2010, ST: Jansen 1999)
  computed offline by ``scripts/reference_truth.py`` and shipped as package data
  (``benchsens/problems/data/engineering_reference.json``) with its standard errors,
  sample size, seed, date and numpy version. ``bare_problem(name)`` builds a problem
  without truth: the script uses it, so the function evaluated offline is the one shipped.
"""
from __future__ import annotations

import functools
import json
from importlib import resources
from itertools import combinations

import numpy as np

from ..anova import grid_anova
from ..problem import GroundTruth, Problem
from ..registry import register_problem
from ..space import Normal, Space, Uniform

__all__ = ["ENGINEERING_PROBLEMS", "EXACT_TRUTHS", "REFERENCE_PROBLEMS", "bare_problem",
           "reference_data"]

_DATA_FILE = "engineering_reference.json"


# --- borehole ------------------------------------------------------------------------

def _borehole_space():
    # Harper & Gupta (1983) distributions as given by VLSE: rw ~ N(0.10, 0.0161812),
    # r ~ LogNormal(7.71, 1.0056) -- parametrised by log_r ~ N(7.71, 1.0056) because Space
    # has no log-normal; Sobol' indices are invariant under this monotone reparametrisation.
    return Space({
        "rw": Normal(0.10, 0.0161812),
        "log_r": Normal(7.71, 1.0056),
        "Tu": Uniform(63070.0, 115600.0),
        "Hu": Uniform(990.0, 1110.0),
        "Tl": Uniform(63.1, 116.0),
        "Hl": Uniform(700.0, 820.0),
        "L": Uniform(1120.0, 1680.0),
        "Kw": Uniform(9855.0, 12045.0),
    })


def _borehole_parts(X):
    rw, log_r, Tu, Hu, Tl, Hl, L, Kw = X.T
    # rw <= 0 (probability 3e-10 under N(0.1, 0.0162)) is unphysical: NaN, not a number.
    rw = np.where(rw > 0, rw, np.nan)
    log_ratio = log_r - np.log(rw)
    denom = log_ratio * (1.0 + Tu / Tl) + 2.0 * L * Tu / (rw**2 * Kw)
    return rw, log_ratio, Tu, Hu, Tl, Hl, L, Kw, denom


def _borehole(X):
    """Water flow rate (m^3/yr): 2 pi Tu (Hu - Hl) / (ln(r/rw) (1 + 2 L Tu / (ln(r/rw) rw^2 Kw) + Tu/Tl))."""
    rw, log_ratio, Tu, Hu, Tl, Hl, L, Kw, denom = _borehole_parts(X)
    return 2.0 * np.pi * Tu * (Hu - Hl) / denom


def _borehole_gradient(X):
    rw, log_ratio, Tu, Hu, Tl, Hl, L, Kw, denom = _borehole_parts(X)
    f = 2.0 * np.pi * Tu * (Hu - Hl) / denom
    g = f / denom  # df = -g dD for the parts through the denominator
    tail = 2.0 * L * Tu / (rw**2 * Kw)
    return np.column_stack([
        g * ((1.0 + Tu / Tl) / rw + 2.0 * tail / rw),
        -g * (1.0 + Tu / Tl),
        f / Tu - g * (log_ratio / Tl + tail / Tu),
        2.0 * np.pi * Tu / denom,
        g * log_ratio * Tu / Tl**2,
        -2.0 * np.pi * Tu / denom,
        -g * tail / L,
        g * tail / Kw,
    ])


# --- piston --------------------------------------------------------------------------

def _piston_space():
    # Kenett & Zacks (1998); ranges as in VLSE / Ben-Ari & Steinberg (2007)
    return Space({
        "M": Uniform(30.0, 60.0),
        "S": Uniform(0.005, 0.020),
        "V0": Uniform(0.002, 0.010),
        "k": Uniform(1000.0, 5000.0),
        "P0": Uniform(90000.0, 110000.0),
        "Ta": Uniform(290.0, 296.0),
        "T0": Uniform(340.0, 360.0),
    })


def _piston(X):
    """Cycle time (s) of a piston: 2 pi sqrt(M / (k + S^2 P0 V0 Ta / (T0 V^2)))."""
    M, S, V0, k, P0, Ta, T0 = X.T
    A = P0 * S + 19.62 * M - k * V0 / S
    V = S / (2.0 * k) * (np.sqrt(A**2 + 4.0 * k * P0 * V0 * Ta / T0) - A)
    return 2.0 * np.pi * np.sqrt(M / (k + S**2 * P0 * V0 * Ta / (T0 * V**2)))


# --- OTL circuit ---------------------------------------------------------------------

def _otl_space():
    # Ben-Ari & Steinberg (2007), ranges as in VLSE
    return Space({
        "Rb1": Uniform(50.0, 150.0),
        "Rb2": Uniform(25.0, 70.0),
        "Rf": Uniform(0.5, 3.0),
        "Rc1": Uniform(1.2, 2.5),
        "Rc2": Uniform(0.25, 1.2),
        "beta": Uniform(50.0, 300.0),
    })


def _otl_circuit(X):
    """Mid-point voltage (V) of an output transformerless push-pull circuit."""
    Rb1, Rb2, Rf, Rc1, Rc2, beta = X.T
    Vb1 = 12.0 * Rb2 / (Rb1 + Rb2)
    bR = beta * (Rc2 + 9.0)
    den = bR + Rf
    return (Vb1 + 0.74) * bR / den + 11.35 * Rf / den + 0.74 * Rf * bR / (den * Rc1)


# --- wing weight ---------------------------------------------------------------------

def _wing_space():
    # Forrester, Sobester & Keane (2008), Engineering Design via Surrogate Modelling, sec. 1.3;
    # sweep Lambda in degrees
    return Space({
        "Sw": Uniform(150.0, 200.0),
        "Wfw": Uniform(220.0, 300.0),
        "A": Uniform(6.0, 10.0),
        "Lambda": Uniform(-10.0, 10.0),
        "q": Uniform(16.0, 45.0),
        "lambda": Uniform(0.5, 1.0),
        "tc": Uniform(0.08, 0.18),
        "Nz": Uniform(2.5, 6.0),
        "Wdg": Uniform(1700.0, 2500.0),
        "Wp": Uniform(0.025, 0.08),
    })


def _wing_structure(X):
    """The structural term of the wing weight (everything but the paint Sw * Wp)."""
    Sw, Wfw, A, Lam, q, lam, tc, Nz, Wdg, Wp = X.T
    log_cos = np.log(np.cos(np.deg2rad(Lam)))
    # 0.036 Sw^0.758 Wfw^0.0035 (A / cos^2 L)^0.6 q^0.006 lam^0.04 (100 tc / cos L)^-0.3 (Nz Wdg)^0.49,
    # as one exp of a sum of logs (a third of the cost of eight powers)
    return np.exp(np.log(0.036) + 0.758 * np.log(Sw) + 0.0035 * np.log(Wfw)
                  + 0.6 * (np.log(A) - 2.0 * log_cos) + 0.006 * np.log(q) + 0.04 * np.log(lam)
                  - 0.3 * (np.log(100.0 * tc) - log_cos) + 0.49 * np.log(Nz * Wdg))


def _wing_weight(X):
    """Weight (lb) of a light aircraft wing (Cessna C172 Skyhawk class)."""
    return _wing_structure(X) + X[:, 0] * X[:, 9]


def _wing_weight_gradient(X):
    Sw, Wfw, A, Lam, q, lam, tc, Nz, Wdg, Wp = X.T
    T = _wing_structure(X)
    # the sweep enters as cos(Lambda)^(-1.2 + 0.3) = cos^-0.9
    dlam = T * 0.9 * np.tan(np.deg2rad(Lam)) * np.pi / 180.0
    return np.column_stack([
        0.758 * T / Sw + Wp, 0.0035 * T / Wfw, 0.6 * T / A, dlam, 0.006 * T / q,
        0.04 * T / lam, -0.3 * T / tc, 0.49 * T / Nz, 0.49 * T / Wdg, Sw,
    ])


# --- Morris 20-d ---------------------------------------------------------------------

_MORRIS_NONLINEAR = np.array([2, 4, 6])  # x3, x5, x7 (0-based)


def _morris_coefficients():
    """First/second-order coefficients (b1, upper-triangular B2) of the Morris function.

    Morris (1991) draws the coefficients not listed below from N(0, 1); we use the fixed
    choice of Blatman & Sudret (2010, RESS 95:1216) as implemented in UQLab's
    ``uq_morris``: b_i = 20 (i <= 10) else (-1)^i; b_ij = -15 (i, j <= 6) else (-1)^(i+j);
    b_ijl = -10 for i, j, l <= 5 (other third-order 0); b_1234 = 5; b_0 = 0 (1-based).
    """
    i = np.arange(1, 21)
    b1 = np.where(i <= 10, 20.0, (-1.0) ** i)
    B2 = (-1.0) ** (i[:, None] + i[None, :])
    B2[:6, :6] = -15.0
    return b1, np.triu(B2, k=1)


def _morris_w(X):
    w = 2.0 * (X - 0.5)
    xn = X[:, _MORRIS_NONLINEAR]
    w[:, _MORRIS_NONLINEAR] = 2.0 * (1.1 * xn / (xn + 0.1) - 0.5)
    return w


def _morris(X):
    """Morris (1991) 20-d function with the fixed coefficients of :func:`_morris_coefficients`."""
    b1, B2 = _morris_coefficients()
    w = _morris_w(X)
    w5 = w[:, :5]
    # sum over i<j<l<=5 of w_i w_j w_l = e3(w1..w5), from power sums (Newton's identities)
    p1, p2, p3 = w5.sum(1), (w5**2).sum(1), (w5**3).sum(1)
    e3 = (p1**3 - 3.0 * p1 * p2 + 2.0 * p3) / 6.0
    return (w @ b1 + ((w @ B2) * w).sum(1) - 10.0 * e3
            + 5.0 * w[:, 0] * w[:, 1] * w[:, 2] * w[:, 3])


# --- Welch 1992 20-d -----------------------------------------------------------------

def _morris_truth() -> GroundTruth:
    """Exact S1/ST/S2 of :func:`_morris`: a sum of products of the independent w_i.

    Linear inputs: w = 2x - 1, mean 0, variance 1/3. x3, x5, x7: w = 1.2 - 0.22 / (x + 0.1),
    so E w = 1.2 - 0.22 ln 11 and E w^2 = 1.44 - 0.528 ln 11 + 0.0484 (10 - 1/1.1)
    = 1.88 - 0.528 ln 11. The ANOVA of sum_t c_t prod_{i in u_t} w_i then follows from
    these moments (:func:`~benchsens.problems.families.product_sum_variances`).
    """
    from .families import _subset_truth, product_sum_variances

    b1, B2 = _morris_coefficients()
    mean, var = np.zeros(20), np.full(20, 1.0 / 3.0)
    log11 = np.log(11.0)
    mean[_MORRIS_NONLINEAR] = 1.2 - 0.22 * log11
    var[_MORRIS_NONLINEAR] = 1.88 - 0.528 * log11 - mean[_MORRIS_NONLINEAR] ** 2
    terms = {(i,): b1[i] for i in range(20)}
    terms.update({(i, j): B2[i, j] for i, j in combinations(range(20), 2)})
    terms.update({t: -10.0 for t in combinations(range(5), 3)})
    terms[(0, 1, 2, 3)] = 5.0
    return _subset_truth(
        product_sum_variances(list(terms), list(terms.values()), mean, var), 20, "exact",
        f"{ENGINEERING_PROBLEMS['morris'][4]}. Truth: exact ANOVA of a sum of products of the "
        "independent transformed inputs w_i from their closed-form means and variances "
        "(benchsens.problems.engineering._morris_truth)")


def _welch(X):
    """Welch et al. (1992) 20-d screening function on [-0.5, 0.5]^20; x8, x16 are dummies."""
    x = {i + 1: X[:, i] for i in range(20)}
    return (5.0 * x[12] / (1.0 + x[1]) + 5.0 * (x[4] - x[20]) ** 2 + x[5] + 40.0 * x[19] ** 3
            - 5.0 * x[19] + 0.05 * x[2] + 0.08 * x[3] - 0.03 * x[6] + 0.03 * x[7]
            - 0.09 * x[9] - 0.01 * x[10] - 0.07 * x[11] + 0.25 * x[13] ** 2 - 0.04 * x[14]
            + 0.06 * x[15] - 0.01 * x[17] - 0.03 * x[18])


# Welch as a sum over independent groups: (1-based inputs, function of them)
_WELCH_LINEAR = {2: 0.05, 3: 0.08, 5: 1.0, 6: -0.03, 7: 0.03, 9: -0.09, 10: -0.01, 11: -0.07,
                 14: -0.04, 15: 0.06, 17: -0.01, 18: -0.03}
_WELCH_GROUPS = (
    ((1, 12), lambda x1, x12: 5.0 * x12 / (1.0 + x1)),
    ((4, 20), lambda x4, x20: 5.0 * (x4 - x20) ** 2),
    ((19,), lambda x: 40.0 * x**3 - 5.0 * x),
    ((13,), lambda x: 0.25 * x**2),
) + tuple(((i,), lambda x, c=c: c * x) for i, c in _WELCH_LINEAR.items())


def _welch_truth() -> GroundTruth:
    """Exact S1/ST/S2 of :func:`_welch`: the groups are independent, so each group's
    component variances are those of its own ANOVA (40-node Gauss-Legendre tensor and
    :func:`~benchsens.anova.grid_anova`; the pieces are polynomials or analytic on the box,
    so the rule is exact to round-off), and the variance is their sum."""
    nodes, weights = np.polynomial.legendre.leggauss(40)
    x, w = nodes / 2.0, weights / 2.0  # U(-0.5, 0.5)
    parts = []
    for inputs, g in _WELCH_GROUPS:
        grid = np.meshgrid(*[x] * len(inputs), indexing="ij")
        s1, st, s2, _, v = grid_anova(g(*grid), [w] * len(inputs), second=len(inputs) > 1)
        parts.append((np.array(inputs) - 1, s1 * v, st * v, None if s2 is None else s2 * v, v))
    variance = sum(p[-1] for p in parts)
    first, total, second = np.zeros(20), np.zeros(20), np.zeros((20, 20))
    for idx, v1, vt, v2, _ in parts:
        first[idx] += v1 / variance
        total[idx] += vt / variance
        if v2 is not None:
            second[np.ix_(idx, idx)] += v2 / variance
    return GroundTruth(
        first=first, total=total, second=second, kind="exact",
        source=f"{ENGINEERING_PROBLEMS['welch'][4]}. Truth: exact ANOVA over independent "
               "groups of inputs, each by 40-node Gauss-Legendre quadrature and grid_anova "
               "(benchsens.problems.engineering._welch_truth)",
        extras={"variance": float(variance)})


def _unit_box(d, low, high):
    return Space({f"x{i}": Uniform(low, high) for i in range(1, d + 1)})


# name -> (space factory, function, gradient or None, dimension, citation)
ENGINEERING_PROBLEMS = {
    "borehole": (_borehole_space, _borehole, _borehole_gradient, 8,
                 "Harper & Gupta (1983), NUREG/CR-3328; distributions as in Surjanovic & Bingham, VLSE"),
    "piston": (_piston_space, _piston, None, 7,
               "Kenett & Zacks (1998), Modern Industrial Statistics; ranges as in Surjanovic & Bingham, VLSE"),
    "otl_circuit": (_otl_space, _otl_circuit, None, 6,
                    "Ben-Ari & Steinberg (2007), Quality Engineering 19:327; ranges as in Surjanovic & Bingham, VLSE"),
    "wing_weight": (_wing_space, _wing_weight, _wing_weight_gradient, 10,
                    "Forrester, Sobester & Keane (2008), Engineering Design via Surrogate Modelling, Wiley"),
    "morris": (lambda: _unit_box(20, 0.0, 1.0), _morris, None, 20,
               "Morris (1991), Technometrics 33:161; unspecified N(0,1) coefficients fixed as in "
               "Blatman & Sudret (2010), RESS 95:1216 (UQLab uq_morris)"),
    "welch": (lambda: _unit_box(20, -0.5, 0.5), _welch, None, 20,
              "Welch, Buck, Sacks, Wynn, Mitchell & Morris (1992), Technometrics 34:15"),
}


# problems whose truth is computed exactly; the others ship a reference truth
EXACT_TRUTHS = {"welch": _welch_truth, "morris": _morris_truth}
REFERENCE_PROBLEMS = [name for name in ENGINEERING_PROBLEMS if name not in EXACT_TRUTHS]


def bare_problem(name: str) -> Problem:
    """The engineering problem ``name`` without ground truth (what the offline script samples)."""
    if name not in ENGINEERING_PROBLEMS:
        raise KeyError(f"unknown engineering problem {name!r}; known: {sorted(ENGINEERING_PROBLEMS)}")
    make_space, func, grad, d, _ = ENGINEERING_PROBLEMS[name]
    return Problem(name, make_space(), func, gradient=grad, tags=("engineering", f"d={d}"))


@functools.lru_cache(maxsize=1)
def _reference_text() -> str:
    return resources.files("benchsens.problems").joinpath("data", _DATA_FILE).read_text("utf-8")


def reference_data() -> dict:
    """The shipped reference-truth JSON (read once, parsed per call: the caller's copy)."""
    return json.loads(_reference_text())


def _reference_truth(name: str, names: list[str]) -> GroundTruth:
    entries = reference_data()["problems"]
    if name not in entries:
        raise KeyError(f"{_DATA_FILE} has no reference truth for {name!r}; run scripts/reference_truth.py")
    ref = entries[name]
    if ref["names"] != names:
        raise ValueError(f"{_DATA_FILE}: {name} inputs {ref['names']} differ from the space {names}")
    return GroundTruth(
        first=ref["first"], total=ref["total"], kind="reference",
        std_error={"first": ref["std_error"]["first"], "total": ref["std_error"]["total"]},
        source=(f"{ENGINEERING_PROBLEMS[name][4]}. Truth: {ref['method']}, n={ref['n']}, "
                f"seed={ref['seed']} ({ref['date']}, numpy {ref['numpy']}), "
                f"scripts/reference_truth.py -> benchsens/problems/data/{_DATA_FILE}"),
    )


@functools.lru_cache(maxsize=None)
def _exact_truth(name: str) -> GroundTruth:
    return EXACT_TRUTHS[name]()


def _register(name: str):
    d = ENGINEERING_PROBLEMS[name][3]
    exact = name in EXACT_TRUTHS

    @register_problem(name, tags=("engineering", f"d={d}"))
    def factory() -> Problem:
        bare = bare_problem(name)
        truth = _exact_truth(name) if exact else _reference_truth(name, bare.space.names)
        return Problem(name, bare.space, bare.func, truth, gradient=bare._gradient, tags=bare.tags)

    factory.__name__ = name
    factory.__doc__ = f"{name}: {ENGINEERING_PROBLEMS[name][4]} ({'exact' if exact else 'reference'} truth)."
    return factory


for _name in ENGINEERING_PROBLEMS:
    _register(_name)
