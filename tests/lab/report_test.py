#!/usr/bin/python3
"""report_test.py: end-to-end test of lab/report/make_report.py on synthetic results whose
statistics are worked out by hand below (medians, means, stds, t-intervals, the lr rule).

Run: /usr/bin/python3 tests/lab/report_test.py   (unittest; non-zero exit on failure)
Writes only into temporary directories.
"""

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "lab" / "report" / "make_report.py"
PYTHON = "/usr/bin/python3"

ACTS = ("gelu", "relu", "elu")
DROPOUTS = (1.0, 0.5)
LRS = (1e-3, 1e-4)
SEEDS = (1, 2, 3)
EPOCHS = (1, 2, 3, 4)

# The lr the rule must select (lowest median over seeds of the final-epoch validation loss).
SELECTED = {("gelu", 1.0): 1e-3, ("relu", 1.0): 1e-4, ("elu", 1.0): 1e-3,
            ("gelu", 0.5): 1e-4, ("relu", 0.5): 1e-3, ("elu", 0.5): 1e-3}

# Final (epoch 4) validation loss per seed. Traps for wrong rules:
#  gelu/1.0: lr 1e-3 has median 0.10 but mean 0.233; lr 1e-4 has median = mean = 0.12, and a
#  validation loss of 0.05 at epoch 2 (a "best epoch" rule would pick 1e-4).
#  relu/0.5: lr 1e-3 seed 3 diverged (NaN counts as +inf: median 0.30 still beats 0.40).
FINAL_VAL = {
    ("gelu", 1.0, 1e-3): (0.10, 0.10, 0.50), ("gelu", 1.0, 1e-4): (0.12, 0.12, 0.12),
    ("relu", 1.0, 1e-3): (0.20, 0.20, 0.20), ("relu", 1.0, 1e-4): (0.15, 0.16, 0.17),
    ("elu", 1.0, 1e-3): (0.11, 0.12, 0.13), ("elu", 1.0, 1e-4): (0.14, 0.14, 0.14),
    ("gelu", 0.5, 1e-3): (0.30, 0.30, 0.30), ("gelu", 0.5, 1e-4): (0.25, 0.26, 0.27),
    ("relu", 0.5, 1e-3): (0.30, 0.30, None), ("relu", 0.5, 1e-4): (0.40, 0.40, 0.40),
    ("elu", 0.5, 1e-3): (0.20, 0.21, 0.22), ("elu", 0.5, 1e-4): (0.23, 0.23, 0.23),
}

# Final test error / loss per seed (1, 2, 3) at the selected lr, no dropout.
TEST_ERR = {"gelu": (0.020, 0.022, 0.027), "relu": (0.025, 0.024, 0.030),
            "elu": (0.021, 0.020, 0.026)}
TEST_LOSS = {"gelu": (0.08, 0.09, 0.13), "relu": (0.10, 0.10, 0.10),
             "elu": (0.085, 0.08, 0.12)}

NOISE_LEVELS = [0.5 * k for k in range(7)]  # 0 .. 3


def noise_err(act, lr, seed, a):
    """Test error under noise a; relu at lr 1e-3 (not selected in mnist_classify) is a decoy."""
    if act == "relu" and lr == 1e-3:
        return 0.5
    base, slope = {"gelu": (0.02, 0.10), "relu": (0.03, 0.12), "elu": (0.025, 0.11)}[act]
    return base + slope * a + 0.01 * (seed - 2)


def build_results(root, lab_convention=False):
    """Synthetic gelu-lab results: runs/*.jsonl (one file per run) and summary.csv.
    lab_convention: write dropout as gelu-lab does (the drop rate, plus "keep" = 1 - dropout)
    instead of the keep probability in "dropout"."""
    runs = root / "runs"
    runs.mkdir(parents=True)

    def keep_fields(rec):
        if lab_convention:
            keep = rec["dropout"]
            rec["dropout"], rec["keep"] = 1.0 - keep, keep
        return rec

    summary = []
    for act in ACTS:
        for dp in DROPOUTS:
            for lr in LRS:
                errs, losses = [], []
                for i, seed in enumerate(SEEDS):
                    lines = []
                    sel = SELECTED[(act, dp)] == lr
                    fv = FINAL_VAL[(act, dp, lr)][i]
                    if dp == 1.0 and sel:
                        fe, fl = TEST_ERR[act][i], TEST_LOSS[act][i]
                    else:
                        fe, fl = 0.05 + 0.001 * i, 0.2 + 0.01 * i
                    if fv is None:  # diverged
                        fe, fl = 0.9, None
                    for ep in EPOCHS:
                        last = ep == EPOCHS[-1]
                        tr = 0.5 / ep * (1.0 if act == "gelu" else 1.3)
                        val = fv if last else (0.05 if (act, dp, lr, ep) ==
                                               ("gelu", 1.0, 1e-4, 2) else 0.3 + 0.1 / ep)
                        if fv is None and ep >= 3:
                            tr = val = None
                        te_err, te_loss = (fe, fl) if last else (fe + 0.01, 0.4 / ep)
                        for split, loss, err in (("train", tr, 0.1 / ep), ("val", val, 0.2 / ep),
                                                 ("test", te_loss, te_err)):
                            lines.append({"experiment": "mnist_classify", "activation": act,
                                          "lr": lr, "dropout": dp, "seed": seed, "epoch": ep,
                                          "split": split, "loss": loss, "error": err})
                    errs.append(fe)
                    losses.append(fl if fl is not None else math.nan)
                    name = f"mnist_classify-{act}-keep{dp:g}-lr{lr:g}-s{seed}.jsonl"
                    (runs / name).write_text(
                        "".join(json.dumps(keep_fields(x)) + "\n" for x in lines))
                summary.append(["mnist_classify", act, dp, lr, len(SEEDS), len(EPOCHS),
                                sum(errs) / 3, 0.0, sum(losses) / 3, 0.0])
    # mnist_noise: the no-dropout classifiers at both lrs; the report must reuse mnist_classify's
    # selection (relu: 1e-4).
    for act in ACTS:
        for lr in LRS:
            for seed in SEEDS:
                lines = []
                for a in NOISE_LEVELS:
                    e = noise_err(act, lr, seed, a)
                    lines.append({"experiment": "mnist_noise", "activation": act, "lr": lr,
                                  "dropout": 1.0, "seed": seed, "epoch": 4, "split": "test",
                                  "noise": a, "loss": 0.1 + 5.0 * a, "error": e})
                name = f"mnist_noise-{act}-lr{lr:g}-s{seed}.jsonl"
                (runs / name).write_text("".join(json.dumps(keep_fields(x)) + "\n"
                                                 for x in lines))
    # A third, unknown experiment without error (autoencoder-like), one seed, no val split:
    # the generic figure, "n/a" for std/CI, selection by training loss.
    for act in ("gelu", "relu"):
        for lr in (1e-3, 1e-4):
            lines = []
            for ep in EPOCHS:
                for split in ("train", "test"):
                    loss = (0.05 if lr == 1e-3 else 0.08) / ep + (0.01 if act == "relu" else 0)
                    lines.append({"experiment": "tiny_autoencoder", "activation": act,
                                  "lr": lr, "dropout": 1.0, "seed": 7, "epoch": ep,
                                  "split": split, "loss": loss})
            (runs / f"ae-{act}-{lr:g}.jsonl").write_text(
                "".join(json.dumps(keep_fields(x)) + "\n" for x in lines))
    with open(root / "summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["experiment", "activation", "dropout", "lr", "seeds", "epochs",
                    "test_error_mean", "test_error_std", "test_loss_mean", "test_loss_std"])
        w.writerows([r[:2] + [1.0 - r[2] if lab_convention else r[2]] + r[3:]
                     for r in summary])


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


def row_of(table, label):
    header = table[0]
    for r in table[1:]:
        if r[0] == label:
            return dict(zip(header, r))
    raise AssertionError(f"no row {label!r} in {table}")


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="gelu_report_test_"))
        cls.dir = cls.tmp / "results"
        build_results(cls.dir)
        cls.proc = run_report(cls.dir)
        cls.html = (cls.dir / "report.html").read_text() if (cls.dir / "report.html").exists() \
            else ""
        p = Tables()
        p.feed(cls.html)
        cls.tables = p.tables

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("KEEP_REPORT_TEST_DIR"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        else:
            print(f"kept {cls.tmp}", file=sys.stderr)

    def test_exit_and_outputs(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertTrue(self.proc.stdout.strip().endswith("report.html"), self.proc.stdout)
        for name in ("report.html", "report.md", "tables.csv"):
            self.assertGreater((self.dir / name).stat().st_size, 500, name)
        self.assertIn("<title>gelu-lab report", self.html)

    def test_figures_are_pngs(self):
        for name in ("mnist_classify.png", "mnist_noise.png", "tiny_autoencoder.png"):
            data = (self.dir / "figures" / name).read_bytes()
            self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n", name)
            self.assertGreater(len(data), 10_000, name)
        self.assertIn("data:image/png;base64,iVBORw0KGgo", self.html)  # embedded

    def test_lr_selection_rule(self):
        t = self.tables["mnist_classify: learning-rate selection"]
        for (act, dp), lr in SELECTED.items():
            label = {"gelu": "GELU", "relu": "ReLU", "elu": "ELU"}[act]
            rows = [dict(zip(t[0], r)) for r in t[1:] if r[0] == label
                    and r[1] == ("1.0" if dp == 1.0 else "0.5")]
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["selected lr"], f"{lr:g}", (act, dp))
            self.assertEqual(rows[0]["rule"], "lowest final median validation loss")
        # gelu/1.0 candidates: median final val loss 0.1000 (lr 1e-3) vs 0.1200 (lr 1e-4).
        g = [r for r in t[1:] if r[0] == "GELU" and r[1] == "1.0"][0]
        self.assertIn("0.001: 0.1000", g[2])
        self.assertIn("0.0001: 0.1200", g[2])
        noise = self.tables["mnist_noise: learning-rate selection"]
        relu = row_of(noise, "ReLU")
        self.assertEqual(relu["selected lr"], "0.0001")
        self.assertEqual(relu["rule"], "as selected in mnist_classify")

    def test_gelu_row_statistics(self):
        t = self.tables["mnist_classify: no dropout (keep 1.0)"]
        r = row_of(t, "GELU")
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
        self.assertEqual(r["median test loss"], "0.0900")
        self.assertEqual(r["mean ± std"], "0.1000 ± 0.0265")
        self.assertEqual(r["95% CI of mean"], "[0.0343, 0.1657]")
        self.assertEqual(r["Δ test error vs GELU, mean (pp)"], "(reference)")

    def test_paired_differences(self):
        t = self.tables["mnist_classify: no dropout (keep 1.0)"]
        relu = row_of(t, "ReLU")
        # relu - gelu per seed: +0.005, +0.002, +0.003 -> mean 0.3333 pp; std of differences
        # sqrt((1.6667^2 + 1.3333^2 + 0.3333^2) e-6 / 2) = 0.15275 pp; half-width
        # 4.302653 * 0.15275 / 1.73205 = 0.37946 pp -> [-0.0461, 0.7128] pp. GELU lower in all 3.
        self.assertEqual(relu["lr"], "0.0001")
        self.assertEqual(relu["Δ test error vs GELU, mean (pp)"], "0.33")
        self.assertEqual(relu["95% CI"], "[-0.05, 0.71]")
        self.assertEqual(relu["seeds: lower / GELU lower / tie"], "0 / 3 / 0 of 3")
        elu = row_of(t, "ELU")
        # elu - gelu: +0.001, -0.002, -0.001 -> mean -0.0667 pp; ELU lower in seeds 2 and 3.
        self.assertEqual(elu["Δ test error vs GELU, mean (pp)"], "-0.07")
        self.assertEqual(elu["seeds: lower / GELU lower / tie"], "2 / 1 / 0 of 3")

    def test_diverged_run_is_shown(self):
        t = self.tables["mnist_classify: dropout keep rate = 0.5"]
        relu = row_of(t, "ReLU")
        self.assertEqual(relu["lr"], "0.001")
        self.assertEqual(relu["seeds"], "3 (1 diverged)")
        # losses 0.20, 0.21, NaN: median counts NaN as +inf -> 0.21; mean over finite 0.205.
        self.assertEqual(relu["median test loss"], "0.2100")
        self.assertTrue(relu["mean ± std"].startswith("0.2050 ± "), relu)

    def test_single_seed_and_no_error(self):
        t = self.tables["tiny_autoencoder: no dropout (keep 1.0)"]
        self.assertNotIn("median test error (%)", t[0])  # no error field in the data
        g = row_of(t, "GELU")
        self.assertEqual(g["seeds"], "1")
        self.assertEqual(g["median test loss"], "0.0125")  # lr 1e-3: 0.05 / 4
        self.assertEqual(g["mean ± std"], "0.0125 ± n/a")
        self.assertEqual(g["95% CI of mean"], "n/a")
        sel = row_of(self.tables["tiny_autoencoder: learning-rate selection"], "GELU")
        self.assertEqual(sel["selected lr"], "0.001")
        self.assertIn("training loss", sel["rule"])
        relu = row_of(t, "ReLU")
        self.assertEqual(relu["Δ test loss vs GELU, mean (loss)"], "0.0100")
        self.assertEqual(relu["95% CI"], "n/a")

    def test_noise_table(self):
        t = self.tables["mnist_noise: median test accuracy (%) at noise strength a"]
        self.assertEqual(t[0][-5:], ["a = 0", "a = 0.5", "a = 1", "a = 2", "a = 3"])
        g = row_of(t, "GELU")
        # error 0.02 + 0.1 a (median seed): accuracy 98, 93, 88, 78, 68 %.
        self.assertEqual([g[h] for h in t[0][-5:]], ["98.00", "93.00", "88.00", "78.00", "68.00"])
        r = row_of(t, "ReLU")  # lr 1e-4 (not the decoy 1e-3 at 50 %)
        self.assertEqual(r["a = 0.5"], "91.00")
        loss = row_of(self.tables["mnist_noise: median test log loss at noise strength a"], "ELU")
        self.assertEqual(loss["a = 3"], "15.10")

    def test_tidy_csv(self):
        with open(self.dir / "tables.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        hit = [r for r in rows if r["experiment"] == "mnist_classify" and r["activation"] == "gelu"
               and r["keep"] == "1.0" and r["metric"] == "test_error"
               and r["statistic"] == "median"]
        self.assertEqual(len(hit), 1)
        self.assertAlmostEqual(float(hit[0]["value"]), 0.022, places=12)
        self.assertEqual(float(hit[0]["lr"]), 1e-3)
        md = (self.dir / "report.md").read_text()
        self.assertIn("| GELU | 0.001 | 3 | 2.20 | 2.30 ± 0.36 | [1.40, 3.20] |", md)

    def test_out_option(self):
        out = self.tmp / "elsewhere"
        p = run_report(self.dir, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue((out / "report.html").is_file())
        self.assertTrue((out / "figures" / "mnist_noise.png").is_file())


class LabConventionTest(unittest.TestCase):
    """gelu-lab's own files: "dropout" is the drop rate with "keep" beside it, selection.csv
    (dropout as drop rate) overrides the rule, and a shorter run is left out like in summary.csv."""

    def test_keep_field_selection_csv_and_short_run(self):
        tmp = Path(tempfile.mkdtemp(prefix="gelu_report_lab_"))
        try:
            d = tmp / "r"
            build_results(d, lab_convention=True)
            (d / "selection.csv").write_text(
                "experiment,activation,dropout,lr,seeds,val_loss_median\n"
                "mnist_classify,gelu,0,0.001,3,0.1\n"
                "mnist_classify,relu,0,0.001,3,0.2\n")  # the rule alone would pick 1e-4
            short = [{"experiment": "mnist_classify", "activation": "gelu", "lr": 1e-3,
                      "dropout": 0.0, "keep": 1.0, "seed": 4, "epoch": ep, "split": split,
                      "loss": 5.0, "error": 0.5} for ep in (1, 2) for split in SPLITS_ALL]
            (d / "runs" / "short.jsonl").write_text("".join(json.dumps(x) + "\n" for x in short))
            p = run_report(d)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("left out 1 run(s) with fewer epochs", p.stderr)
            tables = Tables()
            tables.feed((d / "report.html").read_text())
            t = tables.tables["mnist_classify: no dropout (keep 1.0)"]
            g = row_of(t, "GELU")
            self.assertEqual((g["seeds"], g["median test error (%)"], g["mean ± std (%)"]),
                             ("3", "2.20", "2.30 ± 0.36"))
            sel = tables.tables["mnist_classify: learning-rate selection"]
            relu = [dict(zip(sel[0], r)) for r in sel[1:] if r[0] == "ReLU" and r[1] == "1.0"]
            self.assertEqual((relu[0]["selected lr"], relu[0]["rule"]), ("0.001", "selection.csv"))
            gelu5 = [dict(zip(sel[0], r)) for r in sel[1:] if r[0] == "GELU" and r[1] == "0.5"]
            self.assertEqual(gelu5[0]["selected lr"], "0.0001")  # not in selection.csv: rule
            self.assertIn("mnist_classify: dropout keep rate = 0.5", tables.tables)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


SPLITS_ALL = ("train", "val", "test")


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
        good = {"experiment": "mnist_classify", "activation": "gelu", "lr": 1e-3, "dropout": 1.0,
                "seed": 9, "epoch": 1, "split": "train", "loss": 0.3, "error": 0.1}
        (d / "runs" / "bad.jsonl").write_text(
            json.dumps(good) + "\n" + '{"experiment": "mnist_classify", "loss": \n'
            + json.dumps({k: v for k, v in good.items() if k != "seed"}) + "\n")
        p = run_report(d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("runs/bad.jsonl:2", p.stderr)
        self.assertIn("runs/bad.jsonl:3", p.stderr)
        self.assertIn("seed", p.stderr)
        html = (d / "report.html").read_text()
        self.assertIn("runs/bad.jsonl:2", html)


if __name__ == "__main__":
    unittest.main(verbosity=2)
