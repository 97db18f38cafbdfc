"""benchsens: benchmark sensitivity and hyperparameter-importance estimators against
response surfaces whose importances are known."""
from importlib.metadata import PackageNotFoundError, version as _version

from .space import Categorical, Distribution, Integer, LogUniform, Normal, Ordinal, Space, Uniform
from .problem import GroundTruth, Problem
from .estimators import BudgetError, Design, Estimate, Estimator
from ._api import (
    estimate,
    get_estimator,
    get_problem,
    list_estimators,
    list_problems,
    register_estimator,
    register_problem,
)
from .scoring import score
from .harness import run_sweep
from .store import load_results
from . import registry  # noqa: F401
from . import problems as _problems  # noqa: F401  (registers the built-in problems)

try:
    __version__ = _version("benchsens")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Space", "Distribution", "Uniform", "LogUniform", "Normal", "Integer", "Ordinal", "Categorical",
    "Problem", "GroundTruth",
    "Estimator", "Estimate", "Design", "BudgetError",
    "estimate", "score",
    "list_problems", "get_problem", "list_estimators", "get_estimator",
    "register_problem", "register_estimator",
    "run_sweep", "load_results",
]
