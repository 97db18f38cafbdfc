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
