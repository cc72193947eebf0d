#!/usr/bin/python3
"""pytorch_mlp_epoch.py: the anchor for gelu-lab's speed. One training epoch of mnist_classify's
MLP (784 -> 8 x 128 -> 10, Adam 1e-3, batch 128, 55,000 Fashion-MNIST images) in plain PyTorch
on the CPU; prints one parseable line:

  pytorch_mlp_epoch threads=1 act=gelu dropout=1 epochs=3 sec_per_epoch=1.234 loss=0.456

sec_per_epoch is the median over the epochs after the first (the first only when --epochs 1);
loss is the mean training-step loss of the last epoch. Needs Debian's /usr/bin/python3 (torch).
Debian's torch uses OpenMP: on a loaded machine, --threads 2 with the default spin-waiting can be
ten times slower than one thread; OMP_WAIT_POLICY=PASSIVE avoids that (say which was used).
"""

import argparse
import gzip
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"
N_VALIDATION = 5000  # the first 5,000 training images are the validation set (paper, TF)
BATCH = 128
HIDDEN = 128
DEPTH = 8
ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),  # exact x * Phi(x)
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "elu": F.elu,  # alpha = 1
    "silu": F.silu,
}


def read_idx(path, header_ints):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = np.frombuffer(raw[:4 * header_ints], dtype=">u4")
    return header, np.frombuffer(raw[4 * header_ints:], dtype=np.uint8)


def load_train():
    h, pix = read_idx(DATA, 4)
    if h[0] != 2051:
        sys.exit(f"pytorch_mlp_epoch: {DATA}: not an idx3 image file (magic {h[0]})")
    images = pix.reshape(int(h[1]), int(h[2]) * int(h[3])).astype(np.float32) / 255.0
    hl, lab = read_idx(LABELS, 2)
    if hl[0] != 2049 or int(hl[1]) != images.shape[0]:
        sys.exit(f"pytorch_mlp_epoch: {LABELS}: not the labels of {DATA}")
    x = torch.from_numpy(images[N_VALIDATION:].copy())
    y = torch.from_numpy(lab[N_VALIDATION:].astype(np.int64))
    return x, y


class MLP(torch.nn.Module):
    """784 -> 128 (x8, activation then dropout after each) -> 10 logits; 217,354 parameters."""

    def __init__(self, act, keep):
        super().__init__()
        dims = [784] + [HIDDEN] * DEPTH + [10]
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.act = ACTIVATIONS[act]
        self.keep = keep
        with torch.no_grad():
            for lin in self.layers:
                # Paper: W ~ N(0,1) of shape (in, out), each column (one unit's incoming
                # weights) scaled to unit L2 norm; in torch's (out, in) layout that is each row.
                w = torch.randn(lin.weight.shape)
                lin.weight.copy_(w / w.norm(dim=1, keepdim=True).clamp_min(1e-12))
                lin.bias.zero_()

    def forward(self, x):
        for lin in self.layers[:-1]:
            x = self.act(lin(x))
            if self.keep < 1.0:
                x = F.dropout(x, p=1.0 - self.keep, training=self.training)
        return self.layers[-1](x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--act", default="gelu", choices=sorted(ACTIVATIONS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--dropout", type=float, default=1.0, metavar="KEEP",
                    help="keep probability after every hidden layer (1 = no dropout)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not 0.0 < args.dropout <= 1.0:
        ap.error("--dropout is a keep probability in (0, 1]")
    if args.epochs < 1 or args.threads < 1:
        ap.error("--epochs and --threads must be >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load_train()
    model = MLP(args.act, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    steps = x.shape[0] // BATCH  # 429 full batches; the remainder is dropped
    gen = torch.Generator().manual_seed(args.seed)
    times, last_loss = [], float("nan")
    model.train()
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0], generator=gen)
        total = torch.zeros(())
        for s in range(steps):
            idx = perm[s * BATCH:(s + 1) * BATCH]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        times.append(time.perf_counter() - t0)
        last_loss = float(total) / steps
    sec = statistics.median(times[1:] if len(times) > 1 else times)
    print(f"pytorch_mlp_epoch threads={args.threads} act={args.act} dropout={args.dropout:g} "
          f"epochs={args.epochs} sec_per_epoch={sec:.3f} loss={last_loss:.4f}")


if __name__ == "__main__":
    main()
