// fp64 entry points against MPFR (tools/reference MpfrEval, 128 bits, rounded to double r_d):
// dense random points over [-40, 10], the underflow tail of each activation, log-spaced
// magnitudes over the whole double range, special values. |y - r_d| <= 1 ulp(r_d) is asserted,
// which bounds the true error by 1.5 ULP (the <= 2 ULP contract); near the root of f' an
// absolute bound holds instead (as for f32).
#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tools/reference/reference.h"

namespace {

using gelu::ref::Dir;
using gelu::ref::Fn;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Spacing of doubles around |r|: 2^(e-52) for |r| in [2^e, 2^(e+1)), 2^-1074 below DBL_MIN.
double UlpF64(double r) {
  if (r == 0.0) return 0x1p-1074;
  int k = 0;
  std::frexp(r, &k);
  return std::ldexp(1.0, std::max(k - 1, -1022) - 52);
}

// Near the root of f' the terms that cancel are O(0.3); long double rounds them to 2^-65
// relative, so the absolute error there is a few 2^-64 (times |dy|).
constexpr double kSmallAbs = 0x1p-60;

struct Stats {
  uint64_t measured = 0, correct = 0, near_root = 0;
  double max_ulp = 0.0, worst_x = 0.0, worst_y = 0.0, worst_r = 0.0;
  double max_abs_near_root = 0.0, worst_root_x = 0.0;
};

gelu_status Call(gelu_act act, Dir dir, size_t n, const double* x, const double* dy, double* y) {
  return dir == Dir::kForward ? gelu_forward_f64(act, n, x, y)
                              : gelu_backward_f64(act, n, x, dy, y);
}

void Measure(gelu_act act, Dir dir, const std::vector<double>& x, double g, Stats& s) {
  const Fn fn{act, false, 0.0, 1.0};
  const double root = dir == Dir::kBackward ? gelu::ref::DerivativeRoot(fn) : 0.0;
  const std::vector<double> dy(x.size(), g);
  std::vector<double> y(x.size());
  ASSERT_EQ(Call(act, dir, x.size(), x.data(), dy.data(), y.data()), GELU_OK);
  for (size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    // relu forward is exact (and MpfrEval covers it by the same formula).
    const double f = gelu::ref::MpfrEval(act, dir, xi);
    const double r = f * g;  // g a power of two: exact
    if (dir == Dir::kBackward && gelu::ref::NearDerivativeRoot(root, xi, f)) {
      ++s.near_root;
      const double a = std::fabs(y[i] - r) / std::fabs(g);
      if (!(a <= s.max_abs_near_root)) {
        s.max_abs_near_root = std::isnan(a) ? kInf : a;
        s.worst_root_x = xi;
      }
      continue;
    }
    // The ULP bound and the share correctly rounded hold outside the root window.
    ++s.measured;
    if (y[i] == r && std::signbit(y[i]) == std::signbit(r)) ++s.correct;
    double e = std::fabs(y[i] - r) / UlpF64(r);
    if (std::isnan(e)) e = kInf;
    if (dir == Dir::kForward && r == 0.0 && std::signbit(y[i]) != std::signbit(r)) e = kInf;
    if (!(e <= s.max_ulp)) {
      s.max_ulp = e;
      s.worst_x = xi;
      s.worst_y = y[i];
      s.worst_r = r;
    }
  }
}

// Where each activation's result becomes subnormal and then zero (x ~ -38.5 for gelu).
std::pair<double, double> Tail(gelu_act act) {
  switch (act) {
    case GELU_ACT_GELU:
      return {-39.5, -37.0};
    case GELU_ACT_GELU_TANH:
      return {-15.0, -13.0};
    case GELU_ACT_GELU_SIGMOID:
      return {-445.0, -410.0};
    case GELU_ACT_SILU:
      return {-760.0, -700.0};
    default:
      return {-760.0, -30.0};
  }
}

using Case = std::tuple<int, int>;  // act, dir
class F64 : public testing::TestWithParam<Case> {};

TEST_P(F64, AgainstMpfr) {
  const auto act = static_cast<gelu_act>(std::get<0>(GetParam()));
  const Dir dir = std::get<1>(GetParam()) == 0 ? Dir::kForward : Dir::kBackward;
  std::mt19937_64 rng(20240601u + static_cast<uint64_t>(act));
  // Dense points: 2^18 per case, 2^16 for exact GELU, whose MPFR erfc (~150 us a point) would
  // otherwise pass the minute per test; all cases together put 2.7M points on [-40, 10].
  std::uniform_real_distribution<double> dense(-40.0, 10.0);
  const auto [lo, hi] = Tail(act);
  std::uniform_real_distribution<double> tail(lo, hi);
  std::uniform_real_distribution<double> mag(-1074.0, 1023.0);
  std::vector<double> x;
  const int dense_count = act == GELU_ACT_GELU ? 1 << 16 : 1 << 18;
  for (int i = 0; i < dense_count; ++i) x.push_back(dense(rng));
  const int tail_count = act == GELU_ACT_GELU ? 1 << 13 : 1 << 14;
  for (int i = 0; i < tail_count; ++i) x.push_back(tail(rng));
  for (int i = 0; i < (1 << 13); ++i) {
    const double m = std::exp2(mag(rng));
    x.push_back((i & 1) != 0 ? -m : m);
  }
  for (double v : {0.0, -0.0, 1.0, -1.0, 0x1p-1074, -0x1p-1074, 0x1p-1022, -0x1p-1022,
                   std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()}) {
    x.push_back(v);
  }
  const double root = gelu::ref::DerivativeRoot(Fn{act, false, 0.0, 1.0});
  if (dir == Dir::kBackward && std::isfinite(root)) {  // where f' cancels: the absolute bound
    double up = root, down = root;
    for (int i = 0; i < 2048; ++i) {
      up = std::nextafter(up, kInf);
      down = std::nextafter(down, -kInf);
      x.push_back(up);
      x.push_back(down);
      x.push_back(root + 1e-6 * (i - 1024));
    }
  }
  Stats s;
  Measure(act, dir, x, 1.0, s);
  if (dir == Dir::kBackward) {
    // dy powers of two keep the reference product exact.
    const std::vector<double> part(x.begin(), x.begin() + (1 << 13));
    for (double g : {-2.0, 0.5, -0.25}) Measure(act, dir, part, g, s);
  }
  const double share = 100.0 * static_cast<double>(s.correct) / static_cast<double>(s.measured);
  std::printf("TABLE| f64 | %s | %s | %.3f | %.4f%% | scalar long double\n", gelu_act_name(act),
              gelu::ref::DirName(dir), s.max_ulp, share);
  std::printf("  %llu inputs; worst x = %.17g: got %.17g, want %.17g",
              static_cast<unsigned long long>(s.measured), s.worst_x, s.worst_y, s.worst_r);
  if (dir == Dir::kBackward) {
    std::printf("; %llu near the root of f': max |err| = %g * 2^-64 at x = %.17g",
                static_cast<unsigned long long>(s.near_root), s.max_abs_near_root / 0x1p-64,
                s.worst_root_x);
  }
  std::printf("\n");
  // 1 ulp of the correctly rounded r_d: at most 1.5 ULP of the exact value.
  EXPECT_LE(s.max_ulp, 1.0) << "worst x = " << s.worst_x;
  EXPECT_LE(s.max_abs_near_root, kSmallAbs) << "worst x = " << s.worst_root_x;
}

std::string CaseName(const testing::TestParamInfo<Case>& info) {
  return std::string(gelu_act_name(static_cast<gelu_act>(std::get<0>(info.param)))) +
         (std::get<1>(info.param) == 0 ? "_forward" : "_backward");
}

INSTANTIATE_TEST_SUITE_P(Types, F64,
                         testing::Combine(testing::Range(0, GELU_ACT_COUNT), testing::Values(0, 1)),
                         CaseName);

bool SameBits(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return a == b && std::signbit(a) == std::signbit(b);
}

// Special values: NaN -> NaN, f(+inf) and f(-inf) the limits, signed zeros.
TEST(F64Specials, LimitsAndZeros) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double snan = std::numeric_limits<double>::signaling_NaN();
  const std::vector<double> x = {nan, snan, kInf, -kInf, 0.0, -0.0};
  // Per act: f(+inf), f(-inf), f(+0), f(-0).
  const double want[GELU_ACT_COUNT][4] = {
      {kInf, -0.0, 0.0, -0.0},  // gelu
      {kInf, -0.0, 0.0, -0.0},  // gelu_tanh
      {kInf, -0.0, 0.0, -0.0},  // gelu_sigmoid
      {kInf, -0.0, 0.0, -0.0},  // silu
      {kInf, 0.0, 0.0, 0.0},    // relu
      {kInf, -1.0, 0.0, -0.0},  // elu
  };
  const double want_grad[GELU_ACT_COUNT][2] = {// f'(+inf), f'(-inf)
                                               {1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}};
  for (int a = 0; a < GELU_ACT_COUNT; ++a) {
    const auto act = static_cast<gelu_act>(a);
    std::vector<double> y(x.size());
    ASSERT_EQ(gelu_forward_f64(act, x.size(), x.data(), y.data()), GELU_OK);
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << gelu_act_name(act);
    for (int k = 0; k < 4; ++k) {
      EXPECT_TRUE(SameBits(y[2 + static_cast<size_t>(k)], want[a][k]))
          << gelu_act_name(act) << " x = " << x[2 + static_cast<size_t>(k)] << ": got "
          << y[2 + static_cast<size_t>(k)];
    }
    const std::vector<double> dy(x.size(), 1.0);
    ASSERT_EQ(gelu_backward_f64(act, x.size(), x.data(), dy.data(), y.data()), GELU_OK);
    EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << gelu_act_name(act);
    EXPECT_EQ(y[2], want_grad[a][0]) << gelu_act_name(act);
    EXPECT_EQ(y[3], want_grad[a][1]) << gelu_act_name(act);
    // At zero: gelu-like 1/2, silu 1/2, relu 0 (or 1), elu 1.
    const double g0 = a == GELU_ACT_RELU ? 0.0 : (a == GELU_ACT_ELU ? 1.0 : 0.5);
    if (a != GELU_ACT_RELU) {
      EXPECT_EQ(y[4], g0) << gelu_act_name(act);
    }
    // NaN dy gives NaN.
    double nx = 1.0, ndy = nan, out = 0.0;
    ASSERT_EQ(gelu_backward_f64(act, 1, &nx, &ndy, &out), GELU_OK);
    EXPECT_TRUE(std::isnan(out));
  }
}

TEST(F64Api, InPlaceThreadsAndErrors) {
  const size_t n = (size_t{1} << 17) + 3;
  std::vector<double> x(n), a(n), b(n), dy(n, 1.5);
  for (size_t i = 0; i < n; ++i)
    x[i] = -12.0 + 24.0 * static_cast<double>(i) / static_cast<double>(n);
  gelu_set_num_threads(1);
  ASSERT_EQ(gelu_forward_f64(GELU_ACT_GELU, n, x.data(), a.data()), GELU_OK);
  gelu_set_num_threads(2);
  b = x;
  ASSERT_EQ(gelu_forward_f64(GELU_ACT_GELU, n, b.data(), b.data()), GELU_OK);
  gelu_set_num_threads(0);
  EXPECT_EQ(a, b);
  ASSERT_EQ(gelu_backward_f64(GELU_ACT_SILU, n, x.data(), dy.data(), a.data()), GELU_OK);
  b = dy;
  ASSERT_EQ(gelu_backward_f64(GELU_ACT_SILU, n, x.data(), b.data(), b.data()), GELU_OK);
  EXPECT_EQ(a, b);
  EXPECT_EQ(gelu_forward_f64(GELU_ACT_GELU, 8, x.data(), x.data() + 1), GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_backward_f64(GELU_ACT_GELU, 8, x.data(), dy.data(), dy.data() + 2),
            GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_forward_f64(GELU_ACT_GELU, 8, nullptr, a.data()), GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_backward_f64(GELU_ACT_GELU, 8, x.data(), nullptr, a.data()),
            GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_forward_f64(static_cast<gelu_act>(GELU_ACT_COUNT), 8, x.data(), a.data()),
            GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_forward_f64(GELU_ACT_GELU, 0, nullptr, nullptr), GELU_OK);
}

}  // namespace
