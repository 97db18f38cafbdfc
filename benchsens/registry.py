"""Name -> factory registries for problems and estimators, with entry-point plug-ins.

Built-in entries are *declared* (name, module, attribute, metadata) without importing their
module, so ``import benchsens`` and listing names or metadata never load SALib,
scikit-learn, Optuna or pandas; the module is imported on the first ``factory``/``build``.
Third parties register eagerly, with :func:`register_problem` / :func:`register_estimator`
or an entry point.
"""
from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType

__all__ = ["Registry", "PROBLEMS", "ESTIMATORS", "register_problem", "register_estimator",
           "estimator_metadata"]


class Registry:
    """Maps names to factories and their metadata; third-party entries also come from an
    entry-point group.

    Metadata (``tags`` and, for estimators, ``given_data``, ``target``, ``oracle``) is
    known without building or importing anything, so ``names(tag=...)`` and
    ``metadata(name)`` are cheap.
    """

    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._factories: dict[str, Callable] = {}
        self._lazy: dict[str, tuple[str, str]] = {}  # declared, module not imported yet
        self._meta: dict[str, Mapping] = {}
        self._plugins_loaded = False

    def declare(self, name: str, module: str, attr: str, tags=(), **metadata) -> None:
        """Record a built-in entry whose factory is ``module.attr``, imported on first use."""
        if name in self._meta:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._lazy[name] = (module, attr)
        self._meta[name] = MappingProxyType({"tags": tuple(tags), **metadata})

    def register(self, name: str, factory: Callable, tags=(), **metadata) -> Callable:
        """Register ``factory`` under ``name`` (the import of a declared entry's module
        registers its factory here, with the class's own metadata)."""
        taken = name in self._factories and self._factories[name] is not factory
        if name in self._lazy and getattr(factory, "__module__", None) != self._lazy[name][0]:
            taken = True  # a built-in name, declared by another module
        if taken:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._lazy.pop(name, None)
        self._factories[name] = factory
        self._meta[name] = MappingProxyType({"tags": tuple(tags), **metadata})
        return factory

    def _load_plugins(self):
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            if ep.name in self._meta:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plug-in must not break the registry
                import warnings

                warnings.warn(f"could not load {self.kind} plug-in {ep.name!r} ({ep.value}): {exc}")
                continue
            if ep.name in self._factories:  # loading it ran its own register decorator
                continue
            if self.kind == "estimator":
                meta = estimator_metadata(obj)
            else:
                meta = {"tags": getattr(obj, "tags", ("plugin",))}
            self.register(ep.name, obj, meta.pop("tags"), **meta)

    def names(self, tag: str | None = None) -> list[str]:
        self._load_plugins()
        return sorted(n for n, m in self._meta.items() if tag is None or tag in m["tags"])

    def tags(self, name: str) -> tuple[str, ...]:
        return self._meta[self.resolve(name)]["tags"]

    def metadata(self, name: str) -> Mapping:
        """Read-only metadata of ``name`` (``tags`` and the kind's own keys), no import."""
        return self._meta[self.resolve(name)]

    def declared(self) -> dict[str, tuple[str, str]]:
        """``{name: (module, attr)}`` of the declared entries not imported yet."""
        return dict(self._lazy)

    def resolve(self, name: str) -> str:
        self._load_plugins()
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {name!r}")
        if name not in self._meta:
            close = difflib.get_close_matches(name, list(self._meta), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise KeyError(f"unknown {self.kind} {name!r}{hint} (list them with list_{self.kind}s())")
        return name

    def factory(self, name: str) -> Callable:
        name = self.resolve(name)
        if name in self._lazy:
            module, attr = self._lazy[name]
            obj = getattr(importlib.import_module(module), attr)  # its import registers it
            if name in self._lazy:  # the module declares no registration: use the attribute
                self._lazy.pop(name)
                self._factories[name] = obj
        return self._factories[name]

    def build(self, name: str, **params):
        """Call the factory, turning a wrong or missing keyword into an error naming it."""
        factory = self.factory(name)
        try:
            sig = inspect.signature(factory)
        except (TypeError, ValueError):
            sig = None
        if sig is not None:
            try:
                sig.bind(**params)
            except TypeError as exc:
                raise TypeError(_bind_error(self.kind, name, sig, params, exc)) from None
        return factory(**params)


def _bind_error(kind: str, name: str, sig: inspect.Signature, params: dict, exc: TypeError) -> str:
    """One line naming the unknown and the missing keywords of a failed ``sig.bind``."""
    P = inspect.Parameter
    pars = {p: par for p, par in sig.parameters.items() if p != "self"}
    named = [p for p, par in pars.items() if par.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)]
    takes_any = any(par.kind == P.VAR_KEYWORD for par in pars.values())
    unknown = [] if takes_any else [k for k in params if k not in named]
    missing = [p for p in named if pars[p].default is P.empty and p not in params]
    parts = []
    if unknown:
        parts.append(f"got unknown parameter(s) {unknown}; it accepts {named}")
    if missing:
        parts.append(f"is missing required parameter(s) {missing}")
    if not parts:  # e.g. positional-only parameters: keep Python's own wording
        parts.append(f"cannot be called with {params}: {exc}")
    return f"{kind} {name!r} " + "; ".join(parts)


PROBLEMS = Registry("problem", "benchsens.problems")
ESTIMATORS = Registry("estimator", "benchsens.estimators")


def register_problem(name: str, tags=()):
    """Decorator: register ``factory(**params) -> Problem`` under ``name``."""

    def deco(factory):
        PROBLEMS.register(name, factory, tags)
        return factory

    return deco


def estimator_metadata(cls) -> dict:
    """The registry metadata of an :class:`Estimator` subclass, read from its class attributes."""
    given_data = bool(getattr(cls, "given_data", False))
    return {
        "tags": ("given_data",) if given_data else (),
        "given_data": given_data,
        "target": getattr(cls, "target", None),
        "oracle": bool(getattr(cls, "oracle", False)),
    }


def register_estimator(cls):
    """Class decorator: register an :class:`Estimator` subclass under ``cls.name``."""
    from .estimators.base import Estimator

    if not (isinstance(cls, type) and issubclass(cls, Estimator)) or not cls.name:
        raise TypeError(f"register_estimator needs an Estimator subclass with a name, got {cls!r}")
    meta = estimator_metadata(cls)
    ESTIMATORS.register(cls.name, cls, meta.pop("tags"), **meta)
    return cls
