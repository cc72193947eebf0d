"""The Python package gelu_torch against torch's own references: every functional form and module
(values and gradients vs torch.nn.functional's composites computed in float64, gradcheck in
float32), the loader's error messages, and the installed layout.

Usage with /usr/bin/python3 (Debian's torch is visible to it only):
  test_package.py --library BUILD/torch/libgelu_torch.so   imports python/gelu_torch from the
                                                            source tree, GELU_TORCH_LIBRARY set
  test_package.py --installed PREFIX                        imports the package found on
                                                            PYTHONPATH (no env var), which must
                                                            be PREFIX's and load PREFIX's library
Exits 77 (ctest: skipped) when this interpreter has no torch."""
import argparse
import math
import os
import subprocess
import sys
import warnings

SKIP = 77
SOURCE_PACKAGE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   os.pardir, os.pardir, "python"))

try:
    import torch
    import torch.nn.functional as TF
except ImportError as e:  # the `python3` first on PATH is a build without Debian's packages
    print(f"SKIP: {sys.executable} cannot import torch ({e})")
    sys.exit(SKIP)

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


def close(got, want, rtol, atol, what):
    """got (float32) against a float64 reference: |got - want| <= atol + rtol |want|."""
    got64 = got.detach().to(torch.float64)
    want64 = want.detach().to(torch.float64)
    ok = got.shape == want.shape and bool(
        (torch.abs(got64 - want64) <= atol + rtol * torch.abs(want64)).all())
    err = (torch.abs(got64 - want64) / (atol + rtol * torch.abs(want64))).max().item() \
        if got.shape == want.shape and got.numel() else float("nan")
    check(ok, f"{what} (worst |diff| / tolerance = {err:.3g})")


def raises(fn, exc, text, what):
    try:
        fn()
    except exc as e:
        check(text in str(e), f"{what}: {exc.__name__} mentioning {text!r}")
        return
    except Exception as e:  # noqa: BLE001 (report the wrong kind)
        check(False, f"{what}: expected {exc.__name__}, got {type(e).__name__}: {e}")
        return
    check(False, f"{what}: no error")


def inputs(n, seed):
    """Special values in [-10, 10] and randn * 3, float32."""
    g = torch.Generator().manual_seed(seed)
    special = torch.tensor([-10.0, -6.0, -4.0, -3.0, -1.0, -0.75, -0.5, -1e-3, -0.0, 0.0, 1e-3,
                            0.5, 1.0, 2.0, 3.0, 6.0, 10.0])
    return torch.cat([special, torch.randn(n, generator=g) * 3.0]).to(torch.float32)


# float64 references of each activation id, from torch's own functions.
REFERENCE = {
    "gelu": lambda t: TF.gelu(t),
    "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh"),
    "gelu_sigmoid": lambda t: t * torch.sigmoid(1.702 * t),
    "silu": TF.silu,
    "relu": TF.relu,
    "elu": TF.elu,
}

# Tolerances against the float64 composites. Values: libgelu is within 2 ULP (rtol 2.4e-7); the
# float64 composites 0.5 x (1 + erf) and 0.5 x (1 + tanh) cancel in the negative tail (torch's
# double gelu(-10) is off by ~1e-23 absolute), hence the tiny atol. Gradients: within 4 ULP away
# from a root of f' and absolutely 2^-24 |dy| near one (docs/ACCURACY.md): rtol 1e-6, atol 1e-7.
VALUE_TOL = dict(rtol=5e-7, atol=1e-12)
GRAD_TOL = dict(rtol=1e-6, atol=1e-7)


def composite_grads(fn, *tensors):
    """fn's value and gradients wrt tensors (float32, converted to float64 leaves), backpropagating
    a fixed random dy."""
    leaves = [t.detach().to(torch.float64).requires_grad_(True) for t in tensors]
    y = fn(*leaves)
    dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    y.backward(dy)
    return y, [t.grad for t in leaves], dy


def ours_grads(fn, dy, *tensors):
    leaves = [t.detach().clone().requires_grad_(True) for t in tensors]
    y = fn(*leaves)
    y.backward(dy.to(torch.float32))
    return y, [t.grad for t in leaves]


def compare_with_composite(name, ours, ref, *tensors, value_tol=VALUE_TOL, grad_tol=GRAD_TOL):
    want_y, want_g, dy = composite_grads(ref, *tensors)
    got_y, got_g = ours_grads(ours, dy, *tensors)
    check(got_y.dtype == torch.float32, f"{name}: float32 result")
    close(got_y, want_y, what=f"{name}: values vs float64 composite", **value_tol)
    for i, (g, w) in enumerate(zip(got_g, want_g)):
        close(g, w, what=f"{name}: gradient {i} vs float64 composite", **grad_tol)


def gradcheck32(name, fn, *tensors):
    """torch.autograd.gradcheck in float32 (the ops are float32-only, so float64 gradcheck does
    not apply): eps 1e-3 gives finite differences good to ~1e-3 relative, enough to catch a wrong
    factor, sign or swapped input."""
    leaves = [t.detach().clone().requires_grad_(True) for t in tensors]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not double precision"
        try:
            ok = torch.autograd.gradcheck(fn, leaves, eps=1e-3, atol=2e-3, rtol=2e-2)
        except RuntimeError as e:
            print(e)
            ok = False
    check(ok, f"{name}: torch.autograd.gradcheck (float32, eps 1e-3)")


def check_loader_errors():
    """Importing from the source tree without a library gives an ImportError with a hint."""
    env = {k: v for k, v in os.environ.items() if k != "GELU_TORCH_LIBRARY"}
    env["PYTHONPATH"] = SOURCE_PACKAGE_DIR
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    code = "import gelu_torch"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    check(r.returncode != 0 and "ImportError: gelu_torch: cannot find libgelu_torch.so" in r.stderr
          and "GELU_TORCH_LIBRARY" in r.stderr and "cmake --install" in r.stderr,
          "no library: ImportError with the install / env var hint")
    env["GELU_TORCH_LIBRARY"] = "/no/such/libgelu_torch.so"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    check(r.returncode != 0 and "GELU_TORCH_LIBRARY='/no/such/libgelu_torch.so' is not a file"
          in r.stderr, "bad GELU_TORCH_LIBRARY: ImportError naming it")


def main():
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--library", help="built libgelu_torch.so; import the source-tree package")
    mode.add_argument("--installed", metavar="PREFIX", help="check the package installed there")
    args = parser.parse_args()

    if args.library:
        sys.path.insert(0, SOURCE_PACKAGE_DIR)
        os.environ["GELU_TORCH_LIBRARY"] = args.library
    else:
        if "GELU_TORCH_LIBRARY" in os.environ:
            print("--installed must run without GELU_TORCH_LIBRARY")
            return 2

    import gelu_torch
    from gelu_torch import functional as F

    print(f"torch {torch.__version__}; gelu_torch from {gelu_torch.__file__}; "
          f"library {gelu_torch.library_path}")
    if args.library:
        check(gelu_torch.__file__.startswith(SOURCE_PACKAGE_DIR), "imported the source tree")
        check(os.path.samefile(gelu_torch.library_path, args.library), "loaded GELU_TORCH_LIBRARY")
    else:
        prefix = os.path.realpath(args.installed)
        check(os.path.realpath(gelu_torch.__file__).startswith(prefix + os.sep),
              "imported the installed package")
        check(gelu_torch.library_path is not None and os.path.realpath(
            gelu_torch.library_path).startswith(prefix + os.sep),
            f"loaded the installed library {gelu_torch.library_path}")
        check(os.path.isfile(os.path.join(os.path.dirname(gelu_torch.__file__), "_install.py")),
              "the install wrote _install.py")

    x = inputs(2000, 1)

    # ---- Elementwise functional forms and modules -------------------------------------------
    for approximate, act in [("none", "gelu"), ("tanh", "gelu_tanh"), ("sigmoid", "gelu_sigmoid")]:
        compare_with_composite(f"gelu(approximate={approximate!r})",
                               lambda t, a=approximate: F.gelu(t, a), REFERENCE[act], x)
        m = gelu_torch.GELU(approximate)
        check(torch.equal(m(x), F.gelu(x, approximate)), f"GELU({approximate!r}) is F.gelu")
        check(repr(m) == f"GELU(approximate={approximate!r})", f"repr {m!r}")
    check(torch.equal(gelu_torch.GELU()(x), torch.ops.gelu.gelu(x)), "GELU() is exact gelu")
    # Also against torch's float32 functions, with torch.testing's float32 defaults.
    torch.testing.assert_close(F.gelu(x), TF.gelu(x))
    torch.testing.assert_close(F.gelu(x, "tanh"), TF.gelu(x, approximate="tanh"))
    torch.testing.assert_close(F.silu(x), TF.silu(x))
    check(True, "gelu, gelu tanh, silu within torch.testing's float32 tolerances of torch's")
    compare_with_composite("silu", F.silu, TF.silu, x)
    check(torch.equal(gelu_torch.SiLU()(x), F.silu(x)), "SiLU is F.silu")
    xk = x[x.abs() > 1e-2]  # relu and elu: no finite difference across the kink
    for act in gelu_torch.ACTIVATIONS:
        compare_with_composite(f"activation({act!r})", lambda t, a=act: F.activation(t, a),
                               REFERENCE[act], xk)
    check(torch.equal(F.activation(x, "relu"), TF.relu(x)), "relu is exactly torch.relu")

    # ---- Gaussian GELU -----------------------------------------------------------------------
    def gaussian_ref(t, mu, sigma):
        return t * 0.5 * torch.erfc(-(t - mu) / (sigma * math.sqrt(2.0)))

    mu = torch.tensor(0.3)
    sigma = torch.tensor(0.7)
    compare_with_composite("gaussian_gelu(x, mu, sigma)", F.gaussian_gelu, gaussian_ref, x, mu,
                           sigma, grad_tol=dict(rtol=1e-5, atol=1e-6))  # dmu, dsigma are sums
    close(F.gaussian_gelu(x, 0.3, 0.7), gaussian_ref(x.double(), mu.item(), sigma.item()),
          what="gaussian_gelu with Python float mu, sigma (read as float32)", **VALUE_TOL)
    raises(lambda: F.gaussian_gelu(x, 0.0, -1.0), RuntimeError, "sigma must be positive",
           "gaussian_gelu sigma < 0")

    g = gelu_torch.GaussianGELU(mu=0.3, sigma=0.7)
    check(sorted(n for n, _ in g.named_parameters()) == ["mu", "rho"], "GaussianGELU parameters")
    check(abs(g.sigma.item() - 0.7) < 1e-6 and abs(g.mu.item() - 0.3) < 1e-7,
          f"GaussianGELU sigma {g.sigma.item()!r}, mu {g.mu.item()!r}")
    # Gradients through sigma = softplus(rho) + 1e-4 against the same parameterization in float64.
    xg = x.clone().requires_grad_(True)
    y = g(xg)
    dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(3))
    y.backward(dy)
    mu64 = g.mu.detach().double().requires_grad_(True)
    rho64 = g.rho.detach().double().requires_grad_(True)
    x64 = x.double().requires_grad_(True)
    y64 = gaussian_ref(x64, mu64, TF.softplus(rho64) + 1e-4)
    y64.backward(dy.double())
    # The op sees sigma rounded to float32 (softplus in float32), so values against that sigma.
    close(y, gaussian_ref(x.double(), g.mu.item(), g.sigma.item()),
          what="GaussianGELU values vs float64 composite", **VALUE_TOL)
    close(xg.grad, x64.grad, what="GaussianGELU dx", **GRAD_TOL)
    close(g.mu.grad, mu64.grad, what="GaussianGELU dmu", rtol=1e-5, atol=1e-6)
    close(g.rho.grad, rho64.grad, what="GaussianGELU drho", rtol=1e-5, atol=1e-6)
    fixed = gelu_torch.GaussianGELU(mu=0.3, sigma=0.7, learnable=False)
    check(list(fixed.parameters()) == [] and sorted(dict(fixed.named_buffers())) == ["mu", "rho"],
          "GaussianGELU(learnable=False) has buffers, no parameters")
    check(torch.equal(fixed(x), g(x).detach()), "fixed and learnable GaussianGELU agree")
    close(gelu_torch.GaussianGELU()(x), TF.gelu(x.double()), what="GaussianGELU() is gelu",
          rtol=2e-6, atol=1e-12)  # sigma = 1 up to float rounding of softplus
    raises(lambda: gelu_torch.GaussianGELU(sigma=0.0), ValueError, "sigma > 0.0001",
           "GaussianGELU(sigma=0)")

    # ---- Stochastic GELU ---------------------------------------------------------------------
    s = gelu_torch.StochasticGELU()
    s.eval()
    check(torch.equal(s(x), torch.ops.gelu.gelu(x)), "StochasticGELU eval is exact gelu")
    s.train()
    torch.manual_seed(5)
    xs = (torch.randn(10000) * 2.0).requires_grad_(True)
    ys = s(xs)
    kept = ys == xs.detach()
    dropped = ys == 0
    check(bool((kept | dropped).all()) and bool(kept.any()) and bool(dropped.any()),
          "StochasticGELU training output is x or 0")
    dys = torch.randn(10000)
    ys.backward(dys)
    check(torch.equal(xs.grad, dys * kept.float()), "StochasticGELU gradient is the mask")
    draws = 40000
    grid = torch.linspace(-3.0, 3.0, 13)
    mean = s(grid.expand(draws, 13).contiguous()).mean(0)
    ok = True
    for xi, mi in zip(grid.tolist(), mean.tolist()):
        p = 0.5 * math.erfc(-xi / math.sqrt(2.0))
        ok &= abs(mi - xi * p) <= 5 * abs(xi) * math.sqrt(p * (1 - p) / draws) + 1e-6
    check(ok, "StochasticGELU mean over 40000 draws is x Phi(x) within 5 standard errors")
    torch.manual_seed(11)
    a1 = s(grid)
    torch.manual_seed(11)
    check(torch.equal(a1, s(grid)), "StochasticGELU follows torch.manual_seed")

    # ---- Gated: functional, modules, layouts -------------------------------------------------
    gen = torch.Generator().manual_seed(7)
    C = 37  # odd
    fused = torch.cat([inputs(5 * 6 * C - 17, 8).reshape(5, 6, C),
                       torch.randn(5, 6, C, generator=gen)], dim=-1)
    a, b = fused[..., :C], fused[..., C:]

    def split_ref(f):
        return lambda t: f(t[..., :C]) * t[..., C:]

    for act in gelu_torch.ACTIVATIONS:
        fk = fused.clone()
        if act in ("relu", "elu"):  # keep a off the kink for the composite's gradient
            fk[..., :C] = torch.where(a.abs() < 1e-2, a + 0.1, a)
        compare_with_composite(f"gated(x, {act!r})", lambda t, k=act: F.gated(t, k),
                               split_ref(REFERENCE[act]), fk)
        compare_with_composite(f"gated2(a, b, {act!r})", lambda p, q, k=act: F.gated2(p, q, k),
                               lambda p, q, k=act: REFERENCE[k](p) * q, fk[..., :C], fk[..., C:])
        check(torch.equal(F.gated(fused, act), F.gated2(a, b, act)),
              f"gated and gated2 on its halves agree bitwise ({act})")
    check(torch.equal(torch.ops.gelu.gated(fused), F.gated(fused, "gelu")), "default act is gelu")

    for approximate, act in [("none", "gelu"), ("tanh", "gelu_tanh"), ("sigmoid", "gelu_sigmoid")]:
        m = gelu_torch.GEGLU(approximate)
        check(torch.equal(m(fused), F.gated(fused, act)) and
              torch.equal(F.geglu(fused, approximate), F.gated(fused, act)),
              f"GEGLU({approximate!r}) and geglu are gated(x, {act!r})")
        check(repr(m) == f"GEGLU(approximate={approximate!r})", f"repr {m!r}")
    check(torch.equal(gelu_torch.SwiGLU()(fused), F.gated(fused, "silu")) and
          torch.equal(F.swiglu(fused), F.gated(fused, "silu")), "SwiGLU and swiglu are silu gates")
    check(torch.equal(gelu_torch.Gated("relu")(fused), TF.relu(a) * b), "Gated('relu') is ReGLU")
    # torch's own GEGLU / SwiGLU formulas, float32 (torch.testing's float32 tolerances).
    torch.testing.assert_close(gelu_torch.GEGLU()(fused), TF.gelu(a) * b)
    torch.testing.assert_close(gelu_torch.GEGLU("tanh")(fused), TF.gelu(a, approximate="tanh") * b)
    torch.testing.assert_close(gelu_torch.SwiGLU()(fused), TF.silu(a) * b)
    check(True, "GEGLU, GEGLU('tanh'), SwiGLU within float32 tolerances of torch's F.gelu(a) * b")

    # Row-strided and non-contiguous inputs.
    wide = torch.cat([fused, torch.randn(5, 6, 3, generator=gen)], dim=-1)[..., :2 * C]
    check(torch.equal(F.swiglu(wide), F.swiglu(fused)), "rows of a wider tensor")
    tr = fused.transpose(0, 1).contiguous().transpose(0, 1)
    check(not tr.is_contiguous() and torch.equal(F.geglu(tr), F.geglu(fused)),
          "non-contiguous input")

    # A GLU feed-forward block learns.
    torch.manual_seed(13)
    for block in (gelu_torch.GEGLU("tanh"), gelu_torch.SwiGLU()):
        ff = torch.nn.Sequential(torch.nn.Linear(6, 32), block, torch.nn.Linear(16, 6))
        opt = torch.optim.SGD(ff.parameters(), lr=0.1)
        xin = torch.randn(2, 7, 6)
        losses = []
        for _ in range(200):
            opt.zero_grad()
            loss = (ff(xin) - torch.sin(xin)).square().mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        check(losses[-1] < 0.2 * losses[0],
              f"Linear -> {block!r} -> Linear trains: loss {losses[0]:.4f} -> {losses[-1]:.4f}")

    # gradcheck (float32) of every op through the functional forms.
    xg = torch.randn(3, 10, generator=gen)
    gradcheck32("gelu", F.gelu, xg)
    gradcheck32("gelu tanh", lambda t: F.gelu(t, "tanh"), xg)
    gradcheck32("gelu sigmoid", lambda t: F.gelu(t, "sigmoid"), xg)
    gradcheck32("silu", F.silu, xg)
    gradcheck32("gaussian_gelu", F.gaussian_gelu, xg, torch.tensor(0.3), torch.tensor(0.7))
    gradcheck32("geglu", F.geglu, xg)
    gradcheck32("swiglu", F.swiglu, xg)
    gradcheck32("gated2", lambda p, q: F.gated2(p, q, "gelu_tanh"), xg[:, :5], xg[:, 5:])

    # ---- Errors --------------------------------------------------------------------------------
    raises(lambda: F.gelu(x.double()), RuntimeError, "float32", "float64 input")
    raises(lambda: F.gelu(x, "exact"), ValueError, "'none', 'tanh' or 'sigmoid'",
           "gelu(approximate='exact')")
    raises(lambda: gelu_torch.GELU("exact"), ValueError, "approximate", "GELU('exact')")
    raises(lambda: gelu_torch.GEGLU("exact"), ValueError, "approximate", "GEGLU('exact')")
    raises(lambda: gelu_torch.Gated("swish"), ValueError, "unknown activation 'swish'",
           "Gated('swish')")
    raises(lambda: F.activation(x, "swish"), ValueError, "valid: gelu, gelu_tanh", "activation")
    raises(lambda: F.gated(fused, "swish"), RuntimeError, "unknown activation 'swish'",
           "gated(x, 'swish')")
    raises(lambda: F.swiglu(torch.randn(4, 7)), RuntimeError, "must be even", "odd last dim")
    raises(lambda: F.gated2(torch.randn(4, 6), torch.randn(4, 5)), RuntimeError,
           "same shape", "gated2 shape mismatch")
    raises(lambda: F.geglu(fused.double()), RuntimeError, "float32", "float64 gated input")

    if args.library:
        check_loader_errors()

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
