"""Baseline adapters (salib.*, optuna.*, sklearn.*): each gives what calling the library
directly gives on the same sample and seed, works on every parameter kind, leaves global
state alone, and ranks the Ishigami inputs sensibly.

check_estimator with default options runs over every registered estimator in
tests/test_conformance.py; here it runs on the non-default option variants.
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from SALib.analyze import delta as delta_analyze
from SALib.analyze import dgsm as dgsm_analyze
from SALib.analyze import fast as fast_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import rbd_fast as rbd_fast_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import fast_sampler, finite_diff, latin
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

import benchsens as bs
from benchsens.estimators.salib import unit_problem
from benchsens.testing import check_estimator, mixed_problem

ISHIGAMI = bs.get_problem("ishigami")
BOX = unit_problem(3)


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """Calling SALib directly seeds numpy's global generator; put it back afterwards."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def _same(actual, expected):
    """Equal up to round-off: numpy 2.0's OpenBLAS/SIMD reductions may sum in an
    alignment-dependent order, so the same call on the same data can differ in the last bit."""
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)


def _planned(est, budget, seed=0, problem=ISHIGAMI):
    """Plan, evaluate and analyse; also return the seed SALib got and the outputs."""
    design = est.plan(problem.space, budget, np.random.default_rng(seed))
    y = problem.evaluate(design.X)
    return design, y, est.analyze(design, y)


def test_seed_comes_from_the_plan_generator_and_is_never_zero():
    design, _, _ = _planned(bs.get_estimator("salib.morris"), 100, seed=3)
    assert design.info["seed"] == np.random.default_rng(3).integers(1, 2**31)
    assert design.info["seed"] != 0  # SALib reads seed=0 as "unseeded"


# -- agreement with SALib called directly ----------------------------------------------


@pytest.mark.parametrize("second", [False, True])
def test_salib_sobol_equals_salib(second):
    est = bs.get_estimator("salib.sobol", calc_second_order=second, num_resamples=20)
    budget = 1100
    design, y, res = _planned(est, budget)
    seed, n = design.info["seed"], design.info["n_base"]
    rows = 2 * 3 + 2 if second else 3 + 2
    assert n == 128 and n * rows <= budget < 2 * n * rows  # largest power of two that fits
    U = sobol_sample.sample(BOX, n, calc_second_order=second, seed=seed)
    np.testing.assert_array_equal(design.U, U)
    np.testing.assert_array_equal(design.X, ISHIGAMI.space.from_unit(U))
    Si = sobol_analyze.analyze(BOX, ISHIGAMI.evaluate(ISHIGAMI.space.from_unit(U)),
                               calc_second_order=second, num_resamples=20, seed=seed)
    _same(res.first, Si["S1"])
    _same(res.total, Si["ST"])
    _same(res.importance, np.maximum(Si["ST"], 0))
    np.testing.assert_allclose(res.ci["total"][1] - res.total, Si["ST_conf"], rtol=1e-12, atol=1e-15)
    if second:
        _same(res.second[0, 2], Si["S2"][0, 2])
        np.testing.assert_array_equal(res.second, res.second.T)
    else:
        assert res.second is None


@pytest.mark.parametrize("optimal", [False, True])
def test_salib_morris_equals_salib(optimal):
    est = bs.get_estimator("salib.morris", optimal_trajectories=optimal, num_resamples=20)
    design, y, res = _planned(est, 83)
    seed, r = design.info["seed"], design.info["trajectories"]
    assert r == 83 // 4 and len(design) == r * 4
    if optimal:
        U = morris_sample.sample(BOX, 4 * r, num_levels=4, optimal_trajectories=r, seed=seed)
    else:
        U = morris_sample.sample(BOX, r, num_levels=4, seed=seed)
    np.testing.assert_array_equal(design.U, U)
    Si = morris_analyze.analyze(BOX, U, y, num_resamples=20, num_levels=4, seed=seed)
    _same(res.importance, Si["mu_star"])
    _same(res.extras["sigma"], Si["sigma"])
    np.testing.assert_allclose(res.ci["importance"][1] - res.importance, Si["mu_star_conf"], rtol=1e-12, atol=1e-15)


def test_salib_fast_equals_salib():
    est = bs.get_estimator("salib.fast", num_resamples=20)
    design, y, res = _planned(est, 1000)
    seed, n = design.info["seed"], design.info["n_curve"]
    assert n == 333
    U = fast_sampler.sample(BOX, n, M=4, seed=seed)
    np.testing.assert_array_equal(design.U, U)
    Si = fast_analyze.analyze(BOX, y, M=4, num_resamples=20, seed=seed)
    _same(res.first, Si["S1"])
    _same(res.total, Si["ST"])
    np.testing.assert_allclose(res.ci["first"][1] - res.first, Si["S1_conf"], rtol=1e-12, atol=1e-15)


def test_salib_dgsm_equals_salib():
    est = bs.get_estimator("salib.dgsm", num_resamples=20)
    design, y, res = _planned(est, 401)
    seed, n = design.info["seed"], design.info["n_base"]
    assert n == 100 and len(design) == 400
    U = finite_diff.sample(BOX, n, delta=0.01, seed=seed)
    np.testing.assert_array_equal(design.U, U)
    Si = dgsm_analyze.analyze(BOX, U, y, num_resamples=20, seed=seed)
    _same(res.importance, Si["dgsm"])
    _same(res.extras["vi"], Si["vi"])


GIVEN = [
    ("salib.rbd_fast", {"num_resamples": 20},
     lambda U, y, s: rbd_fast_analyze.analyze(BOX, U, y, num_resamples=20, seed=s)["S1"]),
    ("salib.delta", {"num_resamples": 5},
     lambda U, y, s: delta_analyze.analyze(BOX, U, y, num_resamples=5, seed=s)["delta_raw"]),
    ("salib.pawn", {},
     lambda U, y, s: pawn_analyze.analyze(BOX, U, y, S=10, seed=s)["median"]),
]


@pytest.mark.parametrize("name, options, direct", GIVEN, ids=[g[0] for g in GIVEN])
def test_salib_given_data_equals_salib(name, options, direct):
    est = bs.get_estimator(name, **options)
    design, y, res = _planned(est, 300)
    seed = design.info["seed"]
    np.testing.assert_array_equal(design.U, latin.sample(BOX, 300, seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(res.importance, np.maximum(direct(design.U, y, seed), 0))
    # a sample it did not plan: the unit transform of the points, the fixed fallback seed
    given = bs.Design.from_sample(ISHIGAMI.space, ISHIGAMI.space.sample(300, np.random.default_rng(5)))
    y_given = ISHIGAMI.evaluate(given.X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = direct(ISHIGAMI.space.to_unit(given.X), y_given, 1)
    _same(est.analyze(given, y_given).importance, np.maximum(expected, 0))


def test_salib_analyses_leave_global_rng_and_warning_filters_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    filters = list(warnings.filters)
    for name, options in (("salib.fast", {"num_resamples": 5}), ("salib.delta", {"num_resamples": 5}),
                          ("salib.pawn", {}), ("salib.dgsm", {"num_resamples": 5})):
        _planned(bs.get_estimator(name, **options), 500)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert list(warnings.filters) == filters


def test_design_estimators_refuse_a_design_they_did_not_plan():
    given = bs.Design.from_sample(ISHIGAMI.space, ISHIGAMI.space.sample(500, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="analyses only its own plan"):
        bs.get_estimator("salib.sobol").analyze(given, ISHIGAMI.evaluate(given.X))


def test_budget_error_names_the_minimum():
    with pytest.raises(bs.BudgetError, match=r"minimum of 195 evaluations"):
        bs.get_estimator("salib.fast").plan(ISHIGAMI.space, 194, np.random.default_rng(0))


@pytest.mark.parametrize("name, bad", [
    ("salib.sobol", {"num_resamples": 1}),
    ("salib.morris", {"num_levels": 1}),
    ("salib.dgsm", {"delta": 0.0}),
    ("salib.fast", {"conf_level": 1.5}),
    ("sklearn.permutation", {"test_size": 1.0}),
])
def test_bad_option_is_named(name, bad):
    key, value = next(iter(bad.items()))
    est = bs.get_estimator(name, **bad)  # constructors only store their options
    assert getattr(est, key) is value
    with pytest.raises(ValueError, match=f"^{name}: option '{key}' must be .*; got {value!r}$"):
        est.validate_params()
    with pytest.raises(ValueError, match=f"^{name}: option '{key}'"):
        est.plan(ISHIGAMI.space, 2000, np.random.default_rng(0))


@pytest.mark.parametrize("name, option", [
    ("salib.sobol", "num_resamples"), ("salib.morris", "num_levels"), ("salib.fast", "M"),
    ("salib.rbd_fast", "M"), ("salib.pawn", "S"), ("sklearn.permutation", "n_estimators"),
    ("optuna.fanova", "n_trees"), ("optuna.mdi", "max_depth"),
])
def test_integer_options_refuse_integer_valued_floats(name, option):
    # the same rule everywhere: integers are integers (3.0 and True are refused)
    for value in (8.0, True):
        with pytest.raises(ValueError, match=f"{name}: option '{option}' must be an int"):
            bs.get_estimator(name, **{option: value}).validate_params()


def test_ped_anova_quantiles_must_be_ordered():
    est = bs.get_estimator("optuna.ped_anova", target_quantile=0.5, region_quantile=0.3)
    with pytest.raises(ValueError, match="'target_quantile' must be below 'region_quantile'"):
        est.validate_params()


@pytest.mark.parametrize("name", ["optuna.fanova", "optuna.mdi", "optuna.ped_anova"])
def test_optuna_adapters_leave_optuna_logging_alone(name):
    import optuna

    before = optuna.logging.get_verbosity()
    try:
        optuna.logging.set_verbosity(optuna.logging.DEBUG)
        est = bs.get_estimator(name)
        design = est.plan(ISHIGAMI.space, 200, np.random.default_rng(0))
        est.analyze(design, ISHIGAMI.evaluate(design.X))
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(before)


@pytest.mark.parametrize("name, options", [
    ("salib.sobol", {"calc_second_order": True, "num_resamples": 10}),
    ("salib.morris", {"optimal_trajectories": True, "num_levels": 6}),
    ("salib.pawn", {"S": 5}),
])
def test_option_variants_conform(name, options):
    check_estimator(bs.get_estimator(name, **options))


# -- scikit-learn --------------------------------------------------------------------


def test_sklearn_permutation_equals_sklearn():
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    est = bs.get_estimator("sklearn.permutation", n_estimators=30, n_repeats=5)
    design, y, res = _planned(est, 400)
    seed = design.info["seed"]
    X_tr, X_te, y_tr, y_te = train_test_split(design.X, y, test_size=0.25, random_state=seed)
    model = RandomForestRegressor(n_estimators=30, random_state=seed).fit(X_tr, y_tr)
    direct = permutation_importance(model, X_te, y_te, n_repeats=5, random_state=seed)
    _same(res.importance, np.maximum(direct.importances_mean, 0))
    assert res.extras["test_r2"] == model.score(X_te, y_te)


# -- Optuna ----------------------------------------------------------------------------


def _direct_study(optuna, X, y):
    """The study a user would build by hand for Ishigami's three Uniform(-pi, pi) inputs."""
    dists = {n: optuna.distributions.FloatDistribution(-np.pi, np.pi) for n in ISHIGAMI.space.names}
    study = optuna.create_study()
    study.add_trials([optuna.trial.create_trial(params=dict(zip(dists, map(float, row))), distributions=dists,
                                                value=float(v)) for row, v in zip(X, y)])
    return study


@pytest.mark.parametrize("name, make", [
    ("optuna.fanova", lambda imp, s: imp.FanovaImportanceEvaluator(n_trees=16, max_depth=64, seed=s)),
    ("optuna.mdi", lambda imp, s: imp.MeanDecreaseImpurityImportanceEvaluator(n_trees=16, max_depth=64, seed=s)),
    ("optuna.ped_anova", lambda imp, s: imp.PedAnovaImportanceEvaluator(target_quantile=0.1)),
])
def test_optuna_equals_optuna(name, make):
    import optuna  # in the test extra: a missing one fails, never skips
    options = {} if name == "optuna.ped_anova" else {"n_trees": 16}
    est = bs.get_estimator(name, **options)
    design, y, res = _planned(est, 150)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direct = optuna.importance.get_param_importances(
        _direct_study(optuna, design.X, y), evaluator=make(optuna.importance, design.info["seed"]), normalize=False)
    _same(res.importance, [direct[n] for n in ISHIGAMI.space.names])
    if name == "optuna.fanova":
        np.testing.assert_array_equal(res.first, res.importance)


def test_optuna_study_maps_every_kind():
    import optuna  # in the test extra: a missing one fails, never skips
    from benchsens.estimators.optuna import study_from_sample

    problem = mixed_problem()
    design = bs.Design.from_unit(problem.space, np.random.default_rng(0).random((20, 7)))
    study = study_from_sample(design, problem.evaluate(design.X))
    D = optuna.distributions
    trial = study.trials[3]
    d = trial.distributions
    assert d["u"] == D.FloatDistribution(-1.0, 2.0)
    assert d["lr"] == D.FloatDistribution(1e-4, 1e-1, log=True)
    assert d["z"] == D.FloatDistribution(0.0, 1.0) and trial.params["z"] == design.U[3, 2]  # unit transform
    assert d["width"] == D.IntDistribution(1, 64, log=True) and trial.params["width"] == design.X[3, 4]
    assert d["o"] == D.CategoricalDistribution([0.1, 0.2, 0.5, 1.0])
    assert d["c"] == D.CategoricalDistribution([0, 1, 2]) and trial.params["c"] == int(design.X[3, 6])
    assert [t.value for t in study.trials] == problem.evaluate(design.X).tolist()


def test_optuna_module_imports_without_optuna_and_says_how_to_install():
    code = (
        "import sys; sys.modules['optuna'] = None\n"
        "import benchsens as bs\n"
        "assert 'optuna.fanova' in bs.list_estimators()\n"
        "est = bs.get_estimator('optuna.fanova')\n"  # constructing does no work
        "try:\n    est.validate_params()\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install benchsens[optuna]" in out.stdout


# -- sanity of the rankings -------------------------------------------------------------

# Ishigami: ST order x1 > x2 > x3 (0.558, 0.442, 0.244); S1 order x2 > x1 > x3 (x3 has no
# main effect). Expected orders by what each method measures (larger first, 0-based):
ISHIGAMI_ORDERS = [
    ("salib.sobol", {"num_resamples": 10}, 2**11, [0, 1, 2]),       # ST
    ("salib.fast", {"num_resamples": 10}, 2000, [0, 1, 2]),         # ST
    ("salib.rbd_fast", {"num_resamples": 10}, 2000, [1, 0, 2]),     # S1
    ("salib.delta", {"num_resamples": 5}, 1000, [1, 0, 2]),         # delta
    ("salib.pawn", {}, 2000, [1, 0, 2]),                            # KS median
    ("sklearn.permutation", {"n_estimators": 50}, 1000, [0, 1, 2]),  # ≈ 2 ST
]


@pytest.mark.parametrize("name, options, budget, order", ISHIGAMI_ORDERS, ids=[o[0] for o in ISHIGAMI_ORDERS])
def test_ishigami_ranking(name, options, budget, order):
    res = bs.estimate(ISHIGAMI, bs.get_estimator(name, **options), budget, seed=1)
    assert list(np.argsort(-res.importance)) == order, res.importance


def test_sobol_and_fast_values_near_the_truth():
    sobol = bs.estimate(ISHIGAMI, bs.get_estimator("salib.sobol", num_resamples=10), 2**13 * 5, seed=0)
    np.testing.assert_allclose(sobol.total, ISHIGAMI.truth.total, atol=0.03)
    np.testing.assert_allclose(sobol.first, ISHIGAMI.truth.first, atol=0.03)
    fast = bs.estimate(ISHIGAMI, bs.get_estimator("salib.fast", num_resamples=10), 3 * 2000, seed=0)
    np.testing.assert_allclose(fast.first, ISHIGAMI.truth.first, atol=0.03)
    np.testing.assert_allclose(fast.total, ISHIGAMI.truth.total, atol=0.05)


def test_salib_morris_moves_normal_inputs_to_cell_centres():
    # levels 0 and 1 are infinite quantiles of a Normal: such inputs sit on (k + 1/2)/p
    space = bs.Space({"u": bs.Uniform(0, 1), "z": bs.Normal(0, 1)})
    problem = bs.Problem("uz", space, lambda X: X[:, 0] + 0.5 * X[:, 1] ** 2)
    est = bs.get_estimator("salib.morris", num_resamples=20)
    design, y, res = _planned(est, 300, problem=problem)
    r, seed = design.info["trajectories"], design.info["seed"]
    U = morris_sample.sample(unit_problem(2), r, num_levels=4, seed=seed)
    np.testing.assert_array_equal(design.U[:, 0], U[:, 0])
    np.testing.assert_allclose(design.U[:, 1], (U[:, 1] * 3 + 0.5) / 4, rtol=0, atol=1e-15)
    assert np.all(np.abs(design.X[:, 1]) < 1.2)  # quantiles of 1/8 .. 7/8, never 8 sd
    # SALib's analysis of its own level grid k/3 reads only each step's input and direction;
    # the centred input's effects are rescaled to the same unit step
    Si = morris_analyze.analyze(unit_problem(2), U, y, num_resamples=20, num_levels=4, seed=seed)
    np.testing.assert_allclose(res.importance, Si["mu_star"] * [1, 4 / 3], rtol=1e-12)
    assert np.all(np.isfinite(bs.estimate(bs.get_problem("borehole"), est, 900, seed=0).importance))
