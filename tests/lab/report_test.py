#!/usr/bin/python3
"""report_test.py: end-to-end test of lab/report/make_report.py on synthetic gelu-lab results
(runs/*.jsonl, experiments.json, selection.csv, summary.csv, claims.csv, dataset.json) whose
statistics are worked out by hand below. It checks that the report takes gelu-lab's decisions as
the truth: selection.csv's lr even where the runs would favour another, no pooling of runs with
different planned epochs, diverged runs shown as such, dispatch on experiments.json.

Run: /usr/bin/python3 tests/lab/report_test.py   (unittest; non-zero exit on failure)
Writes only into temporary directories.
"""

import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "lab" / "report" / "make_report.py"
PYTHON = "/usr/bin/python3"
FP = "0123456789abcdef"

EXPERIMENTS = [  # experiments.json, in this order (not alphabetical: the report keeps it)
    {"name": "mnist_classify", "figure": "Fig. 2", "summary": "MNIST classification MLP.",
     "task": "classify", "reuses": "", "metrics": ["loss", "error"], "loss_name": "log loss",
     "plot": "curves_by_dropout", "select": "lr", "splits": ["train", "val", "test"],
     "paper": "GELU has the lowest median log loss."},
    {"name": "mnist_soi", "figure": "", "summary": "SOI map vs ReLU with tuned dropout.",
     "task": "classify", "reuses": "", "metrics": ["loss", "error"], "loss_name": "log loss",
     "plot": "curves_by_dropout", "select": "lr,dropout", "splits": ["train", "val", "test"],
     "paper": ""},
    {"name": "mnist_autoencoder", "figure": "Fig. 4", "summary": "MNIST autoencoder.",
     "task": "reconstruct", "reuses": "", "metrics": ["loss"], "loss_name": "MSE",
     "plot": "curves_by_lr", "select": "none", "splits": ["train", "test"], "paper": ""},
    {"name": "mnist_noise", "figure": "Fig. 3", "summary": "Robustness to input noise.",
     "task": "perturb", "reuses": "mnist_classify", "metrics": ["loss", "error"],
     "loss_name": "log loss", "plot": "noise", "select": "lr", "splits": ["test"], "paper": ""},
    {"name": "twitter_pos", "figure": "", "summary": "Tagging.", "task": "tag", "reuses": "",
     "metrics": ["loss", "error"], "loss_name": "log loss", "plot": "tag_curves",
     "select": "none", "splits": ["train", "val", "test"], "paper": ""},
]

ACTS = ("gelu", "relu", "elu")
DROPOUTS = (0.0, 0.5)  # drop rates: keep 1.0 and 0.5
LRS = (1e-3, 1e-4)
SEEDS = (1, 2, 3)
EPOCHS = 4

# Final (epoch 4) validation loss per seed; None = diverged (relu, 0.5, 1e-3, seed 3, at epoch 3).
FINAL_VAL = {
    ("gelu", 0.0, 1e-3): (0.10, 0.10, 0.50), ("gelu", 0.0, 1e-4): (0.12, 0.12, 0.12),
    ("relu", 0.0, 1e-3): (0.20, 0.20, 0.20), ("relu", 0.0, 1e-4): (0.15, 0.16, 0.17),
    ("elu", 0.0, 1e-3): (0.11, 0.12, 0.13), ("elu", 0.0, 1e-4): (0.14, 0.14, 0.14),
    ("gelu", 0.5, 1e-3): (0.30, 0.30, 0.30), ("gelu", 0.5, 1e-4): (0.25, 0.26, 0.27),
    ("relu", 0.5, 1e-3): (0.30, 0.30, None), ("relu", 0.5, 1e-4): (0.40, 0.40, 0.40),
    ("elu", 0.5, 1e-3): (0.20, 0.21, 0.22), ("elu", 0.5, 1e-4): (0.23, 0.23, 0.23),
}
# selection.csv: (activation, dropout) -> (lr, median final val loss, diverged seeds).
# Trap: gelu at dropout 0.5 is given lr 1e-3 (median 0.30) although lr 1e-4 has 0.26 in the runs:
# the report must show 1e-3. (elu, 0.5) has no row: the report must not select for it.
SELECTION = {("gelu", 0.0): (1e-3, 0.10, 0), ("relu", 0.0): (1e-4, 0.16, 0),
             ("elu", 0.0): (1e-3, 0.12, 0), ("gelu", 0.5): (1e-3, 0.30, 0),
             ("relu", 0.5): (1e-3, 0.30, 1)}

# Final test error / loss per seed (1, 2, 3) at the selected lr, no dropout.
TEST_ERR = {"gelu": (0.020, 0.022, 0.027), "relu": (0.025, 0.024, 0.030),
            "elu": (0.021, 0.020, 0.026)}
TEST_LOSS = {"gelu": (0.08, 0.09, 0.13), "relu": (0.10, 0.10, 0.10),
             "elu": (0.085, 0.08, 0.12)}
# The same gelu group trained for 10 planned epochs: must never be pooled with the 4-epoch one.
TEST_ERR_10, TEST_LOSS_10, VAL_10 = (0.010, 0.011, 0.012), (0.05, 0.06, 0.07), 0.09

NOISE_LEVELS = [0.5 * k for k in range(7)]  # 0 .. 3

CLAIMS = (  # claims.csv rows as gelu-lab writes them, and the sentence the report must show
    ("mnist_classify,0,test_loss,gelu,relu,3,-0.012,-0.02,-0.004,holds,4,0,0,",
     "GELU vs ReLU, test loss, no dropout, 4 epochs: holds (difference -0.012, 95% CI [-0.020, "
     "-0.004], 3 seeds)"),
    ("mnist_classify,0.5,test_error,gelu,relu,3,-inf,-inf,-inf,holds,4,0,0,",
     "GELU vs ReLU, test error, dropout keep 0.5, 4 epochs: holds (a run diverged: difference "
     "-inf, 3 seeds)"),
    ("mnist_soi,-1,test_error,soi,relu,2,0.001,-0.01,0.012,undecided,3,0,0,",
     "soi vs ReLU, test error, each at its selected dropout, 3 epochs: undecided (difference "
     "0.001, 95% CI [-0.010, 0.012], 2 seeds)"),
)


def default_test(lr, i):
    """Final test (error, loss) of a group the tables should not show by default."""
    return 0.05 + 0.001 * i + (0.01 if lr == 1e-4 else 0), 0.2 + 0.01 * i + (0.1 if lr == 1e-4
                                                                               else 0)


def noise_err(act, lr, seed, a):
    """Test error under noise a; relu at lr 1e-3 (not selected in mnist_classify) is a decoy."""
    if act == "relu" and lr == 1e-3:
        return 0.5
    base, slope = {"gelu": (0.02, 0.10), "relu": (0.03, 0.12), "elu": (0.025, 0.11)}[act]
    return base + slope * a + 0.01 * (seed - 2)


class Results:
    """Writes a synthetic gelu-lab results folder: run files plus summary.csv computed with
    gelu-lab's rules (a diverged run makes mean and std inf and counts +inf in medians)."""

    def __init__(self, root, fingerprint=FP):
        self.root, self.fp = root, fingerprint
        (root / "runs").mkdir(parents=True, exist_ok=True)
        self.summary = []

    def run(self, exp, act, lr, dropout, seed, epochs, rows, has_error=True, noise=False):
        """rows: [(epoch, split, loss, error[, noise])]; loss None = diverged."""
        rid = f"{exp}-{act}-d{dropout:g}-lr{lr:g}-e{epochs}-s{seed}"
        lines = []
        for epoch, split, loss, err, *a in rows:
            r = {"experiment": exp, "activation": act, "lr": lr, "dropout": dropout,
                 "keep": 1.0 - dropout, "seed": seed, "epoch": epoch, "epochs": epochs,
                 "split": split}
            if a:
                r["noise"] = a[0]
            r["loss"] = loss
            if has_error or loss is None:  # gelu-lab writes "error": null on diverged rows
                r["error"] = err if loss is not None else None
            if loss is None:
                r["diverged"] = True
            r.update(train_limit=0, validation=0, data="mnist", data_fingerprint=self.fp, run=rid)
            lines.append(json.dumps(r) + "\n")
        (self.root / "runs" / f"{rid}.jsonl").write_text("".join(lines))

    def summarize(self, exp, act, dropout, lr, epochs, errs, losses):
        """errs None: no error metric; None entries = diverged seeds."""
        n_div = sum(1 for x in losses if x is None)

        def stats(v):
            if v is None:
                return ["", "", ""]
            med = statistics.median(math.inf if x is None else x for x in v)
            if n_div:
                return ["inf", "inf", med]
            return [statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0, med]
        e, l_ = stats(errs), stats(losses)
        self.summary.append([exp, act, dropout, lr, len(losses), epochs, e[0], e[1], l_[0], l_[1],
                             0, 0, n_div, e[2], l_[2]])

    def write_csvs(self, selection, experiments=EXPERIMENTS, claims=True):
        with open(self.root / "summary.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["experiment", "activation", "dropout", "lr", "seeds", "epochs",
                        "test_error_mean", "test_error_std", "test_loss_mean", "test_loss_std",
                        "train_limit", "validation", "diverged", "test_error_median",
                        "test_loss_median"])
            w.writerows(self.summary)
        with open(self.root / "selection.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["experiment", "activation", "dropout", "lr", "seeds", "val_loss_median",
                        "epochs", "train_limit", "validation", "diverged"])
            w.writerows(selection)
        (self.root / "experiments.json").write_text(json.dumps({"experiments": experiments}))
        (self.root / "dataset.json").write_text(json.dumps(
            {"name": "mnist", "path": "/data/mnist", "fingerprint": self.fp}))
        if claims:
            (self.root / "claims.csv").write_text(
                "experiment,dropout,metric,activation,baseline,seeds,diff_mean,ci_low,ci_high,"
                "verdict,epochs,train_limit,validation,lr\n" + "".join(row + "\n" for row, _ in CLAIMS))


def classify_run(res, act, dp, lr, seed, epochs, fv, fe, fl):
    rows = []
    for ep in range(1, epochs + 1):
        last = ep == epochs
        if fv is None and ep == 3:  # diverged at epoch 3: no later epochs
            rows += [(ep, s, None, None) for s in ("train", "val", "test")]
            break
        tr = 0.5 / ep * (1.0 if act == "gelu" else 1.3)
        val = fv if last else (0.05 if (act, dp, lr, ep) == ("gelu", 0.0, 1e-4, 2)
                               else 0.3 + 0.1 / ep)
        rows += [(ep, "train", tr, 0.1 / ep), (ep, "val", val, 0.2 / ep),
                 (ep, "test", fl if last else 0.4 / ep, fe if last else fe + 0.01)]
    res.run("mnist_classify", act, lr, dp, seed, epochs, rows)


def build_results(root, fingerprint=FP):
    res = Results(root, fingerprint)
    selection = []
    # mnist_classify, 4 planned epochs.
    for act in ACTS:
        for dp in DROPOUTS:
            for lr in LRS:
                errs, losses = [], []
                for i, seed in enumerate(SEEDS):
                    fv = FINAL_VAL[(act, dp, lr)][i]
                    if dp == 0.0 and SELECTION[(act, dp)][0] == lr:
                        fe, fl = TEST_ERR[act][i], TEST_LOSS[act][i]
                    else:
                        fe, fl = default_test(lr, i)
                    classify_run(res, act, dp, lr, seed, EPOCHS, fv, fe, fl)
                    errs.append(fe if fv is not None else None)
                    losses.append(fl if fv is not None else None)
                res.summarize("mnist_classify", act, dp, lr, EPOCHS, errs, losses)
    for (act, dp), (lr, val, div) in SELECTION.items():
        selection.append(["mnist_classify", act, dp, lr, 3, val, EPOCHS, 0, 0, div])
    # mnist_classify, gelu, keep 1.0, lr 1e-3 again but with 10 planned epochs.
    for i, seed in enumerate(SEEDS):
        classify_run(res, "gelu", 0.0, 1e-3, seed, 10, VAL_10, TEST_ERR_10[i], TEST_LOSS_10[i])
    res.summarize("mnist_classify", "gelu", 0.0, 1e-3, 10, list(TEST_ERR_10), list(TEST_LOSS_10))
    selection.append(["mnist_classify", "gelu", 0.0, 1e-3, 3, VAL_10, 10, 0, 0, 0])

    # mnist_noise: the no-dropout classifiers at both lrs; relu must use mnist_classify's 1e-4.
    for act in ACTS:
        for lr in LRS:
            for seed in SEEDS:
                res.run("mnist_noise", act, lr, 0.0, seed, EPOCHS,
                        [(EPOCHS, "test", 0.1 + 5.0 * a, noise_err(act, lr, seed, a), a)
                         for a in NOISE_LEVELS])
            res.summarize("mnist_noise", act, 0.0, lr, EPOCHS,
                          [noise_err(act, lr, s, 3.0) for s in SEEDS], [15.1] * 3)

    # mnist_autoencoder: MSE only, one seed, three lrs; gelu at lr 1e-2 diverges at epoch 2.
    for act in ("gelu", "relu"):
        for lr, base in ((1e-2, 0.03), (1e-3, 0.05), (1e-4, 0.08)):
            rows = []
            for ep in range(1, EPOCHS + 1):
                loss = base / ep + (0.01 if act == "relu" else 0)
                diverged = (act, lr) == ("gelu", 1e-2) and ep == 2
                rows += [(ep, s, None if diverged else loss, None) for s in ("train", "test")]
                if diverged:
                    break
            res.run("mnist_autoencoder", act, lr, 0.0, 7, EPOCHS, rows, has_error=False)
            res.summarize("mnist_autoencoder", act, 0.0, lr, EPOCHS, None,
                          [None if (act, lr) == ("gelu", 1e-2) else rows[-1][2]])

    # mnist_soi: dropout tuned jointly with the lr for relu (chosen: keep 0.75, lr 1e-4).
    soi_groups = [("soi", 0.0, 1e-3)] + [("relu", d, lr) for d in (0.0, 0.25, 0.5) for lr in LRS]
    for act, dp, lr in soi_groups:
        errs, losses = [], []
        for i, seed in enumerate((1, 2)):
            if act == "soi":
                fv, fe, fl = (0.20, 0.22)[i], (0.02, 0.03)[i], (0.08, 0.10)[i]
            elif (dp, lr) == (0.25, 1e-4):
                fv, fe, fl = (0.18, 0.20)[i], (0.03, 0.04)[i], (0.10, 0.12)[i]
            else:
                fv, fe, fl = 0.3, 0.05, 0.2
            res.run("mnist_soi", act, lr, dp, seed, 2,
                    [(1, "train", 0.5, 0.1), (1, "val", 0.4, 0.1), (1, "test", 0.4, 0.1),
                     (2, "train", 0.3, 0.05), (2, "val", fv, 0.05), (2, "test", fl, fe)])
            errs.append(fe)
            losses.append(fl)
        res.summarize("mnist_soi", act, dp, lr, 2, errs, losses)
    selection += [["mnist_soi", "soi", 0.0, 1e-3, 2, 0.21, 2, 0, 0, 0],
                  ["mnist_soi", "relu", 0.25, 1e-4, 2, 0.19, 2, 0, 0, 0]]

    # twitter_pos: a plot kind this report does not know.
    res.run("twitter_pos", "gelu", 1e-3, 0.0, 1, 2,
            [(ep, s, 1.0 / ep, 0.3 / ep) for ep in (1, 2) for s in ("train", "val", "test")])
    res.summarize("twitter_pos", "gelu", 0.0, 1e-3, 2, [0.15], [0.5])
    res.write_csvs(selection)
    return res


class Tables(HTMLParser):
    """Collects every <table> of the report as {caption: [row cells]}."""

    def __init__(self):
        super().__init__()
        self.tables, self._cap, self._rows, self._cell, self._in = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
            self._cap = ""
        elif tag == "caption":
            self._in = "caption"
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self._rows is not None:
            self.tables[self._cap] = self._rows
            self._rows = None
        elif tag == "caption":
            self._in = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._in == "caption":
            self._cap += data
        elif self._cell is not None:
            self._cell += data


def run_report(*args):
    return subprocess.run([PYTHON, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def parse_tables(html):
    p = Tables()
    p.feed(html)
    return p.tables


def rows_of(table, **match):
    header = table[0]
    out = [dict(zip(header, r)) for r in table[1:]]
    return [r for r in out if all(r.get(k) == v for k, v in match.items())]


def row_of(table, label, **match):
    rows = rows_of(table, activation=label, **match)
    if len(rows) != 1:
        raise AssertionError(f"{len(rows)} rows {label!r} {match} in {table}")
    return rows[0]


def without_images(text):
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


C4 = "mnist_classify: final test results, no dropout (keep 1.0), 4 epochs"
C4_D = "mnist_classify: final test results, dropout keep rate = 0.5, 4 epochs"
C10 = "mnist_classify: final test results, no dropout (keep 1.0), 10 epochs"


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="gelu_report_test_"))
        cls.dir = cls.tmp / "results"
        build_results(cls.dir)
        cls.proc = run_report(cls.dir)
        path = cls.dir / "report.html"
        cls.html = path.read_text() if path.exists() else ""
        cls.tables = parse_tables(cls.html)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("KEEP_REPORT_TEST_DIR"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        else:
            print(f"kept {cls.tmp}", file=sys.stderr)

    def table(self, caption):
        self.assertIn(caption, self.tables, sorted(self.tables))
        return self.tables[caption]

    def test_exit_and_outputs(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertTrue(self.proc.stdout.strip().endswith("report.html"), self.proc.stdout)
        for name in ("report.html", "report.md", "tables.csv"):
            self.assertGreater((self.dir / name).stat().st_size, 500, name)
        # dataset.json in the title line and in each experiment's setup.
        self.assertIn("<h1>gelu-lab report: mnist (fingerprint 0123456789abcdef)</h1>", self.html)
        self.assertEqual(self.html.count("<dd>mnist (fingerprint 0123456789abcdef)</dd>"), 5)
        # Only the unknown plot kind is worth a warning: the files agree with the runs.
        self.assertEqual(re.findall(r"warning: (.*)", self.proc.stderr),
                         ["twitter_pos: unknown plot kind 'tag_curves' in experiments.json; a "
                          "generic per-epoch loss figure instead"])

    def test_no_checkpoint_text_without_checkpoint(self):
        # experiments.json without "checkpoint" (older gelu-lab): final epochs, the old texts.
        for text in (without_images(self.html), (self.dir / "report.md").read_text()):
            self.assertNotIn("best validation epoch", text)
            self.assertIn("Final test values are those of the last evaluated epoch of each run. "
                          "Median over seeds", text)

    def test_order_of_experiments_json(self):
        self.assertEqual(re.findall(r"<h2 id='([^']+)'>", self.html),
                         ["mnist_classify", "mnist_soi", "mnist_autoencoder", "mnist_noise",
                          "twitter_pos", "summary"])

    def test_figures_are_pngs(self):
        for name in ("mnist_classify_e4", "mnist_classify_e10", "mnist_noise", "mnist_soi",
                     "mnist_autoencoder", "twitter_pos"):
            data = (self.dir / "figures" / f"{name}.png").read_bytes()
            self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n", name)
            self.assertGreater(len(data), 10_000, name)
        self.assertIn("data:image/png;base64,iVBORw0KGgo", self.html)  # embedded
        self.assertIn("figures/mnist_classify_e4.png: panels: log loss (no dropout (keep 1.0)); "
                      "log loss (dropout keep rate = 0.5)", self.html)
        self.assertIn("figures/mnist_noise.png: panels: Test Set Accuracy (no dropout (keep "
                      "1.0)); Test Set log loss (no dropout (keep 1.0))", self.html)

    def test_selection_is_gelu_labs(self):  # (a)
        t = self.table("mnist_classify: selection.csv (gelu-lab's choice), 4 epochs")
        for (act, dp), (lr, val, div) in SELECTION.items():
            label = {"gelu": "GELU", "relu": "ReLU", "elu": "ELU"}[act]
            r = row_of(t, label, **{"dropout keep": "1.0" if dp == 0 else "0.5"})
            self.assertEqual(r["selected lr"], f"{lr:g}", (act, dp))
            self.assertEqual(r["median final validation loss"], f"{val:.4f}")
        # The runs favour lr 1e-4 for gelu at keep 0.5 (median 0.26 < 0.30): not the report's call.
        g = row_of(self.table(C4_D), "GELU")
        self.assertEqual(g["lr"], "0.001")
        self.assertEqual(g["median test error (%)"], "5.10")  # 0.050, 0.051, 0.052 (1e-4: 6.10)
        self.assertEqual(row_of(self.table(C4), "ReLU")["lr"], "0.0001")
        # No selection row: shown as such, and nothing picked.
        self.assertEqual(row_of(t, "ELU", **{"dropout keep": "0.5"})["selected lr"],
                         "not selected (no validation rows)")
        self.assertEqual(row_of(self.table(C4_D), "ELU")["lr"], "not selected (no validation rows)")

    def test_gelu_row_statistics(self):
        r = row_of(self.table(C4), "GELU")
        # errors 0.020, 0.022, 0.027: median 2.20%, mean 2.30%,
        # std = sqrt((0.003^2 + 0.001^2 + 0.004^2) / 2) = sqrt(13e-6) = 0.36056%,
        # CI half-width = t_{0.975}(2) * std / sqrt(3) = 4.302653 * 0.36056 / 1.73205 = 0.89567%
        # -> [1.40433, 3.19567]%.
        self.assertEqual(r["lr"], "0.001")
        self.assertEqual(r["seeds"], "3")
        self.assertEqual(r["median test error (%)"], "2.20")
        self.assertEqual(r["mean ± std (%)"], "2.30 ± 0.36")
        self.assertEqual(r["95% CI of mean (%)"], "[1.40, 3.20]")
        # losses 0.08, 0.09, 0.13: median 0.09, mean 0.10, std sqrt(0.0007) = 0.026458,
        # half-width 4.302653 * 0.026458 / 1.73205 = 0.065725 -> [0.034275, 0.165725].
        self.assertEqual(r["median test log loss"], "0.0900")
        self.assertEqual(r["mean ± std"], "0.1000 ± 0.0265")
        self.assertEqual(r["95% CI of mean"], "[0.0343, 0.1657]")
        self.assertEqual(r["Δ test error vs GELU, mean (pp)"], "(reference)")

    def test_paired_differences(self):
        t = self.table(C4)
        relu = row_of(t, "ReLU")
        # relu - gelu per seed: +0.005, +0.002, +0.003 -> mean 0.3333 pp; std of differences
        # sqrt((1.6667^2 + 1.3333^2 + 0.3333^2) e-6 / 2) = 0.15275 pp; half-width
        # 4.302653 * 0.15275 / 1.73205 = 0.37946 pp -> [-0.0461, 0.7128] pp. GELU lower in all 3.
        self.assertEqual(relu["Δ test error vs GELU, mean (pp)"], "0.33")
        self.assertEqual(relu["95% CI"], "[-0.05, 0.71]")
        self.assertEqual(relu["seeds: lower / GELU lower / tie"], "0 / 3 / 0 of 3")
        elu = row_of(t, "ELU")
        # elu - gelu: +0.001, -0.002, -0.001 -> mean -0.0667 pp; ELU lower in seeds 2 and 3.
        self.assertEqual(elu["Δ test error vs GELU, mean (pp)"], "-0.07")
        self.assertEqual(elu["seeds: lower / GELU lower / tie"], "2 / 1 / 0 of 3")

    def test_diverged_run_is_shown(self):  # (b)
        relu = row_of(self.table(C4_D), "ReLU")
        self.assertEqual(relu["lr"], "0.001")
        self.assertEqual(relu["seeds"], "3 (1 diverged)")
        # errors 0.050, 0.051, +inf -> median 0.051; losses 0.20, 0.21, +inf -> median 0.21;
        # mean, std and CI are infinite: "diverged" with the count.
        self.assertEqual(relu["median test error (%)"], "5.10")
        self.assertEqual(relu["median test log loss"], "0.2100")
        for col in ("mean ± std (%)", "95% CI of mean (%)", "mean ± std", "95% CI of mean",
                    "Δ test error vs GELU, mean (pp)", "95% CI"):
            self.assertEqual(relu[col], "diverged (1 of 3 seeds)", col)
        # vs gelu 0.050, 0.051, 0.052: ties on seeds 1 and 2, GELU lower on seed 3.
        self.assertEqual(relu["seeds: lower / GELU lower / tie"], "0 / 1 / 2 of 3")
        # A single diverged seed makes the median +inf itself.
        ae = self.table("mnist_autoencoder: final test results, per learning rate, no dropout "
                        "(keep 1.0), 4 epochs")
        g = row_of(ae, "GELU", lr="0.01")
        self.assertEqual((g["seeds"], g["median test MSE"], g["mean ± std"]),
                         ("1 (1 diverged)", "diverged (1 of 1 seed)", "diverged (1 of 1 seed)"))
        r = row_of(ae, "ReLU", lr="0.01")
        self.assertEqual(r["seeds: lower / GELU lower / tie"], "1 / 0 / 0 of 1")
        sel = self.table("mnist_classify: selection.csv (gelu-lab's choice), 4 epochs")
        self.assertEqual(row_of(sel, "ReLU", **{"dropout keep": "0.5"})["seeds"], "3 (1 diverged)")
        with open(self.dir / "tables.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        hit = [r for r in rows if r["experiment"] == "mnist_classify" and r["activation"] == "relu"
               and r["keep"] == "0.5" and r["metric"] == "test_loss" and r["table"] == "final_test"]
        stats = {r["statistic"]: r["value"] for r in hit}
        self.assertAlmostEqual(float(stats.pop("median")), 0.21, places=12)
        self.assertEqual(stats, {"mean": "inf", "std": "inf", "ci95_low": "inf",
                                 "ci95_high": "inf"})
        self.assertEqual({r["diverged"] for r in hit}, {"1"})
        for name in ("report.html", "report.md", "tables.csv"):
            text = without_images((self.dir / name).read_text())
            self.assertIsNone(re.search(r"\bnan\b", text, re.I), name)

    def test_planned_epochs_never_pooled(self):  # (c)
        g10 = row_of(self.table(C10), "GELU")
        # errors 0.010, 0.011, 0.012: median 1.10%, mean 1.10 ± 0.10%; 4-epoch row unchanged.
        self.assertEqual((g10["seeds"], g10["median test error (%)"], g10["mean ± std (%)"]),
                         ("3", "1.10", "1.10 ± 0.10"))
        self.assertEqual(row_of(self.table(C4), "GELU")["seeds"], "3")
        sel = self.table("mnist_classify: selection.csv (gelu-lab's choice), 10 epochs")
        self.assertEqual(row_of(sel, "GELU")["median final validation loss"], "0.0900")
        self.assertIn("<dd>4 epochs; 10 epochs</dd>", self.html)

    def test_autoencoder_panels_per_lr(self):  # (d)
        self.assertIn("figures/mnist_autoencoder.png: panels: MSE, lr = 0.01; MSE, lr = 0.001; "
                      "MSE, lr = 0.0001<", self.html)
        ae = self.table("mnist_autoencoder: final test results, per learning rate, no dropout "
                        "(keep 1.0), 4 epochs")
        self.assertFalse([h for h in ae[0] if "error" in h], ae[0])
        self.assertEqual(len(ae), 1 + 6)  # every (activation, lr), no selection
        self.assertFalse([c for c in self.tables if c.startswith("mnist_autoencoder: selection")])
        g = row_of(ae, "GELU", lr="0.001")
        self.assertEqual(g["median test MSE"], "0.0125")  # 0.05 / 4, one seed
        self.assertEqual(g["mean ± std"], "0.0125 ± n/a")
        self.assertEqual(g["95% CI of mean"], "n/a")
        r = row_of(ae, "ReLU", lr="0.001")  # paired with GELU at the same lr: 0.0225 - 0.0125
        self.assertEqual(r["Δ test loss vs GELU, mean (MSE)"], "0.0100")
        self.assertEqual(r["95% CI"], "n/a")

    def test_joint_lr_dropout_selection(self):  # (e)
        sel = self.table("mnist_soi: selection.csv (gelu-lab's choice), 2 epochs")
        r = row_of(sel, "ReLU")
        self.assertEqual((r["selected keep"], r["selected lr"], r["median final validation loss"]),
                         ("0.75", "0.0001", "0.1900"))
        self.assertEqual(row_of(sel, "soi")["selected keep"], "1.0")
        t = self.table("mnist_soi: final test results, each activation at its selected lr and "
                       "dropout, 2 epochs")
        r = row_of(t, "ReLU")
        # errors 0.03, 0.04: median 3.50%; losses 0.10, 0.12: mean 0.11, std 0.014142.
        self.assertEqual((r["keep"], r["lr"], r["median test error (%)"], r["mean ± std"]),
                         ("0.75", "0.0001", "3.50", "0.1100 ± 0.0141"))
        self.assertEqual(len(t), 3)

    def test_noise_uses_reused_selection(self):  # (f)
        self.table("mnist_noise: learning rates selected in mnist_classify (selection.csv), "
                   "4 epochs")
        t = self.table("mnist_noise: median test accuracy (%) at noise strength a, no dropout "
                       "(keep 1.0), 4 epochs")
        self.assertEqual(t[0][-5:], ["a = 0", "a = 0.5", "a = 1", "a = 2", "a = 3"])
        g = row_of(t, "GELU")
        # error 0.02 + 0.1 a (median seed): accuracy 98, 93, 88, 78, 68 %.
        self.assertEqual([g[h] for h in t[0][-5:]], ["98.00", "93.00", "88.00", "78.00", "68.00"])
        r = row_of(t, "ReLU")  # lr 1e-4 (not the decoy 1e-3 at 50 %)
        self.assertEqual((r["lr"], r["a = 0.5"]), ("0.0001", "91.00"))
        loss = self.table("mnist_noise: median test log loss at noise strength a, no dropout "
                          "(keep 1.0), 4 epochs")
        self.assertEqual(row_of(loss, "ELU")["a = 3"], "15.10")

    def test_claims(self):  # (g)
        md = (self.dir / "report.md").read_text()
        for _, sentence in CLAIMS:
            self.assertIn(f"<li>{sentence}</li>", self.html)
            self.assertIn(f"- {sentence}", md)
        # At the top of the section: before its setup block.
        i = self.html.index("<h2 id='mnist_soi'>")
        self.assertLess(self.html.index(CLAIMS[2][1], i), self.html.index("<h3>Setup", i))
        with open(self.dir / "tables.csv", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["table"] == "claims"]
        first = {r["statistic"]: r["value"] for r in rows if r["keep"] == "1.0"}
        self.assertEqual(first, {"diff_mean": "-0.012", "ci_low": "-0.02", "ci_high": "-0.004",
                                 "verdict": "holds"})

    def test_tidy_csv_and_markdown(self):
        with open(self.dir / "tables.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        hit = [r for r in rows if r["experiment"] == "mnist_classify" and r["activation"] == "gelu"
               and r["keep"] == "1.0" and r["metric"] == "test_error"
               and r["statistic"] == "median"]
        self.assertEqual(sorted((r["epochs"], float(r["value"])) for r in hit),
                         [("10", 0.011), ("4", 0.022)])
        md = (self.dir / "report.md").read_text()
        self.assertIn("| GELU | 0.001 | 3 | 2.20 | 2.30 ± 0.36 | [1.40, 3.20] |", md)
        self.assertIn("# gelu-lab report: mnist (fingerprint 0123456789abcdef)", md)

    def test_out_option(self):
        out = self.tmp / "elsewhere"
        p = run_report(self.dir, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue((out / "report.html").is_file())
        self.assertTrue((out / "figures" / "mnist_noise.png").is_file())


class VariantsTest(unittest.TestCase):
    """Folders that differ from the main one in one file."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="gelu_report_var_"))
        cls.base = cls.tmp / "base"
        build_results(cls.base)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def variant(self, name):
        d = self.tmp / name
        shutil.copytree(self.base, d)
        return d

    def report(self, d):
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p, (d / "report.html").read_text()

    def test_mixed_data_sets_refused(self):  # (h)
        d = self.variant("mixed")
        Results(d, "fedcba9876543210").run("mnist_classify", "gelu", 1e-3, 0.0, 9, 1,
                                           [(1, "test", 0.3, 0.1)])
        p = run_report(d)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("mixes results on different data sets", p.stderr)
        self.assertIn("0123456789abcdef", p.stderr)
        self.assertIn("fedcba9876543210", p.stderr)
        self.assertFalse((d / "report.html").exists())

    def test_without_experiments_json(self):  # (i)
        d = self.variant("no_experiments")
        (d / "experiments.json").unlink()
        p, html = self.report(d)
        self.assertIn("experiments.json not found", p.stderr)
        self.assertIn("experiments.json not found", html)
        tables = parse_tables(html)
        # mnist_classify still follows selection.csv.
        g = row_of(tables["mnist_classify: final test results, dropout keep rate = 0.5, 4 epochs"],
                   "GELU")
        self.assertEqual(g["lr"], "0.001")
        # mnist_noise falls back to perturb without a known source: every lr, none selected.
        t = tables["mnist_noise: median test accuracy (%) at noise strength a, per learning rate, "
                   "no dropout (keep 1.0), 4 epochs"]
        self.assertEqual(row_of(t, "ReLU", lr="0.001")["a = 0.5"], "50.00")
        # The autoencoder falls back to select lr: selection.csv has no rows for it.
        sel = tables["mnist_autoencoder: selection.csv (gelu-lab's choice), 4 epochs"]
        self.assertEqual(row_of(sel, "GELU")["selected lr"], "not selected (no validation rows)")

    def test_without_selection_csv(self):
        d = self.variant("no_selection")
        (d / "selection.csv").unlink()
        p, html = self.report(d)
        self.assertIn("selection.csv not found", p.stderr)
        tables = parse_tables(html)
        self.assertFalse([c for c in tables if "selection" in c])
        t = tables["mnist_classify: final test results, per learning rate, no dropout (keep 1.0), "
                   "4 epochs"]
        self.assertEqual(len(rows_of(t, activation="GELU")), 2)  # both lrs, none chosen

    def test_names_do_not_matter(self):
        """Every decision follows experiments.json: renamed experiments report the same."""
        d = self.variant("renamed")
        for f in [*d.glob("runs/*.jsonl"), *d.glob("*.csv"), d / "experiments.json"]:
            f.write_text(f.read_text().replace("mnist_", "lab_"))
        p, html = self.report(d)
        tables = parse_tables(html)
        t = tables["lab_noise: median test accuracy (%) at noise strength a, no dropout (keep "
                   "1.0), 4 epochs"]
        self.assertEqual((row_of(t, "ReLU")["lr"], row_of(t, "ReLU")["a = 0.5"]),
                         ("0.0001", "91.00"))
        self.assertIn("figures/lab_autoencoder.png: panels: MSE, lr = 0.01; MSE, lr = 0.001; "
                      "MSE, lr = 0.0001<", html)
        self.assertIn("figures/lab_noise.png: panels: Test Set Accuracy", html)
        self.assertEqual(row_of(tables["lab_soi: selection.csv (gelu-lab's choice), 2 epochs"],
                                "ReLU")["selected keep"], "0.75")
        self.assertEqual(re.findall(r"<h2 id='([^']+)'>", html)[:4],
                         ["lab_classify", "lab_soi", "lab_autoencoder", "lab_noise"])

    def test_summary_csv_values_win_and_mismatch_warns(self):
        d = self.variant("summary_differs")
        text = (d / "summary.csv").read_text().splitlines()
        i = next(k for k, line in enumerate(text)
                 if line.startswith("mnist_classify,gelu,0.0,0.001,3,4,"))
        cells = text[i].split(",")
        cells[6] = "0.0231"  # test_error_mean: the runs give 0.023
        text[i] = ",".join(cells)
        (d / "summary.csv").write_text("\n".join(text) + "\n")
        p, html = self.report(d)
        self.assertIn("summary.csv: mnist_classify, gelu, keep 1.0, lr 0.001, 4 epochs: "
                      "test_error_mean is 0.0231, the runs give 0.023", p.stderr)
        g = row_of(parse_tables(html)["mnist_classify: final test results, no dropout (keep "
                                      "1.0), 4 epochs"], "GELU")
        self.assertEqual(g["mean ± std (%)"], "2.31 ± 0.36")


# ----------------------------------------------------------------------------------------------
# experiments.json's "checkpoint": "best_val_error": each run counts at its best validation epoch.

CKPT_EXP = {"name": "twitter_pos", "figure": "text", "summary": "Tagging, early stopping.",
            "task": "classify", "reuses": "", "metrics": ["loss", "error"],
            "loss_name": "log loss", "plot": "curves_by_dropout", "select": "lr",
            "splits": ["train", "val", "test"], "checkpoint": "best_val_error", "paper": ""}
# The same gelu runs in an experiment that keeps the final epoch (explicitly "final").
FINAL_EXP = dict(CKPT_EXP, name="tag_final", summary="The same, final epoch.", select="none",
                 checkpoint="final")
CK_DROPOUT, CK_EPOCHS = 0.2, 5  # keep 0.8
# Validation error per epoch 1..5 at lr 1e-3, seeds 1, 2, 3. Best epochs: gelu 3, 2 (a tie
# with epoch 4: the earliest counts), 5 (the last); relu 3, 3, 4. At lr 1e-4 every run has
# 0.40 - 0.02 * epoch (best: epoch 5), except relu seed 3, which diverges at epoch 4.
CK_VAL_ERR = {
    "gelu": ((0.30, 0.20, 0.15, 0.18, 0.19), (0.30, 0.16, 0.17, 0.16, 0.18),
             (0.30, 0.25, 0.20, 0.19, 0.17)),
    "relu": ((0.30, 0.22, 0.18, 0.21, 0.22), (0.30, 0.21, 0.19, 0.20, 0.20),
             (0.30, 0.24, 0.23, 0.22, 0.23)),
}


def ck_rows(act, lr, seed):
    """[(epoch, split, loss, error)] of one run; loss None = diverged."""
    slow = lr == 1e-4
    rows = []
    for ep in range(1, CK_EPOCHS + 1):
        if (act, slow, seed, ep) == ("relu", True, 3, 4):
            rows += [(ep, s, None, None) for s in ("train", "val", "test")]
            break
        ve = 0.40 - 0.02 * ep if slow else CK_VAL_ERR[act][seed - 1][ep - 1]
        # lr 1e-3 overfits the loss (it rises) while its error is lower: the loss alone would
        # pick lr 1e-4 (0.50 < 0.66); gelu-lab picks by the error (0.16 < 0.30).
        vl = 0.55 - 0.01 * ep if slow else 0.60 + 0.02 * ep + (0.01 if act == "relu" else 0)
        te = (0.10 if act == "gelu" else 0.12) + 0.01 * ep + 0.001 * seed + (0.05 if slow else 0)
        tl = (0.40 if act == "gelu" else 0.45) + 0.02 * ep + 0.01 * seed + (0.1 if slow else 0)
        rows += [(ep, "train", 1.0 / ep, 0.3 / ep), (ep, "val", vl, ve), (ep, "test", tl, te)]
    return rows


def gelu_lab_checkpoint(rows, best_val):
    """The epoch gelu-lab takes (results.cpp FinalRows): the last, or the lowest validation
    error (ties: the earliest) among the rows that did not diverge."""
    val = [(e, ep) for ep, split, loss, e in rows if split == "val" and loss is not None]
    return min(val)[1] if best_val and val else max(r[0] for r in rows)


def build_checkpoint_results(root):
    res = Results(root)
    for exp, best_val, acts, lrs in ((CKPT_EXP, True, ("gelu", "relu"), (1e-3, 1e-4)),
                                     (FINAL_EXP, False, ("gelu",), (1e-3,))):
        for act in acts:
            for lr in lrs:
                errs, losses = [], []
                for seed in (1, 2, 3):
                    rows = ck_rows(act, lr, seed)
                    res.run(exp["name"], act, lr, CK_DROPOUT, seed, CK_EPOCHS, rows)
                    at = [r for r in rows if r[0] == gelu_lab_checkpoint(rows, best_val)
                          and r[1] == "test"][0]
                    diverged = any(r[2] is None for r in rows)
                    errs.append(None if diverged else at[3])
                    losses.append(None if diverged else at[2])
                res.summarize(exp["name"], act, CK_DROPOUT, lr, CK_EPOCHS, errs, losses)
    # gelu-lab's choice by the median validation error at the best epochs: lr 1e-3 for both
    # (gelu 0.15, 0.16, 0.17 -> 0.16 against 0.30; relu 0.18, 0.19, 0.22 -> 0.19 against
    # 0.30, 0.30, +inf -> 0.30); val_loss_median: the median validation loss at those epochs:
    # gelu 0.66, 0.64, 0.70 -> 0.66; relu 0.67, 0.67, 0.69 -> 0.67.
    selection = [["twitter_pos", "gelu", CK_DROPOUT, 1e-3, 3, 0.66, CK_EPOCHS, 0, 0, 0],
                 ["twitter_pos", "relu", CK_DROPOUT, 1e-3, 3, 0.67, CK_EPOCHS, 0, 0, 0]]
    res.write_csvs(selection, experiments=[CKPT_EXP, FINAL_EXP], claims=False)
    return res


CK_TABLE = ("twitter_pos: test results, values at each run's best validation epoch, dropout "
            "keep rate = 0.8, 5 epochs")
CK_SEL = ("twitter_pos: selection.csv (gelu-lab's choice), 5 epochs (values at each run's best "
          "validation epoch)")


class CheckpointTest(unittest.TestCase):
    """A folder whose twitter_pos says "checkpoint": "best_val_error" in experiments.json."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="gelu_report_ckpt_"))
        cls.base = cls.tmp / "base"
        build_checkpoint_results(cls.base)
        cls.proc = run_report(cls.base)
        cls.html = (cls.base / "report.html").read_text() if cls.proc.returncode == 0 else ""
        cls.tables = parse_tables(cls.html)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def table(self, caption, tables=None):
        tables = self.tables if tables is None else tables
        self.assertIn(caption, tables, sorted(tables))
        return tables[caption]

    def variant(self, name):
        d = self.tmp / name
        shutil.copytree(self.base, d)
        for f in ("report.html", "report.md", "tables.csv"):
            (d / f).unlink()
        shutil.rmtree(d / "figures")
        return d

    def test_consistency_check_passes(self):
        # summary.csv and selection.csv were written with the checkpoint rule: the report's
        # recomputed means, stds and medians agree with them, so nothing is worth a warning.
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertNotIn("warning", self.proc.stderr)
        self.assertNotIn("Warnings while reading", self.html)

    def test_test_values_at_best_validation_epoch(self):
        g = row_of(self.table(CK_TABLE), "GELU")
        # gelu test error 0.10 + 0.01 epoch + 0.001 seed at the best epochs 3, 2, 5:
        # 0.131, 0.122, 0.153 -> median 13.10% (the final epoch would give 0.151, 0.152, 0.153
        # -> 15.20%; taking epoch 4 for seed 2's tie would give 14.20%); mean 0.135333,
        # std sqrt(((-0.004333)^2 + (-0.013333)^2 + 0.017667^2) / 2) = 0.015948,
        # half-width 4.302653 * 0.015948 / 1.73205 = 0.039617 -> [9.5717, 17.4950]% (17.49499).
        self.assertEqual(g["lr"], "0.001")
        self.assertEqual(g["seeds"], "3")
        self.assertEqual(g["median test error (%)"], "13.10")
        self.assertEqual(g["mean ± std (%)"], "13.53 ± 1.59")
        self.assertEqual(g["95% CI of mean (%)"], "[9.57, 17.49]")
        # test loss 0.40 + 0.02 epoch + 0.01 seed: 0.47, 0.46, 0.53 -> median 0.47.
        self.assertEqual(g["median test log loss"], "0.4700")
        r = row_of(self.table(CK_TABLE), "ReLU")
        # relu 0.12 + 0.01 epoch + 0.001 seed at epochs 3, 3, 4: 0.151, 0.152, 0.163; minus gelu
        # per seed: 0.020, 0.030, 0.010 -> mean 2.00 pp, std 1.00 pp, half-width
        # 4.302653 * 1.0 / 1.73205 = 2.4841 pp -> [-0.48, 4.48]; GELU lower on every seed.
        self.assertEqual(r["median test error (%)"], "15.20")
        self.assertEqual(r["Δ test error vs GELU, mean (pp)"], "2.00")
        self.assertEqual(r["95% CI"], "[-0.48, 4.48]")
        self.assertEqual(r["seeds: lower / GELU lower / tie"], "0 / 3 / 0 of 3")
        with open(self.base / "tables.csv", newline="") as f:
            hit = [x for x in csv.DictReader(f) if x["experiment"] == "twitter_pos"
                   and x["activation"] == "gelu" and x["metric"] == "test_error"
                   and x["table"] == "final_test" and x["statistic"] == "median"]
        self.assertEqual([float(x["value"]) for x in hit], [0.131])

    def test_final_checkpoint_unchanged(self):
        # The same gelu runs in an experiment marked "final": the last epoch's 0.151, 0.152, 0.153.
        t = self.table("tag_final: final test results, per learning rate, dropout keep rate = "
                       "0.8, 5 epochs")
        self.assertEqual(row_of(t, "GELU")["median test error (%)"], "15.20")

    def test_selection_shown_with_its_criterion(self):
        t = self.table(CK_SEL)
        g = row_of(t, "GELU")
        self.assertEqual(g["selected lr"], "0.001")  # selection.csv's, although the loss says 1e-4
        self.assertEqual(g["median validation loss at best validation epoch"], "0.6600")
        # validation errors at the best epochs 0.15, 0.16, 0.17.
        self.assertEqual(g["median validation error (%) at best validation epoch (the criterion)"],
                         "16.00")
        self.assertEqual(row_of(t, "ReLU")["median validation error (%) at best validation epoch "
                                           "(the criterion)"], "19.00")

    def test_rule_is_stated(self):
        md = (self.base / "report.md").read_text()
        sel = re.search(r"<p class='note'><b>Selection.</b>(.*?)</p>", self.html).group(1)
        self.assertIn("(here: twitter_pos) take each run's values at its best validation epoch",
                      sel)
        self.assertIn("median validation error</b> at that epoch", sel)
        self.assertIn("Selection: ", md)
        self.assertIn("(here: twitter_pos) take each run's values at its best validation epoch",
                      md)
        self.assertIn("Statistics: Final test values are those of the last evaluated epoch of "
                      "each run (twitter_pos: values at each run's best validation epoch", md)
        # In the section itself: the checkpoint note, the statistics and the setup.
        i, j = self.html.index("<h2 id='twitter_pos'>"), self.html.index("<h2 id='tag_final'>")
        section = self.html[i:j]
        self.assertIn("<b>Checkpoint.</b>", section)
        self.assertIn("Test values are those of each run's best validation epoch", section)
        self.assertIn("by the lowest median over seeds of the <b>validation error</b>", section)
        # best epochs over the 12 runs: 2, 3, 3, 3, 3, 4, 5 x 6 -> median 4.5.
        self.assertIn("<dt>checkpoint</dt><dd>values at each run&#x27;s best validation epoch "
                      "(lowest validation error; ties: the earliest epoch); over the runs: "
                      "epochs 2..5, median 4.5</dd>", section)
        self.assertIn("figures/twitter_pos.png: panels: log loss (dropout keep rate = 0.8); "
                      "curves: every epoch; tables: values at each run&#x27;s best validation "
                      "epoch<", section)
        tail = self.html[j:]
        self.assertNotIn("<b>Checkpoint.</b>", tail)
        self.assertIn("Final test values are those of the last evaluated epoch", tail)

    def test_real_mismatch_still_warns(self):
        d = self.variant("median_differs")
        text = (d / "summary.csv").read_text().splitlines()
        i = next(k for k, line in enumerate(text)
                 if line.startswith("twitter_pos,gelu,0.2,0.001,"))
        cells = text[i].split(",")
        cells[13] = "0.152"  # test_error_median: the final epoch's, not the best epoch's 0.131
        text[i] = ",".join(cells)
        (d / "summary.csv").write_text("\n".join(text) + "\n")
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(re.findall(r"warning: (.*)", p.stderr),
                         ["summary.csv: twitter_pos, gelu, keep 0.8, lr 0.001, 5 epochs: "
                          "test_error_median is 0.152, the runs give 0.131 (values at each run's "
                          "best validation epoch)"])

    def test_without_checkpoint_field_as_before(self):
        """An older experiments.json without "checkpoint": every run at its final epoch, as the
        report always did; this folder's files were written with the checkpoint, so the check
        reports the disagreement."""
        d = self.variant("no_checkpoint")
        doc = json.loads((d / "experiments.json").read_text())
        for e in doc["experiments"]:
            del e["checkpoint"]
        (d / "experiments.json").write_text(json.dumps(doc))
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        html = (d / "report.html").read_text()
        tables = parse_tables(html)
        g = row_of(self.table("twitter_pos: final test results, dropout keep rate = 0.8, 5 "
                              "epochs", tables), "GELU")
        self.assertEqual((g["lr"], g["median test error (%)"]), ("0.001", "15.20"))
        self.assertIn("median final validation loss",
                      self.table("twitter_pos: selection.csv (gelu-lab's choice), 5 epochs",
                                 tables)[0])
        self.assertNotIn("best validation epoch", without_images(html))
        self.assertNotIn("best validation epoch", (d / "report.md").read_text())
        self.assertIn("summary.csv: twitter_pos, gelu, keep 0.8, lr 0.001, 5 epochs: "
                      "test_error_median is 0.131, the runs give 0.152", p.stderr)
        # selection.csv's val_loss_median is at the best epochs (0.66); the final epoch: 0.70.
        self.assertIn("selection.csv: twitter_pos, gelu, 5 epochs: val_loss_median 0.66, the "
                      "runs give 0.7", p.stderr)

    def test_unknown_checkpoint_warns(self):
        d = self.variant("unknown_checkpoint")
        doc = json.loads((d / "experiments.json").read_text())
        doc["experiments"][0]["checkpoint"] = "best_val_loss"
        (d / "experiments.json").write_text(json.dumps(doc))
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("experiments.json: twitter_pos: unknown checkpoint 'best_val_loss' (known: "
                      "final, best_val_error); each run's final epoch is used", p.stderr)


class ErrorCasesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="gelu_report_err_"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_empty_dir(self):
        p = run_report(self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("nothing to report", p.stderr)
        self.assertFalse((self.tmp / "report.html").exists())

    def test_missing_dir(self):
        p = run_report(self.tmp / "nope")
        self.assertEqual(p.returncode, 2)
        self.assertIn("does not exist", p.stderr)

    def test_malformed_lines_warn_and_report(self):
        d = self.tmp / "r"
        build_results(d)
        good = {"experiment": "mnist_classify", "activation": "gelu", "lr": 1e-3, "dropout": 0.0,
                "seed": 9, "epoch": 1, "split": "train", "loss": 0.3, "error": 0.1,
                "data_fingerprint": FP}
        (d / "runs" / "bad.jsonl").write_text(
            json.dumps(good) + "\n" + '{"experiment": "mnist_classify", "loss": \n'
            + json.dumps({k: v for k, v in good.items() if k != "seed"}) + "\n"
            + json.dumps(dict(good, dropout=1.0)) + "\n")
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("runs/bad.jsonl:2", p.stderr)
        self.assertIn("runs/bad.jsonl:3: missing field(s) seed", p.stderr)
        self.assertIn("runs/bad.jsonl:4: dropout 1.0 is not a drop rate", p.stderr)
        html = (d / "report.html").read_text()
        self.assertIn("runs/bad.jsonl:2", html)


if __name__ == "__main__":
    unittest.main(verbosity=2)
