"""backprop.data.files: IDX, MNIST, CSV and npz readers, and load_dataset."""

import gzip
import struct

import numpy as np
import pytest

from backprop.data.files import (
    find_mnist_dir,
    load_csv,
    load_dataset,
    load_idx,
    load_mnist,
    load_npz,
    save_idx,
)
from backprop.data.toy import DATASETS

# --------------------------------------------------------------------------------------------
# IDX
# --------------------------------------------------------------------------------------------


def test_load_idx_reads_hand_built_file(tmp_path):
    # header written by hand from the format description: 00 00 08 02, dims 2 and 3 (big-endian)
    payload = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes([1, 2, 3, 250, 251, 255])
    raw = tmp_path / "raw-ubyte"
    raw.write_bytes(payload)
    zipped = tmp_path / "zipped.idx"  # gzip detected by magic bytes, not by name
    zipped.write_bytes(gzip.compress(payload))
    for path in (raw, zipped):
        arr = load_idx(path)
        assert arr.dtype == np.uint8
        np.testing.assert_array_equal(arr, [[1, 2, 3], [250, 251, 255]])
    # int16, big-endian on disk: 0x0102 = 258, 0xFFFE = -2; a dimension above 255
    payload = (bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 300)
               + b"\x01\x02\xff\xfe" * 150)
    (tmp_path / "i16").write_bytes(payload)
    arr = load_idx(tmp_path / "i16")
    assert arr.shape == (300,) and arr.dtype == np.int16 and arr.dtype.isnative
    np.testing.assert_array_equal(arr[:4], [258, -2, 258, -2])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("name", ["a-ubyte", "a-ubyte.gz"])
def test_idx_round_trip_every_type(tmp_path, dtype, name):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if np.issubdtype(dtype, np.floating):
        arr = arr / 3
    path = save_idx(tmp_path / name, arr)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = load_idx(path)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_idx_bad_files_give_clear_errors(tmp_path):
    good = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes(6)
    cases = {
        "trunc-data": (good[:-2], "truncated IDX data: shape (2, 3) of uint8 needs 6 bytes "
                                  "after the header, found 4"),
        "trunc-header": (good[:9], "truncated IDX header"),
        "tiny": (b"\x00\x00", "only 2 bytes"),
        "foreign": (b"PK\x03\x04rest", "not an IDX file (magic starts with bytes 50 4b 03 04"),
        "badtype": (bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 0]), "unknown IDX type code 0x0A"),
        "extra": (good + b"\x00\x00", "2 unexpected bytes after the IDX data"),
        "zero-dims": (bytes([0, 0, 0x08, 0]), "0 dimensions"),
        "badgz": (gzip.compress(good)[:-10], "gzip data is corrupt or truncated"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError) as info:
            load_idx(path)
        assert message in str(info.value), name
        assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="nope"):
        load_idx(tmp_path / "nope")
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        save_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


def _fake_mnist(directory, n=6, kind="t10k"):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    save_idx(directory / f"{kind}-images-idx3-ubyte.gz", images)
    save_idx(directory / f"{kind}-labels-idx1-ubyte", labels)  # mixed: one zipped, one raw
    return images, labels


def test_real_mnist_test_set_loads():
    directory = find_mnist_dir()
    if directory is None:
        pytest.skip("MNIST not found: set BACKPROP_MNIST_DIR or provide shared/data/mnist")
    X, y = load_mnist(directory, kind="t10k")
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    counts = np.bincount(y, minlength=10)
    assert counts.size == 10 and counts.sum() == 10000
    assert counts.min() > 800 and counts.max() < 1200
    np.testing.assert_array_equal(y[:5], [7, 2, 1, 0, 4])  # the well-known first test digits
    # digits have ink in the middle and mostly blank borders
    img = X.reshape(-1, 28, 28)
    assert img[:, 10:18, 10:18].mean() > 5 * img[:, :3, :].mean()


def test_load_mnist_scales_and_finds_files(tmp_path, monkeypatch):
    images, labels = _fake_mnist(tmp_path / "m")
    X, y = load_mnist(tmp_path / "m", kind="test")
    np.testing.assert_array_equal(X, images.reshape(6, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64
    # the environment variable wins
    monkeypatch.setenv("BACKPROP_MNIST_DIR", str(tmp_path / "m"))
    assert find_mnist_dir() == tmp_path / "m"
    np.testing.assert_array_equal(load_mnist()[1], labels)
    monkeypatch.setenv("BACKPROP_MNIST_DIR", str(tmp_path / "empty"))
    assert find_mnist_dir() is None
    with pytest.raises(FileNotFoundError, match="BACKPROP_MNIST_DIR=.*empty holds no MNIST"):
        load_mnist()


def test_find_mnist_dir_walks_up_from_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_MNIST_DIR", raising=False)
    _fake_mnist(tmp_path / "shared" / "data" / "mnist")
    deep = tmp_path / "repo" / "sub"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_mnist_dir() == (tmp_path / "shared" / "data" / "mnist").resolve()


def test_load_mnist_errors(tmp_path):
    _fake_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*not found in"):
        load_mnist(tmp_path, kind="train")
    with pytest.raises(ValueError, match="kind must be one of .*'validation'"):
        load_mnist(tmp_path, kind="validation")
    save_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 6 labels, got shape"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------------------------
# CSV and NPZ
# --------------------------------------------------------------------------------------------


def test_csv_with_header_names_and_string_labels(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal, species ,petal\n1.5,virginica,2\n"
                    "3,setosa,4.25\n\n5,virginica,-6\n")
    X, y, classes = load_csv(path, label_column="species", return_classes=True)
    np.testing.assert_array_equal(X, [[1.5, 2.0], [3.0, 4.25], [5.0, -6.0]])
    assert classes == ["setosa", "virginica"]  # sorted names
    np.testing.assert_array_equal(y, [1, 0, 1])
    assert y.dtype == np.int64
    X2, y2 = load_csv(path, label_column=1)  # auto header: 'sepal' is not a number
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_csv_numeric_labels_and_options(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5;1;2\n1.5;-1;0\n")
    X, y, classes = load_csv(path, delimiter=";", return_classes=True)
    np.testing.assert_array_equal(X, [[0.5, 1.0], [1.5, -1.0]])
    assert y.dtype == np.int64 and classes is None
    np.testing.assert_array_equal(y, [2, 0])
    X, y = load_csv(path, delimiter=";", label_column=0)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [0.5, 1.5])
    X, y = load_csv(path, delimiter=";", label_column=None)
    assert X.shape == (2, 3) and y is None
    # a numeric first row taken as a header when asked
    X, y = load_csv(path, delimiter=";", header=True)
    assert X.shape == (1, 2)


@pytest.mark.parametrize("text, kwargs, message", [
    ("a,b,c\n1,2,3\n1,2\n", {}, "line 3 has 2 fields, expected 3"),
    ("a,b,c\n1,x,3\n", {}, "cannot read 'x' as a number at line 2, column 1"),
    ("a,b,c\n1,,3\n", {}, "cannot read '' as a number at line 2, column 1"),
    ("a,b,c\n1,2,3\n", dict(label_column="d"), "label_column 'd' not found in header"),
    ("1,2,3\n", dict(label_column="c", header=False), "is a name but header=False"),
    ("1,2,3\n", dict(label_column=3), "label_column 3 is out of range for 3 columns"),
    ("a,b\n", {}, "no data rows after the header"),
    ("", {}, "the file is empty"),
    ("1\n2\n", {}, "no feature columns"),
    ("1,2\n", dict(header="yes"), "header must be True, False or 'auto'"),
])
def test_csv_errors(tmp_path, text, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    assert message in str(info.value)


def test_npz_round_trip_and_errors(tmp_path):
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    y = np.array([0, 1, 1], dtype=np.uint8)
    np.savez(tmp_path / "d.npz", X=X, y=y, inputs=X * 2)
    Xo, yo = load_npz(tmp_path / "d.npz")
    assert Xo.dtype == np.float32 and yo.dtype == np.int64
    np.testing.assert_array_equal(Xo, X)
    np.testing.assert_array_equal(yo, y)
    Xo, yo = load_npz(tmp_path / "d.npz", x_key="inputs", y_key=None)
    np.testing.assert_array_equal(Xo, X * 2)
    assert yo is None
    with pytest.raises(ValueError, match=r"no array 'labels' in the archive \(has \['X', "):
        load_npz(tmp_path / "d.npz", y_key="labels")
    np.savez(tmp_path / "obj.npz", X=np.array([{"a": 1}], dtype=object), y=y)
    with pytest.raises(ValueError, match="obj.npz"):
        load_npz(tmp_path / "obj.npz")
    np.save(tmp_path / "single.npy", X)
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_npz(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "missing.npz")


# --------------------------------------------------------------------------------------------
# load_dataset
# --------------------------------------------------------------------------------------------


def test_load_dataset_dispatch(tmp_path):
    for name, fn in DATASETS.items():
        X, y = load_dataset(name, n=30, rng=4)
        Xr, yr = fn(n=30, rng=4)
        np.testing.assert_array_equal(X, Xr)
        np.testing.assert_array_equal(y, yr)
    assert load_dataset("XOR", n=8, rng=0)[0].shape == (8, 2)

    images, labels = _fake_mnist(tmp_path / "m")
    for target in ("mnist", tmp_path / "m", tmp_path / "m" / "t10k-images-idx3-ubyte.gz",
                   str(tmp_path / "m" / "t10k-labels-idx1-ubyte")):
        kw = {"directory": tmp_path / "m"} if target == "mnist" else {}
        X, y = load_dataset(target, **kw)
        np.testing.assert_array_equal(X, images.reshape(6, -1).astype(np.float32) / 255)
        np.testing.assert_array_equal(y, labels)

    (tmp_path / "t.csv").write_text("a,b,label\n1,2,cat\n3,4,dog\n")
    X, y = load_dataset(tmp_path / "t.csv")
    np.testing.assert_array_equal(y, [0, 1])
    np.savez(tmp_path / "t.npz", X=np.ones((2, 2)), y=np.array([1, 0]))
    np.testing.assert_array_equal(load_dataset(str(tmp_path / "t.npz"))[1], [1, 0])


def test_load_dataset_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'spiral': expected one of xor, "):
        load_dataset("spiral")
    with pytest.raises(TypeError, match="name or a path"):
        load_dataset(42)
    (tmp_path / "data-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="images or labels"):
        load_dataset(tmp_path / "data-ubyte")
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "absent.csv")



@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("reader, name, what", [(load_csv, "x.csv", "CSV file"),
                                                (load_npz, "x.npz", "npz file"),
                                                (load_idx, "x-ubyte", "IDX file")])
def test_a_path_that_is_not_a_regular_file_is_named_for_what_it_is(tmp_path, reader, name, what):
    """A named pipe was reported as "not found" (it exists); reading it would wait for a
    writer. It and a folder are named for what they are; a missing file is still not found."""
    import os

    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=rf"^{what} '.*{name}' is not a regular file but a "
                                         r"named pipe \(FIFO\); data is read from regular"):
        reader(fifo)
    folder = tmp_path / "folder" / name
    folder.mkdir(parents=True)
    with pytest.raises(ValueError, match="is not a regular file but a folder"):
        reader(folder)
    with pytest.raises(FileNotFoundError, match=f"{what} not found: .*absent"):
        reader(tmp_path / f"absent-{name}")
