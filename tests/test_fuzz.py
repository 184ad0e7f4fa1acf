"""Property-based fuzzing of the command line and the API with generated bad inputs.

The contract, asserted for every generated case:

* the command line exits 0 (or 1 for a check that ran and failed), or exits 2 with exactly one
  line on stderr, ``backprop: error: ...`` -- never a traceback;
* the API returns, or raises ``ValueError`` / ``TypeError`` (``FileNotFoundError`` for a
  missing file) with a message -- never another exception;
* an answer holding NaN comes with a warning;
* no input file is changed, and nothing is written through a link or into a device.

The profile is fixed (``derandomize=True``: the same examples on every run, in CI too) and sized
so that the whole file runs in well under a minute on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import io as stdio
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the fuzz suite needs hypothesis (dev)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.cli import main  # noqa: E402

#: ``BACKPROP_FUZZ_EXAMPLES=500`` runs a deeper, randomised search locally
_DEEP = int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "0"))
settings.register_profile(
    "backprop-fuzz", max_examples=_DEEP or 40, deadline=None, derandomize=not _DEEP,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
FUZZ = settings.get_profile("backprop-fuzz")
API_ERRORS = (ValueError, TypeError, FileNotFoundError)


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = stdio.StringIO(), stdio.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_cli_contract(code: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        assert err.startswith("backprop: error: ") and err.count("\n") == 1, err
        assert len(err) > len("backprop: error: ") + 5
    if out.lstrip().startswith("{"):
        json.loads(out)  # JSON output is strict JSON (no NaN)
        assert "NaN" not in out and "Infinity" not in out


def assert_api_contract(call, *, garbage_in: bool = False) -> object:
    """Run ``call()``: a result (NaN only with a warning, unless the input itself held NaN or
    infinity: ``garbage_in``, for the engine's forward) or a ValueError/TypeError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except API_ERRORS as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            return exc
    values = result.values() if isinstance(result, dict) else [result]
    for v in values:
        arr = np.asarray(v)
        if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)) and not garbage_in:
            assert caught, "a non-finite answer without a warning"
    return result


def holds_nonfinite(x) -> bool:
    """Whether an array-like input holds NaN or infinity (or cannot be read as numbers)."""
    try:
        return not np.all(np.isfinite(np.asarray(x, dtype=np.complex128)))
    except (ValueError, TypeError):
        return True


def snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()
            and not p.is_symlink()}


# --- strategies ----------------------------------------------------------------------------------
FIELD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**12, 10**12).map(str),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "1e200", "-1e-320", "0x10",
                     "1_000", "true", "NULL", "é", '"quoted"', "a,b", "\t", "1e9"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
            max_size=8),
)
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=4), min_size=0, max_size=12)

REAL_DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_])
ODD_DTYPES = st.sampled_from([np.complex128, "U3", object])


def arrays_for_width(width: int):
    shapes = st.one_of(
        st.tuples(st.integers(1, 5), st.just(width)),  # the right width
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),  # anything
    )
    real = st.tuples(REAL_DTYPES, shapes).flatmap(
        lambda ds: hnp.arrays(ds[0], ds[1], elements=None if ds[0] in (np.bool_, np.uint8)
                              else (st.floats(width=32 if ds[0] is np.float32 else 64,
                                              allow_nan=True, allow_infinity=True)
                                    if ds[0] in (np.float64, np.float32)
                                    else st.integers(-10**6, 10**6))))
    odd = st.tuples(ODD_DTYPES, shapes).flatmap(lambda ds: hnp.arrays(ds[0], ds[1]))
    nested = st.lists(st.lists(st.one_of(st.floats(), st.integers(-5, 5), st.text(max_size=2)),
                               max_size=3), max_size=3)
    return st.one_of(real, odd, nested)


@pytest.fixture(scope="module")
def trained():
    X, y = bp.datasets.blobs(120, rng=0)
    net = bp.mlp([2, 6, 3], rng=0)
    net.input_transform = bp.Standardizer().fit(X)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=3, verbose=False)
    return net


# --- the API -------------------------------------------------------------------------------------
@FUZZ
@given(X=arrays_for_width(2))
def test_predict_evaluate_forward_keep_the_contract(trained, X):
    try:
        n = int(np.shape(X)[0]) if np.ndim(X) else 1
    except ValueError:  # a ragged list
        n = len(X)
    assert_api_contract(lambda: trained.predict(X))
    assert_api_contract(lambda: trained.predict_proba(X))
    assert_api_contract(lambda: trained.evaluate(X, [0] * max(n, 1)))
    # the engine computes what it is given: non-finite inputs may give non-finite outputs
    garbage = holds_nonfinite(X)
    assert_api_contract(lambda: trained.forward(X), garbage_in=garbage)
    assert_api_contract(lambda: bp.Dense(2, 3, rng=0).forward(X), garbage_in=garbage)


@FUZZ
@given(y=arrays_for_width(1), X=arrays_for_width(2))
def test_fit_with_bad_data_keeps_the_contract(X, y):
    net = bp.mlp([2, 3, 3], rng=0)
    assert_api_contract(lambda: net.fit(X, y, loss="softmax_cross_entropy", optimizer="sgd",
                                        epochs=1, verbose=False))
    assert_api_contract(lambda: bp.fit(bp.mlp([2, 1], rng=0), X, y, loss="squared",
                                       optimizer="sgd", epochs=1, verbose=False))


ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(),
                     st.text(max_size=6), st.lists(st.integers(-1, 3), max_size=3),
                     st.sampled_from(["cosine", "step", "onecycle", "plateau", "exponential",
                                      "adam", "sgd", object()]))


@FUZZ
@given(kwargs=st.dictionaries(
    st.sampled_from(["epochs", "batch_size", "seed", "callbacks", "schedule", "shuffle",
                     "validation_split", "early_stopping", "optimizer", "loss", "augment",
                     "validation_data", "sample_weight", "checkpoint_every", "diagnostics",
                     "schedule_interval"]),
    ANYTHING, max_size=4))
def test_fit_with_bad_arguments_keeps_the_contract(kwargs):
    X, y = bp.datasets.blobs(30, rng=0)
    args = {"loss": "softmax_cross_entropy", "optimizer": "sgd", "epochs": 1, "verbose": False}
    args.update(kwargs)
    if isinstance(args.get("epochs"), int) and not isinstance(args["epochs"], bool):
        args["epochs"] = min(args["epochs"], 2)
    net = bp.mlp([2, 4, 3], rng=0)
    assert_api_contract(lambda: net.fit(X, y, **args))


@FUZZ
@given(dy=arrays_for_width(3), m=st.integers(1, 4))
def test_backward_keeps_the_contract(dy, m):
    net = bp.mlp([2, 4, 3], rng=0)
    net.forward(np.zeros((m, 2)))
    assert_api_contract(lambda: net.backward(dy), garbage_in=holds_nonfinite(dy))


# --- files ---------------------------------------------------------------------------------------
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(),
              st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12)
META_KEYS = st.sampled_from(["layers", "extra", "model", "version", "kind", "format",
                             "training"])


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.npz"
    net = bp.mlp([2, 3, 2], batch_norm=True, rng=0)
    net.classes_ = ["a", "b"]
    net.input_transform = bp.Standardizer().fit(np.arange(8.0).reshape(4, 2))
    bp.save(path, net, extra={"loss": "softmax_cross_entropy"})
    return path.read_bytes()


def _rewrite_meta(data: bytes, change) -> bytes:
    """The archive ``data`` with its JSON document changed by ``change(meta)``."""
    src = zipfile.ZipFile(stdio.BytesIO(data))
    out = stdio.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info)
            if info.filename == "__meta__.npy":
                arr = np.lib.format.read_array(stdio.BytesIO(payload))
                meta = json.loads(arr.tobytes())
                meta = change(meta)
                buf = stdio.BytesIO()
                np.save(buf, np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
                payload = buf.getvalue()
            dst.writestr(info.filename, payload)
    return out.getvalue()


@FUZZ
@given(key=META_KEYS, value=JSON, layer_key=st.sampled_from(["type", "config", "n_in", "n",
                                                              "affine", "dtype", "bias"]),
       where=st.integers(0, 3), mode=st.sampled_from(["top", "layer", "config"]))
def test_a_model_file_with_a_mangled_document_keeps_the_contract(tmp_path_factory, model_bytes,
                                                                   key, value, layer_key, where,
                                                                   mode):
    def change(meta):
        if mode == "top":
            meta[key] = value
        elif mode == "layer":
            meta["layers"][where][layer_key] = value
        else:
            meta["layers"][where]["config"][layer_key] = value
        return meta

    path = tmp_path_factory.mktemp("mangled") / "m.npz"
    path.write_bytes(_rewrite_meta(model_bytes, change))
    before = path.read_bytes()
    result = assert_api_contract(lambda: bp.load(path))
    if not isinstance(result, Exception):
        assert_api_contract(lambda: result.predict(np.zeros((2, 2))))
    code, out, err = cli("report", path, "--output", path.with_suffix(".html"))
    assert_cli_contract(code, out, err)
    assert path.read_bytes() == before


@FUZZ
@given(cut=st.integers(0, 4000), flips=st.lists(st.tuples(st.integers(0, 4000),
                                                          st.integers(1, 255)), max_size=4),
       tail=st.binary(max_size=64))
def test_a_damaged_model_file_keeps_the_contract(tmp_path_factory, model_bytes, cut, flips,
                                                 tail):
    data = bytearray(model_bytes[:cut] if cut < len(model_bytes) else model_bytes)
    for pos, x in flips:
        if pos < len(data):
            data[pos] ^= x
    path = tmp_path_factory.mktemp("damaged") / "m.npz"
    path.write_bytes(bytes(data) + tail)
    before = path.read_bytes()
    result = assert_api_contract(lambda: bp.load(path))
    if not isinstance(result, Exception):
        assert_api_contract(lambda: result.predict(np.ones((3, 2))))
    code, out, err = cli("export", path, "--to", "onnx", "--output",
                         path.with_suffix(".onnx"))
    assert_cli_contract(code, out, err)
    assert path.read_bytes() == before


# --- the command line ----------------------------------------------------------------------------
@FUZZ
@given(rows=ROWS, label=st.sampled_from(["-1", "0", "1", "label", "nope", "-5", "x"]),
       header=st.booleans(), opts=st.lists(st.sampled_from(
           [["--standardize", "global"], ["--no-standardize"], ["--batch-norm"],
            ["--dtype", "float64"], ["--test-split", "0.5"], ["--class-weight", "balanced"],
            ["--batch-size", "1"], ["--val-split", "0.3"], ["--label-smoothing", "0.1"]]),
           max_size=2))
def test_train_on_a_generated_csv_keeps_the_contract(tmp_path_factory, rows, label, header,
                                                     opts):
    folder = tmp_path_factory.mktemp("csv")
    lines = ([",".join(["a", "b", "c", "label"][:len(rows[0])]) if rows else "a,label"]
             if header else [])
    lines += [",".join(r) for r in rows]
    path = folder / "data.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(folder)
    argv = ["train", path, "--label-column", label, "--epochs", "1", "--hidden", "3",
            "--quiet", "--json", "--save", folder / "m.npz"]
    for o in opts:
        argv += o
    code, out, err = cli(*argv)
    assert_cli_contract(code, out, err)
    after = snapshot(folder)
    assert after.get("data.csv") == before["data.csv"]
    if code == 0 and "m.npz" in after:
        net = bp.load(folder / "m.npz")
        assert_api_contract(lambda: net.predict(np.zeros((1, net.input_width))))


OPTION_VALUES = st.one_of(st.integers(-3, 3).map(str), st.sampled_from(
    ["0", "1e9", "-1e-9", "nan", "inf", "", "abc", "0.5", "1,2", "-", "--", "3,-1"]))
TRAIN_OPTIONS = st.sampled_from(
    ["--hidden", "--lr", "--momentum", "--dropout", "--batch-size", "--weight-decay",
     "--clip-norm", "--clip-norm-type", "--clip-value", "--schedule", "--step-size", "--gamma",
     "--milestones", "--warmup-epochs", "--label-smoothing", "--test-split", "--val-split",
     "--early-stopping", "--augment-shift", "--seed", "--activation", "--init", "--optimizer",
     "--T-0", "--T-mult", "--beta1", "--beta2", "--eps", "--alpha", "--train-size"])


@FUZZ
@given(pairs=st.lists(st.tuples(TRAIN_OPTIONS, OPTION_VALUES), max_size=3),
       dataset=st.sampled_from(["xor", "moons", "blobs", "nonexistent", "data.txt", "."]))
def test_train_options_keep_the_contract(tmp_path_factory, pairs, dataset):
    folder = tmp_path_factory.mktemp("opts")
    argv = ["train", dataset]
    for opt, value in pairs:
        argv += [opt, value]
    argv += ["--epochs", "1", "--quiet", "--json", "--plot", folder / "c.png"]
    code, out, err = cli(*argv)
    assert_cli_contract(code, out, err)


OUTPUT_KINDS = st.sampled_from(["symlink", "folder", "device", "input", "missing-folder",
                                "same-as-other", "fifo", "fine"])


@FUZZ
@given(kind=OUTPUT_KINDS, option=st.sampled_from(["--save", "--plot", "--checkpoint"]))
def test_train_outputs_are_checked_before_any_work(tmp_path_factory, kind, option):
    folder = tmp_path_factory.mktemp("out")
    data = folder / "data.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 3},{i % 5},{i % 2}\n" for i in range(30)))
    (folder / "target").write_bytes(b"keep")
    paths = {"symlink": folder / "link", "folder": folder, "device": "/dev/null",
             "input": data, "missing-folder": folder / "no" / "x", "fifo": folder / "fifo",
             "same-as-other": folder / "both", "fine": folder / "new"}
    (folder / "link").symlink_to(folder / "target")
    os.mkfifo(folder / "fifo")
    argv = ["train", data, option, paths[kind], "--epochs", "1", "--quiet"]
    if kind == "same-as-other":
        other = "--plot" if option != "--plot" else "--save"
        argv += [other, paths[kind]]
    before = snapshot(folder)
    code, out, err = cli(*argv)
    assert_cli_contract(code, out, err)
    assert (code == 0) == (kind == "fine"), (kind, err)
    after = snapshot(folder)
    for name, content in before.items():
        assert after.get(name) == content, name
    assert (folder / "link").is_symlink() and os.path.exists("/dev/null")
