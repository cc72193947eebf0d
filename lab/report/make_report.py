#!/usr/bin/python3
"""make_report.py: turns a gelu-lab results directory into report.html, report.md, tables.csv and
figures in the style of the GELU paper (Fig. 2: MNIST log loss, Fig. 3: robustness to noise).

Usage: /usr/bin/python3 lab/report/make_report.py DIR [--out OUTDIR] [--svg]
Reads DIR/runs/*.jsonl (one record per evaluated epoch and split, see docs in DESIGN.md) and
DIR/summary.csv. Standard library + numpy + matplotlib (Agg) only. Exit 0 on success, 2 when
DIR is missing or holds no results. Malformed lines are skipped with a warning naming file:line.
"""

import argparse
import base64
import csv
import datetime
import html
import io
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after selecting the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

EXIT_NO_DATA = 2

REQUIRED_FIELDS = ("experiment", "activation", "lr", "dropout", "seed", "epoch", "split", "loss")
SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "validation": "val",
                 "test": "test"}
SPLITS = ("train", "val", "test")

# The noise experiment evaluates the classifiers trained by mnist_classify; when it carries no
# validation data of its own, its learning rate is the one selected there.
SELECTION_SOURCE = {"mnist_noise": "mnist_classify"}
NOISE_TABLE_LEVELS = (0.0, 0.5, 1.0, 2.0, 3.0)

ACT_ORDER = ["gelu", "gelu_tanh", "gelu_sigmoid", "gaussian_gelu", "silu", "elu", "relu"]
ACT_LABELS = {
    "gelu": "GELU",
    "gelu_tanh": "GELU (tanh approx.)",
    "gelu_sigmoid": "GELU (sigmoid approx.)",
    "gaussian_gelu": "Gaussian GELU",
    "silu": "SiLU",
    "elu": "ELU",
    "relu": "ReLU",
}
ACT_COLORS = {
    "gelu": "#1f77b4",
    "gelu_tanh": "#17becf",
    "gelu_sigmoid": "#8c564b",
    "gaussian_gelu": "#e377c2",
    "silu": "#9467bd",
    "elu": "#2ca02c",
    "relu": "#d62728",
}
EXTRA_COLORS = ["#ff7f0e", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#843c39"]

# Two-sided 95% quantiles of Student's t, t_{0.975}(df) for df = 1..30 (checked against numeric
# integration of the t density); larger df use the Cornish-Fisher expansion below.
T975 = [
    12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252,
    2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688,
    2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845,
    2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142,
    2.045229642, 2.042272456,
]


def t975(df):
    """t_{0.975}(df); for df > 30 Abramowitz & Stegun 26.7.5 (error < 1e-6 there)."""
    if df <= 30:
        return T975[df - 1]
    z = 1.959963984540054
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


# ----------------------------------------------------------------------------------------------
# Loading


class Warnings:
    def __init__(self):
        self.items = []

    def __call__(self, msg):
        self.items.append(msg)
        print(f"make_report: warning: {msg}", file=sys.stderr)


def _num(v, field):
    """JSON number, or null/"NaN" for a diverged value (nlohmann::json writes NaN as null)."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        raise ValueError(f"field '{field}' is a boolean")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
    raise ValueError(f"field '{field}' is not a number: {v!r}")


def _normalize(obj):
    missing = [k for k in REQUIRED_FIELDS if k not in obj]
    if missing:
        raise ValueError("missing field(s) " + ", ".join(missing))
    split = SPLIT_ALIASES.get(str(obj["split"]).lower())
    if split is None:
        raise ValueError(f"unknown split {obj['split']!r} (expected train, val or test)")
    seed = obj["seed"]
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    if not isinstance(seed, (int, str)) or isinstance(seed, bool):
        raise ValueError(f"field 'seed' is not an integer: {seed!r}")
    raw_dropout = _num(obj["dropout"], "dropout")
    if obj.get("keep") is not None:
        keep = _num(obj["keep"], "keep")  # gelu-lab: dropout = drop rate, keep = 1 - dropout
    elif raw_dropout == 0.0:
        keep = 1.0  # 0 cannot be a keep probability: it is a drop rate
    else:
        keep = raw_dropout  # no keep field: dropout read as the keep probability
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep probability {keep!r} (from dropout/keep) is not in (0, 1]")
    rec = {
        "experiment": str(obj["experiment"]),
        "activation": str(obj["activation"]),
        "lr": _num(obj["lr"], "lr"),
        "dropout": keep,  # everywhere below: the keep probability
        "dropout_raw": raw_dropout,
        "seed": seed,
        "epoch": _num(obj["epoch"], "epoch"),
        "split": split,
        "loss": _num(obj["loss"], "loss"),
        "error": _num(obj["error"], "error") if "error" in obj else None,
        "noise": _num(obj["noise"], "noise") if obj.get("noise") is not None else None,
        "selected": obj.get("selected"),
    }
    for k in ("lr", "dropout", "epoch"):
        if not math.isfinite(rec[k]):
            raise ValueError(f"field '{k}' is not a finite number")
    return rec


def load_records(root, warn):
    records = []
    files = sorted((root / "runs").glob("*.jsonl"))
    for path in files:
        rel = path.relative_to(root).as_posix()
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                text = line.strip()
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as e:
                    warn(f"{rel}:{lineno}: malformed JSON ({e.msg}); line skipped")
                    continue
                if not isinstance(obj, dict):
                    warn(f"{rel}:{lineno}: not a JSON object; line skipped")
                    continue
                try:
                    records.append(_normalize(obj))
                except ValueError as e:
                    warn(f"{rel}:{lineno}: {e}; line skipped")
    return files, records


def load_summary(root, warn):
    path = root / "summary.csv"
    if not path.is_file():
        warn("summary.csv not found; the report uses runs/*.jsonl only")
        return None
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        rows = list(csv.reader(f))
    if not rows:
        warn("summary.csv is empty")
        return None
    if rows[0][:len(SUMMARY_HEADER)] != SUMMARY_HEADER:
        warn("summary.csv: header differs from the DESIGN.md contract ("
             + ",".join(SUMMARY_HEADER) + ")")
    return rows


def load_selection_csv(root, warn, keep_of):
    """Optional DIR/selection.csv (written by gelu-lab run): experiment,activation,dropout,lr
    [,keep] -> the lr to report. Its dropout is in the records' convention; keep_of maps
    (experiment, dropout as in the records) to the keep probability."""
    path = root / "selection.csv"
    out = {}
    if not path.is_file():
        return out
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), 2):
            try:
                if row.get("keep"):
                    keep = float(row["keep"])
                else:
                    keep = keep_of.get((row["experiment"], float(row["dropout"])))
                if keep is None:
                    continue  # no records of that group: nothing to select
                out[(row["experiment"], row["activation"], keep)] = float(row["lr"])
            except (KeyError, TypeError, ValueError):
                warn(f"selection.csv:{i}: expected experiment,activation,dropout,lr; row skipped")
    return out


# ----------------------------------------------------------------------------------------------
# Data model


class Experiment:
    """All records of one experiment, indexed by run = (activation, dropout, lr, seed)."""

    def __init__(self, name):
        self.name = name
        # curves[run][split] = {epoch: (loss, error)}; the last record for an epoch wins.
        self.curves = {}
        # noise[run][split] = {a: (epoch, loss, error)}; the latest epoch per noise level wins.
        self.noise = {}
        self.selected_flags = {}  # (act, dropout) -> set of lr flagged "selected": true
        self.has_error = False
        self.n_records = 0
        self.n_short = 0

    def add(self, r):
        self.n_records += 1
        run = (r["activation"], r["dropout"], r["lr"], r["seed"])
        if r["error"] is not None and math.isfinite(r["error"]):
            self.has_error = True
        if r["selected"] is True:
            self.selected_flags.setdefault((r["activation"], r["dropout"]), set()).add(r["lr"])
        err = math.nan if r["error"] is None else r["error"]
        if r["noise"] is not None:
            pts = self.noise.setdefault(run, {}).setdefault(r["split"], {})
            old = pts.get(r["noise"])
            if old is None or r["epoch"] >= old[0]:
                pts[r["noise"]] = (r["epoch"], r["loss"], err)
        else:
            pts = self.curves.setdefault(run, {}).setdefault(r["split"], {})
            pts[r["epoch"]] = (r["loss"], err)

    def drop_short_runs(self, warn):
        """Like gelu-lab's summary: of the runs of one (activation, dropout, lr) only those with
        the group's largest final epoch count (a --quick run next to --full ones is left out)."""
        def last_epoch(run):
            eps = [max(p) for p in self.curves.get(run, {}).values() if p]
            eps += [q[0] for p in self.noise.get(run, {}).values() for q in p.values()]
            return max(eps) if eps else -math.inf
        groups = {}
        for run in self.runs():
            groups.setdefault(run[:3], []).append(run)
        for g, runs in groups.items():
            top = max(last_epoch(r) for r in runs)
            short = [r for r in runs if last_epoch(r) < top]
            for r in short:
                self.curves.pop(r, None)
                self.noise.pop(r, None)
            if short:
                self.n_short += len(short)
                warn(f"{self.name}: {g[0]}, keep {g[1]:g}, lr {g[2]:g}: left out "
                     f"{len(short)} run(s) with fewer epochs than {fmt_num(top)} (seeds "
                     + ", ".join(str(r[3]) for r in short) + ")")

    @property
    def is_noise(self):
        return bool(self.noise)

    def runs(self):
        return sorted(set(self.curves) | set(self.noise), key=lambda k: (act_key(k[0]),) + k[1:])

    def activations(self):
        return sorted({k[0] for k in self.runs()}, key=act_key)

    def dropouts(self):
        return sorted({k[1] for k in self.runs()}, reverse=True)

    def lrs(self, act=None, dropout=None):
        return sorted({k[2] for k in self.runs()
                       if (act is None or k[0] == act) and (dropout is None or k[1] == dropout)})

    def seeds(self, act=None, dropout=None, lr=None):
        return sorted({k[3] for k in self.runs()
                       if (act is None or k[0] == act) and (dropout is None or k[1] == dropout)
                       and (lr is None or k[2] == lr)}, key=seed_key)

    def splits(self):
        s = set()
        for d in list(self.curves.values()) + list(self.noise.values()):
            s |= set(d)
        return [x for x in SPLITS if x in s]

    def final(self, run, split):
        """(loss, error, epoch) at the last evaluated epoch of a run, or None.
        For a noise experiment: the point at the smallest noise level."""
        pts = self.curves.get(run, {}).get(split)
        if pts:
            ep = max(pts)
            return pts[ep] + (ep,)
        npts = self.noise.get(run, {}).get(split)
        if npts:
            a = min(npts)
            ep, loss, err = npts[a]
            return (loss, err, ep)
        return None

    def epochs_range(self):
        finals = set()
        for run, splits in self.curves.items():
            for pts in splits.values():
                if pts:
                    finals.add(max(pts))
        for run, splits in self.noise.items():
            for pts in splits.values():
                finals |= {p[0] for p in pts.values()}
        return (min(finals), max(finals)) if finals else None

    def noise_levels(self):
        s = set()
        for splits in self.noise.values():
            for pts in splits.values():
                s |= set(pts)
        return sorted(s)


def act_key(a):
    return (ACT_ORDER.index(a), "") if a in ACT_ORDER else (len(ACT_ORDER), a)


def seed_key(s):
    return (0, s, "") if isinstance(s, int) else (1, 0, str(s))


def act_label(a):
    return ACT_LABELS.get(a, a)


def act_color(a, acts):
    if a in ACT_COLORS:
        return ACT_COLORS[a]
    others = [x for x in acts if x not in ACT_COLORS]
    return EXTRA_COLORS[others.index(a) % len(EXTRA_COLORS)]


# ----------------------------------------------------------------------------------------------
# Statistics


def median_inf(values):
    """Median where a non-finite value (a diverged run) counts as +inf, the worst outcome."""
    if not values:
        return math.nan
    v = sorted(x if math.isfinite(x) else math.inf for x in values)
    n = len(v)
    if n % 2:
        return v[n // 2]
    lo, hi = v[n // 2 - 1], v[n // 2]
    return math.inf if math.isinf(hi) else 0.5 * (lo + hi)


def describe(values):
    """Median (non-finite as +inf); mean, sample std, 95% t-CI of the mean over finite values."""
    finite = [x for x in values if math.isfinite(x)]
    n, nf = len(values), len(finite)
    out = {"n": n, "n_finite": nf, "median": median_inf(values), "mean": None, "std": None,
           "ci": None}
    if nf >= 1:
        out["mean"] = float(np.mean(finite))
    if nf >= 2:
        sd = float(np.std(finite, ddof=1))
        half = t975(nf - 1) * sd / math.sqrt(nf)
        out["std"] = sd
        out["ci"] = (out["mean"] - half, out["mean"] + half)
    return out


def paired(values_a, values_ref):
    """Per-seed differences a - ref over seeds present (and finite) in both."""
    seeds = [s for s in values_a if s in values_ref
             and math.isfinite(values_a[s]) and math.isfinite(values_ref[s])]
    if not seeds:
        return None
    d = [values_a[s] - values_ref[s] for s in seeds]
    st = describe(d)
    st["wins"] = sum(1 for x in d if x < 0)    # this activation lower than the reference
    st["losses"] = sum(1 for x in d if x > 0)  # the reference lower
    st["ties"] = sum(1 for x in d if x == 0)
    return st


# ----------------------------------------------------------------------------------------------
# Learning-rate selection

RULE_TEXT = (
    "For each experiment, activation and dropout the report shows one learning rate: the one "
    "flagged <code>\"selected\": true</code> in the records or listed in "
    "<code>selection.csv</code> if any; otherwise, with several learning rates, the one with "
    "the lowest <b>median over seeds of the final-epoch validation loss</b> (the paper's "
    "protocol; a diverged run counts as +&infin;; ties go to the larger learning rate, as in "
    "gelu-lab's own selection). "
    "mnist_noise reuses the learning rate selected for mnist_classify. Without a validation "
    "split the final training loss decides, and as a last resort the test loss (marked).")


def select_lrs(exp, experiments, selection_csv, warn, _depth=0):
    """{(act, dropout): (lr, how, {lr: criterion median})}."""
    out = {}
    src = experiments.get(SELECTION_SOURCE.get(exp.name, ""))
    src_sel = (select_lrs(src, experiments, selection_csv, warn, _depth + 1)
               if src is not None and _depth == 0 else {})
    for act in exp.activations():
        for dp in exp.dropouts():
            lrs = exp.lrs(act, dp)
            if not lrs:
                continue
            key = (act, dp)
            # The validation criterion is shown in the report whatever decides the choice.
            crit = _criterion(exp, act, dp, lrs, "val")
            choice = None
            flagged = exp.selected_flags.get(key)
            if (exp.name, act, dp) in selection_csv and selection_csv[(exp.name, act, dp)] in lrs:
                choice = (selection_csv[(exp.name, act, dp)], "selection.csv")
            elif flagged:
                if len(flagged) > 1:
                    warn(f"{exp.name}: several lrs flagged selected for {act}, keep {dp:g}: "
                         f"{sorted(flagged)}; using the smallest")
                choice = (min(flagged), "flagged \"selected\" in the records")
            elif len(lrs) == 1:
                choice = (lrs[0], "only learning rate")
            if choice is None and crit:
                choice = (min(crit, key=lambda lr: (crit[lr], -lr)),
                          "lowest final median validation loss")
            if choice is None and key in src_sel and src_sel[key][0] in lrs:
                choice = (src_sel[key][0], f"as selected in {src.name}")
            if choice is None:
                for split, how in (
                        ("train", "lowest final median training loss (no validation split)"),
                        ("test", "lowest final median TEST loss (no train/val split!)")):
                    crit = _criterion(exp, act, dp, lrs, split)
                    if crit:
                        choice = (min(crit, key=lambda lr: (crit[lr], -lr)), how)
                        break
            if choice is None:
                choice = (lrs[0], "no loss data: smallest learning rate")
            out[key] = (choice[0], choice[1], crit)
    return out


def _criterion(exp, act, dp, lrs, split):
    crit = {}
    for lr in lrs:
        vals = []
        for seed in exp.seeds(act, dp, lr):
            f = exp.final((act, dp, lr, seed), split)
            if f is not None:
                vals.append(f[0])
        if vals:
            crit[lr] = median_inf(vals)
    return crit


# ----------------------------------------------------------------------------------------------
# Formatting


def fmt_pct(x):
    if x is None:
        return "n/a"
    if not math.isfinite(x):
        return "diverged"
    return f"{100.0 * x:.2f}"


def fmt_loss(x):
    if x is None:
        return "n/a"
    if not math.isfinite(x):
        return "diverged"
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.2f}"


def fmt_mean_std(st, f):
    if st["mean"] is None:
        return "n/a"
    return f"{f(st['mean'])} ± {f(st['std']) if st['std'] is not None else 'n/a'}"


def fmt_ci(st, f):
    if st["ci"] is None:
        return "n/a"
    return f"[{f(st['ci'][0])}, {f(st['ci'][1])}]"


def fmt_lr(lr):
    return f"{lr:g}"


def fmt_keep(dp):
    return f"{dp:g}" if dp != 1.0 else "1.0"


def fmt_num(x):
    return f"{x:g}"


def fmt_seeds(seeds):
    if all(isinstance(s, int) for s in seeds) and seeds and seeds == list(
            range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]} ({len(seeds)})"
    return ", ".join(str(s) for s in seeds) + f" ({len(seeds)})"


def dropout_title(dp):
    return "no dropout (keep 1.0)" if dp >= 1.0 else f"dropout keep rate = {dp:g}"


# ----------------------------------------------------------------------------------------------
# Figures


def _median_curve(exp, act, dp, lr, split, metric):
    """Pointwise median over seeds: x (epochs), median, min, max. metric 0 = loss, 1 = error."""
    per_x = {}
    for seed in exp.seeds(act, dp, lr):
        pts = exp.curves.get((act, dp, lr, seed), {}).get(split, {})
        for x, v in pts.items():
            per_x.setdefault(x, []).append(v[metric])
    xs = sorted(per_x)
    med = [median_inf(per_x[x]) for x in xs]
    return np.array(xs), _finite_or_nan(med)


def _finite_or_nan(values):
    """matplotlib draws a gap for NaN; +-inf (a diverged median) must become a gap too."""
    a = np.array(values, dtype=float)
    a[~np.isfinite(a)] = np.nan
    return a


def _noise_curve(exp, act, dp, lr, metric):
    """x = noise strength; median, min, max over seeds of the test metric."""
    per_x = {}
    for seed in exp.seeds(act, dp, lr):
        pts = exp.noise.get((act, dp, lr, seed), {}).get("test", {})
        for a, (_, loss, err) in pts.items():
            v = (loss, 1.0 - err if math.isfinite(err) else math.nan)[metric]
            per_x.setdefault(a, []).append(v)
    xs = sorted(per_x)
    med, lo, hi = [], [], []
    for x in xs:
        vals = per_x[x]
        fin = [v for v in vals if math.isfinite(v)]
        if metric == 1:  # accuracy: a diverged run counts as the worst, i.e. -inf
            med.append(-median_inf([-v if math.isfinite(v) else math.nan for v in vals]))
        else:
            med.append(median_inf(vals))
        lo.append(min(fin) if fin else math.nan)
        hi.append(max(fin) if fin else math.nan)
    return np.array(xs), _finite_or_nan(med), _finite_or_nan(lo), _finite_or_nan(hi)


def _robust_top(curves):
    """Upper y limit that keeps the interesting part visible: the first epochs of a training
    curve start near log(10) and would flatten everything else (the paper clips them too)."""
    vals = []
    for xs, ys in curves:
        ok = np.isfinite(ys)
        if not ok.any():
            continue
        xs, ys = xs[ok], ys[ok]
        if len(xs) >= 5:
            cut = xs[0] + 0.1 * (xs[-1] - xs[0])
            ys = ys[xs >= cut]
        vals.extend(ys.tolist())
    return 1.08 * max(vals) if vals else 1.0


def _plot(ax, xs, ys, **kw):
    """A line, with markers when there are too few points for a line to be seen."""
    if np.isfinite(ys).sum() <= 12:
        kw.setdefault("marker", "o")
        kw.setdefault("markersize", 3.5)
    ax.plot(xs, ys, **kw)


def _note_if_empty(ax, had_data, curves):
    if had_data and not any(np.isfinite(ys).any() for _, ys in curves):
        ax.text(0.5, 0.5, "no finite values (diverged runs)", transform=ax.transAxes,
                ha="center", va="center", color="#a00")


def _style(ax, integer_x=False):
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def fig_mnist_classify(exp, sel):
    """Fig. 2: log loss per epoch, train (dark) and validation (faint), one panel per dropout."""
    dps = exp.dropouts()
    acts = exp.activations()
    fig, axes = plt.subplots(1, len(dps), figsize=(5.2 * len(dps), 4.0), squeeze=False)
    for ax, dp in zip(axes[0], dps):
        curves = []
        for act in acts:
            if (act, dp) not in sel:
                continue
            lr = sel[(act, dp)][0]
            c = act_color(act, acts)
            for split, alpha, lw, lab in (("val", 0.4, 1.6, None),
                                          ("train", 1.0, 1.8, act_label(act))):
                xs, ys = _median_curve(exp, act, dp, lr, split, 0)
                if len(xs):
                    _plot(ax, xs, ys, color=c, alpha=alpha, linewidth=lw, label=lab)
                    curves.append((xs, ys))
        ax.set_title("Log Loss (no dropout)" if dp >= 1.0
                     else f"Log Loss (dropout keep rate = {dp:g})")
        ax.set_xlabel("Epoch")
        ax.set_ylim(0, _robust_top(curves))
        _style(ax, integer_x=True)
        _note_if_empty(ax, bool(curves), curves)
        if curves:
            ax.legend(frameon=False, title="dark: train, faint: validation", title_fontsize=8,
                      fontsize=9)
    fig.suptitle(f"{exp.name}: median over seeds at the selected learning rate", fontsize=10)
    fig.tight_layout()
    return [("", fig)]


def fig_noise(exp, sel):
    """Fig. 3: test accuracy and log loss against noise strength, one figure per dropout."""
    acts = exp.activations()
    out = []
    dps = exp.dropouts()
    for dp in dps:
        fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.0))
        for metric, ax, title in ((1, axes[0], "Test Set Accuracy"),
                                  (0, axes[1], "Test Set Log Loss")):
            for act in acts:
                if (act, dp) not in sel:
                    continue
                lr = sel[(act, dp)][0]
                xs, med, lo, hi = _noise_curve(exp, act, dp, lr, metric)
                if not len(xs):
                    continue
                c = act_color(act, acts)
                _plot(ax, xs, med, color=c, linewidth=1.8, label=act_label(act))
                ax.fill_between(xs, lo, hi, color=c, alpha=0.15, linewidth=0)
            ax.set_title(title)
            ax.set_xlabel("Noise Strength")
            _style(ax)
            ax.legend(frameon=False, fontsize=9)
        axes[1].set_ylim(bottom=0)
        sub = "" if dp >= 1.0 else f", dropout keep rate = {dp:g}"
        fig.suptitle(f"{exp.name}: median over seeds, band = min..max{sub}", fontsize=10)
        fig.tight_layout()
        out.append(("" if len(dps) == 1 else f"_keep{dp:g}", fig))
    return out


def fig_generic(exp, sel):
    """Any other experiment: loss (and error) per epoch for every split, one column per dropout."""
    dps = exp.dropouts()
    acts = exp.activations()
    metrics = [(0, "Loss")] + ([(1, "Error")] if exp.has_error else [])
    fig, axes = plt.subplots(len(metrics), len(dps),
                             figsize=(max(6.4, 5.2 * len(dps)), 3.6 * len(metrics) + 0.4),
                             squeeze=False)
    styles = {"train": "-", "val": "--", "test": ":"}
    for j, dp in enumerate(dps):
        for i, (m, mname) in enumerate(metrics):
            ax = axes[i][j]
            curves, had_data = [], False
            for act in acts:
                if (act, dp) not in sel:
                    continue
                lr = sel[(act, dp)][0]
                for split in SPLITS:
                    xs, ys = _median_curve(exp, act, dp, lr, split, m)
                    had_data = had_data or bool(len(xs))
                    if len(xs) and np.isfinite(ys).any():
                        _plot(ax, xs, ys, color=act_color(act, acts), linestyle=styles[split],
                              linewidth=1.6, label=f"{act_label(act)} {split}")
                        curves.append((xs, ys))
            _note_if_empty(ax, had_data, curves)
            ax.set_title(f"{mname} ({dropout_title(dp)})")
            ax.set_xlabel("Epoch")
            ax.set_ylim(0, _robust_top(curves))
            _style(ax, integer_x=True)
            if curves:
                ax.legend(frameon=False, fontsize=8)
    fig.suptitle(f"{exp.name}: median over seeds at the selected learning rate\n"
                 "solid: train, dashed: validation, dotted: test", fontsize=9)
    fig.tight_layout()
    return [("", fig)]


def safe_name(s):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", s)


def make_figures(exp, sel, fig_dir, svg):
    if exp.name == "mnist_classify" and not exp.is_noise:
        figs = fig_mnist_classify(exp, sel)
    elif exp.is_noise:
        figs = fig_noise(exp, sel)
    else:
        figs = fig_generic(exp, sel)
    paths = []
    for suffix, fig in figs:
        path = fig_dir / f"{safe_name(exp.name)}{suffix}.png"
        _atomic_savefig(fig, path, dpi=120)
        if svg:
            _atomic_savefig(fig, path.with_suffix(".svg"))
        plt.close(fig)
        paths.append(path)
    return paths


def _atomic_savefig(fig, path, **kw):
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        fig.savefig(f, format=path.suffix[1:], **kw)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------
# Tables: built once as (headers, rows of strings) and tidy records, rendered to HTML and Markdown


class Table:
    def __init__(self, title, headers, note=""):
        self.title, self.headers, self.rows, self.note = title, headers, [], note

    def is_text(self, j):
        """Left-align a column whose cells are words, right-align numbers."""
        return j == 0 or self.headers[j] in TEXT_COLUMNS


TEXT_COLUMNS = {"activation", "rule", "candidates (criterion: median final loss)",
                "experiment"}


def results_tables(exp, sel, tidy):
    tables = []
    has_err = exp.has_error
    pm = "error" if has_err else "loss"  # the metric the paired comparison uses
    for dp in exp.dropouts():
        acts = [a for a in exp.activations() if (a, dp) in sel]
        finals = {}  # act -> {"error": {seed: v}, "loss": {seed: v}}
        for act in acts:
            lr = sel[(act, dp)][0]
            e, l = {}, {}
            for seed in exp.seeds(act, dp, lr):
                f = exp.final((act, dp, lr, seed), "test")
                if f is not None:
                    l[seed], e[seed] = f[0], f[1]
            finals[act] = {"error": e, "loss": l}
        ref = finals.get("gelu") if "gelu" in acts else None
        headers = ["activation", "lr", "seeds"]
        if has_err:
            headers += ["median test error (%)", "mean ± std (%)", "95% CI of mean (%)"]
        headers += ["median test loss", "mean ± std", "95% CI of mean"]
        if ref is not None and len(acts) > 1:
            unit = "pp" if has_err else "loss"
            headers += [f"Δ test {pm} vs GELU, mean ({unit})", "95% CI",
                        "seeds: lower / GELU lower / tie"]
        t = Table(f"{exp.name}: {dropout_title(dp)}", headers)
        for act in acts:
            lr = sel[(act, dp)][0]
            losses = finals[act]["loss"]
            if not losses:
                row = [act_label(act), fmt_lr(lr), "0 (no test split)"]
                row += ["n/a"] * (len(headers) - len(row))
                t.rows.append(row)
                continue
            el = [finals[act]["error"][s] for s in losses]
            ll = [losses[s] for s in losses]
            se, sl = describe(el), describe(ll)
            n_div = sum(1 for v in ll if not math.isfinite(v))
            seeds_txt = str(len(ll)) + (f" ({n_div} diverged)" if n_div else "")
            row = [act_label(act), fmt_lr(lr), seeds_txt]
            base = {"experiment": exp.name, "table": "final_test", "keep": dp,
                    "activation": act, "lr": lr, "noise": ""}
            if has_err:
                row += [fmt_pct(se["median"]), fmt_mean_std(se, fmt_pct), fmt_ci(se, fmt_pct)]
                _tidy_stats(tidy, base, "test_error", se)
            row += [fmt_loss(sl["median"]), fmt_mean_std(sl, fmt_loss), fmt_ci(sl, fmt_loss)]
            _tidy_stats(tidy, base, "test_loss", sl)
            if ref is not None and len(acts) > 1:
                if act == "gelu":
                    row += ["(reference)", "", ""]
                else:
                    p = paired(finals[act][pm], ref[pm])
                    f = fmt_pct if has_err else fmt_loss
                    if p is None:
                        row += ["n/a (no common seeds)", "", ""]
                    else:
                        row += [f(p["mean"]), fmt_ci(p, f),
                                f"{p['wins']} / {p['losses']} / {p['ties']} of {p['n']}"]
                        b = dict(base, table="paired_vs_gelu")
                        _tidy_stats(tidy, b, f"test_{pm}_diff", p, median=False)
                        for k in ("wins", "losses", "ties"):
                            tidy.append(dict(b, metric=f"test_{pm}_diff", statistic=k,
                                             value=p[k], n=p["n"]))
            t.rows.append(row)
        tables.append(t)
    return tables


def _tidy_stats(tidy, base, metric, st, median=True):
    vals = {"mean": st["mean"], "std": st["std"],
            "ci95_low": st["ci"][0] if st["ci"] else None,
            "ci95_high": st["ci"][1] if st["ci"] else None}
    if median:
        vals = dict(median=st["median"], **vals)
    for k, v in vals.items():
        tidy.append(dict(base, metric=metric, statistic=k, value=v, n=st["n"]))


def noise_tables(exp, sel, tidy):
    levels_avail = exp.noise_levels()
    levels = []
    for target in NOISE_TABLE_LEVELS:
        if levels_avail:
            near = min(levels_avail, key=lambda a: abs(a - target))
            if abs(near - target) <= 0.051 and near not in levels:
                levels.append(near)
    if not levels:
        levels = levels_avail[:: max(1, len(levels_avail) // 5)]
    tables = []
    multi_dp = len(exp.dropouts()) > 1
    for metric, title, f in ((1, "median test accuracy (%)", fmt_pct),
                             (0, "median test log loss", fmt_loss)):
        if metric == 1 and not exp.has_error:
            continue
        headers = ["activation"] + (["dropout keep"] if multi_dp else []) + ["lr", "seeds"]
        headers += [f"a = {fmt_num(a)}" for a in levels]
        t = Table(f"{exp.name}: {title} at noise strength a", headers)
        for dp in exp.dropouts():
            for act in exp.activations():
                if (act, dp) not in sel:
                    continue
                lr = sel[(act, dp)][0]
                xs, med, _, _ = _noise_curve(exp, act, dp, lr, metric)
                pts = dict(zip(xs.tolist(), med.tolist()))
                row = [act_label(act)] + ([fmt_keep(dp)] if multi_dp else [])
                row += [fmt_lr(lr), str(len(exp.seeds(act, dp, lr)))]
                for a in levels:
                    v = pts.get(a)
                    row.append("—" if v is None else f(v))
                    if v is not None:
                        tidy.append({"experiment": exp.name, "table": "noise", "keep": dp,
                                     "activation": act, "lr": lr, "noise": a,
                                     "metric": "test_accuracy" if metric else "test_loss",
                                     "statistic": "median", "value": v,
                                     "n": len(exp.seeds(act, dp, lr))})
                t.rows.append(row)
        tables.append(t)
    return tables


def selection_table(exp, sel):
    t = Table(f"{exp.name}: learning-rate selection",
              ["activation", "dropout keep", "candidates (criterion: median final loss)",
               "selected lr", "rule"])
    for (act, dp), (lr, how, crit) in sorted(sel.items(), key=lambda kv: (-kv[0][1],
                                                                          act_key(kv[0][0]))):
        cands = " · ".join(f"{fmt_lr(x)}: {fmt_loss(crit[x])}" for x in sorted(crit)) or \
            ", ".join(fmt_lr(x) for x in exp.lrs(act, dp))
        t.rows.append([act_label(act), fmt_keep(dp), cands, fmt_lr(lr), how])
    return t


def setup_items(exp):
    er = exp.epochs_range()
    items = [
        ("activations", ", ".join(exp.activations())),
        ("learning rates", ", ".join(fmt_lr(x) for x in exp.lrs())),
        ("dropout keep rates", ", ".join(fmt_keep(x) for x in exp.dropouts())),
        ("seeds", fmt_seeds(exp.seeds())),
        ("epochs (last evaluated)", "n/a" if er is None else
         (fmt_num(er[1]) if er[0] == er[1] else f"{fmt_num(er[0])}..{fmt_num(er[1])} "
          "(runs differ: unfinished runs?)")),
        ("splits", ", ".join(exp.splits()) or "none"),
        ("runs / records", f"{len(exp.runs())} / {exp.n_records}"
         + (f" ({exp.n_short} shorter runs left out)" if exp.n_short else "")),
    ]
    if exp.is_noise:
        lv = exp.noise_levels()
        items.append(("noise strengths a",
                      f"{len(lv)} levels, {fmt_num(lv[0])}..{fmt_num(lv[-1])}"))
    return items


# ----------------------------------------------------------------------------------------------
# Rendering

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;
 padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #1f77b4;padding-bottom:.2em}
h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f0f4f8}
td.t,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafafa}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
.note{color:#555;font-size:.9em}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.4em .8em}
dl.setup{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dl.setup dt{font-weight:600} dl.setup dd{margin:0}
img{max-width:100%;border:1px solid #eee}
code{background:#f4f4f4;padding:0 .2em}
"""


def table_html(t):
    h = [f"<table><caption>{html.escape(t.title)}</caption><thead><tr>"]
    h += [f"<th>{html.escape(c)}</th>" for c in t.headers]
    h.append("</tr></thead><tbody>")
    for r in t.rows:
        h.append("<tr>" + "".join(
            f"<td class='t'>{html.escape(str(c))}</td>" if t.is_text(j)
            else f"<td>{html.escape(str(c))}</td>" for j, c in enumerate(r)) + "</tr>")
    h.append("</tbody></table>")
    if t.note:
        h.append(f"<p class='note'>{t.note}</p>")
    return "\n".join(h)


def table_md(t):
    def esc(s):
        return str(s).replace("|", "\\|")
    lines = [f"**{t.title}**", "", "| " + " | ".join(esc(c) for c in t.headers) + " |",
             "|" + "|".join("---" if t.is_text(j) else "---:"
                            for j in range(len(t.headers))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in t.rows]
    return "\n".join(lines) + "\n"


STAT_NOTE = (
    "Final test values are those of the last evaluated epoch of each run. Median over seeds "
    "(the paper's statistic; a diverged run counts as +&infin;); mean &plusmn; sample standard "
    "deviation and the 95% confidence interval of the mean (Student's t, n&minus;1 degrees of "
    "freedom) over the runs with a finite value; \"n/a\" with a single seed. &Delta; vs GELU: "
    "per-seed differences (this activation minus GELU, same seed, each at its selected "
    "learning rate) over the seeds both have; negative means lower than GELU; pp = percentage "
    "points.")


NOISE_NOTE = (
    "Median over seeds of the test accuracy (1 &minus; error) and test log loss of each trained "
    "model under input noise of strength a, at the learning rate selected above; the figure's "
    "band spans the seeds' minimum to maximum.")

SUMMARY_HEADER = ["experiment", "activation", "dropout", "lr", "seeds", "epochs",
                  "test_error_mean", "test_error_std", "test_loss_mean", "test_loss_std"]


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Report (HTML, Markdown, CSV, figures) from a "
                                             "gelu-lab results directory.")
    ap.add_argument("dir", help="results directory holding runs/*.jsonl and summary.csv")
    ap.add_argument("--out", help="where report.html, report.md, tables.csv and figures/ go "
                                  "(default: DIR)")
    ap.add_argument("--svg", action="store_true", help="also write SVG figures")
    args = ap.parse_args(argv)

    root = Path(args.dir)
    if not root.is_dir():
        print(f"make_report: error: results directory '{root}' does not exist "
              "(hint: run 'gelu-lab run EXPERIMENT --out DIR' first)", file=sys.stderr)
        return EXIT_NO_DATA
    warn = Warnings()
    files, records = load_records(root, warn)
    if not records:
        what = "no runs/*.jsonl files" if not files else "no valid records in runs/*.jsonl"
        print(f"make_report: error: '{root}' holds {what}; nothing to report "
              "(hint: run 'gelu-lab run EXPERIMENT --out DIR' first)", file=sys.stderr)
        return EXIT_NO_DATA
    summary = load_summary(root, warn)
    keep_of = {(r["experiment"], r["dropout_raw"]): r["dropout"] for r in records}
    selection_csv = load_selection_csv(root, warn, keep_of)

    experiments = {}
    for r in records:
        experiments.setdefault(r["experiment"], Experiment(r["experiment"])).add(r)
    for exp in experiments.values():
        exp.drop_short_runs(warn)

    out = Path(args.out) if args.out else root
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)

    tidy = []
    body, md = [], []
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    order = sorted(experiments, key=lambda n: (n != "mnist_classify", n != "mnist_noise", n))
    toc = []
    for name in order:
        exp = experiments[name]
        sel = select_lrs(exp, experiments, selection_csv, warn)
        figs = make_figures(exp, sel, fig_dir, args.svg)
        anchor = safe_name(name)
        toc.append(f"<li><a href='#{anchor}'>{html.escape(name)}</a></li>")
        body.append(f"<h2 id='{anchor}'>{html.escape(name)}</h2>")
        md.append(f"## {name}\n")
        body.append("<h3>Setup (from the data)</h3><dl class='setup'>")
        for k, v in setup_items(exp):
            body.append(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>")
            md.append(f"- {k}: {v}")
        body.append("</dl>")
        md.append("")
        st = selection_table(exp, sel)
        tables = [st]
        if exp.is_noise:
            tables += noise_tables(exp, sel, tidy)
        else:
            tables += results_tables(exp, sel, tidy)
        for (act, dp), (lr, how, _) in sel.items():
            tidy.append({"experiment": name, "table": "selection", "keep": dp,
                         "activation": act, "lr": lr, "noise": "", "metric": "selected_lr",
                         "statistic": how, "value": lr, "n": ""})
        body.append("<h3>Figures</h3>")
        for p in figs:
            data = base64.b64encode(p.read_bytes()).decode("ascii")
            rel = os.path.relpath(p, out).replace(os.sep, "/")
            body.append(f"<p><img alt='{html.escape(rel)}' src='data:image/png;base64,{data}'>"
                        f"<br><span class='note'>{html.escape(rel)}</span></p>")
            md.append(f"![{name}]({rel})\n")
        body.append("<h3>Tables</h3>")
        for t in tables:
            body.append(table_html(t))
            md.append(table_md(t))
        body.append(f"<p class='note'>{NOISE_NOTE if exp.is_noise else STAT_NOTE}</p>")

    if summary:
        body.append("<h2 id='summary'>summary.csv</h2><details><summary>as written by gelu-lab "
                    f"({len(summary) - 1} rows)</summary>")
        t = Table("summary.csv", summary[0])
        t.rows = summary[1:]
        body.append(table_html(t) + "</details>")

    warn_html = ""
    if warn.items:
        lis = "".join(f"<li>{html.escape(w)}</li>" for w in warn.items)
        warn_html = f"<div class='warn'><b>Warnings while reading</b><ul>{lis}</ul></div>"
    head = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>gelu-lab report: {html.escape(str(root))}</title><style>{CSS}</style>"
            f"</head><body><h1>gelu-lab report</h1>"
            f"<p class='note'>Results directory <code>{html.escape(str(root.resolve()))}</code>, "
            f"{len(files)} run files, {len(records)} records; generated {stamp} by "
            f"lab/report/make_report.py.</p>{warn_html}"
            f"<ul>{''.join(toc)}</ul><p class='note'><b>Learning-rate rule.</b> {RULE_TEXT}</p>")
    page = head + "\n".join(body) + "</body></html>\n"
    report = out / "report.html"
    write_atomic(report, page)

    md_head = ["# gelu-lab report\n", f"Results directory `{root}`, {len(records)} records, "
               f"generated {stamp}.\n",
               "Learning-rate rule: " + re.sub(r"<[^>]+>", "", html.unescape(RULE_TEXT)) + "\n",
               "Statistics: " + re.sub(r"<[^>]+>", "", html.unescape(STAT_NOTE)) + "\n"]
    write_atomic(out / "report.md", "\n".join(md_head + md) + "\n")

    cols = ["experiment", "table", "activation", "keep", "lr", "noise", "metric", "statistic",
            "value", "n"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in tidy:
        w.writerow({k: ("" if row.get(k) is None else
                        repr(row[k]) if isinstance(row.get(k), float) else row.get(k))
                    for k in cols})
    write_atomic(out / "tables.csv", buf.getvalue())

    print(report.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
