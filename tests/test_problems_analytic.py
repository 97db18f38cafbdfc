"""Verification of the analytic problems: every closed-form truth is recomputed another way.

Each problem is checked by pick-freeze Monte Carlo (a fast n = 2*10^5 run in the default
suite, a 10^6 run marked slow) and, where the function allows it, by an exact second
computation: discrete ANOVA (grid_anova) of the function tabulated on a Gauss tensor grid
whose nodes integrate it exactly or to round-off, or 1-D quadrature of its separable terms.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import benchsens as bs
from benchsens.anova import grid_anova
from benchsens.problems.analytic import ADDITIVE_SHAPES
from benchsens.testing import assert_truth_matches

ANALYTIC = ["sobol_g", "gstar", "linear", "additive", "product", "friedman", "oakley_ohagan"]
# Problems whose ANOVA stops at second order: S1 + S2 account for all the variance.
UP_TO_SECOND_ORDER = ["linear", "additive", "friedman", "oakley_ohagan"]
DUMMIES = {"linear": [6, 7], "additive": [5], "friedman": [5, 6, 7, 8, 9]}

# Non-default parameters, so the formulas are exercised away from the defaults too.
SMALL_OAKLEY = dict(a1=[0.3, 1.0, 0.0, 0.5], a2=[1.5, 0.2, 0.8, 0.0], a3=[0.4, 2.0, 0.0, 1.0],
                    M=[[0.5, -0.3, 0.2, 0.0], [0.1, -0.6, 0.0, 0.4],
                       [0.0, 0.7, 0.2, -0.2], [0.3, 0.0, 0.1, 0.0]])
OTHER_PARAMS = [
    ("sobol_g", dict(a=[0.0, 0.5, 3.0])),
    ("gstar", dict(a=[0.0, 1.0, 9.0], alpha=[0.5, 1.0, 3.0], delta=[0.0, 0.3, 0.9])),
    ("linear", dict(weights=[-2.0, 1.0, 0.0, 0.25])),
    ("additive", dict(shapes=["step", "exp", "sine"], weights=[1.0, -3.0, 0.5])),
    ("product", dict(low=[-1.0, 0.0, 2.0], high=[1.0, 1.0, 3.0])),
    ("friedman", dict(n_dummy=0)),
    ("oakley_ohagan", SMALL_OAKLEY),
]


def _gauss_legendre(n, breaks=(0.0, 1.0)):
    """Composite n-point Gauss-Legendre nodes and probability weights on [0, 1] with pieces
    split at ``breaks`` (exact for piecewise polynomials of degree <= 2n - 1)."""
    t, w = np.polynomial.legendre.leggauss(n)
    b = np.unique(breaks)
    lo, hi = b[:-1, None], b[1:, None]
    nodes = (lo + (t + 1) / 2 * (hi - lo)).ravel()
    weights = (w / 2 * (hi - lo)).ravel()
    return nodes, weights


def _grid_truth(problem, axes):
    """grid_anova of ``problem`` tabulated on the tensor grid of per-axis (nodes, weights)."""
    nodes = [a[0] for a in axes]
    X = np.stack(np.meshgrid(*nodes, indexing="ij"), -1).reshape(-1, len(axes))
    values = problem.evaluate(X).reshape([n.size for n in nodes])
    first, total, second, _, variance = grid_anova(values, [a[1] for a in axes])
    return first, total, second, variance


def _assert_same_truth(problem, first, total, second, atol=1e-10):
    gt = problem.truth
    np.testing.assert_allclose(first, gt.first, atol=atol)
    np.testing.assert_allclose(total, gt.total, atol=atol)
    np.testing.assert_allclose(second, gt.second, atol=atol)


# --- Monte Carlo: the independent check every problem gets ---------------------------------

@pytest.mark.parametrize("name", ANALYTIC)
def test_truth_by_pick_freeze_fast(name):
    # the 15-d Oakley function costs ~3x the others per point: half the sample keeps it fast
    n = 10**5 if name == "oakley_ohagan" else 2 * 10**5
    assert_truth_matches(bs.get_problem(name), n=n, seed=11)


@pytest.mark.slow
@pytest.mark.parametrize("name", ANALYTIC)
def test_truth_by_pick_freeze_million(name):
    assert_truth_matches(bs.get_problem(name), n=10**6, seed=12)


@pytest.mark.parametrize("name, params", OTHER_PARAMS, ids=[n for n, _ in OTHER_PARAMS])
def test_truth_by_pick_freeze_other_parameters(name, params):
    assert_truth_matches(bs.get_problem(name, **params), n=2 * 10**5, seed=13)


def test_gstar_default_shift_follows_the_dimension():
    p = bs.get_problem("gstar", a=[0.0, 1.0, 9.0], alpha=0.5)
    assert len(p.params["delta"]) == 3 and p.d == 3
    assert_truth_matches(p, n=2 * 10**5, seed=15)


def test_gstar_truth_does_not_depend_on_the_shift():
    p0 = bs.get_problem("gstar", a=[0.0, 2.0], alpha=0.7, delta=[0.0, 0.0])
    p1 = bs.get_problem("gstar", a=[0.0, 2.0], alpha=0.7, delta=[0.45, 0.8])
    np.testing.assert_array_equal(p0.truth.total, p1.truth.total)
    assert_truth_matches(p1, n=2 * 10**5, seed=14)
    X = p0.space.sample(100, np.random.default_rng(0))
    assert not np.allclose(p0.evaluate(X), p1.evaluate(X))  # the shift does change f


# --- exact second computations --------------------------------------------------------------

def test_sobol_g_default_truth_by_exact_grid():
    p = bs.get_problem("sobol_g")
    axis = _gauss_legendre(2, breaks=(0.0, 0.5, 1.0))  # |4x - 2| is linear on each half
    _assert_same_truth(p, *_grid_truth(p, [axis] * p.d)[:3])
    assert np.isclose(_grid_truth(p, [axis] * p.d)[3], p.truth.extras["variance"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 20.0), min_size=1, max_size=4))
def test_sobol_g_truth_by_exact_grid_for_any_a(a):
    p = bs.get_problem("sobol_g", a=a)
    axis = _gauss_legendre(2, breaks=(0.0, 0.5, 1.0))
    _assert_same_truth(p, *_grid_truth(p, [axis] * p.d)[:3], atol=1e-9)


@pytest.mark.parametrize("alpha", [[1.0, 2.0, 3.0, 1.0], [2.0, 2.0, 1.0, 3.0]])
def test_gstar_truth_by_exact_grid(alpha):
    delta = [0.0, 0.3, 0.75, 0.5]
    p = bs.get_problem("gstar", a=[0.0, 0.5, 2.0, 9.0], alpha=alpha, delta=delta)
    # |2 frac(x + delta) - 1|^alpha is a polynomial of degree alpha between its kinks
    axes = [_gauss_legendre(4, breaks=(0.0, (0.5 - dl) % 1.0, (1.0 - dl) % 1.0, 1.0))
            for dl in delta]
    _assert_same_truth(p, *_grid_truth(p, axes)[:3])


def test_linear_truth_by_exact_grid():
    p = bs.get_problem("linear", weights=[3.0, -1.0, 0.0, 0.5])
    _assert_same_truth(p, *_grid_truth(p, [_gauss_legendre(2)] * p.d)[:3])


@pytest.mark.parametrize("name, params", [
    ("additive", {}), ("additive", dict(shapes=["step", "exp", "sine"], weights=[1.0, -3.0, 0.5])),
])
def test_additive_truth_by_one_dimensional_quadrature(name, params):
    p = bs.get_problem(name, **params)
    shapes, weights = p.params["shapes"], np.array(p.params["weights"])
    variances = []
    for shape in shapes:
        g = ADDITIVE_SHAPES[shape][0]
        m1 = integrate.quad(lambda x: g(np.array(x)), 0, 1, points=[0.5])[0]
        m2 = integrate.quad(lambda x: g(np.array(x)) ** 2, 0, 1, points=[0.5])[0]
        variances.append(m2 - m1**2)
    parts = weights**2 * np.array(variances)
    np.testing.assert_allclose(p.truth.first, parts / parts.sum(), atol=1e-12)
    np.testing.assert_allclose(p.truth.total, parts / parts.sum(), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-3.0, 3.0), st.floats(0.05, 4.0)), min_size=1, max_size=4))
def test_product_truth_by_exact_grid_for_any_ranges(ranges):
    low = [lo for lo, _ in ranges]
    high = [lo + width for lo, width in ranges]
    p = bs.get_problem("product", low=low, high=high)
    axes = [(lo + (hi - lo) * n, w) for (lo, hi), (n, w)
            in zip(zip(low, high), [_gauss_legendre(2)] * p.d)]
    first, total, second, variance = _grid_truth(p, axes)
    _assert_same_truth(p, first, total, second, atol=1e-9)
    assert np.isclose(variance, p.truth.extras["variance"], rtol=1e-9)


def test_product_default_and_zero_mean_input():
    p = bs.get_problem("product")
    axes = [(lo + (hi - lo) * n, w) for lo, hi, (n, w)
            in zip(p.params["low"], p.params["high"], [_gauss_legendre(2)] * p.d)]
    _assert_same_truth(p, *_grid_truth(p, axes)[:3])
    # with a zero-mean input every ANOVA term that leaves it out vanishes
    zero = bs.get_problem("product", low=[-1.0, 1.0, 2.0], high=[1.0, 2.0, 5.0])
    assert zero.truth.first[1] == 0 and zero.truth.first[2] == 0 and zero.truth.second[1, 2] == 0
    assert zero.truth.first[0] > 0


def test_friedman_truth_by_gauss_grid():
    p = bs.get_problem("friedman", n_dummy=2)
    # sin(pi x1 x2) is entire: 30 Gauss nodes reach round-off; x3 quadratic, x4, x5 linear
    axes = [_gauss_legendre(30), _gauss_legendre(30), _gauss_legendre(3),
            _gauss_legendre(2), _gauss_legendre(2), _gauss_legendre(1), _gauss_legendre(1)]
    first, total, second, variance = _grid_truth(p, axes)
    _assert_same_truth(p, first, total, second)
    assert np.isclose(variance, p.truth.extras["variance"], rtol=1e-12)
    # extra dummies leave the active inputs' indices unchanged
    wide = bs.get_problem("friedman", n_dummy=7)
    np.testing.assert_allclose(wide.truth.first[:5], p.truth.first[:5], rtol=1e-14)
    assert wide.d == 12 and np.all(wide.truth.total[5:] == 0)


def test_oakley_main_effects_by_gauss_hermite():
    p = bs.get_problem("oakley_ohagan")
    from benchsens.problems.analytic import OAKLEY_A1, OAKLEY_A2, OAKLEY_A3, OAKLEY_M
    x, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    m = np.diag(np.asarray(OAKLEY_M))
    g = (np.outer(OAKLEY_A1, x) + np.outer(OAKLEY_A2, np.sin(x)) + np.outer(OAKLEY_A3, np.cos(x))
         + np.outer(m, x**2))
    main_var = g**2 @ w - (g @ w) ** 2
    np.testing.assert_allclose(main_var / p.truth.extras["variance"], p.truth.first, atol=1e-12)


def test_oakley_family_truth_by_gauss_hermite_grid():
    p = bs.get_problem("oakley_ohagan", **{k: (np.asarray(v)[:3, :3] if k == "M" else v[:3])
                                           for k, v in SMALL_OAKLEY.items()})
    x, w = np.polynomial.hermite_e.hermegauss(40)
    first, total, second, variance = _grid_truth(p, [(x, w / w.sum())] * 3)
    _assert_same_truth(p, first, total, second)
    assert np.isclose(variance, p.truth.extras["variance"], rtol=1e-10)


def test_oakley_matches_published_reference_indices():
    # otbenchmark (OpenTURNS) OakleyOHaganSensitivity: sparse-PCE estimates, 2 significant digits
    first = [0.00, 0.00, 0.00, 0.00, 0.00, 0.02, 0.02, 0.03, 0.05, 0.01, 0.10, 0.14, 0.10, 0.11, 0.12]
    total = [0.06, 0.06, 0.04, 0.05, 0.02, 0.04, 0.06, 0.08, 0.10, 0.04, 0.15, 0.15, 0.14, 0.14, 0.16]
    gt = bs.get_problem("oakley_ohagan").truth
    np.testing.assert_allclose(gt.first, first, atol=0.01)
    np.testing.assert_allclose(gt.total, total, atol=0.01)


# --- invariants -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ANALYTIC)
def test_truth_invariants(name):
    p = bs.get_problem(name)
    gt = p.truth
    assert gt.kind == "analytic" and gt.source
    assert p.d == gt.d and f"d={p.d}" in p.tags and "analytic" in p.tags
    assert np.all(gt.first >= 0) and np.all(gt.first <= gt.total + 1e-12) and np.all(gt.total <= 1)
    assert gt.first.sum() <= 1 + 1e-12 <= gt.total.sum() + 2e-12
    s2 = gt.second
    np.testing.assert_array_equal(s2, s2.T)
    assert np.all(np.diag(s2) == 0)
    assert gt.first.sum() + np.triu(s2, 1).sum() <= 1 + 1e-12
    assert np.all(gt.first + s2.sum(axis=1) <= gt.total + 1e-12)
    if name in UP_TO_SECOND_ORDER:
        assert np.isclose(gt.first.sum() + np.triu(s2, 1).sum(), 1.0, atol=1e-12)
        np.testing.assert_allclose(gt.first + s2.sum(axis=1), gt.total, atol=1e-12)
    if name in DUMMIES:
        assert "dummy" in p.tags
        assert np.all(gt.total[DUMMIES[name]] == 0)
        X = p.space.sample(200, np.random.default_rng(0))
        X2 = X.copy()
        X2[:, DUMMIES[name]] = p.space.sample(200, np.random.default_rng(1))[:, DUMMIES[name]]
        np.testing.assert_array_equal(p.evaluate(X), p.evaluate(X2))
    else:
        assert "dummy" not in p.tags


# --- gradients ------------------------------------------------------------------------------

def _assert_gradient_matches(p, X, h=1e-6):
    fd = np.column_stack([(p.func(X + h * e) - p.func(X - h * e)) / (2 * h) for e in np.eye(p.d)])
    g = p.gradient(X)
    scale = np.abs(fd).max()
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("name, params", [(n, {}) for n in ANALYTIC] + OTHER_PARAMS,
                         ids=[f"{n}-default" for n in ANALYTIC] + [f"{n}-other" for n, _ in OTHER_PARAMS])
def test_gradient_matches_central_differences(name, params):
    p = bs.get_problem(name, **params)
    assert p.has_gradient
    U = np.random.default_rng(5).uniform(0.01, 0.99, size=(40, p.d))
    _assert_gradient_matches(p, p.space.from_unit(U))


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, params, match", [
    ("sobol_g", dict(a=[0.0, -1.0]), r"a\[1\] = -1.0"),
    ("sobol_g", dict(a=[]), "non-empty"),
    ("sobol_g", dict(a=["x"]), "numbers"),
    ("gstar", dict(a=[0.0, 1.0], alpha=[1.0], delta=[0.1]), "delta has 1 values"),
    ("gstar", dict(a=[0.0, 1.0], alpha=0.0, delta=[0.1, 0.2]), r"alpha\[0\] = 0.0"),
    ("gstar", dict(a=[0.0, 1.0], alpha=1.0, delta=[0.1, 1.5]), r"delta\[1\] = 1.5"),
    ("linear", dict(weights=[0.0, 0.0]), "all be zero"),
    ("linear", dict(weights=[1.0, np.nan]), "finite"),
    ("additive", dict(shapes=["linear", "cubic"], weights=[1.0, 1.0]), "cubic"),
    ("additive", dict(shapes=["linear"], weights=[1.0, 1.0]), "one shape per weight"),
    ("product", dict(low=[0.0, 2.0], high=[1.0, 2.0]), "low < high"),
    ("product", dict(low=[0.0, 1.0], high=[1.0]), "high has 1 values"),
    ("friedman", dict(n_dummy=-1), "n_dummy"),
    ("friedman", dict(n_dummy=1.5), "n_dummy"),
    ("friedman", dict(n_dummy="two"), "n_dummy"),
    ("oakley_ohagan", dict(a1=[1.0, 2.0], a2=[1.0, 2.0], a3=[1.0, 2.0], M=np.eye(3)), "2 x 2"),
    ("oakley_ohagan", dict(a2=[1.0]), "a2 has 1 values"),
])
def test_bad_parameters_are_named(name, params, match):
    with pytest.raises(ValueError, match=match):
        bs.get_problem(name, **params)
