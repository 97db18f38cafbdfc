"""Verification of the random problem families (random_pce, random_sobol_g, metafunction)."""
import numpy as np
import pytest
from numpy.polynomial import hermite_e, legendre
from scipy import integrate

import benchsens as bs
from benchsens.anova import grid_anova
from benchsens.problems.families import METAFUNCTION_SHAPES, Metafunction
from benchsens.testing import assert_truth_matches

FAST_CASES = [
    ("random_pce", dict(d=6, seed=1)),
    ("random_pce", dict(d=5, seed=2, basis="hermite", degree=4)),
    ("random_sobol_g", dict(d=8, seed=3)),
    ("metafunction", dict(d=8, seed=4)),
    ("metafunction", dict(d=5, seed=11)),
]
SLOW_CASES = FAST_CASES + [
    ("random_pce", dict(d=12, seed=5, degree=5)),
    ("random_pce", dict(d=10, seed=6, basis="hermite")),
    ("random_pce", dict(d=3, seed=7, degree=2, interactions=3)),
    ("random_sobol_g", dict(d=3, seed=8, n_important=2)),
    ("random_sobol_g", dict(d=20, seed=9)),
    ("metafunction", dict(d=3, seed=10, dummy_fraction=0.0)),
    ("metafunction", dict(d=20, seed=12)),
    ("metafunction", dict(d=12, seed=13, k2=1.0, k3=0.5)),
]
INVARIANT_CASES = [
    (name, dict(d=d, seed=seed))
    for name in ("random_pce", "random_sobol_g", "metafunction")
    for d in (1, 2, 5, 17)
    for seed in range(4)
]


def _case_id(case):
    name, params = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("case", FAST_CASES, ids=_case_id)
def test_family_truth_by_pick_freeze_fast(case):
    name, params = case
    assert_truth_matches(bs.get_problem(name, **params), n=2 * 10**5, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=_case_id)
def test_family_truth_by_pick_freeze(case):
    name, params = case
    assert_truth_matches(bs.get_problem(name, **params), n=10**6, seed=2)


@pytest.mark.parametrize("case", INVARIANT_CASES, ids=_case_id)
def test_family_invariants(case):
    name, params = case
    p = bs.get_problem(name, **params)
    t = p.truth
    assert p.d == params["d"] and "family" in p.tags and f"d={p.d}" in p.tags
    assert np.all(t.first >= 0) and np.all(t.first <= t.total + 1e-12) and np.all(t.total <= 1)
    assert t.first.sum() <= 1 + 1e-12 <= t.total.sum() + 2e-12
    # the closed index of a pair, S1_j + S1_k + S2_jk (S2 the pure interaction), never
    # exceeds what the two totals leave room for
    assert np.all(t.second >= 0) and np.allclose(t.second, t.second.T)
    pair_closed = t.first[:, None] + t.first[None, :] + t.second
    assert np.all(pair_closed <= t.total[:, None] + t.total[None, :] + 1e-12)
    dummies = t.extras.get("dummies", [])
    np.testing.assert_array_equal(t.total[dummies], 0.0)
    # the function really ignores its dummies, and depends on every other input. "Moved"
    # means beyond round-off: the BLAS matrix-vector product of the metafunction may sum in
    # an order that depends on memory alignment (seen with numpy 2.0's OpenBLAS), so the same
    # inputs can differ in the last bits between two calls.
    rng = np.random.default_rng(0)
    X = p.space.sample(2000, rng)
    y = p.evaluate(X)
    roundoff = 1e-12 * max(1.0, float(np.max(np.abs(y))))
    for j in range(p.d):
        X2 = X.copy()
        X2[:, j] = p.space.sample(2000, rng)[:, j]
        moved = np.max(np.abs(p.evaluate(X2) - y)) > roundoff
        assert moved == (j not in dummies), (name, params, j)


def test_families_have_dummies_with_default_fraction():
    for name in ("random_pce", "metafunction"):
        p = bs.get_problem(name, d=10, seed=3)
        assert len(p.truth.extras["dummies"]) == 2


def test_seed_fixes_the_function():
    for name in ("random_pce", "random_sobol_g", "metafunction"):
        X = bs.get_problem(name, d=6).space.sample(100, np.random.default_rng(0))
        a = bs.get_problem(name, d=6, seed=3)
        b = bs.get_problem(name, d=6, seed=3)
        c = bs.get_problem(name, d=6, seed=4)
        np.testing.assert_array_equal(a.evaluate(X), b.evaluate(X))
        assert not np.allclose(a.evaluate(X), c.evaluate(X))
        np.testing.assert_array_equal(a.truth.total, b.truth.total)


def _gauss_axis(basis, n):
    """Nodes and probability weights exact for polynomials of degree 2n-1."""
    if basis == "legendre":
        x, w = legendre.leggauss(n)
        return x, w / 2
    x, w = hermite_e.hermegauss(n)
    return x, w / np.sqrt(2 * np.pi)


def _tensor_anova(p, axes):
    """grid_anova of the problem tabulated on the tensor product of per-axis rules."""
    nodes, weights = zip(*axes)
    grid = np.stack(np.meshgrid(*nodes, indexing="ij"), -1).reshape(-1, p.d)
    values = p.evaluate(grid).reshape([len(x) for x in nodes])
    return grid_anova(values, list(weights))


@pytest.mark.parametrize("basis", ["legendre", "hermite"])
@pytest.mark.parametrize("d, seed, degree", [(2, 0, 3), (3, 1, 4), (4, 2, 3), (4, 3, 5)])
def test_pce_truth_by_tensor_quadrature(basis, d, seed, degree):
    # second exact computation: a Gauss rule exact for f^2 (degree 2*degree) on every axis
    p = bs.get_problem("random_pce", d=d, seed=seed, degree=degree, basis=basis, dummy_fraction=0.25)
    first, total, second, _, variance = _tensor_anova(p, [_gauss_axis(basis, degree + 2)] * d)
    np.testing.assert_allclose(first, p.truth.first, atol=1e-10)
    np.testing.assert_allclose(total, p.truth.total, atol=1e-10)
    np.testing.assert_allclose(second, p.truth.second, atol=1e-10)
    np.testing.assert_allclose(variance, p.truth.extras["variance"], rtol=1e-10)


def test_pce_basis_is_orthonormal():
    # the normalised polynomials the PCE is built on: E[psi_k psi_l] = delta_kl
    for basis in ("legendre", "hermite"):
        p = bs.get_problem("random_pce", d=1, degree=6, basis=basis)
        x, w = _gauss_axis(basis, 10)
        psi = p.func._vander(x, 6) * p.func._norm
        np.testing.assert_allclose(psi.T @ (w[:, None] * psi), np.eye(7), atol=1e-12)


def _split_axis(p, j, n=24):
    """Gauss-Legendre on [0, 1], split at the break of a step shape."""
    brk = p.func.breaks[j]
    pieces = [(0.0, 1.0)] if np.isnan(brk) else [(0.0, brk), (brk, 1.0)]
    t, w = legendre.leggauss(n)
    x = np.concatenate([lo + (hi - lo) * (t + 1) / 2 for lo, hi in pieces])
    wx = np.concatenate([(hi - lo) * w / 2 for lo, hi in pieces])
    return x, wx


METAFUNCTION_SMALL = [(d, seed) for d in (2, 3, 4) for seed in range(6)]


@pytest.mark.parametrize("d, seed", METAFUNCTION_SMALL)
def test_metafunction_truth_by_tensor_quadrature(d, seed):
    # second exact computation: full tensor grid_anova instead of the product expansion
    p = bs.get_problem("metafunction", d=d, seed=seed, k2=1.0, k3=1.0, dummy_fraction=0.25)
    first, total, second, _, variance = _tensor_anova(p, [_split_axis(p, j) for j in range(d)])
    np.testing.assert_allclose(first, p.truth.first, atol=1e-9)
    np.testing.assert_allclose(total, p.truth.total, atol=1e-9)
    np.testing.assert_allclose(second, p.truth.second, atol=1e-9)
    np.testing.assert_allclose(variance, p.truth.extras["variance"], rtol=1e-9)


def test_small_metafunctions_cover_steps_dummies_and_triples():
    # guards the tensor-quadrature test above against testing only easy instances
    models = [bs.get_problem("metafunction", d=d, seed=s, k2=1.0, k3=1.0, dummy_fraction=0.25).func
              for d, s in METAFUNCTION_SMALL]
    shapes = {s for m in models for s in m.shapes}
    assert {"discontinuous", "no_effect", "inverse"} <= shapes
    assert any(len(u) == 3 for m in models for u in m.supports)


@pytest.mark.parametrize("shape", sorted(METAFUNCTION_SHAPES))
def test_metafunction_shape_moments_match_adaptive_quadrature(shape):
    brk = 0.37
    model = Metafunction([shape], [brk], [(0,)], [1.0])
    mu, var = model.moments()
    g = lambda x: float(METAFUNCTION_SHAPES[shape](np.array([x]), brk)[0])  # noqa: E731
    m1 = integrate.quad(g, 0, 1, points=[brk])[0]
    m2 = integrate.quad(lambda x: g(x) ** 2, 0, 1, points=[brk])[0]
    np.testing.assert_allclose(mu, m1, atol=1e-12)
    np.testing.assert_allclose(var, m2 - m1**2, atol=1e-12)


@pytest.mark.parametrize("d, seed", [(2, 0), (3, 1), (4, 2)])
def test_sobol_g_truth_by_tensor_quadrature(d, seed):
    # |4x - 2| is linear on each half of [0, 1]: split Gauss rules integrate f^2 exactly
    p = bs.get_problem("random_sobol_g", d=d, seed=seed, n_important=min(d, 2))
    t, w = legendre.leggauss(4)
    x = np.concatenate([(t + 1) / 4, 0.5 + (t + 1) / 4])
    first, total, second, _, _ = _tensor_anova(p, [(x, np.concatenate([w, w]) / 4)] * d)
    np.testing.assert_allclose(first, p.truth.first, atol=1e-12)
    np.testing.assert_allclose(total, p.truth.total, atol=1e-12)
    np.testing.assert_allclose(second, p.truth.second, atol=1e-12)


def test_sobol_g_has_few_important_inputs():
    p = bs.get_problem("random_sobol_g", d=12, seed=0)
    a = np.array(p.truth.extras["a"])
    assert np.sum(a < 1) == 3 and np.all((a < 1) | (a >= 10))
    assert np.sort(p.truth.total)[-3:].sum() > 0.9


def test_noise_option_on_a_family():
    clean = bs.get_problem("metafunction", d=6, seed=2)
    noisy = bs.get_problem("metafunction", d=6, seed=2, noise=0.1)
    np.testing.assert_array_equal(noisy.truth.total, clean.truth.total)
    X = clean.space.sample(50000, np.random.default_rng(0))
    residual = noisy.evaluate(X, rng=np.random.default_rng(1)) - clean.evaluate(X)
    assert abs(residual.std() / (0.1 * clean.output_std) - 1) < 0.03
    assert abs(residual.mean()) < 4 * 0.1 * clean.output_std / np.sqrt(X.shape[0])


def test_families_are_listed():
    assert {"random_pce", "random_sobol_g", "metafunction"} <= set(bs.list_problems(tag="family"))


@pytest.mark.parametrize("name, params, match", [
    ("random_pce", dict(d=0), "d must be an integer >= 1, got 0"),
    ("random_pce", dict(degree=1.5), "degree must be an integer >= 1, got 1.5"),
    ("random_pce", dict(basis="chebyshev"), "'chebyshev'"),
    ("random_pce", dict(dummy_fraction=1.0), r"dummy_fraction must lie in \[0, 1\), got 1.0"),
    ("random_pce", dict(seed=-1), "seed must be an integer >= 0, got -1"),
    ("random_sobol_g", dict(d=4, n_important=5), "n_important must be <= d=4, got 5"),
    ("metafunction", dict(k2=-0.5), "k2=-0.5"),
    ("metafunction", dict(d="ten"), "d must be an integer"),
    ("metafunction", dict(dummy_fraction="x"), "dummy_fraction must be a number"),
])
def test_bad_family_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        bs.get_problem(name, **params)


@pytest.mark.parametrize("name, params", [
    ("random_pce", dict(d=6, seed=1)),
    ("random_pce", dict(d=5, seed=2, basis="hermite", degree=4)),
    ("random_pce", dict(d=12, seed=5, degree=5)),
    ("random_sobol_g", dict(d=6, seed=1)),
])
def test_family_gradient_matches_finite_differences(name, params):
    p = bs.get_problem(name, **params)
    X = p.space.sample(300, np.random.default_rng(1))
    dist = p.space.dists[0]
    if dist.kind == "uniform":  # keep x +- h inside the support
        X = np.clip(X, dist.low + 0.01, dist.high - 0.01)
    if name == "random_sobol_g":  # stay off the kinks at 1/2
        X = X[np.all(np.abs(X - 0.5) > 1e-3, axis=1)]
    h = 1e-6
    fd = np.column_stack([(p.evaluate(X + h * e) - p.evaluate(X - h * e)) / (2 * h)
                          for e in np.eye(p.d)])
    np.testing.assert_allclose(p.gradient(X), fd, rtol=1e-5, atol=1e-6)
