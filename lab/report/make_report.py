#!/usr/bin/python3
"""make_report.py: turns a gelu-lab results folder DIR into report.html, report.md, tables.csv and
figures/ in the style of the GELU paper. It takes gelu-lab's decisions as written in DIR
(experiments.json, selection.csv, summary.csv, claims.csv, dataset.json) and makes none of its own:
the learning rates shown are selection.csv's, and every per-experiment choice follows
experiments.json, never the experiment's name. Statistics come from DIR/runs/*.jsonl, per group of
seeds (experiment, activation, dropout, lr, planned epochs, train limit, validation); never pooled.

Usage: /usr/bin/python3 lab/report/make_report.py DIR [--out OUTDIR] [--svg]
Standard library + numpy + matplotlib (Agg) only. Exit 0 on success; 2 when DIR is missing, holds
no results or mixes data sets. Malformed lines are skipped with a warning naming file:line.
"""

import argparse
import base64
import collections
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
INF = math.inf

REQUIRED_FIELDS = ("experiment", "activation", "lr", "dropout", "seed", "epoch", "split", "loss")
SPLITS = ("train", "val", "test")
TASKS = ("classify", "reconstruct", "perturb", "tag")
PLOTS = ("curves_by_dropout", "curves_by_activation", "curves_by_lr", "noise")
SELECTS = ("lr", "lr,dropout", "none")
# experiments.json's "checkpoint": the epoch whose values stand for a run in summary.csv,
# selection.csv and claims.csv (missing: "final", as older gelu-lab folders have it).
CHECKPOINTS = ("final", "best_val_error")
BEST_VAL = "best_val_error"
AT_BEST_VAL = "values at each run's best validation epoch"
NOISE_TABLE_LEVELS = (0.0, 0.5, 1.0, 2.0, 3.0)
NOT_SELECTED = "not selected (no validation rows)"

SELECTION_HEADER = ["experiment", "activation", "dropout", "lr", "seeds", "val_loss_median",
                    "epochs", "train_limit", "validation", "diverged"]
SUMMARY_HEADER = ["experiment", "activation", "dropout", "lr", "seeds", "epochs",
                  "test_error_mean", "test_error_std", "test_loss_mean", "test_loss_std",
                  "train_limit", "validation", "diverged", "test_error_median", "test_loss_median"]
CLAIMS_HEADER = ["experiment", "dropout", "metric", "activation", "baseline", "seeds",
                 "diff_mean", "ci_low", "ci_high", "verdict", "epochs", "train_limit",
                 "validation", "lr"]
VERDICTS = ("holds", "does not hold", "undecided")

ACT_ORDER = ["gelu", "gelu_tanh", "gelu_sigmoid", "gaussian_gelu", "silu", "elu", "relu"]
ACT_LABELS = {"gelu": "GELU", "gelu_tanh": "GELU (tanh approx.)",
              "gelu_sigmoid": "GELU (sigmoid approx.)", "gaussian_gelu": "Gaussian GELU",
              "silu": "SiLU", "elu": "ELU", "relu": "ReLU"}
ACT_COLORS = {"gelu": "#1f77b4", "gelu_tanh": "#17becf", "gelu_sigmoid": "#8c564b",
              "gaussian_gelu": "#e377c2", "silu": "#9467bd", "elu": "#2ca02c", "relu": "#d62728"}
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


def canon(x):
    """The key of an lr or dropout: gelu-lab's CSVs print 10 significant digits, JSON all 17."""
    return float(f"{x:.10g}")


# ----------------------------------------------------------------------------------------------
# Loading


class Warnings:
    def __init__(self):
        self.items = []

    def __call__(self, msg):
        if msg not in self.items:
            self.items.append(msg)
            print(f"make_report: warning: {msg}", file=sys.stderr)


def _num(v, field):
    """A JSON number; null or a non-finite value is +inf (a diverged run's loss or error)."""
    if v is None:
        return INF
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError(f"field '{field}' is not a number: {v!r}")
    try:
        x = float(v)
    except ValueError:
        raise ValueError(f"field '{field}' is not a number: {v!r}") from None
    return x if math.isfinite(x) else INF


def _int(v, field):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"field '{field}' is not a non-negative integer: {v!r}")
    return v


def _normalize(obj):
    missing = [k for k in REQUIRED_FIELDS if k not in obj]
    if missing:
        raise ValueError("missing field(s) " + ", ".join(missing))
    if obj["split"] not in SPLITS:
        raise ValueError(f"unknown split {obj['split']!r} (expected train, val or test)")
    rec = {"experiment": str(obj["experiment"]), "activation": str(obj["activation"]),
           "split": obj["split"], "seed": _int(obj["seed"], "seed"),
           "epoch": _num(obj["epoch"], "epoch"), "lr": _num(obj["lr"], "lr"),
           "dropout": _num(obj["dropout"], "dropout"), "loss": _num(obj["loss"], "loss"),
           "error": _num(obj["error"], "error") if "error" in obj else None,
           "noise": canon(_num(obj["noise"], "noise")) if obj.get("noise") is not None else None,
           "epochs": _int(obj.get("epochs", 0), "epochs"),
           "train_limit": _int(obj.get("train_limit", 0), "train_limit"),
           "validation": _int(obj.get("validation", 0), "validation"),
           "data": str(obj.get("data", "")), "fingerprint": str(obj.get("data_fingerprint", "")),
           "run": str(obj.get("run", ""))}
    if not (math.isfinite(rec["lr"]) and rec["lr"] > 0):
        raise ValueError(f"lr {obj['lr']!r} is not a positive number")
    if not 0.0 <= rec["dropout"] < 1.0:
        raise ValueError(f"dropout {obj['dropout']!r} is not a drop rate in [0, 1)")
    keep = obj.get("keep")
    if keep is not None and abs(_num(keep, "keep") - (1 - rec["dropout"])) > 1e-9:
        raise ValueError(f"keep {obj['keep']!r} is not 1 - dropout ({obj['dropout']!r})")
    if not math.isfinite(rec["epoch"]):
        raise ValueError("field 'epoch' is not a finite number")
    rec["lr"], rec["dropout"] = canon(rec["lr"]), canon(rec["dropout"])
    # A row whose loss is NaN/inf ends its run there: later epochs do not exist.
    rec["diverged"] = obj.get("diverged") is True or math.isinf(rec["loss"])
    return rec


Group = collections.namedtuple("Group", "activation dropout lr epochs train_limit validation")


class Run:
    """One run: points[(split, noise or None)] = {epoch: (loss, error)}; error None without an
    error metric; +inf for a diverged value. rule: its experiment's checkpoint (experiments.json;
    set once the runs are loaded), which decides the epoch final() and at_noise() read."""

    def __init__(self, rec, where):
        self.rec, self.where, self.seed = rec, where, rec["seed"]
        self.points, self.diverged, self.last_epoch = {}, False, -INF
        self.bad_epochs = set()  # epochs with a row marked diverged
        self.rule, self._checkpoint = "final", False

    def add(self, r):
        self.points.setdefault((r["split"], r["noise"]), {})[r["epoch"]] = (r["loss"], r["error"])
        self.diverged = self.diverged or r["diverged"]
        self.last_epoch = max(self.last_epoch, r["epoch"])
        if r["diverged"]:
            self.bad_epochs.add(r["epoch"])
        self._checkpoint = False  # recomputed on the next use

    def best_val_epoch(self):
        """gelu-lab's best_val_error checkpoint (results.cpp, FinalRows): the epoch of the lowest
        validation error over the run's validation rows that have one and did not diverge; ties:
        the earliest epoch. None without such rows."""
        best = None
        for ep, (_, err) in self.points.get(("val", None), {}).items():
            if err is None or not math.isfinite(err) or ep in self.bad_epochs:
                continue
            if best is None or (err, ep) < best:
                best = (err, ep)
        return None if best is None else best[1]

    def checkpoint(self):
        """The epoch whose values stand for the run, or None for each split's last epoch (the
        final rule, and best_val_error without validation errors, as gelu-lab falls back)."""
        if self._checkpoint is False:
            self._checkpoint = self.best_val_epoch() if self.rule == BEST_VAL else None
        return self._checkpoint

    def _at(self, pts):
        if not pts:
            return None
        ep = self.checkpoint()
        return pts.get(max(pts) if ep is None else ep)

    def group(self):
        r = self.rec
        return Group(r["activation"], r["dropout"], r["lr"], r["epochs"] or int(self.last_epoch),
                     r["train_limit"], r["validation"])

    def final(self, split):
        """(loss, error) at the run's checkpoint (its last epoch unless the experiment says
        best_val_error), or None; a diverged run's values are +inf (as in summary.csv)."""
        pts = self.points.get((split, None))
        if not pts:
            return None
        if self.diverged:
            err = pts[max(pts)][1]
            return INF, None if err is None else INF
        return self._at(pts)

    def at_noise(self, a):
        """(loss, error) of the test split under noise a at the run's checkpoint (its latest
        epoch for the final rule), or None."""
        return self._at(self.points.get(("test", a)))

    def noise_levels(self):
        return {a for (split, a) in self.points if a is not None}


def load_runs(root, warn):
    """(files, number of records, {run key: Run})."""
    runs, n = {}, 0
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
                    if not isinstance(obj, dict):
                        raise ValueError("not a JSON object")
                    r = _normalize(obj)
                except json.JSONDecodeError as e:
                    warn(f"{rel}:{lineno}: malformed JSON ({e.msg}); line skipped")
                    continue
                except ValueError as e:
                    warn(f"{rel}:{lineno}: {e}; line skipped")
                    continue
                key = (r["run"] or rel,) + tuple(r[k] for k in (
                    "experiment", "activation", "dropout", "lr", "seed", "epochs", "train_limit",
                    "validation", "fingerprint"))
                runs.setdefault(key, Run(r, rel)).add(r)
                n += 1
    return files, n, runs


def read_json(root, name, warn):
    path = root / name
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        warn(f"{name}: not valid JSON ({e}); ignored")
        return None


def read_csv(root, name, header, warn):
    """[(line number, row dict)], or None when the file is missing; warns when the header is not
    the contract's."""
    path = root / name
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.DictReader(f)
        rows = list(enumerate(reader, 2))
    if reader.fieldnames != header:
        warn(f"{name}: header differs from the contract ({','.join(header)})")
    return rows


def _f(s):
    """A CSV number: '' (or 'nan') -> None, 'inf' -> inf."""
    x = None if s is None or s.strip() == "" else float(s)
    return None if x is None or math.isnan(x) else x


def _i(s):
    return 0 if s is None or s.strip() == "" else int(s)


def parse_rows(rows, name, parse, warn):
    out = []
    for lineno, row in rows or []:
        try:
            out.append(parse(row))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            warn(f"{name}:{lineno}: unreadable row ({type(e).__name__}: {e}); row skipped")
    return out


def load_selection(root, warn):
    """{(experiment, activation): [row]}, or None when selection.csv is missing."""
    rows = read_csv(root, "selection.csv", SELECTION_HEADER, warn)
    if rows is None:
        warn("selection.csv not found: no learning rate is selected, every lr is shown")
        return None

    def parse(r):
        return {"experiment": r["experiment"], "activation": r["activation"],
                "dropout": canon(float(r["dropout"])), "lr": canon(float(r["lr"])),
                "seeds": _i(r.get("seeds")), "val": _f(r.get("val_loss_median")),
                "setting": (_i(r["epochs"]), _i(r.get("train_limit")), _i(r.get("validation"))),
                "diverged": _i(r.get("diverged"))}
    out = {}
    for s in parse_rows(rows, "selection.csv", parse, warn):
        out.setdefault((s["experiment"], s["activation"]), []).append(s)
    return out


def load_summary(root, warn):
    """{(experiment, Group): row}, or None when summary.csv is missing."""
    rows = read_csv(root, "summary.csv", SUMMARY_HEADER, warn)
    if rows is None:
        warn("summary.csv not found: means and standard deviations are computed from the runs")
        return None

    def parse(r):
        g = Group(r["activation"], canon(float(r["dropout"])), canon(float(r["lr"])),
                  _i(r["epochs"]), _i(r.get("train_limit")), _i(r.get("validation")))
        vals = {k: _f(r.get(k)) for k in SUMMARY_HEADER[6:10] + SUMMARY_HEADER[13:]}
        return (r["experiment"], g), dict(vals, seeds=_i(r["seeds"]),
                                          diverged=_i(r.get("diverged")))
    return dict(parse_rows(rows, "summary.csv", parse, warn))


def load_claims(root, warn):
    """{experiment: [claim]}; empty when claims.csv is missing."""
    rows = read_csv(root, "claims.csv", CLAIMS_HEADER, warn)

    def parse(r):
        if r["verdict"] not in VERDICTS:
            raise ValueError(f"verdict {r['verdict']!r} is not one of {', '.join(VERDICTS)}")
        return dict(r, dropout=float(r["dropout"]), seeds=_i(r["seeds"]),
                    **{k: _f(r[k]) for k in ("diff_mean", "ci_low", "ci_high")})
    out = {}
    for c in parse_rows(rows, "claims.csv", parse, warn):
        out.setdefault(c["experiment"], []).append(c)
    return out


def load_experiments(root, exps, warn):
    """Fills exp.meta from experiments.json; returns the experiments in its order (those it does
    not list, by name, after them). Without an entry: task classify (perturb where rows carry
    noise), select lr, with a warning."""
    doc = read_json(root, "experiments.json", warn)
    listed = {}
    if doc is None:
        warn("experiments.json not found (written by an older gelu-lab?): every experiment is "
             "reported as task classify (perturb where its rows carry noise), selection per "
             "activation and dropout")
    elif not (isinstance(doc, dict) and isinstance(doc.get("experiments"), list)):
        warn("experiments.json: expected {\"experiments\": [...]}; ignored")
    else:
        for e in doc["experiments"]:
            if isinstance(e, dict) and isinstance(e.get("name"), str):
                listed[e["name"]] = e
            else:
                warn(f"experiments.json: entry without a name skipped: {e!r}")
    for exp in exps.values():
        noise = any(r.noise_levels() for r in exp.all_runs())
        has_err = any(v[1] is not None and math.isfinite(v[1]) for r in exp.all_runs()
                      for pts in r.points.values() for v in pts.values())
        meta = {"figure": "", "summary": "", "task": "perturb" if noise else "classify",
                "reuses": "", "metrics": ["loss", "error"] if has_err else ["loss"],
                "loss_name": "loss", "plot": "noise" if noise else "curves_by_dropout",
                "select": "lr", "splits": [], "paper": "", "checkpoint": "final"}
        if exp.name in listed:
            meta.update({k: v for k, v in listed[exp.name].items() if k in meta})
        elif listed:
            warn(f"{exp.name}: has runs but no entry in experiments.json; reported as task "
                 f"{meta['task']}, selection per activation and dropout")
        for field, known in (("task", TASKS), ("select", SELECTS)):
            if meta[field] not in known:
                warn(f"experiments.json: {exp.name}: unknown {field} {meta[field]!r} (known: "
                     f"{', '.join(known)})" + ("; every lr is shown" if field == "select" else ""))
        if meta["checkpoint"] not in CHECKPOINTS:
            warn(f"experiments.json: {exp.name}: unknown checkpoint {meta['checkpoint']!r} "
                 f"(known: {', '.join(CHECKPOINTS)}); each run's final epoch is used")
            meta["checkpoint"] = "final"
        exp.meta = meta
        for r in exp.all_runs():
            r.rule = meta["checkpoint"]
    order = [n for n in listed if n in exps] + sorted(n for n in exps if n not in listed)
    return [exps[n] for n in order]


# ----------------------------------------------------------------------------------------------
# Data model


class Experiment:
    """The runs of one experiment by group; a setting = (planned epochs, train limit,
    validation): runs of different settings are never pooled."""

    def __init__(self, name):
        self.name, self.groups, self.meta = name, {}, None

    def all_runs(self):
        return [r for runs in self.groups.values() for r in runs]

    def settings(self):
        return sorted({g[3:] for g in self.groups})

    def in_setting(self, s):
        return sorted((g for g in self.groups if g[3:] == s), key=lambda g: (
            -g.dropout, act_key(g.activation), g.lr))

    def has_error(self):
        return "error" in self.meta["metrics"]

    def at_best_val(self):
        """True where each run's values are those of its best validation epoch."""
        return self.meta["checkpoint"] == BEST_VAL

    def splits(self):
        return [s for s in SPLITS if any((s, None) in r.points for r in self.all_runs())]

    def noise_levels(self, groups=None):
        return sorted(set().union(*(r.noise_levels() for g in (groups or self.groups)
                                    for r in self.groups[g])))


def act_key(a):
    return (ACT_ORDER.index(a), "") if a in ACT_ORDER else (len(ACT_ORDER), a)


def act_label(a):
    return ACT_LABELS.get(a, a)


def act_color(a, acts):
    if a in ACT_COLORS:
        return ACT_COLORS[a]
    others = sorted({x for x in acts if x not in ACT_COLORS})
    return EXTRA_COLORS[others.index(a) % len(EXTRA_COLORS)]


# ----------------------------------------------------------------------------------------------
# Statistics (a diverged run is +inf: the worst outcome, never dropped)


def median_inf(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    if n % 2:
        return v[n // 2]
    lo, hi = v[n // 2 - 1], v[n // 2]
    return INF if math.isinf(hi) else 0.5 * (lo + hi)


def mean_std(values):
    """gelu-lab's summary.csv semantics: inf when a run diverged; std 0 for one value."""
    if not values:
        return None, None
    if any(math.isinf(v) for v in values):
        return INF, INF
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def describe(values):
    """n, diverged, median (+inf counted), mean, std, 95% t-interval of the mean."""
    mean, std = mean_std(values)
    st = {"n": len(values), "diverged": sum(1 for v in values if math.isinf(v)),
          "median": median_inf(values), "mean": mean, "std": std}
    return with_ci(st)


def with_ci(st):
    st["ci"] = None
    if st["n"] >= 2 and st["mean"] is not None:
        if math.isinf(st["mean"]) or math.isinf(st["std"]):
            st["ci"] = (INF, INF)
        else:
            half = t975(st["n"] - 1) * st["std"] / math.sqrt(st["n"])
            st["ci"] = (st["mean"] - half, st["mean"] + half)
    return st


def paired(values_a, values_ref):
    """Per-seed differences a - ref over the seeds both have. A seed where either run diverged
    makes the mean +inf (shown as diverged) but still counts who was lower."""
    seeds = sorted(set(values_a) & set(values_ref))
    if not seeds:
        return None
    a = [values_a[s] for s in seeds]
    r = [values_ref[s] for s in seeds]
    div = sum(1 for x, y in zip(a, r) if math.isinf(x) or math.isinf(y))
    if div:
        st = {"n": len(seeds), "diverged": div, "median": None, "mean": INF, "std": INF}
        st = with_ci(st)
    else:
        st = describe([x - y for x, y in zip(a, r)])
    st["wins"] = sum(1 for x, y in zip(a, r) if x < y)    # this activation lower
    st["losses"] = sum(1 for x, y in zip(a, r) if x > y)  # the reference lower
    st["ties"] = len(seeds) - st["wins"] - st["losses"]    # equal, or both diverged
    return st


def close(a, b, scale=None):
    """Equal within 1e-9 relative to the larger of a, b and scale (a std next to its mean)."""
    if a is None or b is None or math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), abs(scale or 0.0))


# ----------------------------------------------------------------------------------------------
# gelu-lab's decisions: which groups a table or figure shows


Row = collections.namedtuple("Row", "act group sel note")  # group None: nothing to show (note)
Block = collections.namedtuple("Block", "title dropout rows per_lr")  # dropout None: joint


class Context:
    def __init__(self, warn, selection, summary, claims, metas):
        self.warn, self.selection, self.summary, self.claims = warn, selection, summary, claims
        self.metas = metas  # name -> meta

    def source(self, meta, name):
        """The experiment whose selection.csv rows apply and its select mode, or None."""
        src = meta["reuses"] if meta["task"] == "perturb" else name
        mode = self.metas.get(src, meta)["select"]
        if self.selection is None or not src or mode not in ("lr", "lr,dropout"):
            return None
        return src, mode

    def selected(self, exp, act, dropout, setting):
        src = self.source(exp.meta, exp.name)
        any_dropout = src[1] == "lr,dropout" and exp.meta["task"] != "perturb"
        for s in self.selection.get((src[0], act), []):
            if s["setting"] == setting and (any_dropout or s["dropout"] == dropout):
                return s
        return None


def blocks(exp, setting, ctx):
    """What the tables and figures show for one setting: selection.csv's groups, or every lr
    where there is no selection (select none, no selection.csv, a perturb without reuses)."""
    groups = exp.in_setting(setting)
    dropouts = sorted({g.dropout for g in groups})
    src = ctx.source(exp.meta, exp.name)
    if src is None:
        return [Block(dropout_title(dp), dp, [Row(g.activation, g, None, "") for g in groups
                                              if g.dropout == dp], True) for dp in dropouts]

    def row(act, dp):
        s = ctx.selected(exp, act, dp, setting)
        if s is None:
            return Row(act, None, None, NOT_SELECTED)
        g = Group(act, dp if dp is not None else s["dropout"], s["lr"], *setting)
        if g not in exp.groups:
            ctx.warn(f"selection.csv: {src[0]}, {act}, keep {fmt_keep(g.dropout)}, lr "
                     f"{fmt_lr(g.lr)}, {setting_text(setting)}: no such runs in {exp.name}")
            return Row(act, None, s, "selected lr has no runs here")
        return Row(act, g, s, "")

    acts = sorted({g.activation for g in groups}, key=act_key)
    if src[1] == "lr,dropout" and exp.meta["task"] != "perturb":
        return [Block("each activation at its selected lr and dropout", None,
                      [row(a, None) for a in acts], False)]
    return [Block(dropout_title(dp), dp, [row(a, dp) for a in acts
                                          if any(g.activation == a and g.dropout == dp
                                                 for g in groups)], False)
            for dp in dropouts]


def finals(exp, g, split="test"):
    """{seed: (loss, error)} of a group's final rows (perturb: at the largest noise level)."""
    out = {}
    for r in exp.groups[g]:
        if exp.meta["task"] == "perturb":
            lv = r.noise_levels()
            v = r.at_noise(max(lv)) if lv else None
            if v is not None and r.diverged:
                v = (INF, None if v[1] is None else INF)
        else:
            v = r.final(split)
        if v is not None:
            out[r.seed] = v if exp.has_error() else (v[0], None)
    return out


def group_stats(exp, g, metric, ctx):
    """Final test statistics of one group; mean and std as in summary.csv when it has them."""
    i = 0 if metric == "loss" else 1
    vals = {s: v[i] for s, v in finals(exp, g).items() if v[i] is not None}
    st = describe(list(vals.values()))
    row = (ctx.summary or {}).get((exp.name, g))
    if row is not None and row[f"test_{metric}_mean"] is not None:
        st["mean"], st["std"] = row[f"test_{metric}_mean"], row[f"test_{metric}_std"]
        st = with_ci(st)
    return st, vals


def check_against_files(exps, ctx):
    """Warns where the runs and gelu-lab's summary.csv / selection.csv disagree (> 1e-9 rel.):
    seeds, test mean, std and median, and the selected groups' median validation loss, each
    recomputed at the runs' checkpoints (experiments.json) as gelu-lab takes them."""
    for exp in exps:
        at = f" ({AT_BEST_VAL})" if exp.at_best_val() else ""
        for g in exp.groups:
            label = f"{exp.name}, {g.activation}, keep {fmt_keep(g.dropout)}, lr {fmt_lr(g.lr)}, " \
                    f"{setting_text(g[3:])}"
            fin = finals(exp, g)
            row = (ctx.summary or {}).get((exp.name, g))
            if ctx.summary is not None and fin and row is None:
                ctx.warn(f"summary.csv has no row for {label}")
            if row is not None and fin:
                n_div = sum(1 for r in exp.groups[g] if r.diverged and r.seed in fin)
                if (row["seeds"], row["diverged"]) != (len(fin), n_div):
                    ctx.warn(f"summary.csv: {label}: {row['seeds']} seeds ({row['diverged']} "
                             f"diverged), the runs have {len(fin)} ({n_div} diverged)")
                for i, m in ((0, "loss"), (1, "error"))[:1 + exp.has_error()]:
                    vals = [v[i] for v in fin.values() if v[i] is not None]
                    mean, std = mean_std(vals)
                    for stat, mine in (("mean", mean), ("std", std), ("median", median_inf(vals))):
                        theirs = row[f"test_{m}_{stat}"]
                        if stat == "median" and theirs is None:
                            continue  # an older summary.csv without the median columns
                        if mean is not None and not close(mine, theirs, mean):
                            ctx.warn(f"summary.csv: {label}: test_{m}_{stat} is "
                                     f"{fmt_g(theirs)}, the runs give {fmt_g(mine)}{at}")
        src = ctx.source(exp.meta, exp.name)
        if src is None or src[0] != exp.name:
            continue
        for s in [s for rows in ctx.selection.values() for s in rows
                  if s["experiment"] == exp.name]:
            g = Group(s["activation"], s["dropout"], s["lr"], *s["setting"])
            if g in exp.groups:
                vals = [v[0] for v in finals(exp, g, "val").values()]
                if not close(median_inf(vals), s["val"]):
                    ctx.warn(f"selection.csv: {exp.name}, {g.activation}, "
                             f"{setting_text(g[3:])}: val_loss_median {fmt_g(s['val'])}, the "
                             f"runs give {fmt_g(median_inf(vals))}{at}")


# ----------------------------------------------------------------------------------------------
# Formatting


def fmt_g(x):
    return "empty" if x is None else f"{x:.10g}"


def fmt_pct(x):
    return f"{100.0 * x:.2f}"


def fmt_loss(x):
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.2f}"


def fmt_lr(lr):
    return f"{lr:g}"


def fmt_keep(dropout):
    keep = canon(1.0 - dropout)
    return "1.0" if keep == 1.0 else f"{keep:g}"


def seeds_word(n):
    return f"{n} seed" + ("" if n == 1 else "s")


def cell(x, f, st):
    """A value, or "diverged (k of n seeds)" where diverged runs make it +inf."""
    if x is None:
        return "n/a"
    if math.isinf(x):
        return f"diverged ({st['diverged']} of {seeds_word(st['n'])})"
    return f(x)


def fmt_mean_std(st, f):
    if st["mean"] is None or math.isinf(st["mean"]):
        return cell(st["mean"], f, st)
    return f"{f(st['mean'])} ± {f(st['std']) if st['n'] >= 2 else 'n/a'}"


def fmt_ci(st, f):
    if st["ci"] is None or math.isinf(st["ci"][0]):
        return cell(st["ci"] and st["ci"][0], f, st)
    return f"[{f(st['ci'][0])}, {f(st['ci'][1])}]"


def fmt_seeds(n, n_div):
    return str(n) + (f" ({n_div} diverged)" if n_div else "")


def dropout_title(dropout):
    return "no dropout (keep 1.0)" if dropout == 0 else f"dropout keep rate = {fmt_keep(dropout)}"


def setting_text(s):
    epochs, limit, validation = s
    return (f"{epochs} epoch{'' if epochs == 1 else 's'}"
            + (f", train limit {limit}" if limit else "")
            + (f", validation {validation}" if validation else ""))


def setting_slug(s):
    return f"e{s[0]}" + (f"_tl{s[1]}" if s[1] else "") + (f"_v{s[2]}" if s[2] else "")


def fmt_claim_numbers(*xs):
    fin = [abs(x) for x in xs if math.isfinite(x) and x != 0]
    d = min(8, max(3, 1 - math.floor(math.log10(max(fin))))) if fin else 3
    return [f"{x:.{d}f}" for x in xs]


def claim_sentence(c):
    cond = ("each at its selected dropout" if c["dropout"] < 0 else
            "no dropout" if c["dropout"] == 0 else f"dropout keep {fmt_keep(c['dropout'])}")
    if c.get("lr"):  # experiments without a selection compare at every lr
        cond += f", lr {fmt_lr(float(c['lr']))}"
    if c.get("epochs"):
        cond += f", {c['epochs']} epochs"
    head = (f"{act_label(c['activation'])} vs {act_label(c['baseline'])}, "
            f"{c['metric'].replace('_', ' ')}, {cond}: {c['verdict']}")
    n, d, lo, hi = seeds_word(c["seeds"]), c["diff_mean"], c["ci_low"], c["ci_high"]
    if d is None or math.isinf(d):  # inf - inf (both sides diverged) has no difference
        what = "no difference defined" if d is None else f"difference {d:+}"
        return f"{head} (a run diverged: {what}, {n})"
    if lo is None or hi is None or math.isinf(lo) or math.isinf(hi):
        return f"{head} (difference {fmt_claim_numbers(d)[0]}, no interval, {n})"
    d, lo, hi = fmt_claim_numbers(d, lo, hi)
    return f"{head} (difference {d}, 95% CI [{lo}, {hi}], {n})"


# ----------------------------------------------------------------------------------------------
# Figures


def _finite_or_nan(values):
    """matplotlib draws a gap for NaN; +inf (a diverged median) must become a gap too."""
    a = np.array([INF if v is None else v for v in values], dtype=float)
    a[~np.isfinite(a)] = np.nan
    return a


def median_curve(runs, split):
    """Per epoch, the median loss over seeds; a diverged run is +inf from where it stopped."""
    per = {}
    for r in runs:
        for ep, v in r.points.get((split, None), {}).items():
            per.setdefault(ep, []).append(v[0])
    xs = sorted(per)
    for r in runs:
        for x in xs:
            if r.diverged and x > r.last_epoch:
                per[x].append(INF)
    return np.array(xs), _finite_or_nan([median_inf(per[x]) for x in xs])


def noise_curve(runs, metric):
    """x = noise strength a; median, min, max over seeds of test accuracy (1) or loss (0)."""
    per = {}
    for r in runs:
        for a in r.noise_levels():
            v = r.at_noise(a)
            if v is not None:
                per.setdefault(a, []).append(v[0] if metric == 0 else v[1])
    xs = sorted(per)
    med, lo, hi = [], [], []
    for x in xs:
        m = median_inf(per[x])
        fin = [v for v in per[x] if math.isfinite(v)]
        if metric == 1:  # accuracy = 1 - error; a diverged run is the worst (1 - inf)
            m, fin = 1.0 - m, [1.0 - v for v in fin]
        med.append(m)
        lo.append(min(fin) if fin else None)
        hi.append(max(fin) if fin else None)
    return np.array(xs), _finite_or_nan(med), _finite_or_nan(lo), _finite_or_nan(hi)


def _robust_top(curves):
    """Upper y limit that keeps the interesting part visible: the first epochs of a training
    curve start near log(10) and would flatten everything else (the paper clips them too)."""
    vals = []
    for xs, ys in curves:
        ok = np.isfinite(ys)
        xs, ys = xs[ok], ys[ok]
        if len(xs) >= 5:
            ys = ys[xs >= xs[0] + 0.1 * (xs[-1] - xs[0])]
        vals.extend(ys.tolist())
    return 1.08 * max(vals) if vals else 1.0


def _plot(ax, xs, ys, **kw):
    """A line, with markers when there are too few points for a line to be seen."""
    if np.isfinite(ys).sum() <= 12:
        kw.setdefault("marker", "o")
        kw.setdefault("markersize", 3.5)
    ax.plot(xs, ys, **kw)


def _style(ax, title, xlabel, integer_x=False):
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def _axes(n, width=5.2, height=4.0, ncols=3):
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows + 0.4),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


SPLIT_STYLE = {"train": dict(alpha=1.0, linewidth=1.8), "val": dict(alpha=0.4, linewidth=1.6),
               "test": dict(alpha=0.7, linewidth=1.4, linestyle="--")}
SPLIT_LEGEND = {"train": "dark: train", "val": "faint: validation", "test": "dashed: test"}


def fig_epochs(panels, ylabel, suptitle):
    """panels: [(title, [(label, color, runs, splits)])]: median loss per epoch over seeds."""
    fig, axes = _axes(len(panels))
    for ax, (title, entries) in zip(axes, panels):
        curves, drawn = [], set()
        for label, color, runs, splits in entries:
            for split in splits:
                xs, ys = median_curve(runs, split)
                if len(xs):
                    _plot(ax, xs, ys, color=color, label=label if split == splits[0] else None,
                          **SPLIT_STYLE[split])
                    curves.append((xs, ys))
                    drawn.add(split)
        if curves and not any(np.isfinite(ys).any() for _, ys in curves):
            ax.text(0.5, 0.5, "no finite values (diverged runs)", transform=ax.transAxes,
                    ha="center", va="center", color="#a00")
        ax.set_ylim(0, _robust_top(curves))
        ax.set_ylabel(ylabel)
        _style(ax, title, "Epoch", integer_x=True)
        if curves:
            ax.legend(frameon=False, fontsize=8, title_fontsize=8, title=", ".join(
                SPLIT_LEGEND[s] for s in SPLITS if s in drawn))
    fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def fig_noise(panels, has_err, loss_name, suptitle):
    """Fig. 3: per panel row, test accuracy and test loss against the noise strength a."""
    metrics = ([(1, "Test Set Accuracy")] if has_err else []) + [(0, f"Test Set {loss_name}")]
    fig, axes = _axes(len(panels) * len(metrics), ncols=len(metrics))
    titles = []
    for i, (cond, entries) in enumerate(panels):
        for j, (metric, name) in enumerate(metrics):
            ax = axes[i * len(metrics) + j]
            for label, color, runs in entries:
                xs, med, lo, hi = noise_curve(runs, metric)
                if len(xs):
                    _plot(ax, xs, med, color=color, linewidth=1.8, label=label)
                    ax.fill_between(xs, lo, hi, color=color, alpha=0.15, linewidth=0)
            titles.append(f"{name} ({cond})")
            _style(ax, titles[-1], "Noise Strength")
            if metric == 0:
                ax.set_ylim(bottom=0)
            if entries:
                ax.legend(frameon=False, fontsize=9)
    fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig, titles


def make_figure(exp, setting, blks, ctx):
    """One figure per (experiment, setting), dispatched on experiments.json's plot; returns
    (figure, panel titles)."""
    meta, name = exp.meta, exp.name
    acts = [g.activation for g in exp.groups]
    per_lr = blks[0].per_lr
    sub = f"{name}, {setting_text(setting)}: median over seeds, " + (
        "every learning rate (no selection)" if per_lr else "at the lr selected by gelu-lab")
    if meta["plot"] == "noise":
        panels = [(b.title, [(act_label(r.act) + (f", lr {fmt_lr(r.group.lr)}" if per_lr else ""),
                              act_color(r.act, acts), exp.groups[r.group])
                             for r in b.rows if r.group]) for b in blks]
        return fig_noise(panels, exp.has_error(), meta["loss_name"], sub + "; band = min..max")
    if meta["plot"] not in PLOTS:
        ctx.warn(f"{name}: unknown plot kind {meta['plot']!r} in experiments.json; a generic "
                 "per-epoch loss figure instead")
    splits_of = {"curves_by_lr": ("train", "test")}.get(meta["plot"], SPLITS)
    # curves_by_activation: the same figure for a joint (lr, dropout) selection (one panel).
    if meta["plot"] in ("curves_by_dropout", "curves_by_activation") and not per_lr:
        def entry(r):
            runs = exp.groups[r.group]
            val = any(("val", None) in x.points for x in runs)
            label = act_label(r.act) + ("" if r.sel is None or blks[0].dropout is not None else
                                        f" (keep {fmt_keep(r.group.dropout)}, "
                                        f"lr {fmt_lr(r.group.lr)})")
            return (label, act_color(r.act, acts), runs, ("train", "val" if val else "test"))
        panels = [(f"{meta['loss_name']} ({b.title})", [entry(r) for r in b.rows if r.group])
                  for b in blks]
    else:  # one panel per (dropout, lr): no selection involved
        groups = exp.in_setting(setting)
        keys = sorted({(g.dropout, g.lr) for g in groups}, key=lambda k: (k[0], -k[1]))
        multi = len({k[0] for k in keys}) > 1 or keys[0][0] != 0
        panels = [(f"{meta['loss_name']}, lr = {fmt_lr(lr)}"
                   + (f", keep {fmt_keep(dp)}" if multi else ""),
                   [(act_label(g.activation), act_color(g.activation, acts), exp.groups[g],
                     [s for s in splits_of if any((s, None) in r.points for r in exp.groups[g])])
                    for g in groups if (g.dropout, g.lr) == (dp, lr)]) for dp, lr in keys]
    return fig_epochs(panels, meta["loss_name"], sub), [p[0] for p in panels]


def save_figure(fig, path, svg):
    for p in [path] + ([path.with_suffix(".svg")] if svg else []):
        fd, tmp = tempfile.mkstemp(prefix=p.name + ".", suffix=".tmp", dir=p.parent)
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format=p.suffix[1:], dpi=120)
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------
# Tables: built once as (headers, rows of strings) and tidy records, rendered to HTML and Markdown


class Table:
    def __init__(self, title, headers):
        self.title, self.headers, self.rows = title, headers, []

    def is_text(self, j):
        """Left-align a column whose cells are words, right-align numbers."""
        return j == 0 or self.headers[j] in ("activation", "selected lr")


def tidy_row(exp, table, g, **kw):
    base = {"experiment": exp.name, "table": table}
    if g is not None:
        base.update(activation=g.activation, keep=fmt_keep(g.dropout), lr=g.lr, epochs=g.epochs,
                    train_limit=g.train_limit, validation=g.validation)
    return dict(base, **kw)


def tidy_stats(tidy, exp, table, g, metric, st, median=True):
    vals = {"median": st["median"]} if median else {}
    vals.update(mean=st["mean"], std=st["std"] if st["n"] >= 2 else None,
                ci95_low=st["ci"] and st["ci"][0], ci95_high=st["ci"] and st["ci"][1])
    for k, v in vals.items():
        if v is not None:
            tidy.append(tidy_row(exp, table, g, metric=metric, statistic=k, value=v, n=st["n"],
                                 diverged=st["diverged"]))


def selection_table(exp, setting, blks, ctx):
    src = ctx.source(exp.meta, exp.name)[0]
    joint = blks[0].dropout is None
    title = (f"{exp.name}: selection.csv (gelu-lab's choice), {setting_text(setting)}"
             if src == exp.name else
             f"{exp.name}: learning rates selected in {src} (selection.csv), "
             f"{setting_text(setting)}")
    # best_val_error: gelu-lab chose by the median validation error at each run's best
    # validation epoch; selection.csv keeps the median validation loss there, and the error
    # median (the criterion) is recomputed from the selected group's runs: shown, not chosen.
    by_err = exp.at_best_val() and exp.has_error()
    headers = ["activation", "selected keep" if joint else "dropout keep", "selected lr", "seeds"]
    if exp.at_best_val():
        title += f" ({AT_BEST_VAL})"
        headers += ["median validation loss at best validation epoch"] + (
            ["median validation error (%) at best validation epoch (the criterion)"]
            if by_err else [])
    else:
        headers += ["median final validation loss"]
    t = Table(title, headers)
    for b in blks:
        for r in b.rows:
            keep = fmt_keep(r.sel["dropout"] if r.sel else b.dropout) if r.sel or not joint else ""
            if r.sel is None:
                t.rows.append([act_label(r.act), keep, r.note] + [""] * (len(headers) - 3))
                continue
            st = {"n": r.sel["seeds"], "diverged": r.sel["diverged"]}
            row = [act_label(r.act), keep, fmt_lr(r.sel["lr"]),
                   fmt_seeds(r.sel["seeds"], r.sel["diverged"]), cell(r.sel["val"], fmt_loss, st)]
            if by_err:
                errs = [] if r.group is None else [v[1] for v in finals(exp, r.group, "val")
                                                   .values() if v[1] is not None]
                est = {"n": len(errs), "diverged": sum(1 for v in errs if math.isinf(v))}
                row.append(cell(median_inf(errs), fmt_pct, est))
            t.rows.append(row)
    return t


def results_table(exp, setting, block, ctx, tidy):
    """Final test error and loss per shown group, with per-seed differences to GELU."""
    has_err, ln = exp.has_error(), exp.meta["loss_name"]
    pm = "error" if has_err else "loss"  # the metric the paired comparison uses
    joint = block.dropout is None
    stats = {r.group: {m: group_stats(exp, r.group, m, ctx) for m in ("error", "loss")}
             for r in block.rows if r.group}

    def ref_of(g):  # GELU's shown group (per-lr tables: at the same lr)
        return next((x for x in stats if x.activation == "gelu" and (not block.per_lr or
                                                                     x.lr == g.lr)), None)
    compare = any(g.activation != "gelu" and ref_of(g) for g in stats)
    headers = ["activation"] + (["keep"] if joint else []) + ["lr", "seeds"]
    if has_err:
        headers += ["median test error (%)", "mean ± std (%)", "95% CI of mean (%)"]
    headers += [f"median test {ln}", "mean ± std", "95% CI of mean"]
    if compare:
        headers += [f"Δ test {pm} vs GELU, mean ({'pp' if has_err else ln})", "95% CI",
                    "seeds: lower / GELU lower / tie"]
    per = "per learning rate, " if block.per_lr else ""
    what = f"test results, {AT_BEST_VAL}" if exp.at_best_val() else "final test results"
    t = Table(f"{exp.name}: {what}, {per}{block.title}, {setting_text(setting)}", headers)
    for r in block.rows:
        row = [act_label(r.act)] + ([fmt_keep(r.group.dropout) if r.group else ""]
                                    if joint else [])
        if r.group is None:
            t.rows.append(row + [r.note] + [""] * (len(headers) - len(row) - 1))
            continue
        (se, _), (sl, _) = stats[r.group]["error"], stats[r.group]["loss"]
        row += [fmt_lr(r.group.lr), fmt_seeds(sl["n"], sl["diverged"])]
        for metric, st, f in (("error", se, fmt_pct), ("loss", sl, fmt_loss)):
            if metric == "error" and not has_err:
                continue
            row += [cell(st["median"], f, st), fmt_mean_std(st, f), fmt_ci(st, f)]
            tidy_stats(tidy, exp, "final_test", r.group, f"test_{metric}", st)
        ref = ref_of(r.group)
        if compare and (ref is None or ref == r.group):
            row += ["(reference)" if ref == r.group else "n/a (no GELU)", "", ""]
        elif compare:
            p = paired(stats[r.group][pm][1], stats[ref][pm][1])
            f = fmt_pct if has_err else fmt_loss
            if p is None:
                row += ["n/a (no common seeds)", "", ""]
            else:
                row += [cell(p["mean"], f, p), fmt_ci(p, f),
                        f"{p['wins']} / {p['losses']} / {p['ties']} of {p['n']}"]
                tidy_stats(tidy, exp, "paired_vs_gelu", r.group, f"test_{pm}_diff", p,
                           median=False)
                for k in ("wins", "losses", "ties"):
                    tidy.append(tidy_row(exp, "paired_vs_gelu", r.group, metric=f"test_{pm}_diff",
                                         statistic=k, value=p[k], n=p["n"]))
        t.rows.append(row)
    return t


def noise_tables(exp, setting, block, tidy):
    avail = exp.noise_levels([r.group for r in block.rows if r.group])
    levels = []
    for target in NOISE_TABLE_LEVELS:
        near = min(avail, key=lambda a: abs(a - target), default=None)
        if near is not None and abs(near - target) <= 0.051 and near not in levels:
            levels.append(near)
    levels = levels or avail[:: max(1, len(avail) // 5)]
    tables = []
    for metric, title, f in ((1, "median test accuracy (%)", fmt_pct),
                             (0, f"median test {exp.meta['loss_name']}", fmt_loss)):
        if metric == 1 and not exp.has_error():
            continue
        headers = ["activation", "lr", "seeds"] + [f"a = {a:g}" for a in levels]
        per = "per learning rate, " if block.per_lr else ""
        at = f" ({AT_BEST_VAL})" if exp.at_best_val() else ""
        t = Table(f"{exp.name}: {title} at noise strength a{at}, {per}{block.title}, "
                  f"{setting_text(setting)}", headers)
        for r in block.rows:
            if r.group is None:
                t.rows.append([act_label(r.act), r.note] + [""] * (len(headers) - 2))
                continue
            runs = exp.groups[r.group]
            row = [act_label(r.act), fmt_lr(r.group.lr),
                   fmt_seeds(len(runs), sum(1 for x in runs if x.diverged))]
            for a in levels:
                vals = [v[metric] for v in (x.at_noise(a) for x in runs) if v is not None]
                st = {"n": len(vals), "diverged": sum(1 for v in vals if math.isinf(v))}
                med = median_inf(vals)
                if med is not None and metric == 1:
                    med = 1.0 - med  # accuracy: the median error's complement
                row.append("—" if med is None else cell(med, f, st))
                if med is not None:
                    tidy.append(tidy_row(exp, "noise", r.group, noise=a, statistic="median",
                                         metric="test_accuracy" if metric else "test_loss",
                                         value=med, n=st["n"], diverged=st["diverged"]))
            t.rows.append(row)
        tables.append(t)
    return tables


def setup_items(exp, data_text):
    m = exp.meta
    runs = exp.all_runs()
    n_div = sum(1 for r in runs if r.diverged)
    items = [("data", data_text),
             ("task", m["task"] + (f" (models of {m['reuses']})" if m["reuses"] else "")),
             ("metrics", ", ".join(m["loss_name"] if x == "loss" else x for x in m["metrics"])),
             ("selection", {"lr": "lr per activation and dropout",
                            "lr,dropout": "(lr, dropout) pair per activation, chosen jointly",
                            "none": "none: every learning rate is shown"}.get(
                                m["select"], f"unknown ({m['select']}): every lr is shown")),
             ("activations", ", ".join(sorted({g.activation for g in exp.groups}, key=act_key))),
             ("learning rates", ", ".join(fmt_lr(x) for x in sorted({g.lr for g in exp.groups}))),
             ("dropout keep rates", ", ".join(fmt_keep(x) for x in
                                              sorted({g.dropout for g in exp.groups}))),
             ("seeds", ", ".join(str(s) for s in sorted({r.seed for r in runs}))),
             ("settings (never pooled)", "; ".join(setting_text(s) for s in exp.settings())),
             ("splits", ", ".join(exp.splits()) or "test under noise"),
             ("runs", f"{len(runs)}" + (f", {n_div} diverged (kept: +inf in medians)"
                                        if n_div else ""))]
    lv = exp.noise_levels()
    if lv:
        items.append(("noise strengths a", f"{len(lv)} levels, {lv[0]:g}..{lv[-1]:g}"))
    if exp.at_best_val():
        eps = sorted(e for e in (r.checkpoint() for r in runs) if e is not None)
        where = (f"; over the runs: epochs {eps[0]:g}..{eps[-1]:g}, median "
                 f"{median_inf(eps):g}" if eps else "")
        none = sum(1 for r in runs if r.checkpoint() is None)
        where += (f"; {none} run{'' if none == 1 else 's'} without validation error: last epoch"
                  if none else "")
        items.append(("checkpoint", f"{AT_BEST_VAL} (lowest validation error; ties: the "
                                    f"earliest epoch){where}"))
    if m["paper"]:
        items.append(("paper", str(m["paper"])))
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
ul.claims li{margin:.2em 0}
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
    return "\n".join(h)


def table_md(t):
    def esc(s):
        return str(s).replace("|", "\\|")
    lines = [f"**{t.title}**", "", "| " + " | ".join(esc(c) for c in t.headers) + " |",
             "|" + "|".join("---" if t.is_text(j) else "---:"
                            for j in range(len(t.headers))) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in t.rows]
    return "\n".join(lines) + "\n"


def plain(text):
    return re.sub(r"<[^>]+>", "", html.unescape(text))


RULE_TEXT = (
    "Learning rates are gelu-lab's choice as written in <code>selection.csv</code>: per "
    "experiment, activation and dropout condition, the lowest <b>median over seeds of the "
    "final-epoch validation loss</b>, a diverged run counting as +&infin;, ties to the larger "
    "learning rate. Experiments marked <code>\"select\": \"lr,dropout\"</code> in "
    "experiments.json choose the (lr, dropout) pair per activation jointly; "
    "<code>\"none\"</code> shows every learning rate; an experiment that evaluates another's "
    "trained models (<code>\"reuses\"</code>) uses that experiment's choice. Runs of different "
    "planned epochs, training-set limits or validation sizes are separate groups, never pooled. "
    "The report shows this selection and makes no choice of its own.")

STAT_FINAL = "Final test values are those of the last evaluated epoch of each run."
STAT_BEST_VAL = ("Test values are those of each run's best validation epoch (the lowest "
                 "validation error; ties: the earliest epoch), as in summary.csv.")
STAT_NOTE = STAT_FINAL + (
    " Median over seeds "
    "(the paper's statistic; a diverged run counts as +&infin;); mean &plusmn; sample standard "
    "deviation as in summary.csv (a diverged run makes them infinite: shown as diverged) and the "
    "95% confidence interval of the mean (Student's t, n&minus;1 degrees of freedom); \"n/a\" "
    "with a single seed. &Delta; vs GELU: per-seed differences (this activation minus GELU, "
    "same seed) over the seeds both have; negative means lower than GELU; pp = percentage "
    "points.")

CHECKPOINT_NOTE = (
    "<b>Checkpoint.</b> experiments.json marks this experiment <code>\"checkpoint\": "
    "\"best_val_error\"</code>: every test value, &Delta;, interval and table here (and "
    "gelu-lab's summary.csv, selection.csv and claims.csv) takes each run's values at its best "
    "validation epoch, the epoch with the lowest validation error (ties: the earliest epoch); a "
    "diverged run still counts as +&infin;. The curves show every epoch. <b>Selection.</b> "
    "gelu-lab chose the learning rate (as written in selection.csv) by the lowest median over "
    "seeds of the <b>validation error</b> at that epoch (not the loss; a diverged run counting "
    "as +&infin;, ties to the larger learning rate); selection.csv's val_loss_median is the "
    "median validation loss at that epoch. The report shows this choice and makes none of its "
    "own.")


def rule_text(best_val):
    """The Selection paragraph; best_val: the experiments whose runs count at their best
    validation epoch (experiments.json's checkpoint)."""
    if not best_val:
        return RULE_TEXT
    return RULE_TEXT + (
        " Experiments marked <code>\"checkpoint\": \"best_val_error\"</code> (here: "
        f"{html.escape(', '.join(best_val))}) take each run's values at its best validation "
        "epoch (the lowest validation error; ties: the earliest epoch) and select the learning "
        "rate by the lowest <b>median validation error</b> at that epoch; their "
        "<code>val_loss_median</code> is the median validation loss at that epoch.")


def stat_note(best_val, one=False):
    """The Statistics paragraph: for the whole report (best_val: the experiments at their best
    validation epoch), or for one such experiment (one=True)."""
    if one:
        return STAT_BEST_VAL + STAT_NOTE[len(STAT_FINAL):]
    if not best_val:
        return STAT_NOTE
    return (STAT_FINAL[:-1] + f" ({html.escape(', '.join(best_val))}: {AT_BEST_VAL}, the "
            "lowest validation error, ties: the earliest epoch)." + STAT_NOTE[len(STAT_FINAL):])


NOISE_NOTE = (
    "Median over seeds of the test accuracy (1 &minus; error) and test loss of each trained "
    "model under input noise of strength a (a diverged value counts as the worst); the figure's "
    "band spans the seeds' minimum to maximum.")


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from a web server
    os.replace(tmp, path)


def data_sets(runs, dataset):
    """{fingerprint: (data name, an example file)} over the runs (and dataset.json)."""
    out = {}
    for r in runs.values():
        out.setdefault(r.rec["fingerprint"], (r.rec["data"], r.where))
    if isinstance(dataset, dict) and dataset.get("fingerprint") and "" not in out:
        out.setdefault(str(dataset["fingerprint"]), (str(dataset.get("name", "")), "dataset.json"))
    return out


def data_text(name, fp):
    return (name or "unnamed data set") + (f" (fingerprint {fp})" if fp else
                                           " (no fingerprint: written by an older gelu-lab)")


def report_experiment(exp, ctx, data, fig_dir, out, svg, tidy):
    m, name = exp.meta, exp.name
    anchor = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    title = name + (f" ({m['figure']})" if m["figure"] else "")
    body = [f"<h2 id='{anchor}'>{html.escape(title)}</h2>"]
    md = [f"## {title}\n"]
    if m["summary"]:
        body.append(f"<p>{html.escape(str(m['summary']))}</p>")
        md.append(f"{m['summary']}\n")
    claims = ctx.claims.get(name, [])
    if claims:
        body.append("<h3>The paper's claims, as checked by gelu-lab (claims.csv)</h3>"
                    "<ul class='claims'>")
        for c in claims:
            s = claim_sentence(c)
            body.append(f"<li>{html.escape(s)}</li>")
            md.append(f"- {s}")
            base = {"experiment": name, "table": "claims", "activation": c["activation"],
                    "baseline": c["baseline"], "metric": c["metric"], "n": c["seeds"],
                    "keep": "selected" if c["dropout"] < 0 else fmt_keep(c["dropout"])}
            for k in ("diff_mean", "ci_low", "ci_high", "verdict"):
                tidy.append(dict(base, statistic=k, value=c[k]))
        body.append("</ul>")
        md.append("")
    body.append("<h3>Setup (experiments.json and the runs)</h3><dl class='setup'>")
    for k, v in setup_items(exp, data):
        body.append(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>")
        md.append(f"- {k}: {v}")
    body.append("</dl>")
    md.append("")
    settings = exp.settings()
    for setting in settings:
        blks = blocks(exp, setting, ctx)
        body.append(f"<h3>{html.escape(setting_text(setting))}</h3>")
        md.append(f"### {setting_text(setting)}\n")
        fig, titles = make_figure(exp, setting, blks, ctx)
        path = fig_dir / f"{anchor}{'' if len(settings) == 1 else '_' + setting_slug(setting)}.png"
        save_figure(fig, path, svg)
        rel = os.path.relpath(path, out).replace(os.sep, "/")
        caption = f"{rel}: panels: " + "; ".join(titles)
        if exp.at_best_val():
            caption += (f"; curves: every epoch; tables: {AT_BEST_VAL}" if m["plot"] != "noise"
                        else f"; {AT_BEST_VAL}")
        b64 = base64.b64encode(path.read_bytes()).decode("ascii")
        body.append(f"<p><img alt='{html.escape(caption)}' src='data:image/png;base64,{b64}'>"
                    f"<br><span class='note'>{html.escape(caption)}</span></p>")
        md.append(f"![{html.escape(caption)}]({rel})\n")
        tables = [selection_table(exp, setting, blks, ctx)] if not blks[0].per_lr else []
        for b in blks:
            tables += (noise_tables(exp, setting, b, tidy) if m["plot"] == "noise" or
                       m["task"] == "perturb" else [results_table(exp, setting, b, ctx, tidy)])
        for t in tables:
            body.append(table_html(t))
            md.append(table_md(t))
        for b in blks:
            for r in b.rows:
                if r.sel is not None and r.group is not None:
                    tidy.append(tidy_row(exp, "selection", r.group, metric="val_loss_median",
                                         statistic="selected", value=r.sel["val"],
                                         n=r.sel["seeds"], diverged=r.sel["diverged"]))
    note = (NOISE_NOTE if m["task"] == "perturb" else
            stat_note([name], one=True) if exp.at_best_val() else STAT_NOTE)
    if exp.at_best_val():
        body.append(f"<p class='note'>{CHECKPOINT_NOTE}</p>")
        md.append(f"{plain(CHECKPOINT_NOTE)}\n")
    body.append(f"<p class='note'>{note}</p>")
    return body, md


TIDY_COLUMNS = ["experiment", "table", "activation", "baseline", "keep", "lr", "epochs",
                "train_limit", "validation", "noise", "metric", "statistic", "value", "n",
                "diverged"]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Report (HTML, Markdown, CSV, figures) from a "
                                             "gelu-lab results directory.")
    ap.add_argument("dir", help="results directory (the --out of gelu-lab run)")
    ap.add_argument("--out", help="where report.html, report.md, tables.csv and figures/ go "
                                  "(default: DIR)")
    ap.add_argument("--svg", action="store_true", help="also write SVG figures")
    args = ap.parse_args(argv)

    root = Path(args.dir)
    hint = "(hint: run 'gelu-lab run EXPERIMENT --out DIR' first)"
    if not root.is_dir():
        print(f"make_report: error: results directory '{root}' does not exist {hint}",
              file=sys.stderr)
        return EXIT_NO_DATA
    warn = Warnings()
    files, n_records, runs = load_runs(root, warn)
    if not runs:
        what = "no runs/*.jsonl files" if not files else "no valid records in runs/*.jsonl"
        print(f"make_report: error: '{root}' holds {what}; nothing to report {hint}",
              file=sys.stderr)
        return EXIT_NO_DATA
    dataset = read_json(root, "dataset.json", warn)
    sets = data_sets(runs, dataset)
    if len(sets) > 1:
        listing = "; ".join(f"{fp or 'none (older gelu-lab)'}: {n or '?'}, e.g. {where}"
                            for fp, (n, where) in sorted(sets.items()))
        print(f"make_report: error: '{root}' mixes results on different data sets "
              f"(fingerprints {listing}); the report never pools two data sets (hint: move one "
              "data set's runs into another folder and report each folder)", file=sys.stderr)
        return EXIT_NO_DATA
    fp, (dname, _) = next(iter(sets.items()))
    if isinstance(dataset, dict):
        dname = dname or str(dataset.get("name", ""))
    data = data_text(dname, fp)

    exps = {}
    for r in runs.values():
        e = exps.setdefault(r.rec["experiment"], Experiment(r.rec["experiment"]))
        e.groups.setdefault(r.group(), []).append(r)
    order = load_experiments(root, exps, warn)
    ctx = Context(warn, load_selection(root, warn), load_summary(root, warn),
                  load_claims(root, warn), {e.name: e.meta for e in order})
    check_against_files(order, ctx)

    out = Path(args.out) if args.out else root
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    tidy, body, md = [], [], []
    for exp in order:
        b, m = report_experiment(exp, ctx, data, fig_dir, out, args.svg, tidy)
        body += b
        md += m

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f"<li><a href='#{re.sub(r'[^A-Za-z0-9_.-]', '_', e.name)}'>"
                  f"{html.escape(e.name)}</a></li>" for e in order)
    warn_html = ""
    if warn.items:
        lis = "".join(f"<li>{html.escape(w)}</li>" for w in warn.items)
        warn_html = f"<div class='warn'><b>Warnings while reading</b><ul>{lis}</ul></div>"
    sel_note = ("" if ctx.selection is not None else " <b>selection.csv is missing: no "
                "learning rate is selected, every lr is shown.</b>")
    best_val = [e.name for e in order if e.at_best_val()]
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>gelu-lab report: {html.escape(data)}</title><style>{CSS}</style>"
            f"</head><body><h1>gelu-lab report: {html.escape(data)}</h1>"
            f"<p class='note'>Results directory <code>{html.escape(str(root.resolve()))}</code>, "
            f"{len(files)} run files, {n_records} records; generated {stamp} by "
            f"lab/report/make_report.py.</p>{warn_html}<ul>{toc}</ul>"
            f"<p class='note'><b>Selection.</b> {rule_text(best_val)}{sel_note}</p>"
            + "\n".join(body))
    if ctx.summary:
        with open(root / "summary.csv", newline="", encoding="utf-8", errors="replace") as f:
            rows = list(csv.reader(f))
        t = Table("summary.csv", rows[0])
        t.rows = rows[1:]
        page += (f"<h2 id='summary'>summary.csv</h2><details><summary>as written by gelu-lab "
                 f"({len(t.rows)} rows)</summary>{table_html(t)}</details>")
    write_atomic(out / "report.html", page + "</body></html>\n")

    warn_md = [f"> **Warning:** {w}" for w in warn.items]
    md_head = [f"# gelu-lab report: {data}\n", f"Results directory `{root}`, {n_records} records, "
               f"generated {stamp}.\n", *warn_md, "", f"Selection: {plain(rule_text(best_val))}"
               f"{plain(sel_note)}\n", f"Statistics: {plain(stat_note(best_val))}\n"]
    write_atomic(out / "report.md", "\n".join(md_head + md) + "\n")

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=TIDY_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in tidy:
        w.writerow({k: "" if row.get(k) is None else repr(row[k])
                    if isinstance(row[k], float) else row[k] for k in TIDY_COLUMNS})
    write_atomic(out / "tables.csv", buf.getvalue())

    print((out / "report.html").resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
