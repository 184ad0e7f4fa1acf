"""Save/load: bit-identical round trips, atomic writes, clear errors, never pickle."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop import io


def _net(dtype):
    rng = np.random.default_rng(0)
    return bp.Sequential(
        bp.Dense(4, 8, dtype=dtype, rng=rng), bp.BatchNorm(8, dtype=dtype), bp.ReLU(),
        bp.Dropout(0.3, rng=1), bp.Dense(8, 6, dtype=dtype, rng=rng), bp.LeakyReLU(0.2),
        bp.Dense(6, 3, dtype=dtype, rng=rng), bp.Tanh(), bp.Dense(3, 2, dtype=dtype, rng=rng),
        bp.Sigmoid(), bp.Dense(2, 2, dtype=dtype, rng=rng), bp.Softmax(),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_bit_identical_predictions(tmp_path, dtype):
    net = _net(dtype)
    X = np.random.default_rng(1).normal(size=(16, 4)).astype(dtype)
    net.forward(X)  # move the batch-norm running statistics away from their start
    net.forward(X * 2 + 1)
    net.eval()
    path = bp.save(tmp_path / "model.npz", net, extra={"loss": "squared", "note": "ü"},
                   arrays={"mean": np.arange(4.0)})
    loaded, extra, arrays = bp.load(path, with_extra=True)
    assert extra == {"loss": "squared", "note": "ü"}
    np.testing.assert_array_equal(arrays["mean"], np.arange(4.0))
    assert [type(a).__name__ for a in loaded] == [type(a).__name__ for a in net]
    out, out2 = net.forward(X), loaded.forward(X)
    assert out.dtype == out2.dtype == dtype
    np.testing.assert_array_equal(out, out2)  # bit-identical, not approximately equal
    for name, buf in net.buffers().items():
        np.testing.assert_array_equal(buf, loaded.buffers()[name])


def test_file_holds_no_pickle_and_documents_its_format(tmp_path):
    path = bp.save(tmp_path / "m.npz", _net(np.float64))
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta = json.loads(np.load(zf.open("__meta__.npy"), allow_pickle=False).tobytes())
    assert "param/0.W.npy" in names and "buffer/1.running_mean.npy" in names
    assert meta["format"] == "backprop" and meta["version"] == io.VERSION
    assert meta["layers"][0] == {"type": "dense", "config": {"n_in": 4, "n_out": 8, "bias": True,
                                                            "dtype": "float64"}}


def test_version_1_files_with_class_names_still_load(tmp_path):
    """Files of format version 1 named layer classes ("Dense"); they load as before."""
    net = _net(np.float64)
    layers = [{"type": type(layer).__name__, "config": layer.get_config()} for layer in net]
    meta = {"format": "backprop", "kind": "model", "version": 1, "layers": layers,
            "extra": {}}
    io.write_archive(tmp_path / "old.npz", meta, io.state_arrays(net))
    loaded = bp.load(tmp_path / "old.npz")
    X = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(loaded.forward(X), net.eval().forward(X))


def _write_bad(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_truncated_corrupted_and_foreign_files_fail_clearly(tmp_path):
    good = bp.save(tmp_path / "good.npz", _net(np.float64)).read_bytes()
    truncated = _write_bad(tmp_path, "trunc.npz", good[: len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0xFF
    corrupted = _write_bad(tmp_path, "corrupt.npz", bytes(flipped))
    text = _write_bad(tmp_path, "text.npz", b"hello, I am not a model")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(3))
    for path in (truncated, corrupted, text, foreign):
        with pytest.raises(io.ModelFileError, match=path.name):
            bp.load(path)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        bp.load(tmp_path / "missing.npz")


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    meta = np.frombuffer(json.dumps({"format": "backprop", "version": 1, "layers": []}).encode(),
                         dtype=np.uint8)
    np.savez(path, __meta__=meta, payload=np.array([{"x": 1}], dtype=object))
    with pytest.raises(io.ModelFileError, match="evil.npz"):
        bp.load(path)


def test_newer_format_version_is_refused(tmp_path):
    net = _net(np.float64)
    path = tmp_path / "future.npz"
    io.write_archive(path, {"format": "backprop", "kind": "model", "version": io.VERSION + 1,
                            "layers": io.describe(net)}, {})
    with pytest.raises(io.ModelFileError, match="newer"):
        bp.load(path)


def test_shape_mismatch_is_named(tmp_path):
    net = bp.Sequential(bp.Dense(2, 3, rng=0))
    path = tmp_path / "m.npz"
    meta = {"format": "backprop", "kind": "model", "version": io.VERSION,
            "layers": io.describe(net)}
    io.write_archive(path, meta, {"param/0.W": np.zeros((3, 3)), "param/0.b": np.zeros(3)})
    with pytest.raises(io.ModelFileError, match=r"param/0.W.*\(3, 3\).*\(3, 2\)"):
        bp.load(path)


def test_write_is_atomic(tmp_path, monkeypatch):
    path = bp.save(tmp_path / "m.npz", bp.Sequential(bp.Dense(2, 2, rng=0)))
    before = path.read_bytes()

    def exploding_savez(fh, **arrays):
        fh.write(b"partial garbage")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", exploding_savez)
    with pytest.raises(OSError, match="disk full"):
        bp.save(path, bp.Sequential(bp.Dense(2, 2, rng=1)))
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temp file left behind


def test_custom_layers_cannot_be_saved(tmp_path):
    class Mine(bp.Identity):
        pass

    with pytest.raises(TypeError, match="not a registered layer type"):
        bp.save(tmp_path / "m.npz", bp.Sequential(bp.Dense(2, 2), Mine()))
