"""Accuracy and behaviour of our sobol, rank_s1 and dgsm estimators."""
import numpy as np
import pytest
from SALib.analyze.sobol import first_order as salib_first, total_order as salib_total
from scipy import stats

import benchsens as bs
from benchsens.estimators.base import ConstantOutputWarning
from benchsens.estimators.sobol import _bootstrap_counts
from benchsens.testing import check_estimator

G_A = [0, 0.5, 1, 2, 4.5, 9, 27, 99, 99, 99]


@pytest.fixture(scope="module")
def ishigami():
    return bs.get_problem("ishigami")


@pytest.fixture(scope="module")
def sobol_g():
    return bs.get_problem("sobol_g", a=G_A)


# -- sobol ---------------------------------------------------------------------------


def test_sobol_ishigami_within_001(ishigami):
    r = bs.estimate(ishigami, "sobol", budget=2**14 * 5, seed=0)
    assert r.n_evals == 2**14 * 5 and r.extras["N"] == 2**14
    np.testing.assert_allclose(r.total, ishigami.truth.total, atol=0.01)
    np.testing.assert_allclose(r.first, ishigami.truth.first, atol=0.01)
    for label in ("first", "total"):
        lo, hi = r.ci[label]
        assert np.all(lo <= getattr(r, label)) and np.all(getattr(r, label) <= hi)


@pytest.mark.parametrize("first, total", [("janon", "jansen"), ("saltelli2010", "homma"), ("janon", "homma")])
def test_sobol_variants_on_ishigami(ishigami, first, total):
    est = bs.get_estimator("sobol", first=first, total=total, n_bootstrap=0)
    r = bs.estimate(ishigami, est, budget=2**13 * 5, seed=1)
    np.testing.assert_allclose(r.total, ishigami.truth.total, atol=0.02)
    np.testing.assert_allclose(r.first, ishigami.truth.first, atol=0.02)
    assert r.ci == {}


def test_sobol_second_order_on_ishigami(ishigami):
    est = bs.get_estimator("sobol", second_order=True, n_bootstrap=50)
    r = bs.estimate(ishigami, est, budget=2**13 * 8, seed=2)
    assert r.n_evals == 2**13 * 8
    np.testing.assert_allclose(r.second, ishigami.truth.second, atol=0.02)
    np.testing.assert_allclose(r.second, r.second.T)
    lo, hi = r.extras["ci_second"]
    assert lo[0, 2] <= r.second[0, 2] <= hi[0, 2]


def test_sobol_g_d10_values_and_ranking(sobol_g):
    r = bs.estimate(sobol_g, "sobol", budget=2**12 * 12, seed=3)
    np.testing.assert_allclose(r.total, sobol_g.truth.total, atol=0.02)
    s = bs.score(r, sobol_g.truth)
    assert s["spearman"] > 0.97 and s["weighted_tau"] > 0.97 and s["top_k"] == 1


def test_sobol_budget_to_base_sample():
    est = bs.get_estimator("sobol")
    assert est.base_sample(3, 2**14 * 5) == 2**14
    assert est.base_sample(3, 2**14 * 5 - 1) == 2**13
    assert bs.get_estimator("sobol", base2=False).base_sample(3, 2**14 * 5 - 1) == 2**14 - 1
    assert bs.get_estimator("sobol", second_order=True).base_sample(3, 8 * 100) == 64
    space = bs.Space.unit(4)
    design = bs.get_estimator("sobol", base2=False).plan(space, 100, np.random.default_rng(0))
    assert len(design) == 16 * 6 and design.info["N"] == 16
    assert est.min_budget(space) == 4 * 6
    with pytest.raises(bs.BudgetError, match="minimum of 24"):
        est.plan(space, 23, np.random.default_rng(0))


def test_sobol_bootstrap_equals_explicit_resampling():
    """W @ T reproduces the indices computed on explicitly resampled rows (as SALib does)."""
    n, R, d = 64, 30, 3
    counts = _bootstrap_counts(np.random.default_rng(5), n, R)
    idx = np.random.default_rng(5).integers(0, n, size=(R, n))
    np.testing.assert_array_equal(counts, np.stack([np.bincount(i, minlength=n) for i in idx]))
    est = bs.get_estimator("sobol", n_bootstrap=R, confidence=0.9)
    space = bs.Space.unit(d)
    design = est.plan(space, n * (d + 2), np.random.default_rng(0))
    design.info["seed"] = 5
    y = design.X[:, 0] + 2 * design.X[:, 1] ** 2 + design.X[:, 0] * design.X[:, 2]
    r = est.analyze(design, y)
    Y = (y - y.mean()).reshape(d + 2, n)
    fA, fB, fAB = np.repeat(Y[:1].T, d, 1), np.repeat(Y[1:2].T, d, 1), Y[2:].T
    boot_first = np.stack([salib_first(fA[i], fAB[i], fB[i]) for i in idx])
    boot_total = np.stack([salib_total(fA[i], fAB[i], fB[i]) for i in idx])
    np.testing.assert_allclose(r.extras["se_first"], boot_first.std(0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(r.extras["se_total"], boot_total.std(0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(r.ci["total"][0], np.quantile(boot_total, 0.05, axis=0), rtol=1e-10)
    np.testing.assert_allclose(r.first, salib_first(fA, fAB, fB), rtol=1e-10)


def test_sobol_bootstrap_intervals_cover_the_truth(ishigami):
    """Sanity: 95% intervals cover the truth in most of 20 seeds x 3 inputs (the bootstrap
    treats Sobol' points as i.i.d., so it over-covers rather than under-covers)."""
    covered = []
    for seed in range(20):
        r = bs.estimate(ishigami, "sobol", budget=256 * 5, seed=seed)
        for label in ("first", "total"):
            lo, hi = r.ci[label]
            truth = getattr(ishigami.truth, label)
            covered.append((lo <= truth) & (truth <= hi))
    assert np.mean(covered) >= 0.9
    small = bs.estimate(ishigami, "sobol", budget=256 * 5, seed=0).ci["total"]
    large = bs.estimate(ishigami, "sobol", budget=4096 * 5, seed=0).ci["total"]
    assert np.all(large[1] - large[0] < 0.5 * (small[1] - small[0]))


def test_sobol_constant_output_and_foreign_design():
    est = bs.get_estimator("sobol")
    space = bs.Space.unit(2)
    design = est.plan(space, 64, np.random.default_rng(0))
    with pytest.warns(ConstantOutputWarning, match="sobol: the output is constant"):
        r = est.analyze(design, np.full(len(design), 3.0))
    assert np.all(r.first == 0) and np.all(r.total == 0) and np.all(r.importance == 0)
    assert r.extras["constant_output"]
    y = design.X.sum(axis=1)
    sample = bs.Design.from_sample(space, space.sample(64, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="must be a sobol plan"):
        est.analyze(sample, y)
    with pytest.raises(ValueError, match="second_order=True|BA_1..BA_d"):
        bs.get_estimator("sobol", second_order=True).analyze(design, y)


@pytest.mark.parametrize("kw, match", [
    (dict(first="sobol"), "option 'first' must be a str among .*'janon'.*got 'sobol'"),
    (dict(total="owen"), "option 'total' must be a str among .*'jansen'.*got 'owen'"),
    (dict(n_bootstrap=1), r"option 'n_bootstrap' must be an int equal to 0 or an int in the range \[2, inf\)"),
    (dict(n_bootstrap=100.0), "option 'n_bootstrap' .*got 100.0"),
    (dict(confidence=1.5), r"option 'confidence' must be a float in the range \(0.0, 1.0\); got 1.5"),
])
def test_sobol_bad_options(kw, match):
    with pytest.raises(ValueError, match="sobol: " + match):
        bs.get_estimator("sobol", **kw).plan(bs.Space.unit(2), 100, np.random.default_rng(0))


@pytest.mark.parametrize("name", ["sobol", "hsic", "rank_s1", "dgsm"])
def test_outputs_whose_variance_overflows_raise(name):
    problem = bs.Problem("huge", bs.Space.unit(3), lambda X: 1e200 * X[:, 0])
    with pytest.raises(ValueError, match=f"{name}: the output variance is not finite.*rescale the outputs"):
        bs.estimate(problem, name, budget=256, seed=0)


@pytest.mark.parametrize("name", ["sobol", "hsic", "rank_s1", "dgsm"])
def test_huge_but_finite_outputs_give_the_same_importance(name):
    # 1e150 * y: Var(y) is finite, squares of single outputs are not far from overflowing;
    # every importance here is scale-free, so it must equal that of y itself
    space = bs.Space.unit(3)
    small = bs.estimate(bs.Problem("ref", space, lambda X: X[:, 0] + X[:, 1] ** 2), name, 256, seed=0)
    huge = bs.estimate(bs.Problem("huge", space, lambda X: 1e150 * (X[:, 0] + X[:, 1] ** 2)), name, 256, seed=0)
    np.testing.assert_allclose(huge.importance, small.importance, rtol=1e-6, atol=1e-12)


# -- rank_s1 ---------------------------------------------------------------------------


def test_rank_s1_ishigami(ishigami):
    r = bs.estimate(ishigami, "rank_s1", budget=4000, seed=0)
    np.testing.assert_allclose(r.first, ishigami.truth.first, atol=0.05)
    assert list(np.argsort(-r.importance)) == [1, 0, 2]  # the first-order order


def test_rank_s1_sobol_g_given_sample(sobol_g):
    est = bs.get_estimator("rank_s1")
    X = sobol_g.space.sample(4000, np.random.default_rng(1))
    r = est.analyze(bs.Design.from_sample(sobol_g.space, X), sobol_g.evaluate(X))
    np.testing.assert_allclose(r.first, sobol_g.truth.first, atol=0.05)
    # the four inputs with ST >= 0.05 come first, in order; smaller effects are below the
    # estimator's noise (~0.02 at n = 4000) and need a larger sample
    assert list(np.argsort(-r.importance)[:4]) == [0, 1, 2, 3]
    assert bs.score(r, sobol_g.truth)["top_k"] == 1
    X = sobol_g.space.sample(20000, np.random.default_rng(1))
    r = est.analyze(bs.Design.from_sample(sobol_g.space, X), sobol_g.evaluate(X))
    assert bs.score(r, sobol_g.truth)["spearman"] > 0.9


def _discrete_problem():
    space = bs.Space({"a": bs.Integer(1, 5), "b": bs.Categorical(["x", "y", "z"]), "c": bs.Uniform(0, 1)})
    # additive: Var = Var(a) + Var(2 * [b == y]) + Var(c) = 2 + 8/9 + 1/12
    variances = np.array([2.0, 8 / 9, 1 / 12])
    truth = bs.GroundTruth(first=variances / variances.sum(), total=variances / variances.sum(),
                           kind="analytic", source="additive function: variance of each term")
    return bs.Problem("discrete_additive", space,
                      lambda X: X[:, 0] + 2.0 * (X[:, 1] == 1) + X[:, 2], truth)


def test_rank_s1_discrete_inputs():
    p = _discrete_problem()
    r = bs.estimate(p, "rank_s1", budget=5000, seed=2)
    np.testing.assert_allclose(r.first, p.truth.first, atol=0.03)


def test_rank_s1_within_level_estimator_is_unbiased_for_an_inert_input():
    """The plain correlation ratio is biased up by (K - 1) / n = 0.045 here; ours is not."""
    space = bs.Space({"k": bs.Integer(1, 10), "u": bs.Uniform(0, 1)})
    est = bs.get_estimator("rank_s1")
    values = []
    for seed in range(100):
        design = est.plan(space, 200, np.random.default_rng(seed))
        values.append(est.analyze(design, np.sin(6 * design.X[:, 1])).first[0])
    assert abs(np.mean(values)) < 0.01


def test_rank_s1_constant_output():
    est = bs.get_estimator("rank_s1")
    design = est.plan(bs.Space.unit(3), 50, np.random.default_rng(0))
    with pytest.warns(ConstantOutputWarning):
        r = est.analyze(design, np.ones(50))
    assert np.all(r.importance == 0) and np.all(r.first == 0)


# -- dgsm ------------------------------------------------------------------------------


def test_dgsm_exact_gradient_matches_closed_form(ishigami):
    r = bs.estimate(ishigami, "dgsm.oracle", budget=4096, seed=0)
    a, b = 7.0, 0.1
    # E[(df/dx_i)^2] for x ~ U(-pi, pi)^3 (E[x^4] = pi^4/5, E[x^8] = pi^8/9, E[x^6] = pi^6/7)
    nu = [0.5 * (1 + 2 * b * np.pi**4 / 5 + b**2 * np.pi**8 / 9), a**2 / 2, 16 * b**2 * 0.5 * np.pi**6 / 7]
    np.testing.assert_allclose(r.extras["nu"], nu, rtol=0.01)
    # an oracle: 4096 points with free gradients
    assert r.extras["exact_gradient"] and r.n_evals == 4096 and r.extras["n_base"] == 4096
    assert r.extras["gradient_cost"] == 0
    assert r.total is None and r.first is None  # a bound is not an estimate
    assert np.all(r.extras["st_upper_bound"] >= ishigami.truth.total)  # the Sobol'-Kucherenko bound holds


@pytest.mark.parametrize("cost, n_base", [(None, 1024), (1.0, 2048), (0.5, 2730)])
def test_dgsm_charges_each_gradient(ishigami, cost, n_base):
    # a gradient costs d = 3 evaluations unless the problem declares an adjoint's price:
    # n base points with gradients are charged n * (1 + cost) <= budget
    problem = ishigami if cost is None else bs.Problem(
        "ishigami_adjoint", ishigami.space, ishigami.func, ishigami.truth,
        gradient=ishigami.gradient, gradient_cost=cost)
    r = bs.estimate(problem, "dgsm", budget=4096, seed=0)
    charged = 3.0 if cost is None else cost
    assert r.extras["n_base"] == n_base == int(4096 // (1 + charged))
    assert r.n_evals == int(np.ceil(n_base * (1 + charged))) <= 4096
    assert r.extras["gradient_cost"] == charged and r.extras["exact_gradient"]
    assert r.target == "derivative"


def test_dgsm_budget_below_the_charged_minimum():
    est = bs.get_estimator("dgsm")
    space = bs.Space.unit(3)
    assert est.min_budget(space) == 16  # 4 base points, 3 finite differences each
    assert est.min_budget(space, gradient=True, gradient_cost=7.0) == 32  # 4 points * (1 + 7)
    assert bs.get_estimator("dgsm.oracle").min_budget(space, gradient=True, gradient_cost=7.0) == 4
    with pytest.raises(bs.BudgetError, match=r"minimum of 32 evaluations .*each gradient charged 7"):
        est.plan(space, 31, np.random.default_rng(0), gradient=True, gradient_cost=7.0)
    with pytest.raises(ValueError, match="gradient_cost must be a finite number >= 0"):
        est.plan(space, 100, np.random.default_rng(0), gradient=True, gradient_cost=-1)


def test_dgsm_refuses_a_gradient_for_a_design_planned_without_one(ishigami):
    est = bs.get_estimator("dgsm")
    design = est.plan(ishigami.space, 400, np.random.default_rng(0))
    with pytest.raises(ValueError, match="not planned with gradient=True"):
        est.analyze(design, ishigami.evaluate(design.X), gradient=ishigami.gradient(design.X))


def test_dgsm_finite_differences_match_the_gradient(ishigami):
    est = bs.get_estimator("dgsm")
    with_grad = est.plan(ishigami.space, 4000, np.random.default_rng(0), gradient=True)
    fd = est.plan(ishigami.space, 4000, np.random.default_rng(0))
    assert fd.info["n"] == 1000 and len(fd) == 4000
    np.testing.assert_array_equal(fd.X[:1000], with_grad.X)
    r_grad = est.analyze(with_grad, ishigami.evaluate(with_grad.X), gradient=ishigami.gradient(with_grad.X))
    r_fd = est.analyze(fd, ishigami.evaluate(fd.X))
    np.testing.assert_allclose(r_fd.extras["nu"], r_grad.extras["nu"], rtol=1e-3)
    np.testing.assert_allclose(r_fd.importance, r_grad.importance, rtol=1e-3)


def test_dgsm_bound_holds_on_sobol_g(sobol_g):
    r = bs.estimate(sobol_g, "dgsm", budget=4096, seed=1)
    assert np.all(r.extras["st_upper_bound"] >= sobol_g.truth.total)
    assert stats.spearmanr(r.importance, sobol_g.truth.total).statistic > 0.95


def test_dgsm_bounds_for_normal_and_loguniform_inputs():
    # f = x: ST = 1. Gaussian Poincare bound std^2 * 1 / std^2 = 1; for log x with x
    # log-uniform the unit-cube bound is 12 / pi^2 (that of a linear function).
    for dist, func, expected in ((bs.Normal(2.0, 3.0), lambda X: X[:, 0], 1.0),
                                 (bs.LogUniform(1e-3, 1.0), lambda X: np.log(X[:, 0]), 12 / np.pi**2)):
        space = bs.Space({"x": dist, "inert": bs.Uniform(0, 1)})
        r = bs.estimate(bs.Problem("one", space, func), "dgsm", budget=3 * 2048, seed=0)
        assert r.extras["st_upper_bound"][0] == pytest.approx(expected, rel=0.02)
        assert r.extras["st_upper_bound"][1] == 0


def test_dgsm_discrete_inputs_step_to_the_next_level():
    p = _discrete_problem()
    r = bs.estimate(p, "dgsm", budget=4 * 1000, seed=0)
    assert r.total is None and np.isnan(r.extras["st_upper_bound"][:2]).all()
    assert r.extras["nu"][0] == pytest.approx(1.0)  # one unit of y per level of a
    # b: x->y, y->z and z->y (last level steps back) all change y by 2 per code step
    assert r.extras["nu"][1] == pytest.approx(4.0)
    # unit-cube difference quotients: cells of width 1/5 (a) and 1/3 (b)
    V = r.extras["variance"]
    np.testing.assert_allclose(r.importance[:2], np.array([5.0**2, 6.0**2]) / (np.pi**2 * V))


# -- conformance -----------------------------------------------------------------------


@pytest.mark.parametrize("est", [
    bs.get_estimator("sobol", second_order=True, first="janon", total="homma"),
    bs.get_estimator("sobol", base2=False, n_bootstrap=0),
    bs.get_estimator("rank_s1"),
    bs.get_estimator("dgsm", step=1e-3),
    bs.get_estimator("dgsm.oracle", step=1e-3),
], ids=repr)
def test_options_pass_check_estimator(est):
    check_estimator(est)


def test_dgsm_skips_levels_of_zero_probability():
    space = bs.Space({"o": bs.Ordinal([1.0, 2.0, 5.0, 6.0], weights=[0.5, 0.0, 0.5, 0.0])})
    r = bs.estimate(bs.Problem("zero_weight", space, lambda X: X[:, 0] ** 2), "dgsm", budget=200, seed=0)
    assert r.extras["nu"][0] == pytest.approx(((25.0 - 1.0) / 4.0) ** 2)  # 1 <-> 5, per unit of x


def test_dgsm_input_with_a_single_possible_level_is_zero_not_nan():
    # moving to the "next" level stays in the same cell: a zero step, f unchanged
    space = bs.Space({"x": bs.Uniform(0, 1), "c": bs.Categorical(["only"]),
                      "o": bs.Ordinal([1.0, 2.0], weights=[1.0, 0.0])})
    r = bs.estimate(bs.Problem("one_level", space, lambda X: X[:, 0] + X[:, 1] + X[:, 2]), "dgsm",
                    budget=400, seed=0)
    assert r.importance[1] == 0 and r.importance[2] == 0 and r.importance[0] > 0
    assert r.extras["nu"][1] == 0 and r.extras["nu"][2] == 0


@pytest.mark.parametrize("decimals", [None, 1])  # continuous output / many ties in y
def test_rank_s1_chatterjee_xi_equals_scipy(decimals):
    from scipy.stats import chatterjeexi

    space = bs.Space.unit(3)
    X = space.sample(400, np.random.default_rng(4))
    y = np.sin(6 * X[:, 0]) + X[:, 1]
    y = y if decimals is None else np.round(y, decimals)
    r = bs.get_estimator("rank_s1").analyze(bs.Design.from_sample(space, X), y)
    expected = [chatterjeexi(X[:, j], y, y_continuous=decimals is None).statistic for j in range(3)]
    np.testing.assert_allclose(r.extras["chatterjee_xi"], expected, rtol=1e-12)
