"""Forest-surrogate importances from any i.i.d. sample: ``permutation`` and ``mdi``.

Both fit a scikit-learn regressor on the unit-transformed design (``Design.unit_at_levels``:
every continuous input is U(0, 1) there; discrete inputs enter as their level's cell
midpoint, and categorical codes in an arbitrary order that trees can still split into any
contiguous group of codes).
"""
from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold

from ..registry import register_estimator
from ..space import Space
from ._params import HasMethods, Interval
from .base import Design, Estimate, Estimator

__all__ = ["SeededGivenData", "Permutation", "MDI", "FOREST_CONSTRAINTS"]

#: Constraints of the forest options shared by ``permutation``, ``mdi`` and ``fanova``.
FOREST_CONSTRAINTS = {
    "n_trees": [Interval(Integral, 1, None, closed="left")],
    "max_depth": [Interval(Integral, 1, None, closed="left"), None],
    "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
    "seed": [Interval(Integral, 0, 2**32 - 1, closed="both")],
}


class SeededGivenData(Estimator):
    """A given-data estimator whose analysis is random (a forest, folds, permutations).

    ``plan`` draws i.i.d. points and a seed for the analysis from the plan generator;
    a design it did not plan (a random sample or an optimiser's trace) is analysed with
    the ``seed`` option. Either way the result depends only on the seeds.
    """

    given_data = True

    def _plan(self, space: Space, budget: int, rng: np.random.Generator, gradient: bool) -> Design:
        U = rng.random((budget, len(space)))
        return Design.from_unit(space, U, analysis_seed=int(rng.integers(2**31 - 1)))

    def _random_state(self, design: Design) -> int:
        return int(design.info.get("analysis_seed", self.seed))


def _permutation_drops(model, U, y, n_repeats, rng):
    """Increase of the mean squared error when each column of ``U`` is permuted
    (``(d, n_repeats)``), and the unpermuted error; all permuted copies are predicted in
    one call (chunked by input to bound memory)."""
    m, d = U.shape
    base = np.mean((model.predict(U) - y) ** 2)
    order = rng.permuted(np.tile(np.arange(m), (d * n_repeats, 1)), axis=1).reshape(d, n_repeats, m)
    per_input = max(1, 2**22 // (n_repeats * m * d))  # inputs per predict call (<= 32 MiB)
    drops = np.empty((d, n_repeats))
    for i0 in range(0, d, per_input):
        cols = np.arange(i0, min(i0 + per_input, d))
        copies = np.broadcast_to(U, (cols.size, n_repeats, m, d)).copy()
        copies[np.arange(cols.size), :, :, cols] = U[order[cols], cols[:, None, None]]
        pred = model.predict(copies.reshape(-1, d)).reshape(cols.size, n_repeats, m)
        drops[cols] = np.mean((pred - y) ** 2, axis=2) - base
    return drops, base


def _forest(n_trees, max_depth, min_samples_leaf, seed):
    return RandomForestRegressor(n_estimators=n_trees, max_depth=max_depth,
                                 min_samples_leaf=min_samples_leaf, random_state=seed)


@register_estimator
class Permutation(SeededGivenData):
    """Permutation importance of a cross-validated surrogate, on the total-index scale.

    For each of ``folds`` folds the surrogate (``model``, any scikit-learn regressor; a
    random forest by default) is fitted on the other folds, and each input is permuted
    ``n_repeats`` times in the held-out fold (all permuted copies are predicted in one
    call, instead of one call per input and repeat). With independent inputs and an exact
    surrogate, permuting ``x_i`` raises the mean squared error by
    ``E[(f(x) - f(x_i', x_~i))^2] = 2 V ST_i`` (Jansen's formula), so ``importance`` =
    mean MSE increase / (2 Var(y)), the per-fold values averaged over folds.

    ``target = "total"``: the importance is the total index *of the surrogate*; it ranks
    like ST when the surrogate is good. It is not an estimate of the function's ST
    (surrogate error and permuted points outside the data bias it), so ``total`` is not
    given; ``extras["surrogate_total"]`` holds it. ``ci["importance"]`` comes from the
    spread of the ``folds`` per-fold importances (Student t, ``folds - 1`` degrees of
    freedom): the folds' held-out sets are disjoint, while repeats share one model and
    one fold. ``extras["per_fold"]`` ``(d, folds)`` and ``extras["per_repeat"]``
    ``(d, folds, n_repeats)`` keep the raw values. Outputs are standardised first.

    Limitations
    -----------
    Only as good as the surrogate (``extras["cv_r2"]``); a poor fit shrinks every
    importance. Folds share training points, so the interval is approximate (and wide
    with few folds). Correlated inputs are not handled (inputs are independent here).
    """

    name = "permutation"
    version = "2"
    target = "total"
    _parameter_constraints = {
        "model": [HasMethods(["fit", "predict"]), None],
        "folds": [Interval(Integral, 2, None, closed="left")],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        **FOREST_CONSTRAINTS,
    }

    def __init__(self, *, model=None, folds: int = 5, n_repeats: int = 5, n_trees: int = 100,
                 max_depth: int | None = None, min_samples_leaf: int = 1, seed: int = 0):
        self.model = model
        self.folds = folds
        self.n_repeats = n_repeats
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def _min_budget(self, space: Space, gradient) -> int:
        return max(2 * len(space) + 2, 4 * self.folds)

    def _surrogate(self, seed):
        if self.model is None:
            return _forest(self.n_trees, self.max_depth, self.min_samples_leaf, seed)
        model = clone(self.model)
        if "random_state" in model.get_params():
            model.set_params(random_state=seed)
        return model

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        d = len(design.space)
        std = y.std()
        if std == 0:  # constant output (Estimator.analyze warns)
            zero = np.zeros(d)
            return Estimate(design.space.names, zero, extras={"surrogate_total": zero})
        y = (y - y.mean()) / std  # Var(y) = 1: importance = MSE increase / 2, no overflow
        seed = self._random_state(design)
        rng = np.random.default_rng(seed)
        splits = KFold(n_splits=self.folds, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
        U = design.unit_at_levels()
        drops, r2 = [], []
        for train, test in splits.split(U):
            model = self._surrogate(int(rng.integers(2**31 - 1))).fit(U[train], y[train])
            drop, base = _permutation_drops(model, U[test], y[test], self.n_repeats, rng)
            drops.append(drop)
            r2.append(1.0 - base)
        per_repeat = np.stack(drops, axis=1) / 2.0  # (d, folds, n_repeats)
        per_fold = per_repeat.mean(axis=2)
        importance = per_fold.mean(axis=1)
        half = stats.t.ppf(0.975, self.folds - 1) * per_fold.std(axis=1, ddof=1) / np.sqrt(self.folds)
        return Estimate(
            design.space.names, np.maximum(importance, 0.0),
            ci={"importance": (importance - half, importance + half)},
            extras={"surrogate_total": importance, "per_fold": per_fold, "per_repeat": per_repeat,
                    "cv_r2": float(np.mean(r2)), "random_state": seed,
                    "scale": "mean MSE increase / (2 Var y) ~ ST of the surrogate"},
        )


@register_estimator
class MDI(SeededGivenData):
    """Mean decrease in impurity of a random forest (``feature_importances_``), summing to 1.

    ``target = "total"``: a heuristic, not a Sobol' index. An input is credited with the
    variance reduction of every split on it, including splits that resolve its interactions
    (for totally randomised trees MDI sums every interaction term involving the input,
    Louppe et al. 2013), so its ranking is compared with the total indices.

    Limitations
    -----------
    Normalised to sum 1 (no absolute scale). Biased towards inputs with many possible
    split points (continuous over few-level inputs) and computed on the training data, so
    an inert input still gets a share from overfitted splits.
    """

    name = "mdi"
    version = "1"
    target = "total"
    _parameter_constraints = dict(FOREST_CONSTRAINTS)

    def __init__(self, *, n_trees: int = 100, max_depth: int | None = None,
                 min_samples_leaf: int = 1, seed: int = 0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        d = len(design.space)
        seed = self._random_state(design)
        forest = _forest(self.n_trees, self.max_depth, self.min_samples_leaf, seed).fit(design.unit_at_levels(), y)
        imp = np.asarray(forest.feature_importances_, float)
        total = imp.sum()
        imp = imp / total if total > 0 else np.zeros(d)
        return Estimate(design.space.names, imp, extras={"random_state": seed})
