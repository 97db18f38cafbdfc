"""Importing this registers the plug-in's estimators without an entry point (for a sweep
spec's ``imports``, which every worker process imports)."""
from benchsens.registry import ESTIMATORS

from . import degraded, Sobol1

ESTIMATORS.register(Sobol1.name, Sobol1)
ESTIMATORS.register("testplugin.degraded", degraded)
