"""Registries and the one place where a problem meets an estimator: :func:`estimate`."""
from __future__ import annotations

from ._pipeline import MAX_BUDGET, check_budget, check_seed, run, streams
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
    return [n for n in names if ESTIMATORS.metadata(n)["given_data"] == given_data]


def get_estimator(name: str, **options) -> Estimator:
    """Build a registered estimator with its constructor options."""
    est = ESTIMATORS.build(name, **options)
    if not isinstance(est, Estimator):
        raise TypeError(f"estimator {name!r} built {type(est).__name__}, not an Estimator")
    return est


def estimate(problem: Problem, estimator, budget: int, seed=0, regime: str = "design",
             max_budget: int = MAX_BUDGET) -> Estimate:
    """Plan with ``estimator``, evaluate ``problem`` on the design, analyse the outputs.

    ``problem`` and ``estimator`` are instances or registered names; ``seed`` a non-negative
    integer. ``regime="random"`` or ``"trace:<sampler>"`` lets a given-data estimator analyse
    an i.i.d. sample or an Optuna optimiser's trials instead of its own design. When the
    problem has an exact gradient and the estimator can use one, the gradient is passed along
    and charged (``problem.gradient_cost`` evaluations each, ``extras["exact_gradient"]``).
    Budgets above ``max_budget`` (default 10**7) are refused with the memory they would need.
    A sweep cell is exactly this call (see :mod:`benchsens._pipeline`).
    """
    if isinstance(problem, str):
        problem = get_problem(problem)
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem or a registered name, got {problem!r}")
    est = get_estimator(estimator) if isinstance(estimator, str) else estimator
    if not isinstance(est, Estimator):
        raise TypeError(f"estimator must be an Estimator or a registered name, got {estimator!r}")
    seed = check_seed(seed)
    budget = check_budget(budget, problem.d, max_budget)
    return run(problem, est, budget, seed, regime).estimate
