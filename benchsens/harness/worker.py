"""The cell-running child process, started by :func:`benchsens.harness.execute.worker_command`
(``python -I -c "...; from benchsens.harness.worker import main; main()"``).

It reads length-prefixed pickled cells on stdin and writes the result dicts on a private
copy of stdout (fd 1 itself is pointed at stderr, so a stray ``print`` in an estimator
cannot corrupt the protocol). It exits when stdin closes or when its parent dies.
"""
from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import time

_HEADER = struct.Struct(">Q")


def read_frame(fd: int) -> bytes | None:
    """One length-prefixed message from ``fd`` (blocking); ``None`` at end of file."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0])
    if body is None:
        return None
    return body


def _read_exact(fd, n):
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _watch_parent(parent: int) -> None:
    """Exit as soon as the process that started us is gone (e.g. a SIGKILLed driver), so
    an orphaned, runaway cell never keeps a core busy."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def main() -> None:
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    in_fd = sys.stdin.fileno()

    import benchsens  # noqa: F401  (registries, numpy, scipy: paid once per worker)
    from .cells import run_cell

    write_frame(out_fd, pickle.dumps(("ready", os.getpid())))
    while True:
        frame = read_frame(in_fd)
        if frame is None:
            return
        try:
            cell = pickle.loads(frame)
        except Exception as exc:  # noqa: BLE001 - e.g. a class the worker cannot import
            reply = ("error", f"the worker could not load the cell: {type(exc).__name__}: {exc}")
        else:
            reply = ("result", run_cell(cell))
        write_frame(out_fd, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
