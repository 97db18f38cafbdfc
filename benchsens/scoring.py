"""Accuracy metrics of an :class:`~benchsens.Estimate` against a :class:`~benchsens.GroundTruth`.

Every estimator is scored on what all estimators share (the ranking of ``importance``) and
on values only where they are comparable (``first``/``total`` on the Sobol' scale).

Conventions, chosen so that every number has one meaning:

* **Ties in the truth** (equal indices up to ``1e-10``, e.g. several inert inputs with
  ST = 0) carry no ordering information, so the estimator is not penalised for how it orders
  them: before ranking, the truth's ties are broken in the estimator's order. A perfect
  estimator therefore scores 1 even when the truth has ties.
* **Ties in the estimate** get average ranks (scipy's convention): partial credit.
* **Constant truth** (all indices equal, e.g. all zero first-order indices of a purely
  interactive function): there is no ranking to recover, so correlations are ``NaN``
  (undefined, dropped by aggregations).
* **Constant importance** with a non-constant truth: the estimator gives no ranking at all,
  which is worth exactly what a random ranking is worth in expectation, so correlations
  are ``0.0`` (not NaN, so a collapsed estimator is not silently dropped from a table).
* **Top-k** agreement is the expected share of the truth's top-k found in the estimator's
  top-k when the estimator's ties at the k-th place are broken at random; inputs tied with
  the truth's k-th value all count as top-k.
* **Screening**: truly influential inputs are ``{ST >= threshold}``. The estimator's
  influential set is ``{total >= threshold}`` when it reports ``total`` (same scale), else
  ``{importance / max(importance) >= threshold}`` (empty when all importances are 0).
  Vacuous cases are 1: precision when nothing is flagged, recall when nothing is influential.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["score", "SCORE_KEYS"]

#: Indices closer than this count as tied in the truth (round-off of closed forms).
_TIE_TOL = 1e-10

SCORE_KEYS = (
    "spearman", "weighted_tau", "spearman_first", "weighted_tau_first",
    "top_k", "k", "precision", "recall", "threshold",
    "mae_first", "max_first", "mae_total", "max_total",
    "n_evals", "seconds",
)


def _truth_ranks(truth: np.ndarray, importance: np.ndarray) -> np.ndarray:
    """Ranks of ``truth`` with its ties broken in the order of ``importance``
    (pairs tied in both keep an average rank)."""
    d = truth.size
    group = stats.rankdata(np.round(truth / _TIE_TOL) * _TIE_TOL, method="dense")
    return stats.rankdata(group * (d + 1) + stats.rankdata(importance))


def _is_constant(values: np.ndarray) -> bool:
    return bool(np.ptp(values) <= _TIE_TOL)


def _rank_scores(importance: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Spearman rho and weighted Kendall tau (hyperbolic weights, top ranks weigh most)."""
    if _is_constant(truth):
        return np.nan, np.nan
    if np.ptp(importance) == 0:
        return 0.0, 0.0
    ranks = _truth_ranks(truth, importance)
    rho = stats.spearmanr(importance, ranks).statistic
    tau = stats.weightedtau(importance, ranks).statistic
    return float(rho), float(tau)


def _top_k(importance: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Expected share of the truth's top-k among the estimator's top-k (random tie-break)."""
    kth_true = np.sort(truth)[::-1][k - 1]
    in_truth = truth >= kth_true - _TIE_TOL
    kth_est = np.sort(importance)[::-1][k - 1]
    above = importance > kth_est
    tied = importance == kth_est
    picks_from_tied = k - above.sum()
    hits = (above & in_truth).sum() + picks_from_tied * (tied & in_truth).sum() / tied.sum()
    return float(hits / k)


def _screening(estimate, truth_total: np.ndarray, threshold: float) -> tuple[float, float]:
    influential = truth_total >= threshold
    if estimate.total is not None:
        flagged = np.asarray(estimate.total, float) >= threshold
    else:
        imp = np.asarray(estimate.importance, float)
        top = imp.max()
        flagged = imp / top >= threshold if top > 0 else np.zeros(imp.size, bool)
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
    """Accuracy and cost of ``estimate`` against ``truth`` as a dict of floats (keys
    :data:`SCORE_KEYS`; see the module docstring for ties and degenerate cases).

    ``threshold`` defines the truly influential inputs (ST >= threshold) for screening;
    ``k`` defaults to their number (or ``min(3, d)`` when none is influential).
    With ``truth=None`` only ``n_evals`` and ``seconds`` are numbers, the rest NaN.
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
    if k is None:
        n_influential = int((truth.total >= threshold).sum())
        k = n_influential if n_influential else min(3, d)
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= d:
        raise ValueError(f"k must be an integer in [1, {d}], got {k!r}")
    out["k"] = float(k)
    out["spearman"], out["weighted_tau"] = _rank_scores(importance, truth.total)
    out["spearman_first"], out["weighted_tau_first"] = _rank_scores(importance, truth.first)
    out["top_k"] = _top_k(importance, truth.total, int(k))
    out["mae_first"], out["max_first"] = _errors(estimate.first, truth.first, "first")
    out["mae_total"], out["max_total"] = _errors(estimate.total, truth.total, "total")
    out["precision"], out["recall"] = _screening(estimate, truth.total, threshold)
    return out
