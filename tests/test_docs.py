"""The public surface is documented, and its examples run (issue 11, item 8).

(a) runs, with :mod:`doctest`, every docstring example of the modules that define the public
surface (one case per documented object), so the default test command checks them without
``--doctest-modules`` (which would also import the recipe scripts under ``benchsens/grids``);
(b) checks that each public object's docstring has numpydoc ``Parameters`` and ``Examples``
sections, the latter with at least one ``>>>`` line.
"""
from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest

#: Modules whose doctests run here.
MODULES = (
    "benchsens.space",
    "benchsens.problem",
    "benchsens.estimators.base",
    "benchsens._api",
    "benchsens.scoring",
    "benchsens.harness",
    "benchsens.store",
)

#: The documented public surface: (module, qualified name). Each takes arguments, so each
#: docstring needs a Parameters section.
PUBLIC = (
    ("benchsens.space", "Space"),
    ("benchsens.space", "Uniform"),
    ("benchsens.space", "LogUniform"),
    ("benchsens.space", "Normal"),
    ("benchsens.space", "Integer"),
    ("benchsens.space", "Ordinal"),
    ("benchsens.space", "Categorical"),
    ("benchsens.problem", "Problem"),
    ("benchsens.problem", "GroundTruth"),
    ("benchsens.estimators.base", "Estimator.plan"),
    ("benchsens.estimators.base", "Estimator.analyze"),
    ("benchsens.estimators.base", "Estimate"),
    ("benchsens._api", "estimate"),
    ("benchsens.scoring", "score"),
    ("benchsens.harness", "run_sweep"),
    ("benchsens.store", "load_results"),
)
#: Functions and methods: their docstrings also need a Returns section.
RETURNS = {"Estimator.plan", "Estimator.analyze", "estimate", "score", "run_sweep", "load_results"}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _doctests():
    cases = []
    for name in MODULES:
        module = importlib.import_module(name)
        for test in doctest.DocTestFinder(exclude_empty=True).find(module):
            if test.examples:
                cases.append(pytest.param(name, test.name, id=test.name))
    return cases


DOCTESTS = _doctests()


@pytest.mark.parametrize("module_name, test_name", DOCTESTS)
def test_doctest(module_name, test_name):
    module = importlib.import_module(module_name)
    (test,) = [t for t in doctest.DocTestFinder().find(module) if t.name == test_name]
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)


def _object(module_name, qualname):
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a docstring: {title: body}."""
    parts = re.split(r"^(\w[\w ]*)\n-{3,}\s*$", doc, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


@pytest.mark.parametrize("module_name, qualname", PUBLIC, ids=[q for _, q in PUBLIC])
def test_public_docstring_sections(module_name, qualname):
    obj = _object(module_name, qualname)
    doc = inspect.getdoc(obj)
    assert doc, f"{qualname} has no docstring"
    sections = _sections(doc)
    need = ["Parameters", "Examples"] + (["Returns"] if qualname in RETURNS else [])
    missing = [s for s in need if s not in sections]
    assert not missing, f"{qualname}: docstring lacks the numpydoc section(s) {missing}"
    assert any(line.lstrip().startswith(">>> ") for line in sections["Examples"].splitlines()), \
        f"{qualname}: its Examples section has no '>>>' line"
    # the examples are collected by test_doctest
    assert any(p.values[1] == f"{module_name}.{qualname}" for p in DOCTESTS), \
        f"{qualname}: no doctest of {module_name} runs its examples"


def test_every_module_is_searched():
    assert {m for m, _ in PUBLIC} == set(MODULES)
