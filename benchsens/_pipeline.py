"""The one path from a problem and an estimator to an :class:`~benchsens.Estimate`:
plan -> evaluate (with the noise stream) -> gradient (when used, charged) -> analyse.

:func:`benchsens.estimate`, the sweep harness's cells and :mod:`benchsens.testing` all call
:func:`run`, so a stored cell is exactly what ``bs.estimate`` returns for the same identity.

Streams. ``seed`` gives two independent generators (``streams(seed)``): in the ``design``
regime the first plans the design and the second draws evaluation noise; in the given-data
regimes (``random``, ``trace:<sampler>``) the first draws the sample (or seeds the optimiser)
and the second the noise, and the estimator analyses points it did not plan.

Gradients. When the estimator can use one and the problem has one, the estimator plans with
``gradient=True`` and the problem's ``gradient_cost`` (evaluations per gradient, ``d`` when the
problem declares none); the estimator charges ``n * (1 + cost)`` evaluations, or nothing extra
when it is an oracle. Given-data regimes never pass a gradient: the data are ``(X, y)``.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import numbers
import time

import numpy as np

from .estimators.base import Design, Estimate, Estimator
from .problem import Problem

__all__ = ["Run", "run", "streams", "check_seed", "check_budget", "design_bytes", "gradient_cost",
           "min_budget", "MAX_BUDGET", "REGIMES"]

#: Default ceiling on a budget (evaluations); sweeps raise it with the spec key ``max_budget``.
MAX_BUDGET = 10**7
#: Float64 matrices of size ``n x d`` every design holds (``X`` and ``U``): the smallest footprint.
DESIGN_FACTOR = 2
#: Regimes: the estimator's own design, or given data (an i.i.d. sample, an optimiser's trace).
REGIMES = ("design", "random", "trace:tpe", "trace:random", "trace:qmc")


@dataclasses.dataclass
class Run:
    """What :func:`run` produced: the estimate, the data it saw, and where the time went."""

    estimate: Estimate
    design: Design
    y: np.ndarray
    plan_seconds: float
    eval_seconds: float  # evaluations and gradients


def streams(seed, n: int = 2) -> list[np.random.Generator]:
    """Independent generators derived from ``seed`` (a non-negative int): see the module doc."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def check_seed(seed) -> int:
    """``seed`` as an int, or a ValueError naming it."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def design_bytes(budget: int, d: int) -> int:
    """Memory a design of ``budget`` points in ``d`` inputs needs at least (``X`` and ``U``)."""
    return int(budget) * int(d) * 8 * DESIGN_FACTOR


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.3g} GiB"


def check_budget(budget, d: int, max_budget: int = MAX_BUDGET, name: str = "budget") -> int:
    """``budget`` as an int, or a ValueError naming it: a positive integer (not a float, NaN
    or inf) no larger than ``max_budget``, the memory it would need stated when it is."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral) or budget < 1:
        raise ValueError(f"{name} must be a positive integer number of evaluations, got {budget!r}")
    if budget > max_budget:
        raise ValueError(f"{name}={budget} is above the ceiling of {max_budget} evaluations: its design "
                         f"alone needs {_gib(design_bytes(budget, d))} (n x d x 8 bytes x {DESIGN_FACTOR}); "
                         "raise max_budget to allow it")
    return int(budget)


def gradient_cost(problem: Problem, est: Estimator) -> float | None:
    """Evaluations one gradient is charged in the design regime (the problem's
    ``gradient_cost``, ``d`` when it declares none), or None when no gradient is used."""
    if not (est.uses_gradient and problem.has_gradient):
        return None
    return problem.gradient_cost


def min_budget(problem: Problem, est: Estimator, regime: str = "design") -> int:
    """The smallest budget ``est`` accepts on ``problem`` in ``regime`` (gradients included)."""
    cost = gradient_cost(problem, est) if regime == "design" else None
    if cost is None:
        return int(est.min_budget(problem.space))
    return int(est.min_budget(problem.space, gradient=True, gradient_cost=cost))


def _given_data(problem: Problem, budget: int, regime: str, sample_rng, noise_rng):
    """A sample the estimator did not plan and its outputs: ``(design, y, plan s, eval s)``."""
    start = time.perf_counter()
    if regime == "random":
        design = Design.from_unit(problem.space, sample_rng.random((budget, problem.d)), regime="random")
        plan_seconds = time.perf_counter() - start
        start = time.perf_counter()
        y = problem.evaluate(design.X, rng=noise_rng)
        return design, y, plan_seconds, time.perf_counter() - start
    design, y, eval_seconds = _trace(problem, budget, regime.split(":", 1)[1], sample_rng, noise_rng)
    return design, y, time.perf_counter() - start - eval_seconds, eval_seconds


def _trace(problem: Problem, budget: int, sampler_name: str, rng, noise_rng):
    """The trials of an Optuna optimiser minimising the problem: ``(design, y, seconds
    spent in evaluations)``. Continuous inputs are searched on their unit interval (so the
    optimiser sees the space's own distribution), finite ones by level index."""
    import optuna

    from .estimators.optuna import _quiet

    seed = int(rng.integers(2**31))
    sampler = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed),
               "random": lambda: optuna.samplers.RandomSampler(seed=seed),
               "qmc": lambda: optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)}[sampler_name]()
    space, d = problem.space, problem.d
    X, y = np.empty((budget, d)), np.empty(budget)
    eval_seconds = 0.0

    def objective(trial):
        nonlocal eval_seconds
        x = np.empty(d)
        for j, (name, dist) in enumerate(space.items()):
            if dist.kind == "categorical":
                x[j] = dist.levels[trial.suggest_categorical(name, list(range(dist.levels.size)))]
            elif dist.discrete:
                x[j] = dist.levels[trial.suggest_int(name, 0, dist.levels.size - 1)]
            else:
                x[j] = dist.from_unit(np.array([trial.suggest_float(name, 0.0, 1.0)]))[0]
        start = time.perf_counter()
        value = float(problem.evaluate(x[None, :], rng=noise_rng)[0])
        eval_seconds += time.perf_counter() - start
        X[trial.number], y[trial.number] = x, value
        return value if math.isfinite(value) else float("inf")

    with _quiet(optuna):  # Optuna's global verbosity is restored afterwards
        study = optuna.create_study(direction="minimize", sampler=sampler)
        study.optimize(objective, n_trials=budget)
    # inactive entries get the fixed value designs hold, as in the other regimes
    return Design.from_sample(space, space.fix_inactive(X), regime=f"trace:{sampler_name}"), y, eval_seconds


def _copy_given(given):
    """A copy of ``(design, y, plan s, eval s)`` no estimator can change (the space is shared)."""
    design, y, plan_seconds, eval_seconds = given
    design = dataclasses.replace(design, X=design.X.copy(), U=design.U.copy(), info=copy.deepcopy(design.info))
    return design, y.copy(), plan_seconds, eval_seconds


def run(problem: Problem, est: Estimator, budget: int, seed: int, regime: str = "design",
        on_design=None, given_cache=None) -> Run:
    """Plan (or draw the given data), evaluate, add the gradient when used, analyse.

    ``seed`` is the entropy of the two streams (module doc). ``on_design(design)``, when
    given, is called with the planned design before any evaluation (a conformance check).
    ``given_cache`` (a dict), when given, keeps the given data (and the seconds drawing them
    took) per ``seed``, so a caller whose seed identifies problem, budget and regime (the
    harness's data key) draws each sample or optimiser trace once; every estimator gets a copy.
    Arguments are assumed valid (callers check them with :func:`check_seed` /
    :func:`check_budget`); what the estimator or problem raises propagates.
    """
    first_rng, noise_rng = streams(seed)
    grad = None
    if regime == "design":
        cost = gradient_cost(problem, est)
        start = time.perf_counter()
        if cost is None:
            design = est.plan(problem.space, budget, first_rng)
        else:
            design = est.plan(problem.space, budget, first_rng, gradient=True, gradient_cost=cost)
        plan_seconds = time.perf_counter() - start
        if on_design is not None:
            on_design(design)
        start = time.perf_counter()
        y = problem.evaluate(design.X, rng=noise_rng)
        if cost is not None:
            grad = problem.gradient(design.X)
        eval_seconds = time.perf_counter() - start
    elif regime in REGIMES:
        if not est.given_data:
            raise ValueError(f"estimator {est.name!r} analyses only its own design (given_data=False), "
                             f"so it cannot run in regime {regime!r}")
        if given_cache is not None and seed in given_cache:
            design, y, plan_seconds, eval_seconds = _copy_given(given_cache[seed])
        else:
            design, y, plan_seconds, eval_seconds = _given_data(problem, budget, regime, first_rng, noise_rng)
            if given_cache is not None:
                given_cache[seed] = _copy_given((design, y, plan_seconds, eval_seconds))
    else:
        raise ValueError(f"regime must be one of {', '.join(REGIMES)}, got {regime!r}")
    estimate = est.analyze(design, y, gradient=grad)
    if grad is not None:
        estimate.extras["exact_gradient"] = True
    return Run(estimate, design, y, plan_seconds, eval_seconds)
