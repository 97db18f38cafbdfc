"""Thin adapters over Optuna's hyperparameter-importance evaluators (baselines ``optuna.*``).

All three are given-data estimators: the sample (planned i.i.d., or given) becomes an
in-memory Optuna study, one completed trial per point (``optuna.trial.create_trial`` then
``study.add_trials``; Optuna has no bulk API, so this is a loop over trials), and
``optuna.importance.get_param_importances(..., normalize=False)`` scores it.

Parameter kinds map to Optuna distributions so that Optuna sees the native search space:
Uniform -> ``FloatDistribution(low, high)``, LogUniform -> ``FloatDistribution(log=True)``,
Integer -> ``IntDistribution(low, high, log)``, Ordinal -> ``CategoricalDistribution`` of
its levels, Categorical -> ``CategoricalDistribution`` of its integer codes. Optuna has no
normal distribution: a Normal input is passed as its unit transform (``Design.U``) on
``FloatDistribution(0, 1)``. Optuna ignores level weights (it treats the levels of a
weighted Ordinal/Categorical as equally likely) and fits fANOVA/MDI forests on the raw,
not log-transformed, scale.

Optuna is an optional extra (``pip install benchsens[optuna]``): this module imports
without it, and validating, planning or analysing with an ``optuna.*`` estimator without
it raises ImportError. Optuna's INFO logging is silenced only while an adapter runs (its
verbosity is restored afterwards); its warnings go to ``Estimate.extras["warnings"]``.
Seeds of the fANOVA/MDI forests come from the plan's generator (``design.info["seed"]``);
a given sample not planned here uses the fixed seed ``_GIVEN_DATA_SEED``.
"""
from __future__ import annotations

import contextlib
import importlib
import math
import warnings
from numbers import Integral, Real

import numpy as np

from ..registry import register_estimator
from ..space import Space
from ._params import Interval, StrOptions
from .base import Design, Estimate, Estimator

__all__ = ["OptunaFanova", "OptunaPedAnova", "OptunaMdi", "study_from_sample"]

_GIVEN_DATA_SEED = 1


_FOREST = {"n_trees": [Interval(Integral, 1, None, closed="left")],
           "max_depth": [Interval(Integral, 1, None, closed="left")]}


def _optuna(who: str):
    """Optuna, or an ImportError telling how to install it."""
    try:
        return importlib.import_module("optuna")
    except ImportError as exc:
        raise ImportError(
            f"{who} needs Optuna, an optional extra: pip install benchsens[optuna]"
        ) from exc


@contextlib.contextmanager
def _quiet(optuna):
    """Optuna's verbosity at WARNING (no "study created" lines) inside, restored after."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _distribution_and_values(optuna, dist, x, u):
    """Optuna distribution of one input, and its column as Optuna parameter values."""
    D = optuna.distributions
    kind = dist.kind
    if kind == "uniform":
        return D.FloatDistribution(dist.low, dist.high), x.tolist()
    if kind == "loguniform":  # exp/log round trips may overshoot the bounds by an ulp
        return D.FloatDistribution(dist.low, dist.high, log=True), np.clip(x, dist.low, dist.high).tolist()
    if kind == "normal":
        return D.FloatDistribution(0.0, 1.0), u.tolist()
    if kind == "integer":
        return D.IntDistribution(dist.low, dist.high, log=dist.log), x.astype(int).tolist()
    if kind == "ordinal":
        return D.CategoricalDistribution(dist.levels.tolist()), x.tolist()
    if kind == "categorical":
        return D.CategoricalDistribution(list(range(len(dist.levels)))), x.astype(int).tolist()
    raise ValueError(f"no Optuna distribution for parameter kind {kind!r} ({dist!r})")


def study_from_sample(design: Design, y: np.ndarray, direction: str = "minimize", who: str = "optuna"):
    """An in-memory Optuna study with one completed trial per design point."""
    optuna = _optuna(who)
    space = design.space
    distributions, columns = {}, []
    for j, (name, dist) in enumerate(space.items()):
        distributions[name], values = _distribution_and_values(optuna, dist, design.X[:, j], design.U[:, j])
        columns.append(values)
    names = space.names
    trials = [
        optuna.trial.create_trial(params=dict(zip(names, row)), distributions=distributions, value=value)
        for row, value in zip(zip(*columns), np.asarray(y, float).tolist())
    ]
    with _quiet(optuna):
        study = optuna.create_study(direction=direction)
    study.add_trials(trials)
    return study


class _OptunaImportance(Estimator):
    """Shared plan/analyze: i.i.d. plan with a seed, Optuna study, raw importances."""

    given_data = True
    direction = "minimize"

    def _check_params(self):
        _optuna(self.name)

    def _min_budget(self, space: Space, gradient) -> int:
        return max(10, 2 * len(space) + 2)

    def _plan(self, space, budget, rng, gradient):
        seed = int(rng.integers(2**31))
        return Design.from_unit(space, rng.random((budget, len(space))), seed=seed)

    def _evaluator(self, optuna, seed: int):
        raise NotImplementedError

    def _analyze(self, design, y, gradient):
        if np.ptp(y) == 0:  # Optuna's forests refuse zero variance (Estimator.analyze warns)
            return Estimate(names=[], importance=np.zeros(len(design.space)))
        optuna = _optuna(self.name)
        seed = int(design.info.get("seed", _GIVEN_DATA_SEED))
        extras = {}
        with warnings.catch_warnings(record=True) as caught, _quiet(optuna):
            warnings.simplefilter("always")
            study = study_from_sample(design, y, self.direction, self.name)
            scores = optuna.importance.get_param_importances(
                study, evaluator=self._evaluator(optuna, seed), normalize=False
            )
        messages = list(dict.fromkeys(str(w.message) for w in caught))
        if messages:
            extras["warnings"] = messages
        importance = np.array([scores.get(name, 0.0) for name in design.space.names], float)
        return Estimate(names=[], importance=importance, extras=extras)


@register_estimator
class OptunaFanova(_OptunaImportance):
    """Optuna's ``FanovaImportanceEvaluator`` (Hutter et al. 2014 fANOVA on a random
    forest): ``importance`` = ``first`` = the forest's main-effect variance fraction
    under Optuna's uniform measure on each distribution's range.

    ``target = "first"``: a main-effect variance fraction, an estimate of S1.

    Limitations
    -----------
    Optuna's measure, not the problem's: level weights are ignored and the forest is fitted
    on the raw (not log) scale, so S1 of weighted or log inputs is of a different
    distribution. Needs Optuna; loops over trials to build the study.
    """

    name = "optuna.fanova"
    target = "first"
    _parameter_constraints = dict(_FOREST)

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64):
        self.n_trees = n_trees
        self.max_depth = max_depth

    def _evaluator(self, optuna, seed):
        return optuna.importance.FanovaImportanceEvaluator(
            n_trees=self.n_trees, max_depth=self.max_depth, seed=seed)

    def _analyze(self, design, y, gradient):
        est = super()._analyze(design, y, gradient)
        est.first = est.importance.copy()
        return est


@register_estimator
class OptunaMdi(_OptunaImportance):
    """Optuna's ``MeanDecreaseImpurityImportanceEvaluator``: a random forest's impurity
    importance (scikit-learn), summed over one-hot columns of categorical parameters.

    ``target = "total"``: a heuristic, compared with the total indices for the reason given
    for ``mdi`` (an input is credited with the splits resolving its interactions too).

    Limitations
    -----------
    Normalised, biased towards inputs with many split points, computed on training data
    (inert inputs get a share). Needs Optuna.
    """

    name = "optuna.mdi"
    target = "total"
    _parameter_constraints = dict(_FOREST)

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64):
        self.n_trees = n_trees
        self.max_depth = max_depth

    def _evaluator(self, optuna, seed):
        return optuna.importance.MeanDecreaseImpurityImportanceEvaluator(
            n_trees=self.n_trees, max_depth=self.max_depth, seed=seed)


@register_estimator
class OptunaPedAnova(_OptunaImportance):
    """Optuna's ``PedAnovaImportanceEvaluator`` (Watanabe et al. 2023): how much each
    parameter's distribution among the top ``target_quantile`` trials (by ``direction``)
    differs from that within the top ``region_quantile`` (Pearson divergence).

    Deterministic (no seed); ``min_budget`` gives the >= 5 top trials Optuna recommends.

    ``target = "local"``: how each input's distribution among the best trials differs,
    a top-quantile notion, not a share of the output's variance; ``extras["gamma"]`` is
    ``target_quantile``, so it is scored against the local truth of that quantile.

    Limitations
    -----------
    Only ``target_quantile * n`` trials carry the signal (noisy at small budgets); the
    divergence is computed on Parzen estimates of each parameter alone (no interactions).
    Needs Optuna.
    """

    name = "optuna.ped_anova"
    version = "2"
    target = "local"
    _parameter_constraints = {
        "target_quantile": [Interval(Real, 0.0, 1.0, closed="neither")],
        "region_quantile": [Interval(Real, 0.0, 1.0, closed="right")],
        "direction": [StrOptions({"minimize", "maximize"})],
    }

    def __init__(self, *, target_quantile: float = 0.1, region_quantile: float = 1.0,
                 direction: str = "minimize"):
        self.target_quantile = target_quantile
        self.region_quantile = region_quantile
        self.direction = direction

    def _check_params(self):
        if not self.target_quantile < self.region_quantile:
            raise ValueError(
                "optuna.ped_anova: option 'target_quantile' must be below 'region_quantile', got "
                f"target_quantile={self.target_quantile!r}, region_quantile={self.region_quantile!r}"
            )
        super()._check_params()

    def _min_budget(self, space: Space, gradient) -> int:
        return max(super()._min_budget(space, gradient), math.ceil(5 / self.target_quantile))

    def _evaluator(self, optuna, seed):
        return optuna.importance.PedAnovaImportanceEvaluator(
            target_quantile=self.target_quantile, region_quantile=self.region_quantile)

    def _analyze(self, design, y, gradient):
        est = super()._analyze(design, y, gradient)
        est.extras["gamma"] = float(self.target_quantile)
        return est
