"""Sweep specs: malformed specs give clear errors before anything runs; cell keys and
seeds depend on the cell's identity only."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import benchsens as bs
import harness_toys as toys
from benchsens.harness import Cell, SpecError, expand, list_suites, load_spec, plan_sweep
from benchsens.harness.spec import _TOP_KEYS, parse_spec

EXAMPLE = Path(__file__).parents[1] / "examples" / "sweep.toml"


def _plan(spec):
    """plan_sweep of a spec that imports the toys (opted in)."""
    return plan_sweep(spec, allow_imports=True)

# (overrides of the toy spec, a fragment the error message must contain)
MALFORMED = [
    ({"budget": [16]}, "unknown key 'budget'; did you mean 'budgets'"),
    ({"estimators": ["toy_cor"]}, "unknown estimator 'toy_cor'; did you mean 'toy_corr'"),
    ({"problems": ["toy_linaer"]}, "unknown problem 'toy_linaer'; did you mean 'toy_linear'"),
    ({"problems": [{"name": "toy_linear", "params": {"slep": 1}}]}, "unknown parameter(s) ['slep']"),
    ({"problems": [{"name": "toy_linear", "parms": {}}]}, "unknown key 'parms'; did you mean 'params'"),
    ({"problems": [{"params": {}}]}, "'name' (a registered problem name) is required"),
    ({"problems": [{"name": "toy_linear", "params": 3}]}, "expected a table of name = value, got 3"),
    ({"problems": []}, "'problems' must be a non-empty list"),
    ({"problems": [7]}, "expected a problem name or a table"),
    ({"estimators": [{"name": "toy_corr", "option": {}}]}, "unknown key 'option'; did you mean 'options'"),
    ({"estimators": [{"name": "toy_corr", "options": {"sleeep": 1}}]}, "unknown parameter(s) ['sleeep']"),
    ({"estimators": [{"name": "toy_corr", "budgets": []}]}, "the list is empty"),
    ({"budgets": [4]}, "budget 4 is below the minimum of 8 evaluations of estimator 'toy_corr'"),
    ({"budgets": []}, "the list is empty, so the sweep would have no cells"),
    ({"budgets": ["many"]}, "expected integers, got 'many'"),
    ({"budgets": [16, 16]}, "duplicate values"),
    ({"budgets": [0]}, "values must be >= 1, got 0"),
    ({"seeds": 0}, "a seed count must lie in [1,"),
    ({"seeds": [-1]}, "values must be >= 0, got -1"),
    ({"seeds": "3"}, "expected a count or a list of integers"),
    ({"noise": [-0.1]}, "noise levels must be finite numbers >= 0 or \"replicate\", got -0.1"),
    ({"noise": [float("nan")]}, "noise levels must be finite numbers >= 0"),
    ({"noise": [0.1, "replicate"]}, "is ambiguous; write noise = [...] and replicate = [false, true]"),
    ({"noise": ["replicate"], "replicate": True}, "not both"),
    ({"replicate": "yes"}, "replicate: expected true, false or a list of them, got 'yes'"),
    ({"replicate": [True, True]}, "duplicate values"),
    ({"max_budget": 0}, "max_budget: expected a positive integer number of evaluations, got 0"),
    ({"budgets": [10**11]}, "budget=100000000000 is above the ceiling of 10000000 evaluations: its "
                            "design alone needs 4.47e+03 GiB"),
    ({"budgets": [64], "max_budget": 32}, "budget=64 is above the ceiling of 32 evaluations"),
    ({"estimators": [{"name": "toy_corr", "options": {"sleep": "long"}}]}, "'sleep'"),
    ({"estimators": [{"name": "toy_corr", "options": {"sleep": -1}}]}, "'sleep'"),
    ({"regimes": ["desgin"]}, "unknown regime 'desgin'; did you mean 'design'"),
    ({"regimes": ["trace:tpee"]}, "unknown trace sampler 'tpee'; did you mean 'tpe'"),
    ({"regimes": []}, "the list is empty"),
    ({"timeout": -1}, "'timeout' must be a positive number of seconds, got -1"),
    ({"timeout": "1h"}, "'timeout' must be a positive number of seconds"),
    ({"below_minimum": "maybe"}, "'below_minimum' must be 'error' or 'skip'"),
    ({"imports": ["no_such_module_xyz"]}, "cannot import module 'no_such_module_xyz'"),
    ({"name": ""}, "'name' must be a non-empty string"),
    ({"problems": ["toy_linear", "toy_linear"]}, "duplicate cell"),
    ({"estimators": ["toy_design"], "regimes": ["random"]}, "expands to no runnable cell; skipped: "
                                                            "estimator 'toy_design' analyses only its own design"),
]


@pytest.mark.parametrize("overrides, fragment", MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_malformed_spec_gives_a_clear_error(overrides, fragment):
    with pytest.raises(SpecError) as info:
        _plan(toys.toy_spec(**overrides))
    assert fragment in str(info.value)


@pytest.mark.parametrize("missing", ["budgets", "seeds", "problems", "estimators"])
def test_required_keys(missing):
    spec = toys.toy_spec()
    del spec[missing]
    with pytest.raises(SpecError, match=f"'{missing}'.* is required|'{missing}' is required"):
        _plan(spec)


def test_toml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('budgets = [16\nseeds = 2\n')
    with pytest.raises(SpecError, match=r"bad.toml: invalid TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(SpecError, match="unknown suite 'quik'; did you mean 'quick'"):
        load_spec("suite:quik")


def test_all_errors_listed_together():
    spec = toys.toy_spec(problems=["toy_linaer", "nope_problem"], estimators=["toy_cor"])
    with pytest.raises(SpecError) as info:
        _plan(spec)
    text = str(info.value)
    assert "toy_linaer" in text and "nope_problem" in text and "toy_cor" in text


def test_below_minimum_skip_and_impossible_regimes_are_reported():
    spec, cells, skipped = _plan(toys.toy_spec(budgets=[4, 16], below_minimum="skip",
                                                    regimes=["design", "random"]))
    reasons = [r for _, r in skipped]
    # toy_design x random: 2 budgets x 2 seeds; budget 4: toy_corr 2 regimes x 2 seeds,
    # toy_design 1 regime x 2 seeds
    assert sum("given_data=False" in r for r in reasons) == 4
    assert sum("below the minimum of 8" in r for r in reasons) == 4 + 2
    assert all(c.budget == 16 for c in cells) and len(cells) == 2 * 2 + 2
    assert {c.key for c in cells}.isdisjoint({c.key for c, _ in skipped})


def test_estimator_overrides_budgets_and_regimes():
    spec = toys.toy_spec(estimators=[{"name": "toy_corr", "budgets": [64], "regimes": ["random"]},
                                     "toy_design"])
    _, cells, _ = _plan(spec)
    corr = [c for c in cells if c.estimator == "toy_corr"]
    assert {(c.budget, c.regime) for c in corr} == {(64, "random")}
    assert {c.budget for c in cells if c.estimator == "toy_design"} == {16, 32}


def test_keys_depend_on_identity_only():
    _, cells, _ = _plan(toys.toy_spec())
    _, reordered, _ = _plan(toys.toy_spec(budgets=[32, 16], seeds=[1, 0],
                                               estimators=["toy_design", "toy_corr"]))
    assert {c.key for c in cells} == {c.key for c in reordered}
    assert len({c.key for c in cells}) == len(cells) == 8
    base = dict(problem="p", params={"a": 7}, estimator="e", options={}, version="1",
                given_data=True, budget=10, seed=0, noise=0.0, regime="design", replicate=False,
                problem_fingerprint="f")
    assert Cell(**base).key == Cell(**{**base, "params": {"a": 7.0}}).key
    assert Cell(**base).key == Cell(**{**base, "target": "first", "oracle": True}).key  # not identity
    for change in ({"seed": 1}, {"budget": 11}, {"noise": 0.1}, {"regime": "random"},
                   {"version": "2"}, {"options": {"x": 1}}, {"params": {"a": 8}},
                   {"replicate": True}, {"problem_fingerprint": "g"}):
        assert Cell(**{**base, **change}).key != Cell(**base).key, change
    # the sample of a given-data regime is shared by the estimators (paired comparison)
    e2 = Cell(**{**base, "estimator": "f", "regime": "random"})
    assert e2.data_key == Cell(**{**base, "regime": "random"}).data_key
    assert e2.key != Cell(**{**base, "regime": "random"}).key


def test_imports_run_only_when_allowed(monkeypatch):
    """A spec's imports run code: refused (naming the module and the opt-in) without it,
    imported with it; the error comes before anything is imported."""
    spec = toys.toy_spec(imports=["harness_toys", "this"])
    monkeypatch.delitem(sys.modules, "this", raising=False)
    with pytest.raises(SpecError, match=r"'imports' names module 'harness_toys', and importing runs its "
                                        r"code: pass --allow-imports \(allow_imports=True\)"):
        plan_sweep(spec)
    assert "this" not in sys.modules
    _plan(spec)
    assert "this" in sys.modules
    _, cells, _ = plan_sweep(toys.toy_spec(imports=[]))  # no imports: no opt-in needed
    assert cells and all(c.imports == () for c in cells)


def test_noise_is_a_number_and_replicate_a_flag():
    """Old spelling noise = [0, "replicate"] is replicate = [false, true]; replicate is not
    combined with a Gaussian level."""
    old = load_spec(toys.toy_spec(noise=[0, "replicate"]))
    new = load_spec(toys.toy_spec(noise=[0.0], replicate=[False, True]))
    assert (old.noise, old.replicate) == (new.noise, new.replicate) == ((0.0,), (False, True))
    assert load_spec(toys.toy_spec(noise=["replicate"])).replicate == (True,)
    spec = {"name": "rep", "budgets": [256], "seeds": 1, "noise": [0, 0.1], "replicate": [False, True],
            "problems": ["svc_digits"], "estimators": ["sobol"]}
    _, cells, _ = plan_sweep(spec)
    assert sorted((c.noise, c.replicate) for c in cells) == [(0.0, False), (0.0, True), (0.1, False)]
    assert all(isinstance(c.noise, float) and isinstance(c.replicate, bool) for c in cells)
    assert len({c.problem_fingerprint for c in cells}) == 1  # the function, not its noise


def test_instances_in_a_python_spec():
    problem = bs.get_problem("toy_linear")
    spec = toys.toy_spec(problems=[problem], estimators=[toys.ToyCorr(sleep=0.0)])
    _, cells, _ = _plan(spec)
    assert cells[0].problem_obj is problem and cells[0].options == {"sleep": 0}


def test_shipped_suites_parse():
    assert {"quick", "ci", "core-v1"} <= set(list_suites())
    for name in ("quick", "ci", "core-v1"):
        spec = load_spec(f"suite:{name}")
        assert spec.name == name and len(spec.seeds) >= 2
    assert len(load_spec("suite:core-v1").seeds) >= 10


def test_shipped_suites_and_example_expand_against_the_registry():
    """Every name in the shipped suites is registered and every budget fits."""
    for spec in ("suite:quick", "suite:ci", "suite:core-v1", EXAMPLE):
        _, cells, _ = _plan(spec)
        assert cells
    _, cells, skipped = _plan(EXAMPLE)
    assert len(cells) == 2 * 2 * 3 * 2 * (1 + 2) + 2 * 3 * 2 and len(skipped) == 2 * 2 * 3 * 2


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_names = st.sampled_from(["toy_linear", "toy_corr", "toy_design", "ishigami", "toy_broken", "nope"])
_entry = _names | st.fixed_dictionaries(
    {"name": _names}, optional={"params": _json, "options": _json, "budgets": _json, "regimes": _json})
_values = {
    "budgets": st.lists(st.integers(-2, 64), max_size=3) | _json,
    "seeds": st.integers(-1, 5) | st.lists(st.integers(-1, 5), max_size=3) | _json,
    "noise": st.lists(st.floats(-1, 2) | st.just(float("nan")), max_size=2) | _json,
    "regimes": st.lists(st.sampled_from(["design", "random", "trace:tpe", "trace:x", "x"]), max_size=2) | _json,
    "problems": st.lists(_entry, max_size=2) | _json,
    "estimators": st.lists(_entry, max_size=2) | _json,
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.fixed_dictionaries({}, optional={**{k: _json for k in _TOP_KEYS}, **_values, "budgt": _json}))
def test_random_specs_fail_only_with_spec_errors(spec):
    """Whatever the input, the harness either expands it or raises a SpecError."""
    try:
        parsed = parse_spec(spec)
        cells, _ = expand(parsed)
    except SpecError as exc:
        assert str(exc)
    else:
        assert cells and all(isinstance(c.key, str) for c in cells)
        assert np.all([c.budget >= 8 for c in cells])
