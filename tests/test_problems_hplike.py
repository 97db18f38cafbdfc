"""Verification of the hyperparameter-like surfaces (exact quadrature x enumeration truth)."""
import numpy as np
import pytest

import benchsens as bs
from benchsens.problems.hplike import SURFACES, quadrature_grid, quadrature_truth
from benchsens.testing import assert_truth_matches

NAMES = sorted(SURFACES)


def test_at_least_four_surfaces_are_registered_as_hp_like():
    assert len(NAMES) >= 4 and set(NAMES) <= set(bs.list_problems(tag="hp-like"))
    for name in NAMES:
        p = bs.get_problem(name)
        assert "hp-like" in p.tags and f"d={p.d}" in p.tags
        assert p.truth.kind == "exact" and "Gauss-Legendre" in p.truth.source


@pytest.mark.parametrize("name", NAMES)
def test_hp_truth_by_pick_freeze_fast(name):
    assert_truth_matches(bs.get_problem(name), n=2 * 10**5, seed=3)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_hp_truth_by_pick_freeze(name):
    assert_truth_matches(bs.get_problem(name), n=10**6, seed=4)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_hp_truth_is_converged_in_the_quadrature(name):
    # a finer rule (1.5x nodes on every continuous input) gives the same indices
    space_factory, func, nodes, _ = SURFACES[name]
    finer = {k: (3 * v) // 2 for k, v in nodes.items()}
    first, total, second, _, _ = quadrature_truth(space_factory(), func, finer)
    truth = bs.get_problem(name).truth
    np.testing.assert_allclose(first, truth.first, atol=1e-10)
    np.testing.assert_allclose(total, truth.total, atol=1e-10)
    np.testing.assert_allclose(second, truth.second, atol=1e-10)


# Structure the surfaces' docstrings declare: an input the function ignores (a dummy) and an
# input that matters only at one level (code) of another.
DUMMY = {"hp_mlp": "num_workers", "hp_boosting": "n_jobs", "hp_svm": "shrinking"}
ONLY_AT = {"hp_mlp": ("momentum", "optimizer", 0),  # sgd
           "hp_svm": ("degree", "kernel", 1),  # poly
           "hp_forest": ("max_samples", "bootstrap", 0)}  # True


def _resampled(problem, j, n=4000, seed=0):
    """A sample, the rows where a fresh draw of column ``j`` moved it, and the outputs
    before and after."""
    rng = np.random.default_rng(seed)
    X = problem.space.sample(n, rng)
    X2 = X.copy()
    X2[:, j] = problem.space.sample(n, rng)[:, j]
    moved = X2[:, j] != X[:, j]
    assert moved.mean() > 0.4
    return X, moved, problem.evaluate(X), problem.evaluate(X2)


@pytest.mark.parametrize("name", sorted(DUMMY))
def test_hp_dummy_is_ignored_by_function_and_truth(name):
    p = bs.get_problem(name)
    j = p.space.names.index(DUMMY[name])
    _, _, y, y2 = _resampled(p, j)
    np.testing.assert_array_equal(y2, y)
    assert p.truth.total[j] == 0.0  # exactly: grid_anova zeroes constant slices
    np.testing.assert_allclose(p.truth.first[j], 0.0, atol=1e-15)
    np.testing.assert_allclose(p.truth.second[j], 0.0, atol=1e-12)
    assert np.all(np.delete(p.truth.total, j) > 1e-4)  # every other input matters


@pytest.mark.parametrize("name", sorted(ONLY_AT))
def test_hp_conditional_input_matters_only_at_its_level(name):
    p = bs.get_problem(name)
    child, parent, level = ONLY_AT[name]
    j, k = p.space.names.index(child), p.space.names.index(parent)
    X, moved, y, y2 = _resampled(p, j)
    active = X[:, k] == level
    assert 0 < active.mean() < 1
    np.testing.assert_array_equal(y2[~active], y[~active])
    assert np.all(y2[active & moved] != y[active & moved])
    # the truth sees the same: the child matters, through an interaction with the parent
    t = p.truth
    assert t.total[j] > 1e-3 and t.second[j, k] > 1e-4 and t.total[j] > t.first[j] + 1e-4


def test_quadrature_grid_uses_levels_weights_and_unit_gauss_nodes():
    space = bs.Space({"lr": bs.LogUniform(1e-4, 1e-1), "opt": bs.Categorical(["a", "b"], [0.3, 0.7]),
                      "bs": bs.Ordinal([16, 64, 256])})
    axes, weights = quadrature_grid(space, {"lr": 5})
    np.testing.assert_allclose(weights[1], [0.3, 0.7])
    np.testing.assert_allclose(axes[2], [16, 64, 256])
    # log10(lr) is uniform on [-4, -1]: the rule integrates log10(lr)^2 exactly
    second_moment = ((-1) ** 3 - (-4) ** 3) / (3 * 3)
    np.testing.assert_allclose(weights[0] @ np.log10(axes[0]) ** 2, second_moment, rtol=1e-12)
    assert np.all((axes[0] > 1e-4) & (axes[0] < 1e-1))


def test_quadrature_truth_refuses_huge_tensors():
    space = bs.Space({f"x{i}": bs.Integer(1, 40) for i in range(5)})
    with pytest.raises(ValueError, match="cells"):
        quadrature_truth(space, lambda X: X.sum(axis=1))


# ---------------------------------------------------------------- designed structure

def _resample_column(p, X, name, rng):
    X2 = X.copy()
    X2[:, p.space.names.index(name)] = p.space.sample(len(X), rng)[:, p.space.names.index(name)]
    return X2


@pytest.mark.parametrize("name, dummy", [("hp_mlp", "num_workers"), ("hp_boosting", "n_jobs"),
                                         ("hp_svm", "shrinking")])
def test_dummy_parameters_do_nothing(name, dummy):
    p = bs.get_problem(name)
    rng = np.random.default_rng(0)
    X = p.space.sample(5000, rng)
    np.testing.assert_array_equal(p.evaluate(_resample_column(p, X, dummy, rng)), p.evaluate(X))
    assert p.truth.total[p.space.names.index(dummy)] == 0.0
    others = [j for j, n in enumerate(p.space.names) if n != dummy]
    assert np.all(p.truth.total[others] > 1e-4)


@pytest.mark.parametrize("name, param, switch, active_codes", [
    ("hp_mlp", "momentum", "optimizer", [0]),      # sgd only
    ("hp_svm", "degree", "kernel", [1]),           # poly only
    ("hp_svm", "gamma", "kernel", [0, 1]),         # not for the linear kernel
    ("hp_forest", "max_samples", "bootstrap", [0]),  # bootstrap=True only
])
def test_conditional_parameters_matter_only_under_their_switch(name, param, switch, active_codes):
    p = bs.get_problem(name)
    rng = np.random.default_rng(1)
    X = p.space.sample(20000, rng)
    X2 = _resample_column(p, X, param, rng)
    moved = p.evaluate(X2) != p.evaluate(X)
    on = np.isin(X[:, p.space.names.index(switch)], active_codes)
    changed = X2[:, p.space.names.index(param)] != X[:, p.space.names.index(param)]
    assert on.any() and (~on).any()
    assert not moved[~on].any() and moved[on & changed].all()


def test_mlp_learning_rate_valley_shifts_with_batch_size():
    p = bs.get_problem("hp_mlp")
    lr = np.logspace(-5, 0, 501)

    def best_lr(batch, opt):
        X = np.column_stack([lr] + [np.full_like(lr, v) for v in (batch, opt, 0.0, 3, 256, 0)])
        y = p.evaluate(X)
        assert 0 < np.argmin(y) < lr.size - 1  # optimum strictly inside the range
        return lr[np.argmin(y)]

    assert best_lr(512, 0) > 4 * best_lr(64, 0)  # sgd: linear scaling
    assert best_lr(512, 1) > 2 * best_lr(64, 1)  # adam: square-root scaling
    assert best_lr(64, 1) < best_lr(64, 0) / 10


def test_boosting_trades_learning_rate_for_trees():
    p = bs.get_problem("hp_boosting")
    lr = np.logspace(-3, 0, 301)

    def best_lr(n_estimators):
        X = np.column_stack([lr] + [np.full_like(lr, v) for v in (n_estimators, 4, 0.8, 2, 1)])
        return lr[np.argmin(p.evaluate(X))]

    assert best_lr(50) > 10 * best_lr(2000)


def test_svm_ridge_pairs_large_c_with_small_gamma():
    p = bs.get_problem("hp_svm")
    gamma = np.logspace(-4, 1, 301)

    def best_gamma(c):
        X = np.column_stack([np.full_like(gamma, c), gamma]
                            + [np.full_like(gamma, v) for v in (0, 3, 0, 0)])  # rbf kernel
        return gamma[np.argmin(p.evaluate(X))]

    assert best_gamma(1e3) < best_gamma(1e2) / 5 < best_gamma(1.0) / 25


def test_forest_is_led_by_max_features_and_ignores_trees():
    t = bs.get_problem("hp_forest").truth
    names = bs.get_problem("hp_forest").space.names
    assert names[int(np.argmax(t.total))] == "max_features"
    assert t.total[names.index("n_estimators")] < 0.01


def test_integer_log_and_weighted_categorical_are_used():
    kinds = {(name, type(dist).__name__, getattr(dist, "log", None))
             for name in NAMES for dist in bs.get_problem(name).space.dists}
    assert any(k[1] == "Integer" and k[2] for k in kinds)
    assert any(k[1] == "Ordinal" for k in kinds) and any(k[1] == "LogUniform" for k in kinds)
    opt = bs.get_problem("hp_mlp").space["optimizer"]
    assert len(set(opt.weights)) == opt.weights.size


def test_hp_noise_option():
    clean = bs.get_problem("hp_svm")
    noisy = bs.get_problem("hp_svm", noise=0.1)
    assert noisy.truth is clean.truth
    X = clean.space.sample(40000, np.random.default_rng(0))
    residual = noisy.evaluate(X, rng=np.random.default_rng(1)) - clean.evaluate(X)
    assert abs(residual.std() / (0.1 * clean.output_std) - 1) < 0.03
