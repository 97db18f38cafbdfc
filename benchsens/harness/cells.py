"""Cells: one (problem, estimator, budget, seed, noise, replicate, regime) run, its identity
hash and its random streams, the expansion of a spec into cells, and :func:`run_cell`, which
runs one cell (inside a worker process) and returns a plain dict for the store.

Identity. A cell's ``key`` is the sha256 of the canonical JSON of its identity: names,
parameters and options, and also what the result depends on beyond names: the problem's
fingerprint (:func:`problem_fingerprint`: its outputs at 8 fixed points or its declared
``version``, and its truth) and the estimator's ``version`` (bumped whenever its results
change; ``tests/test_identity.py`` fails when an estimator's module changes without a
decision). A changed function or estimator gets new cells; the old rows stay in the store.

Seeds. The streams are ``bs.streams(cell.entropy)`` and the cell runs
:func:`benchsens._pipeline.run`, so a ``design`` cell is exactly
``bs.estimate(problem, estimator, budget, seed=cell.entropy)``. In the ``random`` and
``trace:*`` regimes the entropy is ``data_key`` (the identity without the estimator), so
every given-data estimator of a sweep analyses the same points: a paired comparison, and
the cell is ``bs.estimate(..., seed=cell.entropy, regime=cell.regime)``. Nothing depends on
execution order, worker count or machine.
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

from .spec import Spec, SpecError, import_modules

__all__ = ["Cell", "expand", "run_cell", "canonical_json", "versions", "problem_fingerprint"]


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


#: Points (from a fixed-seed draw of the space) at which a problem's function is fingerprinted.
FINGERPRINT_POINTS = 8
_FINGERPRINT_SEED = 20261129
#: Significant digits kept of each fingerprinted value (relative to its array's largest), so
#: BLAS round-off or cancellation noise near zero does not change the fingerprint.
_FINGERPRINT_DIGITS = 12


def _digits(obj):
    """``obj`` with every float array rounded to :data:`_FINGERPRINT_DIGITS` significant
    digits of its largest magnitude, as integers (the fingerprint's text)."""
    if isinstance(obj, dict):
        return {str(k): _digits(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray, float, np.floating)):
        try:
            a = np.asarray(obj, dtype=float)
        except (TypeError, ValueError):
            return [_digits(v) for v in obj]
        finite = np.isfinite(a)
        top = float(np.max(np.abs(a[finite]), initial=0.0))
        step = 10.0 ** (math.floor(math.log10(top)) + 1 - _FINGERPRINT_DIGITS) if top > 0 else 1.0
        out = np.where(finite, np.round(np.where(finite, a, 0.0) / step), 0.0).astype(np.int64).astype(object)
        out[~finite] = [str(v) for v in a[~finite]]
        return {"shape": list(a.shape), "step": repr(step), "values": out.ravel().tolist()}
    return _plain(obj)


def problem_fingerprint(problem) -> str:
    """What a result depends on in a problem, hashed: its space (and default configuration),
    its declared ``version`` or else its noiseless outputs (and gradients) at
    :data:`FINGERPRINT_POINTS` fixed points, the cost charged per gradient, and its truth. A changed user function (same name and
    parameters) gets new cells, not stale rows."""
    space = problem.space
    ident: dict = {"space": [[name, repr(dist)] for name, dist in space.items()]}
    if space.default is not None:  # what tuning-from-the-default estimators start from
        ident["default"] = space.default
    if space.is_conditional:  # only then: unconditional fingerprints stay as they were
        ident["conditions"] = {child: [parent, list(codes)] for child, (parent, codes) in space.conditions.items()}
    if problem.version is not None:
        ident["version"] = problem.version
    else:
        X = space.sample(FINGERPRINT_POINTS, np.random.default_rng(_FINGERPRINT_SEED))
        ident["X"] = _digits(X)
        try:
            ident["y"] = _digits(problem._call(X))
            if problem.has_gradient:
                ident["gradient"] = _digits(problem.gradient(X))
        except Exception as exc:  # noqa: BLE001 - a failing function is identified by its error
            ident["y"] = f"{type(exc).__name__}: {exc}"
    if problem.has_gradient:  # what a gradient is charged changes gradient estimators' results
        ident["gradient_cost"] = problem.gradient_cost
    truth = problem.truth
    if truth is not None:
        ident["truth"] = _digits({"kind": truth.kind, "first": truth.first, "total": truth.total,
                                  "second": truth.second, "extras": truth.extras,
                                  "std_error": truth.std_error})
    return _sha(ident)


@dataclasses.dataclass(frozen=True)
class Cell:
    """One run of the sweep. Instances (``problem_obj``, ``estimator_obj``) are set only when
    the spec was given Python objects instead of registered names. ``target`` and ``oracle``
    are the estimator's (stored with the row, not part of the identity: ``version`` is)."""

    problem: str
    params: dict
    estimator: str
    options: dict
    version: str
    given_data: bool
    budget: int
    seed: int
    noise: float
    regime: str
    replicate: bool
    problem_fingerprint: str
    target: str = ""
    oracle: bool = False
    imports: tuple[str, ...] = ()
    problem_obj: Any = dataclasses.field(default=None, compare=False, repr=False)
    estimator_obj: Any = dataclasses.field(default=None, compare=False, repr=False)
    #: the problem's tags (``analytic``, ``real``, ...), stored for reports; not identity
    tags: tuple[str, ...] = dataclasses.field(default=(), compare=False)
    #: the objective run (``problem.with_objective``); "" for the problem's own, so cells of
    #: problems without other objectives keep their keys
    objective: str = ""
    #: the name of the objective run, own ones included (``loss``), stored for reports
    objective_name: str = dataclasses.field(default="", compare=False)

    def identity(self) -> dict:
        ident = {"problem": self.problem, "params": self.params,
                 "problem_fingerprint": self.problem_fingerprint, "estimator": self.estimator,
                 "options": self.options, "version": self.version, "budget": self.budget,
                 "seed": self.seed, "noise": float(self.noise), "replicate": bool(self.replicate),
                 "regime": self.regime}
        if self.objective:
            ident["objective"] = self.objective
        return ident

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
        """The seed of the cell's streams: its key in the design regime, its data key (shared
        by the sweep's given-data estimators) in the others."""
        return int(self.key if self.regime == "design" else self.data_key, 16)

    def label(self) -> str:
        return (f"{self.problem}" + (f"[{self.objective}]" if self.objective else "")
                + f" x {self.estimator} budget={self.budget} seed={self.seed}"
                + (f" noise={self.noise}" if self.noise else "")
                + (" replicate" if self.replicate else "")
                + (f" {self.regime}" if self.regime != "design" else ""))

    def row(self) -> dict:
        """The identity columns of this cell's store row."""
        return {"key": self.key, "problem": self.problem, "params": canonical_json(self.params),
                "problem_fingerprint": self.problem_fingerprint,
                "estimator": self.estimator, "options": canonical_json(self.options),
                "version": self.version, "target": self.target, "oracle": bool(self.oracle),
                "budget": self.budget, "seed": self.seed, "noise": float(self.noise),
                "replicate": bool(self.replicate), "regime": self.regime,
                "tags": canonical_json(list(self.tags)), "objective": self.objective_name or None}

    def build_problem(self):
        from .._api import get_problem

        noise = "replicate" if self.replicate else self.noise
        if self.problem_obj is not None:
            problem = self.problem_obj.with_noise(noise) if noise else self.problem_obj
        else:
            problem = get_problem(self.problem, noise=noise, **self.params)
        return problem.with_objective(self.objective) if self.objective else problem

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


def _objective_for(problem, entry, objective, where):
    """``problem.with_objective(objective)`` ("" = the problem itself), errors as SpecError."""
    if not objective:
        return problem
    own = problem.objective
    if own and problem.name.endswith("." + own):  # a registered objective name, e.g. svc_digits.log_time
        raise SpecError(f"{where}: {entry.name!r} is objective {own!r} of problem "
                        f"{problem.name[:-len(own) - 1]!r}: give the objectives to that name")
    try:
        return problem.with_objective(objective)
    except KeyError as exc:
        raise SpecError(f"{where}: {exc.args[0]}") from None
    except Exception as exc:  # noqa: BLE001 - whatever an objective's factory raises
        raise SpecError(f"{where}: objective {objective!r} of problem {entry.name!r}: "
                        f"{type(exc).__name__}: {exc}") from None


def _estimator_for(entry, where):
    """The estimator of a spec entry with its options, checked by its own ``validate_params``."""
    from .._api import get_estimator

    try:
        if entry.instance is not None:
            est, options = entry.instance, _plain(entry.instance.get_params())
        else:
            est, options = get_estimator(entry.name, **entry.options), dict(entry.options)
        validate = getattr(est, "validate_params", None)
        if validate is not None:
            validate()
    except KeyError as exc:
        raise SpecError(f"{where}: {exc.args[0] if exc.args else exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever a constructor raises, the spec is at fault
        raise SpecError(f"{where}: estimator {entry.name!r} with options {entry.options}: "
                        f"{type(exc).__name__}: {exc}") from None
    return est, options


def expand(spec: Spec, allow_imports: bool = False) -> tuple[list[Cell], list[tuple[Cell, str]]]:
    """The runnable cells of ``spec`` and the skipped ones with their reason.

    The spec's ``imports`` are imported first when ``allow_imports`` (refused otherwise).
    Raises :class:`SpecError` (listing every problem found) for unknown names, bad
    parameters or options (each estimator's own ``validate_params``), budgets above
    ``max_budget`` or below an estimator's minimum (unless ``below_minimum = "skip"``),
    duplicate cells, or a spec with no runnable cell. Replicate noise is not combined with
    a non-zero Gaussian level (no such cell: grids read recorded folds, they add no noise).
    """
    from .._pipeline import check_budget, min_budget

    import_modules(spec, allow_imports)
    errors: list[str] = []
    problems = []  # (entry, noise, replicate, objective, Problem, fingerprint)
    # replicate noise reads recorded folds: it is not combined with a Gaussian level
    variants = [(noise, rep) for rep in spec.replicate for noise in spec.noise if not (rep and noise)]
    for i, entry in enumerate(spec.problems):
        for noise, replicate in variants:
            try:
                problem = _problem_for(entry, "replicate" if replicate else noise, f"problems[{i}]")
                runs = [(o, _objective_for(problem, entry, o, f"problems[{i}]"))
                        for o in (entry.objectives or spec.objectives or ("",))]
                problems.extend((entry, noise, replicate, "" if run is problem else o, run,
                                 problem_fingerprint(run)) for o, run in runs)
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
    for p_entry, noise, replicate, objective, problem, fingerprint in problems:
        for e_entry, est, options in estimators:
            try:
                need = {r: min_budget(problem, est, r) for r in e_entry.regimes or spec.regimes}
            except Exception as exc:  # noqa: BLE001 - report, do not crash inside an estimator
                errors.append(f"estimator {e_entry.name!r} cannot size a design for problem "
                              f"{p_entry.name!r}: {type(exc).__name__}: {exc}")
                continue
            for budget in e_entry.budgets or spec.budgets:
                try:
                    check_budget(budget, problem.d, spec.max_budget)
                except ValueError as exc:
                    msg = f"problem {p_entry.name!r} (d={problem.d}): {exc} (spec key max_budget)"
                    if msg not in errors:
                        errors.append(msg)
                    continue
                for regime in e_entry.regimes or spec.regimes:
                    for seed in spec.seeds:
                        cell = Cell(p_entry.name, _plain(p_entry.params), est.name, options,
                                    str(type(est).version), bool(est.given_data), budget, seed,
                                    noise, regime, replicate, fingerprint,
                                    type(est).target or "total",  # as Estimator.analyze reports it
                                    bool(type(est).oracle),
                                    spec.imports, p_entry.instance, e_entry.instance,
                                    tuple(problem.tags), objective, problem.objective or "")
                        reason = None
                        if regime != "design" and not est.given_data:
                            reason = (f"estimator {est.name!r} analyses only its own design "
                                      f"(given_data=False), so it cannot run in regime {regime!r}")
                        elif budget < need[regime]:
                            msg = (f"budget {budget} is below the minimum of {need[regime]} evaluations of "
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


_FINGERPRINTS: dict[tuple, str] = {}


def _check_fingerprint(cell, problem) -> None:
    """The worker's problem must be the one the driver identified (e.g. a Dask worker with
    other code installed): a mismatch is an error, not a row under the wrong identity."""
    ident = (cell.problem, canonical_json(cell.params), cell.noise, cell.replicate, cell.objective)
    if cell.problem_obj is not None or ident not in _FINGERPRINTS:
        _FINGERPRINTS[ident] = problem_fingerprint(problem)
    if _FINGERPRINTS[ident] != cell.problem_fingerprint:
        raise RuntimeError(f"problem {cell.problem!r} in this worker differs from the one the sweep "
                           f"planned (fingerprint {_FINGERPRINTS[ident][:12]} vs "
                           f"{cell.problem_fingerprint[:12]}): is the same code installed everywhere, "
                           "and is its function deterministic?")


_TABLES: dict[str, Any] = {}
#: Given-data samples (random draws, optimiser traces) a worker keeps per data key: each is
#: drawn once per worker and analysed by every estimator that worker gets for it (the cell
#: order puts the estimators of one sample budgets x regimes x seeds cells apart).
GIVEN_CACHE_SIZE = 512
_GIVEN: dict[int, tuple] = {}


def _staged(cell, problem, estimate):
    """:func:`benchsens.staged.staged_regret` of the estimate (None off exact finite grids),
    its generator the third stream of the cell's entropy (shared by the given-data estimators
    of one sample), the grid table cached per problem fingerprint."""
    from .._pipeline import streams
    from ..staged import grid_table, staged_regret

    truth = problem.truth
    if truth is None or truth.kind != "exact" or not all(dist.discrete for dist in problem.space.dists):
        return None
    if cell.problem_fingerprint not in _TABLES:
        _TABLES[cell.problem_fingerprint] = grid_table(problem)
    return staged_regret(problem, estimate.importance, streams(cell.entropy, 3)[2], estimate.target,
                         (estimate.extras or {}).get("gamma"), table=_TABLES[cell.problem_fingerprint])


def run_cell(cell: Cell) -> dict:
    """Run one cell (:func:`benchsens._pipeline.run`, as ``bs.estimate`` does) and return its
    store row; never raises: failures become ``status="error"`` with the exception as message
    and the traceback."""
    from .._pipeline import run
    from ..scoring import score
    from ..staged import staged_scores

    out = {"key": cell.key, "status": "error", "message": "", "worker": f"{socket.gethostname()}:{os.getpid()}"}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for module in cell.imports:
                importlib.import_module(module)
            problem = cell.build_problem()
            _check_fingerprint(cell, problem)
            est = cell.build_estimator()
            if str(type(est).version) != cell.version:
                raise RuntimeError(f"estimator {cell.estimator!r} in this worker has version "
                                   f"{type(est).version!r}, the sweep planned version {cell.version!r}: "
                                   "is the same code installed everywhere?")
            result = run(problem, est, cell.budget, cell.entropy, cell.regime,
                         given_cache=_GIVEN if cell.regime != "design" else None)
            while len(_GIVEN) > GIVEN_CACHE_SIZE:  # drop the oldest samples
                _GIVEN.pop(next(iter(_GIVEN)))
            estimate, design = result.estimate, result.design
            truth = problem.truth
            scores = score(estimate, truth)
            staged = _staged(cell, problem, estimate)
            if staged is not None:  # exact finite grids only; elsewhere the columns read NaN
                scores.update(staged_scores(staged))
            cost = float(np.sum(problem.cost(design.X))) if problem.has_cost else None
            out.update(
                status="ok",
                names=_json(estimate.names),
                importance=_json(estimate.importance),
                first=_json(estimate.first),
                total=_json(estimate.total),
                estimate=_json({"ci": estimate.to_dict()["ci"], "second": estimate.second,
                                "extras": estimate.extras, "staged": staged}),
                scores=_json(scores),
                truth_first=_json(truth.first) if truth is not None else None,
                truth_total=_json(truth.total) if truth is not None else None,
                truth_kind=truth.kind if truth is not None else None,
                n_evals=int(estimate.n_evals),
                plan_seconds=result.plan_seconds,
                eval_seconds=result.eval_seconds,
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
