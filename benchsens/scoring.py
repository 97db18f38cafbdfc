"""Accuracy metrics of an :class:`~benchsens.Estimate` against a :class:`~benchsens.GroundTruth`.

Every estimator is scored on what all estimators share (the ranking of ``importance``) and
on values only where they are estimates of the same quantity (``first``/``total``).

**Target-matched ranking.** ``spearman``, ``weighted_tau`` and ``top_k`` rank
``importance`` against the truth of what the estimator declares it estimates
(``estimate.target``, see :data:`RANKED_AGAINST`); ``spearman_first``/``weighted_tau_first``
and ``spearman_total``/``weighted_tau_total`` rank it against S1 and ST for every
estimator, so a table can show both. When the matched truth is missing (e.g. a ``local``
estimator on a problem without a local truth) the target-matched scores are NaN: an
estimator is never silently ranked against something else.

======================  ===========================================  ==========================================
target                  ranked against                               why
======================  ===========================================  ==========================================
``first``               ``truth.first`` (S1)                         the estimator estimates S1 itself
``total``               ``truth.total`` (ST)                         the estimator estimates ST (or, for
                                                                     surrogate and impurity heuristics, claims
                                                                     to rank by total influence)
``dependence``          ``truth.total`` (ST)                         HSIC, delta and PAWN measure any
                                                                     dependence of y on x_i, interactions
                                                                     included, and vanish for an inert input:
                                                                     like ST (unlike S1) they see inputs that
                                                                     act only through interactions. No Sobol'
                                                                     index is their exact target; ST is the
                                                                     closest ranking
``derivative``          ``truth.total`` (ST)                         Morris mu* is the standard screening proxy
                                                                     of ST (Campolongo et al. 2007) and DGSM
                                                                     nu_i bounds ST_i (Sobol' & Kucherenko
                                                                     2009, Lamboni et al. 2013); both vanish
                                                                     with ST. No problem ships exact derivative
                                                                     measures (they depend on the input units)
``local``               ``truth.extras["local"]["first"]``           top-quantile notions (PED-ANOVA, goal-
                                                                     oriented HSIC) measure how the law of x_i
                                                                     among the best gamma share differs from
                                                                     its prior: a function of that marginal
                                                                     alone, i.e. the main effect of x_i on the
                                                                     top-region indicator (for PED-ANOVA,
                                                                     exactly its variance: Watanabe et al. 2023)
``marginal``            ``truth.extras["marginal"]``                 loss decrease when tuning x_i alone from
                                                                     the default: the same quantity
``ablation``            ``truth.extras["ablation"]                   gain of x_i on the greedy ablation path
                        ["gain_by_parameter"]``                      from default to best: the same quantity
======================  ===========================================  ==========================================

A ``local`` truth is tied to its quantile ``gamma``: an estimate that states its own
``extras["gamma"]`` is ranked only against a local truth of the same gamma (NaN otherwise);
``truth.extras["local"]`` is one ``{"gamma", "first", ...}`` entry or a mapping
``{gamma: entry}``.

Conventions, chosen so that every number has one meaning:

* **Ties in the truth** carry no ordering information, so the estimator is not penalised
  for how it orders them. Two inputs are tied when their indices differ by at most
  ``1e-10 * max(1, max |truth|)`` (round-off of exact truths) plus, for a ``reference``
  truth with standard errors, :data:`Z_TIE` ``* sqrt(se_a^2 + se_b^2)`` (a difference that
  sampling noise of the reference explains is not an order; with z = 3 two inputs whose
  true indices are equal are called ordered with probability 0.27 %, and welch/morris
  show that such exact ties occur). "Significantly above" is a strict partial order;
  before ranking, the truth's order is completed to the total order that agrees best
  with the estimator (greedily: the next rank goes to the input the estimator rates
  highest among those no remaining input is significantly above). An estimator whose
  order contradicts no significant pair therefore scores 1.
* **Ties in the estimate** get average ranks (scipy's convention): partial credit.
* **No order in the truth** (every pair tied, e.g. all zero S1 of a purely interactive
  function): there is no ranking to recover, so correlations are ``NaN`` (undefined,
  dropped by aggregations).
* **Constant importance** with an ordered truth: the estimator gives no ranking at all,
  which is worth exactly what a random ranking is worth in expectation, so correlations
  are ``0.0`` (not NaN, so a collapsed estimator is not silently dropped from a table).
* **Top-k** agreement is the expected share of the matched truth's top-k found in the
  estimator's top-k when the estimator's ties at the k-th place are broken at random;
  an input counts as a truth top-k input when fewer than k inputs are significantly above
  it (ties at the boundary all count). ``k`` defaults to the number of inputs the matched
  truth calls influential by the screening rule below (``min(3, d)`` if it is all zero).
* **Screening** uses one rule for every estimator, so precision and recall mean the same
  in every row: flagged = ``{importance >= threshold * max(importance)}`` (nothing when
  ``max(importance) <= 0``); truly influential = ``{ST >= threshold * max(ST)}``. The rule
  reads only ``importance``, which every estimator has, and is invariant to its scale
  (estimators report in different units); the same relative rule on the truth makes any
  importance proportional to ST score precision = recall = 1. The truth side is ST for
  every target because screening asks which inputs can be fixed without changing the
  output, and ST_i = 0 exactly when x_i can (Sobol' 2001); an estimator of S1 or of a
  local notion that misses interacting inputs is rightly marked down in recall. Vacuous
  cases are 1: precision when nothing is flagged, recall when nothing is influential.
* **Value errors** ``mae_*``/``max_*`` compare only ``estimate.first``/``estimate.total``,
  which hold estimates of the Sobol' indices (bounds and approximations live in
  ``estimate.extras``); NaN when the estimator gives none.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

__all__ = ["score", "ranked_truth", "SCORE_KEYS", "RANKED_AGAINST", "Z_TIE"]

#: Relative round-off below which two indices of an exact truth are equal.
_TIE_TOL = 1e-10
#: Standard errors of a reference truth within which two indices count as tied.
Z_TIE = 3.0

#: Estimator target -> the truth its ``importance`` is ranked against (see the table above).
RANKED_AGAINST = {
    "first": "first",
    "total": "total",
    "dependence": "total",
    "derivative": "total",
    "local": 'extras["local"]["first"]',
    "marginal": 'extras["marginal"]',
    "ablation": 'extras["ablation"]["gain_by_parameter"]',
}

SCORE_KEYS = (
    "spearman", "weighted_tau", "spearman_first", "weighted_tau_first",
    "spearman_total", "weighted_tau_total",
    "top_k", "k", "precision", "recall", "threshold",
    "mae_first", "max_first", "mae_total", "max_total",
    "n_evals", "seconds",
)


def _local_entry(local, gamma):
    """The local truth for ``gamma`` (None: the only one there is), or None."""
    entries = {float(local["gamma"]): local} if "gamma" in local else {float(g): v for g, v in local.items()}
    if gamma is None:
        return next(iter(entries.values())) if len(entries) == 1 else None
    return next((v for g, v in entries.items() if np.isclose(g, float(gamma), rtol=0, atol=1e-12)), None)


def ranked_truth(truth, target: str, gamma: float | None = None):
    """``(values, std_errors or None)`` of the truth that ``target`` is ranked against
    (:data:`RANKED_AGAINST`), or None when the truth does not have it.

    ``gamma`` selects the quantile of a ``local`` truth (None: the truth's only one)."""
    if target not in RANKED_AGAINST:
        raise ValueError(f"unknown estimate target {target!r}; known: {sorted(RANKED_AGAINST)}")
    if RANKED_AGAINST[target] in ("first", "total"):
        label = RANKED_AGAINST[target]
        se = None if truth.std_error is None else truth.std_error.get(label)
        return np.asarray(getattr(truth, label), float), se
    extras = truth.extras
    if target == "local":
        entry = _local_entry(extras["local"], gamma) if extras.get("local") is not None else None
        values = None if entry is None else entry.get("first")
    elif target == "marginal":
        values = extras.get("marginal")
    else:
        ablation = extras.get("ablation")
        values = ablation.get("gain_by_parameter") if isinstance(ablation, Mapping) else ablation
    if values is None:
        return None
    values = np.asarray(values, float)
    if values.shape != (truth.d,) or not np.all(np.isfinite(values)):
        raise ValueError(f"truth {RANKED_AGAINST[target]} must be {truth.d} finite numbers, "
                         f"got {values.tolist()}")
    return values, None


def _above(values: np.ndarray, se: np.ndarray | None) -> np.ndarray:
    """``G[i, j]``: input i is significantly above input j (a strict partial order)."""
    tol = _TIE_TOL * max(1.0, float(np.max(np.abs(values))))
    if se is not None:
        se = np.asarray(se, float)
        tol = tol + Z_TIE * np.sqrt(se[:, None] ** 2 + se[None, :] ** 2)
    return values[:, None] - values[None, :] > tol


def _truth_ranks(above: np.ndarray, importance: np.ndarray) -> np.ndarray:
    """Ranks (d = best) of the total order that extends ``above`` and agrees best with
    ``importance``: repeatedly rank next the inputs the estimator rates highest among those
    no remaining input is above (several at once get their average rank: tied in both)."""
    d = importance.size
    ranks = np.empty(d)
    remaining = np.ones(d, bool)
    rank = float(d)
    while remaining.any():
        maximal = remaining & ~(above & remaining[:, None]).any(axis=0)
        pick = maximal & (importance == importance[maximal].max())
        n = int(pick.sum())
        ranks[pick] = rank - (n - 1) / 2
        rank -= n
        remaining &= ~pick
    return ranks


def _rank_scores(importance: np.ndarray, above: np.ndarray) -> tuple[float, float]:
    """Spearman rho and weighted Kendall tau (hyperbolic weights, top ranks weigh most)."""
    if not above.any():
        return np.nan, np.nan
    if np.ptp(importance) == 0:
        return 0.0, 0.0
    ranks = _truth_ranks(above, importance)
    rho = stats.spearmanr(importance, ranks).statistic
    tau = stats.weightedtau(importance, ranks).statistic
    return float(rho), float(tau)


def _top_k(importance: np.ndarray, above: np.ndarray, k: int) -> float:
    """Expected share of the truth's top-k among the estimator's top-k (random tie-break)."""
    in_truth = above.sum(axis=0) < k  # fewer than k inputs significantly above
    kth_est = np.sort(importance)[::-1][k - 1]
    higher = importance > kth_est
    tied = importance == kth_est
    picks_from_tied = k - higher.sum()
    hits = (higher & in_truth).sum() + picks_from_tied * (tied & in_truth).sum() / tied.sum()
    return float(hits / k)


def _flagged(values: np.ndarray, threshold: float) -> np.ndarray:
    """The one screening rule: at least ``threshold`` times the largest value."""
    top = values.max()
    return values >= threshold * top if top > 0 else np.zeros(values.size, bool)


def _screening(importance: np.ndarray, truth_total: np.ndarray, threshold: float) -> tuple[float, float]:
    influential = _flagged(truth_total, threshold)
    flagged = _flagged(importance, threshold)
    hits = (influential & flagged).sum()
    precision = hits / flagged.sum() if flagged.any() else 1.0
    recall = hits / influential.sum() if influential.any() else 1.0
    return float(precision), float(recall)


def _errors(values, truth: np.ndarray, label: str) -> tuple[float, float]:
    if values is None:
        return np.nan, np.nan
    values = np.asarray(values, float)
    if values.shape != truth.shape:
        raise ValueError(f"estimate.{label} has shape {values.shape} but the truth has "
                         f"{truth.size} inputs")
    err = np.abs(values - truth)
    return float(err.mean()), float(err.max())


def score(estimate, truth, threshold: float = 0.05, k: int | None = None) -> dict[str, float]:
    """Accuracy and cost of ``estimate`` against ``truth`` as a dict of floats.

    Parameters
    ----------
    estimate : Estimate
        Its ``target`` (default ``"total"``) chooses the truth ``spearman``,
        ``weighted_tau`` and ``top_k`` rank against (:data:`RANKED_AGAINST`).
    truth : GroundTruth or None
        With None only ``n_evals`` and ``seconds`` are numbers, the rest NaN.
    threshold : float in (0, 1]
        Screening: inputs at or above ``threshold`` times the largest value count as
        influential, in the truth's ST and in ``importance`` alike.
    k : int, optional
        Size of the top-k sets; defaults to the number of inputs the matched truth
        calls influential by the same rule.

    Returns
    -------
    dict
        The keys :data:`SCORE_KEYS` (see the module docstring for ties and degenerate cases).

    Examples
    --------
    >>> import numpy as np, benchsens as bs
    >>> truth = bs.get_problem("ishigami").truth
    >>> est = bs.Estimate(names=["x1", "x2", "x3"], importance=truth.first.copy(), target="first")
    >>> s = bs.score(est, truth)
    >>> s["spearman"], s["spearman_total"]
    (1.0, 0.5)
    """
    importance = np.asarray(estimate.importance, float)
    d = importance.size
    threshold = float(threshold)
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    out = dict.fromkeys(SCORE_KEYS, np.nan)
    out["threshold"] = threshold
    out["n_evals"] = float(estimate.n_evals)
    out["seconds"] = float(estimate.seconds)
    if truth is None:
        return out
    if not hasattr(truth, "total") or not hasattr(truth, "first"):
        raise TypeError(f"truth must be a GroundTruth or None, got {type(truth).__name__}")
    if truth.d != d:
        raise ValueError(f"estimate has {d} importances but the truth has {truth.d} inputs")
    if not np.all(np.isfinite(importance)):
        raise ValueError(f"estimate.importance must be finite, got {importance.tolist()}")
    if k is not None and (isinstance(k, bool) or int(k) != k or not 1 <= k <= d):
        raise ValueError(f"k must be an integer in [1, {d}], got {k!r}")
    target = getattr(estimate, "target", "total")
    extras = getattr(estimate, "extras", None) or {}
    matched = ranked_truth(truth, target, extras.get("gamma"))
    for label in ("first", "total"):
        above = _above(*ranked_truth(truth, label))
        out[f"spearman_{label}"], out[f"weighted_tau_{label}"] = _rank_scores(importance, above)
    if matched is not None:
        values, se = matched
        above = _above(values, se)
        out["spearman"], out["weighted_tau"] = _rank_scores(importance, above)
        if k is None:
            k = int(_flagged(values, threshold).sum()) or min(3, d)
        out["top_k"] = _top_k(importance, above, int(k))
    if k is not None:
        out["k"] = float(k)
    out["mae_first"], out["max_first"] = _errors(estimate.first, truth.first, "first")
    out["mae_total"], out["max_total"] = _errors(estimate.total, truth.total, "total")
    out["precision"], out["recall"] = _screening(importance, truth.total, threshold)
    return out
