import warnings

import numpy as np
import pytest

import benchsens as bs
from benchsens.anova import grid_anova
from benchsens.testing import assert_truth_matches
from conftest import PACKAGE_PROBLEMS


def test_ishigami_truth_values():
    gt = bs.get_problem("ishigami").truth
    np.testing.assert_array_equal(gt.first.round(4), [0.3139, 0.4424, 0.0])
    np.testing.assert_array_equal(gt.total.round(4), [0.5576, 0.4424, 0.2437])
    assert gt.kind == "analytic" and "Ishigami" in gt.source


def test_ishigami_truth_by_pick_freeze():
    assert_truth_matches(bs.get_problem("ishigami"), n=10**6)


def test_ishigami_truth_by_grid_quadrature():
    # a second exact computation: Gauss-Legendre tensor quadrature + discrete ANOVA
    p = bs.get_problem("ishigami", a=5.0, b=0.2)
    nodes, w = np.polynomial.legendre.leggauss(40)
    x = np.pi * nodes
    X = np.stack(np.meshgrid(x, x, x, indexing="ij"), -1).reshape(-1, 3)
    first, total, s2, _, var = grid_anova(p.evaluate(X).reshape(40, 40, 40), [w / 2] * 3)
    np.testing.assert_allclose(first, p.truth.first, atol=1e-10)
    np.testing.assert_allclose(total, p.truth.total, atol=1e-10)
    np.testing.assert_allclose(s2, p.truth.second, atol=1e-10)


def test_ishigami_gradient_matches_finite_differences():
    p = bs.get_problem("ishigami")
    X = p.space.sample(50, np.random.default_rng(1))
    h = 1e-6
    fd = np.column_stack([(p.evaluate(X + h * e) - p.evaluate(X - h * e)) / (2 * h)
                          for e in np.eye(3)])
    np.testing.assert_allclose(p.gradient(X), fd, rtol=1e-5, atol=1e-6)


def test_user_mixed_problem_in_a_few_lines():
    space = bs.Space({"lr": bs.LogUniform(1e-4, 1e-1), "depth": bs.Integer(1, 8),
                      "opt": bs.Categorical(["sgd", "adam"], weights=[0.3, 0.7])})
    p = bs.Problem(name="mine", space=space,
                   func=lambda X: np.log10(X[:, 0]) ** 2 + X[:, 1] + 3 * X[:, 2])
    y = p.evaluate(p.space.sample(10, np.random.default_rng(0)))
    assert y.shape == (10,) and p.truth is None


def test_noise_keeps_truth_and_scales_with_sd():
    p = bs.get_problem("ishigami", noise=0.1)
    assert p.truth is bs.get_problem("ishigami").truth or np.array_equal(p.truth.total, bs.get_problem("ishigami").truth.total)
    X = np.zeros((20000, 3))
    y = p.evaluate(X, rng=np.random.default_rng(0))
    assert abs(np.std(y) / (0.1 * p.output_std) - 1) < 0.03
    with pytest.raises(ValueError, match="rng"):
        p.evaluate(X)


@pytest.mark.parametrize("kw, match", [
    (dict(first=[0.1, 0.2], total=[0.1, 0.2, 0.3]), "3 values for 2"),
    (dict(first=[0.1, 1.2, 0], total=[0.1, 0.2, 0.3]), r"\[0, 1\]"),
    (dict(first=[0.1, -0.2, 0], total=[0.1, 0.2, 0.3]), r"\[0, 1\]"),
    (dict(first=[0.1, 0.1, 0], total=[0.1, 0.2, 0.3], kind="guess"), "kind"),
    (dict(first=[0.1, 0.1, 0], total=[0.1, 0.2, 0.3], source=""), "source"),
])
def test_bad_ground_truth(kw, match):
    args = dict(kind="analytic", source="test")
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        bs.GroundTruth(**args)


def test_problem_rejects_wrong_inputs():
    p = bs.get_problem("ishigami")
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        p.evaluate(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="outside parameter 'x2'"):
        p.evaluate([[0, 10, 0]])
    with pytest.raises(KeyError, match="did you mean 'ishigami'"):
        bs.get_problem("ishigam")
    with pytest.raises(TypeError, match="accepts"):
        bs.get_problem("ishigami", c=3)


def test_every_registered_problem_builds_with_defaults():
    names = PACKAGE_PROBLEMS  # not the harness tests' deliberately broken toys
    assert len(names) >= 25
    for name in names:
        p = bs.get_problem(name)
        X = p.space.sample(16, np.random.default_rng(0))
        y = p.evaluate(X, rng=np.random.default_rng(1))
        assert y.shape == (16,) and np.all(np.isfinite(y)), name
        t = p.truth
        assert t is not None and t.source, name
        # a reference S1 and ST are separate estimates: allow both their errors
        tol = 4 * (t.std_error["first"] + t.std_error["total"]) + 1e-9 if t.kind == "reference" else 1e-9
        assert np.all(t.first <= t.total + tol), name
        assert t.first.sum() <= 1 + 1e-9 + (t.std_error["first"].sum() * 4 if t.kind == "reference" else 0), name
        assert t.total.sum() >= 1 - 1e-9 - (t.std_error["total"].sum() * 4 if t.kind == "reference" else 0), name


@pytest.mark.parametrize("values, weights, match", [
    (np.array([[1.0, np.nan], [2.0, 3.0]]), [np.full(2, 0.5)] * 2, r"values\[0, 1\] = nan"),
    (np.ones((2, 2)), [np.array([0.5, 0.6]), np.full(2, 0.5)], r"axis 0 .* sum=1\.1"),
    (np.ones((2, 3)), [np.full(2, 0.5), np.full(2, 0.5)], "axis 1 has 3 nodes but 2 weights"),
    (np.ones((2, 2)), [np.full(2, 0.5)] * 2, "constant"),
])
def test_grid_anova_errors_name_the_bad_value(values, weights, match):
    with pytest.raises(ValueError, match=match):
        grid_anova(values, weights)


def test_grid_anova_named_result_and_the_spaces_weight_tolerance():
    from benchsens.space import WEIGHT_SUM_ATOL

    # f = 2a + b, a and b in {0, 1} with probability 1/2: V = 4/4 + 1/4, no interaction
    values = np.array([[0.0, 1.0], [2.0, 3.0]])
    half = np.full(2, 0.5)
    r = grid_anova(values, [half, half])
    np.testing.assert_allclose(r.first, [0.8, 0.2])
    np.testing.assert_allclose(r.total, [0.8, 0.2])
    np.testing.assert_allclose(r.second, [[0, 0], [0, 0]], atol=1e-15)
    assert (r.mean, r.variance) == (1.5, 1.25)
    # weights off by 10x the tolerance are refused by grid_anova and by a Space alike
    off = np.array([0.5, 0.5 + 10 * WEIGHT_SUM_ATOL])
    with pytest.raises(ValueError, match="sum to 1"):
        grid_anova(values, [off, half])
    with pytest.raises(ValueError, match="sum to 1"):
        bs.Ordinal([0, 1], weights=off)
    near = np.array([0.5, 0.5 + WEIGHT_SUM_ATOL / 10])
    np.testing.assert_allclose(grid_anova(values, [near, half]).first, r.first, rtol=1e-8)
    np.testing.assert_allclose(bs.Ordinal([0, 1], weights=near).weights.sum(), 1.0, rtol=1e-15)


# ---------------------------------------------------------------- immutable truths
MUTABLE_CASES = [("random_pce", {}), ("metafunction", {}), ("random_sobol_g", {}), ("hp_svm", {}),
                 ("svc_digits", {}), ("ishigami", {})]


@pytest.mark.parametrize("name, params", MUTABLE_CASES)
def test_editing_a_returned_problem_never_poisons_a_later_one(name, params):
    p = bs.get_problem(name, **params)
    first = p.truth.first.copy()
    for arr in (p.truth.first, p.truth.total, p.truth.second):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.5
    with pytest.raises(TypeError, match="read-only"):
        p.truth.extras["variance"] = -1.0
    for value in p.truth.extras.values():  # nested containers refuse changes too
        if isinstance(value, dict):
            with pytest.raises(TypeError, match="read-only"):
                value["x"] = 1
        elif isinstance(value, list) and value:
            with pytest.raises(TypeError, match="read-only"):
                value[0] = 1
        elif isinstance(value, np.ndarray):
            with pytest.raises(ValueError, match="read-only"):
                value.flat[0] = 1
    # what can be edited is the Problem object itself, and a later one is a new object
    p.truth = None
    p.params["edited"] = True
    again = bs.get_problem(name, **params)
    assert again is not p and again.truth is not None and "edited" not in again.params
    np.testing.assert_array_equal(again.truth.first, first)


def test_truth_copies_its_inputs_and_stays_picklable():
    import pickle

    first = np.array([0.2, 0.3])
    extras = {"local": {"first": [0.1, 0.2]}, "arr": np.ones(2)}
    gt = bs.GroundTruth(first=first, total=[0.4, 0.5], kind="exact", source="test", extras=extras)
    first[0] = 0.9
    extras["local"]["first"][0] = 0.9
    extras["arr"][0] = 5.0
    assert gt.first[0] == 0.2 and gt.extras["local"]["first"][0] == 0.1 and gt.extras["arr"][0] == 1
    back = pickle.loads(pickle.dumps(gt))
    np.testing.assert_array_equal(back.first, gt.first)
    assert back.extras["local"] == {"first": [0.1, 0.2]}
    np.testing.assert_array_equal(back.extras["arr"], [1.0, 1.0])
    # numpy indexes with a frozen list as with a list (an empty one selects nothing)
    empty = bs.GroundTruth(first=[0.1], total=[0.1], kind="exact", source="t",
                           extras={"dummies": []})
    assert empty.total[empty.extras["dummies"]].size == 0


def test_reference_truth_needs_non_negative_std_errors():
    with pytest.raises(ValueError, match="std_error"):
        bs.GroundTruth(first=[0.1], total=[0.1], kind="reference", source="t")
    with pytest.raises(ValueError, match=r"std_error\['total'\] must be 1 values >= 0"):
        bs.GroundTruth(first=[0.1], total=[0.1], kind="reference", source="t",
                       std_error={"first": [0.0], "total": [-1.0]})


# ---------------------------------------------------------------- gradient cost
def test_gradient_cost_defaults_to_d_and_is_kept_by_with_noise():
    space = bs.Space.unit(3)
    assert bs.Problem("m", space, lambda X: X[:, 0]).gradient_cost == 3.0
    p = bs.Problem("m", space, lambda X: X[:, 0], gradient_cost=1.5)
    assert p.with_noise(0.1).gradient_cost == 1.5
    assert bs.get_problem("ishigami").gradient_cost == 3.0


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "2", True])
def test_bad_gradient_cost_is_named(bad):
    with pytest.raises(ValueError, match=r"'m': gradient_cost must be a number > 0"):
        bs.Problem("m", bs.Space.unit(2), lambda X: X[:, 0], gradient_cost=bad)


# ---------------------------------------------------------------- outputs of user functions
@pytest.mark.parametrize("func, match", [
    (lambda X: X[:, 0].astype(str), "non-numeric outputs of dtype <U"),
    (lambda X: ["a"] * len(X), "non-numeric outputs"),
    (lambda X: [None] * len(X), "non-numeric outputs of dtype object"),
    (lambda X: X[:, 0] + 1j, r"complex outputs \(complex128\)"),
    (lambda X: [complex(1, 1)] * len(X), "complex outputs"),
])
def test_non_numeric_or_complex_outputs_name_the_problem(func, match):
    p = bs.Problem("mine", bs.Space.unit(2), func)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy ComplexWarning on the way
        with pytest.raises(ValueError, match=rf"Problem 'mine': func returned {match}"):
            p.evaluate(np.zeros((3, 2)))


def test_python_numbers_and_ints_are_accepted():
    p = bs.Problem("mine", bs.Space.unit(2), lambda X: [1, 2.5, True][: len(X)])
    np.testing.assert_array_equal(p.evaluate(np.zeros((3, 2))), [1.0, 2.5, 1.0])
