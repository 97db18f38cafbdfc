"""Registries and the one place where a problem meets an estimator: :func:`estimate`."""
from __future__ import annotations

import numpy as np

from .estimators.base import Estimate, Estimator
from .problem import Problem
from .registry import ESTIMATORS, PROBLEMS, register_estimator, register_problem  # noqa: F401

__all__ = [
    "register_problem",
    "register_estimator",
    "list_problems",
    "get_problem",
    "list_estimators",
    "get_estimator",
    "estimate",
    "streams",
]


def list_problems(tag: str | None = None) -> list[str]:
    """Registered problem names, optionally only those carrying ``tag``."""
    return PROBLEMS.names(tag)


def get_problem(name: str, noise: float = 0.0, **params) -> Problem:
    """Build a registered problem; ``noise`` adds Gaussian noise of ``noise * sd(f)``."""
    problem = PROBLEMS.build(name, **params)
    if not isinstance(problem, Problem):
        raise TypeError(f"problem factory {name!r} returned {type(problem).__name__}, not a Problem")
    return problem.with_noise(noise) if noise else problem


def list_estimators(given_data: bool | None = None) -> list[str]:
    """Registered estimator names (optionally only given-data ones, or only design ones)."""
    names = ESTIMATORS.names()
    if given_data is None:
        return names
    return [n for n in names if ESTIMATORS.factory(n).given_data == given_data]


def get_estimator(name: str, **options) -> Estimator:
    """Build a registered estimator with its constructor options."""
    est = ESTIMATORS.build(name, **options)
    if not isinstance(est, Estimator):
        raise TypeError(f"estimator {name!r} built {type(est).__name__}, not an Estimator")
    return est


def streams(seed, n: int = 2) -> list[np.random.Generator]:
    """Independent generators derived from ``seed`` (an int or a SeedSequence entropy):
    the first plans the design, the second draws evaluation noise."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def estimate(problem: Problem, estimator, budget: int, seed=0) -> Estimate:
    """Plan with ``estimator``, evaluate ``problem`` on the design, analyse the outputs.

    ``estimator`` is a registered name or an :class:`Estimator`. When the problem has an
    exact gradient and the estimator can use one, the gradient is passed along (gradient
    evaluations are not counted against the budget, documented in ``Estimate.extras``).
    """
    if isinstance(problem, str):
        problem = get_problem(problem)
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem or a registered name, got {problem!r}")
    est = get_estimator(estimator) if isinstance(estimator, str) else estimator
    if not isinstance(est, Estimator):
        raise TypeError(f"estimator must be an Estimator or a registered name, got {estimator!r}")
    plan_rng, noise_rng = streams(seed)
    use_grad = est.uses_gradient and problem.has_gradient
    design = est.plan(problem.space, budget, plan_rng, gradient=use_grad)
    y = problem.evaluate(design.X, rng=noise_rng)
    grad = problem.gradient(design.X) if use_grad else None
    result = est.analyze(design, y, gradient=grad)
    if use_grad:
        result.extras["exact_gradient"] = True
    return result
