#!/usr/bin/python3
"""perf_table: turns compare_anchors' CSV (--csv) and bench_gelu's JSON (--benchmark_out) into the
markdown tables of docs/PERFORMANCE.md. Standard library only; prints markdown to stdout.

  /usr/bin/python3 bench/perf_table.py --compare results/compare.csv --bench results/bench.json
"""
import argparse
import csv
import json
import re
import sys

BOUND_FOR = {"forward": ("copy_scale", "forward", "copy_scale"),
             "backward": ("scale_mul", "backward", "scale_mul")}
ANCHORS = ("libtorch", "onednn")
# The targets: (ops, n, threads, minimum ratio against the faster anchor that has the op).
ANCHOR_TARGETS = [(("gelu",), 65536, 1, 1.5),
                  (("gelu_tanh", "gelu_sigmoid", "silu", "elu"), 65536, 1, 1.5)]
BANDWIDTH_TARGET = (67108864, 2, 0.9)


def size_name(n):
    n = int(n)
    for shift, suffix in ((20, "M"), (10, "K")):
        if n >= (1 << shift) and n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


def fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}g}"


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


def read_compare(path):
    meta, speed, ulp = {}, {}, []
    with open(path, newline="") as f:
        lines = []
        for line in f:
            if line.startswith("#"):
                key, _, value = line[1:].strip().partition("=")
                meta[key.strip()] = value.strip()
            else:
                lines.append(line)
    for row in csv.DictReader(lines):
        if row["metric"] in ("gelem_s", "gelem_s_cpu"):
            key = (row["op"], row["direction"], int(row["n"]), int(row["threads"]), row["impl"])
            speed.setdefault(row["metric"], {})[key] = (
                float(row["value"]), float(row["min"]), float(row["max"]))
        elif row["metric"] == "max_ulp":
            ulp.append(row)
    return meta, speed, ulp


def compare_tables(meta, speeds, ulp):
    out = []
    if meta:
        out.append("Run: " + ", ".join(f"{k} = {v}" for k, v in meta.items()) + ".\n")
    out.append("Wall clock:\n")
    out.append(speed_table(speeds.get("gelem_s", {})))
    if "gelem_s_cpu" in speeds:
        out.append("\nOne thread, CPU time of the calling thread (insensitive to time spent "
                   "descheduled):\n")
        out.append(speed_table(speeds["gelem_s_cpu"]))
    out.append("")
    out.append(target_table(speeds.get("gelem_s", {}), speeds.get("gelem_s_cpu", {})))
    if ulp:
        out.append("")
        out.append("| kernel | direction | input | implementation | max ULP error | at x |")
        out.append("|---|---|---|---|---:|---:|")
        for row in ulp:
            out.append(f"| {row['op']} | {row['direction']} | {row['input']} | {row['impl']} | "
                       f"{float(row['value']):.4g} | {row['rounds_or_x']} |")
    return "\n".join(out)


def getter(speed):
    return lambda op, d, n, t, impl: speed.get((op, d, n, t, impl), (None,))[0]


def speed_table(speed):
    out = []
    get = getter(speed)
    out.append("| op | direction | n | threads | libgelu | libtorch | oneDNN | naive erff | "
               "copy-scale | scale-mul | ours / best anchor | ours / copy-scale | ours / bw bound |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    keys = [k for k in speed if k[4] == "libgelu"]
    for op, d, n, t, _ in keys:
        ours = get(op, d, n, t, "libgelu")
        anchors = [v for v in (get(op, d, n, t, a) for a in ANCHORS) if v is not None]
        copy = get("copy_scale", "forward", n, t, "copy_scale")
        smul = get("scale_mul", "backward", n, t, "scale_mul")
        bound = get(*BOUND_FOR[d][:2], n, t, BOUND_FOR[d][2])
        out.append(f"| {op} | {d} | {size_name(n)} | {t} | {fmt(ours)} | "
                   f"{fmt(get(op, d, n, t, 'libtorch'))} | {fmt(get(op, d, n, t, 'onednn'))} | "
                   f"{fmt(get(op, d, n, t, 'naive'))} | {fmt(copy)} | {fmt(smul)} | "
                   f"{fmt_ratio(ratio(ours, max(anchors) if anchors else None))} | "
                   f"{fmt_ratio(ratio(ours, copy))} | {fmt_ratio(ratio(ours, bound))} |")
    return "\n".join(out)


def anchor_ratio(get, op, d, n, t):
    ours = get(op, d, n, t, "libgelu")
    anchors = [v for v in (get(op, d, n, t, a) for a in ANCHORS) if v is not None]
    return None if ours is None or not anchors else ours / max(anchors)


def target_table(speed, speed_cpu):
    get, get_cpu = getter(speed), getter(speed_cpu)
    out = ["| target | op | direction | n | threads | measured (wall) | measured (CPU time) | goal "
           "| met (wall) |",
           "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for ops, n, t, goal in ANCHOR_TARGETS:
        for op in ops:
            for d in ("forward", "backward"):
                r = anchor_ratio(get, op, d, n, t)
                if r is None:
                    continue
                out.append(f"| ours / faster anchor | {op} | {d} | {size_name(n)} | {t} | "
                           f"{r:.2f} | {fmt_ratio(anchor_ratio(get_cpu, op, d, n, t))} | "
                           f"{goal} | {'yes' if r >= goal else '**no**'} |")
    n, t, goal = BANDWIDTH_TARGET
    copy = get("copy_scale", "forward", n, t, "copy_scale")
    smul = get("scale_mul", "backward", n, t, "scale_mul")
    for op, d, kn, kt, impl in speed:
        if impl != "libgelu" or kn != n or kt != t:
            continue
        ours = get(op, d, n, t, "libgelu")
        for name, ref in (("copy-scale", copy), ("scale-mul", smul)):
            if d == "forward" and name == "scale-mul":
                continue
            r = ratio(ours, ref)
            if r is None:
                continue
            out.append(f"| ours / {name} | {op} | {d} | {size_name(n)} | {t} | {r:.2f} | - | "
                       f"{goal} | {'yes' if r >= goal else '**no**'} |")
    return "\n".join(out)


NAME_RE = re.compile(r"^(?P<kernel>[^/]+)/(?P<dir>forward|backward)/n:(?P<n>\d+)/t:(?P<t>\d+)")


def bench_table(path):
    with open(path) as f:
        data = json.load(f)
    ctx = data.get("context", {})
    cells, cols, rows = {}, [], []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or "error_occurred" in b:
            continue
        m = NAME_RE.match(b["name"])
        if not m:
            continue
        row, col = (m["kernel"], m["dir"]), (int(m["n"]), int(m["t"]))
        if row not in rows:
            rows.append(row)
        if col not in cols:
            cols.append(col)
        cells[(row, col)] = b.get("items_per_second", 0.0) / 1e9
    cols.sort()
    # (Not library_build_type: that is Google Benchmark's own build, "debug" in Debian's package.)
    keys = ("date", "gelu_simd_target", "cpu_model", "num_cpus", "mhz_per_cpu", "loadavg_start")
    out = ["Run: " + ", ".join(f"{k} = {ctx[k]}" for k in keys if k in ctx) + ".\n",
           "| kernel | direction | " + " | ".join(f"{size_name(n)} t{t}" for n, t in cols) + " |",
           "|---|---|" + "---:|" * len(cols)]
    for row in rows:
        out.append(f"| {row[0]} | {row[1]} | " +
                   " | ".join(fmt(cells.get((row, c))) for c in cols) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", help="CSV written by compare_anchors --csv")
    ap.add_argument("--bench", help="JSON written by bench_gelu --benchmark_out=FILE")
    args = ap.parse_args()
    if not args.compare and not args.bench:
        ap.error("give --compare CSV and/or --bench JSON")
    try:
        if args.compare:
            print(compare_tables(*read_compare(args.compare)))
            print()
        if args.bench:
            print(bench_table(args.bench))
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"perf_table: error: {e}")


if __name__ == "__main__":
    main()
