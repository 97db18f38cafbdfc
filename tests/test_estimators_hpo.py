"""Estimators of what tuning asks (``ped_anova``, ``marginal``, ``ablation``), the default a
Space carries, and the local truth for each gamma: each checked against a brute-force
recomputation on a small grid, for conformance, and scored against its own truth."""
import itertools

import numpy as np
import pytest
from scipy import stats

import benchsens as bs
from benchsens.problems.real_grid import LOCAL_GAMMAS, grid_truth
from benchsens.scoring import ranked_truth
from benchsens.space import Categorical, Ordinal, Space, Uniform
from benchsens.testing import check_estimator

NEW = ["ped_anova", "marginal", "ablation"]


def _full_grid(p):
    """Every configuration of a grid problem once (level positions and values), and its value."""
    cfg = np.array(list(itertools.product(*[range(d.levels.size) for d in p.space.dists])))
    X = np.column_stack([d.levels[cfg[:, j]] for j, d in enumerate(p.space.dists)])
    return cfg, X, p.evaluate(X)


def _local_first_by_brute_force(X, y, weights_of, gamma):
    """S1 of the top-gamma indicator by enumerating levels (``X``: level positions): the
    threshold is the smallest value whose weighted share of configurations reaches gamma."""
    w = np.prod([weights_of[j][X[:, j]] for j in range(X.shape[1])], axis=0)
    threshold = min(v for v in y if w[y <= v].sum() >= gamma - 1e-12)
    b = (y <= threshold).astype(float)
    mean = np.sum(w * b)
    var = np.sum(w * (b - mean) ** 2)
    out = []
    for j in range(X.shape[1]):
        cond = [np.sum(w[X[:, j] == lv] * b[X[:, j] == lv]) / w[X[:, j] == lv].sum() for lv in np.unique(X[:, j])]
        probs = [w[X[:, j] == lv].sum() for lv in np.unique(X[:, j])]
        out.append(sum(p * (c - mean) ** 2 for p, c in zip(probs, cond)) / var)
    return np.array(out), threshold


# ------------------------------------------------------------------ truth and Space default
def test_local_truth_for_each_gamma_by_brute_force_on_a_weighted_grid():
    rng = np.random.default_rng(4)
    space = Space({"a": Ordinal([1, 2, 3], weights=[0.2, 0.5, 0.3]), "b": Categorical(["x", "y", "z", "w"]),
                   "c": Ordinal([0, 1], weights=[0.7, 0.3])})
    table = rng.normal(size=(3, 4, 2)) + np.arange(3)[:, None, None]
    truth = grid_truth(space, table[..., None], (0, 0, 0), source="test")
    assert sorted(truth.extras["local"]) == list(LOCAL_GAMMAS) == [0.1, 0.25]
    X = np.array(list(itertools.product(range(3), range(4), range(2))))
    y = table[tuple(X.T)]
    for gamma in LOCAL_GAMMAS:
        first, threshold = _local_first_by_brute_force(X, y, [d.weights for d in space.dists], gamma)
        np.testing.assert_allclose(truth.extras["local"][gamma]["first"], first, atol=1e-12)
        assert truth.extras["local"][gamma]["threshold"] == threshold
        np.testing.assert_allclose(ranked_truth(truth, "local", gamma)[0], first, atol=1e-12)
    assert ranked_truth(truth, "local", 0.2) is None  # no truth for another quantile


def test_space_default_and_its_fallback():
    space = Space({"u": Uniform(0.0, 4.0), "c": Categorical(["a", "b"]), "o": Ordinal([1, 2, 3])})
    np.testing.assert_array_equal(space.default_point(), [2.0, 0.0, 2.0])  # medians, first choice
    given = Space(dict(space.items()), default={"u": 1.0, "c": 1, "o": 3})
    np.testing.assert_array_equal(given.default_point(), [1.0, 1.0, 3.0])
    assert given != space and "default=" in repr(given)
    with pytest.raises(ValueError, match=r"Space default o=4 is outside Ordinal"):
        Space(dict(space.items()), default={"u": 1.0, "c": 1, "o": 4})
    with pytest.raises(ValueError, match=r"must map every parameter \['u', 'c', 'o'\] to a value, got \['u'\]"):
        Space(dict(space.items()), default={"u": 1.0})


def test_real_grids_carry_their_recorded_default():
    p = bs.get_problem("knn_diabetes")
    x0 = p.space.default_point()[None, :]
    assert p.evaluate(x0)[0] == p.truth.extras["default_value"]
    assert p.with_noise("replicate").space == p.space


# ------------------------------------------------------------------ brute force
@pytest.mark.parametrize("gamma", LOCAL_GAMMAS)
def test_ped_anova_on_the_whole_grid_is_the_local_truth(gamma):
    p = bs.get_problem("knn_diabetes")  # uniform level weights: the grid once is the prior
    cfg, X, y = _full_grid(p)
    est = bs.get_estimator("ped_anova", gamma=gamma).analyze(bs.Design.from_sample(p.space, X), y)
    first, _ = _local_first_by_brute_force(cfg, y, [d.weights for d in p.space.dists], gamma)
    np.testing.assert_allclose(est.importance, first, atol=1e-12)
    np.testing.assert_allclose(est.importance, p.truth.extras["local"][gamma]["first"], atol=1e-12)
    assert est.target == "local" and est.extras["gamma"] == gamma


def test_ped_anova_is_the_correlation_ratio_of_the_top_indicator_on_cells():
    """m / (1 - m) times the Pearson divergence is the between-cell variance of the indicator
    over its variance, computed here cell by cell (continuous inputs: equal-probability bins)."""
    space = Space({"u": Uniform(-1.0, 1.0), "v": bs.space.LogUniform(1e-3, 1.0), "k": Ordinal([1, 2, 4])})
    rng = np.random.default_rng(1)
    X = space.sample(300, rng)
    y = X[:, 0] ** 2 + 0.3 * np.log(X[:, 1]) + 0.1 * X[:, 2] + 0.2 * rng.normal(size=300)
    design = bs.Design.from_sample(space, X)
    est = bs.get_estimator("ped_anova", gamma=0.25, n_bins=5).analyze(design, y)
    b = (y <= np.sort(y)[int(np.ceil(0.25 * 300)) - 1]).astype(float)
    cells = [np.floor(design.U[:, 0] * 5), np.floor(design.U[:, 1] * 5), X[:, 2]]
    expect = [sum(np.mean(c == v) * (b[c == v].mean() - b.mean()) ** 2 for v in np.unique(c)) / b.var()
              for c in cells]
    np.testing.assert_allclose(est.importance, expect, rtol=1e-12)
    assert est.importance[0] > est.importance[2]


def _exact_surrogate(name):
    """Extra-trees without bootstrap and with leaves of one point reproduce every given point."""
    return bs.get_estimator(name, forest="extra_trees", n_trees=8)


def test_marginal_on_the_whole_grid_is_the_marginal_truth():
    p = bs.get_problem("knn_diabetes")
    _, X, y = _full_grid(p)
    est = _exact_surrogate("marginal").analyze(bs.Design.from_sample(p.space, X), y)
    x0 = p.space.default_point()
    f0 = p.evaluate(x0[None, :])[0]
    expect = []
    for j in range(p.d):  # others at the default, x_j over its levels
        line = np.all(np.delete(X, j, axis=1) == np.delete(x0, j), axis=1)
        expect.append(f0 - y[line].min())
    np.testing.assert_allclose(est.importance, expect, rtol=1e-12)
    np.testing.assert_allclose(est.importance, p.truth.extras["marginal"], rtol=1e-12)


def test_ablation_on_the_whole_grid_is_the_ablation_truth():
    p = bs.get_problem("knn_diabetes")
    _, X, y = _full_grid(p)
    est = _exact_surrogate("ablation").analyze(bs.Design.from_sample(p.space, X), y)
    x, best = p.space.default_point(), X[np.argmin(y)]
    order, gains, todo = [], [], [j for j in range(p.d) if x[j] != best[j]]
    while todo:  # greedy: flip the parameter whose incumbent value lowers the loss most
        trials = []
        for j in todo:
            t = x.copy()
            t[j] = best[j]
            trials.append(p.evaluate(t[None, :])[0])
        k = int(np.argmin(trials))
        gains.append(p.evaluate(x[None, :])[0] - trials[k])
        x[todo[k]] = best[todo[k]]
        order.append(p.space.names[todo.pop(k)])
    assert est.extras["order"] == order == list(p.truth.extras["ablation"]["order"])
    np.testing.assert_allclose(est.extras["gains"], gains, rtol=1e-12)
    np.testing.assert_allclose(est.extras["gain_by_parameter"], p.truth.extras["ablation"]["gain_by_parameter"],
                               rtol=1e-12)


# ------------------------------------------------------------------ conformance and scoring
@pytest.mark.parametrize("name", NEW)
def test_conformance(name):
    check_estimator(name)


@pytest.mark.parametrize("name, truth_of", [
    ("ped_anova", lambda t: t.extras["local"][0.1]["first"]),
    ("marginal", lambda t: t.extras["marginal"]),
    ("ablation", lambda t: t.extras["ablation"]["gain_by_parameter"]),
    ("hsic.goal", lambda t: t.extras["local"][0.1]["first"]),
    ("optuna.ped_anova", lambda t: t.extras["local"][0.1]["first"]),
])
def test_scored_against_the_truth_of_its_target(name, truth_of):
    p = bs.get_problem("knn_diabetes")
    est = bs.estimate(p, name, budget=200, seed=0, regime="random")
    s = bs.score(est, p.truth)
    truth = np.asarray(truth_of(p.truth), float)
    assert len(set(truth)) == truth.size  # no ties: the score is the plain Spearman correlation
    assert s["spearman"] == pytest.approx(stats.spearmanr(est.importance, truth).statistic)
    other = bs.get_problem("ishigami")  # no tuning truths there: NaN, never another truth
    assert np.isnan(bs.score(bs.estimate(other, name, budget=200, seed=0, regime="random"), other.truth)["spearman"])


@pytest.mark.parametrize("gamma", LOCAL_GAMMAS)
def test_ped_anova_ranks_like_the_local_truth_with_enough_points(gamma):
    p = bs.get_problem("knn_diabetes")
    est = bs.estimate(p, bs.get_estimator("ped_anova", gamma=gamma), budget=4000, seed=1, regime="random")
    assert bs.score(est, p.truth)["spearman"] == 1.0
