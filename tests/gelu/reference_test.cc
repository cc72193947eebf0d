// The accuracy references themselves (tools/reference): the double references against MPFR at
// 128 bits over a dense set including the deep tails, the derivatives against finite
// differences, the paper-spec 1.2 tables, and the ULP error definition of DESIGN.md.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "tests/gelu/test_util.h"
#include "tools/reference/reference.h"

namespace gelu::test {
namespace {

using ref::Dir;
using ref::Fn;

// The dense set: a 1/256 grid over [-40, 40], every 1/8192 over [-14.5, -13] (where exact
// GELU's float results are subnormal), +-2^k for k in [-149, 7], and random floats.
std::vector<double> DenseX() {
  std::vector<double> v;
  for (int i = -40 * 256; i <= 40 * 256; ++i) v.push_back(i / 256.0);
  for (int i = 0; i <= 4096; ++i) v.push_back(-14.5 + i / 8192.0);
  for (int k = -149; k <= 7; ++k) {
    v.push_back(std::ldexp(1.0, k));
    v.push_back(-std::ldexp(1.0, k));
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-40.0f, 40.0f);
  for (int i = 0; i < 4000; ++i) v.push_back(static_cast<double>(u(rng)));
  return v;
}

struct Worst {
  double err = 0.0;
  double x = 0.0;
};

// Relative error of the double reference where the MPFR value is a normal double; absolute
// below (under DBL_MIN), where double itself cannot do better. Backward values near a root of f'
// are compared to the size of the cancelling terms instead: |err| <= kTol * max(|m|, 2^-10).
constexpr double kTol = 1e-14;

void CheckAgainstMpfr(gelu_act act, Dir dir) {
  Fn fn{act, false, 0.0, 1.0};
  Worst worst;      // relative, where the MPFR value is a normal double
  Worst worst_abs;  // absolute, where it is not
  for (double x : DenseX()) {
    const double d = ref::Eval(fn, dir, x);
    const double m = ref::MpfrEval(act, dir, x);
    double scale = std::fabs(m);
    if (dir == Dir::kBackward) scale = std::max(scale, 0x1p-10);
    if (scale >= DBL_MIN) {
      const double err = std::fabs(d - m) / scale;
      if (err > worst.err) worst = {err, x};
      ASSERT_LE(err, kTol) << ref::FnName(fn) << " " << ref::DirName(dir) << " x = " << x
                           << ": double " << d << ", mpfr " << m;
    } else {
      // Below the smallest normal double (x < -37.5 for gelu): 1e262 times below any float.
      const double err = std::fabs(d - m);
      if (err > worst_abs.err) worst_abs = {err, x};
      ASSERT_LE(err, DBL_MIN) << ref::FnName(fn) << " " << ref::DirName(dir) << " x = " << x;
    }
  }
  std::printf("%s %s: max relative error of the double reference %.3g at x = %.9g",
              ref::FnName(fn).c_str(), ref::DirName(dir), worst.err, worst.x);
  if (worst_abs.err > 0) {
    std::printf("; below DBL_MIN max absolute error %.3g at x = %.9g", worst_abs.err, worst_abs.x);
  }
  std::printf("\n");
}

TEST(Reference, DoubleMatchesMpfr) {
  for (const Fn& fn : AllActivations()) {
    CheckAgainstMpfr(fn.act, Dir::kForward);
    CheckAgainstMpfr(fn.act, Dir::kBackward);
  }
}

TEST(Reference, GaussianMatchesMpfr) {
  const double params[][2] = {{0.0, 1.0}, {0.5, 2.0}, {-1.0, 0.25}, {2.0, 0.1}, {-0.3, 5.0}};
  for (const auto& p : params) {
    const double mu = p[0], sigma = p[1];
    for (int i = -400; i <= 400; ++i) {
      const double x = mu + sigma * i / 20.0 + 1.0 / 3.0;
      const double y = ref::GaussianGelu(x, mu, sigma);
      const ref::GaussianGrads g = ref::GaussianGeluGrads(x, mu, sigma);
      const double got[4] = {y, g.dx, g.dmu, g.dsigma};
      for (int w = 0; w < 4; ++w) {
        const double m = ref::MpfrGaussian(w, x, mu, sigma);
        const double scale = std::max(std::fabs(m), w == 1 ? 0x1p-10 : DBL_MIN);
        EXPECT_LE(std::fabs(got[w] - m), kTol * scale)
            << "which " << w << " x " << x << " mu " << mu << " sigma " << sigma;
      }
    }
  }
}

TEST(Reference, MpfrIsConverged) {
  for (const Fn& fn : AllActivations()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      for (double x : {-38.5, -14.0, -3.3, -0.75, 0.001, 1.5, 7.0}) {
        const double a = ref::MpfrEval(fn.act, dir, x, 128);
        const double b = ref::MpfrEval(fn.act, dir, x, 320);
        EXPECT_EQ(a, b) << ref::FnName(fn) << " " << ref::DirName(dir) << " x = " << x;
      }
    }
  }
}

// f' of each reference is the derivative of its f: central differences in double.
TEST(Reference, DerivativesMatchFiniteDifferences) {
  std::vector<Fn> fns = AllActivations();
  fns.push_back(Fn{GELU_ACT_GELU, true, 0.5, 2.0});
  fns.push_back(Fn{GELU_ACT_GELU, true, -1.0, 0.25});
  for (const Fn& fn : fns) {
    for (int i = -800; i <= 800; ++i) {
      const double x = i / 100.0 + 0.00390625;  // avoid the kinks of relu and elu at 0
      const double h = 1e-6;
      const double fd =
          (ref::Eval(fn, Dir::kForward, x + h) - ref::Eval(fn, Dir::kForward, x - h)) / (2 * h);
      const double d = ref::Eval(fn, Dir::kBackward, x);
      EXPECT_NEAR(d, fd, 1e-8 * std::max(1.0, std::fabs(x))) << ref::FnName(fn) << " x = " << x;
    }
  }
}

// paper-spec.md 1.2: the reference values, to the 7 digits given.
TEST(Reference, PaperSpecTable) {
  struct Line {
    double x, gelu, tanh, sigmoid, silu;
  };
  const Line lines[] = {
      {-3, -0.0040497, -0.0036374, -0.0180713, -0.1422776},
      {-2, -0.0455003, -0.0454023, -0.0643414, -0.2384058},
      {-1, -0.1586553, -0.1588080, -0.1542042, -0.2689414},
      {-0.5, -0.1542688, -0.1542860, -0.1496116, -0.1887703},
      {0, 0, 0, 0, 0},
      {0.5, 0.3457312, 0.3457140, 0.3503884, 0.3112297},
      {1, 0.8413447, 0.8411920, 0.8457958, 0.7310586},
      {2, 1.9544997, 1.9545977, 1.9356586, 1.7615942},
      {3, 2.9959503, 2.9963626, 2.9819287, 2.8577224},
  };
  for (const Line& l : lines) {
    EXPECT_NEAR(ref::Gelu(l.x), l.gelu, 0.5e-7) << l.x;
    EXPECT_NEAR(ref::GeluTanh(l.x), l.tanh, 0.5e-7) << l.x;
    EXPECT_NEAR(ref::GeluSigmoid(l.x), l.sigmoid, 0.5e-7) << l.x;
    EXPECT_NEAR(ref::Silu(l.x), l.silu, 0.5e-7) << l.x;
    EXPECT_EQ(ref::GaussianGelu(l.x, 0.0, 1.0), ref::Gelu(l.x)) << l.x;
  }
  // Max |approximation - exact GELU| over [-10, 10]: 4.73e-4 at -2.70 (tanh), 2.03e-2 at
  // -2.27 (sigmoid).
  double tanh_err = 0, tanh_at = 0, sig_err = 0, sig_at = 0;
  for (int i = -100000; i <= 100000; ++i) {
    const double x = i / 10000.0;
    const double t = std::fabs(ref::GeluTanh(x) - ref::Gelu(x));
    const double s = std::fabs(ref::GeluSigmoid(x) - ref::Gelu(x));
    if (t > tanh_err) tanh_err = t, tanh_at = x;
    if (s > sig_err) sig_err = s, sig_at = x;
  }
  EXPECT_NEAR(tanh_err, 4.73e-4, 0.005e-4);
  EXPECT_NEAR(tanh_at, -2.70, 0.005);
  EXPECT_NEAR(sig_err, 2.03e-2, 0.005e-2);
  EXPECT_NEAR(sig_at, -2.27, 0.005);
  // GELU's minimum, about -0.16997 at x = -0.7518: the root of f'.
  double lo = -1.0, hi = -0.5;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (ref::GeluGrad(mid) < 0 ? lo : hi) = mid;
  }
  EXPECT_NEAR(lo, -0.7518, 0.00005);
  EXPECT_NEAR(ref::Gelu(lo), -0.16997, 0.000005);
}

TEST(Reference, DerivativeRoots) {
  EXPECT_NEAR(ref::DerivativeRoot(Fn{GELU_ACT_GELU, false, 0.0, 1.0}), -0.751791, 1e-6);
  EXPECT_NEAR(ref::DerivativeRoot(Fn{GELU_ACT_SILU, false, 0.0, 1.0}), -1.278465, 1e-6);
  EXPECT_NEAR(ref::DerivativeRoot(Fn{GELU_ACT_GELU_SIGMOID, false, 0.0, 1.0}), -1.278465 / 1.702,
              1e-6);
  const double tanh_root = ref::DerivativeRoot(Fn{GELU_ACT_GELU_TANH, false, 0.0, 1.0});
  EXPECT_NEAR(tanh_root, -0.7518, 0.001);
  EXPECT_LT(std::fabs(ref::GeluTanhGrad(tanh_root)), 1e-15);
  EXPECT_TRUE(std::isnan(ref::DerivativeRoot(Fn{GELU_ACT_RELU, false, 0.0, 1.0})));
  const Fn g{GELU_ACT_GELU, true, -1.0, 0.25};
  EXPECT_LT(std::fabs(ref::Eval(g, Dir::kBackward, ref::DerivativeRoot(g))), 1e-15);
}

TEST(Ulp, Definition) {
  EXPECT_EQ(ref::UlpF32(1.0), 0x1p-23);
  EXPECT_EQ(ref::UlpF32(1.9999), 0x1p-23);
  EXPECT_EQ(ref::UlpF32(-1.5), 0x1p-23);
  EXPECT_EQ(ref::UlpF32(0.75), 0x1p-24);
  EXPECT_EQ(ref::UlpF32(0.999999999), 0x1p-24);
  EXPECT_EQ(ref::UlpF32(static_cast<double>(FLT_MIN)), 0x1p-149);
  EXPECT_EQ(ref::UlpF32(0x1p-127), 0x1p-149);
  EXPECT_EQ(ref::UlpF32(0x1p-149), 0x1p-149);
  EXPECT_EQ(ref::UlpF32(0.0), 0x1p-149);
  EXPECT_EQ(ref::UlpF32(static_cast<double>(FLT_MAX)), 0x1p104);
  // The error is measured against the unrounded r.
  EXPECT_EQ(ref::UlpError(1.0f, 1.0 + 0x1p-24), 0.5);
  EXPECT_EQ(ref::UlpError(1.0f, 1.0 + 0x1p-23), 1.0);
  EXPECT_EQ(ref::UlpError(0.0f, 0x1p-150), 0.5);
  EXPECT_EQ(ref::UlpError(-0.0f, -0x1p-151), 0.25);
  EXPECT_EQ(ref::UlpError(FromBits(1), 3 * 0x1p-150), 0.5);
  const double inf = INFINITY;
  EXPECT_EQ(ref::UlpError(NAN, 1.0), inf);
  EXPECT_EQ(ref::UlpError(INFINITY, 1.0), inf);
  EXPECT_EQ(ref::UlpError(INFINITY, 0x1p128), 0.0);  // overflow rounds to inf
  EXPECT_EQ(ref::UlpError(-INFINITY, 0x1p128), inf);
  EXPECT_EQ(ref::UlpError(INFINITY, static_cast<double>(FLT_MAX)), inf);
  EXPECT_TRUE(ref::ZeroSignOk(-0.0f, -1e-50));
  EXPECT_FALSE(ref::ZeroSignOk(0.0f, -1e-50));
  EXPECT_TRUE(ref::ZeroSignOk(0.0f, 0.0));
}

TEST(Ulp, SpecialValueRules) {
  const Fn g{GELU_ACT_GELU, false, 0.0, 1.0};
  const Fn relu{GELU_ACT_RELU, false, 0.0, 1.0};
  const Fn elu{GELU_ACT_ELU, false, 0.0, 1.0};
  const auto F = Dir::kForward;
  const auto B = Dir::kBackward;
  EXPECT_TRUE(ref::SpecialOk(g, F, -INFINITY, -0.0f));
  EXPECT_FALSE(ref::SpecialOk(g, F, -INFINITY, 0.0f));
  EXPECT_FALSE(ref::SpecialOk(g, F, -INFINITY, NAN));
  EXPECT_TRUE(ref::SpecialOk(g, F, INFINITY, INFINITY));
  EXPECT_TRUE(ref::SpecialOk(g, F, -0.0f, -0.0f));
  EXPECT_FALSE(ref::SpecialOk(g, F, -0.0f, 0.0f));
  EXPECT_TRUE(ref::SpecialOk(g, F, NAN, NAN));
  EXPECT_FALSE(ref::SpecialOk(g, F, NAN, 0.0f));
  EXPECT_TRUE(ref::SpecialOk(elu, F, -INFINITY, -1.0f));
  EXPECT_TRUE(ref::SpecialOk(relu, F, -INFINITY, 0.0f));
  EXPECT_TRUE(ref::SpecialOk(relu, F, -0.0f, 0.0f));
  EXPECT_TRUE(ref::SpecialOk(g, B, INFINITY, 1.0f));
  EXPECT_TRUE(ref::SpecialOk(g, B, -INFINITY, 0.0f));
  EXPECT_TRUE(ref::SpecialOk(relu, B, 0.0f, 1.0f));
  EXPECT_TRUE(ref::SpecialOk(relu, B, -0.0f, 0.0f));
  EXPECT_FALSE(ref::IsSpecialInput(g, B, 0.0f));
  EXPECT_TRUE(ref::IsSpecialInput(g, F, -0.0f));
  EXPECT_EQ(ref::Gelu(-0.0), 0.0);
  EXPECT_TRUE(std::signbit(ref::Gelu(-0.0)));
  EXPECT_TRUE(std::signbit(ref::Gelu(-50.0)));
  EXPECT_EQ(ref::GeluGrad(0.0), 0.5);
}

}  // namespace
}  // namespace gelu::test
