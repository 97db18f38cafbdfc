"""The puy2022 reproduction: the suite (generated from a seed), the metafunction's input
laws (exact truth checked by Monte Carlo), the paper's measures and the report."""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import benchsens as bs
from benchsens.harness import load_spec, run_sweep
from benchsens.problems.families import METAFUNCTION_DISTRIBUTIONS, METAFUNCTION_LAWS
from benchsens.reports import puy2022 as rep
from benchsens.store import export
from benchsens.testing import assert_truth_matches

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_puy2022_suite", ROOT / "scripts" / "make_puy2022_suite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the suite ----------------------------------------------------------------------------------
def test_committed_suite_is_the_scripts_output():
    script = _script()
    assert (ROOT / "benchsens" / "suites" / "puy2022.toml").read_text(encoding="utf-8") == script.suite_text()


def test_design_is_reproducible_from_its_seed_and_in_the_papers_ranges():
    script = _script()
    rows = script.design(64, seed=5)
    assert rows == script.design(64, seed=5)
    assert rows != script.design(64, seed=6)
    assert len({tuple(sorted(r.items())) for r in rows}) == 64
    assert all(3 <= r["d"] <= 99 and 1 <= r["seed"] <= 199 for r in rows)
    assert all(0.3 <= r["k2"] <= 0.5 and 0.1 <= r["k3"] <= 0.3 for r in rows)
    assert {r["distribution"] for r in rows} == set(METAFUNCTION_DISTRIBUTIONS) == set(script.LAWS)
    with pytest.raises(ValueError, match="rows"):
        script.design(0, seed=1)


def test_suite_loads_with_every_estimator_under_both_samplings():
    spec = load_spec("suite:puy2022")
    script = _script()
    assert len(spec.problems) == script.DEFAULT_ROWS and spec.below_minimum == "skip"
    assert len(spec.estimators) == 2 * len(script.ESTIMATORS)
    assert {e.options["sampling"] for e in spec.estimators} == {"random", "sobol"}
    assert max(spec.budgets) == 1000


# -- the metafunction's input laws --------------------------------------------------------------
@pytest.mark.parametrize("distribution", METAFUNCTION_DISTRIBUTIONS)
def test_metafunction_law_truth_matches_monte_carlo(distribution):
    p = bs.get_problem("metafunction", d=5, seed=3, k2=1.0, k3=0.6, dummy_fraction=0.2,
                       distribution=distribution)
    assert p.truth.kind == "exact" and p.params["distribution"] == distribution
    assert_truth_matches(p, n=100_000, seed=1)


def test_law_quantiles_and_densities_match_scipy():
    u = np.linspace(0.001, 0.999, 201)
    tn = stats.truncnorm(-0.5 / 0.15, 0.5 / 0.15, loc=0.5, scale=0.15)
    ln = stats.norm(0, 3.16)
    reference = {"uniform": stats.uniform(), "normal": tn, "beta_8_2": stats.beta(8, 2),
                 "beta_2_8": stats.beta(2, 8), "beta_2_0.8": stats.beta(2, 0.8), "beta_0.8_2": stats.beta(0.8, 2)}
    for law, (quantile, pdf) in METAFUNCTION_LAWS.items():
        if law == "logitnormal":
            np.testing.assert_allclose(quantile(u), special.expit(ln.ppf(u)), rtol=1e-10)
        else:
            np.testing.assert_allclose(quantile(u), reference[law].ppf(u), rtol=1e-8, atol=1e-12)
        x = quantile(u[::20])
        dens = np.array([pdf(float(v)) for v in x])
        if law != "logitnormal":
            np.testing.assert_allclose(dens, reference[law].pdf(x), rtol=1e-8)
        assert integrate.quad(pdf, 0, 1, limit=200)[0] == pytest.approx(1.0, abs=1e-8)


def test_uniform_law_is_the_old_metafunction_and_laws_keep_the_terms():
    base = bs.get_problem("metafunction", d=9, seed=4)
    same = bs.get_problem("metafunction", d=9, seed=4, distribution="uniform")
    mixed = bs.get_problem("metafunction", d=9, seed=4, distribution="mixed")
    X = np.random.default_rng(0).random((50, 9))
    np.testing.assert_array_equal(base.evaluate(X), same.evaluate(X))
    np.testing.assert_array_equal(base.truth.total, same.truth.total)
    assert mixed.func.shapes == base.func.shapes and mixed.func.supports == base.func.supports
    assert len(set(mixed.func.laws)) > 1
    with pytest.raises(ValueError, match="distribution"):
        bs.get_problem("metafunction", d=3, distribution="gamma")


# -- the paper's measures -----------------------------------------------------------------------
def test_savage_scores_by_hand():
    np.testing.assert_allclose(rep.savage_scores([3.0, 1.0, 2.0]), [1 + 1 / 2 + 1 / 3, 1 / 3, 1 / 2 + 1 / 3])
    # ties share the mean score of their ranks; the scores always sum to k
    np.testing.assert_allclose(rep.savage_scores([1.0, 1.0, 0.0]), [(11 / 6 + 5 / 6) / 2] * 2 + [1 / 3])
    x = np.random.default_rng(1).random(17)
    assert rep.savage_scores(x).sum() == pytest.approx(17)


def test_measures_of_perfect_reversed_and_offset_estimates():
    truth = np.array([0.5, 0.3, 0.1, 0.0, 0.0])
    assert rep.savage_correlation(truth, truth) == pytest.approx(1.0)
    assert rep.kendall_tau(truth, truth) == pytest.approx(1.0)
    assert rep.savage_correlation(truth[::-1], truth) < 0
    assert rep.mae(truth + 0.1, truth) == pytest.approx(0.1)
    assert math.isnan(rep.savage_correlation(np.zeros(5), truth))
    # r weighs the top: swapping the two largest costs more than swapping the two smallest
    top = np.array([0.3, 0.5, 0.1, 0.05, 0.0])
    bottom = np.array([0.5, 0.3, 0.1, 0.0, 0.05])
    truth = np.array([0.5, 0.3, 0.1, 0.05, 0.0])
    assert rep.savage_correlation(top, truth) < rep.savage_correlation(bottom, truth)


def test_best_counts_split_ties_and_use_complete_scenarios_only():
    m = pd.DataFrame({
        "scenario": ["s1", "s1", "s2", "s2", "s3"],
        "estimator": ["A", "B", "A", "B", "A"],
        "r_savage": [0.9, 0.9, 0.5, 0.8, 1.0],
        "kendall_tau": [0.8, 0.7, 0.1, 0.2, 1.0],
        "mae": [0.1, 0.2, 0.3, 0.1, 0.0],
    })
    complete = rep.complete_scenarios(m)
    assert set(complete["scenario"]) == {"s1", "s2"}
    best = rep.best_counts(complete)
    assert best.loc["A", "r_savage"] == pytest.approx(0.25) and best.loc["B", "r_savage"] == pytest.approx(0.75)
    assert best.loc["A", "mae"] == pytest.approx(0.5) and best["kendall_tau"].sum() == pytest.approx(1.0)


# -- the report from a small store --------------------------------------------------------------
def test_report_from_a_small_sweep(tmp_path):
    script = _script()
    spec = {
        "name": "puy2022-mini", "budgets": [300], "seeds": [0], "timeout": 120, "below_minimum": "skip",
        "problems": [{"name": "metafunction", "params": row} for row in
                     ({"d": 4, "seed": 2, "k2": 0.4, "k3": 0.2, "dummy_fraction": 0.1, "distribution": "mixed"},
                      {"d": 6, "seed": 9, "k2": 0.3, "k3": 0.3, "dummy_fraction": 0.1, "distribution": "normal"})],
        "estimators": [{"name": name, "options": {**options, "sampling": "random"}}
                       for name, options in script.ESTIMATORS],
    }
    store = tmp_path / "mini.sqlite"
    run_sweep(spec, store=store, workers=1, progress=False, summary=False)
    readme = rep.build_puy2022(store, tmp_path / "report")
    text = readme.read_text()
    assert "Our conclusion next to the paper's" in text and "Razavi" in text
    for name in ("measures", "best_share", "comparison"):
        assert (tmp_path / "report" / "tables" / f"puy2022_{name}.md").is_file()
    assert (tmp_path / "report" / "figures" / "puy2022_measures_boxplot.png").stat().st_size > 1000
    comp = pd.read_csv(tmp_path / "report" / "tables" / "puy2022_comparison.csv")
    assert set(comp["estimator"]) == set(rep.PAPER)
    best = pd.read_csv(tmp_path / "report" / "tables" / "puy2022_best_share.csv")
    assert best["r_savage"].sum() == pytest.approx(1.0)
    # the CSV export gives the same tables
    export(store, tmp_path / "mini.csv")
    rep.build_puy2022(tmp_path / "mini.csv", tmp_path / "from_csv")
    for name in ("measures", "best_share", "comparison"):
        assert (tmp_path / "from_csv" / "tables" / f"puy2022_{name}.csv").read_text() == \
            (tmp_path / "report" / "tables" / f"puy2022_{name}.csv").read_text()
