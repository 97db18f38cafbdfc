"""The result store: one SQLite file (WAL journal), one row per cell keyed by its hash.

Only the driving process writes, one transaction per finished cell, so a killed sweep loses
at most the cells that were running. Restarting skips every stored cell; cells stored as
``error`` or ``timeout`` run again only when asked (``retry_failed``), because an error is
usually deterministic (same seed, same failure) while a timeout may depend on the load.

Only our own files are written. A store carries SQLite's ``application_id``
:data:`APPLICATION_ID` and a ``meta`` row ``schema_version`` (:data:`SCHEMA_VERSION`). Any
other file (another application's database, a non-SQLite, empty, truncated or corrupt file,
a store of another schema version, a directory) is refused with a :class:`StoreError` naming
the path and the reason, *before* anything is written: a new store is created only where no
file (or an empty one) exists. Stores on read-only media can be read.

:func:`load_results` reads a store into a pandas DataFrame; :func:`export` writes CSV or
Parquet. Reports read the store and nothing else, so each row also carries the truth.
"""
from __future__ import annotations

import datetime
import gzip
import json
import numbers
import os
import sqlite3
import uuid
from pathlib import Path

import numpy as np

__all__ = ["Store", "StoreError", "load_results", "load_sweeps", "export", "check_store", "STATUSES", "APPLICATION_ID", "SCHEMA_VERSION"]

STATUSES = ("ok", "error", "timeout", "skipped")
#: ``PRAGMA application_id`` of every benchsens store: the ASCII bytes "BSNS".
APPLICATION_ID = 0x42534E53
#: Version of the tables below; stores of another version are refused.
SCHEMA_VERSION = "2"
_MAGIC = b"SQLite format 3\x00"

#: (name, SQL type) of the ``cells`` table, identity first.
COLUMNS = (
    ("key", "TEXT PRIMARY KEY"), ("sweep", "TEXT"),
    ("problem", "TEXT"), ("params", "TEXT"), ("problem_fingerprint", "TEXT"),
    ("estimator", "TEXT"), ("options", "TEXT"), ("version", "TEXT"), ("target", "TEXT"),
    ("oracle", "INTEGER"), ("budget", "INTEGER"), ("seed", "INTEGER"), ("noise", "REAL"),
    ("replicate", "INTEGER"), ("regime", "TEXT"), ("tags", "TEXT"), ("objective", "TEXT"),
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
_JSON = ("params", "options", "estimate", "warnings", "versions", "tags")
#: Columns added to schema 2 after its first release, with no change of meaning: a store
#: without them is migrated on write (``ALTER TABLE ... ADD COLUMN``) and read as NULL.
_ADDED = ("tags", "objective")
_FLAGS = ("replicate", "oracle")  # 0/1 in SQLite, bool in load_results


class StoreError(ValueError):
    """A path that cannot be used as a benchsens store; the message names it and says why."""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def _header_size(header: bytes) -> int:
    """Bytes the database occupies according to its 100-byte header (0 when unknown)."""
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    return page * int.from_bytes(header[28:32], "big")


def _inspect(path: Path, write: bool) -> bool:
    """Refuse anything but an existing benchsens store of this schema (or, when ``write``,
    a place where a new one can be created) without writing a byte. True when the file
    exists and is a store; False when a new store is to be created."""
    if path.is_dir():
        raise StoreError(f"store {str(path)!r} is a directory, not a store file")
    if not path.exists():
        if not write:
            raise FileNotFoundError(f"no result store at {str(path)!r}")
        parent = path.parent
        if not parent.is_dir():
            raise StoreError(f"cannot create store {str(path)!r}: directory {str(parent)!r} does not exist")
        if not _writable(parent):
            raise StoreError(f"cannot create store {str(path)!r}: directory {str(parent)!r} is not writable")
        return False
    if not path.is_file():
        raise StoreError(f"store {str(path)!r} is not a regular file")
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read store {str(path)!r}: {exc.strerror or exc}") from None
    size = path.stat().st_size
    if size == 0:
        if not write:
            raise StoreError(f"store {str(path)!r} is an empty file, not a benchsens store")
        _check_writable(path)
        return False
    if not header.startswith(_MAGIC[:len(header)]):
        raise StoreError(f"{str(path)!r} is not a benchsens store: not a SQLite file (left unchanged)")
    if len(header) < 100:
        raise StoreError(f"store {str(path)!r} is truncated: {size} bytes, shorter than a SQLite header")
    app = int.from_bytes(header[68:72], "big")
    if app != APPLICATION_ID:
        if app:
            raise StoreError(f"{str(path)!r} is not a benchsens store: the SQLite database of another "
                             f"application (application_id {app:#x}; left unchanged)")
        if _peek_schema(path) == "1":
            raise StoreError(f"store {str(path)!r} was written by an older benchsens (schema 1); "
                             "re-run the sweep into a new store")
        raise StoreError(f"{str(path)!r} is not a benchsens store: a SQLite database without the "
                         "benchsens application_id (left unchanged)")
    # a running writer may extend the file while it checkpoints: only trust the size without one
    declared = _header_size(header)
    if declared > size and not Path(f"{path}-wal").exists():
        raise StoreError(f"store {str(path)!r} is truncated: {size} bytes of the {declared} its header declares")
    if write:
        _check_writable(path)
    return True


def _writable(path: Path) -> bool:
    """Whether this process may write ``path`` (effective ids, so root under a dropped uid
    and read-only mounts are judged as the kernel will)."""
    mode = os.W_OK | (os.X_OK if path.is_dir() else 0)
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _check_writable(path: Path):
    if not (_writable(path) and _writable(path.parent)):
        raise StoreError(f"store {str(path)!r} is read-only (the file or its directory is not writable); "
                         "status and export can still read it")


def _peek_schema(path: Path) -> str | None:
    """The ``meta`` schema version of a SQLite file without our application id that has the
    tables of a benchsens store (None otherwise), read without locks or side files
    (``immutable``): only to word an error."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"cells", "meta", "planned", "sweeps"} <= tables:
                return None
            row = db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _validate(db: sqlite3.Connection, path: Path):
    """Check an open store's application id and schema version (under SQLite's locks)."""
    try:
        (app,) = db.execute("PRAGMA application_id").fetchone()
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        schema = None
        if "meta" in tables:
            row = db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()
            schema = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise _sqlite_error(path, exc) from None
    if app != APPLICATION_ID or "cells" not in tables:
        raise StoreError(f"{str(path)!r} is not a benchsens store (application_id {app:#x}, tables {sorted(tables)})")
    if schema != SCHEMA_VERSION:
        if schema == "1":
            raise StoreError(f"store {str(path)!r} was written by an older benchsens (schema 1); "
                             "re-run the sweep into a new store")
        raise StoreError(f"store {str(path)!r} has schema version {schema!r}; this benchsens reads "
                         f"and writes version {SCHEMA_VERSION!r}")


def _sqlite_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    if isinstance(exc, sqlite3.OperationalError):  # locked, cannot open, I/O error, ...
        return StoreError(f"cannot use store {str(path)!r}: SQLite: {exc}")
    return StoreError(f"store {str(path)!r} is corrupt or truncated (SQLite: {exc})")


def _create(db: sqlite3.Connection):
    """Give a fresh database our application id and tables (one transaction)."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"CREATE TABLE IF NOT EXISTS cells ({', '.join(f'{n} {t}' for n, t in COLUMNS)})")
    db.execute("CREATE TABLE IF NOT EXISTS sweeps (id INTEGER PRIMARY KEY AUTOINCREMENT, "
               "name TEXT, spec TEXT, started TEXT, finished TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS planned (sweep_id INTEGER, key TEXT, PRIMARY KEY (sweep_id, key))")
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))


def _present_columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(cells)")}


def check_store(path, write: bool = False):
    """Raise :class:`StoreError` (or FileNotFoundError when reading a missing file) unless
    ``path`` is a readable store, or with ``write`` a writable or creatable one. Writes
    nothing; the CLI calls it before a sweep is planned."""
    path = Path(path)
    if _inspect(path, write):
        _connect_ro(path).close()


class Store:
    """Write access to a store file, created when missing. Use from one process only
    (several processes may each hold one: SQLite serialises their transactions).

    Raises :class:`StoreError` for anything but an existing store of this schema or a
    creatable path; the file is then left as it was.
    """

    def __init__(self, path):
        self.path = str(path)
        memory = self.path == ":memory:"
        if not memory:
            _inspect(Path(self.path), write=True)
        existed = not memory and Path(self.path).exists()
        made = False  # whether this process gave the file its tables
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")  # another process may be creating it right now
            try:
                (app,) = self.db.execute("PRAGMA application_id").fetchone()
                if app == 0 and not self.db.execute("SELECT 1 FROM sqlite_master").fetchone():
                    _create(self.db)
                    made = not memory
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            _validate(self.db, Path(self.path))
            present = _present_columns(self.db)
            for name in _ADDED:
                if name not in present:
                    self.db.execute(f"ALTER TABLE cells ADD COLUMN {name} {dict(COLUMNS)[name]}")
            mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if not memory and mode.lower() != "wal":
                raise StoreError(f"store {self.path!r}: SQLite refused the WAL journal (got {mode!r})")
            self.db.execute("PRAGMA synchronous=NORMAL")
        except BaseException as exc:
            if hasattr(self, "db"):
                self.db.close()
            if made and not existed:  # leave no half-made store (never a file we did not create)
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(self.path + suffix).unlink(missing_ok=True)
            if isinstance(exc, sqlite3.DatabaseError):
                raise _sqlite_error(Path(self.path), exc) from None
            raise
        self.db.isolation_level = ""  # implicit transactions again, for ``with self.db``

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
            noise = row.get("noise")
            if noise is not None and (isinstance(noise, bool) or not isinstance(noise, numbers.Real)):
                raise ValueError(f"row {row.get('key')!r} has noise {noise!r}; the column holds numbers "
                                 "(replicated data is the 'replicate' flag)")
            for flag in _FLAGS:
                if row.get(flag) not in (None, 0, 1):
                    raise ValueError(f"row {row.get('key')!r} has {flag}={row[flag]!r}, not 0/1/True/False")
        with self.db:
            self.db.executemany(
                f"INSERT OR REPLACE INTO cells ({', '.join(_NAMES)}) VALUES ({', '.join('?' * len(_NAMES))})",
                ([_cell_value(row, n) for n in _NAMES] for row in rows),
            )

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM cells GROUP BY status").fetchall())


def _cell_value(row: dict, name: str):
    value = row.get(name, _now() if name == "finished" else None)
    if name in _FLAGS and value is not None:
        return int(value)
    if name == "noise" and value is not None:
        return float(value)
    return value


def _connect_ro(path) -> sqlite3.Connection:
    """A reading connection to a validated store.

    Where we may write, a ``query_only`` read-write connection: as the last one to close it
    removes the ``-wal``/``-shm`` files (a ``mode=ro`` reader would leave them behind).
    Elsewhere ``mode=ro``, and on read-only media ``immutable``: SQLite cannot create the
    ``-shm`` file a read-only WAL reader needs there, and no process can be writing it.
    """
    path = Path(path)
    _inspect(path, write=False)
    uri = path.resolve().as_uri()
    db = None
    try:
        if _writable(path) and _writable(path.parent):
            db = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=30)
            db.execute("PRAGMA query_only = ON")
            _validate(db, path)
            return db
        uri += "?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=30)
        try:
            db.execute("PRAGMA application_id").fetchone()
        except sqlite3.OperationalError:
            if _writable(path.parent):
                raise
            db.close()
            db = sqlite3.connect(uri + "&immutable=1", uri=True)
        _validate(db, path)
    except BaseException as exc:
        if db is not None:
            db.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise _sqlite_error(path, exc) from None
        raise
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

    Parameters
    ----------
    store : str, path or Store
        The SQLite file written by :func:`benchsens.run_sweep` (read-only media included).
    status : {"ok", "error", "timeout", "skipped"}, optional
        Keep only the cells with this status.
    decode : bool, default True
        Decode the JSON columns: ``importance``, ``first``, ``total``, ``truth_first``,
        ``truth_total`` become numpy arrays (NaN where JSON held null), ``names`` a list and
        ``params``/``options``/``estimate``/``warnings``/``versions`` dicts. With False they
        stay JSON text (what :func:`export` writes).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` except ``scores``, whose entries become one column
        each (a score named like a store column, e.g. ``n_evals``, is not repeated).
        ``noise`` is float and ``replicate``/``oracle`` are bool (NULL reads as False).

    Raises
    ------
    FileNotFoundError
        No file at ``store``.
    StoreError
        The file is not a benchsens store of this schema (another application's database,
        a non-SQLite, empty, truncated or corrupt file, an older schema, a directory).

    Examples
    --------
    >>> import os, tempfile
    >>> from benchsens.store import Store, load_results
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "demo.sqlite")
    ...     with Store(path) as store:
    ...         store.put([{"key": "k1", "status": "ok", "problem": "ishigami", "estimator": "sobol",
    ...                     "noise": 0.0, "replicate": False, "importance": "[0.3, 0.4, null]"}])
    ...     df = load_results(path)
    >>> df.loc[0, ["problem", "estimator", "status"]].tolist()
    ['ishigami', 'sobol', 'ok']
    >>> df.loc[0, "importance"]
    array([0.3, 0.4, nan])
    >>> str(df["noise"].dtype), str(df["replicate"].dtype)
    ('float64', 'bool')
    """
    import pandas as pd

    if isinstance(store, Store):
        store = store.path
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    db = _connect_ro(store)
    try:
        present = _present_columns(db)
        sql = f"SELECT {', '.join(n if n in present else f'NULL AS {n}' for n in _NAMES)} FROM cells"
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
    df["noise"] = df["noise"].astype(float)
    for col in _FLAGS:
        df[col] = df[col].fillna(0).astype(bool)
    return df


def load_sweeps(store) -> list[dict]:
    """The sweeps recorded in a store, oldest first: ``id``, ``name``, ``spec`` (a dict),
    ``started`` and ``finished`` (None while running or after an interruption). Reads as
    :func:`load_results` does (read-only media included)."""
    db = _connect_ro(store.path if isinstance(store, Store) else store)
    try:
        rows = db.execute("SELECT id, name, spec, started, finished FROM sweeps ORDER BY id").fetchall()
    finally:
        db.close()
    return [{"id": i, "name": n, "spec": json.loads(spec) if spec else None, "started": s, "finished": f}
            for i, n, spec, s, f in rows]


def _check_export_target(store: Path, out: Path, force: bool):
    """Refuse to write an export onto the store itself (or its WAL files), onto any SQLite
    file, or onto an existing file unless ``force``; the directory must exist and be writable."""
    target = out.resolve()
    own = {Path(f"{store.resolve()}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}
    if target in own or (out.exists() and store.exists() and os.path.samefile(out, store)):
        raise StoreError(f"export target {str(out)!r} is the store being exported; choose another file")
    if out.exists():
        try:
            with open(out, "rb") as fh:
                is_sqlite = fh.read(len(_MAGIC)) == _MAGIC
        except OSError as exc:
            raise StoreError(f"cannot check export target {str(out)!r}: {exc.strerror or exc}") from None
        if is_sqlite:
            raise StoreError(f"export target {str(out)!r} is a SQLite database; export never "
                             "overwrites one (not even with --force)")
        if not force:
            raise FileExistsError(f"export target {str(out)!r} exists; use --force (force=True) to replace it")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(out)!r}: directory {str(out.parent)!r} does not exist")
    if not _writable(out.parent):
        raise PermissionError(f"cannot write {str(out)!r}: directory {str(out.parent)!r} is not writable")


def export(store, out, format: str | None = None, force: bool = False) -> Path:
    """Write a store's cells to CSV or Parquet (arrays and tables as JSON text).

    ``format`` defaults to the suffix of ``out`` (``.csv.gz`` writes gzipped CSV). Never writes onto the store itself or any
    SQLite file, nor onto an existing file unless ``force``. The table goes to a temporary
    file in ``out``'s directory that is renamed onto ``out`` when complete, so a failed
    export leaves no partial file.
    """
    out = Path(out)
    if out.is_dir():
        raise IsADirectoryError(f"export target {str(out)!r} is a directory; name a file, "
                                f"e.g. {str(out / ('results.' + (format or 'csv')))!r}")
    store_path = Path(store.path if isinstance(store, Store) else store)
    _check_export_target(store_path, out, force)
    gzipped = out.name.endswith(".gz")
    format = format or Path(out.name.removesuffix(".gz")).suffix.lstrip(".")
    if format not in ("csv", "parquet") or (gzipped and format != "csv"):
        raise ValueError(f"export format must be 'csv' or 'parquet' (or an output file ending "
                         f"in .csv, .csv.gz or .parquet), got {format!r} for {out.name!r}")
    df = load_results(store_path, decode=False)
    tmp = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # mode from the umask
        if format == "csv":
            if gzipped:  # no file name or time in the gzip header: same store, same bytes
                tmp.write_bytes(gzip.compress(df.to_csv(index=False).encode(), 9, mtime=0))
            else:
                df.to_csv(tmp, index=False)
        else:
            try:
                df.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise ImportError(f"Parquet export needs pyarrow: pip install 'benchsens[parquet]' ({exc})") from None
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
