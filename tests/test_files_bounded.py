"""Files: every write is atomic and never replaces what a path points to; every read is bounded.

A crafted 2 kB file -- declared shapes of 1e6 x 1e6, an ``.npy`` header claiming 4e12 rows, a
metadata document with lists where objects belong, missing keys, deep nesting -- is one
``ModelFileError`` (a ``ValueError``) naming the file, never a ``KeyError``, a ``MemoryError`` or
gigabytes of memory.
"""

from __future__ import annotations

import io as stdio
import json
import os
import resource
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from cases import LAYER_CASES

import backprop as bp
from backprop import io


def _npy(arr: np.ndarray) -> bytes:
    buf = stdio.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def _npy_header_claiming(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """An .npy header that declares ``shape`` and no data after it."""
    buf = stdio.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def _zip(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _meta(doc) -> bytes:
    return _npy(np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8))


def _model_file(path, layers, arrays=None, **meta):
    doc = {"format": "backprop", "kind": "model", "version": io.VERSION, "layers": layers,
           **meta}
    members = {"__meta__.npy": _meta(doc)}
    members.update({f"{k}.npy": _npy(v) for k, v in (arrays or {}).items()})
    return _zip(path, members)


def _small_net():
    return bp.Sequential(bp.Dense(3, 2, rng=0), bp.ReLU(), bp.Dense(2, 2, rng=1))


# --- crafted files: one clear error, allocating nothing large ----------------------------------
CRAFTED = {
    "huge declared layer": lambda p: _model_file(
        p, [{"type": "dense", "config": {"n_in": 10**6, "n_out": 10**6}}]),
    "huge declared layer, arrays present but small": lambda p: _model_file(
        p, [{"type": "dense", "config": {"n_in": 10**6, "n_out": 10**6}}],
        {"param/0.W": np.zeros((2, 3)), "param/0.b": np.zeros(2)}),
    "npy header claiming 4e12 rows": lambda p: _zip(p, {
        "__meta__.npy": _meta({"format": "backprop", "kind": "model", "version": 2,
                               "layers": []}),
        "param/0.W.npy": _npy_header_claiming((4 * 10**12, 1))}),
    "deflated member declaring a huge size": lambda p: _zip(p, {
        "__meta__.npy": _meta({"format": "backprop", "version": 2}),
        "x.npy": _npy_header_claiming((10**9,)) + b"\0" * 64}, zipfile.ZIP_DEFLATED),
    "layers is an object": lambda p: _model_file(p, {"type": "dense"}),
    "a layer is a list": lambda p: _model_file(p, [["dense", {}]]),
    "config is a list": lambda p: _model_file(p, [{"type": "dense", "config": [3, 2]}]),
    "config misses n_in": lambda p: _model_file(p, [{"type": "dense", "config": {"n_out": 2}}]),
    "config with a string width": lambda p: _model_file(
        p, [{"type": "dense", "config": {"n_in": "3", "n_out": 2}}]),
    "config with an unknown key": lambda p: _model_file(
        p, [{"type": "relu", "config": {"inplace": True}}]),
    "unknown layer type": lambda p: _model_file(p, [{"type": "conv2d", "config": {}}]),
    "no layers key": lambda p: _model_file(p, None),
    "extra is a list": lambda p: _model_file(p, [], extra=[1, 2]),
    "model section is a list": lambda p: _model_file(p, [], model=[1]),
    "classes that do not fit": lambda p: _model_file(
        p, [{"type": "dense", "config": {"n_in": 3, "n_out": 2}}],
        {"param/0.W": np.zeros((2, 3)), "param/0.b": np.zeros(2)},
        model={"classes": ["a", "b", "c"]}),
    "transform without its arrays": lambda p: _model_file(
        p, [{"type": "dense", "config": {"n_in": 3, "n_out": 2}}],
        {"param/0.W": np.zeros((2, 3)), "param/0.b": np.zeros(2)},
        model={"input_transform": {"type": "standardizer"}}),
    "deeply nested metadata": lambda p: _zip(p, {"__meta__.npy": _npy(np.frombuffer(
        (b'{"format": "backprop", "version": 2, "extra": ' + b"[" * 1500
         + b"]" * 1500 + b"}"), dtype=np.uint8))}),
    "metadata that is not JSON": lambda p: _zip(p, {"__meta__.npy": _npy(
        np.frombuffer(b"\xff\xfe not json", dtype=np.uint8))}),
    "metadata as floats": lambda p: _zip(p, {"__meta__.npy": _npy(np.zeros(3))}),
    "object array": lambda p: _zip(p, {
        "__meta__.npy": _meta({"format": "backprop", "version": 2, "layers": []}),
        "x.npy": _npy_header_claiming((2,), "|O") + b"\0" * 16}),
    "a member that is not .npy": lambda p: _zip(p, {"readme.txt": b"hello"}),
    "version is a string": lambda p: _zip(p, {"__meta__.npy": _meta(
        {"format": "backprop", "version": "2"})}),
    "truncated archive": lambda p: p.write_bytes(
        bp.save(p, _small_net()).read_bytes()[:300]) and p,
    "empty file": lambda p: p.write_bytes(b"") and p,
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_a_crafted_model_file_is_one_clear_error(tmp_path, name):
    path = tmp_path / "m.npz"
    CRAFTED[name](path)
    assert path.stat().st_size < 4000, "the crafted files are small"
    with pytest.raises(io.ModelFileError) as info:
        bp.load(path)
    assert "m.npz" in str(info.value)


@pytest.mark.parametrize("name", ["huge declared layer", "npy header claiming 4e12 rows",
                                  "deflated member declaring a huge size"])
def test_crafted_sizes_never_allocate(tmp_path, name):
    """In a process limited to 1 GiB of address space, the loader refuses before allocating."""
    path = tmp_path / "m.npz"
    CRAFTED[name](path)
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2**30 + 2**29,) * 2)\n"
            "import backprop as bp\n"
            "try:\n"
            f"    bp.load({str(path)!r})\n"
            "except bp.io.ModelFileError as exc:\n"
            "    print('refused:', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("refused:"), proc.stderr[-500:]
    assert resource  # the limit is applied in the child only


def test_checkpoint_metadata_of_the_wrong_shape_is_one_clear_error(tmp_path):
    X, y = bp.datasets.blobs(60, rng=0)
    net = bp.mlp([2, 4, 3], rng=0)
    ckpt = tmp_path / "c.npz"
    net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(net.parameters()),
            epochs=1, checkpoint=ckpt, verbose=False, seed=0)
    meta, arrays = io.read_archive(ckpt)
    for key, bad in (("optimizer", [1]), ("optimizer", {"type": "Adam", "state": []}),
                     ("iterator", None), ("history", [1]), ("epoch", "3"),
                     ("callbacks", {"RecordHistory": [1]}), ("layer_rngs", [])):
        broken = dict(meta, **{key: bad})
        io.write_archive(ckpt, broken, arrays)
        fresh = bp.mlp([2, 4, 3], rng=0)
        with pytest.raises(io.ModelFileError, match="c.npz") as info:
            fresh.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(fresh.parameters()),
                      epochs=2, resume=ckpt, verbose=False, seed=0)
        assert key in str(info.value) or "RecordHistory" in str(info.value), key


def test_every_layer_kind_says_its_state_shapes():
    """``state_shapes(config)`` (checked before building a layer from a file) matches what a
    layer of that config holds, for every case of every registered kind."""
    for case in LAYER_CASES:
        layer = case.make()
        shapes = type(layer).state_shapes(layer.get_config())
        assert shapes is not None, case.id
        params, buffers = shapes
        assert params == {p.attr: p.shape for p in layer.parameters()}, case.id
        assert buffers == {k: v.shape for k, v in layer.buffers().items()}, case.id


def test_a_well_formed_file_still_round_trips(tmp_path):
    net = _small_net()
    path = bp.save(tmp_path / "m.npz", net)
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert np.array_equal(bp.load(path).forward(X), net.forward(X))


def test_npz_data_files_are_bounded_too(tmp_path):
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy_header_claiming((4 * 10**12, 2)),
                                     "y.npy": _npy(np.zeros(2))})
    with pytest.raises(ValueError, match="4000000000000"):
        bp.data.load_npz(path)
    (tmp_path / "t.npz").write_bytes(b"PK\x03\x04" + b"\0" * 30)
    with pytest.raises(ValueError, match="t.npz"):
        bp.data.load_npz(tmp_path / "t.npz")


# --- writing: atomic, never through a link, a device or a folder -------------------------------
def test_a_symlink_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(b"keep me")
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    with pytest.raises(io.OutputPathError, match="symbolic link"):
        bp.save(link, _small_net())
    assert link.is_symlink() and target.read_bytes() == b"keep me"


def test_a_device_and_a_folder_are_refused(tmp_path):
    with pytest.raises(io.OutputPathError, match="not a regular file"):
        io.atomic_write_text("/dev/null", "x")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    with pytest.raises(io.OutputPathError, match="is a folder"):
        bp.save(tmp_path, _small_net())
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(io.OutputPathError, match="not a regular file"):
        io.atomic_write_text(fifo, "x")


def test_a_temporary_file_of_a_killed_writer_is_removed_by_the_next_one(tmp_path):
    target = tmp_path / "m.npz"
    # a writer killed mid-save (SIGKILL: nothing runs) leaves its temporary file behind
    code = ("import os, backprop as bp, numpy as np\n"
            "from backprop import io\n"
            "def write(fh):\n"
            "    fh.write(b'x' * 100000); fh.flush(); os.kill(os.getpid(), 9)\n"
            f"io.atomic_write_bytes({str(target)!r}, write)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                          check=False)
    assert proc.returncode == -9
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and stale[0].startswith(".m.npz.") and stale[0].endswith(".tmp")
    # a temporary of a writer that still runs (this process) is left alone
    mine = tmp_path / f".m.npz.{os.getpid()}.abc.tmp"
    mine.write_bytes(b"in progress")
    bp.save(target, _small_net())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.npz", mine.name])


def test_the_temporary_name_carries_the_pid(tmp_path):
    seen = []

    def spy(fh):
        seen.extend(p.name for p in tmp_path.iterdir())
        fh.write(b"data")

    io.atomic_write_bytes(tmp_path / "f.bin", spy)
    assert seen[0].startswith(f".f.bin.{os.getpid()}.") and seen[0].endswith(".tmp")
