"""Conditional spaces (issue 15 item 5): Space conditions, the conditional hp-like surfaces
and their truths (Monte Carlo on design points only, finer quadrature), and estimators on
conditional spaces."""

import numpy as np
import pytest

import benchsens as bs
from benchsens._pipeline import run
from benchsens.harness.cells import problem_fingerprint
from benchsens.problems.hplike import SURFACES, quadrature_truth
from benchsens.testing import assert_truth_matches, check_estimator, conditional_problem, pick_freeze
from test_conformance import _Correlation

CONDITIONAL = ["hp_sgd", "hp_svm_kernel"]
# child -> (parent, parent codes where the child is active), read off the docstrings
DECLARED = {"hp_sgd": {"momentum": ("optimizer", (0.0,))},
            "hp_svm_kernel": {"gamma": ("kernel", (1.0, 2.0)), "degree": ("kernel", (2.0,))}}


def _params():
    return {"k": bs.Categorical(["lin", "rbf", "poly"]), "g": bs.LogUniform(1e-3, 1.0),
            "deg": bs.Integer(2, 5), "c": bs.Uniform(0.0, 1.0), "b": bs.Ordinal([16, 32, 64])}


def _chain(**kw):
    """k -> deg -> c is a chain; g depends on k."""
    return bs.Space(_params(), conditions={"g": ("k", ["rbf", "poly"]), "deg": ("k", ["poly"]),
                                           "c": ("deg", [4, 5])}, **kw)


# ---------------------------------------------------------------- Space conditions


@pytest.mark.parametrize("conditions, match", [
    ({"zz": ("k", ["lin"])}, "condition on unknown parameter 'zz'"),
    ({"g": ("zz", ["lin"])}, "unknown parent 'zz'"),
    ({"deg": ("deg", [2])}, "'deg': a parameter cannot be its own parent"),
    ({"deg": ("g", [0.1])}, r"parent 'g' ~ LogUniform\(0.001, 1.0\) must be discrete"),
    ({"g": ("k", ["sigmoid"])}, "'sigmoid' is not a choice of 'k'"),
    ({"g": ("k", [1])}, "1 is not a choice of 'k'"),  # a code is not a choice label
    ({"c": ("deg", [7])}, "7 is not a level of 'deg'"),
    ({"c": ("b", [20])}, "20 is not a level of 'b'"),
    ({"g": ("k", [])}, "values must be a non-empty list of choices of 'k', got \\[\\]"),
    ({"g": ("k", "rbf")}, "values must be a non-empty list of choices of 'k', got 'rbf'"),
    ({"g": "k"}, r"condition of 'g' must be a pair \(parent, values\), got 'k'"),
    ({"k": ("deg", [2]), "deg": ("k", ["poly"])}, "cycle: k -> deg -> k"),
    ({"k": ("b", [16]), "b": ("deg", [2]), "deg": ("k", ["lin"])}, "cycle: k -> b -> deg -> k"),
    (["g"], "must be a mapping child -> \\(parent, values\\)"),
])
def test_bad_conditions_name_the_value(conditions, match):
    with pytest.raises(ValueError, match=match):
        bs.Space(_params(), conditions=conditions)


def test_conditions_are_normalised_and_read_only():
    space = _chain()
    assert space.is_conditional and not bs.Space(_params()).is_conditional
    assert dict(space.conditions) == {"g": ("k", (1.0, 2.0)), "deg": ("k", (2.0,)), "c": ("deg", (4.0, 5.0))}
    with pytest.raises(TypeError):
        space.conditions["b"] = ("k", (0.0,))
    # values are sorted and de-duplicated codes
    again = bs.Space(_params(), conditions={"g": ("k", ["poly", "rbf", "poly"])})
    assert again.conditions["g"] == ("k", (1.0, 2.0))


def test_active_resolves_chains():
    space = _chain()
    # columns k, g, deg, c, b; k codes lin=0, rbf=1, poly=2
    X = np.array([[0, 0.1, 5, 0.5, 16],   # linear: g, deg and c inactive
                  [1, 0.1, 5, 0.5, 16],   # rbf: g active, deg (and so c) inactive
                  [2, 0.1, 3, 0.5, 32],   # poly, degree 3: c inactive
                  [2, 0.1, 4, 0.5, 64]])  # poly, degree 4: everything active
    expected = np.array([[1, 0, 0, 0, 1], [1, 1, 0, 0, 1], [1, 1, 1, 0, 1], [1, 1, 1, 1, 1]], bool)
    np.testing.assert_array_equal(space.active(X), expected)
    # the order of the conditions does not matter
    reordered = bs.Space(_params(), conditions={"c": ("deg", [4, 5]), "deg": ("k", ["poly"]),
                                                "g": ("k", ["rbf", "poly"])})
    np.testing.assert_array_equal(reordered.active(X), expected)
    assert reordered == space
    np.testing.assert_array_equal(bs.Space(_params()).active(X), np.ones_like(expected))


def test_fix_inactive_uses_the_default_point():
    X = np.array([[0, 0.1, 5, 0.9, 16], [2, 0.2, 5, 0.9, 32], [2, 0.2, 3, 0.9, 64]])
    for space in (_chain(), _chain(default={"k": 1, "g": 0.5, "deg": 2, "c": 0.25, "b": 64})):
        fixed_value = space.default_point()
        before = X.copy()
        fixed = space.fix_inactive(X)
        np.testing.assert_array_equal(X, before)  # a copy
        active = space.active(X)
        np.testing.assert_array_equal(fixed[active], X[active])
        np.testing.assert_array_equal(fixed, np.where(active, X, fixed_value))
        np.testing.assert_array_equal(space.active(fixed), active)
        np.testing.assert_array_equal(space.fix_inactive(fixed), fixed)  # idempotent
    # without a default: median of a continuous input, median level, first choice
    np.testing.assert_allclose(_chain().default_point(), [0.0, np.sqrt(1e-3), 4.0, 0.5, 32.0])


def test_from_unit_and_sample_fix_inactive_entries_only():
    space, plain = _chain(), bs.Space(_params())
    U = np.random.default_rng(0).random((5000, 5))
    X, raw = space.from_unit(U), plain.from_unit(U)
    active = space.active(X)
    np.testing.assert_array_equal(active, space.active(raw))
    np.testing.assert_array_equal(X[active], raw[active])
    np.testing.assert_array_equal(X, np.where(active, raw, space.default_point()))
    assert 0.1 < (~active).mean() < 0.9
    np.testing.assert_array_equal(space.sample(50, np.random.default_rng(1)),
                                  space.fix_inactive(plain.sample(50, np.random.default_rng(1))))
    # design points round-trip; validate accepts any in-support value where inactive
    np.testing.assert_allclose(space.from_unit(space.to_unit(X)), X, rtol=1e-12)
    np.testing.assert_array_equal(space.validate(raw), raw)


def test_unconditional_spaces_are_unchanged():
    plain = bs.Space(_params())
    assert "conditions" not in repr(plain)
    assert plain == bs.Space(_params(), conditions={}) == bs.Space(_params(), conditions=None)
    assert repr(bs.Space(_params(), conditions={})) == repr(plain)
    U = np.random.default_rng(2).random((100, 5))
    manual = np.column_stack([dist.from_unit(U[:, j]) for j, dist in enumerate(plain.dists)])
    np.testing.assert_array_equal(plain.from_unit(U), manual)


def test_conditional_spaces_pickle_and_copy():
    import copy
    import pickle

    space = _chain()
    for clone in (pickle.loads(pickle.dumps(space)), copy.deepcopy(space)):
        assert clone == space and repr(clone) == repr(space)
        X = space.sample(100, np.random.default_rng(0))
        np.testing.assert_array_equal(clone.active(X), space.active(X))


def test_repr_and_equality_include_conditions():
    space = _chain()
    assert "conditions={'g': ('k', ['rbf', 'poly'])" in repr(space)
    namespace = {name: getattr(bs, name) for name in ("Space", "Categorical", "LogUniform", "Integer",
                                                      "Uniform", "Ordinal")}
    assert eval(repr(space), namespace) == space
    assert space != bs.Space(_params())
    assert space != bs.Space(_params(), conditions={"g": ("k", ["rbf"]), "deg": ("k", ["poly"]),
                                                    "c": ("deg", [4, 5])})


def test_fingerprint_includes_conditions_only_when_present():
    cond = conditional_problem()
    plain = bs.Problem(cond.name, bs.Space(dict(cond.space.items())), cond._call, truth=None)
    same = bs.Problem(cond.name, bs.Space(dict(cond.space.items()), conditions={}), cond._call, truth=None)
    assert problem_fingerprint(plain) == problem_fingerprint(same)
    assert problem_fingerprint(plain) != problem_fingerprint(cond)


# ---------------------------------------------------------------- conditional surfaces


def test_conditional_surfaces_are_registered_and_declare_their_conditions():
    assert set(CONDITIONAL) <= set(bs.list_problems(tag="conditional"))
    for name in CONDITIONAL:
        p = bs.get_problem(name)
        assert {"hp-like", "conditional", f"d={p.d}"} <= set(p.tags)
        assert dict(p.space.conditions) == DECLARED[name]
        assert p.truth.kind == "exact" and "Gauss-Legendre" in p.truth.source


@pytest.mark.parametrize("name", CONDITIONAL)
def test_surfaces_ignore_inactive_values(name):
    p = bs.get_problem(name)
    rng = np.random.default_rng(3)
    plain = bs.Space(dict(p.space.items()))
    X = p.space.sample(20000, rng)
    other = plain.sample(len(X), rng)  # fresh values in every column
    active = p.space.active(X)
    y = p.evaluate(X)
    np.testing.assert_array_equal(p.evaluate(np.where(active, X, other)), y)
    # ... while fresh values of a conditional input where it is active move the output
    for child in p.space.conditions:
        j = p.space.names.index(child)
        X2 = X.copy()
        X2[active[:, j], j] = other[active[:, j], j]
        moved = X2[:, j] != X[:, j]
        assert np.all(p.evaluate(X2)[moved] != y[moved]) and moved.mean() > 0.1


@pytest.mark.parametrize("name", CONDITIONAL)
def test_conditional_inputs_matter_through_their_parent(name):
    t, names = bs.get_problem(name).truth, bs.get_problem(name).space.names
    for child, (parent, _) in DECLARED[name].items():
        j, k = names.index(child), names.index(parent)
        assert t.total[j] > 0.15 and t.second[j, k] > 0.01 and t.total[j] > t.first[j] + 0.1
        assert t.total[k] > t.first[k] + t.second[j, k] - 1e-12  # the parent's ST holds the child's effect


def _only_design_points(problem):
    """The problem, with a function that refuses any point holding a non-fixed inactive value."""
    space = problem.space

    def func(X):
        assert np.array_equal(space.fix_inactive(X), X), "a Monte Carlo point holds an inactive value"
        return problem._call(X)

    return bs.Problem(problem.name, space, func, problem.truth)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_truth_by_monte_carlo_on_design_points_fast(name):
    assert_truth_matches(_only_design_points(bs.get_problem(name)), n=10**5, seed=11)


@pytest.mark.slow
@pytest.mark.parametrize("name", CONDITIONAL)
def test_truth_by_monte_carlo_on_design_points(name):
    assert_truth_matches(_only_design_points(bs.get_problem(name)), n=10**6, seed=12)


@pytest.mark.parametrize("name", CONDITIONAL)
def test_swapping_natural_values_would_miss_the_conditional_effects(name):
    """Why Monte Carlo swaps the raw sampled values and fixes inactive entries after the swap:
    a pick-freeze that swaps already-fixed values leaves a child at its fixed value where a
    swap makes it active (or swaps in a fixed value), which is not the product distribution; its ST of the conditioned inputs
    is far from the truth while the proper one agrees."""
    p = bs.get_problem(name)
    n = 20000
    _, total, _, se_total = pick_freeze(p, n, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    A, B = p.space.sample(n, rng), p.space.sample(n, rng)
    fA = p.evaluate(A)
    var = np.var(np.concatenate([fA, p.evaluate(B)]))
    z_naive = []
    for child, (parent, _) in DECLARED[name].items():
        for j in (p.space.names.index(child), p.space.names.index(parent)):
            AB = A.copy()
            AB[:, j] = B[:, j]
            naive = 0.5 * np.mean((fA - p.evaluate(AB)) ** 2) / var
            assert abs(total[j] - p.truth.total[j]) < 4 * se_total[j]
            z_naive.append(abs(naive - p.truth.total[j]) / se_total[j])
    assert max(z_naive) > 10


@pytest.mark.parametrize("name", CONDITIONAL)
def test_truth_is_converged_in_the_quadrature(name):
    space_factory, func, nodes, _ = SURFACES[name]
    finer = quadrature_truth(space_factory(), func, {k: 2 * v for k, v in nodes.items()})
    truth = bs.get_problem(name).truth
    np.testing.assert_allclose(finer.first, truth.first, atol=1e-12)
    np.testing.assert_allclose(finer.total, truth.total, atol=1e-12)
    np.testing.assert_allclose(finer.second, truth.second, atol=1e-12)


def test_child_total_index_is_its_effect_averaged_over_the_parent():
    """README: ST of a conditional input = P(active) x (its total effect where active,
    the variance of that sub-surface) / the full variance. hp_sgd's momentum, recomputed on
    the SGD-only surface."""
    p = bs.get_problem("hp_sgd")
    j = p.space.names.index("momentum")
    params = dict(p.space.items())
    p_sgd = params["optimizer"].weights[0]
    params["optimizer"] = bs.Categorical(["sgd"])
    nodes = SURFACES["hp_sgd"][2]
    sgd_only = quadrature_truth(bs.Space(params), p._call, nodes)
    full = quadrature_truth(p.space, p._call, nodes)
    np.testing.assert_allclose(full.total[j] * full.variance,
                               p_sgd * sgd_only.total[j] * sgd_only.variance, rtol=1e-10)
    np.testing.assert_allclose(full.total[j], p.truth.total[j], rtol=1e-12)


# ---------------------------------------------------------------- estimators


class _RefusesConditions(_Correlation):
    """A given-data estimator that breaks on conditional spaces."""

    name = "test_refuses_conditions"

    def _analyze(self, design, y, gradient):
        if design.space.is_conditional:
            raise RuntimeError("conditional spaces are not supported")
        return super()._analyze(design, y, gradient)


def test_check_estimator_runs_a_conditional_space():
    with pytest.raises(AssertionError, match="on conformance_conditional raised RuntimeError: conditional"):
        check_estimator(_RefusesConditions())


def test_conditional_problem_has_a_chain_and_ignores_inactive_values():
    p = conditional_problem()
    assert p.space.conditions["z"][0] == "k" and p.space.conditions["k"][0] == "c"
    rng = np.random.default_rng(0)
    X = p.space.sample(2000, rng)
    active = p.space.active(X)
    assert active.all(0)[:2].all() and 0 < active[:, 3].mean() < active[:, 2].mean() < 1
    other = bs.Space(dict(p.space.items())).sample(len(X), rng)
    np.testing.assert_array_equal(p.evaluate(np.where(active, X, other)), p.evaluate(X))


@pytest.mark.parametrize("regime", ["random", "trace:random"])
def test_given_data_regimes_hold_fixed_inactive_values(regime):
    p = conditional_problem()
    result = run(p, bs.get_estimator("rank_s1"), 24, seed=3, regime=regime)
    X = result.design.X
    assert not p.space.active(X).all()
    np.testing.assert_array_equal(p.space.fix_inactive(X), X)
    np.testing.assert_array_equal(result.y, p.evaluate(X))


def test_with_default_keeps_the_conditions():
    space = bs.Space({"k": bs.Categorical(["a", "b"]), "x": bs.Ordinal([1.0, 2.0])},
                     conditions={"x": ("k", ["b"])})
    moved = space.with_default({"k": 1, "x": 2.0})
    assert moved.conditions == space.conditions and moved.default == {"k": 1.0, "x": 2.0}
    assert moved.from_unit(np.array([[0.0, 0.0]]))[0].tolist() == [0.0, 2.0]  # x inactive under k=a
