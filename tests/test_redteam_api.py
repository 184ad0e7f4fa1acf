"""A red-team corpus of bad calls to the Python API, one table per entry point.

Each case is ``(id, call, exception type, words)``: the call must raise exactly that type
(``ValueError`` or ``TypeError``; a subclass such as ``SpecError`` counts) with a message that
contains every word -- the offending value or argument name. The ``RIGHT`` table holds inputs
that may be accepted: then the answer must be right.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import sklearn as bsk

NAN, INF = float("nan"), float("inf")
X = np.random.default_rng(0).normal(size=(12, 2))
Y = (X[:, 0] > 0).astype(np.int64)


def _net(**kw):
    return bp.mlp([2, 4, 2], rng=0, **kw)


def _fit(**kw):
    net = _net()
    args = {"loss": "softmax_cross_entropy", "optimizer": "adam", "epochs": 1,
            "batch_size": 4, "verbose": False}
    args.update(kw)
    Xa = args.pop("X", X)
    ya = args.pop("y", Y)
    return net.fit(Xa, ya, **args)


def _params():
    return _net().parameters()


def _fitted():
    net = _net()
    net.fit(X, Y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False)
    return net


BUILD = [
    ("mlp sizes one", lambda: bp.mlp([2]), ValueError, ["[2]"]),
    ("mlp sizes empty", lambda: bp.mlp([]), ValueError, ["[]"]),
    ("mlp width 0", lambda: bp.mlp([2, 0, 1]), ValueError, ["0"]),
    ("mlp width -1", lambda: bp.mlp([2, -1, 1]), ValueError, ["-1"]),
    ("mlp width 2.5", lambda: bp.mlp([2, 2.5, 1]), TypeError, ["2.5"]),
    ("mlp width '3'", lambda: bp.mlp([2, "3", 1]), TypeError, ["'3'"]),
    ("mlp width True", lambda: bp.mlp([2, True, 1]), TypeError, ["True"]),
    ("mlp sizes a string", lambda: bp.mlp("2,3"), TypeError, ["'2'"]),
    ("mlp sizes None", lambda: bp.mlp(None), TypeError, ["None"]),
    ("mlp activation unknown", lambda: bp.mlp([2, 1], activation="nope"), ValueError, ["nope"]),
    ("mlp activation 3", lambda: bp.mlp([2, 1], activation=3), ValueError, ["3"]),
    ("mlp init unknown", lambda: bp.mlp([2, 3, 1], init="nope"), ValueError, ["nope"]),
    ("mlp dropout 1", lambda: bp.mlp([2, 3, 1], dropout=1.0), ValueError, ["1"]),
    ("mlp dropout nan", lambda: bp.mlp([2, 3, 1], dropout=NAN), ValueError, ["nan"]),
    ("mlp dropout -0.1", lambda: bp.mlp([2, 3, 1], dropout=-0.1), ValueError, ["-0.1"]),
    ("mlp dropout '0.1'", lambda: bp.mlp([2, 3, 1], dropout="0.1"), TypeError, ["0.1"]),
    ("mlp dtype complex", lambda: bp.mlp([2, 1], dtype=np.complex128), ValueError, ["complex"]),
    ("mlp dtype int", lambda: bp.mlp([2, 1], dtype=np.int32), ValueError, ["int32"]),
    ("mlp dtype float16", lambda: bp.mlp([2, 1], dtype="float16"), ValueError, ["float16"]),
    ("mlp dtype object", lambda: bp.mlp([2, 1], dtype=object), ValueError, ["object"]),
    ("mlp dtype nonsense", lambda: bp.mlp([2, 1], dtype="nope"), (TypeError, ValueError),
     ["nope"]),
    ("mlp batch_norm 'yes'", lambda: bp.mlp([2, 3, 1], batch_norm="yes"), TypeError, ["yes"]),
    ("mlp rng 'abc'", lambda: bp.mlp([2, 1], rng="abc"), TypeError, ["abc"]),
    ("mlp rng -1", lambda: bp.mlp([2, 1], rng=-1), ValueError, ["-1"]),
    ("Dense n_in 0", lambda: bp.Dense(0, 2), ValueError, ["0"]),
    ("Dense n_out -2", lambda: bp.Dense(2, -2), ValueError, ["-2"]),
    ("Dense n_in 1.5", lambda: bp.Dense(1.5, 2), TypeError, ["1.5"]),
    ("Dense huge", lambda: bp.Dense(10**12, 10**12), (ValueError, MemoryError), []),
    ("Dense init unknown", lambda: bp.Dense(2, 2, init="nope"), ValueError, ["nope"]),
    ("BatchNorm n 0", lambda: bp.BatchNorm(0), ValueError, ["0"]),
    ("BatchNorm eps 0", lambda: bp.BatchNorm(3, eps=0), ValueError, ["eps"]),
    ("BatchNorm eps nan", lambda: bp.BatchNorm(3, eps=NAN), ValueError, ["eps"]),
    ("BatchNorm momentum 2", lambda: bp.BatchNorm(3, momentum=2), ValueError, ["momentum"]),
    ("BatchNorm momentum nan", lambda: bp.BatchNorm(3, momentum=NAN), ValueError,
     ["momentum"]),
    ("Dropout p 1", lambda: bp.Dropout(1.0), ValueError, ["1"]),
    ("Dropout p inf", lambda: bp.Dropout(INF), ValueError, ["inf"]),
    ("Dropout p None", lambda: bp.Dropout(None), TypeError, ["None"]),
    ("LeakyReLU slope nan", lambda: bp.LeakyReLU(NAN), ValueError, ["nan"]),
    ("LeakyReLU slope 'x'", lambda: bp.LeakyReLU("x"), TypeError, ["x"]),
    ("Softplus beta 0", lambda: bp.Softplus(beta=0), ValueError, ["beta"]),
    ("Sequential of ints", lambda: bp.Sequential(1, 2), TypeError, ["int"]),
    ("Sequential of a function", lambda: bp.Sequential(len), TypeError, ["builtin"]),
    ("SoftmaxCE smoothing 2", lambda: bp.SoftmaxCrossEntropy(label_smoothing=2), ValueError,
     ["label_smoothing"]),
    ("SoftmaxCE weight negative", lambda: bp.SoftmaxCrossEntropy(weight=[1, -1]), ValueError,
     ["weight"]),
    ("SoftmaxCE weight nan", lambda: bp.SoftmaxCrossEntropy(weight=[1, NAN]), ValueError,
     ["weight"]),
    ("SoftmaxCE weight 2-D", lambda: bp.SoftmaxCrossEntropy(weight=[[1, 2]]), ValueError,
     ["weight"]),
    ("BCE pos_weight -1", lambda: bp.BinaryCrossEntropy(pos_weight=-1), ValueError,
     ["pos_weight"]),
    ("BCE pos_weight 'a'", lambda: bp.BinaryCrossEntropy(pos_weight="a"), (TypeError,
                                                                           ValueError), ["a"]),
]

OPTIM = [
    ("SGD lr 0", lambda: bp.SGD(_params(), lr=0), ValueError, ["0"]),
    ("SGD lr nan", lambda: bp.SGD(_params(), lr=NAN), ValueError, ["nan"]),
    ("SGD lr inf", lambda: bp.SGD(_params(), lr=INF), ValueError, ["inf"]),
    ("SGD lr '0.1'", lambda: bp.SGD(_params(), lr="0.1"), TypeError, ["0.1"]),
    ("SGD lr None", lambda: bp.SGD(_params(), lr=None), TypeError, ["None"]),
    ("SGD lr complex", lambda: bp.SGD(_params(), lr=1j), TypeError, ["1j"]),
    ("SGD momentum -1", lambda: bp.SGD(_params(), lr=0.1, momentum=-1), ValueError,
     ["momentum"]),
    ("SGD momentum nan", lambda: bp.SGD(_params(), lr=0.1, momentum=NAN), ValueError,
     ["momentum"]),
    ("SGD nesterov without momentum", lambda: bp.SGD(_params(), lr=0.1, nesterov=True),
     ValueError, ["nesterov"]),
    ("SGD dampening nan", lambda: bp.SGD(_params(), lr=0.1, momentum=0.9, dampening=NAN),
     ValueError, ["dampening"]),
    ("SGD weight_decay -1", lambda: bp.SGD(_params(), lr=0.1, weight_decay=-1), ValueError,
     ["weight_decay"]),
    ("SGD params empty", lambda: bp.SGD([], lr=0.1), ValueError, ["param"]),
    ("SGD params arrays", lambda: bp.SGD([np.zeros(3)], lr=0.1), TypeError, ["Parameter"]),
    ("SGD params None", lambda: bp.SGD(None, lr=0.1), TypeError, ["None"]),
    ("SGD params duplicated", lambda: bp.SGD(_params() * 2, lr=0.1), ValueError,
     ["0.W", "more than once"]),
    ("Adam betas (1, .9)", lambda: bp.Adam(_params(), betas=(1.0, 0.9)), ValueError, ["beta"]),
    ("Adam betas one", lambda: bp.Adam(_params(), betas=(0.9,)), (ValueError, TypeError),
     ["betas"]),
    ("Adam betas 'ab'", lambda: bp.Adam(_params(), betas="ab"), TypeError, ["'a'"]),
    ("Adam eps -1", lambda: bp.Adam(_params(), eps=-1), ValueError, ["eps"]),
    ("Adam eps nan", lambda: bp.Adam(_params(), eps=NAN), ValueError, ["eps"]),
    ("Adam amsgrad 'yes'", lambda: bp.Adam(_params(), amsgrad="yes"), TypeError, ["yes"]),
    ("AdamW wd nan", lambda: bp.AdamW(_params(), weight_decay=NAN), ValueError,
     ["weight_decay"]),
    ("RMSprop alpha -1", lambda: bp.RMSprop(_params(), alpha=-1), ValueError, ["alpha"]),
    ("RMSprop alpha nan", lambda: bp.RMSprop(_params(), alpha=NAN), ValueError, ["alpha"]),
    ("RMSprop alpha 2", lambda: bp.RMSprop(_params(), alpha=2), ValueError, ["alpha"]),
    ("NAdam momentum_decay -1", lambda: bp.NAdam(_params(), momentum_decay=-1), ValueError,
     ["momentum_decay"]),
    ("NAdam momentum_decay nan", lambda: bp.NAdam(_params(), momentum_decay=NAN), ValueError,
     ["momentum_decay"]),
    ("clip_norm 0", lambda: bp.SGD(_params(), lr=0.1, clip_norm=0), ValueError, ["0"]),
    ("clip_value nan", lambda: bp.SGD(_params(), lr=0.1, clip_value=NAN), ValueError, ["nan"]),
    ("clip_norm_type 0", lambda: bp.SGD(_params(), lr=0.1, clip_norm=1, clip_norm_type=0),
     ValueError, ["0"]),
    ("decay_mask bad", lambda: bp.SGD(_params(), lr=0.1, decay_mask="nope"), ValueError,
     ["nope"]),
    ("clip_grad_norm max -1", lambda: bp.clip_grad_norm(_params(), -1), ValueError, ["-1"]),
    ("clip_grad_norm max nan", lambda: bp.clip_grad_norm(_params(), NAN), ValueError, ["nan"]),
    ("clip_grad_norm type -1", lambda: bp.clip_grad_norm(_params(), 1, norm_type=-1),
     ValueError, ["-1"]),
    ("clip_grad_value -1", lambda: bp.clip_grad_value(_params(), -1), ValueError, ["-1"]),
    ("clip_grad_norm of ints", lambda: bp.clip_grad_norm([1, 2], 1.0), TypeError, []),
    ("StepLR step_size 0", lambda: bp.StepLR(bp.SGD(_params(), lr=0.1), step_size=0),
     ValueError, ["step_size"]),
    ("StepLR gamma nan", lambda: bp.StepLR(bp.SGD(_params(), lr=0.1), step_size=1, gamma=NAN),
     ValueError, ["gamma"]),
    ("StepLR of a list", lambda: bp.StepLR([1], step_size=1), TypeError, ["Optimizer", "list"]),
    ("MultiStepLR milestones descending",
     lambda: bp.MultiStepLR(bp.SGD(_params(), lr=0.1), milestones=[5, 2]), ValueError,
     ["milestones"]),
    ("MultiStepLR milestones -1",
     lambda: bp.MultiStepLR(bp.SGD(_params(), lr=0.1), milestones=[-1]), ValueError,
     ["milestones"]),
    ("ExponentialLR gamma 0", lambda: bp.ExponentialLR(bp.SGD(_params(), lr=0.1), gamma=0),
     ValueError, ["gamma"]),
    ("Cosine T_max 0", lambda: bp.CosineAnnealingLR(bp.SGD(_params(), lr=0.1), T_max=0),
     ValueError, ["T_max"]),
    ("Cosine eta_min nan",
     lambda: bp.CosineAnnealingLR(bp.SGD(_params(), lr=0.1), T_max=3, eta_min=NAN),
     ValueError, ["eta_min"]),
    ("WarmRestarts T_0 0",
     lambda: bp.CosineAnnealingWarmRestarts(bp.SGD(_params(), lr=0.1), T_0=0), ValueError,
     ["T_0"]),
    ("WarmRestarts T_mult 0.5",
     lambda: bp.CosineAnnealingWarmRestarts(bp.SGD(_params(), lr=0.1), T_0=2, T_mult=0.5),
     TypeError, ["T_mult"]),
    ("LinearLR start 0", lambda: bp.LinearLR(bp.SGD(_params(), lr=0.1), start_factor=0),
     ValueError, ["start_factor"]),
    ("LinearLR total_iters -1",
     lambda: bp.LinearLR(bp.SGD(_params(), lr=0.1), total_iters=-1), ValueError,
     ["total_iters"]),
    ("OneCycle total_steps 0",
     lambda: bp.OneCycleLR(bp.SGD(_params(), lr=0.1), max_lr=1, total_steps=0), ValueError,
     ["total_steps"]),
    ("OneCycle max_lr nan",
     lambda: bp.OneCycleLR(bp.SGD(_params(), lr=0.1), max_lr=NAN, total_steps=10),
     ValueError, ["max_lr"]),
    ("OneCycle pct_start 2",
     lambda: bp.OneCycleLR(bp.SGD(_params(), lr=0.1), max_lr=1, total_steps=10, pct_start=2),
     ValueError, ["pct_start"]),
    ("Plateau factor 1", lambda: bp.ReduceLROnPlateau(bp.SGD(_params(), lr=0.1), factor=1),
     ValueError, ["factor"]),
    ("Plateau mode bad", lambda: bp.ReduceLROnPlateau(bp.SGD(_params(), lr=0.1), mode="up"),
     ValueError, ["up"]),
    ("Plateau patience -1",
     lambda: bp.ReduceLROnPlateau(bp.SGD(_params(), lr=0.1), patience=-1), ValueError,
     ["patience"]),
    ("LambdaLR not callable", lambda: bp.LambdaLR(bp.SGD(_params(), lr=0.1), lr_lambda=3),
     TypeError, ["3"]),
    ("LambdaLR gives nan", lambda: bp.LambdaLR(bp.SGD(_params(), lr=0.1),
                                               lr_lambda=lambda e: NAN), ValueError, ["nan"]),
    ("SequentialLR milestones mismatch",
     lambda: (lambda o: bp.SequentialLR(o, [bp.StepLR(o, 1), bp.StepLR(o, 1)],
                                        milestones=[]))(bp.SGD(_params(), lr=0.1)),
     ValueError, ["milestones"]),
    ("EarlyStopping patience -1", lambda: bp.EarlyStopping(patience=-1), ValueError,
     ["patience"]),
    ("EarlyStopping mode bad", lambda: bp.EarlyStopping(mode="sideways"), ValueError,
     ["sideways"]),
    ("EarlyStopping min_delta nan", lambda: bp.EarlyStopping(min_delta=NAN), ValueError,
     ["min_delta"]),
    ("EarlyStopping monitor 3", lambda: bp.EarlyStopping(monitor=3), TypeError, ["3"]),
    ("LambdaCallback not callable", lambda: bp.LambdaCallback(on_epoch_end=3), TypeError,
     ["3"]),
    ("init unknown name", lambda: bp.init.get("nope"), ValueError, ["nope"]),
    ("RandomShift -1", lambda: bp.RandomShift(-1), ValueError, ["-1"]),
    ("RandomShift image_shape bad", lambda: bp.RandomShift(1, image_shape=(0, 3)), ValueError,
     ["image_shape"]),
]

FIT = [
    ("fit X complex", lambda: _fit(X=X.astype(complex)), TypeError, ["complex"]),
    ("fit X object", lambda: _fit(X=X.astype(object)), TypeError, ["object"]),
    ("fit X strings", lambda: _fit(X=np.full((12, 2), "a")), TypeError, ["<U1"]),
        ("fit X 1-D", lambda: _fit(X=X[:, 0]), ValueError, ["2-D"]),
    ("fit X 3-D", lambda: _fit(X=X[:, :, None]), ValueError, ["2-D"]),
    ("fit X empty", lambda: _fit(X=X[:0], y=Y[:0]), ValueError, ["0"]),
    ("fit X wrong width", lambda: _fit(X=np.ones((12, 3))), ValueError, ["3"]),
    ("fit X nan", lambda: _fit(X=np.where(X > 1, NAN, X)), ValueError, ["nan"]),
    ("fit X inf", lambda: _fit(X=np.where(X > 1, INF, X)), ValueError, ["inf"]),
    ("fit X None", lambda: _fit(X=None), TypeError, ["object"]),
    ("fit y short", lambda: _fit(y=Y[:5]), ValueError, ["5"]),
    ("fit y nan", lambda: _fit(y=np.where(Y > 0, NAN, 0.0)), ValueError, ["nan"]),
    ("fit y 3 classes on 2 outputs", lambda: _fit(y=np.arange(12) % 3), ValueError, ["2"]),
    ("fit y negative", lambda: _fit(y=-Y), ValueError, ["-1"]),
    ("fit y float 0.5", lambda: _fit(y=Y + 0.5), ValueError, [".5", "not an integer"]),
    ("fit y complex", lambda: _fit(y=Y.astype(complex)), TypeError, ["complex"]),
    ("fit y 2-D wrong", lambda: _fit(y=np.ones((12, 5))), ValueError, ["5"]),
    ("fit epochs 0", lambda: _fit(epochs=0), ValueError, ["epochs"]),
    ("fit epochs 1.5", lambda: _fit(epochs=1.5), TypeError, ["1.5"]),
    ("fit epochs nan", lambda: _fit(epochs=NAN), TypeError, ["nan"]),
    ("fit batch_size 0", lambda: _fit(batch_size=0), ValueError, ["batch"]),
    ("fit batch_size -1", lambda: _fit(batch_size=-1), ValueError, ["-1"]),
    ("fit batch_size '4'", lambda: _fit(batch_size="4"), TypeError, ["'4'"]),
    ("fit validation_split 1", lambda: _fit(validation_split=1.0), ValueError,
     ["validation_split"]),
    ("fit validation_split nan", lambda: _fit(validation_split=NAN), ValueError,
     ["validation_split"]),
    ("fit validation_data wrong width", lambda: _fit(validation_data=(np.ones((3, 5)), Y[:3])),
     ValueError, ["5"]),
    ("fit validation_data one item", lambda: _fit(validation_data=(X,)), (ValueError,
                                                                          TypeError),
     ["validation_data"]),
    ("fit loss unknown", lambda: _fit(loss="nope"), ValueError, ["nope"]),
    ("fit loss 3", lambda: _fit(loss=3), TypeError, ["loss", "int"]),
    ("fit optimizer unknown", lambda: _fit(optimizer="nope"), ValueError, ["nope"]),
    ("fit optimizer 3", lambda: _fit(optimizer=3), TypeError, ["3"]),
    ("fit schedule unknown", lambda: _fit(schedule="nope"), ValueError, ["nope"]),
    ("fit schedule_interval bad", lambda: _fit(schedule_interval="hourly"), ValueError,
     ["hourly"]),
    ("fit early_stopping -1", lambda: _fit(early_stopping=-1), ValueError, ["-1"]),
    ("fit early_stopping 'x'", lambda: _fit(early_stopping="x"), TypeError, ["early_stopping"]),
    ("fit callbacks not callbacks", lambda: _fit(callbacks=[3]), TypeError, ["3"]),
    ("fit seed -1", lambda: _fit(seed=-1), ValueError, ["-1"]),
    ("fit seed 'a'", lambda: _fit(seed="a"), TypeError, ["a"]),
    ("fit shuffle 'yes'", lambda: _fit(shuffle="yes"), TypeError, ["yes"]),
    ("fit threads 0", lambda: _fit(threads=0), ValueError, ["threads"]),
    ("fit threads 'many'", lambda: _fit(threads="many"), (ValueError, TypeError), ["many"]),
    ("fit checkpoint_every 0", lambda: _fit(checkpoint="c.npz", checkpoint_every=0),
     ValueError, ["checkpoint_every"]),
    ("fit sample_weight short", lambda: _fit(sample_weight=np.ones(3)), ValueError, ["3"]),
    ("fit sample_weight negative", lambda: _fit(sample_weight=-np.ones(12)), ValueError,
     ["sample_weight"]),
    ("fit sample_weight nan", lambda: _fit(sample_weight=np.full(12, NAN)), ValueError,
     ["sample_weight"]),
    ("fit unknown keyword", lambda: _fit(lr=0.1), TypeError, ["lr"]),
    ("fit augment not callable", lambda: _fit(augment=3), TypeError, ["3"]),
    ("fit diagnostics 'x'", lambda: _fit(diagnostics="x"), (TypeError, ValueError), ["x"]),
    ("fit resume missing", lambda: _fit(resume="/nonexistent/c.npz"), FileNotFoundError,
     ["c.npz"]),
    ("bp.fit not a net", lambda: bp.fit(3, X, Y, loss="squared_error", optimizer="sgd"),
     TypeError, ["int"]),
]

PREDICT = [
    ("predict X wrong width", lambda: _fitted().predict(np.ones((2, 5))), ValueError, ["5"]),
    ("predict X complex", lambda: _fitted().predict(X.astype(complex)), TypeError,
     ["complex"]),
    ("predict X object", lambda: _fitted().predict(np.array([[1, "a"]], object)), TypeError,
     ["object"]),
    ("predict X strings", lambda: _fitted().predict([["1", "2"]]), TypeError, ["<U1"]),
    ("predict X 3-D", lambda: _fitted().predict(np.ones((2, 2, 2))), ValueError, ["2-D"]),
    ("predict X None", lambda: _fitted().predict(None), TypeError, ["object"]),
    ("predict_proba X wrong", lambda: _fitted().predict_proba(np.ones((2, 3))), ValueError,
     ["3"]),
    ("evaluate y short", lambda: _fitted().evaluate(X, Y[:3]), ValueError, ["3"]),
    ("evaluate y label 7", lambda: _fitted().evaluate(X, np.full(12, 7)), ValueError, ["7"]),
    ("evaluate loss unknown", lambda: bp.evaluate(_fitted(), X, Y, loss="nope"), ValueError,
     ["nope"]),
    ("evaluate batch_size 0", lambda: bp.evaluate(_fitted(), X, Y, loss="squared",
                                                  batch_size=0), ValueError, ["batch"]),
    ("bp.predict loss 3", lambda: bp.predict(_fitted(), X, loss=3), TypeError, ["loss", "int"]),
    ("classes_ one class", lambda: setattr(_net(), "classes_", ["a"]), ValueError,
     ["classes"]),
    ("classes_ duplicated", lambda: setattr(_net(), "classes_", ["a", "a"]), ValueError,
     ["a"]),
    ("classes_ wrong count", lambda: setattr(_net(), "classes_", [1, 2, 3]), ValueError,
     ["3"]),
    ("classes_ 2-D", lambda: setattr(_net(), "classes_", [[1, 2]]), ValueError, ["classes"]),
    ("feature_names_ wrong count", lambda: setattr(_net(), "feature_names_", ["a"]),
     ValueError, ["1 feature names"]),
    ("input_transform not a transform", lambda: setattr(_net(), "input_transform", 3),
     TypeError, ["int"]),
    ("forward wrong width", lambda: _net().forward(np.ones((2, 3))), ValueError, ["3"]),
    ("backward wrong shape", lambda: (lambda n: (n.forward(X), n.backward(np.ones((2, 2)))))(
        _net()), ValueError, ["(2, 2)"]),
    ("one_hot negative", lambda: bp.one_hot([0, -1]), ValueError, ["-1"]),
    ("one_hot n_classes too small", lambda: bp.one_hot([0, 3], 2), ValueError, ["3"]),
    ("one_hot floats", lambda: bp.one_hot([0.5, 1]), (TypeError, ValueError), ["0.5"]),
    ("train_val_split fraction 1", lambda: bp.train_val_split(X, Y, 1.0), ValueError, ["1"]),
    ("train_val_split fraction nan", lambda: bp.train_val_split(X, Y, NAN), ValueError,
     ["nan"]),
    ("train_val_split lengths", lambda: bp.train_val_split(X, Y[:3], 0.2), ValueError, ["3"]),
    ("check_Xy task bad", lambda: bp.check_Xy(X, Y, task="nope"), ValueError, ["nope"]),
    ("Standardizer fit nan", lambda: bp.Standardizer().fit(np.full((3, 2), NAN)), ValueError,
     ["nan"]),
    ("Standardizer transform width",
     lambda: bp.Standardizer().fit(X).transform(np.ones((2, 5))), ValueError, ["5"]),
    ("Standardizer transform unfitted", lambda: bp.Standardizer().transform(X), ValueError,
     ["fit"]),
    ("load_dataset unknown", lambda: bp.load_dataset("nope"), ValueError, ["nope"]),
    ("load_dataset 3", lambda: bp.load_dataset(3), TypeError, ["3"]),
    ("spirals n 0", lambda: bp.datasets.spirals(0), ValueError, ["0"]),
    ("spirals noise nan", lambda: bp.datasets.spirals(10, noise=NAN), ValueError, ["noise"]),
    ("spirals n_classes 1", lambda: bp.datasets.spirals(10, n_classes=1), ValueError,
     ["n_classes"]),
]

FILES_API = [
    ("save not a net", lambda: bp.save("x.npz", 3), TypeError, ["int"]),
    ("save path None", lambda: bp.save(None, _net()), TypeError, ["None"]),
    ("save extra not JSON", lambda: bp.save("/tmp/never-written.npz", _net(),
                                            extra={"f": len}), TypeError, ["builtin"]),
    ("save extra nan", lambda: bp.save("/tmp/never-written.npz", _net(), extra={"v": NAN}),
     ValueError, ["finite"]),
    ("save arrays object", lambda: bp.save("/tmp/never-written.npz", _net(),
                                           arrays={"a": np.array([None])}), TypeError,
     ["object"]),
    ("save into a folder", lambda: bp.save("/tmp", _net()), ValueError, ["folder"]),
    ("save to /dev/null", lambda: bp.save("/dev/null", _net()), ValueError, ["/dev/null"]),
    ("save missing folder", lambda: bp.save("/nonexistent/x.npz", _net()), FileNotFoundError,
     ["nonexistent"]),
    ("load missing", lambda: bp.load("/nonexistent/x.npz"), FileNotFoundError, ["x.npz"]),
    ("load a folder", lambda: bp.load("/tmp"), ValueError, ["/tmp"]),
    ("load /dev/zero", lambda: bp.load("/dev/zero"), ValueError, ["/dev/zero"]),
    ("load_spec not a dict", lambda: bp.load_spec(3), ValueError, ["int"]),
    ("load_spec /dev/zero", lambda: bp.load_spec("/dev/zero"), ValueError, ["/dev/zero"]),
    ("load_spec a folder", lambda: bp.load_spec("/tmp"), ValueError, ["/tmp"]),
    ("load_spec empty dict", lambda: bp.load_spec({}), ValueError, ["x"]),
    ("load_spec W ragged", lambda: bp.load_spec({"x": [1, 2], "y": [1], "layers": [
        {"W": [[1, 2], [3]], "b": [0, 0], "activation": "sigmoid"}]}), ValueError, ["W"]),
    ("load_spec W nan", lambda: bp.load_spec({"x": [1], "y": [1], "layers": [
        {"W": [[NAN]], "b": [0], "activation": "sigmoid"}]}), ValueError, ["nan"]),
    ("load_spec x inf", lambda: bp.load_spec({"x": [INF], "y": [1], "layers": [
        {"W": [[1]], "b": [0], "activation": "sigmoid"}]}), ValueError, ["inf"]),
    ("load_spec lr -1", lambda: bp.load_spec({"x": [1], "y": [1], "learning_rate": -1,
                                              "layers": [{"W": [[1]], "b": [0],
                                                          "activation": "sigmoid"}]}),
     ValueError, ["-1"]),
    ("load_spec activation unknown", lambda: bp.load_spec({"x": [1], "y": [1], "layers": [
        {"W": [[1]], "b": [0], "activation": "nope"}]}), ValueError, ["nope"]),
    ("load_mnist missing folder", lambda: bp.load_mnist("/nonexistent"), FileNotFoundError,
     ["nonexistent"]),
    ("load_mnist kind bad", lambda: bp.load_mnist("/tmp", kind="nope"), ValueError, ["nope"]),
    ("load_csv delimiter ''", lambda: bp.data.load_csv(__file__, delimiter=""), ValueError,
     ["delimiter"]),
    ("load_csv header 'yes'", lambda: bp.data.load_csv(__file__, header="yes"), ValueError,
     ["yes"]),
    ("load_csv /dev/zero", lambda: bp.data.load_csv("/dev/zero"), ValueError, ["/dev/zero"]),
    ("load_idx /dev/zero", lambda: bp.data.load_idx("/dev/zero"), ValueError, ["/dev/zero"]),
    ("load_npz /dev/zero", lambda: bp.data.load_npz("/dev/zero"), ValueError, ["/dev/zero"]),
    ("gradcheck eps 0", lambda: bp.gradcheck(_net(), bp.SquaredError(), X, np.ones((12, 2)),
                                             eps=0), ValueError, ["eps"]),
    ("gradcheck eps nan", lambda: bp.gradcheck(_net(), bp.SquaredError(), X,
                                               np.ones((12, 2)), eps=NAN), ValueError,
     ["eps"]),
    ("gradcheck method bad", lambda: bp.gradcheck(_net(), bp.SquaredError(), X,
                                                  np.ones((12, 2)), method="nope"),
     ValueError, ["nope"]),
    ("gradcheck loss a string", lambda: bp.gradcheck(_net(), "nope", X, np.ones((12, 2))),
     (TypeError, ValueError), ["nope"]),
    ("gradcheck X wrong", lambda: bp.gradcheck(_net(), bp.SquaredError(), np.ones((2, 5)),
                                               np.ones((2, 2))), ValueError, ["5"]),
    ("gradcheck tolerance -1", lambda: bp.gradcheck(_net(), bp.SquaredError(), X,
                                                    np.ones((12, 2)), tolerance=-1),
     ValueError, ["tolerance"]),
    ("trace lr 0", lambda: bp.trace(_net(), bp.SquaredError(), X[:1], np.ones((1, 2)), lr=0),
     ValueError, ["0"]),
    ("trace loss str", lambda: bp.trace(_net(), "nope", X[:1], np.ones((1, 2))),
     (TypeError, ValueError), ["str"]),
    ("chain unknown name", lambda: bp.chain("nope(x)", x=1), ValueError, ["nope"]),
    ("chain value nan", lambda: bp.chain("x*2", x=NAN), ValueError, ["x"]),
    ("chain value str", lambda: bp.chain("x*2", x="a"), (TypeError, ValueError), ["a"]),
    ("chain formula 3", lambda: bp.chain(3), ValueError, ["int"]),
    ("to_onnx not a net", lambda: bp.to_onnx(3, "/tmp/never.onnx"), TypeError, ["int"]),
    ("to_onnx to a folder", lambda: bp.to_onnx(_net(), "/tmp"), ValueError, ["folder"]),
    ("to_torch not a net", lambda: bp.to_torch(3), TypeError, ["int"]),
    ("from_torch not a module", lambda: bp.from_torch(3), TypeError, ["int"]),
]

SKLEARN = [
    ("clf hidden 0", lambda: bsk.BackpropClassifier((0,)).fit(X, Y), ValueError, ["0"]),
    ("clf max_iter 0", lambda: bsk.BackpropClassifier(max_iter=0).fit(X, Y), ValueError,
     ["max_iter"]),
    ("clf activation bad", lambda: bsk.BackpropClassifier(activation="nope").fit(X, Y),
     ValueError, ["nope"]),
    ("clf optimizer bad", lambda: bsk.BackpropClassifier(optimizer="nope").fit(X, Y),
     ValueError, ["nope"]),
    ("clf optimizer_params bad", lambda: bsk.BackpropClassifier(
        optimizer_params={"lr": -1}).fit(X, Y), ValueError, ["-1"]),
    ("clf optimizer_params unknown", lambda: bsk.BackpropClassifier(
        optimizer_params={"nope": 1}).fit(X, Y), (TypeError, ValueError), ["nope"]),
    ("clf batch_size 0", lambda: bsk.BackpropClassifier(batch_size=0).fit(X, Y), ValueError,
     ["batch_size"]),
    ("clf batch_size 'big'", lambda: bsk.BackpropClassifier(batch_size="big").fit(X, Y),
     (TypeError, ValueError), ["big"]),
    ("clf tol nan", lambda: bsk.BackpropClassifier(tol=NAN).fit(X, Y), ValueError, ["tol"]),
    ("clf validation_fraction 1", lambda: bsk.BackpropClassifier(
        early_stopping=True, validation_fraction=1.0).fit(X, Y), ValueError,
     ["validation_fraction"]),
    ("clf dtype float16", lambda: bsk.BackpropClassifier(dtype="float16").fit(X, Y),
     ValueError, ["float16"]),
    ("clf class_weight bad", lambda: bsk.BackpropClassifier(class_weight="nope").fit(X, Y),
     ValueError, ["nope"]),
    ("clf one class", lambda: bsk.BackpropClassifier(max_iter=1).fit(X, np.zeros(12)),
     ValueError, ["class"]),
    ("clf y nan", lambda: bsk.BackpropClassifier(max_iter=1).fit(X, np.full(12, NAN)),
     ValueError, ["NaN"]),
    ("clf X nan", lambda: bsk.BackpropClassifier(max_iter=1).fit(np.full((12, 2), NAN), Y),
     ValueError, ["nan"]),
    ("clf X complex", lambda: bsk.BackpropClassifier(max_iter=1).fit(X.astype(complex), Y),
     (TypeError, ValueError), ["Complex"]),
    ("clf lengths differ", lambda: bsk.BackpropClassifier(max_iter=1).fit(X, Y[:4]),
     ValueError, ["4"]),
    ("clf predict unfitted", lambda: bsk.BackpropClassifier().predict(X), (ValueError,
                                                                          AttributeError),
     ["fit"]),
    ("clf predict wrong width", lambda: bsk.BackpropClassifier(max_iter=1).fit(X, Y).predict(
        np.ones((2, 5))), ValueError, ["5"]),
    ("reg y strings", lambda: bsk.BackpropRegressor(max_iter=1).fit(X, np.array(["a"] * 12)),
     (TypeError, ValueError), ["a"]),
    ("reg y inf", lambda: bsk.BackpropRegressor(max_iter=1).fit(X, np.full(12, INF)),
     ValueError, ["inf"]),
    ("reg schedule bad", lambda: bsk.BackpropRegressor(schedule="nope").fit(X, X[:, 0]),
     ValueError, ["nope"]),
    ("reg n_iter_no_change 0", lambda: bsk.BackpropRegressor(
        early_stopping=True, n_iter_no_change=0).fit(X, X[:, 0]), ValueError,
     ["n_iter_no_change"]),
]

TABLES = {"build": BUILD, "optim": OPTIM, "fit": FIT, "predict": PREDICT, "files": FILES_API,
          "sklearn": SKLEARN}
ALL = [(f"{k}: {c[0]}", *c[1:]) for k, table in TABLES.items() for c in table]


@pytest.mark.parametrize("case", ALL, ids=[c[0] for c in ALL])
def test_a_bad_call_raises_a_named_error(case, tmp_path, monkeypatch):
    _, call, exc, words = case
    monkeypatch.chdir(tmp_path)  # a case that writes by mistake writes here
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    assert message, "an empty message"
    for w in words:
        assert w in message, (w, message)
    assert not (tmp_path / "c.npz").exists()
    assert not any(p.name.startswith("never") for p in tmp_path.parent.glob("never*"))


# --- inputs that may be accepted: the answer must then be right --------------------------------
def test_int_and_list_inputs_predict_as_floats():
    net = _fitted()
    expect = net.predict_proba(X.round())
    assert np.array_equal(net.predict_proba(X.round().astype(int)), expect)
    assert np.array_equal(net.predict_proba(X.round().tolist()), expect)


def test_float32_input_to_a_float64_network_is_right():
    net = _fitted()
    got = net.predict_proba(X.astype(np.float32))
    want = net.predict_proba(X.astype(np.float32).astype(np.float64))
    assert np.allclose(got, want, rtol=1e-12)


def test_float16_input_is_refused_or_computed_in_the_networks_precision():
    net = _fitted()
    try:
        got = net.predict_proba(X.astype(np.float16))
    except (TypeError, ValueError) as exc:
        assert "float16" in str(exc)
        return
    want = net.predict_proba(X.astype(np.float16).astype(np.float64))
    assert np.allclose(got, want, rtol=1e-6)


def test_bool_labels_train_a_two_class_model():
    try:
        net = _net()
        net.fit(X, Y.astype(bool), loss="softmax_cross_entropy", optimizer="adam", epochs=1,
                verbose=False)
    except (TypeError, ValueError) as exc:
        assert "bool" in str(exc)
        return
    assert set(np.unique(net.predict(X)).tolist()) <= {0, 1}


def test_a_label_column_vector_is_refused_naming_its_shape():
    net = _net()
    with pytest.raises(ValueError, match="1 columns for 2 classes"):
        net.fit(X, Y[:, None], loss="softmax_cross_entropy", optimizer="adam", epochs=1,
                verbose=False)


def test_huge_features_never_give_nan_predictions_silently():
    net = _net()
    Xb = X * 1e300
    try:
        net.fit(Xb, Y, loss="softmax_cross_entropy", optimizer="adam", epochs=2,
                verbose=False)
    except (ValueError, TypeError):
        return
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())


def test_training_that_goes_non_finite_keeps_finite_parameters():
    import warnings

    net = _net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, Y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(), lr=1e30),
                epochs=5, verbose=False)
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())
    assert np.all(np.isfinite(net.predict_proba(X)))


def test_a_keyboard_interrupt_during_fit_stops_with_a_consistent_model():
    net = _net()
    before = [p.data.copy() for p in net.parameters()]
    calls = []

    def stop(state, logs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    history = net.fit(X, Y, loss="softmax_cross_entropy", optimizer="adam", epochs=5,
                      batch_size=4, verbose=False,
                      callbacks=[bp.LambdaCallback(on_batch_end=stop)])
    assert history.interrupted and "interrupted" in history.stop_reason
    # the steps that finished are in the parameters; nothing half-written
    assert all(np.all(np.isfinite(p.data)) for p in net.parameters())
    assert any(not np.array_equal(p.data, b) for p, b in zip(net.parameters(), before,
                                                                strict=True))
    out = net.predict_proba(X)
    assert out.shape == (12, 2) and np.allclose(out.sum(axis=1), 1)
    net.fit(X, Y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False)


def test_an_interrupted_fit_predicts_deterministically():
    net = bp.mlp([2, 4, 2], dropout=0.5, rng=0)

    def stop(state, logs):
        raise KeyboardInterrupt

    net.fit(X, Y, loss="softmax_cross_entropy", optimizer="adam", epochs=2, verbose=False,
            callbacks=[bp.LambdaCallback(on_batch_end=stop)])
    assert np.array_equal(net.predict_proba(X), net.predict_proba(X))
