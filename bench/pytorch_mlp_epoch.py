#!/usr/bin/python3
"""pytorch_mlp_epoch.py: the anchor for gelu-lab's speed. One training epoch of mnist_classify's
MLP (784 -> 8 x 128 -> 10, Adam 1e-3, batch 128, 55,000 Fashion-MNIST images) in plain PyTorch
on the CPU; prints one parseable line:

  pytorch_mlp_epoch threads=1 act=gelu dropout=1 epochs=3 sec_per_epoch=1.234 loss=0.456

The epoch does what a gelu-lab epoch does: the 429 steps (each also counting its errors; with
dropout, the paper's dropout-off logging pass on the minibatch before the update), then the loss
and error on the 5,000 validation and 10,000 test images in chunks of 5,000. --train-only skips
the evaluations and the logging work (the bare training loop).
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

DIR = "/usr/share/datasets/fashion-mnist/"
DATA = DIR + "train-images-idx3-ubyte.gz"
LABELS = DIR + "train-labels-idx1-ubyte.gz"
TEST_DATA = DIR + "t10k-images-idx3-ubyte.gz"
TEST_LABELS = DIR + "t10k-labels-idx1-ubyte.gz"
EVAL_CHUNK = 5000
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


def load(images_path, labels_path):
    h, pix = read_idx(images_path, 4)
    if h[0] != 2051:
        sys.exit(f"pytorch_mlp_epoch: {images_path}: not an idx3 image file (magic {h[0]})")
    images = pix.reshape(int(h[1]), int(h[2]) * int(h[3])).astype(np.float32) / 255.0
    hl, lab = read_idx(labels_path, 2)
    if hl[0] != 2049 or int(hl[1]) != images.shape[0]:
        sys.exit(f"pytorch_mlp_epoch: {labels_path}: not the labels of {images_path}")
    return torch.from_numpy(images.copy()), torch.from_numpy(lab.astype(np.int64))


def evaluate(model, x, y):
    """Mean loss and error over (x, y) in chunks, dropout off (what gelu-lab logs per epoch)."""
    model.eval()
    loss, wrong = 0.0, 0
    with torch.no_grad():
        for b in range(0, x.shape[0], EVAL_CHUNK):
            logits = model(x[b:b + EVAL_CHUNK])
            yy = y[b:b + EVAL_CHUNK]
            loss += float(F.cross_entropy(logits, yy, reduction="sum"))
            wrong += int(logits.argmax(1).ne(yy).sum())
    model.train()
    return loss / x.shape[0], wrong / x.shape[0]


def unit_norm_init(layers):
    """The paper's init: W ~ N(0,1) of shape (in, out), each column (one unit's incoming weights)
    scaled to unit L2 norm, zero biases; in torch's (out, in) layout that is each row."""
    with torch.no_grad():
        for lin in layers:
            w = torch.randn(lin.weight.shape)
            lin.weight.copy_(w / w.norm(dim=1, keepdim=True).clamp_min(1e-12))
            lin.bias.zero_()


class MLP(torch.nn.Module):
    """784 -> 128 (x8, activation then dropout after each) -> 10 logits; 217,354 parameters."""

    def __init__(self, act, keep):
        super().__init__()
        dims = [784] + [HIDDEN] * DEPTH + [10]
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.act = ACTIVATIONS[act]
        self.keep = keep
        unit_norm_init(self.layers)

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
    ap.add_argument("--train-only", action="store_true",
                    help="the bare training loop: no evaluations, no logging pass, no error counts")
    args = ap.parse_args()
    if not 0.0 < args.dropout <= 1.0:
        ap.error("--dropout is a keep probability in (0, 1]")
    if args.epochs < 1 or args.threads < 1:
        ap.error("--epochs and --threads must be >= 1")

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as gelu-lab's runs (FTZ/DAZ; no effect in the first epochs)
    torch.manual_seed(args.seed)
    xall, yall = load(DATA, LABELS)
    x, y = xall[N_VALIDATION:], yall[N_VALIDATION:]
    xval, yval = xall[:N_VALIDATION], yall[:N_VALIDATION]
    xte, yte = load(TEST_DATA, TEST_LABELS)
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
        wrong = torch.zeros((), dtype=torch.int64)
        for s in range(steps):
            idx = perm[s * BATCH:(s + 1) * BATCH]
            xb, yb = x[idx], y[idx]
            if args.dropout < 1.0 and not args.train_only:  # the paper's logging pass
                model.eval()
                with torch.no_grad():
                    logits = model(xb)
                    total += F.cross_entropy(logits, yb)
                    wrong += logits.argmax(1).ne(yb).sum()
                model.train()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if args.dropout >= 1.0 or args.train_only:
                total += loss.detach()
                if not args.train_only:
                    wrong += logits.detach().argmax(1).ne(yb).sum()
        if not args.train_only:
            evaluate(model, xval, yval)
            evaluate(model, xte, yte)
        times.append(time.perf_counter() - t0)
        last_loss = float(total) / steps
    sec = statistics.median(times[1:] if len(times) > 1 else times)
    print(f"pytorch_mlp_epoch threads={args.threads} act={args.act} dropout={args.dropout:g} "
          f"epochs={args.epochs} train_only={int(args.train_only)} sec_per_epoch={sec:.3f} "
          f"loss={last_loss:.4f}")


if __name__ == "__main__":
    main()
