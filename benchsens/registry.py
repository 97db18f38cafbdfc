"""Name -> factory registries for problems and estimators, with entry-point plug-ins."""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from importlib.metadata import entry_points

__all__ = ["Registry", "PROBLEMS", "ESTIMATORS", "register_problem", "register_estimator"]


class Registry:
    """Maps names to factories; third-party entries come from an entry-point group.

    ``tags`` are known without building anything, so ``names(tag=...)`` is cheap.
    """

    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._factories: dict[str, Callable] = {}
        self._tags: dict[str, tuple[str, ...]] = {}
        self._plugins_loaded = False

    def register(self, name: str, factory: Callable, tags=()) -> Callable:
        if name in self._factories and self._factories[name] is not factory:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._factories[name] = factory
        self._tags[name] = tuple(tags)
        return factory

    def _load_plugins(self):
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name in self._factories:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plug-in must not break the registry
                import warnings

                warnings.warn(f"could not load {self.kind} plug-in {ep.name!r} ({ep.value}): {exc}")
                continue
            self.register(ep.name, obj, getattr(obj, "tags", ("plugin",)))

    def names(self, tag: str | None = None) -> list[str]:
        self._load_plugins()
        return sorted(n for n in self._factories if tag is None or tag in self._tags[n])

    def tags(self, name: str) -> tuple[str, ...]:
        return self._tags[self.resolve(name)]

    def resolve(self, name: str) -> str:
        self._load_plugins()
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {name!r}")
        if name not in self._factories:
            close = difflib.get_close_matches(name, list(self._factories), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise KeyError(f"unknown {self.kind} {name!r}{hint} (list them with list_{self.kind}s())")
        return name

    def factory(self, name: str) -> Callable:
        return self._factories[self.resolve(name)]

    def build(self, name: str, **params):
        """Call the factory, turning a wrong keyword into an error naming it."""
        factory = self.factory(name)
        try:
            sig = inspect.signature(factory)
        except (TypeError, ValueError):
            sig = None
        if sig is not None:
            try:
                sig.bind(**params)
            except TypeError:
                accepted = [p for p in sig.parameters if p not in ("self", "args", "kwargs")]
                unknown = [k for k in params if k not in sig.parameters]
                raise TypeError(
                    f"{self.kind} {name!r} got unknown parameter(s) {unknown or list(params)}; "
                    f"it accepts {accepted}"
                ) from None
        return factory(**params)


PROBLEMS = Registry("problem", "benchsens.problems")
ESTIMATORS = Registry("estimator", "benchsens.estimators")


def register_problem(name: str, tags=()):
    """Decorator: register ``factory(**params) -> Problem`` under ``name``."""

    def deco(factory):
        PROBLEMS.register(name, factory, tags)
        return factory

    return deco


def register_estimator(cls):
    """Class decorator: register an :class:`Estimator` subclass under ``cls.name``."""
    from .estimators.base import Estimator

    if not (isinstance(cls, type) and issubclass(cls, Estimator)) or not cls.name:
        raise TypeError(f"register_estimator needs an Estimator subclass with a name, got {cls!r}")
    ESTIMATORS.register(cls.name, cls, ("given_data",) if cls.given_data else ())
    return cls
