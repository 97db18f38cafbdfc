"""Estimators: ours and thin adapters over SALib, Optuna and scikit-learn.

The built-in estimators are declared here by name, module, class and metadata; a module
(and SALib, scikit-learn or Optuna behind it) is imported only when one of its estimators
is built. ``tests/test_registry.py`` checks this table against the classes themselves.
"""
from ..registry import ESTIMATORS
from .base import BudgetError, Design, Estimate, Estimator  # noqa: F401

# name: (module in this package, class, given_data, target, oracle)
BUILTIN = {
    "sobol": ("sobol", "Sobol", False, "total", False),
    "azzini": ("azzini", "Azzini", False, "total", False),
    "vars": ("vars", "Vars", False, "total", False),
    "rank_s1": ("rank", "RankS1", True, "first", False),
    "dgsm": ("dgsm", "DGSM", False, "derivative", False),
    "dgsm.oracle": ("dgsm", "DGSMOracle", False, "derivative", True),
    "fanova": ("fanova", "Fanova", True, "first", False),
    "mdi": ("forest", "MDI", True, "total", False),
    "permutation": ("forest", "Permutation", True, "total", False),
    "hsic": ("hsic", "Hsic", True, "dependence", False),
    "hsic.goal": ("hsic", "HsicGoal", True, "local", False),
    "ped_anova": ("ped", "PedAnova", True, "local", False),
    "marginal": ("tuning", "Marginal", True, "marginal", False),
    "ablation": ("tuning", "Ablation", True, "ablation", False),
    "salib.sobol": ("salib", "SALibSobol", False, "total", False),
    "salib.morris": ("salib", "SALibMorris", False, "derivative", False),
    "salib.fast": ("salib", "SALibFast", False, "total", False),
    "salib.rbd_fast": ("salib", "SALibRbdFast", True, "first", False),
    "salib.delta": ("salib", "SALibDelta", True, "dependence", False),
    "salib.pawn": ("salib", "SALibPawn", True, "dependence", False),
    "salib.dgsm": ("salib", "SALibDgsm", False, "derivative", False),
    "optuna.fanova": ("optuna", "OptunaFanova", True, "first", False),
    "optuna.mdi": ("optuna", "OptunaMdi", True, "total", False),
    "optuna.ped_anova": ("optuna", "OptunaPedAnova", True, "local", False),
    "sklearn.permutation": ("sklearn", "SklearnPermutation", True, "total", False),
}

for _name, (_module, _cls, _given, _target, _oracle) in BUILTIN.items():
    ESTIMATORS.declare(_name, f"{__name__}.{_module}", _cls, ("given_data",) if _given else (),
                       given_data=_given, target=_target, oracle=_oracle)
