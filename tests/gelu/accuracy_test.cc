// ULP accuracy of every libgelu kernel and direction, on every SIMD target, through the C API.
// One row per kernel: reference, ULP bound, and (backward) the absolute bound near the roots of
// f'. Inputs: every float in [-16, -3] for exact GELU (where erfc tails and subnormal results
// live), a stride-4099 walk over all 2^32 bit patterns, a stride-1021 walk over [-16, 16], and
// the boundary patterns. Error as DESIGN.md defines it (tools/reference).
#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/gelu/test_util.h"
#include "tools/reference/reference.h"

namespace gelu::test {
namespace {

using ref::Dir;
using ref::Fn;

// Backward: the ULP bound holds everywhere except near the root x0 of f' (|x - x0| <= 1/8 and
// |f'(x)| < 2^-10, tools/reference), where |dx - f'(x) dy| <= small_abs * |dy| instead. 2^-24 is
// the rounding error of the two O(0.2) terms that cancel at the root (Phi(x) and x phi(x) for
// gelu), which any float kernel must pay; libgelu measures far below it (docs/ACCURACY.md).
struct Row {
  const char* name;
  Fn fn;
  Dir dir;
  double max_ulp;        // forward: everywhere; backward: except near the root of f'
  double small_abs;      // backward only: absolute bound (times |dy|) near the root of f'
  bool exhaustive_tail;  // every float in [-16, -3] (else a stride of 61 there)
};

constexpr Fn Act(gelu_act a) { return Fn{a, false, 0.0, 1.0}; }
constexpr Fn Gauss(double mu, double sigma) { return Fn{GELU_ACT_GELU, true, mu, sigma}; }

const Row kRows[] = {
    {"gelu_forward", Act(GELU_ACT_GELU), Dir::kForward, 1.0, 0.0, true},
    {"gelu_backward", Act(GELU_ACT_GELU), Dir::kBackward, 4.0, 0x1p-24, true},
    {"gelu_tanh_forward", Act(GELU_ACT_GELU_TANH), Dir::kForward, 2.0, 0.0, false},
    {"gelu_tanh_backward", Act(GELU_ACT_GELU_TANH), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gelu_sigmoid_forward", Act(GELU_ACT_GELU_SIGMOID), Dir::kForward, 2.0, 0.0, false},
    {"gelu_sigmoid_backward", Act(GELU_ACT_GELU_SIGMOID), Dir::kBackward, 4.0, 0x1p-24, false},
    {"silu_forward", Act(GELU_ACT_SILU), Dir::kForward, 2.0, 0.0, false},
    {"silu_backward", Act(GELU_ACT_SILU), Dir::kBackward, 4.0, 0x1p-24, false},
    {"relu_forward", Act(GELU_ACT_RELU), Dir::kForward, 0.0, 0.0, false},
    {"relu_backward", Act(GELU_ACT_RELU), Dir::kBackward, 0.0, 0.0, false},
    {"elu_forward", Act(GELU_ACT_ELU), Dir::kForward, 2.0, 0.0, false},
    {"elu_backward", Act(GELU_ACT_ELU), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_0_1_forward", Gauss(0.0, 1.0), Dir::kForward, 1.0, 0.0, false},
    {"gaussian_0_1_backward", Gauss(0.0, 1.0), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_0p5_2_forward", Gauss(0.5, 2.0), Dir::kForward, 2.0, 0.0, false},
    {"gaussian_0p5_2_backward", Gauss(0.5, 2.0), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_m1_0p25_forward", Gauss(-1.0, 0.25), Dir::kForward, 2.0, 0.0, false},
    {"gaussian_m1_0p25_backward", Gauss(-1.0, 0.25), Dir::kBackward, 4.0, 0x1p-24, false},
    // 1 / sigma inexact in float (the fast path's rh + rl), mu that makes x - mu inexact (ah +
    // al), a wide sigma (most of the line on the table path) and a narrow one (most off it).
    {"gaussian_0p3125_0p75_forward", Gauss(0.3125, 0.75), Dir::kForward, 2.0, 0.0, false},
    {"gaussian_0p3125_0p75_backward", Gauss(0.3125, 0.75), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_m2p5_3_forward", Gauss(-2.5, 3.0), Dir::kForward, 2.0, 0.0, false},
    {"gaussian_40_48_forward", Gauss(40.0, 48.0), Dir::kForward, 2.0, 0.0, false},
    {"gaussian_0p1_2pm10_forward", Gauss(0.099609375, 0x1p-10), Dir::kForward, 2.0, 0.0, false},
    // Backward where the root of f' moves with m = mu / sigma (-0.83, 0.83, 6, -32): the fast
    // path's per-call table of G'(z) + m phi(z) and its band of lanes sent to the double path,
    // which widens with |m|; and m = 102, past the fast path's 64 (every lane on the double path).
    {"gaussian_m2p5_3_backward", Gauss(-2.5, 3.0), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_40_48_backward", Gauss(40.0, 48.0), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_3_0p5_backward", Gauss(3.0, 0.5), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_m8_0p25_backward", Gauss(-8.0, 0.25), Dir::kBackward, 4.0, 0x1p-24, false},
    {"gaussian_0p1_2pm10_backward", Gauss(0.099609375, 0x1p-10), Dir::kBackward, 4.0, 0x1p-24,
     false},
};
constexpr size_t kNumRows = sizeof(kRows) / sizeof(kRows[0]);

// What one row measured over a set of inputs.
struct Result {
  uint64_t measured = 0;
  double max_ulp = 0.0;
  float worst_x = 0.0f, worst_y = 0.0f;
  double worst_r = 0.0;
  double max_small_abs = 0.0;  // near the root of f', in units of |dy|
  float worst_small_x = 0.0f;
  uint64_t special_failed = 0;
  uint64_t zero_sign_failed = 0;
  std::vector<std::string> failures;  // first few, for the message

  void Fail(const std::string& what) {
    if (failures.size() < 8) failures.push_back(what);
  }
};

std::string Hex(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (0x%08" PRIx32 ")", static_cast<double>(x), ToBits(x));
  return buf;
}

// Runs row over x (dy = 1 when dy is empty) and folds the errors into res.
void Measure(const Row& row, const std::vector<float>& x, const std::vector<float>& dy,
             Result& res) {
  const size_t n = x.size();
  const std::vector<float> ones(dy.empty() ? n : 0, 1.0f);
  const std::vector<float>& g = dy.empty() ? ones : dy;
  std::vector<float> y(n);
  const double root = row.dir == Dir::kBackward ? ref::DerivativeRoot(row.fn) : 0.0;
  ASSERT_EQ(CallApi(row.fn, row.dir, n, x.data(), g.data(), y.data()), GELU_OK);
  for (size_t i = 0; i < n; ++i) {
    const float xi = x[i];
    if (ref::IsSpecialInput(row.fn, row.dir, xi)) {
      if (g[i] == 1.0f && !ref::SpecialOk(row.fn, row.dir, xi, y[i])) {
        ++res.special_failed;
        res.Fail("special x = " + Hex(xi) + ": got " + Hex(y[i]) + ", want " +
                 ref::SpecialExpectedText(row.fn, row.dir, xi));
      }
      continue;
    }
    const double f = ref::Eval(row.fn, row.dir, static_cast<double>(xi));
    const double r = row.dir == Dir::kForward ? f : f * static_cast<double>(g[i]);
    ++res.measured;
    if (row.dir == Dir::kForward && !ref::ZeroSignOk(y[i], r)) {
      ++res.zero_sign_failed;
      res.Fail("zero sign at x = " + Hex(xi) + ": got " + Hex(y[i]));
    }
    const double e = ref::UlpError(y[i], r);
    if (row.dir == Dir::kBackward && ref::NearDerivativeRoot(root, static_cast<double>(xi), f)) {
      const double a =
          std::fabs(static_cast<double>(y[i]) - r) / std::fabs(static_cast<double>(g[i]));
      if (!(a <= res.max_small_abs)) {
        res.max_small_abs = std::isnan(a) ? std::numeric_limits<double>::infinity() : a;
        res.worst_small_x = xi;
      }
      continue;
    }
    if (!(e <= res.max_ulp)) {
      res.max_ulp = std::isnan(e) ? std::numeric_limits<double>::infinity() : e;
      res.worst_x = xi;
      res.worst_y = y[i];
      res.worst_r = r;
    }
  }
}

// Calls fn with chunks of the bit patterns lo, lo + stride, ... <= hi.
template <class Fn2>
void ForEachChunk(uint64_t lo, uint64_t hi, uint64_t stride, const Fn2& fn) {
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<float> x;
  x.reserve(kChunk);
  for (uint64_t b = lo; b <= hi; b += stride) {
    x.push_back(FromBits(static_cast<uint32_t>(b)));
    if (x.size() == kChunk) {
      fn(x);
      x.clear();
    }
  }
  if (!x.empty()) fn(x);
}

std::string Report(const Row& row, const Result& r) {
  std::ostringstream os;
  os << row.name << " on " << gelu_simd_target() << ": " << r.measured << " inputs, max "
     << r.max_ulp << " ULP at x = " << Hex(r.worst_x) << " (got " << Hex(r.worst_y) << ", want "
     << std::setprecision(17) << r.worst_r << std::setprecision(6) << ")";
  if (row.dir == Dir::kBackward) {
    os << "; near the root of f': max |err|/|dy| = " << r.max_small_abs / 0x1p-24
       << " * 2^-24 at x = " << Hex(r.worst_small_x);
  }
  for (const auto& f : r.failures) os << "\n  " << f;
  return os.str();
}

void ExpectWithinBounds(const Row& row, const Result& r) {
  const std::string report = Report(row, r);
  std::printf("%s\n", report.c_str());
  EXPECT_LE(r.max_ulp, row.max_ulp) << report;
  if (row.dir == Dir::kBackward) {
    EXPECT_LE(r.max_small_abs, row.small_abs) << report;
  }
  EXPECT_EQ(r.special_failed, 0u) << report;
  EXPECT_EQ(r.zero_sign_failed, 0u) << report;
}

using RowTest = TargetTestT<size_t>;

// Boundaries, a sparse walk over all patterns and a dense one over [-16, 16].
TEST_P(RowTest, StridedAllFloats) {
  const Row& row = kRows[Param()];
  Result res;
  const auto measure = [&](const std::vector<float>& x) { Measure(row, x, {}, res); };
  measure(EdgeValues());
  ForEachChunk(0, 0xFFFFFFFFu, 4099, measure);
  ForEachChunk(0x00000000u, 0x41800000u, 1021, measure);  // [+0, 16]
  ForEachChunk(0x80000000u, 0xC1800000u, 1021, measure);  // [-0, -16]
  ExpectWithinBounds(row, res);
}

// Every float in [-16, -3] for exact GELU and its derivative; a stride elsewhere.
TEST_P(RowTest, NegativeTail) {
  const Row& row = kRows[Param()];
  Result res;
  const uint64_t stride = row.exhaustive_tail ? 1 : 61;
  ForEachChunk(0xC0400000u, 0xC1800000u, stride,
               [&](const std::vector<float>& x) { Measure(row, x, {}, res); });
  ExpectWithinBounds(row, res);
}

std::string RowParamName(const testing::TestParamInfo<std::tuple<int64_t, size_t>>& info) {
  return std::string(hwy::TargetName(std::get<0>(info.param))) + "_" +
         kRows[std::get<1>(info.param)].name;
}

INSTANTIATE_TEST_SUITE_P(Kernels, RowTest,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::Range<size_t>(0, kNumRows)),
                         RowParamName);

std::vector<size_t> BackwardRows() {
  std::vector<size_t> v;
  for (size_t i = 0; i < kNumRows; ++i) {
    if (kRows[i].dir == Dir::kBackward) v.push_back(i);
  }
  return v;
}

// Backward with random dy: dx must be within the bound of the true f'(x) * dy.
using BackwardRowTest = TargetTestT<size_t>;
TEST_P(BackwardRowTest, RandomUpstreamGradient) {
  const Row& row = kRows[Param()];
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> ux(-12.0f, 12.0f);
  std::uniform_real_distribution<float> ug(-4.0f, 4.0f);
  std::vector<float> x(200000), dy(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = ux(rng);
    dy[i] = ug(rng);
    if (dy[i] == 0.0f) dy[i] = 1.0f;
  }
  Result res;
  Measure(row, x, dy, res);
  ExpectWithinBounds(row, res);
}

INSTANTIATE_TEST_SUITE_P(Kernels, BackwardRowTest,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::ValuesIn(BackwardRows())),
                         RowParamName);

// The Gaussian GELU at (0, 1) is the exact GELU: outputs within 2 ULP of each other.
class GaussianIsGelu : public TargetTest {};
TEST_P(GaussianIsGelu, StandardParametersMatchGelu) {
  std::vector<float> x;
  ForEachChunk(0, 0xFFFFFFFFu, 65537,
               [&](const std::vector<float>& c) { x.insert(x.end(), c.begin(), c.end()); });
  for (float v : EdgeValues()) x.push_back(v);
  std::vector<float> a(x.size()), b(x.size());
  ASSERT_EQ(gelu_forward_f32(GELU_ACT_GELU, x.size(), x.data(), a.data()), GELU_OK);
  ASSERT_EQ(gelu_gaussian_forward_f32(0.0f, 1.0f, x.size(), x.data(), b.data()), GELU_OK);
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      EXPECT_TRUE(SameFloat(a[i], b[i])) << "x = " << Hex(x[i]);
      continue;
    }
    const double e = ref::UlpError(b[i], static_cast<double>(a[i]));
    worst = std::max(worst, e);
    EXPECT_LE(e, 2.0) << "x = " << Hex(x[i]) << ": gelu " << Hex(a[i]) << ", gaussian "
                      << Hex(b[i]);
  }
  std::printf("gaussian(0,1) vs gelu on %s: max %.3f ULP apart\n", gelu_simd_target(), worst);
}
INSTANTIATE_TEST_SUITE_P(Kernels, GaussianIsGelu, testing::ValuesIn(AllTargets()), TargetParamName);

// Paper-spec 1.2 reference values, through libgelu (float) to the 7 digits given.
class PaperValues : public TargetTest {};
TEST_P(PaperValues, Table) {
  struct Line {
    float x;
    double gelu, tanh, sigmoid, silu;
  };
  const Line lines[] = {
      {-3.0f, -0.0040497, -0.0036374, -0.0180713, -0.1422776},
      {-2.0f, -0.0455003, -0.0454023, -0.0643414, -0.2384058},
      {-1.0f, -0.1586553, -0.1588080, -0.1542042, -0.2689414},
      {-0.5f, -0.1542688, -0.1542860, -0.1496116, -0.1887703},
      {0.0f, 0.0, 0.0, 0.0, 0.0},
      {0.5f, 0.3457312, 0.3457140, 0.3503884, 0.3112297},
      {1.0f, 0.8413447, 0.8411920, 0.8457958, 0.7310586},
      {2.0f, 1.9544997, 1.9545977, 1.9356586, 1.7615942},
      {3.0f, 2.9959503, 2.9963626, 2.9819287, 2.8577224},
  };
  for (const Line& l : lines) {
    const std::pair<gelu_act, double> cols[] = {{GELU_ACT_GELU, l.gelu},
                                                {GELU_ACT_GELU_TANH, l.tanh},
                                                {GELU_ACT_GELU_SIGMOID, l.sigmoid},
                                                {GELU_ACT_SILU, l.silu}};
    for (const auto& [act, want] : cols) {
      float y = 0.0f;
      ASSERT_EQ(gelu_forward_f32(act, 1, &l.x, &y), GELU_OK);
      // 7 decimals: half a unit of the last digit, plus float rounding of y.
      EXPECT_NEAR(static_cast<double>(y), want, 0.5e-7 + ref::UlpF32(want))
          << gelu_act_name(act) << "(" << l.x << ")";
    }
  }
}
INSTANTIATE_TEST_SUITE_P(Kernels, PaperValues, testing::ValuesIn(AllTargets()), TargetParamName);

// Every target the CPU and Highway support is reachable in libgelu, the portable fallback
// included (EMU128, or SCALAR where Highway deems EMU128 broken: GCC < 12.3), and the default
// dispatch is the best of them; so the parameterised tests above skip nothing silently.
TEST(Targets, EveryCompiledTargetIsDispatched) {
  const std::string best = gelu_simd_target();
  std::vector<std::string> reached;
  for (int64_t t : AllTargets()) reached.push_back(hwy::TargetName(t));
  std::string list;
  for (const auto& r : reached) list += r + " ";
  std::printf("libgelu targets tested: %s(default %s)\n", list.c_str(), best.c_str());
  ASSERT_FALSE(reached.empty());
  const std::string fallback = hwy::TargetName(HWY_BASELINE_SCALAR);
  EXPECT_NE(std::find(reached.begin(), reached.end(), fallback), reached.end())
      << "no " << fallback << " in " << list;
  EXPECT_GE(reached.size(), 2u) << "no SIMD target besides the fallback: " << list;
  EXPECT_EQ(reached.front(), best) << "default dispatch is not the best compiled target";
  EXPECT_STREQ(gelu_simd_target(), best.c_str()) << "target mock not restored";
}

}  // namespace
}  // namespace gelu::test
