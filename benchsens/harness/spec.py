"""Sweep specifications: a TOML file (or a dict) naming problems, estimators, budgets,
seeds, noise levels and sampling regimes, checked completely before anything runs.

Layout (see ``examples/sweep.toml`` for an annotated example)::

    name = "demo"                # names the sweep in the store
    budgets = [256, 1024]        # evaluations per cell
    seeds = 3                    # 0, 1, 2  (or an explicit list [0, 5, 9])
    noise = [0.0]                # noise levels (sd as a fraction of sd(f))
    replicate = false            # true (or [false, true]): real grids read one recorded
                                 # fold/seed per evaluation (with noise 0 only); the old
                                 # spelling noise = [0, "replicate"] is replicate = [false, true]
    regimes = ["design"]         # design | random | trace:<sampler>
    timeout = 120                # hard limit per cell, seconds
    below_minimum = "error"      # or "skip": budgets below an estimator's minimum
    max_budget = 10000000        # budgets above are refused (memory: n x d x 8 bytes x 2 at least)
    imports = []                 # modules that register extra problems/estimators: RUNS THEIR
                                 # CODE, so honoured only with --allow-imports (allow_imports=True)
    objectives = ["loss", "log_time", "pareto"]   # optional: run every problem per objective
                                 # (problem.with_objective; a problem without one is an error)

    [[problems]]
    name = "svc_digits"
    objectives = ["loss", "memory"]   # optional: replaces the sweep's objectives

    [[problems]]
    name = "sobol_g"
    params = { a = [0, 1, 9, 99] }

    [[estimators]]
    name = "sobol"
    options = {}
    budgets = [1024]             # optional: replaces the sweep's budgets
    regimes = ["design"]         # optional: replaces the sweep's regimes

``problems`` and ``estimators`` may also be plain lists of names. From Python, entries may
be :class:`~benchsens.Problem` / :class:`~benchsens.Estimator` instances.

Nothing here runs code named by the spec: ``imports`` are imported by :func:`import_modules`
only when the caller opts in.
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.resources
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

from .._pipeline import MAX_BUDGET

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

__all__ = ["SpecError", "Spec", "ProblemEntry", "EstimatorEntry", "load_spec", "import_modules",
           "list_suites", "suite_path", "TRACE_SAMPLERS", "DEFAULT_TIMEOUT"]

#: Optuna samplers usable in a ``trace:<sampler>`` regime.
TRACE_SAMPLERS = ("tpe", "random", "qmc")
DEFAULT_TIMEOUT = 600.0
_MAX_SEEDS = 100_000

_TOP_KEYS = ("name", "description", "budgets", "seeds", "noise", "replicate", "regimes", "timeout",
             "below_minimum", "max_budget", "imports", "objectives", "problems", "estimators")
_PROBLEM_KEYS = ("name", "params", "objectives")
_ESTIMATOR_KEYS = ("name", "options", "budgets", "regimes")


class SpecError(ValueError):
    """A sweep spec that cannot run; the message names the offending key or value."""


@dataclasses.dataclass(frozen=True)
class ProblemEntry:
    """A problem of the sweep: a registered name with parameters, or an instance."""

    name: str
    params: dict
    instance: Any = None
    objectives: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class EstimatorEntry:
    """An estimator of the sweep; ``budgets``/``regimes`` override the sweep's when set."""

    name: str
    options: dict
    budgets: tuple[int, ...] | None = None
    regimes: tuple[str, ...] | None = None
    instance: Any = None


@dataclasses.dataclass(frozen=True)
class Spec:
    """A validated sweep specification (what :func:`load_spec` returns)."""

    name: str
    problems: tuple[ProblemEntry, ...]
    estimators: tuple[EstimatorEntry, ...]
    budgets: tuple[int, ...]
    seeds: tuple[int, ...]
    noise: tuple[float, ...] = (0.0,)
    replicate: tuple[bool, ...] = (False,)
    regimes: tuple[str, ...] = ("design",)
    timeout: float = DEFAULT_TIMEOUT
    below_minimum: str = "error"
    max_budget: int = MAX_BUDGET
    imports: tuple[str, ...] = ()
    description: str = ""
    source: str = "<dict>"
    objectives: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        """JSON-able form (instances appear by name and parameters)."""
        return {
            "name": self.name, "description": self.description,
            "budgets": list(self.budgets), "seeds": list(self.seeds), "noise": list(self.noise),
            "replicate": list(self.replicate), "regimes": list(self.regimes), "timeout": self.timeout,
            "below_minimum": self.below_minimum, "max_budget": self.max_budget,
            "imports": list(self.imports),
            **({"objectives": list(self.objectives)} if self.objectives else {}),
            "problems": [{"name": p.name, "params": p.params,
                          **({"objectives": list(p.objectives)} if p.objectives else {})}
                         for p in self.problems],
            "estimators": [
                {"name": e.name, "options": e.options,
                 **({"budgets": list(e.budgets)} if e.budgets is not None else {}),
                 **({"regimes": list(e.regimes)} if e.regimes is not None else {})}
                for e in self.estimators
            ],
        }


# -- helpers ---------------------------------------------------------------------------------
def _suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


def _check_keys(table: dict, allowed, where: str):
    for key in table:
        if key not in allowed:
            raise SpecError(
                f"{where}: unknown key {key!r}{_suggest(key, allowed)} (allowed: {', '.join(allowed)})"
            )


def _as_list(value, where):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _nonempty_unique(out, where) -> tuple:
    """``out`` as a tuple, refusing an empty list (no cells) and repeated values."""
    if not out:
        raise SpecError(f"{where}: the list is empty, so the sweep would have no cells")
    if len(set(out)) != len(out):
        raise SpecError(f"{where}: duplicate values in {out}")
    return tuple(out)


def _int_list(value, where, minimum):
    out = []
    for v in _as_list(value, where):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
            raise SpecError(f"{where}: expected integers, got {v!r}")
        if v < minimum:
            raise SpecError(f"{where}: values must be >= {minimum}, got {v!r}")
        out.append(int(v))
    return _nonempty_unique(out, where)


def _seeds(value, where):
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= _MAX_SEEDS:
            raise SpecError(f"{where}: a seed count must lie in [1, {_MAX_SEEDS}], got {value}")
        return tuple(range(value))
    if not isinstance(value, (list, tuple)):
        raise SpecError(f"{where}: expected a count or a list of integers, got {value!r}")
    return _int_list(value, where, 0)


def _noise(value, where) -> tuple[tuple[float, ...], bool]:
    """Noise levels, and whether the old spelling ``"replicate"`` was among them."""
    out, replicate = [], False
    for v in _as_list(value, where):
        if v == "replicate":  # old spelling of replicate = true (with noise 0)
            replicate = True
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise SpecError(
                f"{where}: noise levels must be finite numbers >= 0 or \"replicate\", got {v!r}"
            )
        out.append(float(v))
    if replicate and any(out):
        raise SpecError(f"{where}: \"replicate\" next to non-zero noise levels is ambiguous; write "
                        "noise = [...] and replicate = [false, true] instead")
    if replicate:
        return (0.0,), True
    return _nonempty_unique(out, where), False


def _replicate(value, where) -> tuple[bool, ...]:
    out = _as_list(value, where)
    if not all(isinstance(v, bool) for v in out):
        raise SpecError(f"{where}: expected true, false or a list of them, got {value!r}")
    return _nonempty_unique(out, where)


def _noise_and_replicate(raw, source) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    """``noise`` and ``replicate`` (the old ``noise = [0, "replicate"]`` means ``noise = [0]``,
    ``replicate = [false, true]``)."""
    noise, old_replicate = _noise(raw.get("noise", [0.0]), f"{source}: noise")
    if not old_replicate:
        return noise, _replicate(raw.get("replicate", False), f"{source}: replicate")
    if "replicate" in raw:
        raise SpecError(f"{source}: give replicate either as noise = [\"replicate\"] (old spelling) "
                        "or as replicate = ..., not both")
    numeric = [v for v in _as_list(raw["noise"], "") if v != "replicate"]
    return noise, ((False, True) if numeric else (True,))


def _max_budget(value, where) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{where}: expected a positive integer number of evaluations, got {value!r}")
    return value


def _regimes(value, where):
    out = []
    for r in _as_list(value, where):
        if not isinstance(r, str):
            raise SpecError(f"{where}: a regime is a string, got {r!r}")
        if r.startswith("trace:"):
            sampler = r.split(":", 1)[1]
            if sampler not in TRACE_SAMPLERS:
                raise SpecError(
                    f"{where}: unknown trace sampler {sampler!r}{_suggest(sampler, TRACE_SAMPLERS)} "
                    f"(known: {', '.join(TRACE_SAMPLERS)})"
                )
            if importlib.util.find_spec("optuna") is None:
                raise SpecError(f"{where}: regime {r!r} needs Optuna: pip install 'benchsens[optuna]'")
        elif r not in ("design", "random"):
            known = ("design", "random", *(f"trace:{s}" for s in TRACE_SAMPLERS))
            raise SpecError(f"{where}: unknown regime {r!r}{_suggest(r, known)} (known: {', '.join(known)})")
        out.append(r)
    return _nonempty_unique(out, where)


def _json_table(value, where) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected a table of name = value, got {value!r}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: values must be plain numbers, strings, lists or tables ({exc})") from None
    return dict(value)


def _named_table(item, kind: str, allowed, where) -> dict:
    """A spec entry as a table with a non-empty 'name' (a bare string is its name)."""
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict):
        article = "an" if kind[0] in "aeiou" else "a"
        raise SpecError(f"{where}: expected {article} {kind} name or a table with 'name', got {item!r}")
    _check_keys(item, allowed, where)
    if not isinstance(item.get("name"), str) or not item["name"]:
        raise SpecError(f"{where}: 'name' (a registered {kind} name) is required, got {item.get('name')!r}")
    return item


def _objectives(value, where) -> tuple[str, ...]:
    """A non-empty list of distinct objective names."""
    items = _as_list(value, where)
    if not items or not all(isinstance(o, str) and o for o in items):
        raise SpecError(f"{where}: expected a non-empty list of objective names, got {value!r}")
    return _nonempty_unique(items, where)


def _problem_entry(item, where) -> ProblemEntry:
    from ..problem import Problem

    if isinstance(item, Problem):
        return ProblemEntry(item.name, dict(item.params), item)
    item = _named_table(item, "problem", _PROBLEM_KEYS, where)
    objectives = _objectives(item["objectives"], f"{where}.objectives") if "objectives" in item else None
    return ProblemEntry(item["name"], _json_table(item.get("params", {}), f"{where}.params"),
                        objectives=objectives)


def _estimator_entry(item, where) -> EstimatorEntry:
    from ..estimators.base import Estimator

    if isinstance(item, Estimator):
        return EstimatorEntry(item.name, {}, instance=item)
    item = _named_table(item, "estimator", _ESTIMATOR_KEYS, where)
    return EstimatorEntry(
        item["name"],
        _json_table(item.get("options", {}), f"{where}.options"),
        _int_list(item["budgets"], f"{where}.budgets", 1) if "budgets" in item else None,
        _regimes(item["regimes"], f"{where}.regimes") if "regimes" in item else None,
    )


def _entries(raw, key, build, source):
    items = raw.get(key)
    if items is None:
        raise SpecError(f"{source}: '{key}' is required")
    if not isinstance(items, (list, tuple)) or not items:
        raise SpecError(f"{source}: '{key}' must be a non-empty list, got {items!r}")
    return tuple(build(item, f"{source}: {key}[{i}]") for i, item in enumerate(items))


def parse_spec(raw: dict, source: str = "<dict>") -> Spec:
    """Check a spec given as a dict (the parsed TOML) and return a :class:`Spec`.

    Only the layout and values are checked here; names, parameters and budgets against
    each estimator's minimum are checked when the spec is expanded into cells.
    """
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: a spec is a table (dict), got {type(raw).__name__}")
    _check_keys(raw, _TOP_KEYS, source)
    name = raw.get("name", Path(source).stem if source != "<dict>" else "sweep")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{source}: 'name' must be a non-empty string, got {name!r}")
    if "budgets" not in raw:
        raise SpecError(f"{source}: 'budgets' (a list of evaluation budgets) is required")
    if "seeds" not in raw:
        raise SpecError(f"{source}: 'seeds' (a count or a list of integers) is required")
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise SpecError(f"{source}: 'timeout' must be a positive number of seconds, got {timeout!r}")
    below = raw.get("below_minimum", "error")
    if below not in ("error", "skip"):
        raise SpecError(f"{source}: 'below_minimum' must be 'error' or 'skip', got {below!r}")
    imports = raw.get("imports", [])
    if not isinstance(imports, (list, tuple)) or not all(isinstance(m, str) and m for m in imports):
        raise SpecError(f"{source}: 'imports' must be a list of module names, got {imports!r}")
    noise, replicate = _noise_and_replicate(raw, source)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"{source}: 'description' must be a string, got {description!r}")
    return Spec(
        name=name,
        description=description,
        problems=_entries(raw, "problems", _problem_entry, source),
        estimators=_entries(raw, "estimators", _estimator_entry, source),
        budgets=_int_list(raw["budgets"], f"{source}: budgets", 1),
        seeds=_seeds(raw["seeds"], f"{source}: seeds"),
        noise=noise,
        replicate=replicate,
        regimes=_regimes(raw.get("regimes", ["design"]), f"{source}: regimes"),
        timeout=float(timeout),
        below_minimum=below,
        max_budget=_max_budget(raw.get("max_budget", MAX_BUDGET), f"{source}: max_budget"),
        imports=tuple(imports),
        source=source,
        objectives=_objectives(raw["objectives"], f"{source}: objectives") if "objectives" in raw else None,
    )


def import_modules(spec: Spec, allow: bool) -> None:
    """Import the spec's ``imports`` (their code runs) when ``allow``; refuse them otherwise."""
    if not spec.imports:
        return
    if not allow:
        raise SpecError(f"{spec.source}: 'imports' names module {spec.imports[0]!r}, and importing runs "
                        "its code: pass --allow-imports (allow_imports=True) to allow it")
    for module in spec.imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SpecError(f"{spec.source}: cannot import module {module!r} listed in 'imports': {exc}") from None


# -- suites and files ------------------------------------------------------------------------
def list_suites() -> list[str]:
    """Names of the suites shipped in the package (``benchsens run --suite NAME``)."""
    folder = importlib.resources.files("benchsens") / "suites"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def suite_path(name: str):
    """The shipped TOML file of suite ``name``."""
    suites = list_suites()
    if name not in suites:
        raise SpecError(f"unknown suite {name!r}{_suggest(name, suites)} (shipped: {', '.join(suites)})")
    return importlib.resources.files("benchsens") / "suites" / f"{name}.toml"


def load_spec(spec) -> Spec:
    """A :class:`Spec` from a Spec, a dict, a TOML path, or ``"suite:NAME"``."""
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec)
    if isinstance(spec, str) and spec.startswith("suite:"):
        path, source = suite_path(spec[6:]), f"suite {spec[6:]!r}"
    elif isinstance(spec, (str, Path)):
        path, source = Path(spec), str(spec)
        if not path.is_file():
            raise SpecError(f"spec file {str(spec)!r} does not exist")
    else:
        raise SpecError(f"a spec is a path, a dict or a Spec, got {type(spec).__name__}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{source}: not a UTF-8 text file ({exc.reason})") from None
    return parse_spec(raw, source)
