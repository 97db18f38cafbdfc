"""Print a pip constraints file that pins every dependency pyproject.toml declares (the
runtime ones and the ``test`` extra) to its declared floor, ``name>=X`` -> ``name==X``.

``.ci/run`` and ``tox -e min`` install with it, so the floors are the versions actually
tested; a dependency without a ``>=`` floor is an error.
"""
from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

_FLOOR = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*(?:,[^;]*)?")


def constraints(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = []
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        spec, _, marker = req.partition(";")
        m = _FLOOR.fullmatch(spec)
        if m is None:
            raise SystemExit(f"{pyproject}: dependency {req!r} declares no floor 'name>=version'")
        lines.append(f"{m[1]}=={m[2]}" + (f"; {marker.strip()}" if marker.strip() else ""))
    return lines


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args()
    text = "\n".join(constraints(Path(__file__).resolve().parent.parent / "pyproject.toml")) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        print(text, end="")
