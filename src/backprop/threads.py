"""How many threads NumPy's BLAS may use while a network trains.

OpenBLAS, NumPy's BLAS, starts one thread per core and splits every matrix product among them.
That pays for large products on an otherwise idle machine. It fails twice:

* **small products** (a batch of 32 through a few hundred units) cost less than handing work to
  another thread and waiting for it: one thread is faster;
* **shared cores**: when a second process computes at the same time (a second training, a grid
  search with ``n_jobs=2``, a notebook), each process's threads wait for threads that are not
  running, and an epoch can take ten times as long as with one thread each.

:class:`ThreadPolicy` chooses the number of BLAS threads for a training run from both:

1. products too small to share (fewer than :data:`SMALL_FLOPS` floating-point operations per
   step) get one thread;
2. otherwise the cores are shared among the trainings running on this machine: each training
   announces itself with a marker file (:func:`active_trainings` counts the ones whose process
   is alive) and takes ``cores // trainings`` threads, at least one; cores kept busy by other
   programs (the one-minute load average, less what this process itself used since the last
   look: :func:`load_elsewhere`) are left to them;
3. a limit already set around the process -- ``OMP_NUM_THREADS``, ``threadpoolctl`` or joblib's
   workers, which limit themselves to ``cores // n_jobs`` -- is never exceeded.

:func:`backprop.fit` applies it for the run and looks again at every epoch, so two trainings
started one after the other both drop to one thread each once they overlap, and the survivor
takes the cores back when the other ends. Setting threads needs ``threadpoolctl`` (the
``threads`` extra); without it nothing is changed. ``BACKPROP_THREADS=N`` fixes the number.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: below this many floating-point operations per training step one BLAS thread is faster
#: (measured on 2 cores: see ``benchmarks/threads.py``)
SMALL_FLOPS = 3.0e7

_counter = itertools.count()


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _marker_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"backprop-trainings-{uid}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (owned by someone else), or we cannot tell: count it
    return True


def active_trainings(directory: Path | None = None) -> int:
    """How many backprop trainings run on this machine now (marker files of live processes);
    markers left by processes that died are removed."""
    directory = directory or _marker_dir()
    count = 0
    try:
        entries = list(directory.iterdir())
    except OSError:
        return 0
    for entry in entries:
        pid_text = entry.name.split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        if _alive(int(pid_text)):
            count += 1
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
    return count


def load_elsewhere(own_cores: float = 0.0) -> float:
    """Cores kept busy by other processes: the one-minute load average less ``own_cores`` (what
    this process used lately); 0 where the system does not tell."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0
    return max(0.0, load - own_cores)


def choose_threads(flops_per_step: float, trainings: int, cores: int,
                   limit: int | None = None, busy: float = 0.0) -> int:
    """The policy itself (see the module docstring): one thread for small products, else an equal
    share among the running trainings of the cores other programs leave free (``busy`` of them
    are taken), never above ``limit``."""
    free = max(1, cores - int(busy + 0.5))
    if flops_per_step < SMALL_FLOPS:
        threads = 1
    else:
        threads = max(1, free // max(1, trainings))
    if limit is not None:
        threads = min(threads, max(1, limit))
    return threads


def _blas_limit(controller: Any) -> int | None:
    counts = [lib.num_threads for lib in controller.lib_controllers if lib.user_api == "blas"]
    return min(counts) if counts else None


class ThreadPolicy:
    """The thread policy for one training run, as a context manager.

    Parameters
    ----------
    flops_per_step : float
        Floating-point operations of one step's matrix products (forward and backward).
    directory : Path, optional
        Where trainings announce themselves (a per-user folder in the system's temporary
        directory by default).

    Attributes
    ----------
    threads : int or None
        The BLAS threads now in use by this run (None: not managed -- no threadpoolctl, or
        ``BACKPROP_THREADS`` fixes the number).
    """

    def __init__(self, flops_per_step: float, *, directory: Path | None = None):
        self.flops_per_step = float(flops_per_step)
        self.directory = directory or _marker_dir()
        self.threads: int | None = None
        self._marker: Path | None = None
        self._limiter: Any = None
        self._controller: Any = None
        self._outer_limit: int | None = None
        self._clock: tuple[float, float] | None = None  # (wall, cpu) at the last look

    def __enter__(self) -> ThreadPolicy:
        fixed = os.environ.get("BACKPROP_THREADS", "").strip()
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # the threads extra is not installed: leave the BLAS alone
            return self
        self._controller = ThreadpoolController()
        self._outer_limit = _blas_limit(self._controller)
        if fixed:
            if fixed.isdigit() and int(fixed) > 0:
                self._apply(int(fixed))
            return self
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            marker = self.directory / f"{os.getpid()}-{next(_counter)}"
            marker.touch()
            self._marker = marker
        except OSError:
            self._marker = None  # cannot announce: decide as if alone
        self.update()
        return self

    def update(self) -> int | None:
        """Look again at the trainings running now; change the threads if the answer moved."""
        if self._controller is None or os.environ.get("BACKPROP_THREADS", "").strip():
            return self.threads
        trainings = active_trainings(self.directory) if self._marker is not None else 1
        threads = choose_threads(self.flops_per_step, trainings, available_cores(),
                                 self._outer_limit, load_elsewhere(self._own_cores()))
        if threads != self.threads:
            self._apply(threads)
        return self.threads

    def _own_cores(self) -> float:
        """Cores this process used since the last look (its CPU time over the wall time)."""
        now = (time.perf_counter(), time.process_time())
        last, self._clock = self._clock, now
        if last is None or now[0] <= last[0]:
            return 0.0
        return (now[1] - last[1]) / (now[0] - last[0])

    def _apply(self, threads: int) -> None:
        if self._limiter is not None:
            self._limiter.restore_original_limits()
        self._limiter = self._controller.limit(limits=threads, user_api="blas")
        self.threads = threads

    def __exit__(self, *exc: object) -> None:
        if self._limiter is not None:
            self._limiter.restore_original_limits()
            self._limiter = None
        self.threads = None
        if self._marker is not None:
            with contextlib.suppress(OSError):
                self._marker.unlink()
            self._marker = None


def flops_per_step(widths: list[tuple[int, int]], batch: int) -> float:
    """Floating-point operations of one step's products for layers of ``(n_in, n_out)``: the
    forward product and the two backward ones (``dW`` and ``dX``), two operations each per
    multiply-add."""
    return float(sum(3 * 2 * batch * n_in * n_out for n_in, n_out in widths))
