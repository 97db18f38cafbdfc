"""bs.score on hand-checked cases, ties and degenerate truths/estimates."""
import math

import numpy as np
import pytest

import benchsens as bs
from benchsens.scoring import SCORE_KEYS


def _truth(total, first=None):
    total = np.asarray(total, float)
    return bs.GroundTruth(first=total if first is None else first, total=total,
                          kind="analytic", source="hand-made test case")


def _est(importance, first=None, total=None, n_evals=100, seconds=0.5):
    names = [f"x{i}" for i in range(len(importance))]
    return bs.Estimate(names=names, importance=np.asarray(importance, float), first=first,
                       total=total, n_evals=n_evals, seconds=seconds)


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


def test_screening_on_total_and_on_normalised_importance():
    gt = _truth([0.5, 0.1, 0.2, 0.0])  # influential: {0, 1, 2}
    s = bs.score(_est([1, 1, 1, 1], total=np.array([0.6, 0.04, 0.2, 0.07])), gt)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    s = bs.score(_est([10.0, 0.4, 2.0, 0.0]), gt)  # normalised [1, .04, .2, 0]
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(2 / 3)
    s = bs.score(_est([10.0, 0.4, 2.0, 0.0]), gt, threshold=0.01)  # truth: {0,1,2} still
    assert s["precision"] == 1.0 and s["recall"] == 1.0


def test_screening_vacuous_cases():
    s = bs.score(_est([0.0, 0.0, 0.0]), _truth([0.5, 0.3, 0.2]))
    assert s["precision"] == 1.0 and s["recall"] == 0.0
    s = bs.score(_est([1.0, 0.5, 0.0]), _truth([0.01, 0.02, 0.0]))
    assert s["recall"] == 1.0 and s["precision"] == 0.0
    assert s["k"] == 3


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
