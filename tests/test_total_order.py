"""Total-order estimators of Puy, Becker, Lo Piano & Saltelli (2022): ``sobol(total=...)``,
``azzini`` and ``vars``.

Each is checked (1) on a closed-form case at a large sample, within 4 bootstrap standard
errors, and (2) against sensobol's formula, written out here from ``sensobol::sobol_indices``
and ``sensobol::vars_to`` (R package sensobol 1.1, Puy et al. 2022, J. Stat. Softw.
102(5)), applied to the same design matrices.
"""
import numpy as np
import pytest

import benchsens as bs
from benchsens.testing import check_estimator

TOTALS = ("jansen", "homma", "sobol", "janon", "glen", "saltelli")


def _multilinear(X):
    return X[:, 0] + 2.0 * X[:, 1] + 3.0 * X[:, 0] * X[:, 2]


#: ST of _multilinear on U(0, 1)^3: E[Var(Y | x_~i)] / V with V = 53/48 (by hand:
#: slope along x1 is 1 + 3 x3, E[(1 + 3 x3)^2] = 7; along x2 it is 2; along x3 it is 3 x1).
_ML_TOTAL = np.array([7.0, 4.0, 3.0]) / 12.0 / (53.0 / 48.0)


def _multilinear_problem():
    return bs.Problem(name="multilinear", space=bs.Space.unit(3), func=_multilinear)


# -- sensobol's formulas (sobol_indices, total = ...) ---------------------------------------
def _sensobol_total(Y, N, k, total):
    m = Y.reshape(-1, N).T  # R: matrix(Y, nrow = N)
    Y_A, Y_B = m[:, 0], m[:, 1]
    f0 = 1 / (2 * N) * np.sum(Y_A + Y_B)
    VY = 1 / (2 * N - 1) * np.sum((Y_A - f0) ** 2 + (Y_B - f0) ** 2)
    if total == "saltelli":
        Y_BA = m[:, 2:]
        return 1 - (1 / N * np.sum(Y_B[:, None] * Y_BA - f0**2, axis=0)) / VY
    if total == "azzini":
        Y_AB, Y_BA = m[:, 2:k + 2], m[:, k + 2:]
        return np.sum((Y_B[:, None] - Y_BA) ** 2 + (Y_A[:, None] - Y_AB) ** 2, axis=0) / \
            np.sum((Y_A - Y_B)[:, None] ** 2 + (Y_BA - Y_AB) ** 2, axis=0)
    Y_AB = m[:, 2:]
    A = Y_A[:, None]
    if total == "jansen":
        return (1 / (2 * N) * np.sum((A - Y_AB) ** 2, axis=0)) / VY
    if total == "sobol":
        return (1 / N * np.sum(A * (A - Y_AB), axis=0)) / VY
    if total == "homma":
        return (VY - 1 / N * np.sum(A * Y_AB, axis=0) + f0**2) / VY
    if total == "janon":
        mean = 1 / N * np.sum((A + Y_AB) / 2, axis=0)
        return 1 - (1 / N * np.sum(A * Y_AB, axis=0) - mean**2) / \
            (1 / N * np.sum((A**2 + Y_AB**2) / 2, axis=0) - mean**2)
    if total == "glen":
        var_a, var_ab = np.var(Y_A, ddof=1), np.var(Y_AB, axis=0, ddof=1)
        return 1 - (1 / (N - 1) * np.sum((A - Y_A.mean()) * (Y_AB - Y_AB.mean(0)) / np.sqrt(var_a * var_ab), axis=0))
    raise AssertionError(total)


def _sensobol_vars_to(Y, stars, k, h):
    """sensobol::vars_to(method = "one.step"), loop for loop."""
    n_cross = int(round(k * (1 / h - 1) + 1))
    centres = np.arange(0, len(Y), n_cross)
    mat = np.delete(Y, centres).reshape(stars, -1).T  # matrix(Y[-centres], ncol = stars)
    per = mat.shape[0] // k  # CutBySize into k equal blocks
    variogram, covariogram = np.zeros(k), np.zeros(k)
    for x in range(k):
        block = mat[x * per:(x + 1) * per]
        gam, cov = [], []
        for j in range(stars):
            v = block[:, j]
            y1, y2 = v[:-1], v[1:]  # one.step: consecutive points
            gam.append(np.mean(0.5 * (y1 - y2) ** 2))
            cov.append(np.cov(y1, y2)[0, 1])
        variogram[x], covariogram[x] = np.mean(gam), np.mean(cov)
    return (variogram + covariogram) / np.var(Y[centres], ddof=1)


def _run(problem, est, budget, seed):
    design = est.plan(problem.space, budget, np.random.default_rng(seed))
    y = problem.evaluate(design.X)
    return design, y, est.analyze(design, y)


# -- conformance ------------------------------------------------------------------------------
@pytest.mark.parametrize("total", TOTALS)
def test_sobol_total_options_conform(total):
    check_estimator(bs.get_estimator("sobol", total=total))


@pytest.mark.parametrize("options", [{}, {"sampling": "random", "convention": "sensobol", "total": "saltelli"}])
def test_sobol_sampling_and_convention_conform(options):
    check_estimator(bs.get_estimator("sobol", **options))


@pytest.mark.parametrize("name, options", [("azzini", {}), ("azzini", {"sampling": "random"}),
                                           ("vars", {}), ("vars", {"pairs": "sensobol", "h": 0.2}),
                                           ("vars", {"variance": "centres", "h": 0.05})])
def test_new_estimators_conform(name, options):
    est = bs.get_estimator(name, **options)
    assert type(est).target == "total"
    check_estimator(est)


# -- closed-form cases ------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["centred", "sensobol"])
@pytest.mark.parametrize("total", TOTALS)
def test_sobol_totals_on_ishigami(total, convention):
    """Ishigami's ST is analytic; a large random sample lands within 4 bootstrap se."""
    p = bs.get_problem("ishigami")
    est = bs.get_estimator("sobol", total=total, convention=convention, sampling="random",
                           n_bootstrap=200)
    _, _, r = _run(p, est, 5 * 2**14, seed=3)
    se = r.extras["se_total"]
    assert np.all(np.abs(r.total - p.truth.total) <= 4 * se), (r.total, p.truth.total, se)
    assert np.all(se < 0.05)  # the check has teeth


def test_sobol_qmc_sampling_on_ishigami():
    p = bs.get_problem("ishigami")
    _, _, r = _run(p, bs.get_estimator("sobol", total="janon", base2=False), 5 * 10000, seed=4)
    assert np.all(np.abs(r.total - p.truth.total) <= 4 * r.extras["se_total"])


@pytest.mark.parametrize("sampling", ["sobol", "random"])
def test_azzini_on_ishigami(sampling):
    p = bs.get_problem("ishigami")
    _, _, r = _run(p, bs.get_estimator("azzini", sampling=sampling, n_bootstrap=200), 8 * 2**13, seed=5)
    for label in ("first", "total"):
        se = r.extras[f"se_{label}"]
        assert np.all(np.abs(getattr(r, label) - getattr(p.truth, label)) <= 4 * se), label
        assert np.all(se < 0.05)


@pytest.mark.parametrize("h", [0.2, 0.1, 0.05])
def test_vars_to_on_a_multilinear_function(h):
    """On a multilinear function every cross-section is a line of slope s, for which the
    per-star gamma + C is exactly s^2 (1/(2M^2) + (M-1)/(12M)) with M = 1/h points, against
    Var = s^2 / 12: VARS-TO converges to (1 - h + 6h^2) ST, its known O(h) bias."""
    est = bs.get_estimator("vars", h=h, sampling="random", n_bootstrap=200)
    M = round(1 / h)
    _, _, r = _run(_multilinear_problem(), est, 4000 * est.star_size(3), seed=6)
    expected = (1 - h + 6 * h**2) * _ML_TOTAL
    se = r.extras["se_total"]
    assert np.all(np.abs(r.total - expected) <= 4 * se), (r.total, expected, se)
    assert np.all(se < 0.03)
    assert 12 * (1 / (2 * M**2) + (M - 1) / (12 * M)) == pytest.approx(1 - h + 6 * h**2)


def test_multilinear_truth_by_pick_freeze():
    """The hand-derived ST of the multilinear case, checked by plain Monte Carlo."""
    p = bs.Problem(name="multilinear", space=bs.Space.unit(3), func=_multilinear,
                   truth=bs.GroundTruth(first=np.zeros(3), total=_ML_TOTAL, kind="analytic", source="by hand"))
    _, total, _, se = bs.testing.pick_freeze(p, 200_000, np.random.default_rng(0))
    assert np.all(np.abs(total - _ML_TOTAL) <= 4 * se)


# -- sensobol's formulas on the same design matrices -------------------------------------------
@pytest.mark.parametrize("sampling", ["sobol", "random"])
@pytest.mark.parametrize("total", TOTALS)
def test_sobol_totals_equal_sensobol_formulas(total, sampling):
    p = bs.get_problem("ishigami")
    est = bs.get_estimator("sobol", total=total, convention="sensobol", sampling=sampling,
                           n_bootstrap=0, base2=False)
    design, y, r = _run(p, est, 5 * 300, seed=7)
    assert design.info["layout"] == ("A,B,BA_1..BA_d" if total == "saltelli" else "A,B,AB_1..AB_d")
    np.testing.assert_allclose(r.total, _sensobol_total(y, 300, 3, total), rtol=1e-10, atol=1e-12)


def test_sobol_design_blocks_are_pick_freeze_matrices():
    """AB_i is A with column i of B; BA_i (saltelli) is B with column i of A."""
    space = bs.Space.unit(4)
    for total, (base, other) in (("jansen", (0, 1)), ("saltelli", (1, 0))):
        est = bs.get_estimator("sobol", total=total, base2=False)
        U = est.plan(space, 6 * 10, np.random.default_rng(0)).U.reshape(6, 10, 4)
        for i in range(4):
            expect = U[base].copy()
            expect[:, i] = U[other][:, i]
            np.testing.assert_array_equal(U[2 + i], expect)


def test_centred_convention_removes_an_output_offset():
    """Homma-Saltelli on raw outputs carries the output mean as noise; centred it does not."""
    p = bs.get_problem("ishigami")
    shifted = bs.Problem(name="shifted", space=p.space, func=lambda X: p.evaluate(X) + 1e3)
    for convention, same in (("centred", True), ("sensobol", False)):
        est = bs.get_estimator("sobol", total="homma", convention=convention, n_bootstrap=0)
        a = _run(p, est, 5 * 512, seed=8)[2].total
        b = _run(shifted, est, 5 * 512, seed=8)[2].total
        assert np.allclose(a, b, atol=1e-9) == same


def test_azzini_equals_sensobol_formula():
    p = bs.get_problem("ishigami")
    design, y, r = _run(p, bs.get_estimator("azzini", n_bootstrap=0, base2=False), 8 * 200, seed=9)
    np.testing.assert_allclose(r.total, _sensobol_total(y, 200, 3, "azzini"), rtol=1e-10)
    m = y.reshape(-1, 200).T
    Y_A, Y_B, Y_AB, Y_BA = m[:, 0:1], m[:, 1:2], m[:, 2:5], m[:, 5:]
    first = 2 * np.sum((Y_BA - Y_B) * (Y_A - Y_AB), 0) / np.sum((Y_A - Y_B) ** 2 + (Y_BA - Y_AB) ** 2, 0)
    np.testing.assert_allclose(r.first, first, rtol=1e-10)


@pytest.mark.parametrize("h", [0.2, 0.1])
def test_vars_sensobol_pairs_equal_sensobol_vars_to(h):
    p = bs.get_problem("ishigami")
    est = bs.get_estimator("vars", h=h, pairs="sensobol", variance="centres", n_bootstrap=0)
    design, y, r = _run(p, est, 25 * est.star_size(3), seed=10)
    np.testing.assert_allclose(r.total, _sensobol_vars_to(y, 25, 3, h), rtol=1e-10)


def test_vars_design_is_star_vars_and_razavi_gupta_pairs_are_h_apart():
    """Each star: its centre, then per input the other points of the grid (c_i mod h) + m h
    (as sensobol::vars_matrices builds it). VARS-TO with the Razavi-Gupta pairs, recomputed
    here star by star from the sorted cross-sections (centre included)."""
    h, d, stars = 0.2, 4, 7
    space = bs.Space.unit(d)
    est = bs.get_estimator("vars", h=h, n_bootstrap=0)
    design = est.plan(space, stars * est.star_size(d), np.random.default_rng(11))
    rng = np.random.default_rng(12)
    coef = rng.normal(size=d)
    y = np.sin(3 * design.U) @ coef + design.U[:, 0] * design.U[:, 1]
    U, Y = design.U.reshape(stars, -1, d), y.reshape(stars, -1)
    gam, cov = np.zeros((stars, d)), np.zeros((stars, d))
    for s in range(stars):
        c = U[s, 0]
        for i in range(d):
            rows = U[s, 1 + i * 4: 1 + (i + 1) * 4]
            grid = np.sort(np.append(rows[:, i], c[i]))
            np.testing.assert_allclose(grid, c[i] % h + h * np.arange(5), atol=1e-12)
            np.testing.assert_array_equal(np.delete(rows, i, axis=1), np.tile(np.delete(c, i), (4, 1)))
            vals = np.append(Y[s, 1 + i * 4: 1 + (i + 1) * 4], Y[s, 0])
            line = vals[np.argsort(np.append(rows[:, i], c[i]))]
            a, b = line[:-1], line[1:]
            gam[s, i] = np.mean(0.5 * (a - b) ** 2)
            cov[s, i] = np.cov(a, b)[0, 1]
    np.testing.assert_allclose(est.analyze(design, y).total,
                               (gam.mean(0) + cov.mean(0)) / np.var(y, ddof=1), rtol=1e-10)
    est.variance = "centres"
    np.testing.assert_allclose(est.analyze(design, y).total,
                               (gam.mean(0) + cov.mean(0)) / np.var(Y[:, 0], ddof=1), rtol=1e-10)


def test_option_errors_name_the_value():
    with pytest.raises(ValueError, match="total"):
        bs.get_estimator("sobol", total="owen").validate_params()
    with pytest.raises(ValueError, match="'h'"):
        bs.get_estimator("vars", h=0.3).validate_params()
    with pytest.raises(ValueError, match="'h'"):
        bs.get_estimator("vars", h=0.15).validate_params()
    with pytest.raises(ValueError, match="sampling"):
        bs.get_estimator("azzini", sampling="lhs").validate_params()
