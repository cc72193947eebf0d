#!/usr/bin/env python3
"""Independent reference for lab/core/twpos.cpp's SubstituteVector (the hashed-n-gram part):
prints the kHashDims = 36 projection values of each word given on the command line. The values
pinned in tests/lab/lab_twpos_test.cpp come from `python3 twpos_substitute_ref.py Hello`."""
import math
import sys

M = (1 << 64) - 1
SEED = 0x67656C7577747031  # "geluwtp1"
BEGIN, END, WHOLE = 0x110001, 0x110002, 0x110003
HASH_DIMS = 36


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def signs(cps):
    h = splitmix64(SEED ^ len(cps))
    for c in cps:
        h = splitmix64(h ^ c)
    return h


def vector(word):
    lower = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in word)
    cps = [ord(c) for c in lower]  # valid UTF-8 input only
    marked = [BEGIN] + cps + [END]
    feats = []
    for n in range(1, 5):
        for i in range(len(marked) - n + 1):
            if n == 1 and (i == 0 or i + 1 == len(marked)):
                continue
            feats.append(marked[i : i + n])
    feats.append([WHOLE] + cps)
    acc = [0.0] * HASH_DIMS
    for f in feats:
        s = signs(f)
        for d in range(HASH_DIMS):
            acc[d] += 1.0 if (s >> d) & 1 else -1.0
    norm = math.sqrt(sum(a * a for a in acc))
    return [a / norm for a in acc]


for w in sys.argv[1:]:
    print(w, " ".join("%.9f" % v for v in vector(w)))
