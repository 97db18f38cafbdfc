"""bs.score on hand-checked cases, ties and degenerate truths/estimates, target-matched
ranking, near-ties of reference truths (on every registered problem)."""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

import benchsens as bs
from benchsens.scoring import RANKED_AGAINST, SCORE_KEYS, Z_TIE, ranked_truth


def _truth(total, first=None):
    total = np.asarray(total, float)
    return bs.GroundTruth(first=total if first is None else first, total=total,
                          kind="analytic", source="hand-made test case")


def _est(importance, first=None, total=None, n_evals=100, seconds=0.5, target="total", extras=None):
    names = [f"x{i}" for i in range(len(importance))]
    est = bs.Estimate(names=names, importance=np.asarray(importance, float), first=first,
                      total=total, n_evals=n_evals, seconds=seconds, extras=extras or {})
    est.target = target
    return est


def test_perfect_and_reversed_rankings():
    gt = _truth([0.5, 0.3, 0.15, 0.05])
    s = bs.score(_est([0.5, 0.3, 0.15, 0.05]), gt)
    assert set(s) == set(SCORE_KEYS)
    assert s["spearman"] == pytest.approx(1) and s["weighted_tau"] == pytest.approx(1)
    assert s["top_k"] == 1 and s["k"] == 4
    s = bs.score(_est([0.05, 0.15, 0.3, 0.5]), gt)
    assert s["spearman"] == pytest.approx(-1) and s["weighted_tau"] == pytest.approx(-1)


def test_hand_computed_spearman_and_weighted_tau():
    # ranks: estimate [4,2,3,1], truth [4,3,2,1] -> rho = 1 - 6*2/(4*15) = 0.8.
    # Weighted tau (hyperbolic weights 1/(r+1), additive): all pairs weigh
    # 3*(1+1/2+1/3+1/4) = 25/4, the one discordant pair (ranks 1 and 2) weighs 1/2+1/3 = 5/6
    # under both rankings -> tau = (25/4 - 2*5/6) / (25/4) = 11/15.
    s = bs.score(_est([3.0, 1.0, 2.0, 0.0]), _truth([0.4, 0.3, 0.2, 0.1]))
    assert s["spearman"] == pytest.approx(0.8)
    assert s["weighted_tau"] == pytest.approx(11 / 15)


def test_weighted_tau_weighs_top_ranks_most():
    gt = _truth([0.4, 0.3, 0.2, 0.1])
    swap_top = bs.score(_est([0.3, 0.4, 0.2, 0.1]), gt)
    swap_bottom = bs.score(_est([0.4, 0.3, 0.1, 0.2]), gt)
    assert swap_top["spearman"] == pytest.approx(swap_bottom["spearman"])
    assert swap_top["weighted_tau"] < swap_bottom["weighted_tau"]


def test_ties_in_truth_do_not_penalise_any_order():
    gt = _truth([0.6, 0.3, 0.0, 0.0, 0.0])
    for imp in ([0.5, 0.2, 0.01, 0.02, 0.0], [0.5, 0.2, 0.02, 0.0, 0.01]):
        s = bs.score(_est(imp), gt)
        assert s["spearman"] == pytest.approx(1) and s["weighted_tau"] == pytest.approx(1)
    # a truly important input ranked below an inert one is still penalised
    s = bs.score(_est([0.5, 0.0, 0.01, 0.02, 0.03]), gt)
    assert s["spearman"] < 0.9


def test_ties_in_estimate_get_partial_credit():
    gt = _truth([0.4, 0.3, 0.2, 0.1])
    s = bs.score(_est([1.0, 1.0, 0.0, 0.0]), gt)
    # average ranks [3.5,3.5,1.5,1.5] vs [4,3,2,1], centred [1,1,-1,-1] and
    # [1.5,.5,-.5,-1.5]: rho = 4 / sqrt(4 * 5) = 0.894427
    assert s["spearman"] == pytest.approx(4 / math.sqrt(20))
    assert 0 < s["weighted_tau"] < 1


def test_constant_truth_is_nan_constant_importance_is_zero():
    gt = _truth(total=[0.5, 0.5, 0.0], first=[0.0, 0.0, 0.0])  # purely interactive x1*x2
    s = bs.score(_est([0.4, 0.5, 0.0]), gt)
    assert math.isnan(s["spearman_first"]) and math.isnan(s["weighted_tau_first"])
    assert s["spearman"] > 0
    s = bs.score(_est([0.2, 0.2, 0.2]), gt)
    assert s["spearman"] == 0.0 and s["weighted_tau"] == 0.0
    assert math.isnan(s["spearman_first"])


def test_top_k_with_estimator_ties_is_expected_overlap():
    gt = _truth([0.5, 0.3, 0.1, 0.0])
    assert bs.score(_est([1.0, 1.0, 0.0, 0.0]), gt, k=1)["top_k"] == 0.5
    assert bs.score(_est([1.0, 0.0, 2.0, 0.0]), gt, k=2)["top_k"] == 0.5
    # default k = number of inputs with ST >= 0.05 = 3
    s = bs.score(_est([0.0, 1.0, 2.0, 3.0]), gt)
    assert s["k"] == 3 and s["top_k"] == pytest.approx(2 / 3)


def test_top_k_truth_ties_at_the_boundary_all_count():
    gt = _truth([0.5, 0.2, 0.2, 0.0])
    assert bs.score(_est([1.0, 0.0, 0.5, 0.0]), gt, k=2)["top_k"] == 1.0
    assert bs.score(_est([1.0, 0.5, 0.0, 0.0]), gt, k=2)["top_k"] == 1.0


def test_one_screening_rule_relative_to_the_largest_value():
    gt = _truth([0.5, 0.1, 0.2, 0.0])  # influential (>= 0.05 * 0.5): {0, 1, 2}
    s = bs.score(_est([10.0, 0.4, 2.0, 0.0]), gt)  # flagged (>= 0.5): {0, 2}
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(2 / 3)
    s = bs.score(_est([10.0, 0.4, 2.0, 0.0]), gt, threshold=0.01)  # flagged: {0, 1, 2}
    assert s["precision"] == 1.0 and s["recall"] == 1.0
    # the same rule whatever else the estimate reports, and whatever its scale
    s2 = bs.score(_est([1e6, 6e4, 2e5, 0.0], total=np.array([0.9, 0.0, 0.0, 0.5])), gt)
    assert s2["precision"] == 1.0 and s2["recall"] == 1.0
    # any importance proportional to ST is a perfect screen, even when max ST is small
    gt = _truth([0.2, 0.2, 0.2, 0.2, 0.2, 0.011, 0.0])
    s = bs.score(_est(3.0 * gt.total), gt)
    assert s["precision"] == 1.0 and s["recall"] == 1.0
    # the truth side is ST for every target (which inputs can be fixed)
    gt = _truth(total=[0.5, 0.5, 0.0], first=[0.0, 1e-3, 0.0])
    s = bs.score(_est([0.0, 1.0, 0.0], target="first"), gt)
    assert s["precision"] == 1.0 and s["recall"] == 0.5


def test_screening_vacuous_cases():
    s = bs.score(_est([0.0, 0.0, 0.0]), _truth([0.5, 0.3, 0.2]))
    assert s["precision"] == 1.0 and s["recall"] == 0.0
    s = bs.score(_est([1.0, 0.5, 0.0]), _truth([0.0, 0.0, 0.0]))  # nothing influential
    assert s["recall"] == 1.0 and s["precision"] == 0.0
    assert s["k"] == 3 and math.isnan(s["spearman"])


def test_value_errors_where_given():
    gt = _truth(total=[0.5, 0.3, 0.0], first=[0.2, 0.1, 0.0])
    s = bs.score(_est([1, 1, 0], first=np.array([0.25, 0.1, 0.1])), gt)
    assert s["mae_first"] == pytest.approx(0.05) and s["max_first"] == pytest.approx(0.1)
    assert math.isnan(s["mae_total"]) and math.isnan(s["max_total"])
    assert s["n_evals"] == 100 and s["seconds"] == 0.5


def test_no_truth_scores_cost_only():
    s = bs.score(_est([1.0, 2.0]), None)
    assert s["n_evals"] == 100 and s["seconds"] == 0.5
    assert all(math.isnan(s[k]) for k in ("spearman", "top_k", "precision", "mae_total"))


@pytest.mark.parametrize("kw, match", [
    (dict(threshold=0.0), "threshold"),
    (dict(k=0), "k must"),
    (dict(k=5), "k must"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        bs.score(_est([1.0, 2.0, 3.0]), _truth([0.1, 0.2, 0.3]), **kw)


def test_wrong_length_and_wrong_truth_type():
    with pytest.raises(ValueError, match="2 importances but the truth has 3"):
        bs.score(_est([1.0, 2.0]), _truth([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"estimate.total has shape \(2,\) but the truth has 3"):
        bs.score(_est([1.0, 2.0, 3.0], total=np.array([0.1, 0.2])), _truth([0.1, 0.2, 0.3]))
    with pytest.raises(TypeError, match="GroundTruth"):
        bs.score(_est([1.0, 2.0]), [0.1, 0.2])


def test_score_of_a_real_estimate_on_ishigami():
    p = bs.get_problem("ishigami")
    est = _est(p.truth.total + np.array([0.01, -0.01, 0.02]), total=p.truth.total + 0.01)
    s = bs.score(est, p.truth)
    assert s["spearman"] == 1 and s["top_k"] == 1 and s["recall"] == 1
    assert s["mae_total"] == pytest.approx(0.01)


# ---------------------------------------------------------------- target-matched ranking
def _rich_truth():
    """S1 and ST order the inputs differently; extras hold the hyperparameter notions."""
    return bs.GroundTruth(
        first=[0.1, 0.3, 0.0, 0.05], total=[0.6, 0.35, 0.2, 0.05], kind="exact", source="test",
        extras={"local": {"gamma": 0.1, "first": [0.0, 0.02, 0.3, 0.1], "total": [0.1, 0.1, 0.4, 0.2]},
                "marginal": [0.5, 0.0, 0.1, 0.2],
                "ablation": {"order": ["x0"], "gains": [0.3], "gain_by_parameter": [0.3, 0.1, 0.0, 0.2]}})


@pytest.mark.parametrize("target, ranking", [
    ("first", [0.1, 0.3, 0.0, 0.05]), ("total", [0.6, 0.35, 0.2, 0.05]),
    ("dependence", [0.6, 0.35, 0.2, 0.05]), ("derivative", [0.6, 0.35, 0.2, 0.05]),
    ("local", [0.0, 0.02, 0.3, 0.1]), ("marginal", [0.5, 0.0, 0.1, 0.2]),
    ("ablation", [0.3, 0.1, 0.0, 0.2]),
])
def test_ranked_against_the_truth_of_the_declared_target(target, ranking):
    gt = _rich_truth()
    s = bs.score(_est(np.array(ranking) * 7.0, target=target), gt)
    assert s["spearman"] == 1.0 and s["weighted_tau"] == pytest.approx(1.0) and s["top_k"] == 1.0
    values, _ = ranked_truth(gt, target)
    np.testing.assert_array_equal(values, ranking)
    # the S1 and ST columns are always there, whatever the target
    for label in ("first", "total"):
        assert s[f"spearman_{label}"] == (1.0 if RANKED_AGAINST[target] == label else
                                          pytest.approx(stats.spearmanr(ranking, getattr(gt, label))[0]))
        assert bs.score(_est(getattr(gt, label), target=target), gt)[f"spearman_{label}"] == 1.0


def test_first_target_is_not_ranked_against_total():
    gt = bs.get_problem("ishigami").truth
    s = bs.score(_est(gt.first, target="first"), gt)  # a perfect S1 estimate
    assert s["spearman"] == 1.0 == s["spearman_first"] and s["spearman_total"] == pytest.approx(0.5)
    s = bs.score(_est(gt.first, target="total"), gt)  # the same numbers claimed as ST
    assert s["spearman"] == pytest.approx(0.5)


def test_missing_matched_truth_gives_nan_not_another_truth():
    gt = _truth([0.5, 0.3, 0.2])
    for target in ("local", "marginal", "ablation"):
        s = bs.score(_est([0.5, 0.3, 0.2], target=target), gt)
        assert all(math.isnan(s[key]) for key in ("spearman", "weighted_tau", "top_k", "k")), target
        assert s["spearman_total"] == 1.0 and s["precision"] == 1.0
    # a local estimate of another quantile is not ranked against the gamma = 0.1 truth
    s = bs.score(_est([0.0, 0.02, 0.3, 0.1], target="local", extras={"gamma": 0.25}), _rich_truth())
    assert math.isnan(s["spearman"])
    s = bs.score(_est([0.0, 0.02, 0.3, 0.1], target="local", extras={"gamma": 0.1}), _rich_truth())
    assert s["spearman"] == 1.0


def test_local_truth_keyed_by_gamma():
    entry = {"first": [0.0, 0.5, 0.1]}
    gt = bs.GroundTruth(first=[0.1, 0.2, 0.3], total=[0.1, 0.2, 0.7], kind="exact", source="t",
                        extras={"local": {0.1: {**entry, "gamma": 0.1},
                                          0.25: {"first": [0.5, 0.0, 0.1], "gamma": 0.25}}})
    assert ranked_truth(gt, "local", 0.25)[0].tolist() == [0.5, 0.0, 0.1]
    assert ranked_truth(gt, "local", 0.1)[0].tolist() == [0.0, 0.5, 0.1]
    assert ranked_truth(gt, "local") is None  # two quantiles and no choice: no truth


def test_target_defaults_to_total_and_unknown_targets_are_refused():
    class Bare:  # an estimate object from before targets existed
        importance, first, total, n_evals, seconds = np.array([0.1, 0.3, 0.0, 0.05]), None, None, 1, 0.0

    s = bs.score(Bare(), _rich_truth())
    assert s["spearman"] == s["spearman_total"]
    with pytest.raises(ValueError, match="unknown estimate target 'guess'"):
        bs.score(_est([1.0, 2.0], target="guess"), _truth([0.1, 0.2]))
    assert set(RANKED_AGAINST) == set(bs.estimators.base.TARGETS)


# ---------------------------------------------------------------- near-ties of reference truths
def _reference(values, se):
    values = np.asarray(values, float)
    return bs.GroundTruth(first=values, total=values, kind="reference", source="test",
                          std_error={"first": np.asarray(se, float), "total": np.asarray(se, float)})


def test_reference_near_ties_follow_the_standard_errors():
    values = [0.40, 0.30, 0.29, 0.01]
    close = _reference(values, [1e-3, 3e-3, 3e-3, 1e-3])  # 0.01 < 3 * sqrt(2) * 3e-3
    swapped = _est([0.40, 0.29, 0.30, 0.01])
    s = bs.score(swapped, close)
    assert s["spearman"] == 1.0 and s["weighted_tau"] == pytest.approx(1.0) and s["top_k"] == 1.0
    sharp = _reference(values, [1e-3, 1e-3, 1e-3, 1e-3])  # 0.01 > 3 * sqrt(2) * 1e-3
    assert bs.score(swapped, sharp)["spearman"] < 1
    # a tied pair does not tie a third input that is significantly apart from one of them
    chain = _reference([0.30, 0.295, 0.29, 0.0], [0.0, 2e-3, 0.0, 0.0])
    assert bs.score(_est([0.295, 0.30, 0.29, 0.0]), chain)["spearman"] == 1.0
    assert bs.score(_est([0.29, 0.295, 0.30, 0.0]), chain)["spearman"] < 1
    # the same numbers as an exact truth: every order counts
    assert bs.score(swapped, _truth(values))["spearman"] < 1
    assert Z_TIE == 3.0


def _near_tied_pairs(values, se):
    above = _above_matrix(values, se)
    return [(i, j) for i, j in itertools.combinations(range(values.size), 2)
            if values[i] != values[j] and not above[i, j] and not above[j, i]]


def _above_matrix(values, se):
    from benchsens.scoring import _above

    return _above(values, se)


def _truth_targets(truth):
    return [t for t in ("first", "total", "local") if ranked_truth(truth, t) is not None]


_TRUTHS = {}


def _registered_truths():
    """Every registered problem's truth, built once per test session (the harness tests'
    deliberately broken toy problems are skipped)."""
    if not _TRUTHS:
        toys = set(bs.list_problems(tag="toy"))
        for name in bs.list_problems():
            if name not in toys and (truth := bs.get_problem(name).truth) is not None:
                _TRUTHS[name] = truth
    return _TRUTHS


def test_a_perfect_estimate_with_near_ties_swapped_scores_one_everywhere():
    truths = _registered_truths()
    assert len(truths) >= 25 and bs.get_problem("morris").truth.kind == "exact"
    n_swaps = n_reference_swaps = 0
    for name, truth in truths.items():
        for target in _truth_targets(truth):
            values, se = ranked_truth(truth, target)
            cases = [(None, None)] + _near_tied_pairs(values, se)
            for i, j in cases:
                imp = values.copy()
                if i is not None:
                    imp[[i, j]] = imp[[j, i]]
                    n_swaps += 1
                    n_reference_swaps += truth.kind == "reference"
                s = bs.score(_est(imp, target=target), truth)
                keys = ["spearman", "weighted_tau", "top_k"]
                keys += [f"spearman_{target}", f"weighted_tau_{target}"] if target != "local" else []
                for key in keys:
                    assert s[key] == pytest.approx(1.0, abs=1e-12) or (
                        math.isnan(s[key]) and key != "top_k"), (name, target, (i, j), key, s[key])
    # the reference truths do have near-ties that are not exact (e.g. borehole Hu/Hl)
    assert n_reference_swaps > 0 and n_swaps >= n_reference_swaps


def test_known_near_ties_are_found():
    truth = bs.get_problem("borehole").truth
    names = bs.get_problem("borehole").space.names
    hu, hl = names.index("Hu"), names.index("Hl")
    for label in ("first", "total"):
        values, se = ranked_truth(truth, label)
        assert (min(hu, hl), max(hu, hl)) in _near_tied_pairs(values, se)


# ---------------------------------------------------------------- the sweep summary
def test_sweep_summary_names_targets_and_flags_oracles():
    pd = pytest.importorskip("pandas")
    from rich.console import Console

    from benchsens.harness.progress import summary_table

    df = pd.DataFrame({
        "estimator": ["dgsm.oracle", "rank_s1", "rank_s1", "sobol"],
        "status": ["ok", "ok", "ok", "error"], "target": ["derivative", "first", "first", "total"],
        "oracle": [1, 0, 0, 0], "spearman": [0.5, 1.0, 0.0, np.nan],
        "weighted_tau": [0.5, 1.0, 0.0, np.nan], "eval_seconds": [0.1] * 4,
        "analysis_seconds": [0.2] * 4})
    console = Console(width=200, record=True)
    console.print(summary_table(df))
    text = console.export_text()
    lines = text.splitlines()
    row = {name: next(line for line in lines if f" {name} " in line) for name in ("rank_s1", "sobol")}
    assert "dgsm.oracle (oracle)" in text and "for free" in " ".join(lines)
    assert " first " in row["rank_s1"] and " 0.500 " in row["rank_s1"]
    assert " total " in row["sobol"] and "(oracle)" not in row["sobol"]
    # rows from before targets were stored still print
    console = Console(width=200, record=True)
    console.print(summary_table(df.drop(columns=["target", "oracle"])))
    assert "(oracle)" not in console.export_text()
