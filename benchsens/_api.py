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

    Parameters
    ----------
    problem : Problem or str
        The problem, or a registered name (built with its default parameters).
    estimator : Estimator or str
        The estimator, or a registered name (built with its default options).
    budget : int
        Function evaluations allowed, at least the estimator's ``min_budget``.
    seed : int, default 0
        Non-negative; seeds two independent streams, one for the design (or the given
        data), one for the evaluation noise: the same call gives the same estimate.
    regime : str, default "design"
        ``"design"`` (the estimator's own plan), or ``"random"`` / ``"trace:<sampler>"``
        (given-data estimators only).
    max_budget : int, default 10**7
        Larger budgets are refused.

    Returns
    -------
    Estimate
        With ``n_evals`` the evaluations charged and ``target`` the estimator's.

    Examples
    --------
    >>> import numpy as np, benchsens as bs
    >>> est = bs.estimate("ishigami", "rank_s1", budget=512, seed=0, regime="random")
    >>> est.target, est.n_evals, est.names
    ('first', 512, ['x1', 'x2', 'x3'])
    >>> again = bs.estimate(bs.get_problem("ishigami"), bs.get_estimator("rank_s1"), 512, seed=0,
    ...                     regime="random")
    >>> bool(np.array_equal(again.importance, est.importance))
    True
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
