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

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch.distributed with the gloo backend is not available in this torch build")


def test_two_workers_with_half_batches_equal_one_process(tmp_path):
    output = tmp_path / "ddp.npz"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--world-size", "2", "--batch", "64", "--steps", "4",
         "--backend", "gloo", "--compare", "--output", str(output)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["world_size"] == 2 and result["steps"] == 4
    assert result["max_rel"] <= 1e-12, result
    # the trained model is a backprop model again, ready to be traced or reported
    net = bp.load(output)
    assert [layer.name for layer in net] == ["dense", "tanh", "dense", "tanh", "dense"]


def test_uneven_shares_are_refused():
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--world-size", "3", "--batch", "64"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "divisible" in proc.stderr
