"""gelu_torch from Python: torch.ops.load_library(libgelu_torch.so) with Debian's python3-torch,
then torch.ops.gelu.* values against math.erfc references (float32, 1 ULP) and autograd gradients
against the analytic derivatives. Usage: /usr/bin/python3 test_ops.py PATH/libgelu_torch.so
(or GELU_TORCH_LIB=PATH). Exits 77 (ctest: skipped) when this interpreter has no torch."""
import math
import os
import struct
import sys

SKIP = 77

try:
    import torch
except ImportError as e:  # the `python3` first on PATH is a build without Debian's packages
    print(f"SKIP: {sys.executable} cannot import torch ({e})")
    sys.exit(SKIP)


def f32(v):
    """v rounded to the nearest float32, as a Python float."""
    return struct.unpack("f", struct.pack("f", v))[0]


def ulp32(r):
    """Distance between the two float32 numbers around |r| (DESIGN.md's ULP definition)."""
    a = abs(r)
    if a < 2.0 ** -126:
        return 2.0 ** -149
    return 2.0 ** (math.floor(math.log2(a)) - 23)


def phi_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def phi_pdf(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def gelu_exact(x):
    # erfc keeps the negative tail accurate where 1 + erf(x / sqrt 2) cancels.
    return 0.5 * x * math.erfc(-x / math.sqrt(2.0))


FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


def main():
    lib = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GELU_TORCH_LIB")
    if not lib:
        print("usage: test_ops.py PATH/libgelu_torch.so (or set GELU_TORCH_LIB)")
        return 2
    torch.ops.load_library(lib)
    ops = torch.ops.gelu
    print(f"torch {torch.__version__} from {torch.__file__}; loaded {lib}")

    points = [-10.0, -6.0, 0.5, -3.0, -0.75, 0.0, 1.0, 4.0]

    # Forward values: within 1 ULP of the exact x * Phi(x).
    x = torch.tensor(points, dtype=torch.float32)
    y = ops.gelu(x)
    check(y.dtype == torch.float32 and y.shape == x.shape, "gelu keeps dtype and shape")
    for xi, yi in zip(x.tolist(), y.tolist()):
        r = gelu_exact(xi)
        err = abs(yi - r) / ulp32(r) if r != 0.0 else abs(yi)
        check(err <= 1.0, f"gelu({xi}) = {yi!r}, exact {r!r}, error {err:.3f} ulp")

    # Gradient: Phi(x) + x phi(x), through autograd (the Autograd kernel calls libgelu's backward).
    xg = x.clone().requires_grad_(True)
    ops.gelu(xg).sum().backward()
    for xi, gi in zip(x.tolist(), xg.grad.tolist()):
        r = phi_cdf(xi) + xi * phi_pdf(xi)
        # Relative to the terms Phi and |x| phi, which cancel near x = -0.75.
        tol = 1e-5 * (phi_cdf(xi) + abs(xi) * phi_pdf(xi))
        check(abs(gi - r) <= tol, f"d gelu/dx at {xi} = {gi!r}, exact {r!r}")

    # Every activation id is an op that runs forward and backward.
    for name in ["gelu", "gelu_tanh", "gelu_sigmoid", "silu", "relu", "elu"]:
        op = getattr(ops, name)
        t = torch.linspace(-4, 4, 101).requires_grad_(True)
        out = op(t)
        out.sum().backward()
        check(out.shape == t.shape and bool(torch.isfinite(t.grad).all()), f"{name} runs")
    check(torch.equal(ops.relu(x), torch.relu(x)), "relu equals torch.relu")

    # Gaussian GELU: y = x Phi(z), z = (x - mu) / sigma; gradients wrt x, mu and sigma.
    mu0, sigma0 = f32(0.3), f32(0.7)
    xs = torch.tensor(points, dtype=torch.float32, requires_grad=True)
    mu = torch.tensor(mu0, requires_grad=True)
    sigma = torch.tensor(sigma0, requires_grad=True)
    yg = ops.gaussian_gelu(xs, mu, sigma)
    yg.sum().backward()
    dmu = dsigma = dmu_scale = dsigma_scale = 0.0
    for xi, yi, gi in zip(points, yg.tolist(), xs.grad.tolist()):
        z = (xi - mu0) / sigma0
        r = xi * phi_cdf(z)
        check(abs(yi - r) <= 2 * ulp32(r), f"gaussian_gelu({xi}) = {yi!r}, exact {r!r}")
        rdx = phi_cdf(z) + xi * phi_pdf(z) / sigma0
        # 2e-38: results below float's normal range may round to 0 or a subnormal.
        check(abs(gi - rdx) <= 1e-5 * (phi_cdf(z) + abs(xi) * phi_pdf(z) / sigma0) + 2e-38,
              f"d gaussian/dx at {xi} = {gi!r}, exact {rdx!r}")
        dmu += -xi * phi_pdf(z) / sigma0
        dsigma += -xi * phi_pdf(z) * z / sigma0
        dmu_scale += abs(xi * phi_pdf(z) / sigma0)
        dsigma_scale += abs(xi * phi_pdf(z) * z / sigma0)
    check(mu.grad.shape == () and sigma.grad.shape == (), "mu and sigma grads are 0-dim")
    check(abs(mu.grad.item() - dmu) <= 1e-5 * dmu_scale, f"dmu = {mu.grad.item()!r}, exact {dmu!r}")
    check(abs(sigma.grad.item() - dsigma) <= 1e-5 * dsigma_scale,
          f"dsigma = {sigma.grad.item()!r}, exact {dsigma!r}")

    # Errors reach Python as RuntimeError with libgelu_torch's message.
    try:
        ops.gelu(torch.ones(3, dtype=torch.float64))
        check(False, "float64 input raises")
    except RuntimeError as e:
        check("float32" in str(e), "float64 input raises a clear RuntimeError")
    try:
        ops.gaussian_gelu(x, torch.tensor(0.0), torch.tensor(-1.0))
        check(False, "sigma < 0 raises")
    except RuntimeError as e:
        check("sigma must be positive" in str(e), "sigma < 0 raises a clear RuntimeError")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
