import importlib
import pkgutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import benchsens as bs
from benchsens.registry import Registry


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """A fake installed distribution that declares a problem and an estimator entry point."""
    (tmp_path / "bsplugin.py").write_text(textwrap.dedent('''
        import numpy as np
        import benchsens as bs

        def make_problem(scale=1.0):
            space = bs.Space({"u": bs.Uniform(0, 1), "v": bs.Uniform(0, 1)})
            truth = bs.GroundTruth(first=[1, 0], total=[1, 0], kind="analytic", source="f = scale*u")
            return bs.Problem("plugin_linear", space, lambda X: scale * X[:, 0], truth)

        class Const(bs.Estimator):
            name = "plugin_const"
            given_data = True
            def __init__(self):
                pass
            def _analyze(self, design, y, gradient):
                return bs.Estimate(names=design.space.names, importance=np.ones(len(design.space)))
    '''))
    dist = tmp_path / "bsplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bsplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[benchsens.problems]\nplugin_linear = bsplugin:make_problem\n\n"
        "[benchsens.estimators]\nplugin_const = bsplugin:Const\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("bsplugin", None)


def test_entry_point_problem_and_estimator(plugin_dist):
    problems = Registry("problem", "benchsens.problems")
    assert "plugin_linear" in problems.names()
    p = problems.build("plugin_linear", scale=2.0)
    np.testing.assert_allclose(p.evaluate([[0.5, 0.1]]), [1.0])
    estimators = Registry("estimator", "benchsens.estimators")
    est = estimators.build("plugin_const")
    assert est.name == "plugin_const" and est.given_data
    assert estimators.names(tag="given_data") == ["plugin_const"]


def test_unknown_names_suggest_close_ones():
    with pytest.raises(KeyError, match="did you mean 'ishigami'"):
        bs.get_problem("ishigammi")
    with pytest.raises(KeyError, match="unknown estimator 'no_such_method'"):
        bs.get_estimator("no_such_method")


def test_duplicate_registration_is_refused():
    reg = Registry("problem", "benchsens.nothing")
    reg.register("a", lambda: None)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", lambda: 1)


def test_build_names_missing_and_unknown_parameters():
    reg = Registry("problem", "benchsens.nothing")
    reg.register("needs_a", lambda a, b=1: (a, b))
    with pytest.raises(TypeError, match=r"^problem 'needs_a' is missing required parameter\(s\) \['a'\]$"):
        reg.build("needs_a", b=2)
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['c'\]; it accepts \['a', 'b'\]"):
        reg.build("needs_a", a=1, c=3)
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['c'\].*missing required parameter\(s\) \['a'\]"):
        reg.build("needs_a", c=3)
    assert reg.build("needs_a", a=1) == (1, 1)


def test_declared_entries_import_their_module_only_when_built():
    reg = Registry("estimator", "benchsens.nothing")
    reg.declare("json_dumps", "json", "dumps", ("fast",), given_data=False)
    assert reg.names(tag="fast") == ["json_dumps"] and reg.metadata("json_dumps")["given_data"] is False
    assert reg.declared() == {"json_dumps": ("json", "dumps")}
    import json

    assert reg.factory("json_dumps") is json.dumps and reg.declared() == {}
    # a declared name cannot be taken by a factory from another module
    reg.declare("sobol_like", "benchsens.estimators.sobol", "Sobol")
    with pytest.raises(ValueError, match="'sobol_like' is already registered"):
        reg.register("sobol_like", lambda: None)


def test_import_and_listing_load_no_heavy_dependency():
    """Names and metadata (and the CLI's parser and listings) come without SALib,
    scikit-learn, Optuna or pandas; building an estimator loads only its own back end."""
    code = textwrap.dedent("""
        import contextlib, io, sys
        import benchsens as bs
        from benchsens.cli import build_parser, main
        build_parser()
        with contextlib.redirect_stdout(io.StringIO()):
            main(["estimators"])
            main(["problems"])
        names = bs.list_problems() + bs.list_estimators(given_data=True)
        meta = [bs.registry.ESTIMATORS.metadata(n) for n in bs.list_estimators()]
        bs.get_problem("ishigami")
        heavy = ("sklearn", "SALib", "optuna", "pandas")
        print(sorted(m for m in heavy if m in sys.modules))
        bs.get_estimator("salib.sobol")
        print(sorted(m for m in heavy if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after = out.splitlines()
    assert before == "[]" and "SALib" in after and "optuna" not in after


def test_builtin_estimator_table_matches_the_classes():
    """The declared metadata of every built-in estimator equals its class attributes, and
    every estimator class a built-in module registers is declared (the table cannot drift)."""
    import benchsens.estimators as pkg
    from benchsens.registry import ESTIMATORS, estimator_metadata

    declared = {}
    for name, (module, attr, given_data, target, oracle) in pkg.BUILTIN.items():
        cls = getattr(importlib.import_module(f"benchsens.estimators.{module}"), attr)
        assert cls.name == name
        assert (given_data, target, oracle) == (cls.given_data, cls.target, cls.oracle), name
        assert dict(ESTIMATORS.metadata(name)) == estimator_metadata(cls)
        declared[name] = cls
    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"benchsens.estimators.{info.name}")
    builtin = {n for n in ESTIMATORS.names()
               if getattr(ESTIMATORS.factory(n), "__module__", "").startswith("benchsens.")}
    assert builtin == set(declared)
    assert all(ESTIMATORS.factory(n) is cls for n, cls in declared.items())


def test_third_party_register_estimator(monkeypatch):
    from benchsens import registry

    monkeypatch.setattr(registry, "ESTIMATORS", Registry("estimator", "benchsens.nothing"))

    @registry.register_estimator
    class Mine(bs.Estimator):
        name = "mine"
        given_data = True
        target = "dependence"

        def _analyze(self, design, y, gradient):
            return bs.Estimate(names=[], importance=np.ones(len(design.space)))

    assert registry.ESTIMATORS.names(tag="given_data") == ["mine"]
    assert registry.ESTIMATORS.metadata("mine")["target"] == "dependence"
    assert isinstance(registry.ESTIMATORS.build("mine"), Mine)
    with pytest.raises(TypeError, match="needs an Estimator subclass"):
        registry.register_estimator(object)
