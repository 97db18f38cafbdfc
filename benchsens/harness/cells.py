"""Cells: one (problem, estimator, budget, seed, noise, regime) run, its identity hash and
its random streams, the expansion of a spec into cells, and :func:`run_cell`, which runs one
cell (inside a worker process) and returns a plain dict for the store.

Seeds. A cell's ``key`` is the sha256 of the canonical JSON of its identity. Its streams come
from ``bs.streams(int(key, 16))``, so a ``design`` cell is exactly
``bs.estimate(problem, estimator, budget, seed=cell.entropy)``. In the ``random`` and
``trace:*`` regimes the sample and its noise come from ``data_key`` (the identity without
the estimator), so every given-data estimator of a sweep analyses the same points: a paired
comparison. Nothing depends on execution order, worker count or machine.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import math
import os
import socket
import time
import traceback
import warnings
from typing import Any

import numpy as np

from .spec import Spec, SpecError

__all__ = ["Cell", "expand", "run_cell", "canonical_json", "versions"]


def _plain(obj):
    """JSON-able copy: numpy scalars/arrays to Python, integral floats to int (so 7 and 7.0
    give the same key), unknown objects to their repr."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if obj is None or isinstance(obj, str):
        return obj
    return repr(obj)


def canonical_json(obj) -> str:
    """Sorted, compact JSON of :func:`_plain` (the text hashed into a cell key)."""
    return json.dumps(_plain(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _sha(obj) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Cell:
    """One run of the sweep. Instances (``problem_obj``, ``estimator_obj``) are set only when
    the spec was given Python objects instead of registered names."""

    problem: str
    params: dict
    estimator: str
    options: dict
    version: str
    given_data: bool
    budget: int
    seed: int
    noise: float | str
    regime: str
    imports: tuple[str, ...] = ()
    problem_obj: Any = dataclasses.field(default=None, compare=False, repr=False)
    estimator_obj: Any = dataclasses.field(default=None, compare=False, repr=False)

    def identity(self) -> dict:
        return {"problem": self.problem, "params": self.params, "estimator": self.estimator,
                "options": self.options, "version": self.version, "budget": self.budget,
                "seed": self.seed, "noise": self.noise, "regime": self.regime}

    @property
    def key(self) -> str:
        return _sha(self.identity())

    @property
    def data_key(self) -> str:
        """Identity of the evaluated sample in the random/trace regimes (no estimator)."""
        ident = self.identity()
        for k in ("estimator", "options", "version"):
            ident.pop(k)
        return _sha(ident)

    @property
    def entropy(self) -> int:
        return int(self.key, 16)

    def label(self) -> str:
        return (f"{self.problem} x {self.estimator} budget={self.budget} seed={self.seed}"
                + (f" noise={self.noise}" if self.noise else "")
                + (f" {self.regime}" if self.regime != "design" else ""))

    def row(self) -> dict:
        """The identity columns of this cell's store row."""
        return {"key": self.key, "problem": self.problem, "params": canonical_json(self.params),
                "estimator": self.estimator, "options": canonical_json(self.options),
                "version": self.version, "budget": self.budget, "seed": self.seed,
                "noise": self.noise, "regime": self.regime}

    def build_problem(self):
        from .._api import get_problem

        if self.problem_obj is not None:
            return self.problem_obj.with_noise(self.noise) if self.noise else self.problem_obj
        return get_problem(self.problem, noise=self.noise, **self.params)

    def build_estimator(self):
        from .._api import get_estimator

        return self.estimator_obj if self.estimator_obj is not None else get_estimator(self.estimator, **self.options)


# -- expansion -------------------------------------------------------------------------------
def _problem_for(entry, noise, where):
    from .._api import get_problem
    from ..problem import Problem

    try:
        if entry.instance is not None:
            return entry.instance.with_noise(noise) if noise else entry.instance
        problem = get_problem(entry.name, noise=noise, **entry.params)
    except KeyError as exc:
        raise SpecError(f"{where}: {exc.args[0] if exc.args else exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever a factory raises, the spec is at fault
        raise SpecError(f"{where}: problem {entry.name!r} with params {entry.params}: "
                        f"{type(exc).__name__}: {exc}") from None
    if not isinstance(problem, Problem):
        raise SpecError(f"{where}: problem {entry.name!r} did not build a Problem")
    return problem


def _estimator_for(entry, where):
    from .._api import get_estimator

    if entry.instance is not None:
        est = entry.instance
        options = _plain(est.get_params())
        return est, options
    try:
        est = get_estimator(entry.name, **entry.options)
    except KeyError as exc:
        raise SpecError(f"{where}: {exc.args[0] if exc.args else exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever a constructor raises, the spec is at fault
        raise SpecError(f"{where}: estimator {entry.name!r} with options {entry.options}: "
                        f"{type(exc).__name__}: {exc}") from None
    return est, dict(entry.options)


def expand(spec: Spec) -> tuple[list[Cell], list[tuple[Cell, str]]]:
    """The runnable cells of ``spec`` and the skipped ones with their reason.

    Raises :class:`SpecError` (listing every problem found) for unknown names, bad
    parameters or options, budgets below an estimator's minimum (unless
    ``below_minimum = "skip"``), duplicate cells, or a spec with no runnable cell.
    """
    errors: list[str] = []
    problems = []  # (entry, noise, Problem)
    for i, entry in enumerate(spec.problems):
        for noise in spec.noise:
            try:
                problems.append((entry, noise, _problem_for(entry, noise, f"problems[{i}]")))
            except SpecError as exc:
                errors.append(str(exc))
                break
    estimators = []
    for i, entry in enumerate(spec.estimators):
        try:
            estimators.append((entry, *_estimator_for(entry, f"estimators[{i}]")))
        except SpecError as exc:
            errors.append(str(exc))
    if errors:
        raise SpecError(_bullet(spec, errors))

    cells, skipped, seen = [], [], {}
    for p_entry, noise, problem in problems:
        for e_entry, est, options in estimators:
            try:
                need = int(est.min_budget(problem.space))
            except Exception as exc:  # noqa: BLE001 - report, do not crash inside an estimator
                errors.append(f"estimator {e_entry.name!r} cannot size a design for problem "
                              f"{p_entry.name!r}: {type(exc).__name__}: {exc}")
                continue
            for budget in e_entry.budgets or spec.budgets:
                for regime in e_entry.regimes or spec.regimes:
                    for seed in spec.seeds:
                        cell = Cell(p_entry.name, _plain(p_entry.params), est.name, options,
                                    str(type(est).version), bool(est.given_data), budget, seed,
                                    noise, regime, spec.imports, p_entry.instance, e_entry.instance)
                        reason = None
                        if regime != "design" and not est.given_data:
                            reason = (f"estimator {est.name!r} analyses only its own design "
                                      f"(given_data=False), so it cannot run in regime {regime!r}")
                        elif budget < need:
                            msg = (f"budget {budget} is below the minimum of {need} evaluations of "
                                   f"estimator {est.name!r} on problem {p_entry.name!r} (d={problem.d})")
                            if spec.below_minimum == "error":
                                if msg not in errors:
                                    errors.append(msg)
                                continue
                            reason = msg
                        key = cell.key
                        if key in seen:
                            errors.append(f"duplicate cell {cell.label()} (listed twice in the spec)")
                            continue
                        seen[key] = cell
                        (skipped.append((cell, reason)) if reason else cells.append(cell))
    if errors:
        hint = ' (or set below_minimum = "skip")' if any("below the minimum" in e for e in errors) else ""
        raise SpecError(_bullet(spec, errors) + hint)
    if not cells:
        why = f"; skipped: {skipped[0][1]}" if skipped else ""
        raise SpecError(f"{spec.source}: the spec expands to no runnable cell{why}")
    return cells, skipped


def _bullet(spec, errors, limit=12):
    more = f"\n  ... and {len(errors) - limit} more" if len(errors) > limit else ""
    return f"{spec.source}: invalid sweep spec:\n" + "\n".join(f"  - {e}" for e in errors[:limit]) + more


# -- running one cell (inside a worker) ------------------------------------------------------
_VERSIONS: dict | None = None


def versions() -> dict:
    """Versions of benchsens and the numerical libraries a result depends on."""
    global _VERSIONS
    if _VERSIONS is None:
        from importlib.metadata import PackageNotFoundError, version

        out = {}
        for dist in ("benchsens", "numpy", "scipy", "scikit-learn", "SALib", "optuna"):
            try:
                out[dist] = version(dist)
            except PackageNotFoundError:
                out[dist] = None
        _VERSIONS = out
    return _VERSIONS


def _trace_design(problem, budget, sampler_name, rng, noise_rng):
    """The trials of an Optuna optimiser minimising the problem: ``(design, y, seconds
    spent in evaluations)``. Continuous inputs are searched on their unit interval (so the
    optimiser sees the space's own distribution), finite ones by level index."""
    import optuna
    from ..estimators.base import Design

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = int(rng.integers(2**31))
    sampler = {"tpe": lambda: optuna.samplers.TPESampler(seed=seed),
               "random": lambda: optuna.samplers.RandomSampler(seed=seed),
               "qmc": lambda: optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)}[sampler_name]()
    space, d = problem.space, problem.d
    X, y = np.empty((budget, d)), np.empty(budget)
    eval_seconds = 0.0

    def objective(trial):
        nonlocal eval_seconds
        x = np.empty(d)
        for j, (name, dist) in enumerate(space.items()):
            if dist.kind == "categorical":
                x[j] = dist.levels[trial.suggest_categorical(name, list(range(dist.levels.size)))]
            elif dist.discrete:
                x[j] = dist.levels[trial.suggest_int(name, 0, dist.levels.size - 1)]
            else:
                x[j] = dist.from_unit(np.array([trial.suggest_float(name, 0.0, 1.0)]))[0]
        start = time.perf_counter()
        value = float(problem.evaluate(x[None, :], rng=noise_rng)[0])
        eval_seconds += time.perf_counter() - start
        X[trial.number], y[trial.number] = x, value
        return value if math.isfinite(value) else float("inf")

    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=budget)
    return Design.from_sample(space, X, regime=f"trace:{sampler_name}"), y, eval_seconds


def _data(cell, problem, est):
    """Design, outputs, gradient and the seconds spent planning and evaluating."""
    from .._api import streams
    from ..estimators.base import Design

    use_grad = bool(est.uses_gradient and problem.has_gradient)
    if cell.regime == "design":
        plan_rng, noise_rng = streams(cell.entropy)
        start = time.perf_counter()
        design = est.plan(problem.space, cell.budget, plan_rng, gradient=use_grad)
        plan_seconds = time.perf_counter() - start
        start = time.perf_counter()
        y = problem.evaluate(design.X, rng=noise_rng)
        eval_seconds = time.perf_counter() - start
    else:
        sample_rng, noise_rng = streams(int(cell.data_key, 16))
        start = time.perf_counter()
        if cell.regime == "random":
            design = Design.from_unit(problem.space, sample_rng.random((cell.budget, problem.d)), regime="random")
            plan_seconds = time.perf_counter() - start
            start = time.perf_counter()
            y = problem.evaluate(design.X, rng=noise_rng)
            eval_seconds = time.perf_counter() - start
        else:
            design, y, eval_seconds = _trace_design(problem, cell.budget, cell.regime.split(":", 1)[1],
                                                    sample_rng, noise_rng)
            plan_seconds = time.perf_counter() - start - eval_seconds
    start = time.perf_counter()
    grad = problem.gradient(design.X) if use_grad else None
    eval_seconds += time.perf_counter() - start
    return design, y, grad, plan_seconds, eval_seconds


def _json(obj) -> str | None:
    if obj is None:
        return None
    return json.dumps(_nan_to_none(obj), default=repr)


def _nan_to_none(obj):
    if isinstance(obj, dict):
        return {str(k): _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _nan_to_none(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def run_cell(cell: Cell) -> dict:
    """Run one cell and return its store row (never raises: failures become
    ``status="error"`` with the exception as message and the traceback)."""
    from ..scoring import score

    out = {"key": cell.key, "status": "error", "message": "", "worker": f"{socket.gethostname()}:{os.getpid()}"}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for module in cell.imports:
                importlib.import_module(module)
            problem = cell.build_problem()
            est = cell.build_estimator()
            design, y, grad, plan_seconds, eval_seconds = _data(cell, problem, est)
            estimate = est.analyze(design, y, gradient=grad)
            truth = problem.truth
            scores = score(estimate, truth)
            cost = float(np.sum(problem.cost(design.X))) if problem.has_cost else None
            out.update(
                status="ok",
                names=_json(estimate.names),
                importance=_json(estimate.importance),
                first=_json(estimate.first),
                total=_json(estimate.total),
                estimate=_json({"ci": estimate.to_dict()["ci"], "second": estimate.second,
                                "extras": estimate.extras}),
                scores=_json(scores),
                truth_first=_json(truth.first) if truth is not None else None,
                truth_total=_json(truth.total) if truth is not None else None,
                truth_kind=truth.kind if truth is not None else None,
                n_evals=int(estimate.n_evals),
                plan_seconds=plan_seconds,
                eval_seconds=eval_seconds,
                analysis_seconds=float(estimate.seconds),
                cost=cost,
            )
        except Exception as exc:  # noqa: BLE001 - a failing cell is a result, not a crash
            out["message"] = f"{type(exc).__name__}: {exc}"
            out["traceback"] = traceback.format_exc(limit=-12)
    out["cell_seconds"] = time.perf_counter() - start
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    out["warnings"] = _json(messages[:5]) if messages else None
    out["versions"] = _json(versions())
    return out
