"""A red-team corpus of bad command lines, one table per command.

Every case of a ``REFUSED`` table must end with exit status 2, exactly one non-empty line on
stderr (``backprop: error: ...``) that names the offending value or path, no traceback, and every
file that existed before byte-identical afterwards, with no new file left behind. The
``EITHER`` tables hold inputs that may legitimately run: they must then give a right answer (or
be refused as above). The placeholders in ``{braces}`` are files the ``world`` fixture makes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import backprop as bp

BIG = "1" + "0" * 30  # an integer far beyond any machine word
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


# --- the files every case may name --------------------------------------------------------------
def _rows(n: int = 24, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] > 0).astype(int)
    return [f"{a:.4f},{b:.4f},{k}" for (a, b), k in zip(X, y, strict=True)]


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _npz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _lying_header(shape: tuple[int, ...]) -> bytes:
    """An .npy member whose header declares ``shape`` of float64 but holds 16 bytes."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + b"\0" * 16


def _idx(magic: bytes, dims: tuple[int, ...], payload: bytes) -> bytes:
    return magic + b"".join(struct.pack(">I", d) for d in dims) + payload


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A model and a checkpoint written by the command line itself (trained once per module)."""
    from backprop.cli import main

    d = tmp_path_factory.mktemp("saved")
    csv = d / "data.csv"
    csv.write_text("a,b,label\n" + "\n".join(_rows()) + "\n")
    code = main(["train", str(csv), "--epochs", "1", "--hidden", "3", "--quiet",
                 "--save", str(d / "model.npz"), "--checkpoint", str(d / "ckpt.npz")])
    assert code == 0
    return d


@pytest.fixture
def world(tmp_path, saved):
    """Make the files the placeholders name; returns ``{placeholder: path}``."""
    t = tmp_path
    files: dict[str, bytes | str] = {
        "csv": "a,b,label\n" + "\n".join(_rows()) + "\n",
        "empty.csv": "",
        "header.csv": "a,b,label\n",
        "blanklines.csv": "\n\n  \n",
        "ragged.csv": "a,b,label\n1,2,0\n3,4\n5,6,1\n",
        "text.csv": "a,b,label\n1,x,0\n2,3,1\n",
        "blank_label.csv": "a,b,label\n1,2,0\n3,4,\n5,6,1\n",
        "one_class.csv": "a,b,label\n" + "\n".join(f"{i},{i + 1},7" for i in range(20)) + "\n",
        "only_label.csv": "label\n0\n1\n0\n1\n",
        "semicolon.csv": "a;b;label\n" + "\n".join(r.replace(",", ";") for r in _rows()) + "\n",
        "huge_field.csv": "a,b,label\n" + "1" * 200_000 + ",2,0\n3,4,1\n",
        "binary.csv": b"\xff\xfe\x00garbage\x00\x80\x81\n",
        "nan_label.csv": "a,b,label\n" + "\n".join(_rows()[:-1]) + "\n1,2,nan\n",
        "inf_label.csv": "a,b,label\n" + "\n".join(_rows()[:-1]) + "\n1,2,inf\n",
        "nul.csv": "a,b,label\n1,2\x00,0\n",
        "unterminated.csv": 'a,b,label\n1,2,"0\n3,4,1\n',
        "empty.npz": b"",
        "garbage.npz": b"PK\x03\x04" + b"\x13" * 200,
        "text.npz": b"hello, this is not a zip archive\n",
        "no_X.npz": _npz({"Z.npy": _npy(np.zeros((4, 2)))}),
        "lying.npz": _npz({"X.npy": _lying_header((10**6, 10**6)),
                           "y.npy": _npy(np.zeros(4, int))}),
        "lying_small.npz": _npz({"X.npy": _lying_header((3,)),
                                 "y.npy": _npy(np.zeros(4, int))}),
        "negative_shape.npz": _npz({"X.npy": _lying_header((-1, 2)),
                                    "y.npy": _npy(np.zeros(4, int))}),
        "object.npz": _npz({"X.npy": b"\x93NUMPY\x01\x00v\x00{'descr': '|O', "
                                     b"'fortran_order': False, 'shape': (2,), }"
                                     + b" " * 60 + b"\n" + b"\x80\x04N." * 2,
                            "y.npy": _npy(np.zeros(2, int))}),
        "complex.npz": _npz({"X.npy": _npy(np.ones((6, 2), complex)),
                             "y.npy": _npy(np.array([0, 1] * 3))}),
        "mismatch.npz": _npz({"X.npy": _npy(np.ones((6, 2))),
                              "y.npy": _npy(np.array([0, 1] * 2))}),
        "X3d.npz": _npz({"X.npy": _npy(np.ones((6, 2, 2))),
                         "y.npy": _npy(np.array([0, 1] * 3))}),
        "y2d.npz": _npz({"X.npy": _npy(np.ones((6, 2))),
                         "y.npy": _npy(np.ones((6, 2, 2)))}),
        "nan.npz": _npz({"X.npy": _npy(np.full((10, 2), np.nan)),
                         "y.npy": _npy(np.array([0, 1] * 5))}),
        "one_row.npz": _npz({"X.npy": _npy(np.ones((1, 2))),
                             "y.npy": _npy(np.array([0]))}),
        "empty_X.npz": _npz({"X.npy": _npy(np.ones((0, 2))),
                             "y.npy": _npy(np.zeros(0, int))}),
        "bad-images-idx3-ubyte": _idx(b"\x00\x00\x07\x03", (2, 2, 2), b"\0" * 8),
        "short-images-idx3-ubyte": _idx(b"\x00\x00\x08\x03", (100, 28, 28), b"\0" * 10),
        "huge-images-idx3-ubyte": _idx(b"\x00\x00\x08\x03", (2**31, 2**31, 2**31), b""),
        "lone-images-idx3-ubyte": _idx(b"\x00\x00\x08\x03", (2, 2, 2), b"\0" * 8),
        "noname.idx": _idx(b"\x00\x00\x08\x01", (2,), b"\0\1"),
        "trunc-images-idx3-ubyte.gz": gzip.compress(
            _idx(b"\x00\x00\x08\x03", (4, 2, 2), b"\0" * 16))[:-9],
        "spec.json": "{\"layers\": [}",
        "spec_list.json": "[1, 2, 3]",
        "spec_deep.json": "[" * 5000 + "]" * 5000,
        "spec_types.json": json.dumps({"layers": "dense", "x": "a", "y": None}),
        "spec_empty.json": "",
        "spec_nan.json": ('{"layers": [{"W": [[NaN]], "b": [0], "activation": "sigmoid"}], '
                          '"x": [1], "y": [1]}'),
        "spec_big.json": json.dumps({"layers": [{"W": [[1e308, 1e308]], "b": [1e308],
                                                 "activation": "sigmoid"}],
                                     "x": [1e308, 1e308], "y": [1]}),
        "model_text.npz": b"not a model at all",
        "keep.txt": "keep me",
        "report.html": "old report",
    }
    paths: dict[str, Path] = {}
    for name, data in files.items():
        path = t / (name if "." in name or "ubyte" in name else name + ".csv")
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        paths[name] = path
    for name in ("model.npz", "ckpt.npz"):
        paths[name] = t / name
        paths[name].write_bytes((saved / name).read_bytes())
    # a model / checkpoint whose metadata lies
    meta, arrays = bp.io.read_archive(paths["model.npz"])
    crafted = {
        "meta_types.npz": {**meta, "layers": {"not": "a list"}},
        "meta_missing.npz": {k: v for k, v in meta.items() if k != "layers"},
        "meta_version.npz": {**meta, "version": "two"},
        "meta_future.npz": {**meta, "version": 99},
        "meta_layer.npz": {**meta, "layers": [{"type": "dense", "config": {"in_features": -3}}]},
        "meta_huge.npz": {**meta, "layers": [{"type": "dense",
                                              "config": {"in_features": 10**9,
                                                         "out_features": 10**9}}]},
        "meta_unknown.npz": {**meta, "layers": [{"type": "no_such_layer", "config": {}}]},
        "meta_deep.npz": {**meta, "extra": {"x": json.loads("[" * 200 + "]" * 200)}},
        "meta_classes.npz": {**meta, "model": {**meta.get("model", {}), "classes": {"a": 1}}},
        "meta_model_type.npz": {**meta, "model": [1, 2]},
    }
    for name, m in crafted.items():
        payload = {"__meta__": np.frombuffer(json.dumps(m).encode(), np.uint8), **arrays}
        buf = io.BytesIO()
        np.savez(buf, **payload)
        (t / name).write_bytes(buf.getvalue())
        paths[name] = t / name
    raw = paths["model.npz"].read_bytes()
    (t / "model_trunc.npz").write_bytes(raw[: len(raw) // 2])
    paths["model_trunc.npz"] = t / "model_trunc.npz"
    (t / "model_zero.npz").write_bytes(b"")
    paths["model_zero.npz"] = t / "model_zero.npz"
    (t / "deep.csv").write_text("a,b,label\n" + "\n".join(_rows()) + "\n")
    (t / "dir").mkdir()
    (t / "dir.csv").mkdir()
    (t / "link_stdout").symlink_to("/dev/stdout")
    (t / "link_keep").symlink_to(t / "keep.txt")
    (t / "link_dir").symlink_to(t / "dir")
    os.mkfifo(t / "fifo")
    os.mkfifo(t / "fifo.csv")
    os.mkfifo(t / "fifo.npz")
    (t / "ro").mkdir()
    os.chmod(t / "ro", 0o555)
    paths.update({k: t / k for k in ("dir", "dir.csv", "link_stdout", "link_keep", "link_dir",
                                     "fifo", "fifo.csv", "fifo.npz", "ro")})
    paths["out"] = t / "out.npz"
    paths["missing"] = t / "no" / "such" / "folder" / "x.npz"
    paths["absent.npz"] = t / "absent.npz"
    paths["absent.csv"] = t / "absent.csv"
    paths["tmp"] = t
    yield paths
    os.chmod(t / "ro", 0o755)


def _snapshot(folder: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + dirnames:
            p = Path(dirpath) / name
            if p.is_symlink():
                out[str(p)] = b"->" + os.readlink(p).encode()
            elif p.is_file():
                out[str(p)] = p.read_bytes()
            else:
                out[str(p)] = b"<not a file>"
    return out


def _fill(argv: list[str], world: dict[str, Path]) -> list[str]:
    out = []
    for a in argv:
        for key, path in world.items():
            a = a.replace("{" + key + "}", str(path))
        assert "{" not in a or a.startswith("(") or "layers" in a, f"unknown placeholder in {a}"
        out.append(a)
    return out


def assert_refused(code: int, out: str, err: str, words: list[str]) -> None:
    assert code == 2, (code, out[-500:], err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("backprop: error: ") and len(lines[0]) > 20, err
    for w in words:
        assert w in lines[0], (w, lines[0])


def _check_refused(run_cli, world, argv, words):
    before = _snapshot(world["tmp"])
    code, out, err = run_cli(*_fill(argv, world))
    words = _fill(words, world)
    assert_refused(code, out, err, words)
    after = _snapshot(world["tmp"])
    assert after == before, sorted(set(after) ^ set(before)) or [
        k for k in before if before[k] != after.get(k)]


def _ids(table):
    return [case[0] for case in table]


# --- train -------------------------------------------------------------------------------------
T = ["train", "{csv}", "--epochs", "1", "--quiet"]


def _bad_floats(option: str, values: list[str]) -> list[tuple[str, list[str], list[str]]]:
    return [(f"{option}={v}", [*T, option, v], [option, v])
            for v in values]


def _bad_ints(option: str, values: list[str]) -> list[tuple[str, list[str], list[str]]]:
    return [(f"{option}={v}", [*T, option, v], [option]) for v in values]


NONNUM = ["abc", "", "1,5"]
TRAIN_REFUSED = [
    # numbers: every float option with nan, inf, negative, non-numeric
    *_bad_floats("--lr", ["nan", "inf", "1e400", "-1", "0", *NONNUM]),
    *_bad_floats("--momentum", ["nan", "inf", "-0.5", "abc"]),
    *_bad_floats("--beta1", ["nan", "1", "-0.1", "1.5", "abc"]),
    *_bad_floats("--beta2", ["nan", "1", "-0.1", "inf"]),
    *_bad_floats("--eps", ["nan", "-1", "inf"]),
    *_bad_floats("--alpha", ["nan", "-1", "inf"]),
    *_bad_floats("--momentum-decay", ["nan", "-1", "inf"]),
    *_bad_floats("--weight-decay", ["nan", "-1", "inf"]),
    *_bad_floats("--clip-norm", ["nan", "-1", "0"]),
    *_bad_floats("--clip-norm-type", ["nan", "-2", "0", "abc"]),
    *_bad_floats("--clip-value", ["nan", "-1", "0"]),
    *_bad_floats("--dropout", ["nan", "-0.1", "1", "1.5", "inf"]),
    *_bad_floats("--label-smoothing", ["nan", "-0.1", "1.5", "inf"]),
    *_bad_floats("--test-split", ["nan", "0", "1", "-0.2", "inf"]),
    *_bad_floats("--val-split", ["nan", "1", "-0.2", "inf"]),
    *[(f"--gamma={v} (step)", [*T, "--schedule", "step", "--gamma", v], ["gamma"])
      for v in ("nan", "-1", "0", "inf")],
    *[(f"--gamma={v} (plateau)", [*T, "--schedule", "plateau", "--gamma", v], ["factor", v])
      for v in ("1", "2")],
    # integers: zero, negative, non-numeric, fractional, huge
    *_bad_ints("--epochs", ["0", "-1", "1.5", "abc", "nan"]),
    *_bad_ints("--batch-size", ["0", "-4", "2.5", "abc"]),
    *[(f"--step-size={v}", [*T, "--schedule", "step", "--step-size", v], ["step"])
      for v in ("0", "-1", "x")],
    *[(f"--T-0={v}", [*T, "--schedule", "cosine_restarts", "--T-0", v], ["--T-0", v])
      for v in ("0", "-3")],
    *[(f"--T-mult={v}", [*T, "--schedule", "cosine_restarts", "--T-mult", v], ["--T-mult", v])
      for v in ("0", "-1")],
    ("--warmup-epochs=-1", [*T, "--warmup-epochs", "-1"], ["--warmup-epochs", "-1"]),
    ("--warmup-epochs>=epochs", [*T, "--warmup-epochs", "1"], ["--warmup-epochs"]),
    ("--warmup-epochs huge", [*T, "--warmup-epochs", BIG], ["--warmup-epochs"]),
    *_bad_ints("--early-stopping", ["-1", "x", BIG]),
    *_bad_ints("--augment-shift", ["-1", "x"]),
    ("--augment-shift on 2 features", [*T, "--augment-shift", "1"], ["square"]),
    ("--augment-shift huge", ["train", "mnist", "--augment-shift", BIG], ["shift"]),
    *_bad_ints("--seed", ["-1", "x", "1.5"]),
    ("--train-size=0 (folder)", ["train", "{dir}", "--train-size", "0"], []),
    ("--hidden=0", [*T, "--hidden", "0"], ["--hidden"]),
    ("--hidden=-3", [*T, "--hidden", "-3"], ["--hidden"]),
    ("--hidden=abc", [*T, "--hidden", "a,b"], ["--hidden"]),
    ("--hidden huge", [*T, "--hidden", BIG], ["hidden"]),
    ("--hidden 10**6x10**6", [*T, "--hidden", "1000000,1000000"], ["1000000"]),
    ("--milestones=abc", [*T, "--schedule", "multistep", "--milestones", "a"], ["--milestones"]),
    ("--milestones=-1", [*T, "--schedule", "multistep", "--milestones", "-1"], ["milestones"]),
    ("--milestones descending", [*T, "--schedule", "multistep", "--milestones", "5,2"],
     ["milestones"]),
    ("multistep without --milestones", [*T, "--schedule", "multistep"], ["--milestones"]),
    ("--activation unknown", [*T, "--activation", "nope"], ["nope"]),
    ("--optimizer unknown", [*T, "--optimizer", "nope"], ["nope"]),
    ("--schedule unknown", [*T, "--schedule", "nope"], ["nope"]),
    ("--init unknown", [*T, "--init", "nope"], ["nope"]),
    ("--dtype float16", [*T, "--dtype", "float16"], ["float16"]),
    ("--recipe unknown", [*T, "--recipe", "nope"], ["nope"]),
    ("--label-column out of range", [*T, "--label-column", "9"], ["9"]),
    ("--label-column unknown name", [*T, "--label-column", "nope"], ["nope"]),
    ("--label-column -9", [*T, "--label-column", "-9"], ["-9"]),
    ("--label-column huge", [*T, "--label-column", BIG], [BIG[:10]]),
    ("--label-smoothing on regression", ["train", "{nan_label.csv}", "--label-smoothing", "0.1"],
     ["nan"]),
    ("unknown option", [*T, "--nope"], ["--nope"]),
    ("two datasets", [*T, "{csv}"], ["unrecognized"]),
    # data files
    ("missing data file", ["train", "{absent.csv}"], ["absent.csv"]),
    ("unknown dataset name", ["train", "nosuchset"], ["nosuchset"]),
    ("empty CSV", ["train", "{empty.csv}"], ["empty.csv"]),
    ("header-only CSV", ["train", "{header.csv}"], ["header.csv"]),
    ("blank-lines CSV", ["train", "{blanklines.csv}"], ["blanklines.csv"]),
    ("ragged CSV", ["train", "{ragged.csv}"], ["ragged.csv", "line 3"]),
    ("non-numeric cell", ["train", "{text.csv}"], ["'x'"]),
    ("blank label", ["train", "{blank_label.csv}"], ["empty label"]),
    ("one class", ["train", "{one_class.csv}"], ["7"]),
    ("only the label column", ["train", "{only_label.csv}"], ["only_label.csv"]),
    ("huge field", ["train", "{huge_field.csv}"], ["huge_field.csv"]),
    ("binary CSV", ["train", "{binary.csv}"], ["binary.csv"]),
    ("NaN label", ["train", "{nan_label.csv}"], ["nan"]),
    ("inf label", ["train", "{inf_label.csv}"], ["inf"]),
    ("NUL byte in CSV", ["train", "{nul.csv}"], ["nul.csv"]),
    ("unterminated quote", ["train", "{unterminated.csv}"], ["unterminated.csv"]),
    ("CSV that is a folder", ["train", "{dir.csv}"], ["dir.csv"]),
    ("CSV that is a fifo", ["train", "{fifo.csv}"], ["pipe"]),
    ("npz that is a fifo", ["train", "{fifo.npz}"], ["pipe"]),
    ("zero-byte npz", ["train", "{empty.npz}"], ["empty.npz"]),
    ("garbage npz", ["train", "{garbage.npz}"], ["garbage.npz"]),
    ("text npz", ["train", "{text.npz}"], ["text.npz"]),
    ("npz without X", ["train", "{no_X.npz}"], ["'X'"]),
    ("npz with a huge declared shape", ["train", "{lying.npz}"], ["lying.npz"]),
    ("npz whose header lies small", ["train", "{lying_small.npz}"], ["lying_small.npz"]),
    ("npz with a negative shape", ["train", "{negative_shape.npz}"], ["negative_shape.npz"]),
    ("npz of pickled objects", ["train", "{object.npz}"], ["object.npz"]),
    ("npz of complex X", ["train", "{complex.npz}"], ["complex"]),
    ("npz X/y lengths differ", ["train", "{mismatch.npz}"], ["6", "4"]),
    ("npz X of 3 dims", ["train", "{X3d.npz}"], ["2-D", "2, 2)"]),
    ("npz y of 3 dims", ["train", "{y2d.npz}"], ["y2d.npz", "(6, 2, 2)"]),
    ("npz of NaN features", ["train", "{nan.npz}"], ["nan"]),
    ("npz of one row", ["train", "{one_row.npz}"], ["one_row.npz"]),
    ("npz of no rows", ["train", "{empty_X.npz}"], ["empty_X.npz"]),
    ("IDX wrong type code", ["train", "{bad-images-idx3-ubyte}"], ["0x07"]),
    ("IDX truncated data", ["train", "{short-images-idx3-ubyte}"], ["truncated"]),
    ("IDX huge declared dims", ["train", "{huge-images-idx3-ubyte}"], ["huge-images"]),
    ("IDX without partner", ["train", "{lone-images-idx3-ubyte}"], ["lone-labels"]),
    ("IDX name says neither", ["train", "{noname.idx}"], ["noname.idx"]),
    ("IDX truncated gz", ["train", "{trunc-images-idx3-ubyte.gz}"], ["trunc-images"]),
    ("MNIST folder without files", ["train", "{dir}"], ["dir"]),
    # output paths
    ("--save into a missing folder", [*T, "--save", "{missing}"], ["--save", "does not exist"]),
    ("--plot into a missing folder", [*T, "--plot", "{missing}"], ["--plot"]),
    ("--checkpoint into a missing folder", [*T, "--checkpoint", "{missing}"], ["--checkpoint"]),
    ("--save a folder", [*T, "--save", "{dir}"], ["--save", "folder"]),
    ("--plot a folder", [*T, "--plot", "{dir}"], ["--plot", "folder"]),
    ("--save a link to /dev/stdout", [*T, "--save", "{link_stdout}"], ["--save", "symbolic"]),
    ("--plot a link to a file", [*T, "--plot", "{link_keep}"], ["--plot", "symbolic"]),
    ("--checkpoint a link to a folder", [*T, "--checkpoint", "{link_dir}"], ["--checkpoint"]),
    ("--save a fifo", [*T, "--save", "{fifo}"], ["--save", "not a regular file"]),
    ("--save /dev/null", [*T, "--save", "/dev/null"], ["--save", "/dev/null"]),
    ("--save the data file", [*T, "--save", "{csv}"], ["--save", "data file"]),
    ("--plot the data file", [*T, "--plot", "{csv}"], ["--plot", "data file"]),
    ("--save = --plot", [*T, "--save", "{out}", "--plot", "{out}"], ["same file"]),
    ("--save = --checkpoint", [*T, "--save", "{out}", "--checkpoint", "{out}"], ["same file"]),
    ("--plot = --checkpoint via ./", [*T, "--plot", "{out}", "--checkpoint",
                                      "{tmp}/./out.npz"], ["same file"]),
    ("--save = --resume", [*T, "--save", "{ckpt.npz}", "--resume", "{ckpt.npz}"],
     ["--resume"]),
    ("--save with an over-long name", [*T, "--save", "{tmp}/" + "x" * 250 + ".npz"], ["long"]),
    ("--save a name over NAME_MAX", [*T, "--save", "{tmp}/" + "x" * 300], ["--save"]),
    ("--save in /proc", [*T, "--save", "/proc/x.npz"], ["--save"]),
    # resume
    ("--resume missing", [*T, "--resume", "{absent.npz}"], ["absent.npz"]),
    ("--resume a text file", [*T, "--resume", "{keep.txt}"], ["keep.txt"]),
    ("--resume zero bytes", [*T, "--resume", "{model_zero.npz}"], ["model_zero.npz"]),
    ("--resume truncated", [*T, "--resume", "{model_trunc.npz}"], ["model_trunc.npz"]),
    ("--resume a model, not a checkpoint", [*T, "--hidden", "3", "--resume", "{model.npz}"],
     ["model.npz"]),
    ("--resume other architecture", [*T, "--hidden", "5", "--resume", "{ckpt.npz}"],
     ["ckpt.npz"]),
    ("--resume other optimiser", [*T, "--hidden", "3", "--optimizer", "sgd", "--resume",
                                  "{ckpt.npz}"], ["ckpt.npz"]),
    ("--resume a folder", [*T, "--resume", "{dir}"], ["dir"]),
    ("--resume a fifo", [*T, "--resume", "{fifo.npz}"], ["fifo.npz"]),
]
if ROOT:  # root writes anywhere: a read-only folder stops nobody
    TRAIN_REFUSED = [c for c in TRAIN_REFUSED if "{ro}" not in " ".join(c[1])]
else:
    TRAIN_REFUSED.append(("--save in a read-only folder", [*T, "--save", "{ro}/m.npz"],
                          ["--save", "permission"]))


@pytest.mark.parametrize("case", TRAIN_REFUSED, ids=_ids(TRAIN_REFUSED))
def test_train_refuses(case, run_cli, world):
    _, argv, words = case
    _check_refused(run_cli, world, argv, words)


# --- example, gradcheck, chain -----------------------------------------------------------------
SPEC_FILES = [("not JSON", "{spec.json}", ["spec.json"]),
              ("a list", "{spec_list.json}", ["a list"]),
              ("nested 5000 deep", "{spec_deep.json}", ["spec_deep.json"]),
              ("wrong types", "{spec_types.json}", ["a string"]),
              ("zero bytes", "{spec_empty.json}", ["spec_empty.json"]),
              ("NaN weight", "{spec_nan.json}", ["nan"]),
              ("a folder", "{dir}", ["dir"]),
              ("a fifo", "{fifo}", ["fifo"]),
              ("missing", "{tmp}/absent.json", ["absent.json"]),
              ("a CSV file", "{csv}", ["csv"]),
              ("binary", "{binary.csv}", ["binary.csv"])]
EXAMPLE_REFUSED = [
    *[(f"--spec {what}", ["example", "--spec", path], words)
      for what, path, words in SPEC_FILES],
    ("--lang xx", ["example", "--lang", "xx"], ["xx"]),
    ("--format pdf", ["example", "--format", "pdf"], ["pdf"]),
    ("--output missing folder", ["example", "--output", "{missing}"], ["--output"]),
    ("--output a folder", ["example", "--output", "{dir}"], ["--output", "folder"]),
    ("--output link to stdout", ["example", "--output", "{link_stdout}"], ["symbolic"]),
    ("--output link to a file", ["example", "--output", "{link_keep}"], ["symbolic"]),
    ("--output a fifo", ["example", "--output", "{fifo}"], ["not a regular file"]),
    ("--output /dev/full", ["example", "--output", "/dev/full"], ["/dev/full"]),
    ("--output = --spec", ["example", "--spec", "{tmp}/s.json", "--output", "{tmp}/s.json"],
     ["s.json"]),
    ("--output too long a name", ["example", "--output", "{tmp}/" + "y" * 254], ["long"]),
]
GRADCHECK_REFUSED = [
    *[(f"--spec {what}", ["gradcheck", "--spec", path], words)
      for what, path, words in SPEC_FILES],
    ("--format html", ["gradcheck", "--format", "html"], ["html"]),
    ("an output option", ["gradcheck", "--output", "x"], ["--output"]),
]
CHAIN_REFUSED = [
    ("empty formula", ["chain", ""], []),
    ("syntax error", ["chain", "(x +", "--at", "x=1"], []),
    ("python attribute", ["chain", "x.__class__", "--at", "x=1"], []),
    ("python call", ["chain", "__import__('os')", "--at", "x=1"], []),
    ("unknown function", ["chain", "nope(x)", "--at", "x=1"], ["nope"]),
    ("missing value", ["chain", "x*y", "--at", "x=1"], ["y"]),
    ("value not a number", ["chain", "x*2", "--at", "x=abc"], ["abc"]),
    ("value nan", ["chain", "x*2", "--at", "x=nan"], ["x"]),
    ("value inf", ["chain", "x*2", "--at", "x=inf"], ["x"]),
    ("value twice", ["chain", "x*2", "--at", "x=1,x=2"], ["x"]),
    ("pair without =", ["chain", "x*2", "--at", "x"], ["x"]),
    ("log of negative", ["chain", "log(x)", "--at", "x=-1"], ["log"]),
    ("division by zero", ["chain", "1/x", "--at", "x=0"], []),
    ("overflow", ["chain", "exp(x)", "--at", "x=1000"], []),
    ("power overflow", ["chain", "x**x**x", "--at", "x=100"], []),
    ("deep nesting", ["chain", "(" * 5000 + "x" + ")" * 5000, "--at", "x=1"], []),
    ("huge formula", ["chain", "+".join(["x"] * 200_000), "--at", "x=1"], []),
    ("huge exponent literal", ["chain", "x**" + "9" * 400, "--at", "x=2"], []),
    ("unknown keyword", ["chain", "leaky_relu(x, slope=2)", "--at", "x=1"], ["slope"]),
    ("sqrt of negative", ["chain", "sqrt(x)", "--at", "x=-4"], ["sqrt"]),
    ("--output a folder", ["chain", "x*2", "--at", "x=1", "--output", "{dir}"], ["folder"]),
    ("--output link", ["chain", "x*2", "--at", "x=1", "--output", "{link_keep}"],
     ["symbolic"]),
    ("--output missing folder", ["chain", "x*2", "--at", "x=1", "--output", "{missing}"],
     ["--output"]),
    ("--format xml", ["chain", "x", "--at", "x=1", "--format", "xml"], ["xml"]),
]

# --- report, export, lab -----------------------------------------------------------------------
MODEL_FILES = [("missing", "{absent.npz}", ["absent.npz"]),
               ("zero bytes", "{model_zero.npz}", ["model_zero.npz"]),
               ("truncated", "{model_trunc.npz}", ["model_trunc.npz"]),
               ("text", "{model_text.npz}", ["model_text.npz"]),
               ("garbage zip", "{garbage.npz}", ["garbage.npz"]),
               ("a data npz", "{no_X.npz}", ["no_X.npz"]),
               ("lying header", "{lying.npz}", ["lying.npz"]),
               ("layers not a list", "{meta_types.npz}", ["meta_types.npz"]),
               ("no layers", "{meta_missing.npz}", ["meta_missing.npz"]),
               ("version a string", "{meta_version.npz}", ["meta_version.npz"]),
               ("future version", "{meta_future.npz}", ["meta_future.npz"]),
               ("negative width", "{meta_layer.npz}", ["meta_layer.npz"]),
               ("huge layer", "{meta_huge.npz}", ["meta_huge.npz"]),
               ("unknown layer", "{meta_unknown.npz}", ["meta_unknown.npz"]),
               ("deep extra", "{meta_deep.npz}", ["meta_deep.npz"]),
               ("classes an object", "{meta_classes.npz}", ["meta_classes.npz"]),
               ("model meta a list", "{meta_model_type.npz}", ["meta_model_type.npz"]),
               ("a folder", "{dir}", ["dir"]),
               ("a fifo", "{fifo.npz}", ["fifo.npz"])]
REPORT_REFUSED = [
    *[(f"model {what}", ["report", path, "--output", "{tmp}/r.html"], words)
      for what, path, words in MODEL_FILES],
    ("--output = model", ["report", "{model.npz}", "--output", "{model.npz}"], ["model.npz"]),
    ("--output a folder", ["report", "{model.npz}", "--output", "{dir}"], ["folder"]),
    ("--output link to a file", ["report", "{model.npz}", "--output", "{link_keep}"],
     ["symbolic"]),
    ("--output link to stdout", ["report", "{model.npz}", "--output", "{link_stdout}"],
     ["symbolic"]),
    ("--output a fifo", ["report", "{model.npz}", "--output", "{fifo}"], ["regular"]),
    ("--output missing folder", ["report", "{model.npz}", "--output", "{missing}"],
     ["--output"]),
    ("default output is a folder", ["report", "{tmp}/dir.npz"], []),
    ("--lang xx", ["report", "{model.npz}", "--lang", "xx"], ["xx"]),
]
X = ["--output", "{tmp}/e.onnx"]
EXPORT_REFUSED = [
    *[(f"onnx: model {what}", ["export", path, "--to", "onnx", *X], words)
      for what, path, words in MODEL_FILES],
    *[(f"torch: model {what}", ["export", path, "--to", "torch", "--output", "{tmp}/e.pt"],
       words) for what, path, words in MODEL_FILES[:6]],
    ("--to missing", ["export", "{model.npz}", *X], ["--to"]),
    ("--to keras", ["export", "{model.npz}", "--to", "keras", *X], ["keras"]),
    ("--output missing", ["export", "{model.npz}", "--to", "onnx"], ["--output"]),
    ("--samples 0", ["export", "{model.npz}", "--to", "onnx", *X, "--verify", "--samples", "0"],
     ["--samples", "0"]),
    ("--samples -5", ["export", "{model.npz}", "--to", "onnx", *X, "--samples", "-5"],
     ["--samples"]),
    ("--samples huge", ["export", "{model.npz}", "--to", "onnx", *X, "--samples", BIG],
     ["--samples"]),
    ("--samples abc", ["export", "{model.npz}", "--to", "onnx", *X, "--samples", "abc"],
     ["abc"]),
    ("--seed -1", ["export", "{model.npz}", "--to", "onnx", *X, "--verify", "--seed", "-1"],
     ["seed"]),
    ("--seed huge", ["export", "{model.npz}", "--to", "onnx", *X, "--verify", "--seed",
                     "1" + "0" * 400], ["seed"]),
    ("--output = model", ["export", "{model.npz}", "--to", "onnx", "--output", "{model.npz}"],
     ["model.npz"]),
    ("torch: arch file = model", ["export", "{model.npz}", "--to", "torch", "--output",
                                  "{tmp}/model"], ["model"]),
    ("--output a folder", ["export", "{model.npz}", "--to", "onnx", "--output", "{dir}"],
     ["folder"]),
    ("--output link to stdout", ["export", "{model.npz}", "--to", "onnx", "--output",
                                 "{link_stdout}"], ["symbolic"]),
    ("--output link to file", ["export", "{model.npz}", "--to", "torch", "--output",
                               "{link_keep}"], ["symbolic"]),
    ("--output a fifo", ["export", "{model.npz}", "--to", "onnx", "--output", "{fifo}"],
     ["regular"]),
    ("--output missing folder", ["export", "{model.npz}", "--to", "onnx", "--output",
                                 "{missing}"], ["--output"]),
]
L = ["--no-plot"]
LAB_REFUSED = [
    ("unknown lab", ["lab", "nope"], ["nope"]),
    ("no lab", ["lab"], []),
    ("vanishing --depth 0", ["lab", "vanishing", *L, "--depth", "0"], ["depth"]),
    ("vanishing --depth -3", ["lab", "vanishing", *L, "--depth", "-3"], ["depth"]),
    ("vanishing --depth huge", ["lab", "vanishing", *L, "--depth", BIG], ["depth"]),
    ("vanishing --depth abc", ["lab", "vanishing", *L, "--depth", "abc"], ["abc"]),
    ("vanishing --epochs 0", ["lab", "vanishing", *L, "--epochs", "0"], ["epochs"]),
    ("vanishing --epochs huge", ["lab", "vanishing", *L, "--epochs", BIG], ["epochs"]),
    ("optimizers --epochs -1", ["lab", "optimizers", *L, "--epochs", "-1"], ["epochs"]),
    ("exploding --width 0", ["lab", "exploding", *L, "--width", "0"], ["width"]),
    ("exploding --width huge", ["lab", "exploding", *L, "--width", BIG], ["width"]),
    ("exploding --scale nan", ["lab", "exploding", *L, "--scale", "nan"], ["scale"]),
    ("exploding --scale inf", ["lab", "exploding", *L, "--scale", "inf"], ["scale"]),
    ("exploding --scale -1", ["lab", "exploding", *L, "--scale", "-1"], ["scale"]),
    ("exploding --clip nan", ["lab", "exploding", *L, "--clip", "nan"], ["clip"]),
    ("exploding --clip -1", ["lab", "exploding", *L, "--clip", "-1"], ["clip"]),
    ("exploding --lr 0", ["lab", "exploding", *L, "--lr", "0"], ["learning rate", "0"]),
    ("exploding --lr nan", ["lab", "exploding", *L, "--lr", "nan"], ["--lr", "nan"]),
    ("vanishing --depth 5000", ["lab", "vanishing", *L, "--depth", "5000"], ["depth", "5000"]),
    ("exploding --depth 5000", ["lab", "exploding", *L, "--depth", "5000"], ["depth", "5000"]),
    ("normalization --scale 0", ["lab", "normalization", *L, "--scale", "0"], ["scale"]),
    ("normalization --scale nan", ["lab", "normalization", *L, "--scale", "nan"], ["scale"]),
    ("normalization --shift inf", ["lab", "normalization", *L, "--shift", "inf"], ["shift"]),
    ("normalization --shift nan", ["lab", "normalization", *L, "--shift", "nan"], ["shift"]),
    ("normalization --lrs empty", ["lab", "normalization", *L, "--lrs", ""], ["lrs"]),
    ("normalization --lrs -1", ["lab", "normalization", *L, "--lrs", "-1"], ["-1"]),
    ("normalization --lrs nan", ["lab", "normalization", *L, "--lrs", "0.1,nan"], ["nan"]),
    ("normalization --lrs abc", ["lab", "normalization", *L, "--lrs", "a,b"], ["a"]),
    ("batch-size --sizes 0", ["lab", "batch-size", *L, "--sizes", "0,4"], ["0"]),
    ("batch-size --sizes -4", ["lab", "batch-size", *L, "--sizes", "-4"], ["-4"]),
    ("batch-size --sizes 1.5", ["lab", "batch-size", *L, "--sizes", "1.5"], ["1.5"]),
    ("batch-size --target nan", ["lab", "batch-size", *L, "--target", "nan"], ["target"]),
    ("batch-size --target -1", ["lab", "batch-size", *L, "--target", "-1"], ["target"]),
    ("batch-size --lr inf", ["lab", "batch-size", *L, "--lr", "inf"], ["lr"]),
    ("weight-decay --decays -1", ["lab", "weight-decay", *L, "--decays", "-1"], ["-1"]),
    ("weight-decay --decays inf", ["lab", "weight-decay", *L, "--decays", "inf"], ["inf"]),
    ("weight-decay --n-train 0", ["lab", "weight-decay", *L, "--n-train", "0"], ["n_train"]),
    ("weight-decay --n-train huge", ["lab", "weight-decay", *L, "--n-train", BIG],
     ["--n-train", "2147483647"]),
    ("weight-decay --noise -1", ["lab", "weight-decay", *L, "--noise", "-1"], ["noise"]),
    ("weight-decay --noise nan", ["lab", "weight-decay", *L, "--noise", "nan"], ["noise"]),
    ("--seed -1", ["lab", "vanishing", *L, "--seed", "-1"], ["seed"]),
    ("--seed abc", ["lab", "vanishing", *L, "--seed", "abc"], ["abc"]),
    ("--lang xx", ["lab", "vanishing", *L, "--lang", "xx"], ["xx"]),
    ("--out a file", ["lab", "vanishing", "--out", "{keep.txt}"], ["--out", "keep.txt"]),
    ("--out a link to a file", ["lab", "vanishing", "--out", "{link_keep}"], ["--out"]),
    ("--out a fifo", ["lab", "vanishing", "--out", "{fifo}"], ["--out"]),
    ("--out under a file", ["lab", "vanishing", "--out", "{keep.txt}/sub"], ["--out"]),
]
OTHER_REFUSED = [
    ("unknown command", ["nope"], ["nope"]),
    ("check is not here yet", ["frobnicate", "--x"], ["frobnicate"]),
]

ALL_REFUSED = {"example": EXAMPLE_REFUSED, "gradcheck": GRADCHECK_REFUSED,
               "chain": CHAIN_REFUSED, "report": REPORT_REFUSED, "export": EXPORT_REFUSED,
               "lab": LAB_REFUSED, "other": OTHER_REFUSED}
FLAT = [(f"{cmd}: {case[0]}", *case[1:]) for cmd, table in ALL_REFUSED.items()
        for case in table]


@pytest.mark.parametrize("case", FLAT, ids=_ids(FLAT))
def test_command_refuses(case, run_cli, world):
    _, argv, words = case
    if "{tmp}/s.json" in argv:
        Path(_fill(["{tmp}/s.json"], world)[0]).write_text(
            (Path(__file__).parents[1] / "examples" / "article.json").read_text())
    if "{tmp}/dir.npz" in argv:
        Path(_fill(["{tmp}/dir.npz"], world)[0]).write_bytes(
            world["model.npz"].read_bytes())
        Path(_fill(["{tmp}/dir.html"], world)[0]).mkdir()
    if "torch" in argv and "{tmp}/model" in argv:
        # the architecture file of --output {tmp}/model would be {tmp}/model.json: make the
        # model itself sit there
        Path(_fill(["{tmp}/model.json"], world)[0]).write_bytes(b"{}")
    _check_refused(run_cli, world, argv, words)


# --- inputs that may run: then the answer must be right ----------------------------------------
def test_a_bom_and_crlf_csv_trains_like_the_plain_one(run_cli, world, tmp_path):
    plain = world["csv"].read_text()
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode())
    a = run_cli("train", world["csv"], "--epochs", "2", "--quiet", "--json")
    b = run_cli("train", bom, "--epochs", "2", "--quiet", "--json")
    assert a[0] == b[0] == 0, (a, b)
    ra, rb = json.loads(a[1]), json.loads(b[1])
    assert ra["test_loss"] == rb["test_loss"]


def test_a_semicolon_csv_is_refused_or_read_right(run_cli, world):
    code, out, err = run_cli("train", world["semicolon.csv"], "--epochs", "1", "--quiet")
    if code == 2:
        assert_refused(code, out, err, ["semicolon"])
    else:
        assert code == 0, err


def test_features_of_1e300_train_or_are_refused_never_a_nan_model(run_cli, tmp_path):
    rows = [f"{1e300 * (i % 3)},{i},{i % 2}" for i in range(30)]
    path = tmp_path / "big.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    model = tmp_path / "m.npz"
    for extra in ([], ["--no-standardize"], ["--dtype", "float64", "--no-standardize"]):
        code, out, err = run_cli("train", path, "--epochs", "2", "--quiet", "--json",
                                 "--save", model, *extra)
        if code == 2:
            assert_refused(code, out, err, ["as large as"])
            continue
        result = json.loads(out)  # strict JSON always
        if model.exists():
            net = bp.load(model)
            pred = net.predict(np.array([[1e300, 1.0], [0.0, 2.0]]))
            assert np.all(np.isin(pred, [0, 1])), pred
            model.unlink()
        assert "Traceback" not in err, err
        assert result["test_loss"] is None or np.isfinite(result["test_loss"])


def test_labels_of_1e9_are_two_classes_and_predicted_as_such(run_cli, tmp_path):
    rows = [f"{i % 2 + 0.01 * i},{i},{int(1e9) if i % 2 else 0}" for i in range(30)]
    path = tmp_path / "big_label.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    model = tmp_path / "m.npz"
    code, out, err = run_cli("train", path, "--epochs", "30", "--quiet", "--save", model)
    assert code == 0, err
    net = bp.load(model)
    assert sorted(net.classes_.tolist()) == [0, 10**9]
    assert set(net.predict(np.array([[0.0, 1.0], [1.0, 3.0]])).tolist()) <= {0, 10**9}


def test_a_label_column_of_floats_is_a_regression_with_finite_json(run_cli, tmp_path):
    rows = [f"{i},{i * 0.5},{i * 1.5 + 0.25}" for i in range(30)]
    path = tmp_path / "reg.csv"
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    code, out, err = run_cli("train", path, "--epochs", "1", "--quiet", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["test_accuracy"] is None


@pytest.mark.parametrize("extra", [["--lr", "1e30"], ["--lr", "1e30", "--optimizer", "sgd"],
                                   ["--lr", "1e10", "--optimizer", "momentum"]],
                         ids=["adam lr 1e30", "sgd lr 1e30", "momentum lr 1e10"])
def test_diverging_training_keeps_finite_parameters_and_valid_json(run_cli, world, tmp_path,
                                                                   extra):
    model = tmp_path / "m.npz"
    code, out, err = run_cli("train", world["csv"], "--epochs", "5", "--quiet", "--json",
                             "--save", model, *extra)
    assert code in (0, 1), err
    assert "Traceback" not in err
    result = json.loads(out)
    assert json.dumps(result, allow_nan=False)
    if model.exists():
        net = bp.load(model)
        assert all(np.all(np.isfinite(p.data)) for p in net.parameters())
        pred = net.predict_proba(np.zeros((3, 2)))
        assert np.all(np.isfinite(pred))
    else:
        assert code == 1 and result["model_saved"] is None


def test_checkpoint_may_continue_its_own_resume_file(run_cli, world):
    ck = world["ckpt.npz"]
    code, out, err = run_cli("train", world["csv"], "--epochs", "2", "--quiet", "--hidden", "3",
                             "--resume", ck, "--checkpoint", ck)
    assert code == 0, err


def test_train_huge_batch_size_runs_as_one_batch(run_cli, world):
    code, out, err = run_cli("train", world["csv"], "--epochs", "1", "--quiet", "--batch-size",
                             BIG)
    if code == 2:
        assert_refused(code, out, err, ["batch"])
    else:
        assert code == 0, err


def test_a_traceback_never_reaches_stderr_in_a_real_process(tmp_path):
    """A real interpreter: what is printed when the library is run as a program."""
    import subprocess
    import sys

    cases = [["train", str(tmp_path / "none.csv")], ["export", "x.npz", "--to", "onnx",
                                                     "--output", str(tmp_path)],
             ["train", "--epochs", BIG, "--batch-size", "0"], ["chain", "(" * 3000]]
    for argv in cases:
        proc = subprocess.run([sys.executable, "-m", "backprop", *argv], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
