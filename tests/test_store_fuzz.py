"""Random bytes and random truncations of a real store, thrown at ``status``, ``export`` and
``run``: always exit status 2 with one line naming the file, and the file (and its
directory) untouched."""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchsens.cli import main

SPEC = """
name = "fuzz"
budgets = [64]
seeds = 2
timeout = 60
problems = ["ishigami"]
estimators = ["rank_s1", "sobol"]
below_minimum = "skip"
"""


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> bytes:
    """The bytes of a store written by ``benchsens run`` (two cells ok, two skipped)."""
    place = tmp_path_factory.mktemp("real")
    (place / "spec.toml").write_text(SPEC)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", str(place / "spec.toml"), "--store", str(place / "s.sqlite"),
                     "--workers", "1", "--no-progress"]) == 0
    assert sorted(os.listdir(place)) == ["s.sqlite", "spec.toml"]
    return (place / "s.sqlite").read_bytes()


def _cases(store: bytes):
    random_bytes = st.binary(min_size=1, max_size=3000)
    # an empty file is where a new store may be created, so truncations keep >= 1 byte
    truncations = st.integers(1, len(store) - 1).map(lambda n: store[:n])
    return st.one_of(random_bytes, truncations)


def test_random_bytes_and_truncations_are_refused_untouched(real_store):
    @settings(max_examples=25, deadline=None)
    @given(data=_cases(real_store))
    def check(data):
        with tempfile.TemporaryDirectory() as tmp:
            place = Path(tmp)
            (place / "spec.toml").write_text(SPEC)
            bad = place / "bad.sqlite"
            bad.write_bytes(data)
            listing = sorted(os.listdir(place))
            for argv in (["status", str(bad)], ["export", str(bad), "--out", str(place / "x.csv")],
                         ["run", str(place / "spec.toml"), "--store", str(bad)]):
                err = io.StringIO()
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                    code = main(argv)
                lines = err.getvalue().splitlines()
                assert code == 2, (argv, err.getvalue())
                assert len(lines) == 1 and lines[0].startswith("benchsens: error: "), lines
                assert repr(str(bad)) in lines[0]
                assert bad.read_bytes() == data and sorted(os.listdir(place)) == listing

    check()
