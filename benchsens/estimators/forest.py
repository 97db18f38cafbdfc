"""Forest-surrogate importances from any i.i.d. sample: ``permutation`` and ``mdi``.

Both fit a scikit-learn regressor on the unit-transformed design (``Design.unit_at_levels``:
every continuous input is U(0, 1) there; discrete inputs enter as their level's cell
midpoint, and categorical codes in an arbitrary order that trees can still split into any
contiguous group of codes).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold

from ..registry import register_estimator
from ..space import Space
from .base import Design, Estimate, Estimator

__all__ = ["SeededGivenData", "Permutation", "MDI"]


def _check_int(value, what, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


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


def _check_forest_options(est):
    _check_int(est.n_trees, f"{est.name}: n_trees", 1)
    if est.max_depth is not None:
        _check_int(est.max_depth, f"{est.name}: max_depth", 1)
    _check_int(est.min_samples_leaf, f"{est.name}: min_samples_leaf", 1)
    _check_int(est.seed, f"{est.name}: seed", 0)


@register_estimator
class Permutation(SeededGivenData):
    """Permutation importance of a cross-validated surrogate, on the total-index scale.

    For each of ``folds`` folds the surrogate (``model``, any scikit-learn regressor; a
    random forest by default) is fitted on the other folds, and each input is permuted
    ``n_repeats`` times in the held-out fold (all permuted copies are predicted in one
    call, instead of one call per input and repeat). With independent inputs and an exact
    surrogate, permuting ``x_i`` raises the mean squared error by
    ``E[(f(x) - f(x_i', x_~i))^2] = 2 V ST_i`` (Jansen's formula), so
    ``total = mean MSE increase / (2 Var(y))``, averaged over folds. This is an
    approximation: surrogate error and a finite held-out fold bias it (it is the total
    index of the surrogate, not of the function). ``ci`` is the spread over folds and
    repeats (mean +- 2 standard errors).
    """

    name = "permutation"
    version = "1"

    def __init__(self, model=None, folds: int = 5, n_repeats: int = 5, n_trees: int = 100,
                 max_depth: int | None = None, min_samples_leaf: int = 1, seed: int = 0):
        self.model = model
        self.folds = folds
        self.n_repeats = n_repeats
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def min_budget(self, space: Space) -> int:
        return max(2 * len(space) + 2, 4 * _check_int(self.folds, "permutation: folds", 2))

    def _surrogate(self, seed):
        if self.model is None:
            return _forest(self.n_trees, self.max_depth, self.min_samples_leaf, seed)
        if not (hasattr(self.model, "fit") and hasattr(self.model, "predict")):
            raise TypeError(f"permutation: model must be a scikit-learn regressor, got {self.model!r}")
        model = clone(self.model)
        if "random_state" in model.get_params():
            model.set_params(random_state=seed)
        return model

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        folds = _check_int(self.folds, "permutation: folds", 2)
        n_repeats = _check_int(self.n_repeats, "permutation: n_repeats", 1)
        _check_forest_options(self)
        var = y.var()
        d = len(design.space)
        if var == 0:
            zero = np.zeros(d)
            return Estimate(design.space.names, zero, total=zero, extras={"constant_output": True})
        seed = self._random_state(design)
        rng = np.random.default_rng(seed)
        splits = KFold(n_splits=folds, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
        U = design.unit_at_levels()
        drops, r2 = [], []
        for train, test in splits.split(U):
            model = self._surrogate(int(rng.integers(2**31 - 1))).fit(U[train], y[train])
            drop, base = _permutation_drops(model, U[test], y[test], n_repeats, rng)
            drops.append(drop)
            r2.append(1.0 - base / var)
        per_draw = np.concatenate(drops, axis=1) / (2.0 * var)  # (d, folds * n_repeats)
        total = per_draw.mean(axis=1)
        se = per_draw.std(axis=1, ddof=1) / np.sqrt(per_draw.shape[1])
        return Estimate(
            design.space.names, np.maximum(total, 0.0), total=total,
            ci={"total": (total - 2 * se, total + 2 * se)},
            extras={"cv_r2": float(np.mean(r2)), "random_state": seed,
                    "scale": "mean MSE increase / (2 Var y) ~ ST of the surrogate"},
        )


@register_estimator
class MDI(SeededGivenData):
    """Mean decrease in impurity of a random forest (``feature_importances_``), summing to 1.

    A ranking only (not a Sobol' index); known to favour inputs with many split points.
    """

    name = "mdi"
    version = "1"

    def __init__(self, n_trees: int = 100, max_depth: int | None = None,
                 min_samples_leaf: int = 1, seed: int = 0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def _analyze(self, design: Design, y: np.ndarray, gradient) -> Estimate:
        _check_forest_options(self)
        d = len(design.space)
        seed = self._random_state(design)
        forest = _forest(self.n_trees, self.max_depth, self.min_samples_leaf, seed).fit(design.unit_at_levels(), y)
        imp = np.asarray(forest.feature_importances_, float)
        total = imp.sum()
        imp = imp / total if total > 0 else np.zeros(d)
        return Estimate(design.space.names, imp, extras={"random_state": seed})
