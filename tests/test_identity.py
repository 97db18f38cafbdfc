"""No stale result: a cell's identity covers the problem's function and the estimator's code.

Problems are fingerprinted by their outputs at 8 fixed points (12 significant digits) and
their truth, or by a declared ``Problem(version=...)``. Estimators carry a ``version``; the
version policy is enforced here: ``tests/estimator_versions.json`` records, for every
registered estimator of benchsens, its version and the sha256 of the source of the modules
its class is built from (its own and its base classes' within benchsens). When one of those
modules changes, :func:`test_estimator_versions_are_recorded` fails until the change is
recorded: bump the ``version`` of every estimator whose results can change (the store then
computes new cells for it), leave it for a change that cannot (documentation, refactoring),
and record with ``python tests/test_identity.py``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import sys
from pathlib import Path

import numpy as np

import benchsens as bs
import harness_toys as toys
from benchsens.harness import plan_sweep, run_sweep
from benchsens.harness.cells import problem_fingerprint
from benchsens.registry import ESTIMATORS

VERSIONS = Path(__file__).with_name("estimator_versions.json")


def _source_sha(cls) -> str:
    """sha256 of the source files of ``cls``'s benchsens classes (its MRO), in MRO order."""
    sha = hashlib.sha256()
    for module in dict.fromkeys(c.__module__ for c in cls.__mro__ if c.__module__.startswith("benchsens.")):
        sha.update(Path(inspect.getfile(sys.modules[module])).read_bytes())
    return sha.hexdigest()


def current_versions() -> dict:
    """{name: [version, source sha]} of the estimators benchsens registers."""
    out = {}
    for name in bs.list_estimators():
        cls = ESTIMATORS.factory(name)
        if cls.__module__.startswith("benchsens."):
            out[name] = [str(cls.version), _source_sha(cls)]
    return out


def test_estimator_versions_are_recorded():
    recorded = json.loads(VERSIONS.read_text())
    current = current_versions()
    problems = []
    for name, (version, sha) in current.items():
        old = recorded.get(name)
        if old is None:
            problems.append(f"{name}: not recorded")
        elif old[1] != sha and old[0] == version:
            problems.append(f"{name}: the source of {ESTIMATORS.factory(name).__module__} (or its base "
                            f"classes) changed but its version is still {version!r}: bump the version "
                            "if its results can change")
        elif old != [version, sha]:
            problems.append(f"{name}: version {old[0]!r} -> {version!r} not recorded")
    problems += [f"{name}: recorded but no longer registered" for name in sorted(set(recorded) - set(current))]
    assert not problems, (f"estimator sources changed since {VERSIONS.name} was recorded: decide each "
                          "version (this module's docstring), then run `python tests/test_identity.py`:\n  "
                          + "\n  ".join(problems))


def _spec(problem, estimator="rank_s1", **kw):
    return {"name": "identity", "budgets": [64], "seeds": 1, "problems": [problem],
            "estimators": [estimator], **kw}


def _run(spec, store):
    return run_sweep(spec, store=store, workers=1, progress=False, summary=False, allow_imports=True)


def test_a_changed_user_function_gets_new_cells(tmp_path):
    """Same name, same parameters, another function: computed anew; the old row stays."""
    store = tmp_path / "s.sqlite"
    space = bs.Space.unit(2)
    first = _run(_spec(bs.Problem("mine", space, lambda X: X[:, 0] + 0.1 * X[:, 1])), store)
    second = _run(_spec(bs.Problem("mine", space, lambda X: X[:, 1] + 0.1 * X[:, 0])), store)
    assert first.key[0] != second.key[0]
    assert np.argmax(first.importance[0]) == 0 and np.argmax(second.importance[0]) == 1
    stored = bs.load_results(store).set_index("key")
    assert len(stored) == 2 and stored.problem_fingerprint.nunique() == 2
    # a user problem named like a registered one does not pick up its rows
    registered = _run(_spec("ishigami"), store)
    ishigami = bs.get_problem("ishigami")
    impostor = bs.Problem("ishigami", ishigami.space, lambda X: X[:, 2], truth=ishigami.truth)
    assert _run(_spec(impostor), store).key[0] != registered.key[0]
    assert len(bs.load_results(store)) == 4


def test_a_changed_estimator_version_gets_new_cells(tmp_path):
    """A version bump is a new identity (the worker gets the instance's class by value)."""
    store = tmp_path / "s.sqlite"
    bumped = type("ToyCorrBumped", (toys.ToyCorr,), {"version": "2"})
    old = _run(_spec("toy_linear", toys.ToyCorr(), imports=["harness_toys"]), store)
    new = _run(_spec("toy_linear", bumped(), imports=["harness_toys"]), store)
    again = _run(_spec("toy_linear", bumped(), imports=["harness_toys"]), store)
    assert (old.version[0], new.version[0]) == ("1", "2") and old.key[0] != new.key[0]
    assert again.finished[0] == new.finished[0]  # not run again
    assert set(bs.load_results(store).key) == {old.key[0], new.key[0]}


def test_problem_fingerprint_is_the_function_not_its_round_off():
    space = bs.Space.unit(3)

    def make(func, **kw):
        return problem_fingerprint(bs.Problem("p", space, func, **kw))

    base = make(lambda X: np.sin(X[:, 0]) + X[:, 1] * X[:, 2])
    assert make(lambda X: (np.sin(X[:, 0]) + X[:, 1] * X[:, 2]) * (1 + 1e-15)) == base  # BLAS-level noise
    assert make(lambda X: (np.sin(X[:, 0]) + X[:, 1] * X[:, 2]) * (1 + 1e-9)) != base
    assert make(lambda X: np.sin(X[:, 0]) + X[:, 1] * X[:, 2], tags=("other",)) == base
    assert make(lambda X: np.sin(X[:, 1]) + X[:, 0] * X[:, 2]) != base
    # a declared version stands for the function, which is then never evaluated
    def expensive(X):
        raise AssertionError("evaluated although a version was declared")

    assert make(expensive, version="a") == make(lambda X: X[:, 0], version="a") != make(expensive, version="b")
    # so are the gradient and what one is charged (gradient estimators' results depend on both)
    grad = lambda X: np.ones_like(X)  # noqa: E731
    with_grad = make(lambda X: X.sum(axis=1), gradient=grad)
    assert with_grad != make(lambda X: X.sum(axis=1))
    assert with_grad != make(lambda X: X.sum(axis=1), gradient=lambda X: 2 * np.ones_like(X))
    assert with_grad != make(lambda X: X.sum(axis=1), gradient=grad, gradient_cost=1)
    # the truth is part of it
    truth = bs.GroundTruth(first=[0.5, 0.2, 0.1], total=[0.6, 0.3, 0.1], kind="analytic", source="test")
    assert make(lambda X: X[:, 0], version="a", truth=truth) != make(lambda X: X[:, 0], version="a")


def test_a_worker_with_other_code_refuses_the_cell():
    """The driver's identity and the worker's problem/estimator must agree."""
    from benchsens.harness.cells import run_cell

    _, cells, _ = plan_sweep(_spec("toy_linear", "toy_corr", imports=["harness_toys"]), allow_imports=True)
    for change, fragment in (({"problem_fingerprint": "0" * 64}, "differs from the one the sweep planned"),
                             ({"version": "9"}, "the sweep planned version '9'")):
        row = run_cell(dataclasses.replace(cells[0], **change))
        assert row["status"] == "error" and fragment in row["message"]


if __name__ == "__main__":
    rows = [f" {json.dumps(name)}: {json.dumps(entry)}" for name, entry in sorted(current_versions().items())]
    VERSIONS.write_text("{\n" + ",\n".join(rows) + "\n}\n")
    print(f"recorded {len(current_versions())} estimator versions in {VERSIONS}")
    # and the default configuration (marginal/ablation estimators start from it)
    defaulted = bs.Space({"a": bs.Uniform(0, 1), "b": bs.Uniform(0, 1)}, default={"a": 0.2, "b": 0.5})
    plain = bs.Space({"a": bs.Uniform(0, 1), "b": bs.Uniform(0, 1)})
    assert (problem_fingerprint(bs.Problem("p", defaulted, lambda X: X[:, 0]))
            != problem_fingerprint(bs.Problem("p", plain, lambda X: X[:, 0])))
