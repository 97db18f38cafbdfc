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
