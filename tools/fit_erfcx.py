#!/usr/bin/python3
"""Fits the polynomial behind libgelu's erfc: erfcx(z) * (1 + z) = P(t), t = (z - K) / (z + K).

erfcx(z) = exp(z^2) erfc(z) is smooth on [0, inf), and the map t covers all of it with t in
[-1, 1), so one polynomial serves every z >= 0 (Schonfelder's idea, 1978; our own fit).
Chebyshev interpolation at Chebyshev nodes on values from mpmath (40 digits), converted to
the monomial basis for Horner's rule. Prints C++ constants and the measured relative error.
Run: /usr/bin/python3 tools/fit_erfcx.py [DEGREE] [K]   (needs python3-mpmath, python3-numpy)
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def erfcx(z):
    return mp.exp(z * z) * mp.erfc(z)


def fit(k, degree):
    n = degree + 1
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    values = []
    for t in nodes:
        t = mp.mpf(t)
        z = k * (1 + t) / (1 - t)
        values.append(float(erfcx(z) * (1 + z)))
    cheb = np.polynomial.chebyshev.chebfit(nodes, np.array(values), degree)
    return np.polynomial.chebyshev.cheb2poly(cheb)


def max_rel_error(k, coeffs):
    worst, where = 0.0, 0.0
    zs = np.concatenate([np.linspace(0, 30, 6001), np.geomspace(30, 1e30, 300)])
    for z in zs:
        t = (z - k) / (z + k)
        acc = 0.0
        for a in coeffs[::-1]:
            acc = acc * t + a
        approx = acc / (1 + z)
        exact = erfcx(mp.mpf(z))
        err = abs(float((approx - exact) / exact))
        if err > worst:
            worst, where = err, z
    return worst, where


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 14
    k = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    coeffs = fit(k, degree)
    worst, where = max_rel_error(k, coeffs)
    print(f"// erfcx(z) * (1 + z) = P((z - {k}) / (z + {k})), degree {degree}:")
    print(f"// max relative error {worst:.3g} (at z = {where:.4g}), measured in double")
    for i, a in enumerate(coeffs):
        print(f"constexpr double kErfcxP{i} = {a!r};")


if __name__ == "__main__":
    main()
