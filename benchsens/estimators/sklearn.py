"""Thin adapter over scikit-learn's permutation importance (baseline ``sklearn.permutation``).

A ``RandomForestRegressor`` is fitted on a random train split of the sample (natural
units; categorical codes as numbers, which trees split like any ordered feature), and
``sklearn.inspection.permutation_importance`` is computed on the held-out split. Its
default score for a regressor is R^2, so ``importance`` is the mean drop in held-out R^2
when an input is permuted: ``ΔMSE / Var(y_test)``, about ``2 * ST`` for a perfect
surrogate. One seed drawn from the plan's generator (``design.info["seed"]``) drives the
split, the forest and the permutations; a given sample not planned here uses
``_GIVEN_DATA_SEED``.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from ..registry import register_estimator
from ..space import Space
from ._params import Interval
from .base import Design, Estimate, Estimator

__all__ = ["SklearnPermutation"]

_GIVEN_DATA_SEED = 1


@register_estimator
class SklearnPermutation(Estimator):
    """Permutation importance of a random forest on a held-out split (given data).

    ``target = "total"``: the drop in held-out R^2 is ``2 ST`` of the surrogate (Jansen's
    formula, as for ``permutation``), a total-effect notion; not reported as ``total``.

    Limitations
    -----------
    One split: no fold-to-fold spread (``importances_std`` is over repeats that share one
    model and one held-out set, so it understates the error). A forest in natural units;
    only as good as the surrogate (``extras["test_r2"]``).
    """

    name = "sklearn.permutation"
    target = "total"
    given_data = True
    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Real, 0.0, 1.0, closed="neither")],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, n_estimators: int = 100, test_size: float = 0.25, n_repeats: int = 10):
        self.n_estimators = n_estimators
        self.test_size = test_size
        self.n_repeats = n_repeats

    def _min_budget(self, space: Space, gradient) -> int:
        # at least 5 held-out points, so that the held-out R^2 means something
        return max(20, int(np.ceil(5 / self.test_size)))

    def _plan(self, space, budget, rng, gradient):
        seed = int(rng.integers(2**31))
        return Design.from_unit(space, rng.random((budget, len(space))), seed=seed)

    def _analyze(self, design, y, gradient):
        if np.ptp(y) == 0:  # constant output (Estimator.analyze warns)
            return Estimate(names=[], importance=np.zeros(len(design.space)))
        seed = int(design.info.get("seed", _GIVEN_DATA_SEED))
        X_train, X_test, y_train, y_test = train_test_split(
            design.X, y, test_size=self.test_size, random_state=seed)
        if np.ptp(y_test) == 0:
            raise ValueError(f"{self.name}: the held-out outputs are constant ({y_test[0]!r}); R^2 is undefined")
        model = RandomForestRegressor(n_estimators=self.n_estimators, random_state=seed).fit(X_train, y_train)
        result = permutation_importance(model, X_test, y_test, n_repeats=self.n_repeats, random_state=seed)
        return Estimate(
            names=[], importance=np.asarray(result.importances_mean, float),
            extras={"importances_std": np.asarray(result.importances_std, float),
                    "test_r2": float(model.score(X_test, y_test))},
        )
