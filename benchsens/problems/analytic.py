"""Analytic test functions with closed-form Sobol' indices."""
from __future__ import annotations

import numpy as np
from scipy.special import sici

from ..registry import register_problem
from ..problem import GroundTruth, Problem
from ..space import Normal, Space, Uniform


def _ishigami_truth(a: float, b: float) -> GroundTruth:
    # Ishigami & Homma (1990); closed forms in Sobol' & Levitan (1999), Saltelli et al. (2008) p.179
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    second = np.zeros((3, 3))
    second[0, 2] = second[2, 0] = v13 / v
    return GroundTruth(
        first=[v1 / v, v2 / v, 0.0],
        total=[(v1 + v13) / v, v2 / v, v13 / v],
        second=second,
        kind="analytic",
        source="Ishigami & Homma (1990); variance decomposition in Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, sec. 4.9",
        extras={"variance": v},
    )


@register_problem("ishigami", tags=("analytic", "d=3"))
def ishigami(a: float = 7.0, b: float = 0.1) -> Problem:
    """Ishigami function on [-pi, pi]^3: sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    a, b = float(a), float(b)
    space = Space({f"x{i}": Uniform(-np.pi, np.pi) for i in (1, 2, 3)})

    def f(X):
        return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])

    def grad(X):
        x1, x2, x3 = X.T
        return np.column_stack(
            [
                np.cos(x1) * (1 + b * x3**4),
                2 * a * np.sin(x2) * np.cos(x2),
                4 * b * x3**3 * np.sin(x1),
            ]
        )

    return Problem("ishigami", space, f, _ishigami_truth(a, b), gradient=grad,
                   tags=("analytic", "d=3"), params={"a": a, "b": b})


def _as_vector(values, what: str, min_value: float | None = None, strict: bool = False) -> np.ndarray:
    """A non-empty 1-D finite float vector, optionally bounded below; errors name the value."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a sequence of numbers, got {values!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-D sequence, got {values!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite, got {arr.tolist()}")
    if min_value is not None:
        bad = arr <= min_value if strict else arr < min_value
        if bad.any():
            j = int(np.argmax(bad))
            op = ">" if strict else ">="
            raise ValueError(f"{what}[{j}] = {float(arr[j])!r} but every value must be {op} {min_value}")
    return arr


def _same_length(d: int, **vectors) -> None:
    for name, vec in vectors.items():
        if vec.size != d:
            raise ValueError(f"{name} has {vec.size} values but the problem has d = {d} inputs")


def _others_product(factors: np.ndarray) -> np.ndarray:
    """``out[:, i] = prod_{j != i} factors[:, j]`` without dividing (factors may be 0)."""
    n, d = factors.shape
    left = np.ones((n, d))
    right = np.ones((n, d))
    left[:, 1:] = np.cumprod(factors[:, :-1], axis=1)
    right[:, :-1] = np.cumprod(factors[:, :0:-1], axis=1)[:, ::-1]
    return left * right


def _product_truth(v: np.ndarray, e2: np.ndarray, mean2: np.ndarray, source: str) -> GroundTruth:
    """Sobol' indices of ``f = prod_i g_i(x_i)`` with independent factors.

    ``v``, ``e2``, ``mean2`` are Var(g_i), E[g_i^2] and E[g_i]^2. The ANOVA term of a set u is
    ``prod_{i in u} (g_i - E g_i) prod_{i not in u} E g_i``, so
    ``V_u = prod_{i in u} v_i prod_{i not in u} mean2_i``.
    """
    d = v.size
    if np.all(mean2 > 0):  # prod(e2) - prod(mean2) without cancellation when every v_i is tiny
        variance = float(np.prod(mean2) * np.expm1(np.sum(np.log1p(v / mean2))))
    else:  # some E g_i = 0: only the full-order term is left
        variance = float(np.prod(e2))
    others_mean2 = np.array([np.prod(np.delete(mean2, i)) for i in range(d)])
    others_e2 = np.array([np.prod(np.delete(e2, i)) for i in range(d)])
    first = v * others_mean2 / variance
    total = v * others_e2 / variance
    second = np.zeros((d, d))
    for i in range(d):
        for j in range(i + 1, d):
            rest = np.prod(np.delete(mean2, [i, j]))
            second[i, j] = second[j, i] = v[i] * v[j] * rest / variance
    return GroundTruth(first=first, total=total, second=second, kind="analytic", source=source,
                       extras={"variance": variance})


def _tags(d: int, dummy: bool = False) -> tuple[str, ...]:
    return ("analytic", f"d={d}") + (("dummy",) if dummy else ())


@register_problem("sobol_g", tags=("analytic", "d=8"))
def sobol_g(a=(0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)) -> Problem:
    """Sobol' G function on [0, 1]^d: prod_i (|4 x_i - 2| + a_i) / (1 + a_i), d = len(a).

    Small ``a_i`` make input i important; ``a_i = 99`` makes it nearly inert.
    """
    a = _as_vector(a, "sobol_g a", min_value=0.0)
    d = a.size
    space = Space.unit(d)

    def f(X):
        return np.prod((np.abs(4 * X - 2) + a) / (1 + a), axis=1)

    def grad(X):
        factors = (np.abs(4 * X - 2) + a) / (1 + a)
        return _others_product(factors) * 4 * np.sign(4 * X - 2) / (1 + a)

    v = 1 / (3 * (1 + a) ** 2)  # Var g_i; E g_i = 1
    truth = _product_truth(
        v, 1 + v, np.ones(d),
        "Saltelli & Sobol' (1995), Reliab. Eng. Syst. Saf. 50:225-239; closed forms "
        "V_i = 1/(3(1+a_i)^2), V_u = prod_{i in u} V_i in Saltelli et al. (2010), "
        "Comput. Phys. Commun. 181:259-270",
    )
    return Problem("sobol_g", space, f, truth, gradient=grad, tags=_tags(d),
                   params={"a": a.tolist()})


@register_problem("gstar", tags=("analytic", "d=10"))
def gstar(
    a=(0.0, 0.1, 0.2, 0.3, 0.4, 0.8, 1.0, 2.0, 3.0, 4.0),
    alpha=2.0,
    delta=None,
) -> Problem:
    """Saltelli et al. (2010) G* function on [0, 1]^d:
    prod_i ((1 + alpha_i) |2 frac(x_i + delta_i) - 1|^alpha_i + a_i) / (1 + a_i).

    ``delta`` shifts each factor (the indices do not depend on it), ``alpha`` bends it
    (< 1 concave, > 1 convex). ``alpha`` may be a scalar. The defaults are Saltelli et al.
    (2010) test case 6 (their ``a``, alpha = 2); their ``delta`` was random, ours defaults to
    the fixed golden-ratio sequence frac(0.618... * i), i = 1..d.
    The gradient is infinite where |2 frac(x + delta) - 1| = 0 and alpha < 1.
    """
    a = _as_vector(a, "gstar a", min_value=0.0)
    d = a.size
    alpha = _as_vector(alpha, "gstar alpha", min_value=0.0, strict=True)
    alpha = np.broadcast_to(alpha, (d,)).copy() if alpha.size == 1 else alpha
    if delta is None:
        delta = np.mod((np.sqrt(5) - 1) / 2 * np.arange(1, d + 1), 1.0)
    delta = _as_vector(delta, "gstar delta", min_value=0.0)
    _same_length(d, alpha=alpha, delta=delta)
    if np.any(delta > 1):
        j = int(np.argmax(delta > 1))
        raise ValueError(f"gstar delta[{j}] = {float(delta[j])!r} but every shift must lie in [0, 1]")
    space = Space.unit(d)

    def _w(X):
        shifted = X + delta
        return 2 * (shifted - np.floor(shifted)) - 1

    def f(X):
        return np.prod(((1 + alpha) * np.abs(_w(X)) ** alpha + a) / (1 + a), axis=1)

    def grad(X):
        w = _w(X)
        factors = ((1 + alpha) * np.abs(w) ** alpha + a) / (1 + a)
        with np.errstate(divide="ignore"):
            slope = (1 + alpha) * alpha * np.abs(w) ** (alpha - 1) * 2 * np.sign(w) / (1 + a)
        return _others_product(factors) * slope

    v = alpha**2 / ((1 + 2 * alpha) * (1 + a) ** 2)  # Var g_i; E g_i = 1
    truth = _product_truth(
        v, 1 + v, np.ones(d),
        "Saltelli et al. (2010), Comput. Phys. Commun. 181:259-270, G* function: "
        "V_i = alpha_i^2 / ((1 + 2 alpha_i)(1 + a_i)^2), V_u = prod_{i in u} V_i",
    )
    return Problem("gstar", space, f, truth, gradient=grad, tags=_tags(d),
                   params={"a": a.tolist(), "alpha": alpha.tolist(), "delta": delta.tolist()})


@register_problem("linear", tags=("analytic", "d=8", "dummy"))
def linear(weights=(5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.0, 0.0)) -> Problem:
    """Weighted sum sum_i w_i x_i on [0, 1]^d; zero weights are dummy inputs.

    Additive, so S1 = ST = w_i^2 / sum_j w_j^2 and there are no interactions.
    """
    w = _as_vector(weights, "linear weights")
    if not np.any(w):
        raise ValueError(f"linear weights must not all be zero, got {w.tolist()}")
    d = w.size
    space = Space.unit(d)
    share = w**2 / np.sum(w**2)  # Var(w_i x_i) = w_i^2 / 12
    truth = GroundTruth(first=share, total=share, second=np.zeros((d, d)), kind="analytic",
                        source="additive function: S1_i = ST_i = Var(w_i x_i) / sum_j Var(w_j x_j)"
                               " = w_i^2 / sum_j w_j^2",
                        extras={"variance": float(np.sum(w**2) / 12)})
    return Problem("linear", space, lambda X: X @ w, truth,
                   gradient=lambda X: np.broadcast_to(w, X.shape).copy(),
                   tags=_tags(d, dummy=bool(np.any(w == 0))), params={"weights": w.tolist()})


# Univariate shapes g(x) on [0, 1] for `additive`: (function, derivative, variance under U(0, 1)).
_E = np.e
ADDITIVE_SHAPES = {
    "linear": (lambda x: x, lambda x: np.ones_like(x), 1 / 12),
    "quadratic": (lambda x: (2 * x - 1) ** 2, lambda x: 4 * (2 * x - 1), 1 / 5 - 1 / 9),
    "sine": (lambda x: np.sin(2 * np.pi * x), lambda x: 2 * np.pi * np.cos(2 * np.pi * x), 1 / 2),
    "exp": (np.exp, np.exp, (_E**2 - 1) / 2 - (_E - 1) ** 2),
    "step": (lambda x: (x > 0.5).astype(float), np.zeros_like, 1 / 4),
}


@register_problem("additive", tags=("analytic", "d=6", "dummy"))
def additive(
    shapes=("linear", "quadratic", "sine", "exp", "step", "linear"),
    weights=(1.0, 2.0, 1.0, 1.0, 0.5, 0.0),
) -> Problem:
    """Additive function sum_i w_i g_i(x_i) on [0, 1]^d with nonlinear univariate shapes
    g_i from ``ADDITIVE_SHAPES`` (linear, quadratic, sine, exp, step); zero weights are dummies.

    No interactions: S1_i = ST_i = w_i^2 Var(g_i) / sum_j w_j^2 Var(g_j). The step shape has
    no gradient at 0.5 (reported as 0, its value everywhere else).
    """
    w = _as_vector(weights, "additive weights")
    d = w.size
    if isinstance(shapes, str) or len(shapes) != d:
        raise ValueError(f"additive needs one shape per weight ({d}), got shapes={shapes!r}")
    unknown = [s for s in shapes if s not in ADDITIVE_SHAPES]
    if unknown:
        raise ValueError(f"additive: unknown shape(s) {unknown}; choose from {sorted(ADDITIVE_SHAPES)}")
    shapes = tuple(shapes)
    funcs = [ADDITIVE_SHAPES[s] for s in shapes]
    parts = w**2 * np.array([var for _, _, var in funcs])
    if not np.any(parts > 0):
        raise ValueError(f"additive weights must not all be zero, got {w.tolist()}")
    share = parts / parts.sum()
    space = Space.unit(d)

    def f(X):
        return sum(wi * g(X[:, i]) for i, (wi, (g, _, _)) in enumerate(zip(w, funcs)))

    def grad(X):
        return np.column_stack([wi * dg(X[:, i]) for i, (wi, (_, dg, _)) in enumerate(zip(w, funcs))])

    truth = GroundTruth(first=share, total=share, second=np.zeros((d, d)), kind="analytic",
                        source="additive function: S1_i = ST_i = w_i^2 Var g_i / sum_j w_j^2 Var g_j "
                               "with closed-form Var g under U(0, 1)",
                        extras={"variance": float(parts.sum())})
    return Problem("additive", space, f, truth, gradient=grad,
                   tags=_tags(d, dummy=bool(np.any(w == 0))),
                   params={"shapes": list(shapes), "weights": w.tolist()})


@register_problem("product", tags=("analytic", "d=5"))
def product(low=(0.0, 0.5, 1.0, -0.5, 0.9), high=(1.0, 1.5, 4.0, 1.5, 1.1)) -> Problem:
    """Product prod_i x_i of independent x_i ~ U(low_i, high_i): interactions of every order.

    With means m_i and variances v_i the ANOVA term of a set u has variance
    prod_{i in u} v_i prod_{i not in u} m_i^2; an input with mean 0 makes every lower-order
    term that excludes it vanish.
    """
    low = _as_vector(low, "product low")
    high = _as_vector(high, "product high")
    d = low.size
    _same_length(d, high=high)
    space = Space({f"x{i + 1}": Uniform(lo, hi) for i, (lo, hi) in enumerate(zip(low, high))})
    m = (low + high) / 2
    v = (high - low) ** 2 / 12
    truth = _product_truth(
        v, v + m**2, m**2,
        "closed-form ANOVA of a product of independent inputs: "
        "V_u = prod_{i in u} Var x_i prod_{i not in u} (E x_i)^2",
    )
    return Problem("product", space, lambda X: np.prod(X, axis=1), truth,
                   gradient=_others_product, tags=_tags(d),
                   params={"low": low.tolist(), "high": high.tolist()})


@register_problem("friedman", tags=("analytic", "d=10", "dummy"))
def friedman(n_dummy: int = 5) -> Problem:
    """Friedman (1991) #1 on [0, 1]^(5 + n_dummy):
    10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4 + 5 x5; x6.. are dummy inputs (ST = 0).

    Truth: the x1-x2 term A = 10 sin(pi x1 x2) has E[A] = (10/pi) Cin(pi),
    E[A^2] = 50 (1 - Si(2 pi) / (2 pi)) and E[A | x1] = 10 (1 - cos(pi x1)) / (pi x1), whose
    second moment is a 1-D Gauss-Legendre integral of an entire function (exact to round-off).
    """
    if not isinstance(n_dummy, (int, np.integer)) or isinstance(n_dummy, bool) or n_dummy < 0:
        raise ValueError(f"friedman n_dummy must be a non-negative integer, got {n_dummy!r}")
    n_dummy = int(n_dummy)
    d = 5 + n_dummy
    space = Space.unit(d)

    def f(X):
        return (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
                + 10 * X[:, 3] + 5 * X[:, 4])

    def grad(X):
        g = np.zeros_like(X)
        c = 10 * np.pi * np.cos(np.pi * X[:, 0] * X[:, 1])
        g[:, 0] = c * X[:, 1]
        g[:, 1] = c * X[:, 0]
        g[:, 2] = 40 * (X[:, 2] - 0.5)
        g[:, 3] = 10
        g[:, 4] = 5
        return g

    si_2pi, _ = sici(2 * np.pi)
    _, ci_pi = sici(np.pi)
    mean_a = 10 / np.pi * (np.euler_gamma + np.log(np.pi) - ci_pi)
    var_a = 50 * (1 - si_2pi / (2 * np.pi)) - mean_a**2
    nodes, weights = np.polynomial.legendre.leggauss(64)
    x = (nodes + 1) / 2
    cond_mean = 10 * (1 - np.cos(np.pi * x)) / (np.pi * x)
    v1 = float(weights / 2 @ cond_mean**2) - mean_a**2  # = V2 by symmetry
    v12 = var_a - 2 * v1
    main = np.array([v1, v1, 20 / 9, 100 / 12, 25 / 12] + [0.0] * n_dummy)
    variance = float(main.sum() + v12)
    second = np.zeros((d, d))
    second[0, 1] = second[1, 0] = v12 / variance
    total = main.copy()
    total[:2] += v12
    truth = GroundTruth(
        first=main / variance, total=total / variance, second=second, kind="analytic",
        source="Friedman (1991), Ann. Stat. 19:1-67, eq. for test function #1; variances of "
               "the separable terms in closed form, the x1-x2 term by sine/cosine integrals "
               "(scipy.special.sici) and 64-node Gauss-Legendre for Var E[A | x1]",
        extras={"variance": variance},
    )
    return Problem("friedman", space, f, truth, gradient=grad, tags=_tags(d, dummy=n_dummy > 0),
                   params={"n_dummy": n_dummy})


# Oakley & O'Hagan (2004), J. R. Stat. Soc. B 66:751-769, 15-d test function. Coefficients as
# published in the SFU Virtual Library of Simulation Experiments (Surjanovic & Bingham,
# https://www.sfu.ca/~ssurjano/oakoh04.html, data files oakoh04_a1/a2/a3/M.txt); copied from
# the copies in pyapprox (benchmarks/sensitivity_benchmarks.py, get_oakley_function_data) and
# cross-checked against OpenTURNS otbenchmark (OakleyOHaganSensitivity._getParameters).
OAKLEY_A1 = (0.0118, 0.0456, 0.2297, 0.0393, 0.1177, 0.3865, 0.3897, 0.6061, 0.6159, 0.4005,
             1.0741, 1.1474, 0.7880, 1.1242, 1.1982)
OAKLEY_A2 = (0.4341, 0.0887, 0.0512, 0.3233, 0.1489, 1.0360, 0.9892, 0.9672, 0.8977, 0.8083,
             1.8426, 2.4712, 2.3946, 2.0045, 2.2621)
OAKLEY_A3 = (0.1044, 0.2057, 0.0774, 0.2730, 0.1253, 0.7526, 0.8570, 1.0331, 0.8388, 0.7970,
             2.2145, 2.0382, 2.4004, 2.0541, 1.9845)
OAKLEY_M = (
    (-2.2482886e-02, -1.8501666e-01, 1.3418263e-01, 3.6867264e-01, 1.7172785e-01,
     1.3651143e-01, -4.4034404e-01, -8.1422854e-02, 7.1321025e-01, -4.4361072e-01,
     5.0383394e-01, -2.4101458e-02, -4.5939684e-02, 2.1666181e-01, 5.5887417e-02),
    (2.5659630e-01, 5.3792287e-02, 2.5800381e-01, 2.3795905e-01, -5.9125756e-01,
     -8.1627077e-02, -2.8749073e-01, 4.1581639e-01, 4.9752241e-01, 8.3893165e-02,
     -1.1056683e-01, 3.3222351e-02, -1.3979497e-01, -3.1020556e-02, -2.2318721e-01),
    (-5.5999811e-02, 1.9542252e-01, 9.5529005e-02, -2.8626530e-01, -1.4441303e-01,
     2.2369356e-01, 1.4527412e-01, 2.8998481e-01, 2.3105010e-01, -3.1929879e-01,
     -2.9039128e-01, -2.0956898e-01, 4.3139047e-01, 2.4429152e-02, 4.4904409e-02),
    (6.6448103e-01, 4.3069872e-01, 2.9924645e-01, -1.6202441e-01, -3.1479544e-01,
     -3.9026802e-01, 1.7679822e-01, 5.7952663e-02, 1.7230342e-01, 1.3466011e-01,
     -3.5275240e-01, 2.5146896e-01, -1.8810529e-02, 3.6482392e-01, -3.2504618e-01),
    (-1.2127800e-01, 1.2463327e-01, 1.0656519e-01, 4.6562296e-02, -2.1678617e-01,
     1.9492172e-01, -6.5521126e-02, 2.4404669e-02, -9.6828860e-02, 1.9366196e-01,
     3.3354757e-01, 3.1295994e-01, -8.3615456e-02, -2.5342082e-01, 3.7325717e-01),
    (-2.8376230e-01, -3.2820154e-01, -1.0496068e-01, -2.2073452e-01, -1.3708154e-01,
     -1.4426375e-01, -1.1503319e-01, 2.2424151e-01, -3.0395022e-02, -5.1505615e-01,
     1.7254978e-02, 3.8957118e-02, 3.6069184e-01, 3.0902452e-01, 5.0030193e-02),
    (-7.7875893e-02, 3.7456560e-03, 8.8685604e-01, -2.6590028e-01, -7.9325357e-02,
     -4.2734919e-02, -1.8653782e-01, -3.5604718e-01, -1.7497421e-01, 8.8699956e-02,
     4.0025886e-01, -5.5979693e-02, 1.3724479e-01, 2.1485613e-01, -1.1265799e-02),
    (-9.2294730e-02, 5.9209563e-01, 3.1338285e-02, -3.3080861e-02, -2.4308858e-01,
     -9.9798547e-02, 3.4460195e-02, 9.5119813e-02, -3.3801620e-01, 6.3860024e-03,
     -6.1207299e-01, 8.1325416e-02, 8.8683114e-01, 1.4254905e-01, 1.4776204e-01),
    (-1.3189434e-01, 5.2878496e-01, 1.2652391e-01, 4.5113625e-02, 5.8373514e-01,
     3.7291503e-01, 1.1395325e-01, -2.9479222e-01, -5.7014085e-01, 4.6291592e-01,
     -9.4050179e-02, 1.3959097e-01, -3.8607402e-01, -4.4897060e-01, -1.4602419e-01),
    (5.8107658e-02, -3.2289338e-01, 9.3139162e-02, 7.2427234e-02, -5.6919401e-01,
     5.2554237e-01, 2.3656926e-01, -1.1782016e-02, 7.1820601e-02, 7.8277291e-02,
     -1.3355752e-01, 2.2722721e-01, 1.4369455e-01, -4.5198935e-01, -5.5574794e-01),
    (6.6145875e-01, 3.4633299e-01, 1.4098019e-01, 5.1882591e-01, -2.8019898e-01,
     -1.6032260e-01, -6.8413337e-02, -2.0428242e-01, 6.9672173e-02, 2.3112577e-01,
     -4.4368579e-02, -1.6455425e-01, 2.1620977e-01, 4.2702105e-03, -8.7399014e-02),
    (3.1599556e-01, -2.7551859e-02, 1.3434254e-01, 1.3497371e-01, 5.4005680e-02,
     -1.7374789e-01, 1.7525393e-01, 6.0258929e-02, -1.7914162e-01, -3.1056619e-01,
     -2.5358691e-01, 2.5847535e-02, -4.3006001e-01, -6.2266361e-01, -3.3996882e-02),
    (-2.9038151e-01, 3.4101270e-02, 3.4903413e-02, -1.2121764e-01, 2.6030714e-02,
     -3.3546274e-01, -4.1424111e-01, 5.3248380e-02, -2.7099455e-01, -2.6251302e-02,
     4.1024137e-01, 2.6636349e-01, 1.5582891e-01, -1.8666254e-01, 1.9895831e-02),
    (-2.4388652e-01, -4.4098852e-01, 1.2618825e-02, 2.4945112e-01, 7.1101888e-02,
     2.4623792e-01, 1.7484502e-01, 8.5286769e-03, 2.5147070e-01, -1.4659862e-01,
     -8.4625150e-02, 3.6931333e-01, -2.9955293e-01, 1.1044360e-01, -7.5690139e-01),
    (4.1494323e-02, -2.5980564e-01, 4.6402128e-01, -3.6112127e-01, -9.4980789e-01,
     -1.6504063e-01, 3.0943325e-03, 5.2792942e-02, 2.2523648e-01, 3.8390366e-01,
     4.5562427e-01, -1.8631744e-01, 8.2333995e-03, 1.6670803e-01, 1.6045688e-01),
)


@register_problem("oakley_ohagan", tags=("analytic", "d=15"))
def oakley_ohagan(a1=OAKLEY_A1, a2=OAKLEY_A2, a3=OAKLEY_A3, M=OAKLEY_M) -> Problem:
    """Oakley & O'Hagan (2004) function a1'x + a2' sin x + a3' cos x + x'Mx, x ~ N(0, I).

    The defaults are the published 15-d coefficients; other coefficients of matching sizes
    give the same family in any dimension.

    Truth: E[f | x_i] = a1_i x + a2_i sin x + a3_i cos x + M_ii x^2 + const, whose variance
    follows from the normal moments Var sin = (1 - e^-2)/2, Var cos = (1 + e^-2)/2 - e^-1,
    Var x^2 = 2, Cov(x, sin x) = e^-1/2, Cov(cos x, x^2) = -e^-1/2 (the other pairs are
    uncorrelated by parity); each (M_ij + M_ji) x_i x_j is a pure interaction of variance
    (M_ij + M_ji)^2, and there are no higher-order terms.
    """
    a1 = _as_vector(a1, "oakley_ohagan a1")
    d = a1.size
    a2 = _as_vector(a2, "oakley_ohagan a2")
    a3 = _as_vector(a3, "oakley_ohagan a3")
    _same_length(d, a2=a2, a3=a3)
    M = np.asarray(M, dtype=float)
    if M.shape != (d, d) or not np.all(np.isfinite(M)):
        raise ValueError(f"oakley_ohagan M must be a finite {d} x {d} matrix, got shape {M.shape}")
    space = Space({f"x{i + 1}": Normal(0.0, 1.0) for i in range(d)})
    sym = M + M.T

    def f(X):
        return X @ a1 + np.sin(X) @ a2 + np.cos(X) @ a3 + np.einsum("ni,ni->n", X @ M, X)

    def grad(X):
        return a1 + np.cos(X) * a2 - np.sin(X) * a3 + X @ sym

    e = np.e
    m = np.diag(M)
    main = (a1**2 + a2**2 * (1 - e**-2) / 2 + a3**2 * ((1 + e**-2) / 2 - 1 / e) + 2 * m**2
            + 2 * a1 * a2 * e**-0.5 - 2 * a3 * m * e**-0.5)
    pair = np.triu(sym, 1) ** 2
    pair = pair + pair.T
    variance = float(main.sum() + pair.sum() / 2)
    published = (np.array_equal(a1, OAKLEY_A1) and np.array_equal(a2, OAKLEY_A2)
                 and np.array_equal(a3, OAKLEY_A3) and np.array_equal(M, np.asarray(OAKLEY_M)))
    truth = GroundTruth(
        first=main / variance, total=(main + pair.sum(axis=1)) / variance,
        second=pair / variance, kind="analytic",
        source="Oakley & O'Hagan (2004), J. R. Stat. Soc. B 66:751-769"
               + (" (published coefficients, SFU library oakoh04)" if published else " form")
               + "; exact ANOVA by standard-normal moments of x, sin x, cos x, x^2",
        extras={"variance": variance},
    )
    return Problem("oakley_ohagan", space, f, truth, gradient=grad, tags=_tags(d),
                   params={} if published else {"a1": a1.tolist(), "a2": a2.tolist(),
                                                "a3": a3.tolist(), "M": M.tolist()})
