"""The DDP recipe (examples/ddp_train.py): 2 workers with B/2 rows each end with the parameters
one process with B rows reaches -- moving to torch.distributed does not change the math."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import backprop as bp

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ddp_train.py"

#: generous: on a busy machine each of the three processes takes a while to import torch; an
#: idle one finishes in seconds and never waits for these
TIMEOUT_S = 600

#: Runs the example as ``python examples/ddp_train.py ARGS`` does, beside a neighbour that, just
#: before the workers start, takes every port the example has announced to them (MASTER_PORT, or
#: a port handed to the workers): a port chosen free and then let go is lost, as it can be on a
#: busy machine; a port the example still holds cannot be taken.
PORT_THIEF = r"""
import os, runpy, socket, sys
import torch.multiprocessing as mp

spawn, taken = mp.spawn, []

def spawn_after_a_thief(fn, args=(), **kwargs):
    ports = [os.environ.get("MASTER_PORT"), *args]
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, (int, str)) or not str(port).isdigit():
            continue
        if int(port) < 1024:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", int(port)))
            s.listen()
            taken.append(s)
        except OSError:
            s.close()
    return spawn(fn, args=args, **kwargs)

mp.spawn = spawn_after_a_thief
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch.distributed with the gloo backend is not available in this torch build")


def test_two_workers_with_half_batches_equal_one_process(tmp_path):
    """... even when another program takes free ports at the worst moment (the workers meet
    at a port the example holds, not one it chose and let go)."""
    output = tmp_path / "ddp.npz"
    proc = subprocess.run(
        [sys.executable, "-c", PORT_THIEF, str(EXAMPLE), "--world-size", "2", "--batch", "64",
         "--steps", "4", "--backend", "gloo", "--compare", "--output", str(output)],
        capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["world_size"] == 2 and result["steps"] == 4
    assert result["max_rel"] <= 1e-12, result
    # the trained model is a backprop model again, ready to be traced or reported
    net = bp.load(output)
    assert [layer.name for layer in net] == ["dense", "tanh", "dense", "tanh", "dense"]


def test_uneven_shares_are_refused():
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--world-size", "3", "--batch", "64"],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 2 and "divisible" in proc.stderr
