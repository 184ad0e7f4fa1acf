"""The BLAS thread policy: small products get one thread, trainings share the cores."""

from __future__ import annotations

import subprocess
import sys

import pytest

from backprop import threads

threadpoolctl = pytest.importorskip("threadpoolctl",
                                    reason="the thread policy needs the threads extra")


def _blas_threads() -> int:
    return min(lib.num_threads for lib in threadpoolctl.ThreadpoolController().lib_controllers
               if lib.user_api == "blas")


@pytest.fixture(autouse=True)
def _idle_machine(monkeypatch):
    """The tests decide as on an idle machine, unless they say otherwise."""
    monkeypatch.setattr(threads, "load_elsewhere", lambda own=0.0: 0.0)


def test_small_products_get_one_thread_and_large_ones_share_the_cores():
    big = 10 * threads.SMALL_FLOPS
    assert threads.choose_threads(threads.SMALL_FLOPS / 2, trainings=1, cores=8) == 1
    assert threads.choose_threads(big, trainings=1, cores=8) == 8
    assert threads.choose_threads(big, trainings=2, cores=8) == 4
    assert threads.choose_threads(big, trainings=3, cores=8) == 2
    assert threads.choose_threads(big, trainings=9, cores=8) == 1  # never below one
    assert threads.choose_threads(big, trainings=1, cores=8, limit=2) == 2  # an outer limit
    assert threads.choose_threads(big, trainings=0, cores=2) == 2
    # cores busy with other programs are left to them
    assert threads.choose_threads(big, trainings=1, cores=2, busy=0.9) == 1
    assert threads.choose_threads(big, trainings=1, cores=8, busy=3.2) == 5
    assert threads.choose_threads(big, trainings=2, cores=8, busy=2.0) == 3


def test_a_busy_machine_gets_one_thread(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(threads, "load_elsewhere", lambda own=0.0: 1.0)
    with threads.ThreadPolicy(threads.SMALL_FLOPS * 100, directory=tmp_path) as policy:
        assert policy.threads == 1 and _blas_threads() == 1


def test_flops_count_the_three_products_of_every_layer():
    assert threads.flops_per_step([(784, 256), (256, 10)], 32) == \
        3 * 2 * 32 * (784 * 256 + 256 * 10)


def test_markers_of_dead_processes_are_not_counted_and_are_removed(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"{int(done.stdout)}-0"
    dead.touch()
    alive = tmp_path / f"{__import__('os').getpid()}-7"
    alive.touch()
    (tmp_path / "not-a-marker").touch()
    assert threads.active_trainings(tmp_path) == 1
    assert not dead.exists() and alive.exists()


def test_policy_limits_the_blas_announces_itself_and_restores_everything(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    before = _blas_threads()
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        with threads.ThreadPolicy(threads.SMALL_FLOPS * 100, directory=tmp_path) as policy:
            assert policy.threads == 2 and _blas_threads() == 2
            assert len(list(tmp_path.iterdir())) == 1
            # a second training on the machine: both take one thread at their next look
            with threads.ThreadPolicy(threads.SMALL_FLOPS * 100, directory=tmp_path) as other:
                assert other.threads == 1
                assert policy.update() == 1 and _blas_threads() == 1
            assert policy.update() == 2  # the other one ended: the cores come back
        assert not list(tmp_path.iterdir())  # markers removed
    assert _blas_threads() == before


def test_small_products_run_on_one_thread(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_THREADS", raising=False)
    with threads.ThreadPolicy(threads.SMALL_FLOPS / 10, directory=tmp_path) as policy:
        assert policy.threads == 1 and _blas_threads() == 1


def test_an_outer_limit_is_never_exceeded(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):  # e.g. a joblib worker
        with threads.ThreadPolicy(threads.SMALL_FLOPS * 100, directory=tmp_path) as policy:
            assert policy.threads == 1


def test_the_environment_variable_fixes_the_number(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_THREADS", "1")
    with threads.ThreadPolicy(threads.SMALL_FLOPS * 100, directory=tmp_path) as policy:
        assert _blas_threads() == 1 and policy.update() == 1
        assert not list(tmp_path.iterdir())  # a fixed number needs no announcement


def _blas_inside_fit(**kwargs):
    import numpy as np

    import backprop as bp

    seen = []
    net = bp.mlp([4, 8, 3], rng=0)
    X, y = np.random.default_rng(0).normal(size=(40, 4)), np.arange(40) % 3
    probe = bp.LambdaCallback(on_epoch_end=lambda state, logs: seen.append(_blas_threads()))
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=2, verbose=False,
            callbacks=[probe], **kwargs)
    return seen


def test_fit_applies_the_policy_and_restores_the_blas(monkeypatch):
    monkeypatch.delenv("BACKPROP_THREADS", raising=False)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        assert _blas_inside_fit() == [1, 1]  # a tiny network: products too small to share
        assert _blas_threads() == 2
        assert _blas_inside_fit(threads=None) == [2, 2]  # left alone
        assert _blas_inside_fit(threads=1) == [1, 1]
        assert _blas_threads() == 2
    with pytest.raises(ValueError, match="threads must be 'auto', None or an integer >= 1"):
        _blas_inside_fit(threads=0)
