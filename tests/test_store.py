"""The store writes only its own files: every refusal leaves the file byte-for-byte as it
was (and no WAL side files next to it), stores on read-only media can be read, the typed
columns of schema 2 read back typed, and an export never destroys anything."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchsens as bs
from benchsens.store import (APPLICATION_ID, SCHEMA_VERSION, Store, StoreError, check_store, export, load_results,
                             load_sweeps)


def make_store(path, n: int = 40) -> Path:
    """A closed store of one sweep of ``n`` cells spread over several pages (noise, flags,
    arrays set)."""
    rng = np.random.default_rng(0)
    with Store(path) as store:
        store.end_sweep(store.begin_sweep("made", {"budgets": [8]}, [f"k{i:03d}" for i in range(n)]))
        store.put([{"key": f"k{i:03d}", "status": "ok" if i % 5 else "error", "problem": "p",
                    "estimator": f"e{i % 3}", "noise": 0.1 * (i % 4), "replicate": bool(i % 2),
                    "oracle": i % 3 == 0, "target": "total", "problem_fingerprint": "f" * 64,
                    "names": json.dumps(["a", "b", "c"]), "importance": json.dumps(rng.random(3).tolist()),
                    "message": "m" * 300} for i in range(n)])
    return Path(path)


# -- files that are not (usable) stores: name -> (builder, fragment of the refusal) ----------
def _random_bytes(path):
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())


def _truncated(keep):
    def build(p):
        data = make_store(p.with_name("whole.sqlite")).read_bytes()
        p.write_bytes(data[:keep(len(data))])
        p.with_name("whole.sqlite").unlink()
    return build


def _foreign(path):
    """Another application's database that happens to have a ``cells`` table."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE cells (key TEXT, value REAL)")
        db.execute("INSERT INTO cells VALUES ('x', 1.0)")
    db.close()


def _foreign_with_id(path):
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE t (x)")
    db.close()


def _schema(version):
    """A store whose meta row says ``version``; "1" also without the application id, as
    benchsens wrote them before schema 2."""
    def build(path):
        with sqlite3.connect(path) as db:
            if version != "1":
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("CREATE TABLE cells (key TEXT PRIMARY KEY, noise REAL, status TEXT)")
            db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE sweeps (id INTEGER PRIMARY KEY, name TEXT)")
            db.execute("CREATE TABLE planned (sweep_id INTEGER, key TEXT)")
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
        db.close()
    return build


BAD_FILES = {
    "random bytes": (_random_bytes, "not a SQLite file"),
    "a few bytes of the header": (_truncated(lambda n: 10), "truncated: 10 bytes"),
    "truncated header": (_truncated(lambda n: 60), "truncated: 60 bytes"),
    "truncated store": (_truncated(lambda n: n // 2), "truncated"),
    "truncated by one byte": (_truncated(lambda n: n - 1), "truncated"),
    "foreign SQLite": (_foreign, "without the benchsens application_id"),
    "foreign SQLite with an id": (_foreign_with_id, "another application (application_id 0x4d2"),
    "schema 1 store": (_schema("1"), "older benchsens (schema 1); re-run the sweep into a new store"),
    "schema 3 store": (_schema("3"), "schema version '3'"),
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_file(request, tmp_path):
    build, fragment = BAD_FILES[request.param]
    path = tmp_path / "bad.sqlite"
    build(path)
    return path, fragment


def _snapshot(path: Path):
    return path.read_bytes(), sorted(os.listdir(path.parent))


def test_bad_files_are_refused_unchanged(bad_file, tmp_path):
    path, fragment = bad_file
    before = _snapshot(path)
    attempts = [lambda: Store(path), lambda: load_results(path), lambda: load_sweeps(path),
                lambda: check_store(path, write=True), lambda: export(path, tmp_path / "out.csv")]
    for attempt in attempts:
        with pytest.raises(StoreError, match=re.escape(repr(str(path)))) as info:
            attempt()
        assert fragment in str(info.value) and "\n" not in str(info.value)
        assert _snapshot(path) == before  # no byte changed, no -wal/-shm/-journal, no export
    assert not (tmp_path / "out.csv").exists()


def test_places_that_are_not_store_files(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="is a directory"):
        load_results(tmp_path)
    with pytest.raises(StoreError, match=r"directory '.*missing' does not exist"):
        Store(tmp_path / "missing" / "s.sqlite")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(FileNotFoundError, match="no result store at"):
        load_results(tmp_path / "none.sqlite")
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(StoreError, match="is an empty file"):
        load_results(tmp_path / "empty.sqlite")
    Store(tmp_path / "empty.sqlite").close()  # an empty file may become a store
    assert load_results(tmp_path / "empty.sqlite").empty


def test_a_failed_creation_leaves_no_file(tmp_path, monkeypatch):
    import benchsens.store

    def refuse(db, path):
        raise StoreError("refused on purpose")

    monkeypatch.setattr(benchsens.store, "_validate", refuse)
    with pytest.raises(StoreError, match="on purpose"):
        Store(tmp_path / "s.sqlite")
    assert os.listdir(tmp_path) == []


def test_a_new_store_carries_the_application_id_and_schema(tmp_path):
    path = make_store(tmp_path / "s.sqlite")
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID == int.from_bytes(b"BSNS", "big")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()[0] == SCHEMA_VERSION == "2"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1]: row[2] for row in db.execute("PRAGMA table_info(cells)")}
    db.close()
    for name, kind in [("noise", "REAL"), ("replicate", "INTEGER"), ("target", "TEXT"),
                       ("oracle", "INTEGER"), ("problem_fingerprint", "TEXT"), ("version", "TEXT")]:
        assert columns[name] == kind
    Store(path).close()  # and it opens again
    (sweep,) = load_sweeps(path)
    assert (sweep["id"], sweep["name"], sweep["spec"]) == (1, "made", {"budgets": [8]}) and sweep["finished"]


def test_typed_columns_read_back_typed(tmp_path):
    path = make_store(tmp_path / "s.sqlite", n=8)
    for decode in (True, False):
        df = load_results(path, decode=decode)
        assert df["noise"].dtype == float and df["replicate"].dtype == bool and df["oracle"].dtype == bool
        assert df["noise"].tolist() == [0.1 * (i % 4) for i in range(8)]
        assert df["replicate"].tolist() == [bool(i % 2) for i in range(8)]
        assert df["oracle"].tolist() == [i % 3 == 0 for i in range(8)]
    with Store(path) as store:
        with pytest.raises(ValueError, match="noise 'replicate'.*numbers"):
            store.put([{"key": "x", "status": "ok", "noise": "replicate"}])
        with pytest.raises(ValueError, match="replicate=2"):
            store.put([{"key": "x", "status": "ok", "replicate": 2}])


# -- read-only media ---------------------------------------------------------------------------
def _read_only_command(directory: Path):
    """A prefix that runs a command with ``directory`` read-only: a read-only bind mount in a
    private mount namespace for root (whom file modes do not stop), file modes otherwise."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        return []
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f'mount --bind -o ro "{directory}" "{directory}"'],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root without mount namespaces: cannot make a read-only place ({probe.stderr!r})")
    return ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(directory)]


def test_a_store_on_read_only_media_can_be_read_not_written(tmp_path):
    media, out = tmp_path / "media", tmp_path / "out"
    media.mkdir()
    out.mkdir()
    store = make_store(media / "s.sqlite", n=12)
    assert sorted(os.listdir(media)) == ["s.sqlite"]  # closed cleanly: no -wal/-shm to lean on
    before = _snapshot(store)
    prefix = _read_only_command(media)
    script = """if True:
        import sys
        import benchsens as bs
        from benchsens.cli import main
        from benchsens.store import load_sweeps
        store, media, out = sys.argv[1:]
        for argv in (["status", store], ["export", store, "--out", out + "/s.csv"],
                     ["run", "--suite", "quick", "--store", store],
                     ["run", "--suite", "quick", "--store", media + "/new.sqlite"]):
            print("exit", argv[0], main(argv), flush=True)
        df = bs.load_results(store)
        print("loaded", len(df), df.noise.dtype, df.replicate.dtype, len(load_sweeps(store)))
    """
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", script, str(store), str(media), str(out)],
                              capture_output=True, text=True, timeout=300)
    finally:
        os.chmod(media, 0o755)
    lines = done.stdout.splitlines()
    assert [line for line in lines if line.startswith(("exit", "loaded"))] == [
        "exit status 0", "exit export 0", "exit run 2", "exit run 2", "loaded 12 float64 bool 1"], done.stderr
    assert "12 cells stored: ok 9, error 3" in done.stdout
    assert len(pd.read_csv(out / "s.csv")) == 12
    assert done.stderr.splitlines() == [
        f"benchsens: error: store {str(store)!r} is read-only (the file or its directory is not "
        "writable); status and export can still read it",
        f"benchsens: error: cannot create store {str(media / 'new.sqlite')!r}: directory {str(media)!r} "
        "is not writable"]
    assert _snapshot(store) == before


# -- export ------------------------------------------------------------------------------------
def test_export_never_overwrites_the_store_or_any_sqlite_file(tmp_path):
    store = make_store(tmp_path / "s.sqlite", n=5)
    other = make_store(tmp_path / "other.sqlite", n=3)
    _foreign(tmp_path / "foreign.db")
    (tmp_path / "link.csv").symlink_to(store)
    before = {p: p.read_bytes() for p in (store, other, tmp_path / "foreign.db")}
    for target in (store, tmp_path / "." / "s.sqlite", tmp_path / "link.csv", Path(f"{store}-wal")):
        with pytest.raises(StoreError, match="is the store being exported"):
            export(store, target, format="csv", force=True)
    for target in (other, tmp_path / "foreign.db"):
        with pytest.raises(StoreError, match="is a SQLite database; export never overwrites one"):
            export(store, target, format="csv", force=True)
    assert {p: p.read_bytes() for p in before} == before


def test_export_replaces_a_file_only_with_force_and_never_leaves_half_a_file(tmp_path, monkeypatch):
    store = make_store(tmp_path / "s.sqlite", n=5)
    out = tmp_path / "out.csv"
    out.write_text("my notes\n")
    with pytest.raises(FileExistsError, match="exists; use --force"):
        export(store, out)
    assert out.read_text() == "my notes\n"
    with pytest.raises(IsADirectoryError, match="is a directory; name a file"):
        export(store, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        export(store, tmp_path / "missing" / "out.csv")
    with pytest.raises(ValueError, match="format must be 'csv' or 'parquet'.*'txt'"):
        export(store, tmp_path / "out.txt")

    def half_then_fail(self, path, **kw):
        Path(path).write_text("key,stat")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        export(store, out, force=True)
    with pytest.raises(OSError, match="No space left"):
        export(store, tmp_path / "new.csv")
    monkeypatch.undo()
    assert out.read_text() == "my notes\n"  # the old file, whole
    assert sorted(os.listdir(tmp_path)) == ["out.csv", "s.sqlite"]  # no half file, no temporary
    assert export(store, out, force=True) == out
    assert len(pd.read_csv(out)) == 5
    assert sorted(os.listdir(tmp_path)) == ["out.csv", "s.sqlite"]


def test_categorical_refuses_a_string_as_its_choices():
    with pytest.raises(TypeError, match="not the string 'abc'"):
        bs.Categorical("abc")
    assert bs.Categorical(["abc"]).choices == ["abc"]


@pytest.mark.parametrize("column", ["tags", "objective"])
def test_column_added_to_an_early_schema_2_store(tmp_path, column):
    """Schema-2 stores written before the ``tags``/``objective`` columns existed are read with
    the column None and migrated (column added, rows untouched) when opened for writing."""
    path = make_store(tmp_path / "s.sqlite", n=5)
    with sqlite3.connect(path) as db:
        db.execute(f"ALTER TABLE cells DROP COLUMN {column}")
    before = load_results(path).drop(columns=column)
    assert load_results(path)[column].isna().all()
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert column in {row[1] for row in db.execute("PRAGMA table_info(cells)")}
    pd.testing.assert_frame_equal(load_results(path).drop(columns=column), before)


def test_export_to_csv_gz_is_gzipped_and_reproducible(tmp_path):
    path = make_store(tmp_path / "s.sqlite", n=5)
    a, b = export(path, tmp_path / "a.csv.gz"), export(path, tmp_path / "b.csv.gz")
    assert a.read_bytes()[:2] == b"\x1f\x8b"  # gzip magic
    assert a.read_bytes() == b.read_bytes()  # no name or time in the gzip header
    pd.testing.assert_frame_equal(pd.read_csv(a), pd.read_csv(tmp_path / "a.csv.gz"))
    assert len(pd.read_csv(a)) == 5
    with pytest.raises(ValueError, match="parquet.*x.parquet.gz|x.parquet.gz"):
        export(path, tmp_path / "x.parquet.gz")
