"""Faults while writing and reading files: a full disk (simulated: ``os.write`` / ``os.replace``
/ ``os.fsync`` raising ``ENOSPC``), a path swapped for a pipe, a file that grows. Each case
asserts that the target file is unchanged, that no temporary file is left, and that the error
is an ``OSError`` (or one ``backprop: error:`` line on the command line)."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _net():
    net = bp.mlp([2, 3, 2], rng=0)
    net.classes_ = ["a", "b"]
    return net


WRITERS = {
    "save": lambda path: bp.save(path, _net()),
    "atomic_write_text": lambda path: bio.atomic_write_text(path, "new text\n" * 1000),
    "write_archive": lambda path: bio.write_archive(path, {"format": "x"},
                                                    {"a": np.arange(1000.0)}),
    "to_onnx": lambda path: bp.to_onnx(_net(), path),
    "plot_history": None,  # filled below when matplotlib is there
}
FAULTS = {"os.write": ("os", "write"), "os.replace": ("os", "replace"),
          "os.fsync": ("os", "fsync"), "os.fdopen": ("os", "fdopen")}
CASES = [(w, f) for w in WRITERS if w != "plot_history" for f in FAULTS]


@pytest.mark.parametrize("writer, fault", CASES, ids=[f"{w} with {f} full" for w, f in CASES])
def test_a_full_disk_leaves_the_target_unchanged_and_no_temporary(tmp_path, monkeypatch, writer,
                                                                   fault):
    if writer == "to_onnx":
        pytest.importorskip("onnx")
    target = tmp_path / "target.bin"
    target.write_bytes(b"the old contents")
    module, name = FAULTS[fault]
    if fault == "os.write":
        # the temporary file accepts a few bytes, then the disk is full
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, fh):
                self.fh, self.written = fh, 0

            def write(self, data):
                self.written += len(data)
                if self.written > 64:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return self.fh.write(data)

            def __getattr__(self, attr):
                return getattr(self.fh, attr)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, name, _full)
    with pytest.raises(OSError) as info:
        WRITERS[writer](target)
    assert info.value.errno == errno.ENOSPC or "No space" in str(info.value)
    monkeypatch.undo()
    assert target.read_bytes() == b"the old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.bin"]


def test_the_cli_reports_a_full_disk_as_one_line_and_keeps_the_old_file(tmp_path, monkeypatch,
                                                                        run_cli):
    out = tmp_path / "step.json"
    out.write_text("old")
    monkeypatch.setattr(os, "replace", _full)
    code, stdout, err = run_cli("example", "--format", "json", "--output", out)
    monkeypatch.undo()
    assert code == 2 and err.startswith("backprop: error: ") and err.count("\n") == 1, err
    assert "No space" in err and "Traceback" not in err
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step.json"]


def test_train_save_on_a_full_disk_keeps_the_old_model(tmp_path, monkeypatch, run_cli):
    model = tmp_path / "m.npz"
    bp.save(model, _net())
    before = model.read_bytes()
    real = os.replace

    def replace(src, dst, *a, **k):
        if os.path.basename(str(dst)) == "m.npz":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    code, out, err = run_cli("train", "xor", "--epochs", "1", "--quiet", "--save", model)
    monkeypatch.undo()
    assert code == 2 and err.count("\n") == 1 and "No space" in err, err
    assert model.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_a_checkpoint_write_that_fails_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    X = np.random.default_rng(0).normal(size=(16, 2))
    y = (X[:, 0] > 0).astype(int)
    ck = tmp_path / "ck.npz"
    net = bp.mlp([2, 3, 2], rng=0)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False,
            checkpoint=ck)
    before = ck.read_bytes()
    monkeypatch.setattr(os, "fsync", _full)
    with pytest.raises(OSError):
        bp.mlp([2, 3, 2], rng=0).fit(X, y, loss="softmax_cross_entropy", optimizer="adam",
                                     epochs=2, verbose=False, checkpoint=ck, resume=ck)
    monkeypatch.undo()
    assert ck.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]


def test_reading_never_blocks_on_a_pipe_or_reads_a_device(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for read in (lambda p: bio.read_regular_file(p), lambda p: bp.load_spec(p),
                 lambda p: bp.data.load_idx(p)):
        with pytest.raises(ValueError, match="pipe"):
            read(fifo)
    with pytest.raises(ValueError, match="device"):
        bio.read_regular_file("/dev/zero")
    with pytest.raises(ValueError, match="folder"):
        bio.read_regular_file(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 100)
    with pytest.raises(ValueError, match="100 bytes"):
        bio.read_regular_file(big, limit=10)
    with pytest.raises(FileNotFoundError):
        bio.read_regular_file(tmp_path / "absent")


def test_a_torch_architecture_file_is_read_within_bounds(tmp_path, torch):
    from backprop.interop import torch_files

    path = tmp_path / "m.pt"
    torch_files.save_torch(_net(), path)
    arch = torch_files.architecture_path(path)
    arch.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nests deeper"):
        torch_files.load_torch(path)
    arch.unlink()
    os.mkfifo(arch)
    with pytest.raises(ValueError, match="pipe"):
        torch_files.load_torch(path)
