"""Benchmarks run only when asked for: with ``--benchmark-enable`` (or ``--benchmark-only``),
or when this directory (or a file in it) is named on the command line, which runs each
benchmark once as a smoke test under the default ``--benchmark-disable``. The default test
run (``python -m pytest -q -m "not slow"``) does not even collect them.

This directory is a package (``__init__.py``), so this module is ``benchmarks.conftest`` and
does not replace ``tests/conftest.py`` as the ``conftest`` module other tests import from.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _named(config) -> bool:
    for arg in config.args:
        path = Path(config.rootpath, arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    if config.getoption("benchmark_enable") or config.getoption("benchmark_only") or _named(config):
        return None
    return True
