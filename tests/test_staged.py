"""Staged-tuning regret (benchsens.staged): hand-checked on a 3-parameter grid, the exact
random-search expectation against brute-force enumeration, determinism, and the sharing of
one given-data sample (trace) by every estimator of a sweep, read back from the store."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import benchsens as bs
from benchsens.harness import run_sweep
from benchsens.problems.real_grid import GridProblem, grid_truth
from benchsens.space import Ordinal, Space
from benchsens.staged import expected_best, grid_table, staged_regret, staged_scores


def _grid():
    """f(a, b, c) = 10 - 6a - 3b - c on {0, 1}^3 (equal weights), default (0, 0, 0): tuning a
    alone gains 6, b 3, c 1, so the marginal truth ranks a > b > c; f_default = 10, f_min = 0."""
    space = Space({"a": Ordinal([0, 1]), "b": Ordinal([0, 1]), "c": Ordinal([0, 1])})
    a, b, c = np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij")
    table = (10.0 - 6 * a - 3 * b - c)[..., None]
    return GridProblem("toy_grid", space, table, grid_truth(space, table, (0, 0, 0), "test"))


def test_regret_by_hand_on_a_three_parameter_grid():
    problem = _grid()
    assert problem.truth.extras["marginal"] == [6.0, 3.0, 1.0]
    # one trial of random search = the mean of the tuned sub-grid (incumbent 10 never wins):
    # true order a, b, c: {a}: (10+4)/2 = 7; {a,b}: (10+7+4+1)/4 = 5.5; all: 5  -> regret / 10
    # reversed order c, b, a: {c}: (10+9)/2 = 9.5; {c,b}: (10+9+7+6)/4 = 8; all: 5
    out = staged_regret(problem, [1.0, 2.0, 3.0], np.random.default_rng(0), "marginal", trials=1)
    assert out["order"] == ["c", "b", "a"] and out["order_true"] == ["a", "b", "c"]
    np.testing.assert_allclose(out["regret_at_k"]["random"], [0.95, 0.8, 0.5])
    np.testing.assert_allclose(out["regret_at_k_true"]["random"], [0.7, 0.55, 0.5])
    assert out["regret_auc"]["random"] == pytest.approx((0.95 + 0.8 + 0.5) / 3)
    assert out["regret_auc_true"]["random"] == pytest.approx((0.7 + 0.55 + 0.5) / 3)
    assert out["regret_all"]["random"] == pytest.approx(0.5)
    # two trials, {a}: min of two draws from {10, 4} is 10 with probability 1/4 -> 5.5
    two = staged_regret(problem, [3.0, 2.0, 1.0], np.random.default_rng(0), "marginal", trials=2)
    assert two["regret_at_k"]["random"][0] == pytest.approx(0.55)
    assert staged_scores(out) == {"regret_auc": out["regret_auc"]["random"],
                                  "regret_auc_true": out["regret_auc_true"]["random"],
                                  "regret_all": 0.5}


@pytest.mark.parametrize("n", [1, 2, 3])
def test_expected_best_equals_enumeration_of_all_trial_tuples(n):
    values = np.array([3.0, 1.0, 2.0, 1.0, 5.0])
    mass = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
    f0 = 2.5
    brute = sum(np.prod(mass[list(t)]) * min(f0, *values[list(t)])
                for t in itertools.product(range(values.size), repeat=n))
    assert expected_best(values, mass, f0, n) == pytest.approx(brute, rel=1e-12)


def test_deterministic_from_the_generator_and_tpe_runs():
    problem = _grid()
    flat = [1.0, 1.0, 1.0]  # every order is a tie: broken by the generator
    runs = [staged_regret(problem, flat, np.random.default_rng(7), "total", trials=4,
                          methods=("random", "tpe")) for _ in range(2)]
    assert runs[0] == runs[1]
    orders = {tuple(staged_regret(problem, flat, np.random.default_rng(s), "total")["order"]) for s in range(20)}
    assert len(orders) > 1
    tpe = runs[0]["regret_at_k"]["tpe"]
    assert all(0.0 <= r <= 1.0 for r in tpe)
    # k = d tunes every parameter for both rankings: the same (seeded) run
    assert tpe[-1] == runs[0]["regret_at_k_true"]["tpe"][-1]


def test_no_score_off_exact_finite_grids_and_clear_errors():
    rng = np.random.default_rng(0)
    assert staged_regret(bs.get_problem("hp_svm"), np.ones(bs.get_problem("hp_svm").d), rng) is None
    assert staged_regret(bs.get_problem("ishigami"), [1.0, 2.0, 3.0], rng) is None
    problem = _grid()
    with pytest.raises(ValueError, match="trials must be a positive integer, got 0"):
        staged_regret(problem, [1.0, 2.0, 3.0], rng, trials=0)
    with pytest.raises(ValueError, match="importance must be 3 finite numbers"):
        staged_regret(problem, [1.0, np.nan, 3.0], rng)
    with pytest.raises(ValueError, match="methods must be a non-empty subset"):
        staged_regret(problem, [1.0, 2.0, 3.0], rng, methods=("grid",))
    assert grid_table(problem).shape == (2, 2, 2)


@pytest.fixture(scope="module")
def hpo_store(tmp_path_factory):
    """A tiny sweep named like the hpo-v1 suite: one grid, two given-data estimators, two
    regimes, 100 trials, two seeds."""
    spec = {"name": "hpo-v1", "budgets": [100], "seeds": 2, "timeout": 120,
            "regimes": ["trace:tpe", "random"], "problems": ["knn_diabetes"],
            "estimators": ["rank_s1", "mdi"]}
    path = tmp_path_factory.mktemp("hpo") / "s.sqlite"
    return path, run_sweep(spec, store=path, workers=1, progress=False, summary=False)


def test_one_trace_per_data_key_shared_by_every_estimator(hpo_store):
    _, df = hpo_store
    assert (df["status"] == "ok").all() and len(df) == 8
    groups = df.groupby(["regime", "seed"])
    # same sample: the same recorded training seconds summed over it; drawn once: the seconds
    # its drawing took are stored unchanged for the second estimator
    assert (groups["cost"].nunique() == 1).all()
    assert (groups["plan_seconds"].nunique() == 1).all() and (groups["eval_seconds"].nunique() == 1).all()
    assert groups["cost"].first().groupby("regime").nunique().eq(2).all()  # seeds differ
    stored = df["estimate"].iloc[0]["staged"]
    assert len(stored["regret_at_k"]["random"]) == 3
    assert df["regret_auc"].notna().all() and df["regret_auc_true"].notna().all()
    # the stored score is the staged regret recomputed from the stored importance
    row = df.iloc[0]
    again = staged_regret(bs.get_problem("knn_diabetes"), row["importance"],
                          np.random.default_rng(0), row["target"])
    assert again["regret_auc_true"]["random"] == pytest.approx(row["regret_auc_true"])


def test_hpo_report_from_the_store(hpo_store, tmp_path):
    from benchsens.reports import build_report
    from benchsens.reports.hpo import build_hpo

    path, df = hpo_store
    page = build_hpo(path, tmp_path / "hpo")
    text = page.read_text()
    assert "Which estimator to trust after 100 TPE trials" in text
    assert (tmp_path / "hpo" / "figures" / "hpo_staged_regret.png").stat().st_size > 0
    staged = pd.read_csv(tmp_path / "hpo" / "tables" / "hpo_staged.csv").set_index("estimator")
    tpe = df[(df["regime"] == "trace:tpe") & (df["budget"] == 100)]
    for est, g in tpe.groupby("estimator"):
        assert staged.loc[est, "regret_auc"] == pytest.approx(g["regret_auc"].mean())
        assert staged.loc[est, "gap"] == pytest.approx((g["regret_auc"] - g["regret_auc_true"]).mean())
    best = staged["regret_auc"].idxmin()
    assert f"comes from **{best}**" in text
    build_report(path, tmp_path / "full")
    assert (tmp_path / "full" / "hpo.md").exists()
    assert "hpo.md" in (tmp_path / "full" / "index.html").read_text()
