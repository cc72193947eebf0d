#!/usr/bin/python3
"""pytorch_ae_epoch.py: the anchor for gelu-lab's mnist_autoencoder speed. One training epoch of
the paper's deep autoencoder (784-1000-500-250-30-250-500-1000-784, the activation after every
hidden layer, linear output, per-pixel MSE, Adam, batch 64, all 60,000 training images: 937 steps)
in plain PyTorch on the CPU, then the test MSE on the 10,000 test images in chunks of 5,000: the
work of one gelu-lab epoch. Prints one parseable line:

  pytorch_ae_epoch threads=1 act=gelu epochs=2 sec_per_epoch=17.9 loss=0.0213

sec_per_epoch is the median over the epochs after the first (the first only when --epochs 1);
loss is the mean training-step MSE of the last epoch. Needs Debian's /usr/bin/python3 (torch).
Usage: /usr/bin/python3 bench/pytorch_ae_epoch.py [--data DIR] [--act gelu] [--epochs 2]
"""

import argparse
import gzip
import os
import statistics
import sys
import time

import numpy as np

# Debian's torch calls OpenBLAS for its GEMMs, whose thread pool ignores torch.set_num_threads:
# pin it to --threads before torch loads it (otherwise "1 thread" uses every core for GEMMs).
_threads = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--threads"), "1")
os.environ["OPENBLAS_NUM_THREADS"] = _threads
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from pytorch_mlp_epoch import unit_norm_init  # noqa: E402  (same folder)

BATCH = 64
EVAL_CHUNK = 5000
WIDTHS = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "elu": F.elu, "silu": F.silu,
               "gelu_tanh": lambda x: F.gelu(x, approximate="tanh")}


def images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    h = np.frombuffer(raw[:16], dtype=">u4")
    if h[0] != 2051:
        sys.exit(f"pytorch_ae_epoch: {path}: not an idx3 image file (magic {h[0]})")
    pix = np.frombuffer(raw[16:], dtype=np.uint8).reshape(int(h[1]), int(h[2]) * int(h[3]))
    return torch.from_numpy(pix.astype(np.float32) / 255.0)


class AE(torch.nn.Module):
    def __init__(self, act):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(i, o) for i, o in zip(WIDTHS[:-1], WIDTHS[1:]))
        self.act = ACTIVATIONS[act]
        unit_norm_init(self.layers)

    def forward(self, x):
        for lin in self.layers[:-1]:
            x = self.act(lin(x))
        return self.layers[-1](x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--act", default="gelu", choices=sorted(ACTIVATIONS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    if args.epochs < 1 or args.threads < 1:
        ap.error("--epochs and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as gelu-lab
    torch.manual_seed(1)
    x = images(f"{args.data}/train-images-idx3-ubyte.gz")
    xte = images(f"{args.data}/t10k-images-idx3-ubyte.gz")
    model = AE(args.act)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    steps = x.shape[0] // BATCH
    times, loss_sum = [], 0.0
    for _ in range(args.epochs):
        t = time.perf_counter()
        order = torch.randperm(x.shape[0])
        loss_sum = 0.0
        for s in range(steps):
            b = x[order[s * BATCH:(s + 1) * BATCH]]
            loss = F.mse_loss(model(b), b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss)
        with torch.no_grad():
            model.eval()
            test = sum(float(F.mse_loss(model(c), c, reduction="sum"))
                       for c in xte.split(EVAL_CHUNK)) / xte.numel()
            model.train()
        times.append(time.perf_counter() - t)
    sec = statistics.median(times[1:] if len(times) > 1 else times)
    print(f"pytorch_ae_epoch threads={args.threads} act={args.act} epochs={args.epochs} "
          f"sec_per_epoch={sec:.3f} loss={loss_sum / steps:.4f} test_mse={test:.4f}")


if __name__ == "__main__":
    main()
