"""The result store: one SQLite file (WAL journal), one row per cell keyed by its hash.

Only the driving process writes, one transaction per finished cell, so a killed sweep loses
at most the cells that were running. Restarting skips every stored cell; cells stored as
``error`` or ``timeout`` run again only when asked (``retry_failed``), because an error is
usually deterministic (same seed, same failure) while a timeout may depend on the load.

:func:`load_results` reads a store into a pandas DataFrame; :func:`export` writes CSV or
Parquet. Reports read the store and nothing else, so each row also carries the truth.
"""
from __future__ import annotations

import datetime
import json
import sqlite3
from pathlib import Path

import numpy as np

__all__ = ["Store", "load_results", "export", "STATUSES"]

STATUSES = ("ok", "error", "timeout", "skipped")
SCHEMA_VERSION = "1"

#: (name, SQL type) of the ``cells`` table, identity first.
COLUMNS = (
    ("key", "TEXT PRIMARY KEY"), ("sweep", "TEXT"),
    ("problem", "TEXT"), ("params", "TEXT"), ("estimator", "TEXT"), ("options", "TEXT"),
    ("version", "TEXT"), ("budget", "INTEGER"), ("seed", "INTEGER"), ("noise", "REAL"),
    ("regime", "TEXT"),
    ("status", "TEXT NOT NULL"), ("message", "TEXT"), ("traceback", "TEXT"),
    ("names", "TEXT"), ("importance", "TEXT"), ("first", "TEXT"), ("total", "TEXT"),
    ("estimate", "TEXT"), ("scores", "TEXT"),
    ("truth_first", "TEXT"), ("truth_total", "TEXT"), ("truth_kind", "TEXT"),
    ("n_evals", "INTEGER"), ("plan_seconds", "REAL"), ("eval_seconds", "REAL"),
    ("analysis_seconds", "REAL"), ("cell_seconds", "REAL"), ("wall_seconds", "REAL"),
    ("cost", "REAL"), ("warnings", "TEXT"), ("versions", "TEXT"), ("worker", "TEXT"),
    ("finished", "TEXT"),
)
_NAMES = tuple(c for c, _ in COLUMNS)
_ARRAYS = ("names", "importance", "first", "total", "truth_first", "truth_total")
_JSON = ("params", "options", "estimate", "warnings", "versions")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


class Store:
    """Write access to a store file (created when missing). Use from one process only."""

    def __init__(self, path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30)
        mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if self.path != ":memory:" and mode.lower() != "wal":
            raise RuntimeError(f"store {self.path}: SQLite refused the WAL journal (got {mode!r})")
        self.db.execute("PRAGMA synchronous=NORMAL")
        with self.db:
            self.db.execute(f"CREATE TABLE IF NOT EXISTS cells ({', '.join(f'{n} {t}' for n, t in COLUMNS)})")
            self.db.execute("CREATE TABLE IF NOT EXISTS sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                            "name TEXT, spec TEXT, started TEXT, finished TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS planned (sweep_id INTEGER, key TEXT, "
                            "PRIMARY KEY (sweep_id, key))")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        (schema,) = self.db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()
        if schema != SCHEMA_VERSION:
            raise RuntimeError(f"store {self.path} has schema version {schema}, this benchsens "
                               f"writes version {SCHEMA_VERSION}")

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def begin_sweep(self, name: str, spec: dict, keys) -> int:
        """Record a sweep and the keys it plans (for ``benchsens status``)."""
        with self.db:
            cur = self.db.execute("INSERT INTO sweeps (name, spec, started) VALUES (?, ?, ?)",
                                  (name, json.dumps(spec, sort_keys=True), _now()))
            sweep_id = cur.lastrowid
            self.db.executemany("INSERT OR IGNORE INTO planned VALUES (?, ?)", ((sweep_id, k) for k in keys))
        return sweep_id

    def end_sweep(self, sweep_id: int):
        with self.db:
            self.db.execute("UPDATE sweeps SET finished=? WHERE id=?", (_now(), sweep_id))

    def finished_keys(self, retry_failed: bool = False) -> set[str]:
        """Keys that a restart skips: every stored cell, or only ok/skipped ones."""
        sql = "SELECT key FROM cells"
        if retry_failed:
            sql += " WHERE status IN ('ok', 'skipped')"
        return {k for (k,) in self.db.execute(sql)}

    def put(self, rows: list[dict]):
        """Store finished cells (one transaction); a key stored before is replaced."""
        for row in rows:
            if row.get("status") not in STATUSES:
                raise ValueError(f"row {row.get('key')!r} has status {row.get('status')!r}, not one of {STATUSES}")
            unknown = set(row) - set(_NAMES)
            if unknown:
                raise ValueError(f"row {row.get('key')!r} has unknown columns {sorted(unknown)}")
        with self.db:
            self.db.executemany(
                f"INSERT OR REPLACE INTO cells ({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})",
                ([row.get(n, _now() if n == "finished" else None) for n in _NAMES] for row in rows),
            )

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM cells GROUP BY status").fetchall())


def _connect_ro(path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no result store at {str(path)!r}")
    db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
    tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "cells" not in tables:
        db.close()
        raise ValueError(f"{str(path)!r} is not a benchsens result store (no 'cells' table)")
    return db


def _decode_array(text):
    if not isinstance(text, str):  # NULL comes back as None or NaN
        return None
    values = json.loads(text)
    if values and isinstance(values[0], str):
        return values
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load_results(store, status: str | None = None, decode: bool = True):
    """All cells of a store as a pandas DataFrame, one row per cell.

    Every score of ``bs.score`` becomes its own column (a score named like a store column,
    e.g. ``n_evals``, is not repeated). With ``decode=True`` (default) ``importance``,
    ``first``, ``total``, ``truth_first``, ``truth_total`` are numpy arrays (NaN where JSON
    held null), ``names`` a list and ``params``/``options``/``estimate``/``versions`` dicts;
    with ``decode=False`` they stay JSON text (what :func:`export` writes).
    ``status`` keeps only cells with that status.
    """
    import pandas as pd

    if isinstance(store, Store):
        store = store.path
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    db = _connect_ro(store)
    try:
        sql = f"SELECT {', '.join(_NAMES)} FROM cells"
        df = pd.read_sql_query(sql + (" WHERE status = ?" if status else "") + " ORDER BY rowid",
                               db, params=(status,) if status else None)
    finally:
        db.close()
    scores = [json.loads(s) if isinstance(s, str) else {} for s in df.pop("scores")]
    score_names = list(dict.fromkeys(k for s in scores for k in s if k not in df.columns))
    for name in score_names:
        df[name] = np.array([np.nan if s.get(name) is None else s[name] for s in scores], dtype=float)
    if decode:
        for col in _ARRAYS:
            df[col] = [_decode_array(v) for v in df[col]]
        for col in _JSON:
            df[col] = [json.loads(v) if isinstance(v, str) else None for v in df[col]]
    return df


def export(store, out, format: str | None = None) -> Path:
    """Write a store's cells to CSV or Parquet (arrays and tables as JSON text)."""
    out = Path(out)
    format = format or out.suffix.lstrip(".")
    if format not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}")
    df = load_results(store, decode=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "csv":
        df.to_csv(out, index=False)
    else:
        try:
            df.to_parquet(out, index=False)
        except ImportError as exc:
            raise RuntimeError(f"Parquet export needs pyarrow: pip install 'benchsens[parquet]' ({exc})") from None
    return out
