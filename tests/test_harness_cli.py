"""The command line: a driver killed with SIGKILL in the middle of a sweep resumes, two drivers
on one store at once store every cell once, and the subcommands' happy paths."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from benchsens.cli import main

TESTS = Path(__file__).parent


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))


SPEC = """
name = "killed"
imports = ["harness_toys"]
budgets = [16, 24, 32]
seeds = 4
timeout = 60
problems = ["toy_linear"]
estimators = [{ name = "toy_corr", options = { sleep = 0.15 } }, "toy_design"]
"""
N_CELLS = 3 * 4 * 2


def _stored(store):
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, finished FROM cells").fetchall())
    except sqlite3.OperationalError:  # the driver has not created the table yet
        return {}
    finally:
        db.close()


def test_sigkilled_driver_resumes_and_loses_nothing(tmp_path):
    spec, store = tmp_path / "spec.toml", tmp_path / "s.sqlite"
    spec.write_text(SPEC)
    cmd = [sys.executable, "-m", "benchsens.cli", "run", str(spec), "--store", str(store),
           "--workers", "2", "--no-progress", "--allow-imports"]
    driver = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stop = time.monotonic() + 120
        while time.monotonic() < stop:
            if store.exists() and len(_stored(store)) >= 6:
                break
            time.sleep(0.05)
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    finally:
        driver.kill()
    before = _stored(store)
    assert 6 <= len(before) < N_CELLS, "the driver should die in the middle of the sweep"
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _stored(store)
    assert len(after) == N_CELLS
    assert {k: after[k] for k in before} == before  # finished cells were not run again
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone() == (N_CELLS, N_CELLS)
        assert db.execute("SELECT COUNT(*) FROM cells WHERE status != 'ok'").fetchone()[0] == 0
    status = subprocess.run([sys.executable, "-m", "benchsens.cli", "status", str(store)],
                            env=_env(), capture_output=True, text=True, timeout=60)
    assert f"{N_CELLS} cells stored: ok {N_CELLS}" in status.stdout
    assert "interrupted or running" in status.stdout  # the killed run
    assert f"{N_CELLS} cells planned, {N_CELLS} stored, 0 remaining" in status.stdout


def test_two_drivers_on_one_store_at_once_store_every_cell_once(tmp_path):
    """Both create the store at the same moment and run every cell; SQLite serialises their
    transactions, a cell stored by both is one row (its key is the primary key)."""
    spec, store = tmp_path / "spec.toml", tmp_path / "s.sqlite"
    spec.write_text(SPEC.replace("sleep = 0.15", "sleep = 0.02").replace("seeds = 4", "seeds = 2"))
    cmd = [sys.executable, "-m", "benchsens.cli", "run", str(spec), "--store", str(store),
           "--workers", "1", "--no-progress", "--allow-imports"]
    drivers = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    errors = [d.communicate(timeout=300)[1] for d in drivers]
    assert [d.returncode for d in drivers] == [0, 0], errors
    n_cells = 3 * 2 * 2
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone() == (n_cells, n_cells)
        assert db.execute("SELECT COUNT(*) FROM cells WHERE status != 'ok'").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM sweeps WHERE finished IS NOT NULL").fetchone()[0] == 2
    db.close()


@pytest.mark.parametrize("command", ["run", "status", "export", "problems", "estimate"])
def test_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out.lower() and "benchsens" in out


def test_bad_spec_is_a_clean_error(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(SPEC.replace("budgets", "budgetz"))
    assert main(["run", str(spec), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'budgetz'; did you mean 'budgets'" in err and "Traceback" not in err
    assert main(["run", "--suite", "quik", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "did you mean 'quick'" in capsys.readouterr().err
    assert main(["run", str(spec)]) == 2  # no store
    assert main(["status", str(tmp_path / "missing.sqlite")]) == 2
    assert "no result store" in capsys.readouterr().err


def test_run_status_export(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(TESTS))
    spec, store = tmp_path / "spec.toml", tmp_path / "s.sqlite"
    spec.write_text(SPEC.replace("sleep = 0.15", "sleep = 0.0").replace("seeds = 4", "seeds = 1"))
    assert main(["run", str(spec), "--dry-run", "--allow-imports"]) == 0
    assert "6 cells to run, 0 skipped" in capsys.readouterr().out
    assert main(["run", str(spec), "--store", str(store), "--workers", "2", "--no-progress", "--allow-imports"]) == 0
    assert "toy_corr" in capsys.readouterr().out  # the summary table
    assert main(["status", str(store)]) == 0
    assert "6 cells stored: ok 6" in capsys.readouterr().out
    out = tmp_path / "x.csv"
    assert main(["export", str(store), "--format", "csv", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 6


def test_status_tells_identities_apart(tmp_path, capsys):
    """A changed function or estimator version makes new cells; status names both identities."""
    from benchsens.store import Store

    row = {"status": "ok", "problem": "mine", "params": "{}", "estimator": "sobol", "options": "{}"}
    with Store(tmp_path / "s.sqlite") as store:
        store.put([{**row, "key": "a", "problem_fingerprint": "f1" * 16, "version": "1"},
                   {**row, "key": "b", "problem_fingerprint": "f2" * 16, "version": "1"},
                   {**row, "key": "c", "problem_fingerprint": "f2" * 16, "version": "2"}])
    assert main(["status", str(tmp_path / "s.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "3 cells stored: ok 3" in out
    assert "problem mine {}: 2 function fingerprints (f1f1f1f1f1f1, f2f2f2f2f2f2)" in out
    assert "estimator sobol {}: 2 versions (1, 2)" in out
