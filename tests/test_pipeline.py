"""The one pipeline: a stored cell is bs.estimate on the same identity (extras, charged
evaluations and scores included), and bad API input gets one line naming the argument."""
from __future__ import annotations

import json

import numpy as np
import pytest

import benchsens as bs
from benchsens.harness import plan_sweep, run_sweep
from benchsens.harness.cells import _json


def _same(stored, direct):
    if direct is None:
        return stored is None
    return np.array_equal(np.asarray(stored, float), np.asarray(direct, float))


def test_stored_cell_equals_bs_estimate_extras_included(tmp_path):
    spec = {"name": "same", "budgets": [256], "seeds": 2, "noise": [0.0, 0.2],
            "regimes": ["design", "random"], "below_minimum": "skip",
            "problems": ["ishigami"], "estimators": ["dgsm", "dgsm.oracle", "sobol", "rank_s1"]}
    _, cells, _ = plan_sweep(spec)
    by_key = {c.key: c for c in cells}
    df = run_sweep(spec, store=tmp_path / "s.sqlite", workers=1, progress=False, summary=False)
    ok = df[df.status == "ok"]
    assert len(ok) == len(cells) == 2 * 2 * (4 + 1)  # design: 4 estimators, random: rank_s1 only
    for row in ok.itertuples():
        cell = by_key[row.key]
        problem = bs.get_problem(row.problem, noise=row.noise, **row.params)
        direct = bs.estimate(problem, bs.get_estimator(row.estimator, **row.options), row.budget,
                             seed=cell.entropy, regime=row.regime)
        for field in ("importance", "first", "total"):
            assert _same(getattr(row, field), getattr(direct, field)), (row.estimator, field)
        assert row.estimate["extras"] == json.loads(_json(direct.extras)), row.estimator
        assert row.n_evals == direct.n_evals and row.target == direct.target
        assert row.tags == list(problem.tags) == ["analytic", "d=3"]  # for reports split by tag
        scores = bs.score(direct, problem.truth)
        assert row.spearman == scores["spearman"] and row.weighted_tau == scores["weighted_tau"]
    dgsm = ok[ok.estimator.str.startswith("dgsm")].set_index(["estimator", "seed", "noise"])
    # gradients are used, recorded, and charged except for the oracle
    assert all(e["extras"]["exact_gradient"] is True for e in dgsm.estimate)
    assert (dgsm.loc["dgsm"].n_evals <= 256).all() and (dgsm.loc["dgsm.oracle"].oracle).all()
    assert not dgsm.loc["dgsm"].oracle.any()


def test_given_data_regimes_and_their_errors():
    problem = bs.get_problem("ishigami")
    a = bs.estimate(problem, "rank_s1", 128, seed=5, regime="random")
    b = bs.estimate(problem, "rank_s1", 128, seed=5, regime="random")
    c = bs.estimate(problem, "rank_s1", 128, seed=6, regime="random")
    np.testing.assert_array_equal(a.importance, b.importance)
    assert not np.array_equal(a.importance, c.importance)
    with pytest.raises(ValueError, match=r"estimator 'sobol' analyses only its own design .* regime 'random'"):
        bs.estimate(problem, "sobol", 128, seed=5, regime="random")
    with pytest.raises(ValueError, match="regime must be one of design, random, .* got 'randm'"):
        bs.estimate(problem, "rank_s1", 128, regime="randm")


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": "abc"}, "seed must be a non-negative integer, got 'abc'"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"seed": 1.5}, "seed must be a non-negative integer, got 1.5"),
    ({"budget": float("nan")}, "budget must be a positive integer number of evaluations, got nan"),
    ({"budget": float("inf")}, "budget must be a positive integer number of evaluations, got inf"),
    ({"budget": -5}, "budget must be a positive integer number of evaluations, got -5"),
    ({"budget": 2.5}, "budget must be a positive integer number of evaluations, got 2.5"),
    ({"budget": True}, "budget must be a positive integer number of evaluations, got True"),
    ({"budget": 10**20}, "budget=100000000000000000000 is above the ceiling of 10000000 evaluations: its "
                         "design alone needs 4.47e+12 GiB"),
    ({"budget": 2048, "max_budget": 1024}, "budget=2048 is above the ceiling of 1024 evaluations"),
])
def test_bad_api_input_is_one_line_naming_the_argument(kwargs, message):
    kwargs = {"budget": 256, **kwargs}
    with pytest.raises(ValueError) as info:
        bs.estimate("ishigami", "sobol", **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_ceiling_states_the_memory_it_would_need():
    """n x d x 8 bytes x 2 (X and U), recomputed here: 10**8 points of 3 inputs are 4.8 GB."""
    with pytest.raises(ValueError) as info:
        bs.estimate("ishigami", "sobol", 10**8)
    assert f"{10**8 * 3 * 8 * 2 / 2**30:.3g} GiB" in str(info.value)
