"""Staged-tuning utility of an importance ranking: what does tuning only the parameters an
estimate ranks first buy, against tuning the truly most important ones?

For ``k = 1..d`` the top-k parameters of a ranking are tuned with a fixed number of trials
while the others stay at the default configuration, and the best loss found is compared
with the grid's global minimum. Reported for the estimate's ranking and for the ranking of
the truth of the same notion (:func:`benchsens.scoring.ranked_truth` of the estimate's
target), so the gap between them is the cost of the estimate's errors; at ``k = d`` both
tune every parameter (the "tune everything" reference).

Definitions (one meaning per number):

* **Grid.** Only problems with an exact truth on a finite space (every input Ordinal,
  Categorical or Integer) qualify: the whole noiseless table is evaluated once with
  ``problem.evaluate`` (replicate means for real grids), so every trial is a lookup and the
  global minimum is exact. Elsewhere :func:`staged_regret` returns None (scores NaN).
* **Default** is ``space.default_point()``: real grids record the library default (the
  truth's ``extras["default"]``, which ``marginal`` and ``ablation`` start from too); a
  finite space without one starts from each input's median level (a categorical's first).
* **Regret** of a tuning run is ``(best - f_min) / (f_default - f_min)``: the share of the
  default's gap to the global minimum left after tuning (0 = optimum found, 1 = nothing
  gained; the default is the starting incumbent, so it never exceeds 1). NaN when the
  default is already optimal. ``regret_auc`` is its mean over ``k = 1..d`` (area under the
  regret-vs-k curve with unit steps, divided by ``d``).
* **Random search** draws each trial from the Space's own distribution of the tuned inputs
  (the level weights, as the ``random`` regime does). Its regret is the *exact expectation*
  over the trials, not one sampled run: with ``n`` i.i.d. trials on a sub-grid of values
  ``v`` (probability masses ``p``) and incumbent ``f0``, ``E[min(f0, V_1..V_n)] =
  sum_j w_(j) [(1 - F_(j-1))^n - (1 - F_(j))^n]`` with ``w = min(v, f0)`` sorted and ``F``
  its cumulative mass. This is what averaging infinitely many random-search runs gives, so
  the score carries no Monte Carlo noise of its own.
* **TPE** (optional, ``methods=("random", "tpe")``) runs one Optuna TPE study of ``n``
  trials per tuned set, seeded from ``rng`` (one seed per ``k``, shared by the estimate's
  and the true set, so identical sets give identical runs).
* **Ties** in the estimate's importance and in the truth are broken at random with ``rng``
  (a constant importance is worth a random order, not the input order).
"""
from __future__ import annotations

import math

import numpy as np

from .scoring import ranked_truth

__all__ = ["staged_regret", "staged_scores", "expected_best", "grid_table", "METHODS", "TRIALS", "MAX_GRID"]

#: Tuning methods: exact expected random search, and Optuna's TPE.
METHODS = ("random", "tpe")
#: Trials per tuning run (per k) unless told otherwise.
TRIALS = 20
#: Largest full grid tabulated (configurations); larger problems get no staged score.
MAX_GRID = 2_000_000


def _default_indices(space) -> tuple[int, ...]:
    """Level positions of ``space.default_point()``: the recorded default of a real grid
    (the truth's ``extras["default"]``), else each input's median level (a categorical's
    first), the configuration the ``marginal``/``ablation`` notions start from too."""
    point = space.default_point()
    out = tuple(int(dist.index(np.array([x]))[0]) for dist, x in zip(space.dists, point))
    if min(out) < 0:
        raise ValueError(f"default configuration {point.tolist()} is not on the grid of {space!r}")
    return out


def grid_table(problem) -> np.ndarray | None:
    """The noiseless value of every configuration of ``problem``'s finite space, shaped by
    its levels (None when an input is continuous or the grid exceeds :data:`MAX_GRID`)."""
    space = problem.space
    if not all(dist.discrete for dist in space.dists):
        return None
    shape = tuple(dist.levels.size for dist in space.dists)
    if math.prod(shape) > MAX_GRID:
        return None
    idx = np.indices(shape).reshape(len(shape), -1)
    X = np.column_stack([dist.levels[i] for dist, i in zip(space.dists, idx)])
    clean = problem.with_noise(0.0) if problem.noise else problem
    return np.asarray(clean.evaluate(X), float).reshape(shape)


def expected_best(values, mass, f0: float, n: int) -> float:
    """Exact expected best of ``min(f0, n i.i.d. draws of values with probabilities mass)``."""
    w = np.minimum(np.asarray(values, float).ravel(), f0)
    p = np.asarray(mass, float).ravel()
    order = np.argsort(w, kind="stable")
    w, p = w[order], p[order]
    survive = 1.0 - np.cumsum(p) / p.sum()  # P(a draw is above the j-th smallest)
    survive[-1] = 0.0
    above = np.concatenate([[1.0], survive]) ** n  # P(all n draws above), before/after j
    return float(np.sum(w * (above[:-1] - above[1:])))


def _sub(table, default, tuned):
    """Index of the sub-grid where ``tuned`` axes vary and the others are at the default."""
    return tuple(slice(None) if j in tuned else default[j] for j in range(table.ndim))


def _random_best(table, weights, default, tuned, n):
    sub = table[_sub(table, default, tuned)]
    mass = np.ones(())
    for j in sorted(tuned):
        mass = np.multiply.outer(mass, weights[j])
    return expected_best(sub, mass, float(table[default]), n)


def _tpe_best(table, space, default, tuned, n, seed):
    import optuna

    from .estimators.optuna import _quiet

    names = space.names
    f0 = float(table[default])

    def objective(trial):
        idx = list(default)
        for j in sorted(tuned):
            dist = space.dists[j]
            size = dist.levels.size
            idx[j] = (trial.suggest_categorical(names[j], list(range(size))) if hasattr(dist, "choices")
                      else trial.suggest_int(names[j], 0, size - 1))
        value = float(table[tuple(idx)])
        return value if math.isfinite(value) else float("inf")

    with _quiet(optuna):
        study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective, n_trials=n)
    return min(f0, float(study.best_value))


def _order(values, rng) -> np.ndarray:
    """Indices from largest to smallest value, ties in random order."""
    return np.lexsort((rng.random(values.size), -np.asarray(values, float)))


def staged_regret(problem, importance, rng: np.random.Generator, target: str = "total",
                  gamma: float | None = None, trials: int = TRIALS, methods=("random",),
                  table: np.ndarray | None = None) -> dict | None:
    """Staged-tuning regret of the ranking ``importance`` on ``problem`` (module doc).

    Parameters
    ----------
    problem : Problem
        Needs an exact truth on a finite space; otherwise the result is None.
    importance : array of d floats
        The estimate's importance (larger = tune first).
    rng : numpy.random.Generator
        Breaks ties and seeds TPE.
    target, gamma : the estimate's declared target (and local quantile): the true ranking is
        :func:`~benchsens.scoring.ranked_truth` of the same notion (None when the truth lacks it).
    trials : int
        Trials per tuning run.
    methods : subset of :data:`METHODS`
    table : array, optional
        :func:`grid_table` of ``problem`` when the caller has it already.

    Returns
    -------
    dict or None
        ``trials``, ``default_value``, ``best_value``, ``order`` and ``order_true`` (names,
        tuned first to last), and per method ``m``: ``regret_at_k[m]`` and
        ``regret_at_k_true[m]`` (lists of d normalised regrets, k = 1..d), ``regret_auc[m]``,
        ``regret_auc_true[m]`` and ``regret_all[m]`` (k = d).
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {tuple(methods)!r}")
    truth = problem.truth
    importance = np.asarray(importance, float)
    if importance.shape != (problem.d,) or not np.all(np.isfinite(importance)):
        raise ValueError(f"importance must be {problem.d} finite numbers, got {importance.tolist()}")
    if truth is None or truth.kind != "exact":
        return None
    true = ranked_truth(truth, target, gamma)
    if true is None:
        return None
    if table is None:
        table = grid_table(problem)
    if table is None:
        return None
    space = problem.space
    default = _default_indices(space)
    weights = [dist.weights for dist in space.dists]
    f0, fmin = float(table[default]), float(np.min(table))
    gap = f0 - fmin
    d = problem.d
    order, order_true = _order(importance, rng), _order(true[0], rng)
    seeds = rng.integers(2**31, size=d)
    out = {"trials": int(trials), "default_value": f0, "best_value": fmin,
           "order": [space.names[j] for j in order], "order_true": [space.names[j] for j in order_true]}
    for method in methods:
        cache: dict[frozenset, float] = {}

        def regret(tuned, k):
            if tuned not in cache:
                best = (_random_best(table, weights, default, tuned, trials) if method == "random"
                        else _tpe_best(table, space, default, tuned, trials, int(seeds[k - 1])))
                cache[tuned] = (best - fmin) / gap if gap > 0 else float("nan")
            return cache[tuned]

        est = [regret(frozenset(order[:k].tolist()), k) for k in range(1, d + 1)]
        tru = [regret(frozenset(order_true[:k].tolist()), k) for k in range(1, d + 1)]
        out.setdefault("regret_at_k", {})[method] = est
        out.setdefault("regret_at_k_true", {})[method] = tru
        out.setdefault("regret_auc", {})[method] = float(np.mean(est))
        out.setdefault("regret_auc_true", {})[method] = float(np.mean(tru))
        out.setdefault("regret_all", {})[method] = est[-1]
    return out


def staged_scores(staged: dict, methods=("random",)) -> dict[str, float]:
    """The float scores of a :func:`staged_regret` result: per method ``regret_auc``,
    ``regret_auc_true`` and ``regret_all`` (suffix ``_tpe`` for TPE)."""
    out = {}
    for method in methods:
        suffix = "" if method == "random" else f"_{method}"
        for key in ("regret_auc", "regret_auc_true", "regret_all"):
            out[key + suffix] = float(staged[key][method])
    return out
