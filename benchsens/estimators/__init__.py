"""Estimators: ours and thin adapters over SALib, Optuna and scikit-learn."""
from .base import BudgetError, Design, Estimate, Estimator  # noqa: F401
from . import (  # noqa: F401  (each module registers its estimators)
    sobol,
    rank,
    dgsm,
    fanova,
    forest,
    hsic,
    salib,
    optuna,
    sklearn,
)
