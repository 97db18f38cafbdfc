"""Built-in problems. Each module registers its factories on import.

Unlike the estimators (declared in ``benchsens.estimators`` and imported on first use),
these modules are imported with the package: they need only numpy, SciPy and the grid
packages' metadata (about 30 ms after ``import scipy.stats``), and the real-grid names are
generated from that metadata. ``tests/test_registry.py`` checks that listing names and
tags loads no SALib, scikit-learn, Optuna or pandas.
"""
from . import analytic, engineering, families, hplike, real  # noqa: F401
