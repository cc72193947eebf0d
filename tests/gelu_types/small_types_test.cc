// bf16 and fp16 entry points: every one of the 65,536 inputs, every activation, forward and
// backward (dy = 1 and a few other dy), every SIMD target, against the double reference rounded
// to the small type. Asserts <= 1 ULP of the small type and the special values; prints one
// "TABLE|" row per case with the max ULP and the share correctly rounded (docs/ACCURACY.md).
#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "tests/gelu/test_util.h"
#include "tools/reference/reference.h"

namespace gelu::test {
namespace {

using ref::Dir;
using ref::Fn;

// The formats, their decoding and rounding: tools/reference (plain arithmetic, independent of
// src/api_types.cc).
using Format = ref::SmallFormat;
using ref::kBf16;
using ref::kF16;

gelu_status Call(const Format& f, gelu_act act, Dir dir, size_t n, const uint16_t* x,
                 const uint16_t* dy, uint16_t* out) {
  if (dir == Dir::kForward) {
    return f.bf16 ? gelu_forward_bf16(act, n, x, out) : gelu_forward_f16(act, n, x, out);
  }
  return f.bf16 ? gelu_backward_bf16(act, n, x, dy, out) : gelu_backward_f16(act, n, x, dy, out);
}

uint16_t Encode(const Format& f, double v) {  // v exactly representable (test constants only)
  uint16_t h = 0;
  if (!ref::EncodeSmall(f, v, &h)) ADD_FAILURE() << "not representable: " << v;
  return h;
}

struct Stats {
  uint64_t measured = 0, correct = 0, specials_failed = 0, zero_sign_failed = 0;
  double max_ulp = 0.0;
  uint16_t worst_x = 0, worst_dy = 0, worst_y = 0;
  double worst_r = 0.0;
  std::vector<std::string> failures;
};

// One dy for all inputs (dy_bits), every x bit pattern.
void MeasureAll(const Format& f, const Fn& fn, Dir dir, uint16_t dy_bits, Stats& s) {
  constexpr size_t kN = 65536;
  std::vector<uint16_t> x(kN), dy(kN, dy_bits), y(kN, 0x5555);
  for (size_t i = 0; i < kN; ++i) x[i] = static_cast<uint16_t>(i);
  ASSERT_EQ(Call(f, fn.act, dir, kN, x.data(), dy.data(), y.data()), GELU_OK);
  const double g = ref::DecodeSmall(f, dy_bits);
  for (size_t i = 0; i < kN; ++i) {
    const double xd = ref::DecodeSmall(f, x[i]);
    const double yd = ref::DecodeSmall(f, y[i]);
    const auto xf = static_cast<float>(xd);  // exact
    if (ref::IsSpecialInput(fn, dir, xf)) {
      if (g == 1.0 && !ref::SpecialOk(fn, dir, xf, static_cast<float>(yd))) {
        ++s.specials_failed;
        if (s.failures.size() < 8) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "special x = 0x%04zx: got 0x%04x, want %s", i, y[i],
                        ref::SpecialExpectedText(fn, dir, xf).c_str());
          s.failures.push_back(buf);
        }
      }
      continue;
    }
    const double fx = ref::Eval(fn, dir, xd);
    const double r = dir == Dir::kForward ? fx : fx * g;
    ++s.measured;
    const double want = ref::RoundToSmall(f, r);
    // Backward zeros may carry either sign (tools/reference); forward zeros the formula's.
    const bool same =
        yd == want && (dir == Dir::kBackward || std::signbit(yd) == std::signbit(want));
    if (same) ++s.correct;
    if (dir == Dir::kForward && !ref::ZeroSignOk(static_cast<float>(yd), r)) ++s.zero_sign_failed;
    const double e = ref::UlpErrorSmall(f, yd, r);
    if (!(e <= s.max_ulp)) {
      s.max_ulp = e;
      s.worst_x = x[i];
      s.worst_dy = dy_bits;
      s.worst_y = y[i];
      s.worst_r = r;
    }
  }
}

using Case = std::tuple<int, int, int>;  // format (0 bf16, 1 f16), act, dir (0 fwd, 1 bwd)

class SmallTypes : public TargetTestT<Case> {};

TEST_P(SmallTypes, AllInputsWithinOneUlp) {
  const auto [fi, ai, di] = Param();
  const Format& f = fi == 0 ? kBf16 : kF16;
  const Fn fn{static_cast<gelu_act>(ai), false, 0.0, 1.0};
  const Dir dir = di == 0 ? Dir::kForward : Dir::kBackward;
  Stats s;
  MeasureAll(f, fn, dir, Encode(f, 1.0), s);
  if (dir == Dir::kBackward) {
    for (double g : {-1.0, 0.5, 3.0, -0.1015625, 1.5}) MeasureAll(f, fn, dir, Encode(f, g), s);
  }
  const double share = 100.0 * static_cast<double>(s.correct) / static_cast<double>(s.measured);
  char row[256];
  std::snprintf(row, sizeof row, "TABLE| %s | %s | %s | %.3f | %.4f%% | %s", f.name,
                gelu_act_name(fn.act), ref::DirName(dir), s.max_ulp, share, gelu_simd_target());
  std::printf("%s\n", row);
  std::printf("  %" PRIu64 " inputs; worst x = 0x%04x dy = 0x%04x: got 0x%04x, want %.17g\n",
              s.measured, s.worst_x, s.worst_dy, s.worst_y, s.worst_r);
  for (const auto& m : s.failures) std::printf("  %s\n", m.c_str());
  EXPECT_LE(s.max_ulp, 1.0) << row;
  EXPECT_EQ(s.specials_failed, 0u) << row;
  EXPECT_EQ(s.zero_sign_failed, 0u) << row;
}

std::string CaseName(const testing::TestParamInfo<std::tuple<int64_t, Case>>& info) {
  const auto [fi, ai, di] = std::get<1>(info.param);
  return std::string(hwy::TargetName(std::get<0>(info.param))) + "_" + (fi == 0 ? "bf16" : "f16") +
         "_" + gelu_act_name(static_cast<gelu_act>(ai)) + (di == 0 ? "_forward" : "_backward");
}

INSTANTIATE_TEST_SUITE_P(Types, SmallTypes,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::Combine(testing::Values(0, 1),
                                                           testing::Range(0, GELU_ACT_COUNT),
                                                           testing::Values(0, 1))),
                         CaseName);

// Conversions at the edges, seen through relu (identity for x > 0, +0 otherwise) and elu.
TEST(SmallTypesEdges, SpecialPatterns) {
  // bf16: NaNs stay NaN (quiet), inf, largest finite, subnormals pass through relu unchanged.
  const std::vector<uint16_t> bf = {0x7FC0, 0xFFC0, 0x7F81, 0x7F80, 0xFF80, 0x7F7F,
                                    0x0001, 0x007F, 0x0080, 0x3F80, 0x8000, 0x0000};
  std::vector<uint16_t> y(bf.size());
  ASSERT_EQ(gelu_forward_bf16(GELU_ACT_RELU, bf.size(), bf.data(), y.data()), GELU_OK);
  EXPECT_EQ(y[0], 0x7FC0);
  EXPECT_EQ(y[1] & 0x7FC0, 0x7FC0);  // NaN, quiet
  EXPECT_EQ(y[2] & 0x7FC0, 0x7FC0);  // signalling NaN comes back quiet
  EXPECT_EQ(y[3], 0x7F80);
  EXPECT_EQ(y[4], 0x0000);
  for (size_t i = 5; i < 10; ++i) EXPECT_EQ(y[i], bf[i]) << i;
  EXPECT_EQ(y[10], 0x0000);  // relu(-0) = +0
  // fp16 likewise.
  const std::vector<uint16_t> hf = {0x7E00, 0xFE00, 0x7C01, 0x7C00, 0xFC00, 0x7BFF,
                                    0x0001, 0x03FF, 0x0400, 0x3C00, 0x8000, 0x0000};
  ASSERT_EQ(gelu_forward_f16(GELU_ACT_RELU, hf.size(), hf.data(), y.data()), GELU_OK);
  EXPECT_EQ(y[0], 0x7E00);
  EXPECT_EQ(y[1] & 0x7E00, 0x7E00);
  EXPECT_EQ(y[2] & 0x7E00, 0x7E00);
  EXPECT_EQ(y[3], 0x7C00);
  EXPECT_EQ(y[4], 0x0000);
  for (size_t i = 5; i < 10; ++i) EXPECT_EQ(y[i], hf[i]) << i;
  // gelu(-inf) = -0, gelu(+inf) = +inf, gelu(-0) = -0.
  const std::vector<uint16_t> hx = {0xFC00, 0x7C00, 0x8000};
  ASSERT_EQ(gelu_forward_f16(GELU_ACT_GELU, hx.size(), hx.data(), y.data()), GELU_OK);
  EXPECT_EQ(y[0], 0x8000);
  EXPECT_EQ(y[1], 0x7C00);
  EXPECT_EQ(y[2], 0x8000);
  // Backward overflow: dy = 65504 times gelu'(2.5) ~ 1.1 rounds to inf in fp16.
  const uint16_t x25 = 0x4100, big = 0x7BFF;
  uint16_t dx = 0;
  ASSERT_EQ(gelu_backward_f16(GELU_ACT_GELU, 1, &x25, &big, &dx), GELU_OK);
  EXPECT_EQ(dx, 0x7C00);
}

// Lengths around the chunk size, in place, unaligned, and bad arguments.
TEST(SmallTypesApi, LengthsInPlaceAndErrors) {
  for (size_t n : {size_t{1}, size_t{7}, size_t{1023}, size_t{1024}, size_t{1025}, size_t{70001}}) {
    std::vector<uint16_t> x(n + 1), y(n + 1), dy(n + 1);
    for (size_t i = 0; i < n + 1; ++i) {
      x[i] = static_cast<uint16_t>(0x3000u + (i * 37u) % 0x1800u) ^ (i % 3 == 0 ? 0x8000u : 0u);
      dy[i] = 0x3C00;
    }
    for (int fi = 0; fi < 2; ++fi) {
      const auto fwd = fi == 0 ? gelu_forward_bf16 : gelu_forward_f16;
      const auto bwd = fi == 0 ? gelu_backward_bf16 : gelu_backward_f16;
      ASSERT_EQ(fwd(GELU_ACT_GELU, n, x.data() + 1, y.data() + 1), GELU_OK);
      std::vector<uint16_t> inplace(x);
      ASSERT_EQ(fwd(GELU_ACT_GELU, n, inplace.data() + 1, inplace.data() + 1), GELU_OK);
      EXPECT_TRUE(std::equal(y.begin() + 1, y.end(), inplace.begin() + 1)) << n;
      ASSERT_EQ(bwd(GELU_ACT_SILU, n, x.data() + 1, dy.data() + 1, y.data() + 1), GELU_OK);
      std::vector<uint16_t> g(dy);
      ASSERT_EQ(bwd(GELU_ACT_SILU, n, x.data() + 1, g.data() + 1, g.data() + 1), GELU_OK);
      EXPECT_TRUE(std::equal(y.begin() + 1, y.end(), g.begin() + 1)) << n;
      // Partial overlaps, nulls, unknown activations.
      if (n > 1) {
        EXPECT_EQ(fwd(GELU_ACT_GELU, n, x.data(), x.data() + 1), GELU_ERR_INVALID_ARGUMENT);
        EXPECT_EQ(bwd(GELU_ACT_GELU, n, x.data(), dy.data(), dy.data() + 1),
                  GELU_ERR_INVALID_ARGUMENT);
        EXPECT_EQ(bwd(GELU_ACT_GELU, n, x.data() + 1, dy.data(), x.data()),
                  GELU_ERR_INVALID_ARGUMENT);
      }
      EXPECT_EQ(fwd(GELU_ACT_GELU, n, nullptr, y.data()), GELU_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fwd(GELU_ACT_GELU, n, x.data(), nullptr), GELU_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(bwd(GELU_ACT_GELU, n, x.data(), nullptr, y.data()), GELU_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fwd(static_cast<gelu_act>(GELU_ACT_COUNT), n, x.data(), y.data()),
                GELU_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(bwd(RawAct(-1), n, x.data(), dy.data(), y.data()), GELU_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fwd(GELU_ACT_GELU, 0, nullptr, nullptr), GELU_OK);
      EXPECT_EQ(bwd(GELU_ACT_GELU, 0, nullptr, nullptr, nullptr), GELU_OK);
    }
  }
}

// Large arrays: results do not depend on the thread count.
TEST(SmallTypesApi, ThreadCountIndependent) {
  const size_t n = size_t{1} << 20;
  std::vector<uint16_t> x(n), a(n), b(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<uint16_t>(i * 2654435761u >> 16);
  gelu_set_num_threads(1);
  ASSERT_EQ(gelu_forward_bf16(GELU_ACT_GELU_TANH, n, x.data(), a.data()), GELU_OK);
  gelu_set_num_threads(3);
  ASSERT_EQ(gelu_forward_bf16(GELU_ACT_GELU_TANH, n, x.data(), b.data()), GELU_OK);
  gelu_set_num_threads(0);  // back to the default
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gelu::test
