"""Random problem families with exact ground truth for any ``d`` and ``seed``.

Each factory builds its function from ``np.random.default_rng(seed)``, so a
``(name, params)`` pair always names the same function. Truths are computed from the
function's structure (coefficients, closed forms, 1-D quadrature), never by sampling;
the truths (immutable) are cached per parameter set, every call builds a new Problem.
"""
from __future__ import annotations

import functools
import math
from itertools import combinations

import numpy as np
from numpy.polynomial import hermite_e, legendre
from scipy import integrate, special, stats

from ..problem import GroundTruth, Problem
from ..registry import register_problem
from ..space import Normal, Space, Uniform
from .analytic import sobol_g

__all__ = ["random_pce", "random_sobol_g", "metafunction", "METAFUNCTION_SHAPES", "Metafunction",
           "PolynomialChaos", "METAFUNCTION_LAWS", "METAFUNCTION_DISTRIBUTIONS"]

# Rows evaluated at once: bounds the (rows x terms x factors) work arrays.
_CHUNK = 2**13


def _check_int(value, what, low):
    is_int = isinstance(value, (int, np.integer, float)) and not isinstance(value, bool)
    if not is_int or int(value) != value or value < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_fraction(value, what):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number in [0, 1), got {value!r}") from None
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{what} must lie in [0, 1), got {value!r}")
    return value


def _pick_dummies(rng, d, dummy_fraction):
    """Boolean mask of ``floor(dummy_fraction * d)`` inputs that the function ignores."""
    mask = np.zeros(d, bool)
    mask[rng.choice(d, size=int(dummy_fraction * d), replace=False)] = True
    return mask


def _by_rows(func, X):
    """Apply ``func`` to row blocks of ``X`` (bounded memory for large designs)."""
    return np.concatenate([func(X[s : s + _CHUNK]) for s in range(0, max(len(X), 1), _CHUNK)])


def _subset_truth(subset_variance, d, kind, source, extras=None):
    """S1, ST, S2 from the variances ``{(i, j, ...): V_u}`` of the ANOVA components."""
    total_variance = sum(subset_variance.values())
    if total_variance <= 0:
        raise ValueError("the generated function is constant (zero variance)")
    first, total, second = np.zeros(d), np.zeros(d), np.zeros((d, d))
    for u, v in subset_variance.items():
        share = v / total_variance
        total[list(u)] += share
        if len(u) == 1:
            first[u[0]] += share
        elif len(u) == 2:
            second[u[0], u[1]] += share
            second[u[1], u[0]] += share
    return GroundTruth(first=first, total=total, second=second, kind=kind, source=source,
                       extras={"variance": total_variance, **(extras or {})})


# --------------------------------------------------------------------------- random PCE

_PCE_BASES = {
    # orthonormal under the input law: E[psi_k psi_l] = delta_kl
    "legendre": (legendre.legvander, legendre.legder, lambda k: np.sqrt(2.0 * k + 1.0),
                 Uniform(-1.0, 1.0)),
    "hermite": (hermite_e.hermevander, hermite_e.hermeder,
                lambda k: 1.0 / np.sqrt([math.factorial(int(i)) for i in k]), Normal(0.0, 1.0)),
}


class PolynomialChaos:
    """``f(x) = c0 + sum_t c_t prod_j psi_{alpha_tj}(x_j)`` on an orthonormal basis."""

    def __init__(self, basis, degree, intercept, alphas, coefs):
        self.basis = basis
        self.degree = degree
        self.intercept = float(intercept)
        self.alphas = np.asarray(alphas, int)  # (terms, d) multi-indices
        self.coefs = np.asarray(coefs, float)
        vander, derivative, norm, _ = _PCE_BASES[basis]
        self._vander = vander
        self._norm = norm(np.arange(degree + 1))
        # psi_k' = sum_m deriv[k, m] psi_m (derivative of each basis polynomial in the basis)
        raw = np.array([np.pad(derivative(e), (0, 1)) for e in np.eye(degree + 1)])
        self._deriv = raw * self._norm[:, None] / self._norm[None, :]
        self._used = np.flatnonzero(self.alphas.any(axis=0))
        # Each term as columns of the flattened (used input, degree) table of psi values;
        # short terms are padded with degree 0 of the first used input (psi_0 = 1).
        width = max(int(np.count_nonzero(a)) for a in self.alphas)
        self._factors = np.zeros((len(self.alphas), width), int)
        # one-hot (factor slot, term, input) map used to scatter term derivatives
        self._slot_input = np.zeros((width, len(self.alphas), self.alphas.shape[1]))
        for t, alpha in enumerate(self.alphas):
            inputs = np.flatnonzero(alpha)
            position = np.searchsorted(self._used, inputs)
            self._factors[t, : inputs.size] = position * (degree + 1) + alpha[inputs]
            self._slot_input[np.arange(inputs.size), t, inputs] = 1.0

    def _block(self, X):
        psi = self._vander(X[:, self._used], self.degree) * self._norm  # (n, used, degree + 1)
        terms = psi.reshape(X.shape[0], -1)[:, self._factors].prod(axis=2)
        return self.intercept + terms @ self.coefs

    def __call__(self, X):
        return _by_rows(self._block, X)

    def _gradient_block(self, X):
        psi = self._vander(X[:, self._used], self.degree) * self._norm
        n = X.shape[0]
        values = psi.reshape(n, -1)[:, self._factors]  # (n, terms, slots)
        slopes = (psi @ self._deriv.T).reshape(n, -1)[:, self._factors]
        grad = np.zeros((n, self.alphas.shape[1]))
        for r in range(self._factors.shape[1]):  # product rule over the <= 3 factor slots
            others = np.prod(np.delete(values, r, axis=2), axis=2)
            grad += (others * slopes[:, :, r] * self.coefs) @ self._slot_input[r]
        return grad

    def gradient(self, X):
        """Exact gradient ``(n, d)``: product rule on every term."""
        return np.concatenate([self._gradient_block(X[s : s + _CHUNK])
                               for s in range(0, max(len(X), 1), _CHUNK)])

    def subset_variances(self):
        """Orthonormality: the variance of component ``u`` is the sum of ``c_t^2`` over
        the multi-indices whose support is exactly ``u`` (Sudret 2008)."""
        out = {}
        for alpha, c in zip(self.alphas, self.coefs):
            u = tuple(np.flatnonzero(alpha))
            out[u] = out.get(u, 0.0) + c * c
        return out


def _random_multi_index(rng, inputs, order, degree, d):
    """A multi-index on ``order`` distinct ``inputs`` with every degree >= 1, total <= degree."""
    alpha = np.zeros(d, int)
    chosen = rng.choice(inputs, size=order, replace=False)
    extra = rng.integers(0, degree - order + 1)
    alpha[chosen] = 1 + rng.multinomial(extra, np.full(order, 1.0 / order))
    return tuple(alpha)


def _pce_model(d, degree, seed, basis, dummy_fraction, interactions):
    rng = np.random.default_rng(seed)
    dummies = _pick_dummies(rng, d, dummy_fraction)
    active = np.flatnonzero(~dummies)
    terms = {}
    for j in active:  # every active input gets a main effect of random degree
        alpha = np.zeros(d, int)
        alpha[j] = rng.integers(1, degree + 1)
        terms[tuple(alpha)] = None
    max_order = min(3, degree, active.size)
    for _ in range(interactions if max_order >= 2 else 0):
        order = int(rng.integers(2, max_order + 1))
        terms[_random_multi_index(rng, active, order, degree, d)] = None
    alphas = np.array(list(terms), int)
    # sparse, decaying spectrum: N(0, 1) scaled by 1 / total degree
    coefs = rng.standard_normal(len(alphas)) / alphas.sum(axis=1)
    return PolynomialChaos(basis, degree, rng.standard_normal(), alphas, coefs), dummies


@register_problem("random_pce", tags=("family",))
def random_pce(d: int = 10, degree: int = 3, seed: int = 0, basis: str = "legendre",
               dummy_fraction: float = 0.2, interactions: int | None = None) -> Problem:
    """Random sparse polynomial chaos expansion of total degree ``degree``.

    ``basis="legendre"``: inputs Uniform(-1, 1), normalised Legendre polynomials;
    ``basis="hermite"``: inputs Normal(0, 1), normalised probabilists' Hermite polynomials.
    ``floor(dummy_fraction * d)`` random inputs get no terms (dummies); every other input
    gets one main-effect term, and ``interactions`` (default ``d``) random 2- or 3-input
    terms are added. Coefficients are N(0, 1) / total degree. S1/ST/S2 are sums of squared
    coefficients (Sudret 2008), exact.
    """
    d = _check_int(d, "random_pce d", 1)
    degree = _check_int(degree, "random_pce degree", 1)
    seed = _check_int(seed, "random_pce seed", 0)
    if basis not in _PCE_BASES:
        raise ValueError(f"random_pce basis must be one of {sorted(_PCE_BASES)}, got {basis!r}")
    dummy_fraction = _check_fraction(dummy_fraction, "random_pce dummy_fraction")
    interactions = d if interactions is None else _check_int(interactions, "random_pce interactions", 0)
    return _pce_problem(d, degree, seed, basis, dummy_fraction, interactions)


@functools.lru_cache(maxsize=64)
def _pce_truth(d, degree, seed, basis, dummy_fraction, interactions):
    """Cached per parameter set: truths are immutable, so sharing them is safe."""
    model, dummies = _pce_model(d, degree, seed, basis, dummy_fraction, interactions)
    return _subset_truth(
        model.subset_variances(), d, "analytic",
        "PCE Sobol' indices from squared coefficients of an orthonormal basis (Sudret 2008, "
        "Reliab. Eng. Syst. Saf. 93:964)",
        extras={"dummies": np.flatnonzero(dummies).tolist()},
    )


def _pce_problem(d, degree, seed, basis, dummy_fraction, interactions):
    """A new model and Problem per call (cheap), around the cached truth."""
    model, _ = _pce_model(d, degree, seed, basis, dummy_fraction, interactions)
    truth = _pce_truth(d, degree, seed, basis, dummy_fraction, interactions)
    space = Space({f"x{i + 1}": _PCE_BASES[basis][3] for i in range(d)})
    params = dict(d=d, degree=degree, seed=seed, basis=basis, dummy_fraction=dummy_fraction,
                  interactions=interactions)
    return Problem("random_pce", space, model, truth, gradient=model.gradient,
                   tags=("family", f"d={d}"), params=params)


# ---------------------------------------------------------------------- random Sobol' G


def _sobol_g_problem(d, seed, n_important):
    rng = np.random.default_rng(seed)
    a = 10.0 ** rng.uniform(1.0, 2.0, size=d)  # a in [10, 100]: barely matters
    important = rng.choice(d, size=n_important, replace=False)
    a[important] = rng.uniform(0.0, 1.0, size=n_important)  # a in [0, 1): matters
    # function, gradient and closed-form truth are those of the analytic Sobol' G
    base = sobol_g(a)
    t = base.truth
    truth = GroundTruth(first=t.first, total=t.total, second=t.second, kind=t.kind, source=t.source,
                        extras={"a": a.tolist(), **t.extras})
    return Problem("random_sobol_g", base.space, base.func, truth, gradient=base._gradient,
                   tags=("family", f"d={d}"),
                   params=dict(d=d, seed=seed, n_important=n_important))


@register_problem("random_sobol_g", tags=("family",))
def random_sobol_g(d: int = 10, seed: int = 0, n_important: int | None = None) -> Problem:
    """Sobol' G on [0, 1]^d with random ``a``: ``n_important`` (default ``max(1, d // 4)``)
    random inputs get ``a ~ U(0, 1)`` and matter, the rest ``a ~ 10^U(1, 2)`` and barely
    matter. Truth from the closed form."""
    d = _check_int(d, "random_sobol_g d", 1)
    seed = _check_int(seed, "random_sobol_g seed", 0)
    n_important = max(1, d // 4) if n_important is None else n_important
    n_important = _check_int(n_important, "random_sobol_g n_important", 0)
    if n_important > d:
        raise ValueError(f"random_sobol_g n_important must be <= d={d}, got {n_important!r}")
    return _sobol_g_problem(d, seed, n_important)


# -------------------------------------------------------------------------- metafunction

_E = np.e
# Univariate shapes on [0, 1] (Becker 2020; the list of sensobol::metafunction, Puy et al.
# 2022). "discontinuous" steps at a random break b per input; "no_effect" marks dummies.
METAFUNCTION_SHAPES = {
    "linear": lambda x, b: x,
    "quadratic": lambda x, b: x**2,
    "cubic": lambda x, b: x**3,
    "exponential": lambda x, b: (np.exp(x) - 1.0) / (_E - 1.0),
    "periodic": lambda x, b: np.sin(2.0 * np.pi * x) / 2.0,
    "discontinuous": lambda x, b: (x > b).astype(float),
    "non_monotonic": lambda x, b: 4.0 * (x - 0.5) ** 2,
    "inverse": lambda x, b: 1.0 / ((10.0 - 1.0 / 1.1) * (x + 0.1)),
    "trigonometric": lambda x, b: np.cos(x),
    "no_effect": lambda x, b: np.zeros_like(x),
}
_ACTIVE_SHAPES = [s for s in METAFUNCTION_SHAPES if s != "no_effect"]
_QUAD_NODES = 64

# Input laws on [0, 1] of Puy, Becker, Lo Piano & Saltelli (2022, IJUQ 12(2), fig. 3; their
# code: github.com/arnaldpuy/battle_estimators): quantile function and density. The normal
# is truncated to [0, 1] as the paper states (N_T(0.5, 0.15, 0, 1)); untruncated, the
# "inverse" shape 1/(x + 0.1) would have an infinite variance.
_TN_A, _TN_B = special.ndtr(-0.5 / 0.15), special.ndtr(0.5 / 0.15)
_LN_SIGMA = 3.16


def _beta_law(a, b):
    norm = special.beta(a, b)
    return (lambda u: special.betaincinv(a, b, u),
            lambda x: x ** (a - 1.0) * (1.0 - x) ** (b - 1.0) / norm)


METAFUNCTION_LAWS = {
    "uniform": (lambda u: u, lambda x: 1.0),
    "normal": (lambda u: 0.5 + 0.15 * special.ndtri(_TN_A + u * (_TN_B - _TN_A)),
               lambda x: math.exp(-0.5 * ((x - 0.5) / 0.15) ** 2) / (0.15 * math.sqrt(2 * math.pi) * (_TN_B - _TN_A))),
    "beta_8_2": _beta_law(8.0, 2.0),
    "beta_2_8": _beta_law(2.0, 8.0),
    "beta_2_0.8": _beta_law(2.0, 0.8),
    "beta_0.8_2": _beta_law(0.8, 2.0),
    "logitnormal": (lambda u: special.expit(_LN_SIGMA * special.ndtri(u)),
                    lambda x: math.exp(-0.5 * (math.log(x / (1.0 - x)) / _LN_SIGMA) ** 2)
                    / (math.sqrt(2 * math.pi) * _LN_SIGMA * x * (1.0 - x))),
}
#: ``metafunction(distribution=...)``: one law for every input, or ``"mixed"`` (a random law
#: per input, the paper's phi = 8).
METAFUNCTION_DISTRIBUTIONS = (*METAFUNCTION_LAWS, "mixed")


@functools.lru_cache(maxsize=4096)
def _law_moments(shape, law, brk):
    """Mean and variance of ``g(X)``, X of a non-uniform ``law``, by adaptive quadrature of
    ``g p`` on [0, 1] (QUADPACK qags: handles the integrable endpoint singularities of the
    beta densities), split at the break of a step."""
    g, pdf = METAFUNCTION_SHAPES[shape], METAFUNCTION_LAWS[law][1]
    points = None if np.isnan(brk) else [brk]

    def integral(h):
        return integrate.quad(lambda x: float(h(np.float64(x))) * pdf(x), 0.0, 1.0,
                              points=points, epsabs=1e-13, epsrel=1e-11, limit=200)[0]

    mu = integral(lambda x: g(x, brk))
    return mu, max(integral(lambda x: (g(x, brk) - mu) ** 2), 0.0)


@functools.cache
def _gauss_legendre(n):
    return legendre.leggauss(n)


def _shape_quadrature(brk):
    """Gauss-Legendre nodes/weights on [0, 1], split at ``brk`` when it is finite so a
    step shape is integrated exactly."""
    t, w = _gauss_legendre(_QUAD_NODES)
    pieces = [(0.0, 1.0)] if np.isnan(brk) else [(0.0, brk), (brk, 1.0)]
    nodes = np.concatenate([lo + (hi - lo) * (t + 1) / 2 for lo, hi in pieces])
    weights = np.concatenate([(hi - lo) * w / 2 for lo, hi in pieces])
    return nodes, weights


class Metafunction:
    """``f(x) = sum_t c_t prod_{i in u_t} g_i(x_i)`` with one shape ``g_i`` per input."""

    def __init__(self, shapes, breaks, supports, coefs, laws=None):
        self.shapes = list(shapes)
        self.breaks = np.asarray(breaks, float)  # NaN where the shape has no break
        self.supports = [tuple(int(i) for i in u) for u in supports]
        self.coefs = np.asarray(coefs, float)
        # input i is x_i = Q_i(u_i) for the probability level u_i ~ U(0, 1) the space holds
        self.laws = ["uniform"] * len(self.shapes) if laws is None else list(laws)

    def shape_values(self, X):
        return np.column_stack([METAFUNCTION_SHAPES[s](METAFUNCTION_LAWS[law][0](X[:, i]), self.breaks[i])
                                for i, (s, law) in enumerate(zip(self.shapes, self.laws))])

    def _block(self, X):
        G = self.shape_values(X)
        y = np.zeros(X.shape[0])
        for order in (1, 2, 3):
            idx = [t for t, u in enumerate(self.supports) if len(u) == order]
            if idx:
                cols = np.array([self.supports[t] for t in idx])  # (terms, order)
                y += np.prod(G[:, cols], axis=2) @ self.coefs[idx]
        return y

    def __call__(self, X):
        return _by_rows(self._block, X)

    def moments(self):
        """Mean and variance of every ``g_i(x_i)``, x_i ~ U(0, 1), by split Gauss-Legendre."""
        mu, var = np.empty(len(self.shapes)), np.empty(len(self.shapes))
        for i, s in enumerate(self.shapes):
            if self.laws[i] != "uniform":
                mu[i], var[i] = _law_moments(s, self.laws[i], float(self.breaks[i]))
                continue
            x, w = _shape_quadrature(self.breaks[i])
            g = METAFUNCTION_SHAPES[s](x, self.breaks[i])
            mu[i] = w @ g
            var[i] = max(w @ (g - mu[i]) ** 2, 0.0)
        return mu, var

    def subset_variances(self):
        """Exact variances of the ANOVA components (see :func:`metafunction`)."""
        return product_sum_variances(self.supports, self.coefs, *self.moments())


def product_sum_variances(supports, coefs, mu, var) -> dict:
    """Variances ``{v: V_v}`` of the ANOVA components of ``sum_t c_t prod_{i in u_t} g_i(x_i)``
    (independent inputs, one function ``g_i`` per input with mean ``mu[i]`` and variance
    ``var[i]``): ``V_v = A_v^2 prod_{i in v} var_i`` with
    ``A_v = sum_{t: u_t contains v} c_t prod_{i in u_t minus v} mu_i`` (derivation in
    :func:`metafunction`'s docstring)."""
    amplitude = {}
    for u, c in zip(supports, coefs):
        for r in range(1, len(u) + 1):
            for v in combinations(u, r):
                rest = [i for i in u if i not in v]
                amplitude[v] = amplitude.get(v, 0.0) + c * np.prod(mu[rest])
    return {v: a * a * np.prod(var[list(v)]) for v, a in amplitude.items()}


def _random_subsets(rng, items, order, count):
    """``min(count, C(len(items), order))`` distinct random ``order``-subsets of ``items``
    (uniform: draws until enough distinct ones)."""
    count = min(count, math.comb(len(items), order))
    chosen = {}
    while len(chosen) < count:
        chosen[tuple(sorted(rng.choice(items, order, replace=False).tolist()))] = None
    return list(chosen)


def _mixture_coefs(rng, n):
    """Puy et al.'s coefficient law: 0.7 N(0, 0.5) + 0.3 N(0, 5) (variances)."""
    sd = np.where(rng.random(n) < 0.7, np.sqrt(0.5), np.sqrt(5.0))
    return sd * rng.standard_normal(n)


def _metafunction_model(d, seed, k2, k3, dummy_fraction, distribution="uniform"):
    rng = np.random.default_rng(seed)
    dummies = _pick_dummies(rng, d, dummy_fraction)
    shapes = np.where(dummies, "no_effect", rng.choice(_ACTIVE_SHAPES, size=d)).tolist()
    breaks = np.where(np.array(shapes) == "discontinuous", rng.uniform(0.2, 0.8, size=d), np.nan)
    active = np.flatnonzero(~dummies)
    supports = [(int(i),) for i in active]
    for order, rate in ((2, k2), (3, k3)):
        supports += _random_subsets(rng, active, order, math.ceil(rate * active.size))
    coefs = _mixture_coefs(rng, len(supports))
    # drawn last, so a (d, seed, ...) names the same shapes and terms under every law
    laws = rng.choice(list(METAFUNCTION_LAWS), size=d).tolist() if distribution == "mixed" \
        else [distribution] * d
    return Metafunction(shapes, breaks, supports, coefs, laws), dummies


@register_problem("metafunction", tags=("family",))
def metafunction(d: int = 10, seed: int = 0, k2: float = 0.5, k3: float = 0.2,
                 dummy_fraction: float = 0.2, distribution: str = "uniform") -> Problem:
    """Random metafunction on [0, 1]^d (Becker 2020, Reliab. Eng. Syst. Saf. 204:107189;
    Puy et al. 2022, J. Stat. Softw. 102(5), ``sensobol::metafunction``).

    Each input i gets a random shape g_i (linear, quadratic, cubic, exponential,
    periodic, discontinuous step at a random break, non-monotonic, inverse,
    trigonometric); ``floor(dummy_fraction * d)`` random inputs get none (dummies). The
    output is ``sum_i c_i g_i + sum_{pairs} c_ij g_i g_j + sum_{triples} c_ijk g_i g_j g_k``
    with ``ceil(k2 m)`` random pairs and ``ceil(k3 m)`` random triples of the m active
    inputs and coefficients from 0.7 N(0, 0.5) + 0.3 N(0, 5).

    ``distribution``: the law of the shapes' arguments, one of the input laws of Puy,
    Becker, Lo Piano & Saltelli (2022, IJUQ 12(2)): ``"uniform"`` U(0, 1), ``"normal"``
    N(0.5, 0.15) truncated to [0, 1], ``"beta_8_2"``, ``"beta_2_8"``, ``"beta_2_0.8"``,
    ``"beta_0.8_2"`` (Beta(a, b)), ``"logitnormal"`` (logit-normal(0, 3.16)), or
    ``"mixed"`` (a random law per input). The space stays [0, 1]^d: it holds the
    probability levels u_i, and the function applies the quantile function, g_i(Q_i(u_i)),
    which is how the paper maps its designs; Sobol' indices do not change under such a
    reparametrisation of independent inputs.

    Exact truth. Write g_i = mu_i + h_i with mu_i = E g_i, E h_i = 0, s_i^2 = E h_i^2. A
    term c prod_{i in u} g_i expands into sum_{v subset of u} c (prod_{i in u minus v} mu_i)
    prod_{i in v} h_i; each ``prod_{i in v} h_i`` has zero mean in every one of its
    variables, so it is the ANOVA component of subset v, and since input i has the same
    h_i in every term, all terms add to one component ``A_v prod_{i in v} h_i`` with
    ``A_v = sum_{terms t, u_t contains v} c_t prod_{i in u_t minus v} mu_i``. Components of
    different subsets are orthogonal, so ``V_v = A_v^2 prod_{i in v} s_i^2``, V = sum V_v,
    S1_i = V_{i}/V, S2_ij = V_{ij}/V, ST_i = sum_{v contains i} V_v / V. The moments mu_i,
    s_i^2 come from 64-node Gauss-Legendre quadrature, split at the break of a step
    (machine precision for these smooth pieces); under a non-uniform law, from adaptive
    quadrature (QUADPACK) of g_i times the law's density, split at the break.
    """
    d = _check_int(d, "metafunction d", 1)
    seed = _check_int(seed, "metafunction seed", 0)
    try:
        k2, k3 = float(k2), float(k3)
    except (TypeError, ValueError):
        raise ValueError(f"metafunction k2 and k3 must be numbers, got k2={k2!r}, k3={k3!r}") from None
    if not (0 <= k2 < np.inf and 0 <= k3 < np.inf):
        raise ValueError(f"metafunction k2 and k3 must be >= 0, got k2={k2!r}, k3={k3!r}")
    dummy_fraction = _check_fraction(dummy_fraction, "metafunction dummy_fraction")
    if distribution not in METAFUNCTION_DISTRIBUTIONS:
        raise ValueError(f"metafunction distribution must be one of {METAFUNCTION_DISTRIBUTIONS}, "
                         f"got {distribution!r}")
    return _metafunction_problem(d, seed, k2, k3, dummy_fraction, distribution)


@functools.lru_cache(maxsize=64)
def _metafunction_truth(d, seed, k2, k3, dummy_fraction, distribution):
    """Cached per parameter set: truths are immutable, so sharing them is safe."""
    model, dummies = _metafunction_model(d, seed, k2, k3, dummy_fraction, distribution)
    return _subset_truth(
        model.subset_variances(), d, "exact",
        "ANOVA of a sum of products of univariate shapes: component variances from 1-D "
        "moments by split 64-node Gauss-Legendre quadrature (derivation in metafunction's "
        "docstring; shapes after Becker 2020 and Puy et al. 2022)",
        extras={"dummies": np.flatnonzero(dummies).tolist(), "shapes": list(model.shapes),
                "laws": list(model.laws)},
    )


def _metafunction_problem(d, seed, k2, k3, dummy_fraction, distribution="uniform"):
    """A new model and Problem per call (cheap), around the cached truth."""
    model, _ = _metafunction_model(d, seed, k2, k3, dummy_fraction, distribution)
    truth = _metafunction_truth(d, seed, k2, k3, dummy_fraction, distribution)
    return Problem("metafunction", Space.unit(d), model, truth, tags=("family", f"d={d}"),
                   params=dict(d=d, seed=seed, k2=k2, k3=k3, dummy_fraction=dummy_fraction,
                               distribution=distribution))
