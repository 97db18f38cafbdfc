"""Running sweeps: failing cells get their status row, the store resumes, and results are
identical on 1 worker, 2 workers and a Dask cluster."""
from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
import pandas as pd
import pytest

import benchsens as bs
import harness_toys as toys
from benchsens.harness import plan_sweep, run_sweep
from benchsens.harness.cells import run_cell


def _run(spec, store, **kw):
    return run_sweep(spec, store=store, progress=False, summary=False, allow_imports=True, **kw)


def test_failing_cells_get_status_rows_and_the_rest_finish(tmp_path):
    limit = 1.0
    spec = toys.toy_spec(
        budgets=[256], seeds=1, timeout=limit, regimes=["design", "random"],
        problems=["toy_linear", "toy_broken"],
        estimators=["toy_corr", "toy_design", "toy_raise", "toy_nan",
                    {"name": "toy_hang", "regimes": ["random"]}],
    )
    df = _run(spec, tmp_path / "s.sqlite", workers=2).set_index(["problem", "estimator", "regime"])
    assert len(df) == 2 * 4 * 2 + 2
    row = lambda p, e, r="design": df.loc[(p, e, r)]  # noqa: E731
    for regime in ("design", "random"):
        ok = row("toy_linear", "toy_corr", regime)
        # 256 points separate the squared correlations 9/13, 4/13, 0 by many standard errors
        assert ok.status == "ok" and ok.spearman == 1.0 and ok.n_evals == 256
        assert row("toy_linear", "toy_raise", regime).status == "error"
        assert "ValueError: toy_raise failed on purpose" in row("toy_linear", "toy_raise", regime).message
        nan = row("toy_linear", "toy_nan", regime)
        assert nan.status == "error" and "invalid importance vector" in nan.message
        for est in ("toy_corr", "toy_raise", "toy_nan"):
            broken = row("toy_broken", est, regime)
            assert broken.status == "error" and "toy_broken evaluation failed on purpose" in broken.message
            assert "Traceback" in broken.traceback
    hang = row("toy_linear", "toy_hang", "random")
    # hard timeout: toy_hang never returns, so the sweep finishing at all shows its child was
    # killed; not before the deadline
    assert hang.status == "timeout" and f"{limit:g} s limit" in hang.message
    assert hang.cell_seconds >= limit
    assert row("toy_broken", "toy_hang", "random").status == "error"  # evaluation raises first
    assert row("toy_linear", "toy_design", "random").status == "skipped"
    assert row("toy_linear", "toy_design").status == "ok"


def test_store_row_content(tmp_path):
    pause = 0.05  # seconds toy_linear sleeps per evaluation call
    problems = [{"name": "toy_linear", "params": {"sleep": pause}}]
    df = _run(toys.toy_spec(budgets=[32], seeds=1, estimators=["toy_design"], noise=[0.0, 0.5],
                            problems=problems), tmp_path / "s.sqlite", workers=1)
    assert set(df.status) == {"ok"} and len(df) == 2
    r = df.iloc[0]
    problem = bs.get_problem("toy_linear")
    np.testing.assert_array_equal(r.truth_total, problem.truth.total)
    assert r.names == ["x1", "x2", "x3"] and r.importance.shape == (3,)
    assert r["first"].shape == (3,) and r["total"].shape == (3,)  # r.first: a Series method before pandas 3
    assert r.truth_kind == "analytic" and r.regime == "design"
    assert r.target == "first" and not r.oracle and not r.replicate
    assert sorted(df.noise) == [0.0, 0.5] and df.noise.dtype == float
    assert 32 < r.cost < 64  # sum of 1 + x1 over 32 points
    # the evaluation slept, so its time is in eval_seconds (not planning or analysis)
    assert r.eval_seconds >= pause and r.cell_seconds >= r.plan_seconds + r.eval_seconds + r.analysis_seconds
    assert r.versions["numpy"] == np.__version__ and r.versions["benchsens"]
    for key in bs.scoring.SCORE_KEYS:
        assert key in df.columns
    assert r.n_evals == 32 and r.seconds == r.analysis_seconds


def test_given_data_estimators_share_the_random_sample():
    spec = toys.toy_spec(budgets=[32], seeds=1, regimes=["random"], estimators=["toy_corr", "toy_raise"])
    _, cells, _ = plan_sweep(spec, allow_imports=True)
    assert cells[0].data_key == cells[1].data_key and cells[0].key != cells[1].key


def test_trace_regime_runs_an_optuna_study():
    spec = toys.toy_spec(budgets=[24], seeds=1, regimes=["trace:tpe", "trace:random"], estimators=["toy_corr"])
    _, cells, _ = plan_sweep(spec, allow_imports=True)
    rows = [run_cell(c) for c in cells]
    assert [r["status"] for r in rows] == ["ok", "ok"], [r["message"] for r in rows]
    assert rows[0]["importance"] != rows[1]["importance"]
    assert run_cell(cells[0])["importance"] == rows[0]["importance"]  # the trace is seeded


def test_restart_skips_finished_cells_and_retries_failed_only_when_asked(tmp_path):
    store = tmp_path / "s.sqlite"
    spec = toys.toy_spec(budgets=[16], seeds=2, estimators=["toy_corr", "toy_raise"])
    first = _run(spec, store, workers=1).set_index("key")
    again = _run(spec, store, workers=1).set_index("key")
    pd.testing.assert_series_equal(first.finished, again.finished)  # nothing ran again
    retried = _run(spec, store, workers=1, retry_failed=True).set_index("key")
    ok = first.status == "ok"
    assert (retried.finished[ok] == first.finished[ok]).all()
    assert (retried.finished[~ok] > first.finished[~ok]).all()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM cells").fetchone() == (4, 4)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_load_results_and_export(tmp_path):
    store = tmp_path / "s.sqlite"
    _run(toys.toy_spec(budgets=[16], seeds=1), store, workers=1)
    df = bs.load_results(store)
    assert len(df) == 2 and isinstance(df.importance[0], np.ndarray)
    assert list(bs.load_results(store, status="ok").key) == list(df.key)
    assert bs.load_results(store, status="error").empty
    from benchsens.store import export

    csv = pd.read_csv(export(store, tmp_path / "out.csv"))
    assert len(csv) == 2 and "spearman" in csv and json.loads(csv.importance[0])
    pq = pd.read_parquet(export(store, tmp_path / "out.parquet"))
    assert list(pq.key) == list(csv.key)
    with pytest.raises(ValueError, match="status must be one of"):
        bs.load_results(store, status="done")
    with pytest.raises(FileNotFoundError, match="no result store"):
        bs.load_results(tmp_path / "nope.sqlite")


def _scores(df):
    cols = ["key", "status", "spearman", "weighted_tau", "mae_first", "top_k"]
    out = df[cols].sort_values("key").reset_index(drop=True)
    out["importance"] = [None if v is None else tuple(v) for v in df.sort_values("key").importance]
    return out


def test_identical_scores_on_1_and_2_workers_and_dask_and_dask_hard_timeout(tmp_path):
    import distributed  # in the test extra: a missing one fails, never skips
    spec = toys.toy_spec(budgets=[16, 40], seeds=2, noise=[0.0, 0.5], regimes=["design", "random"])
    hang = toys.toy_spec(budgets=[16], seeds=1, timeout=1.0, estimators=["toy_hang", "toy_corr"])
    one = _scores(_run(spec, tmp_path / "a.sqlite", workers=1))
    two = _scores(_run(spec, tmp_path / "b.sqlite", workers=2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = _scores(_run(spec, tmp_path / "c.sqlite", dask=cluster.scheduler_address))
        # a runaway cell on Dask is killed at its deadline and does not wedge the worker
        stuck = _run(hang, tmp_path / "d.sqlite", dask=client).set_index("estimator")
        assert sum(client.run(lambda: 1).values()) == 2  # both Dask workers survived
    assert (one.status == "ok").sum() == 2 * 2 * 2 * 2 + 2 * 2 * 2  # corr: 2 regimes, design: 1
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, on_dask)
    assert stuck.loc["toy_hang"].status == "timeout" and stuck.loc["toy_hang"].cell_seconds >= 1.0
    assert stuck.loc["toy_corr"].status == "ok"


def test_workers_do_not_import_from_the_current_directory(tmp_path, monkeypatch):
    """A socket.py in the working directory (first on the driver's sys.path, as under
    `python -m`) is not what the workers import."""
    marker = tmp_path / "ran"
    (tmp_path / "socket.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit('shadowed')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    df = _run(toys.toy_spec(budgets=[16], seeds=1, estimators=["toy_corr"]), tmp_path / "s.sqlite", workers=1)
    assert list(df.status) == ["ok"] and not marker.exists()


def test_a_killed_worker_is_reported_with_its_signal_and_replaced(tmp_path):
    df = _run(toys.toy_spec(budgets=[16], seeds=1, estimators=["toy_die", "toy_corr"]),
              tmp_path / "s.sqlite", workers=1).set_index("estimator")
    assert df.loc["toy_die"].status == "error" and df.loc["toy_die"].message.startswith("worker killed by SIGKILL")
    assert "sys.modules" not in df.loc["toy_die"].message  # no runpy start-up warning in its stderr
    assert df.loc["toy_corr"].status == "ok"


def test_more_workers_than_cores_warns(tmp_path):
    with pytest.warns(UserWarning, match=r"workers=\d+ is above the \d+ CPU cores"):
        _run(toys.toy_spec(budgets=[16], seeds=1, estimators=["toy_corr"]), tmp_path / "s.sqlite",
             workers=(os.cpu_count() or 1) + 1)


def test_an_unreachable_dask_scheduler_fails_with_one_line(tmp_path, monkeypatch):
    from benchsens.harness import execute

    monkeypatch.setattr(execute, "DASK_CONNECT_TIMEOUT", 1.0)
    with pytest.raises(ConnectionError) as info:
        _run(toys.toy_spec(budgets=[16], seeds=1), tmp_path / "s.sqlite", dask="tcp://127.0.0.1:9")
    assert str(info.value) == ("cannot connect to a Dask scheduler at 'tcp://127.0.0.1:9' (waited up to 1 s): "
                               "OSError: Timed out trying to connect to tcp://127.0.0.1:9 after 1 s")


def test_run_sweep_counts_statuses(tmp_path):
    df = _run(toys.toy_spec(budgets=[4, 16], seeds=1, estimators=["toy_corr", "toy_raise"],
                            below_minimum="skip"), tmp_path / "s.sqlite", workers=1)
    assert df.attrs["counts"] == {"ok": 1, "error": 1, "timeout": 0, "skipped": 2}
    assert df.attrs["n_failed"] == 1
