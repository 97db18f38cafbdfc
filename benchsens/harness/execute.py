"""Running cells under a hard timeout, on local worker processes or on a Dask cluster.

Every cell runs in a long-lived child process (:mod:`benchsens.harness.worker`) owned by a
:class:`CellRunner`. The runner waits for the result until the cell's deadline; past it the
child is killed (SIGKILL, not asked) and replaced by a fresh one, so a runaway cell is stopped
within milliseconds of its limit and never wedges a worker. Children run with one BLAS/OpenMP
thread, so timings are comparable across cells and backends.

* local: one driver thread per worker drives one runner; results flow to the calling thread.
* Dask: each task runs its cell through a runner living in the Dask worker process, so the
  hard timeout holds on the cluster too; results return to the driver. An unreachable
  scheduler fails after :data:`DASK_CONNECT_TIMEOUT` seconds.

Children start isolated (``python -I``: no ``PYTHON*`` variables, no current directory on
``sys.path``) and receive this process's ``sys.path`` with the current directory moved last:
a module there (say ``socket.py``) cannot shadow an installed one, and the modules a spec's
``imports`` name are still found.

The driver (the caller of these functions) is the only writer of the store.
"""
from __future__ import annotations

import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable

from .worker import _HEADER, write_frame

__all__ = ["CellRunner", "run_local", "run_dask", "failure_row"]

#: BLAS/OpenMP pools pinned to one thread in every worker child.
THREAD_ENV = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}
_STARTUP_TIMEOUT = 300.0
#: Seconds to wait for a Dask scheduler before giving up with one line.
DASK_CONNECT_TIMEOUT = 10.0


class _Deadline(Exception):
    pass


def failure_row(cell, status: str, message: str, seconds: float | None = None) -> dict:
    return {"key": cell.key, "status": status, "message": message, "cell_seconds": seconds}


def _is_cwd(entry: str) -> bool:
    return not entry or os.path.realpath(entry) == os.path.realpath(os.getcwd())


def worker_command() -> list[str]:
    """The child's command line: isolated Python, this process's ``sys.path`` (current
    directory last, if it was there at all), then the worker's main loop."""
    path = [p for p in sys.path if not _is_cwd(p)]
    if any(_is_cwd(p) for p in sys.path):
        path.append(os.getcwd())
    code = f"import sys; sys.path[:] = {path!r}; from benchsens.harness.worker import main; main()"
    return [sys.executable, "-I", "-c", code]


class CellRunner:
    """A child process that runs cells one at a time, killed at a cell's deadline."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self._stderr = None

    def _start(self):
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=dict(os.environ, **THREAD_ENV),
        )
        kind, _ = self._receive(time.monotonic() + _STARTUP_TIMEOUT)
        if kind != "ready":
            raise RuntimeError(f"worker process sent {kind!r} instead of 'ready'")

    def _stderr_tail(self, n=600) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return text[-n:]

    def _receive(self, deadline: float):
        fd = self.proc.stdout.fileno()

        def read(n):
            chunks, got = [], 0
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise _Deadline
                chunk = os.read(fd, n - got)
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)

        (size,) = _HEADER.unpack(read(_HEADER.size))
        return pickle.loads(read(size))

    def kill(self):
        """Kill the child. Safe to call twice or from two threads at once (the driver's
        thread and the main thread both close a runner at the end of a sweep): each
        handle is taken out of ``self`` before it is used."""
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                stream.close()
        stderr, self._stderr = self._stderr, None
        if stderr is not None:
            stderr.close()

    def close(self):
        """Stop the child: close its stdin (it exits by itself), kill it if it lingers."""
        proc = self.proc
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _died(self, cell, started) -> dict:
        """The row of a cell whose child vanished, naming the signal that killed it."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        tail = self._stderr_tail()
        self.kill()
        if code is not None and code < 0:
            how = f"worker killed by {signal.Signals(-code).name}"
        else:
            how = f"worker exited with code {code}"
        return failure_row(cell, "error", how + (f": {tail}" if tail else ""), time.monotonic() - started)

    def run(self, cell, timeout: float) -> dict:
        """The cell's result row; ``status="timeout"`` when it outlives ``timeout`` seconds."""
        import cloudpickle

        payload = cloudpickle.dumps(cell)
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            try:
                self._start()
            except (EOFError, _Deadline, OSError, RuntimeError) as exc:
                tail = self._stderr_tail()
                self.kill()
                return failure_row(cell, "error", f"could not start a worker process ({exc!r}): {tail}")
        started = time.monotonic()
        try:
            write_frame(self.proc.stdin.fileno(), payload)
        except OSError:
            return self._died(cell, started)
        try:
            kind, body = self._receive(started + timeout)
        except _Deadline:
            self.kill()
            return failure_row(cell, "timeout", f"stopped after the {timeout:g} s limit",
                               time.monotonic() - started)
        except EOFError:
            return self._died(cell, started)
        if kind == "error":
            return failure_row(cell, "error", body, time.monotonic() - started)
        body["wall_seconds"] = time.monotonic() - started
        return body


def run_local(cells: list, workers: int, timeout: float, on_result: Callable[[dict], None]) -> None:
    """Run ``cells`` on ``workers`` child processes; ``on_result`` is called in this thread."""
    todo: queue.Queue = queue.Queue()
    for cell in cells:
        todo.put(cell)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    runners = [CellRunner() for _ in range(max(1, min(workers, len(cells))))]

    def drive(runner):
        try:
            while not stop.is_set():
                try:
                    cell = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put(runner.run(cell, timeout))
                except Exception as exc:  # noqa: BLE001 - a harness bug must not hang the driver
                    done.put(failure_row(cell, "error", f"harness failure: {exc!r}"))
        finally:
            runner.close()

    threads = [threading.Thread(target=drive, args=(r,), daemon=True) for r in runners]
    for t in threads:
        t.start()
    try:
        for _ in range(len(cells)):
            while True:
                try:
                    row = done.get(timeout=0.5)
                    break
                except queue.Empty:
                    if not any(t.is_alive() for t in threads) and done.empty():
                        raise RuntimeError("all worker threads stopped before the sweep finished")
            on_result(row)
    finally:
        stop.set()
        for r in runners:
            r.kill()
        for t in threads:
            t.join(timeout=5)


# -- Dask ----------------------------------------------------------------------------------------
_RUNNERS: dict[int, CellRunner] = {}


def run_isolated(cell, timeout: float) -> dict:
    """Dask task: run ``cell`` in this worker's child process under the hard timeout."""
    runner = _RUNNERS.setdefault(threading.get_ident(), CellRunner())
    return runner.run(cell, timeout)


def close_runners() -> int:
    """Stop the child processes of this (Dask worker) process."""
    n = len(_RUNNERS)
    while _RUNNERS:
        _RUNNERS.popitem()[1].close()
    return n


def run_dask(cells: list, dask, timeout: float, on_result: Callable[[dict], None]) -> None:
    """Send ``cells`` to a Dask cluster (an address, a Client or a cluster object)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError("--dask needs dask.distributed: pip install 'benchsens[dask]'") from None
    own = not isinstance(dask, Client)
    try:
        client = Client(dask, timeout=DASK_CONNECT_TIMEOUT) if own else dask
    except Exception as exc:  # noqa: BLE001 - refused, timed out, or something else answered
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ConnectionError(f"cannot connect to a Dask scheduler at {dask!r} (waited up to "
                              f"{DASK_CONNECT_TIMEOUT:g} s): {type(exc).__name__}: {reason}") from None
    try:
        tag = uuid.uuid4().hex[:8]
        futures = {client.submit(run_isolated, cell, timeout, key=f"benchsens-{cell.key[:20]}-{tag}",
                                 pure=False): cell for cell in cells}
        for future in as_completed(futures):
            cell = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a Dask worker lost
                row = failure_row(cell, "error", f"Dask task failed: {type(exc).__name__}: {exc}")
            on_result(row)
        client.run(close_runners)
    finally:
        if own:
            client.close()

