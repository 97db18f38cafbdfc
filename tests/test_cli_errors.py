"""Every user error of the command line (issue 10) is one line ``benchsens: error: ...`` that
names the bad value, exit status 2, no traceback; every store involved is left byte-for-byte
unchanged. Also: ``run`` exits 1 when a cell failed (summary printed), ``estimate`` announces
its cost before running, a closed pipe is quiet, a bug keeps its traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchsens.cli import main
from test_store import BAD_FILES, _foreign, make_store

TESTS = Path(__file__).parent

TINY = """
name = "tiny"
budgets = [64]
seeds = 1
timeout = 60
problems = ["ishigami"]
estimators = ["rank_s1"]
"""


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A directory with a tiny spec, a store, a foreign SQLite file, a CSV, as the cwd."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY)
    make_store(tmp_path / "s.sqlite", n=6)
    _foreign(tmp_path / "foreign.db")
    (tmp_path / "notes.csv").write_text("mine\n")
    (tmp_path / "sub").mkdir()
    return tmp_path


def _spec(place, extra: str = "", **replace) -> str:
    text = TINY
    for old, new in replace.items():
        text = text.replace(old, new)
    (place / "case.toml").write_text(extra + text)
    return "case.toml"


def _one_error(capsys, argv, fragments, code=2):
    """Run ``main(argv)``; it must exit ``code`` with one error on stderr: a line starting
    with ``benchsens: error:`` (a spec's list of several problems continues on "  - " lines)
    that holds every fragment. Progress and warning lines may precede it. Returns it."""
    try:
        got = main(argv)
    except SystemExit as exc:  # argparse
        got = exc.code
    out, err = capsys.readouterr()
    assert got == code, (argv, out, err)
    lines = [line for line in err.splitlines() if not line.startswith(("benchsens: warning:", "[benchsens "))]
    assert lines and lines[0].startswith("benchsens: error: "), (argv, err)
    assert all(line.startswith("  - ") for line in lines[1:]), (argv, err)
    message = "\n".join(lines)
    for fragment in fragments:
        assert fragment in message, (argv, fragment, message)
    return message


def test_a_spec_with_several_problems_lists_them_all(place, capsys):
    spec = _spec(place, **{'"ishigami"': '"ishigamy"', '"rank_s1"': '"rank_s2"'})
    message = _one_error(capsys, ["run", spec, "--dry-run"], ["'ishigamy'", "'rank_s2'"])
    assert len(message.splitlines()) == 3


# (id, argv, fragments of the one line) -- files refer to the `place` fixture
CASES = [
    # export: nothing lost
    ("export onto its own store", ["export", "s.sqlite", "--out", "s.sqlite", "--format", "csv"],
     ["'s.sqlite'", "is the store being exported"]),
    ("export onto its own store, forced", ["export", "s.sqlite", "--out", "./s.sqlite", "--force"],
     ["'s.sqlite'", "is the store being exported"]),
    ("export onto another SQLite file", ["export", "s.sqlite", "--out", "foreign.db", "--format", "csv", "--force"],
     ["'foreign.db'", "is a SQLite database; export never overwrites one"]),
    ("export onto an existing file", ["export", "s.sqlite", "--out", "notes.csv"],
     ["'notes.csv'", "exists; use --force"]),
    ("export to a directory", ["export", "s.sqlite", "--out", "sub"], ["'sub'", "is a directory"]),
    ("export into a missing directory", ["export", "s.sqlite", "--out", "nowhere/x.csv"],
     ["'nowhere/x.csv'", "directory 'nowhere' does not exist"]),
    ("export format from a suffix", ["export", "s.sqlite", "--out", "x.txt"], ["'txt'", "'csv' or 'parquet'"]),
    ("export of a missing store", ["export", "none.sqlite", "--out", "x.csv"], ["no result store at 'none.sqlite'"]),
    # stores that are not ours / not there
    ("run into a foreign SQLite file", ["run", "tiny.toml", "--store", "foreign.db"],
     ["'foreign.db'", "not a benchsens store"]),
    ("status of a foreign SQLite file", ["status", "foreign.db"], ["'foreign.db'", "not a benchsens store"]),
    ("status of a directory", ["status", "sub"], ["'sub'", "is a directory"]),
    ("run into a directory", ["run", "tiny.toml", "--store", "sub"], ["'sub'", "is a directory"]),
    ("run into a missing directory", ["run", "tiny.toml", "--store", "nowhere/s.sqlite"],
     ["'nowhere/s.sqlite'", "directory 'nowhere' does not exist"]),
    ("status of a missing store", ["status", "none.sqlite"], ["no result store at 'none.sqlite'"]),
    ("run without a store", ["run", "tiny.toml"], ["--store PATH is required"]),
    ("run with a spec and a suite", ["run", "tiny.toml", "--suite", "quick", "--store", "n.sqlite"],
     ["a spec file or --suite NAME", "not both"]),
    # specs: checked before anything runs, no code by surprise
    ("unknown suite", ["run", "--suite", "quik", "--store", "n.sqlite"], ["'quik'", "did you mean 'quick'"]),
    ("missing spec file", ["run", "nope.toml", "--dry-run"], ["nope.toml"]),
    ("imports without --allow-imports", lambda p: ["run", _spec(p, 'imports = ["this"]\n'), "--dry-run"],
     ["'this'", "--allow-imports"]),
    ("an option value the estimator refuses",
     lambda p: ["run", _spec(p, **{'"rank_s1"': '{ name = "sobol", options = { n_bootstrap = "many" } }'}), "--dry-run"],
     ["n_bootstrap", "'many'"]),
    ("a budget above the ceiling", lambda p: ["run", _spec(p, **{"[64]": "[100000000000]"}), "--dry-run"],
     ["100000000000", "GiB"]),
    # options
    ("run --workers 0", ["run", "tiny.toml", "--store", "n.sqlite", "--workers", "0"], ["--workers", "'0'"]),
    ("run --timeout -1", ["run", "tiny.toml", "--store", "n.sqlite", "--timeout", "-1"], ["--timeout", "'-1'"]),
    ("run --timeout nan", ["run", "tiny.toml", "--store", "n.sqlite", "--timeout", "nan"], ["--timeout", "'nan'"]),
    ("estimate --seed -1", ["estimate", "ishigami", "rank_s1", "--seed", "-1"], ["seed", "-1"]),
    ("estimate --seed abc", ["estimate", "ishigami", "rank_s1", "--seed", "abc"], ["--seed", "'abc'"]),
    ("estimate --budget 10**9", ["estimate", "ishigami", "sobol", "--budget", str(10**9)], [str(10**9), "GiB"]),
    ("estimate --budget 10**20", ["estimate", "ishigami", "sobol", "--budget", str(10**20)], [str(10**20)]),
    ("estimate --budget nan", ["estimate", "ishigami", "sobol", "--budget", "nan"], ["--budget", "'nan'"]),
    ("estimate --budget 0", ["estimate", "ishigami", "sobol", "--budget", "0"], ["budget", "0"]),
    ("estimate below the minimum", ["estimate", "ishigami", "sobol", "--budget", "3"], ["budget", "3", "minimum"]),
    ("unknown problem", ["estimate", "ishigamy", "sobol"], ["'ishigamy'", "did you mean 'ishigami'"]),
    ("unknown estimator", ["estimate", "ishigami", "sobl"], ["'sobl'", "did you mean 'sobol'"]),
    ("unknown tag", ["problems", "--tag", "nope"], ["unknown tag 'nope'", "known tags: ", "analytic"]),
    ("unknown subcommand", ["frobnicate"], ["'frobnicate'"]),
]


@pytest.mark.parametrize("argv, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_errors_are_one_line(place, capsys, argv, fragments):
    files = {p: p.read_bytes() for p in place.iterdir() if p.is_file()}
    argv = argv(place) if callable(argv) else argv
    message = _one_error(capsys, argv, fragments)
    assert "\n" not in message
    after = {p: p.read_bytes() for p in place.iterdir() if p.is_file() and p.name != "case.toml"}
    assert after == {p: b for p, b in files.items()}  # nothing written, nothing removed
    assert not (place / "n.sqlite").exists() and not (place / "x.csv").exists()


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_store_is_one_line_and_untouched_for_every_command(place, capsys, kind):
    build, fragment = BAD_FILES[kind]
    store = place / "bad.sqlite"
    build(store)
    before = store.read_bytes(), sorted(os.listdir(place))
    for argv in (["status", "bad.sqlite"], ["export", "bad.sqlite", "--out", "x.csv"],
                 ["run", "tiny.toml", "--store", "bad.sqlite"], ["run", "tiny.toml", "--store", "bad.sqlite", "--dry-run"]):
        _one_error(capsys, argv, ["'bad.sqlite'", fragment])
        assert (store.read_bytes(), sorted(os.listdir(place))) == before


def test_debug_adds_the_traceback(place, capsys):
    assert main(["status", "foreign.db", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "StoreError" in err and err.rstrip().splitlines()[-1].startswith("benchsens: error:")
    assert main(["--debug", "status", "sub"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_bug_keeps_its_traceback(place, monkeypatch):
    import benchsens.store

    def broken(path):
        raise TypeError("a bug")

    monkeypatch.setattr(benchsens.store, "_connect_ro", broken)
    with pytest.raises(TypeError, match="a bug") as info:
        main(["status", "s.sqlite"])
    assert any("this is a bug" in note for note in info.value.__notes__)


def test_run_exits_1_when_a_cell_failed_and_prints_the_summary(place, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(TESTS))
    spec = _spec(place, 'imports = ["harness_toys"]\n',
                 **{'"ishigami"': '"toy_linear", "toy_broken"', '"rank_s1"': '"toy_corr"', "[64]": "[16]"})
    assert main(["run", spec, "--store", "n.sqlite", "--workers", "1", "--no-progress", "--allow-imports"]) == 1
    out, err = capsys.readouterr()
    assert "tiny: 2 cells" in out  # the summary table
    assert "benchsens: 1 of 2 cells failed or timed out" in err
    assert main(["run", spec, "--store", "n.sqlite", "--no-progress", "--allow-imports"]) == 1  # resumed: still failed
    capsys.readouterr()


def test_more_workers_than_cores_is_one_warning_line(place, capsys):
    workers = (os.cpu_count() or 1) + 1
    assert main(["run", "tiny.toml", "--store", "n.sqlite", "--workers", str(workers), "--no-progress"]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "warning" in line.lower()]
    assert len(warned) == 1 and warned[0].startswith(f"benchsens: warning: workers={workers} is above the ")
    assert "UserWarning" not in err and "run_sweep(" not in err  # no source excerpt


def test_an_unreachable_dask_scheduler_is_one_line(place, capsys, monkeypatch):
    import benchsens.harness.execute as execute

    monkeypatch.setattr(execute, "DASK_CONNECT_TIMEOUT", 1.0)
    _one_error(capsys, ["run", "tiny.toml", "--store", "n.sqlite", "--dask", "tcp://127.0.0.1:9"],
               ["tcp://127.0.0.1:9", "Dask scheduler", "1 s"])


def test_estimate_announces_its_cost_before_running(capsys):
    assert main(["estimate", "ishigami", "sobol", "--budget", "500", "--seed", "3"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("ishigami x sobol: budget 500, seed 3: evaluating ")
    assert "points (d=3)" in err
    n = int(err.split("evaluating ")[1].split()[0])
    assert f"{n} evaluations" in out and n <= 500


def test_a_closed_pipe_is_quiet(place):
    """``benchsens status STORE | head``: the reader has gone before the output comes (the
    pipe is closed at once), so every write fails; no traceback, exit status 0."""
    proc = subprocess.Popen([sys.executable, "-m", "benchsens.cli", "status", "s.sqlite"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == ""
