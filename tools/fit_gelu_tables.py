#!/usr/bin/python3
"""Generates src/act/gelu_tables.inc: the piecewise-polynomial tables of libgelu's fast fp32 path
(AVX-512), forward F and backward F', for gelu (y = x Phi(x), F' = Phi(x) + x phi(x)),
gelu_tanh, gelu_sigmoid, silu and elu (expm1(x); the kernel returns x itself for x > 0, so the
tables extend expm1 smoothly past 0), and the normal CDF Phi for gaussian_gelu's forward.

31 intervals of width 1/4 centred at c = k/4, k = -15..15, cover |x| < 3.875. On each,
F(c + d) = F(c) + a0 d + d^2 (a1 + a2 d + ... + a5 d^4), |d| <= 1/8; F(c) is stored as a float
pair (hi, lo) so the kernel can add the large terms exactly (Fast2Sum / 2Sum) and round once.
Interval k sits in column k mod 32: the permute that reads the tables uses the low 5 bits of k.
Coefficients: Chebyshev interpolation of values from mpmath (50 digits), rounded to float.
The fp32 results are checked exhaustively (docs/ACCURACY.md), not trusted from this fit.
Run: /usr/bin/python3 tools/fit_gelu_tables.py > src/act/gelu_tables.inc
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 50
SQRT2 = mp.sqrt(2)
HALF_WIDTH = mp.mpf(1) / 8
# Degree of (F(c + d) - F(c)) / d. 5 rather than 6 saves the kernel a permute and an fma per
# vector; the fit error it adds is small beside the float coefficients' own rounding (gelu forward
# 0.26 ULP at most against 0.22 with degree 6, sampled; the exhaustive sweeps give the bounds).
DEGREE = 5
KMAX = 15


def cdf(x):
    return mp.erfc(-x / SQRT2) / 2


def sigmoid(v):
    return 1 / (1 + mp.exp(-v))


def gelu(x):
    return x * cdf(x)


def normal_pdf(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu_grad(x):
    return cdf(x) + x * normal_pdf(x)


TANH_C = mp.sqrt(2 / mp.pi)
TANH_A = mp.mpf("0.044715")


def gelu_tanh(x):
    return x * sigmoid(2 * TANH_C * (x + TANH_A * x ** 3))


def gelu_tanh_grad(x):
    s = sigmoid(2 * TANH_C * (x + TANH_A * x ** 3))
    return s + 2 * x * s * (1 - s) * TANH_C * (1 + 3 * TANH_A * x * x)


def x_sigmoid(k):
    k = mp.mpf(k)
    return (lambda x: x * sigmoid(k * x),
            lambda x: sigmoid(k * x) + k * x * sigmoid(k * x) * (1 - sigmoid(k * x)))


# (C array name, F, F') in the order of the kernel's FastTable ids.
FUNCTIONS = [
    ("Gelu", gelu, gelu_grad),
    ("GeluTanh", gelu_tanh, gelu_tanh_grad),
    ("GeluSigmoid",) + x_sigmoid("1.702"),
    ("Silu",) + x_sigmoid(1),
    ("Elu", mp.expm1, mp.exp),
]


def fit(fun, c, relative=False):
    """The unrounded polynomial on the interval at c: [a0, ..., a5] (monomials in d) and F(c)."""
    n = DEGREE + 1
    nodes = [HALF_WIDTH * mp.cos(mp.pi * (j + mp.mpf(1) / 2) / n) for j in range(n)]
    c = mp.mpf(c)
    f0 = fun(c)
    weights = None
    if relative:
        # Least squares on many points, weighted so that the error of f0 + d g(d) counts
        # relative to F(c + d): for Phi on the negative side F falls by 2.6x across one interval,
        # and interpolation, which spreads the absolute error evenly, left 1.25 ULP at x = -3.87.
        nodes = [HALF_WIDTH * mp.cos(mp.pi * (j + mp.mpf(1) / 2) / 64) for j in range(64)]
        weights = np.array([float(abs(d) / abs(fun(c + d))) for d in nodes])
    # The middle node of an odd count is d = 0 (up to rounding): use the derivative there.
    vals = [(fun(c + d) - f0) / d if abs(d) > 1e-30 else mp.diff(fun, c) for d in nodes]
    cheb = np.polynomial.chebyshev.chebfit(
        np.array([float(d / HALF_WIDTH) for d in nodes]), np.array([float(v) for v in vals]),
        DEGREE, w=weights)
    mono = np.polynomial.chebyshev.cheb2poly(cheb)
    return [mono[j] / float(HALF_WIDTH) ** j for j in range(n)], f0


def interval(fun, c, relative=False):
    """fit() rounded for the kernel: float coefficients and F(c) as the float pair hi + lo."""
    coeffs, f0 = fit(fun, c, relative)
    hi = np.float32(float(f0))
    lo = np.float32(float(f0 - mp.mpf(float(hi))))
    return [np.float32(a) for a in coeffs], hi, lo


def columns(name, ctype, rows_of):
    """Prints table `name`: column k mod 32 holds rows_of(k / 4), k = -15..15."""
    rows = None
    for column in range(32):
        k = column if column <= KMAX else column - 32
        k = max(k, -KMAX)  # column 16 (k = -16) is never read; repeat k = -15
        values = rows_of(mp.mpf(k) / 4)
        rows = rows or [[] for _ in values]
        for j, v in enumerate(values):
            rows[j].append(v)
    print(f"alignas(64) static const {ctype} {name}[{len(rows)}][32] = {{")
    for row in rows:
        suffix = "f" if ctype == "float" else ""
        print("    {" + ", ".join(f"{float(v)!r}{suffix}" for v in row) + "},")
    print("};")


def table_f64(name, fun):
    """Rows a0..a5, F(c), unrounded (double)."""
    def rows_of(c):
        coeffs, f0 = fit(fun, c)
        return [float(a) for a in coeffs] + [float(f0)]
    columns(name, "double", rows_of)


def table(name, fun, relative=False):
    """Rows a0..a5, hi, lo, in float."""
    def rows_of(c):
        coeffs, hi, lo = interval(fun, c, relative)
        return coeffs + [hi, lo]
    columns(name, "float", rows_of)


def main():
    print(f"// Generated by tools/fit_gelu_tables.py; do not edit. Rows: a0..a{DEGREE}, hi, lo; column")
    print("// k mod 32 holds the interval centred at k/4, k = -15..15 (column 16 is unused).")
    print(f"constexpr int kFastDegree = {DEGREE};")
    for name, fun, grad in FUNCTIONS:
        table(f"k{name}FwdTable", fun)
        table(f"k{name}BwdTable", grad)
    # The normal CDF itself, for gaussian_gelu's forward x Phi((x - mu) / sigma).
    table("kNormalCdfTable", cdf, relative=True)
    # gaussian_gelu's backward f'(z) = G'(z) + m phi(z) (G = gelu, m = mu / sigma): the kernel
    # combines these two per call in double and rounds the sum to a float table (rows a0..a5,
    # F(c), with a0's rounding error kept as an extra row), so the pieces stay unrounded here.
    print("// Unrounded (double) a0..a5 and F(c) of gelu's F' and of the normal density phi.")
    table_f64("kGeluBwdTableF64", gelu_grad)
    table_f64("kNormalPdfTableF64", normal_pdf)


if __name__ == "__main__":
    main()
