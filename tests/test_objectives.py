"""Several objectives: Pareto fronts, objective problems of real grids, the spec's objective axis."""
import numpy as np
import pytest
from test_problems_real import _pick_freeze_enumerated

import benchsens as bs
from benchsens.harness import plan_sweep
from benchsens.harness.spec import SpecError
from benchsens.pareto import DEFAULT_EPS, front_distance, pareto_front
from benchsens.problems import real_sklearn

TIMED = [n for n in real_sklearn.grid_names() if real_sklearn.read_meta(n).get("time_surface", True)]


# ---------------------------------------------------------------- brute force
def _front_brute(F):
    """O(n^2) definition: x is dominated when some z is <= in both and < in one."""
    le = np.all(F[None, :, :] <= F[:, None, :], axis=2)  # [x, z]: z no worse than x
    lt = np.any(F[None, :, :] < F[:, None, :], axis=2)
    return ~np.any(le & lt, axis=1)


def _distance_brute(F):
    span = F.max(axis=0) - F.min(axis=0)
    scaled = (F - F.min(axis=0)) / np.where(span > 0, span, 1)
    front = _front_brute(F)
    return np.array([max(0.0, min(max(scaled[i] - p) for p in scaled[front])) for i in range(len(F))])


@pytest.mark.parametrize("seed", range(6))
def test_front_and_distance_match_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    F = rng.integers(0, 6, size=(300, 2)).astype(float)  # many exact ties and duplicates
    np.testing.assert_array_equal(pareto_front(F), _front_brute(F))
    np.testing.assert_allclose(front_distance(F), _distance_brute(F), rtol=0, atol=1e-12)


def test_front_refuses_bad_input():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        pareto_front(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="row 1"):
        pareto_front([[0, 1], [np.nan, 2]])


# ---------------------------------------------------------------- grid objectives
@pytest.mark.parametrize("name", TIMED[:2])
def test_pareto_truths_recomputed_by_brute_force(name):
    """The indicators are rebuilt from table.csv's replicates by the O(n^2) front, and their
    Sobol' indices by enumerating pick-freeze pairs (no grid_anova)."""
    space, loss, seconds, _, _ = real_sklearn.load_grid(name)
    F = np.column_stack([loss.mean(-1).ravel(), np.log10(seconds).mean(-1).ravel()])
    off = (~_front_brute(F)).astype(float).reshape(loss.shape[:-1])
    far = (_distance_brute(F) > DEFAULT_EPS).astype(float).reshape(loss.shape[:-1])
    weights = [d.weights for d in space.dists]
    problem = bs.get_problem(name)
    for objective, table in (("pareto", off), ("pareto_eps", far)):
        truth = problem.with_objective(objective).truth
        first, total, _ = _pick_freeze_enumerated(table, weights)
        np.testing.assert_allclose(truth.first, first, atol=1e-10)
        np.testing.assert_allclose(truth.total, total, atol=1e-10)
        assert truth.kind == "exact" and "Pareto front" in truth.source


def test_log_time_is_log10_of_the_recorded_seconds_and_tames_the_tail():
    p = bs.get_problem("hpobench_mlp.credit_g")
    raw, log = p.with_objective("time"), p.with_objective("log_time")
    np.testing.assert_array_equal(log.replicates, np.log10(raw.replicates))
    assert log.truth.kind == "exact" and "log10" in log.truth.source

    def kurtosis(t):
        z = (t - t.mean()) / t.std()
        return float(np.mean(z**4))

    assert kurtosis(raw.table.ravel()) > 100 > 10 > kurtosis(log.table.ravel())


def test_objectives_are_symmetric_and_keep_the_noise():
    p = bs.get_problem("svc_digits", noise="replicate")
    assert p.objectives == ("loss", "time", "log_time", "pareto", "pareto_eps", "memory")
    assert p.with_objective("loss") is p
    log = p.with_objective("log_time")
    assert log.objective == "log_time" and log.noise == "replicate" and log.space == p.space
    assert log.with_objective("loss").objective == "loss" and "pareto" in log.objectives
    registered = bs.get_problem("svc_digits.log_time")
    assert registered.truth.total.tolist() == log.truth.total.tolist()
    assert registered.tags == log.tags and log.tags[-1] == "log_time" and p.tags[-1] == "loss"
    with pytest.raises(ValueError, match="one value per configuration: noise='replicate'"):
        p.with_objective("pareto")  # an indicator has no replicates to draw from
    with pytest.raises(KeyError, match="no objective 'speed'.*loss, time, log_time"):
        p.with_objective("speed")
    # knn_diabetes records memory, but every fit traces the same bytes: no memory objective
    assert bs.get_problem("knn_diabetes").objectives == ("loss",)
    assert "knn_diabetes.memory" not in bs.list_problems()
    assert bs.get_problem("ishigami").objectives == ()


def test_problem_objective_arguments_are_checked():
    space = bs.Space.unit(2)
    other = bs.Problem("b", space, lambda X: X[:, 1])
    with pytest.raises(ValueError, match="name this problem's own objective"):
        bs.Problem("a", space, lambda X: X[:, 0], objectives={"b": other})
    with pytest.raises(ValueError, match="other than its own"):
        bs.Problem("a", space, lambda X: X[:, 0], objective="a", objectives={"a": other})
    with pytest.raises(TypeError, match="objective 'b' must be a Problem"):
        bs.Problem("a", space, lambda X: X[:, 0], objective="a", objectives={"b": 3})
    wrong = bs.Problem("a", space, lambda X: X[:, 0], objective="a",
                       objectives={"b": lambda: bs.Problem("b", bs.Space.unit(3), lambda X: X[:, 0])})
    with pytest.raises(ValueError, match="same space"):
        wrong.with_objective("b")
    both = bs.Problem("a", space, lambda X: X[:, 0], objective="a", objectives={"b": other})
    noisy = both.with_noise(0.5)
    assert noisy.objectives == ("a", "b") and noisy.with_objective("b").noise == 0.5


# ---------------------------------------------------------------- the spec's objective axis
SPEC = {"name": "mo", "budgets": [60], "seeds": 2, "regimes": ["random"], "estimators": ["hsic"],
        "problems": [{"name": "svc_digits", "objectives": ["loss", "log_time", "pareto"]}]}


def test_objective_axis_expands_cells_and_keeps_own_objective_keys():
    _, cells, _ = plan_sweep(SPEC)
    assert len(cells) == 6
    by = {(c.objective, c.seed): c for c in cells}
    _, plain, _ = plan_sweep(dict(SPEC, problems=["svc_digits"]))
    assert {c.key for c in plain} == {by["", s].key for s in (0, 1)}  # "loss" is the problem itself
    assert {c.objective_name for c in cells} == {"loss", "log_time", "pareto"}
    assert by["pareto", 0].row()["objective"] == "pareto" and "[pareto]" in by["pareto", 0].label()
    assert len({c.key for c in cells}) == 6 and len({c.data_key for c in cells}) == 6
    assert by["pareto", 0].build_problem().objective == "pareto"
    # the top-level key applies to every problem without its own
    _, top, _ = plan_sweep(dict(SPEC, objectives=["log_time"], problems=["svc_digits", "mlp_digits"]))
    assert {(c.problem, c.objective) for c in top} == {("svc_digits", "log_time"), ("mlp_digits", "log_time")}


def test_an_objective_axis_on_a_registered_objective_name_is_refused():
    with pytest.raises(SpecError, match="'svc_digits.log_time' is objective 'log_time' of problem 'svc_digits'"):
        plan_sweep(dict(SPEC, problems=[{"name": "svc_digits.log_time", "objectives": ["loss"]}]))


@pytest.mark.parametrize("objectives, match", [
    (["speed"], "has no objective 'speed'"),
    ([], "expected a non-empty list"),
    (["loss", "loss"], "duplicate"),
    ([3], "objective names"),
])
def test_bad_objectives_are_named(objectives, match):
    with pytest.raises(SpecError, match=match):
        plan_sweep(dict(SPEC, problems=[{"name": "svc_digits", "objectives": objectives}]))


def test_objective_sweep_stores_the_objective_and_its_truth(tmp_path):
    store = tmp_path / "mo.sqlite"
    bs.run_sweep(SPEC, store=store)
    df = bs.load_results(store)
    assert sorted(df.objective.unique()) == ["log_time", "loss", "pareto"] and (df.status == "ok").all()
    problem = bs.get_problem("svc_digits")
    for objective, group in df.groupby("objective"):
        truth = problem.with_objective(objective).truth.total
        assert all(np.allclose(t, truth) for t in group.truth_total)


def test_every_timed_grid_has_pareto_objectives_with_both_classes():
    for name in TIMED:
        for objective in ("pareto", "pareto_eps"):
            table = bs.get_problem(name).with_objective(objective).table
            assert 0 < table.mean() < 1, (name, objective)
    assert len(TIMED) >= 4


def test_objective_tables_drop_constant_objectives_but_never_the_loss():
    from benchsens.problems.real_grid import objective_tables

    rng = np.random.default_rng(0)
    loss, seconds = rng.random((3, 4, 2)), rng.random((3, 4, 2)) + 0.1
    tables = objective_tables(loss, seconds, memory=np.full((3, 4, 1), 0.5))
    assert list(tables) == ["loss", "time", "log_time", "pareto", "pareto_eps"]
    assert list(objective_tables(np.ones((3, 4, 2)))) == ["loss"]
    np.testing.assert_array_equal(tables["log_time"][0], np.log10(seconds))
