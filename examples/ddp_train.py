"""Train a backprop network with PyTorch's DistributedDataParallel, then bring it back.

    python examples/ddp_train.py                        # 2 CPU processes (gloo) on this machine
    python examples/ddp_train.py --world-size 4 --steps 20 --output ddp.npz
    python examples/ddp_train.py --compare              # also train in one process and compare
    torchrun --nproc-per-node 2 examples/ddp_train.py   # the same script under torchrun;
                                                        # on GPUs the backend is NCCL

The recipe, on every worker: build the network (the same seed everywhere, so the same start),
``bp.to_torch(net)``, wrap it in ``DistributedDataParallel``, train on the worker's own equal share
of every batch with ``torch.optim.SGD``; then rank 0 turns the trained module back into a
backprop network with ``bp.from_torch`` and saves it with ``bp.save`` -- ready for ``bp.trace``,
``bp.gradcheck`` or ``backprop report``.

Why moving to the distributed engine does not change the math: backprop's cost is the mean over
the batch, ``J = (1/B) sum_i L_i``, and DDP *averages* the workers' gradients (an all-reduce sum
divided by the world size W). With W workers holding B/W rows each,

    (1/W) sum_k (W/B) sum_{i in share k} grad L_i = (1/B) sum_i grad L_i,

the full-batch gradient: W workers with B/W rows take the steps one process with B rows takes,
up to rounding (``--compare`` measures it; the test holds it to 1e-12 in float64). This needs
equal shares (B divisible by W) and no batch norm in training mode -- each worker would
normalise with its own share's statistics (``torch.nn.SyncBatchNorm`` on GPUs avoids that).

Launching: without torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ...) the
script starts the workers itself with ``torch.multiprocessing.spawn``; they meet at a
``TCPStore`` this process holds on 127.0.0.1 at a port the system picks (bound to port 0 and
kept, so no other program can take it between choosing and using it). Under torchrun it is one
of the workers. The timeouts are generous (``TIMEOUT``): on a busy machine starting a worker
(importing torch) can take a minute, and a short timeout would fail a run that is only slow.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import backprop as bp

#: how long a worker waits for the others (rendezvous, each collective): generous, since a
#: loaded machine is slow to start processes; an idle one never waits for it
TIMEOUT = datetime.timedelta(minutes=10)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--world-size", type=int, default=2,
                   help="workers to spawn (default 2; under torchrun, torchrun's count)")
    p.add_argument("--batch", type=int, default=64, help="rows per step, all workers together")
    p.add_argument("--steps", type=int, default=5, help="SGD steps (default 5)")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=("auto", "gloo", "nccl"), default="auto",
                   help="auto: NCCL when there is a GPU per worker, gloo otherwise")
    p.add_argument("--output", default="ddp_trained.npz", help="the trained backprop model")
    p.add_argument("--compare", action="store_true",
                   help="train the same steps in one process with backprop and print the "
                        "largest difference of the parameters (JSON)")
    return p


def make_problem(args: argparse.Namespace) -> tuple[bp.Sequential, np.ndarray, np.ndarray]:
    """The network and the batch every worker starts from (the same seed gives the same)."""
    X, y = bp.datasets.spirals(args.batch, n_classes=3, noise=0.05, rng=args.seed)
    net = bp.mlp([2, 32, 32, 3], activation="tanh", dtype="float64", rng=args.seed)
    return net, X, y


def choose_backend(args: argparse.Namespace, world_size: int) -> str:
    if args.backend != "auto":
        return args.backend
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return "nccl" if dist.is_nccl_available() and gpus >= world_size else "gloo"


def worker(rank: int, world_size: int, args: argparse.Namespace,
           store_port: int | None = None) -> None:
    """One DDP worker: train on this rank's share; rank 0 saves the result as a backprop model.

    ``store_port``: the port of the rendezvous store the spawning process holds on 127.0.0.1;
    None under torchrun (its environment says where to meet)."""
    backend = choose_backend(args, world_size)
    if store_port is None:
        dist.init_process_group(backend, rank=rank, world_size=world_size, timeout=TIMEOUT)
    else:
        store = dist.TCPStore("127.0.0.1", store_port, is_master=False, timeout=TIMEOUT)
        dist.init_process_group(backend, store=store, rank=rank, world_size=world_size,
                                timeout=TIMEOUT)
    try:
        torch.set_num_threads(1)
        local = int(os.environ.get("LOCAL_RANK", rank))
        device = torch.device(f"cuda:{local}") if backend == "nccl" else torch.device("cpu")
        net, X, y = make_problem(args)
        module = bp.to_torch(net).to(device)
        model = DistributedDataParallel(module, device_ids=[local] if backend == "nccl" else None)
        share = args.batch // world_size
        rows = slice(rank * share, (rank + 1) * share)
        xs = torch.from_numpy(X[rows]).to(device)
        ys = torch.from_numpy(y[rows]).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
        for _ in range(args.steps):
            opt.zero_grad()
            # the mean over this worker's rows; DDP averages over workers in backward()
            loss = torch.nn.functional.cross_entropy(model(xs), ys)
            loss.backward()
            opt.step()
        if rank == 0:
            bp.save(args.output, bp.from_torch(module.cpu()),
                    extra={"loss": "softmax_cross_entropy", "trained_with":
                           f"DDP, {world_size} workers ({backend}), {args.steps} SGD steps"})
    finally:
        dist.destroy_process_group()


def train_single(args: argparse.Namespace) -> bp.Sequential:
    """The same steps in one process, with backprop alone, on all B rows."""
    net, X, y = make_problem(args)
    loss = bp.SoftmaxCrossEntropy()
    opt = bp.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    for _ in range(args.steps):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
    return net


def compare(args: argparse.Namespace, world_size: int) -> dict[str, float]:
    """The largest differences between the DDP-trained parameters and the one-process ones."""
    ddp = bp.load(args.output)
    single = train_single(args)
    max_abs = max_rel = 0.0
    for p, q in zip(ddp.parameters(), single.parameters(), strict=True):
        diff = float(np.max(np.abs(p.data - q.data)))
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / max(float(np.max(np.abs(q.data))), 1e-300))
    return {"world_size": world_size, "batch": args.batch, "steps": args.steps,
            "max_abs": max_abs, "max_rel": max_rel}


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    under_torchrun = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    if under_torchrun:
        args.world_size = int(os.environ["WORLD_SIZE"])
    if args.batch % args.world_size:
        p.error(f"--batch {args.batch} must be divisible by the number of workers "
                f"{args.world_size}: DDP averages the workers' gradients, which equals the "
                f"full-batch mean only for equal shares")
    if under_torchrun:
        rank, world_size = int(os.environ["RANK"]), args.world_size
        worker(rank, world_size, args)
        if rank == 0 and args.compare:
            print(json.dumps(compare(args, world_size)))
        return 0
    # on our own: spawn the workers on this machine only, meeting at a store held here on a
    # port the system picks (port 0) -- choosing a free port and letting the workers bind it
    # later would leave a moment in which another program can take it
    store = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False,
                          timeout=TIMEOUT)
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback, whatever the hostname says
    mp.spawn(worker, args=(args.world_size, args, store.port), nprocs=args.world_size,
             join=True)
    del store  # the workers are done with it
    print(f"trained with DDP ({args.world_size} workers), saved to {args.output}",
          file=sys.stderr)
    if args.compare:
        print(json.dumps(compare(args, args.world_size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
