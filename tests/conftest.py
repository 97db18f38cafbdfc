"""Test-session setup.

pytest imports this file before any test module, so the registries are read here as the
package (and any installed plug-in) defines them, before ``harness_toys`` adds its
deliberately broken toys. Tests that run over "every registered problem/estimator"
parametrise over these tuples, whatever the collection or execution order.
"""
import benchsens as bs

PACKAGE_PROBLEMS = tuple(bs.list_problems())
PACKAGE_ESTIMATORS = tuple(bs.list_estimators())
