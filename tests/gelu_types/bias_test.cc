// Fused bias + activation (fp32): bitwise equal to a separate bias-add followed by the unfused
// f32 kernels, on every SIMD target; dbias against a long double sum; the same bits for every
// thread count; shapes with rows or cols = 0; bad arguments.
#include <gelu/gelu.h>
#include <gtest/gtest.h>
#include <gelu/gelu.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/gelu/test_util.h"

namespace gelu::test {
namespace {

struct Shape {
  size_t rows, cols;
};
// Around the 1024-float chunk and the 2048-column tile switch, odd sizes, one row, one column.
const Shape kShapes[] = {{1, 1},    {3, 7},    {1, 5000},  {5000, 1}, {17, 1000}, {64, 1024},
                         {9, 2048}, {7, 2049}, {33, 3001}, {300, 64}, {2, 70000}};

std::vector<float> Random(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = u(rng);
  return v;
}

bool SameBits(const std::vector<float>& a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!SameFloat(a[i], b[i])) return false;
  }
  return true;
}

using BiasTest = TargetTestT<int>;  // param: act

TEST_P(BiasTest, MatchesUnfusedBitwise) {
  const auto act = static_cast<gelu_act>(Param());
  uint32_t seed = 1;
  for (const Shape& sh : kShapes) {
    const size_t n = sh.rows * sh.cols;
    // One element of offset: unaligned rows.
    std::vector<float> xbuf = Random(n + 1, -9.0f, 9.0f, seed++);
    std::vector<float> bbuf = Random(sh.cols + 1, -3.0f, 3.0f, seed++);
    std::vector<float> dybuf = Random(n + 1, -2.0f, 2.0f, seed++);
    const float* x = xbuf.data() + 1;
    const float* bias = bbuf.data() + 1;
    const float* dy = dybuf.data() + 1;
    if (n > 3) {  // specials flow through as in the unfused kernels
      xbuf[1] = std::numeric_limits<float>::quiet_NaN();
      xbuf[2] = -std::numeric_limits<float>::infinity();
      xbuf[3] = std::numeric_limits<float>::max();
    }
    std::vector<float> sum(n);
    for (size_t r = 0; r < sh.rows; ++r) {
      for (size_t c = 0; c < sh.cols; ++c) sum[r * sh.cols + c] = x[r * sh.cols + c] + bias[c];
    }
    std::vector<float> want(n), wantdx(n);
    ASSERT_EQ(gelu_forward_f32(act, n, sum.data(), want.data()), GELU_OK);
    ASSERT_EQ(gelu_backward_f32(act, n, sum.data(), dy, wantdx.data()), GELU_OK);
    const std::string where =
        "rows " + std::to_string(sh.rows) + " cols " + std::to_string(sh.cols);

    std::vector<float> y(n + 1);
    ASSERT_EQ(gelu_bias_forward_f32(act, sh.rows, sh.cols, x, bias, y.data() + 1), GELU_OK);
    EXPECT_TRUE(SameBits(want, y.data() + 1, n)) << where;
    std::vector<float> inplace(xbuf);
    ASSERT_EQ(
        gelu_bias_forward_f32(act, sh.rows, sh.cols, inplace.data() + 1, bias, inplace.data() + 1),
        GELU_OK);
    EXPECT_TRUE(SameBits(want, inplace.data() + 1, n)) << where << " in place";

    std::vector<float> dx(n + 1), dbias(sh.cols), dx2(n + 1);
    ASSERT_EQ(
        gelu_bias_backward_f32(act, sh.rows, sh.cols, x, bias, dy, dx.data() + 1, dbias.data()),
        GELU_OK);
    EXPECT_TRUE(SameBits(wantdx, dx.data() + 1, n)) << where;
    ASSERT_EQ(gelu_bias_backward_f32(act, sh.rows, sh.cols, x, bias, dy, dx2.data() + 1, nullptr),
              GELU_OK);
    EXPECT_TRUE(SameBits(wantdx, dx2.data() + 1, n)) << where << " without dbias";
    std::vector<float> g(dybuf);  // dx in place of dy
    ASSERT_EQ(
        gelu_bias_backward_f32(act, sh.rows, sh.cols, x, bias, g.data() + 1, g.data() + 1, nullptr),
        GELU_OK);
    EXPECT_TRUE(SameBits(wantdx, g.data() + 1, n)) << where << " dx == dy";

    // dbias: within 1e-12 of sum |dx| of the exact sum of the float dx values, then one float
    // rounding (half an ULP of the result).
    for (size_t c = 0; c < sh.cols; ++c) {
      long double s = 0.0L, sabs = 0.0L;
      for (size_t r = 0; r < sh.rows; ++r) {
        s += wantdx[r * sh.cols + c];
        sabs += std::fabs(static_cast<long double>(wantdx[r * sh.cols + c]));
      }
      const auto exact = static_cast<double>(s);
      if (std::isnan(exact)) {
        EXPECT_TRUE(std::isnan(dbias[c])) << where << " c " << c;
        continue;
      }
      const double tol = 0.5 * ref::UlpF32(exact) + 1e-12 * static_cast<double>(sabs);
      EXPECT_LE(std::fabs(static_cast<double>(dbias[c]) - exact), tol) << where << " c " << c;
    }
  }
}

std::string ActName(const testing::TestParamInfo<std::tuple<int64_t, int>>& info) {
  return std::string(hwy::TargetName(std::get<0>(info.param))) + "_" +
         gelu_act_name(static_cast<gelu_act>(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Fused, BiasTest,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::Range(0, GELU_ACT_COUNT)),
                         ActName);

// rows * cols >= 2^20: forward, dx and dbias bitwise the same with 1, 2 and 3 threads.
TEST(BiasThreads, SameBitsForEveryThreadCount) {
  for (const Shape sh : {Shape{512, 2048}, Shape{400, 3001}, Shape{1 << 17, 8}}) {
    const size_t n = sh.rows * sh.cols;
    const auto x = Random(n, -6.0f, 6.0f, 7);
    const auto b = Random(sh.cols, -1.0f, 1.0f, 8);
    const auto dy = Random(n, -1.0f, 1.0f, 9);
    std::vector<float> y[3], dx[3], db[3];
    for (int t = 0; t < 3; ++t) {
      gelu_set_num_threads(t + 1);
      y[t].resize(n);
      dx[t].resize(n);
      db[t].resize(sh.cols);
      ASSERT_EQ(
          gelu_bias_forward_f32(GELU_ACT_GELU, sh.rows, sh.cols, x.data(), b.data(), y[t].data()),
          GELU_OK);
      ASSERT_EQ(gelu_bias_backward_f32(GELU_ACT_GELU, sh.rows, sh.cols, x.data(), b.data(),
                                       dy.data(), dx[t].data(), db[t].data()),
                GELU_OK);
    }
    gelu_set_num_threads(0);
    for (int t = 1; t < 3; ++t) {
      EXPECT_EQ(y[0], y[t]) << sh.rows << "x" << sh.cols << " threads " << t + 1;
      EXPECT_EQ(dx[0], dx[t]) << sh.rows << "x" << sh.cols << " threads " << t + 1;
      EXPECT_EQ(db[0], db[t]) << sh.rows << "x" << sh.cols << " threads " << t + 1;
    }
  }
}

TEST(BiasApi, EmptyShapes) {
  float dbias[3] = {5.0f, 5.0f, 5.0f};
  EXPECT_EQ(gelu_bias_forward_f32(GELU_ACT_GELU, 0, 3, nullptr, nullptr, nullptr), GELU_OK);
  EXPECT_EQ(gelu_bias_forward_f32(GELU_ACT_GELU, 3, 0, nullptr, nullptr, nullptr), GELU_OK);
  EXPECT_EQ(gelu_bias_backward_f32(GELU_ACT_GELU, 0, 3, nullptr, nullptr, nullptr, nullptr, dbias),
            GELU_OK);
  for (float v : dbias) EXPECT_EQ(v, 0.0f);  // empty sum
  EXPECT_EQ(
      gelu_bias_backward_f32(GELU_ACT_GELU, 3, 0, nullptr, nullptr, nullptr, nullptr, nullptr),
      GELU_OK);
}

TEST(BiasApi, InvalidArguments) {
  std::vector<float> x(64, 0.5f), b(8, 0.1f), dy(64, 1.0f), y(64), db(8);
  const auto bad = GELU_ERR_INVALID_ARGUMENT;
  for (int a : {-1, GELU_ACT_COUNT, 1000}) {
    const gelu_act act = RawAct(a);
    EXPECT_EQ(gelu_bias_forward_f32(act, 8, 8, x.data(), b.data(), y.data()), bad);
    EXPECT_EQ(gelu_bias_backward_f32(act, 8, 8, x.data(), b.data(), dy.data(), y.data(), db.data()),
              bad);
  }
  const auto g = GELU_ACT_GELU;
  // rows * cols (in bytes) overflowing size_t.
  const size_t huge = std::numeric_limits<size_t>::max() / 2;
  EXPECT_EQ(gelu_bias_forward_f32(g, huge, 3, x.data(), b.data(), y.data()), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 3, huge, x.data(), b.data(), dy.data(), y.data(), nullptr),
            bad);
  // Null pointers.
  EXPECT_EQ(gelu_bias_forward_f32(g, 8, 8, nullptr, b.data(), y.data()), bad);
  EXPECT_EQ(gelu_bias_forward_f32(g, 8, 8, x.data(), nullptr, y.data()), bad);
  EXPECT_EQ(gelu_bias_forward_f32(g, 8, 8, x.data(), b.data(), nullptr), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, nullptr, b.data(), dy.data(), y.data(), nullptr), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, x.data(), nullptr, dy.data(), y.data(), nullptr), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, x.data(), b.data(), nullptr, y.data(), nullptr), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, x.data(), b.data(), dy.data(), nullptr, nullptr), bad);
  // Partial overlaps; bias inside the output; dbias inside dx.
  EXPECT_EQ(gelu_bias_forward_f32(g, 7, 8, x.data(), b.data(), x.data() + 1), bad);
  EXPECT_EQ(gelu_bias_forward_f32(g, 4, 8, x.data(), y.data() + 8, y.data()), bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 7, 8, x.data(), b.data(), dy.data(), dy.data() + 3, nullptr),
            bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 7, 8, x.data() + 2, b.data(), dy.data(), x.data(), nullptr),
            bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 4, 8, x.data(), y.data() + 28, dy.data(), y.data(), nullptr),
            bad);
  EXPECT_EQ(gelu_bias_backward_f32(g, 4, 8, x.data(), b.data(), dy.data(), y.data(), y.data() + 8),
            bad);
  // Allowed: y == x, dx == dy, dx == x.
  EXPECT_EQ(gelu_bias_forward_f32(g, 8, 8, x.data(), b.data(), x.data()), GELU_OK);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, x.data(), b.data(), dy.data(), dy.data(), db.data()),
            GELU_OK);
  EXPECT_EQ(gelu_bias_backward_f32(g, 8, 8, x.data(), b.data(), dy.data(), x.data(), db.data()),
            GELU_OK);
}

// The C++ wrappers in <gelu/gelu.hpp> forward to the C entry points and check shapes.
TEST(CppApi, WrappersForwardAndCheckShapes) {
  const std::vector<float> x = {-1.0f, 0.5f, 2.0f, -3.0f, 0.0f, 1.0f}, b = {0.25f, -0.5f, 1.0f};
  std::vector<float> y(6), want(6), sum(6), dy(6, 1.0f), dx(6), db(3);
  for (size_t i = 0; i < 6; ++i) sum[i] = x[i] + b[i % 3];
  gelu::Forward(gelu::Act::kGelu, sum, want);
  gelu::BiasForward(gelu::Act::kGelu, 2, x, b, y);
  EXPECT_EQ(y, want);
  gelu::BiasBackward(gelu::Act::kSilu, 2, x, b, dy, dx, db);
  gelu::BiasBackward(gelu::Act::kSilu, 2, x, b, dy, dx);
  EXPECT_THROW(gelu::BiasForward(gelu::Act::kGelu, 3, x, b, y), std::invalid_argument);
  EXPECT_THROW(gelu::BiasBackward(gelu::Act::kGelu, 2, x, b, dy, dx, std::span<float>(db).first(2)),
               std::invalid_argument);
  const std::vector<double> xd = {-40.0, -1.0, 0.0, 3.0};
  std::vector<double> yd(4);
  gelu::Forward(gelu::Act::kGelu, xd, yd);
  EXPECT_NEAR(yd[3], 2.9959503059051100, 1e-13);  // 3 Phi(3)
  gelu::Backward(gelu::Act::kElu, xd, xd, yd);
  const std::vector<uint16_t> h = {0x3C00, 0xBC00};  // fp16 1, -1; bf16 tiny
  std::vector<uint16_t> hy(2);
  gelu::ForwardF16(gelu::Act::kRelu, h, hy);
  EXPECT_EQ(hy[0], 0x3C00);
  EXPECT_EQ(hy[1], 0x0000);
  gelu::ForwardBf16(gelu::Act::kRelu, h, hy);
  gelu::BackwardF16(gelu::Act::kRelu, h, h, hy);
  gelu::BackwardBf16(gelu::Act::kRelu, h, h, hy);
  EXPECT_THROW(gelu::ForwardF16(gelu::Act::kRelu, h, std::span<uint16_t>(hy).first(1)),
               std::invalid_argument);
}

}  // namespace
}  // namespace gelu::test
