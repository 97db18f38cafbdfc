"""Test plug-in: one estimator, ``testplugin.sobol``, in several "releases", and a wrapper
that degrades any registered estimator.

The releases simulate another project's estimator changing between two CI runs:

* :class:`Sobol1` -- benchsens's ``sobol`` under the plug-in's name (version ``"1"``);
* :class:`SobolCopy` -- the same formula under version ``"2"``: new cell keys, so new
  random streams; ``benchsens check`` must judge it unchanged;
* :class:`BiasedSobol` -- version ``"3"``, adds ``BIAS * j / (d - 1)`` to the indices of
  input ``j`` (later inputs look more important): a real regression;
* :class:`BiasedSobolSameVersion` -- the same bias without a version bump (same keys,
  different scores: a code change nobody declared);
* :class:`HalfBudgetSobol` -- version ``"4"``, spends only half of its budget.

:func:`degraded` (``testplugin.degraded``) builds any registered estimator ``base`` with a
``budget_fraction`` and a ``bias`` of the same form; the error-rate measurement of
``benchsens check`` (``scripts/check_error_rates.py``) uses it.
"""
from __future__ import annotations

import numpy as np

import benchsens as bs
from benchsens.estimators.sobol import Sobol

__all__ = ["Sobol1", "SobolCopy", "BiasedSobol", "BiasedSobolSameVersion", "HalfBudgetSobol",
           "degraded", "BIAS"]

#: Added to the index of the last input (linearly less for earlier ones).
BIAS = 0.1


def _add_bias(est, bias: float):
    """Shift ``importance`` (relative to its largest value), ``first`` and ``total`` (on
    the Sobol' scale) by ``bias * j / (d - 1)`` for input ``j``: a ranking and value error."""
    d = est.importance.size
    ramp = np.linspace(0.0, 1.0, d) if d > 1 else np.zeros(d)
    est.importance = est.importance + bias * ramp * max(float(np.max(est.importance)), 1e-12)
    for field in ("first", "total"):
        value = getattr(est, field)
        if value is not None:
            setattr(est, field, value + bias * ramp)
    return est


class Sobol1(Sobol):
    name = "testplugin.sobol"
    version = "1"


class SobolCopy(Sobol1):
    version = "2"


class BiasedSobol(Sobol1):
    version = "3"

    def _analyze(self, design, y, gradient):
        return _add_bias(super()._analyze(design, y, gradient), BIAS)


class BiasedSobolSameVersion(BiasedSobol):
    version = "1"


class HalfBudgetSobol(Sobol1):
    version = "4"

    def min_budget(self, space, *args, **kwargs) -> int:
        return 2 * super().min_budget(space, *args, **kwargs)

    def _plan(self, space, budget, rng, *args, **kwargs):
        return super()._plan(space, budget // 2, rng, *args, **kwargs)


def degraded(base: str = "sobol", budget_fraction: float = 1.0, bias: float = 0.0):
    """Factory of ``testplugin.degraded``: the registered estimator ``base`` (default
    options) planning with ``budget_fraction`` of its budget and adding ``bias`` to its
    indices (see :func:`_add_bias`). A subclass, so it keeps the base's target and kind."""
    base_cls = bs.registry.ESTIMATORS.factory(base)

    class Degraded(base_cls):
        name = "testplugin.degraded"

        def min_budget(self, space, *args, **kwargs) -> int:
            return int(np.ceil(super().min_budget(space, *args, **kwargs) / budget_fraction))

        def _plan(self, space, budget, rng, *args, **kwargs):
            return super()._plan(space, int(budget * budget_fraction), rng, *args, **kwargs)

        def _analyze(self, design, y, gradient):
            return _add_bias(super()._analyze(design, y, gradient), bias)

    return Degraded()
