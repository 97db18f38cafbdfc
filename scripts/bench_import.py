"""Start-up time of ``import benchsens`` and ``benchsens --help`` against the floor every
user pays anyway, ``python -c "import numpy, scipy.stats"``, measured in one run.

Each command runs in a fresh interpreter (subprocess), the commands interleaved round by
round so that load on the machine hits all of them alike; the median and the minimum
wall time of the rounds are printed, with each command's ratio to the floor (the target
is <= 1.2). ``--tree DIR`` (repeatable) also times a source tree such as an older
checkout (``git archive <commit> | tar -x -C DIR``), run from inside that tree, so
before/after numbers come from the same run. ``--importtime N`` lists the N slowest
imports under ``import benchsens`` (``python -X importtime``) to find the culprits.

    python scripts/bench_import.py --repeat 15
    python scripts/bench_import.py --tree /tmp/before --importtime 15
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HELP = "import sys; from benchsens.cli import main; sys.argv[0] = 'benchsens'; sys.exit(main(['--help']))"


def commands(trees):
    """(label, argv, source tree or None) of every command to time; the floor first."""
    out = [("import numpy, scipy.stats", [sys.executable, "-c", "import numpy, scipy.stats"], None)]
    for tree in [None, *trees]:
        where = "" if tree is None else f" [{tree}]"
        out.append((f"import benchsens{where}", [sys.executable, "-c", "import benchsens"], tree))
        out.append((f"benchsens --help{where}", [sys.executable, "-c", HELP], tree))
    return out


ROOT = Path(__file__).resolve().parent.parent


def run_once(argv, tree) -> float:
    """Wall seconds of ``argv`` run inside ``tree`` (``python -c`` puts the working
    directory first on ``sys.path``, ahead of an installed or editable benchsens)."""
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=tree or ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def importtime(n: int, tree) -> list[tuple[int, str]]:
    """The ``n`` largest cumulative import times (microseconds, module) of ``import benchsens``."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import benchsens"], cwd=tree or ROOT,
                         check=True, capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:n]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="rounds (default 10)")
    parser.add_argument("--tree", action="append", default=[], type=Path,
                        help="also time the benchsens in this source tree; repeatable")
    parser.add_argument("--importtime", type=int, default=0, metavar="N",
                        help="print the N slowest imports under 'import benchsens'")
    args = parser.parse_args(argv)
    for tree in args.tree:
        if not (tree / "benchsens" / "__init__.py").is_file():
            parser.error(f"--tree {tree}: no benchsens/__init__.py there")
    cmds = commands([t.resolve() for t in args.tree])
    for _, argv_, path in cmds:  # warm the file cache and the bytecode caches
        run_once(argv_, path)
    times = {label: [] for label, _, _ in cmds}
    for _ in range(args.repeat):
        for label, argv_, path in cmds:
            times[label].append(run_once(argv_, path))
    floor = times[cmds[0][0]]
    print(f"{args.repeat} rounds, {sys.executable} (Python {sys.version.split()[0]}); "
          "ratios to the floor's median and minimum (target <= 1.2)")
    print(f"{'command':<48s} {'median s':>9s} {'min s':>7s} {'ratio med':>10s} {'ratio min':>10s}")
    for label, ts in times.items():
        med = statistics.median(ts)
        print(f"{label:<48s} {med:9.3f} {min(ts):7.3f} {med / statistics.median(floor):10.2f} "
              f"{min(ts) / min(floor):10.2f}")
    for tree in [None, *args.tree] if args.importtime else []:
        print(f"\nslowest imports under 'import benchsens'{'' if tree is None else f' [{tree}]'} "
              "(cumulative ms, python -X importtime):")
        for us, module in importtime(args.importtime, tree):
            print(f"{us / 1000:9.1f}  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
