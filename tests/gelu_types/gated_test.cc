// Gated activations (GEGLU, SwiGLU), fp32, on every SIMD target through the public C API:
// y = f(a) b within 2 ULP, db = dy f(a) within 2 ULP and da = dy b f'(a) within 5 ULP (absolute
// near the root of f') of the double references in tools/reference; the fused [a | b] layout,
// separate matrices and an interleaved [da | db] gradient give the same bits; in place; every
// thread count gives the same bits; bad arguments.
#include <gelu/gelu.h>
#include <gtest/gtest.h>
#include <gelu/gelu.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/gelu/test_util.h"

namespace gelu::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Pre-activations: a third N(0, 1.5), a third over the fast tables' range, a third over
// [-14, 14] (the double path, the far negative tail), plus the edge values.
std::vector<float> RandomA(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::uniform_real_distribution<float> inner(-4.5f, 4.5f), wide(-14.0f, 14.0f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = i % 3 == 0 ? normal(rng) : i % 3 == 1 ? inner(rng) : wide(rng);
  return v;
}

// Gate values and upstream gradients: random sign, magnitude 2^U(-12, 12).
std::vector<float> RandomScale(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> e(-12.0f, 12.0f), m(1.0f, 2.0f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (rng() & 1 ? -1.0f : 1.0f) * m(rng) * std::exp2(e(rng));
  return v;
}

struct Errors {
  double y = 0, db = 0, da = 0, da_abs = 0;  // ULP; da_abs: |err| / |dy b| near the root
  size_t measured = 0;
};

// Runs the fused [a | b] layout (rows x 2 cols, one element of offset so rows are unaligned),
// checks the outputs against the double references and returns the largest errors.
Errors Measure(gelu_act act, const std::vector<float>& avals, size_t cols, uint32_t seed) {
  const size_t rows = avals.size() / cols;
  const size_t n = rows * cols;
  const std::vector<float> bvals = RandomScale(n, seed);
  const std::vector<float> dy = RandomScale(n, seed + 1);
  std::vector<float> x(1 + 2 * n);  // [a | b] rows
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      x[1 + r * 2 * cols + c] = avals[r * cols + c];
      x[1 + r * 2 * cols + cols + c] = bvals[r * cols + c];
    }
  }
  const float* a = x.data() + 1;
  const float* b = a + cols;
  std::vector<float> y(n), g(2 * n);  // g: [da | db] rows
  Errors err;
  EXPECT_EQ(gelu_gated_forward_f32(act, rows, cols, a, 2 * cols, b, 2 * cols, y.data(), cols),
            GELU_OK);
  EXPECT_EQ(gelu_gated_backward_f32(act, rows, cols, a, 2 * cols, b, 2 * cols, dy.data(), cols,
                                    g.data(), 2 * cols, g.data() + cols, 2 * cols),
            GELU_OK);
  const ref::Fn fn{act, false, 0.0, 1.0};
  const double root = ref::DerivativeRoot(fn);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const size_t i = r * cols + c;
      const double av = static_cast<double>(avals[i]);
      const double bv = static_cast<double>(bvals[i]);
      const double dv = static_cast<double>(dy[i]);
      const double f = ref::Eval(fn, ref::Dir::kForward, av);
      const double fp = ref::Eval(fn, ref::Dir::kBackward, av);
      const float da = g[r * 2 * cols + c];
      const float db = g[r * 2 * cols + cols + c];
      const double want_y = f * bv, want_db = f * dv, want_da = fp * bv * dv;
      // Underflow below the smallest subnormal is not an error of the kernel's.
      auto ulp = [](float got, double want) {
        if (std::fabs(want) < 0x1p-149 && std::fabs(static_cast<double>(got)) <= 0x1p-149) {
          return 0.0;
        }
        return ref::UlpError(got, want);
      };
      const double ey = ulp(y[i], want_y), edb = ulp(db, want_db);
      EXPECT_LE(ey, 2.0) << "y at a = " << avals[i] << ", b = " << bvals[i] << ": " << y[i]
                         << " vs " << want_y;
      EXPECT_LE(edb, 2.0) << "db at a = " << avals[i] << ", dy = " << dy[i];
      err.y = std::max(err.y, ey);
      err.db = std::max(err.db, edb);
      if (ref::NearDerivativeRoot(root, av, fp)) {
        const double abs_err = std::fabs(static_cast<double>(da) - want_da) / std::fabs(bv * dv);
        EXPECT_LE(abs_err, 0x1p-23) << "da near the root at a = " << avals[i];
        err.da_abs = std::max(err.da_abs, abs_err);
      } else {
        const double eda = ulp(da, want_da);
        EXPECT_LE(eda, 5.0) << "da at a = " << avals[i] << ", b = " << bvals[i]
                            << ", dy = " << dy[i] << ": " << da << " vs " << want_da;
        err.da = std::max(err.da, eda);
      }
      ++err.measured;
    }
  }
  return err;
}

using GatedTest = TargetTestT<int>;  // param: act

TEST_P(GatedTest, WithinUlpBoundsOfTheDoubleReference) {
  const auto act = static_cast<gelu_act>(Param());
  std::vector<float> a = RandomA(60000, 7);
  // Dense bands (every 7th float) around the tables' edges at +-3.875 and the roots of f'.
  for (const float mid : {-3.875f, 3.875f, -0.7518f, -1.2785f, -0.87f}) {
    const uint32_t m = ToBits(mid);
    for (uint32_t k = 0; k < 2000; ++k) a.push_back(FromBits(m - 7000 + 7 * k));
  }
  for (const float v : EdgeValues()) {
    if (std::isfinite(v)) a.push_back(v);
  }
  a.resize(a.size() / 257 * 257);
  const Errors e = Measure(act, a, 257, 11);
  std::printf(
      "TABLE| gated %-12s %-7s y %.3f ULP, db %.3f ULP, da %.3f ULP (near root %.3g * "
      "|dy b|), %zu inputs\n",
      gelu_act_name(act), gelu_simd_target(), e.y, e.db, e.da, e.da_abs, e.measured);
}

TEST_P(GatedTest, SpecialValues) {
  const auto act = static_cast<gelu_act>(Param());
  const ref::Fn fn{act, false, 0.0, 1.0};
  const float as[] = {kNaN, kInf, -kInf, 0.0f, -0.0f, 1.0f, -1.0f, 50.0f, -50.0f};
  const float bs[] = {2.0f, -2.0f, 0.0f, -0.0f, kInf, kNaN};
  for (const float av : as) {
    for (const float bv : bs) {
      float y = 0, da = 0, db = 0;
      const float dy = 3.0f;
      ASSERT_EQ(gelu_gated_forward_f32(act, 1, 1, &av, 1, &bv, 1, &y, 1), GELU_OK);
      ASSERT_EQ(gelu_gated_backward_f32(act, 1, 1, &av, 1, &bv, 1, &dy, 1, &da, 1, &db, 1),
                GELU_OK);
      const std::string where = "a = " + std::to_string(av) + ", b = " + std::to_string(bv);
      if (std::isnan(av)) {
        EXPECT_TRUE(std::isnan(y) && std::isnan(da) && std::isnan(db)) << where;
        continue;
      }
      // f(a) in double: the limits at +-inf, the reference elsewhere; then IEEE products.
      // (f(-inf): -0 for the GELUs and SiLU, +0 for relu, -1 for elu.) An infinite gate only
      // where f(a) is not a double underflow (gelu_tanh(-50) is 1e-304 in the kernel, 0 here).
      if (std::isinf(bv) && std::fabs(av) > 1.0f) continue;
      const double f_minus_inf = act == GELU_ACT_RELU ? 0.0 : act == GELU_ACT_ELU ? -1.0 : -0.0;
      const double f = std::isinf(av) ? (av > 0 ? static_cast<double>(kInf) : f_minus_inf)
                                      : ref::Eval(fn, ref::Dir::kForward, static_cast<double>(av));
      const auto want_y = static_cast<float>(f * static_cast<double>(bv));
      const auto want_db = static_cast<float>(f * static_cast<double>(dy));
      EXPECT_TRUE(SameFloat(y, want_y)) << where << ": y " << y << " vs " << want_y;
      EXPECT_TRUE(SameFloat(db, want_db)) << where << ": db " << db << " vs " << want_db;
      if (std::isfinite(av)) {
        const double fp = ref::Eval(fn, ref::Dir::kBackward, static_cast<double>(av));
        const double want_da = fp * static_cast<double>(bv) * static_cast<double>(dy);
        if (std::isnan(want_da)) {
          EXPECT_TRUE(std::isnan(da)) << where;
        } else if (std::isinf(want_da) || want_da == 0.0) {
          EXPECT_EQ(static_cast<double>(da), want_da) << where;
        } else {
          EXPECT_LE(ref::UlpError(da, want_da), 5.0) << where;
        }
      }
    }
  }
}

// The same elements give the same bits whatever the layout, the thread count, or in place.
TEST_P(GatedTest, LayoutsThreadsAndInPlaceAgreeBitwise) {
  const auto act = static_cast<gelu_act>(Param());
  const size_t rows = 97, cols = 3001;  // > 2^18 elements: libgelu's threads take part
  const size_t n = rows * cols;
  const std::vector<float> a = RandomA(n, 3), b = RandomScale(n, 4), dy = RandomScale(n, 5);
  std::vector<float> y1(n), da1(n), db1(n);
  gelu_set_num_threads(1);
  ASSERT_EQ(
      gelu_gated_forward_f32(act, rows, cols, a.data(), cols, b.data(), cols, y1.data(), cols),
      GELU_OK);
  ASSERT_EQ(gelu_gated_backward_f32(act, rows, cols, a.data(), cols, b.data(), cols, dy.data(),
                                    cols, da1.data(), cols, db1.data(), cols),
            GELU_OK);
  gelu_set_num_threads(2);
  // Fused input [a | b] with a padded row (ld = 2 cols + 3), interleaved gradient [da | db].
  const size_t ld = 2 * cols + 3;
  std::vector<float> x(rows * ld, kNaN);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      x[r * ld + c] = a[r * cols + c];
      x[r * ld + cols + c] = b[r * cols + c];
    }
  }
  std::vector<float> y2(n), g(rows * ld, -7.0f);
  ASSERT_EQ(
      gelu_gated_forward_f32(act, rows, cols, x.data(), ld, x.data() + cols, ld, y2.data(), cols),
      GELU_OK);
  ASSERT_EQ(gelu_gated_backward_f32(act, rows, cols, x.data(), ld, x.data() + cols, ld, dy.data(),
                                    cols, g.data(), ld, g.data() + cols, ld),
            GELU_OK);
  gelu_set_num_threads(0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const size_t i = r * cols + c;
      ASSERT_TRUE(SameFloat(y1[i], y2[i])) << "y at " << r << "," << c;
      ASSERT_TRUE(SameFloat(da1[i], g[r * ld + c])) << "da at " << r << "," << c;
      ASSERT_TRUE(SameFloat(db1[i], g[r * ld + cols + c])) << "db at " << r << "," << c;
    }
    for (size_t c = 2 * cols; c < ld; ++c) ASSERT_EQ(g[r * ld + c], -7.0f) << "padding written";
  }
  // In place: y over a, y over b; da over a with db over dy, da over dy with db over b.
  std::vector<float> ya(a);
  ASSERT_EQ(
      gelu_gated_forward_f32(act, rows, cols, ya.data(), cols, b.data(), cols, ya.data(), cols),
      GELU_OK);
  std::vector<float> yb(b);
  ASSERT_EQ(
      gelu_gated_forward_f32(act, rows, cols, a.data(), cols, yb.data(), cols, yb.data(), cols),
      GELU_OK);
  std::vector<float> a2(a), dy2(dy);
  ASSERT_EQ(gelu_gated_backward_f32(act, rows, cols, a2.data(), cols, b.data(), cols, dy2.data(),
                                    cols, a2.data(), cols, dy2.data(), cols),
            GELU_OK);
  std::vector<float> b3(b), dy3(dy);
  ASSERT_EQ(gelu_gated_backward_f32(act, rows, cols, a.data(), cols, b3.data(), cols, dy3.data(),
                                    cols, dy3.data(), cols, b3.data(), cols),
            GELU_OK);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(SameFloat(y1[i], ya[i]) && SameFloat(y1[i], yb[i])) << "in place y at " << i;
    ASSERT_TRUE(SameFloat(da1[i], a2[i]) && SameFloat(db1[i], dy2[i])) << "in place at " << i;
    ASSERT_TRUE(SameFloat(da1[i], dy3[i]) && SameFloat(db1[i], b3[i])) << "in place at " << i;
  }
}

// Short rows and odd widths: every tail length of the vector loops, rows one float apart.
TEST_P(GatedTest, ShortAndOddRowsMatchOneRowAtATime) {
  const auto act = static_cast<gelu_act>(Param());
  for (const size_t cols : {size_t{1}, size_t{3}, size_t{7}, size_t{15}, size_t{16}, size_t{17},
                            size_t{31}, size_t{33}, size_t{1023}, size_t{1025}}) {
    const size_t rows = 5, ld = cols + 1, n = rows * ld;
    const std::vector<float> a = RandomA(n, 9), b = RandomScale(n, 10), dy = RandomScale(n, 11);
    std::vector<float> y(n, 5.0f), da(n, 5.0f), db(n, 5.0f);
    ASSERT_EQ(gelu_gated_forward_f32(act, rows, cols, a.data(), ld, b.data(), ld, y.data(), ld),
              GELU_OK);
    ASSERT_EQ(gelu_gated_backward_f32(act, rows, cols, a.data(), ld, b.data(), ld, dy.data(), ld,
                                      da.data(), ld, db.data(), ld),
              GELU_OK);
    for (size_t r = 0; r < rows; ++r) {
      std::vector<float> y1(cols), da1(cols), db1(cols);
      const size_t o = r * ld;
      ASSERT_EQ(gelu_gated_forward_f32(act, 1, cols, a.data() + o, cols, b.data() + o, cols,
                                       y1.data(), cols),
                GELU_OK);
      ASSERT_EQ(gelu_gated_backward_f32(act, 1, cols, a.data() + o, cols, b.data() + o, cols,
                                        dy.data() + o, cols, da1.data(), cols, db1.data(), cols),
                GELU_OK);
      for (size_t c = 0; c < cols; ++c) {
        ASSERT_TRUE(SameFloat(y[o + c], y1[c])) << "cols " << cols << " row " << r;
        ASSERT_TRUE(SameFloat(da[o + c], da1[c]) && SameFloat(db[o + c], db1[c]))
            << "cols " << cols << " row " << r;
      }
      EXPECT_EQ(y[o + cols], 5.0f) << "stride gap written, cols " << cols;
    }
  }
}

std::string ActName(const testing::TestParamInfo<std::tuple<int64_t, int>>& info) {
  return std::string(hwy::TargetName(std::get<0>(info.param))) + "_" +
         gelu_act_name(static_cast<gelu_act>(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(All, GatedTest,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::Range(0, GELU_ACT_COUNT)),
                         ActName);

TEST(GatedArgs, BadArgumentsAreRefused) {
  constexpr gelu_status kBad = GELU_ERR_INVALID_ARGUMENT;
  std::vector<float> buf(4096, 1.0f);
  float* p = buf.data();
  const float* a = p;
  const float* b = p + 1024;
  float* y = p + 2048;
  // Unknown act, also with nothing to do.
  EXPECT_EQ(gelu_gated_forward_f32(RawAct(GELU_ACT_COUNT), 2, 4, a, 4, b, 4, y, 4), kBad);
  EXPECT_EQ(gelu_gated_backward_f32(RawAct(-1), 0, 0, nullptr, 0, nullptr, 0, nullptr, 0, nullptr,
                                    0, nullptr, 0),
            kBad);
  // Nothing to do: null pointers and zero strides are fine.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 0, 4, nullptr, 0, nullptr, 0, nullptr, 0),
            GELU_OK);
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_SILU, 3, 0, nullptr, 0, nullptr, 0, nullptr, 0,
                                    nullptr, 0, nullptr, 0),
            GELU_OK);
  // Null pointers.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, nullptr, 4, b, 4, y, 4), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 4, nullptr, 4, y, 4), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, nullptr, 4), kBad);
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, nullptr, 4, y, 4, y + 8, 4),
            kBad);
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, a, 4, y, 4, nullptr, 4), kBad);
  // Strides below cols.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 3, b, 4, y, 4), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, y, 0), kBad);
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, a, 2, y, 4, y + 8, 4), kBad);
  // (rows - 1) * stride + cols floats beyond the address space.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, SIZE_MAX / 8, 4, a, 4, b, 4, y, 4), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 3, 4, a, SIZE_MAX / 2, b, 4, y, 4), kBad);
  // Outputs sharing elements with inputs, other than in place.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, p + 1, 4), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, p, 5), kBad);  // same p, ld
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 8, b, 4, p + 2, 8), kBad);
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 8, b, 4, p + 7, 8), kBad);  // rows 0, 1
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 8, b, 4, p + 12, 8), GELU_OK);
  float* da = p + 3000;
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, y, 4, da, 4, da + 2, 4),
            kBad);  // da and db overlap
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, y, 4, da, 4, p, 4),
            kBad);  // db over a
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 4, b, 4, y, 4, da, 4, p + 1024 + 1, 4),
            kBad);  // db over b, shifted
  // Interleaved layouts share no element: fine.
  EXPECT_EQ(gelu_gated_forward_f32(GELU_ACT_GELU, 2, 4, a, 8, a + 4, 8, y, 4), GELU_OK);
  EXPECT_EQ(gelu_gated_backward_f32(GELU_ACT_GELU, 2, 4, a, 8, a + 4, 8, y, 4, da, 8, da + 4, 8),
            GELU_OK);
  EXPECT_STREQ(gelu_status_string(kBad), gelu_status_string(GELU_ERR_INVALID_ARGUMENT));
}

// The C++ wrappers on the fused layout: the C API's bits, shape errors as exceptions.
TEST(GatedCpp, FusedLayoutWrappers) {
  const size_t rows = 3, cols = 5;
  const std::vector<float> x = RandomA(rows * 2 * cols, 21), dy = RandomScale(rows * cols, 22);
  std::vector<float> y(rows * cols), dx(rows * 2 * cols), want_y(rows * cols),
      want_dx(rows * 2 * cols);
  gelu::GatedForward(gelu::Act::kSilu, cols, x, y);
  gelu::GatedBackward(gelu::Act::kSilu, cols, x, dy, dx);
  ASSERT_EQ(gelu_gated_forward_f32(GELU_ACT_SILU, rows, cols, x.data(), 2 * cols, x.data() + cols,
                                   2 * cols, want_y.data(), cols),
            GELU_OK);
  ASSERT_EQ(gelu_gated_backward_f32(GELU_ACT_SILU, rows, cols, x.data(), 2 * cols, x.data() + cols,
                                    2 * cols, dy.data(), cols, want_dx.data(), 2 * cols,
                                    want_dx.data() + cols, 2 * cols),
            GELU_OK);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_TRUE(SameFloat(y[i], want_y[i])) << i;
  for (size_t i = 0; i < dx.size(); ++i) EXPECT_TRUE(SameFloat(dx[i], want_dx[i])) << i;
  // silu(1) * 2 by hand: 2 / (1 + e^-1).
  std::vector<float> one = {1.0f, 2.0f}, out(1);
  gelu::GatedForward(gelu::Act::kSilu, 1, one, out);
  EXPECT_NEAR(static_cast<double>(out[0]), 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  std::vector<float> short_y(rows * cols - 1);
  EXPECT_THROW(gelu::GatedForward(gelu::Act::kSilu, cols, x, short_y), std::invalid_argument);
  EXPECT_THROW(gelu::GatedBackward(gelu::Act::kSilu, cols, x, dy, y), std::invalid_argument);
  EXPECT_THROW(gelu::GatedForward(gelu::Act::kSilu, 0, x, y), std::invalid_argument);
  EXPECT_THROW(gelu::GatedForward(static_cast<gelu::Act>(9), cols, x, y), gelu::Error);
}

}  // namespace
}  // namespace gelu::test
