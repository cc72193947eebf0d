// libgelu's C and C++ API contracts: every length, alignment and aliasing gives the same bits;
// bad arguments return GELU_ERR_INVALID_ARGUMENT and leave outputs alone; names round-trip
// over activations.def; thread count never changes a result; Gaussian parameter gradients
// match finite differences. Run on every SIMD target.
#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gelu/gelu.hpp>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/gelu/test_util.h"
#include "tools/reference/reference.h"

namespace gelu::test {
namespace {

using ref::Dir;
using ref::Fn;

constexpr float kSentinel = -12345.678f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// Kernels for the edge-case tests: the six activations and two Gaussian GELUs.
std::vector<Fn> EdgeKernels() {
  std::vector<Fn> v = AllActivations();
  v.push_back(Fn{GELU_ACT_GELU, true, 0.0, 1.0});
  v.push_back(Fn{GELU_ACT_GELU, true, 0.75, 1.5});
  return v;
}

std::vector<float> Inputs(size_t n, uint32_t seed) {
  std::vector<float> e = EdgeValues();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-20.0f, 20.0f);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (i % 3 == 0) ? e[(i / 3) % e.size()] : u(rng);
  return v;
}

std::string Where(const Fn& fn, Dir dir, size_t n, size_t off, size_t i) {
  return ref::FnName(fn) + " " + ref::DirName(dir) + " n=" + std::to_string(n) +
         " offset=" + std::to_string(off) + " i=" + std::to_string(i);
}

class EdgeCases : public TargetTest {};

// n from 0 to past the widest vector, odd n, misaligned pointers, in place: every element must
// equal (bitwise) what one large aligned call gives, and nothing past n may be written.
TEST_P(EdgeCases, LengthsAlignmentInPlace) {
  const size_t lengths[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,   10,  11,  12,  13,
                            14, 15, 16, 17, 18, 19, 20, 21, 22, 23,  24,  25,  26,  27,
                            28, 29, 30, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000};
  const std::vector<float> x = Inputs(1000, 7);
  std::vector<float> dy = Inputs(1000, 8);
  for (float& g : dy) g = std::isfinite(g) && std::fabs(g) < 100.0f ? g : 0.5f;
  for (const Fn& fn : EdgeKernels()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      std::vector<float> want(x.size());
      ASSERT_EQ(CallApi(fn, dir, x.size(), x.data(), dy.data(), want.data()), GELU_OK);
      for (size_t n : lengths) {
        for (size_t off : {size_t{0}, size_t{1}, size_t{3}}) {
          // Out of place, inputs and outputs offset by `off` floats, guards after n.
          std::vector<float> xb(n + off + 4, kSentinel), gb(n + off + 4, kSentinel);
          std::vector<float> yb(n + off + 4, kSentinel);
          std::copy(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n),
                    xb.begin() + static_cast<std::ptrdiff_t>(off));
          std::copy(dy.begin(), dy.begin() + static_cast<std::ptrdiff_t>(n),
                    gb.begin() + static_cast<std::ptrdiff_t>(off));
          ASSERT_EQ(CallApi(fn, dir, n, xb.data() + off, gb.data() + off, yb.data() + off),
                    GELU_OK);
          for (size_t i = 0; i < off; ++i) ASSERT_EQ(yb[i], kSentinel) << Where(fn, dir, n, off, i);
          for (size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(SameFloat(yb[off + i], want[i]))
                << Where(fn, dir, n, off, i) << ": got " << yb[off + i] << ", want " << want[i]
                << " for x = " << x[i];
          }
          for (size_t i = n + off; i < yb.size(); ++i) {
            ASSERT_EQ(yb[i], kSentinel) << "wrote past n: " << Where(fn, dir, n, off, i);
          }
          // In place: y == x forward, dx == dy backward.
          std::vector<float> io(dir == Dir::kForward ? xb : gb);
          if (dir == Dir::kForward) {
            ASSERT_EQ(CallApi(fn, dir, n, io.data() + off, nullptr, io.data() + off), GELU_OK);
          } else {
            ASSERT_EQ(CallApi(fn, dir, n, xb.data() + off, io.data() + off, io.data() + off),
                      GELU_OK);
          }
          for (size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(SameFloat(io[off + i], want[i]))
                << "in place " << Where(fn, dir, n, off, i) << ": got " << io[off + i] << ", want "
                << want[i];
          }
          for (size_t i = n + off; i < io.size(); ++i) ASSERT_EQ(io[i], kSentinel);
        }
      }
    }
  }
}

// n = 0 is a no-op that succeeds even with null pointers.
TEST_P(EdgeCases, EmptyWithNullPointers) {
  for (const Fn& fn : EdgeKernels()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      EXPECT_EQ(CallApi(fn, dir, 0, nullptr, nullptr, nullptr), GELU_OK) << ref::FnName(fn);
    }
  }
  float dmu = kSentinel, dsigma = kSentinel;
  EXPECT_EQ(gelu_gaussian_backward_f32(0.0f, 1.0f, 0, nullptr, nullptr, nullptr, &dmu, &dsigma),
            GELU_OK);
  EXPECT_EQ(dmu, 0.0f);  // an empty sum
  EXPECT_EQ(dsigma, 0.0f);
}

// Special inputs in every position of a vector: NaN, +-inf, +-0, subnormals, +-FLT_MAX.
TEST_P(EdgeCases, SpecialValuesEverywhere) {
  const float specials[] = {kNaN,   -kNaN,   kInf,      -kInf,      0.0f,          -0.0f,
                            1e-45f, -1e-45f, 1.17e-38f, -1.17e-38f, 3.4028235e38f, -3.4028235e38f};
  for (const Fn& fn : EdgeKernels()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      for (float s : specials) {
        for (size_t pos = 0; pos < 37; pos += 3) {
          std::vector<float> x(37, 0.25f), ones(37, 1.0f), y(37, kSentinel);
          x[pos] = s;
          ASSERT_EQ(CallApi(fn, dir, x.size(), x.data(), ones.data(), y.data()), GELU_OK);
          const std::string at = ref::FnName(fn) + " " + ref::DirName(dir) +
                                 " x = " + std::to_string(s) + " at " + std::to_string(pos);
          if (ref::IsSpecialInput(fn, dir, s)) {
            EXPECT_TRUE(ref::SpecialOk(fn, dir, s, y[pos]))
                << at << ": got " << y[pos] << ", want " << ref::SpecialExpectedText(fn, dir, s);
          } else {
            const double r = ref::Eval(fn, dir, static_cast<double>(s));
            EXPECT_LE(ref::UlpError(y[pos], r), 4.0) << at << ": got " << y[pos] << ", want " << r;
            if (dir == Dir::kForward) {
              EXPECT_TRUE(ref::ZeroSignOk(y[pos], r)) << at;
            }
          }
          // Neighbours are unaffected by the special value.
          const double r25 = ref::Eval(fn, dir, 0.25);
          for (size_t i = 0; i < x.size(); ++i) {
            if (i != pos) {
              ASSERT_LE(ref::UlpError(y[i], r25), 4.0) << at << " neighbour " << i;
            }
          }
        }
      }
    }
  }
}

// Bad arguments: GELU_ERR_INVALID_ARGUMENT, and every output left as it was.
TEST_P(EdgeCases, InvalidArguments) {
  std::vector<float> x(16, 0.5f), dy(16, 1.0f), out(16, kSentinel);
  const auto untouched = [&] {
    for (float v : out) {
      if (v != kSentinel) return false;
    }
    return true;
  };
  const gelu_status kBad = GELU_ERR_INVALID_ARGUMENT;
  for (int a : {-1, 6, 7, 1000}) {
    const gelu_act act = RawAct(a);
    EXPECT_EQ(gelu_forward_f32(act, 16, x.data(), out.data()), kBad) << a;
    EXPECT_EQ(gelu_backward_f32(act, 16, x.data(), dy.data(), out.data()), kBad) << a;
    EXPECT_TRUE(untouched()) << a;
  }
  for (const Fn& fn : AllActivations()) {
    EXPECT_EQ(gelu_forward_f32(fn.act, 16, nullptr, out.data()), kBad);
    EXPECT_EQ(gelu_forward_f32(fn.act, 16, x.data(), nullptr), kBad);
    EXPECT_EQ(gelu_backward_f32(fn.act, 16, nullptr, dy.data(), out.data()), kBad);
    EXPECT_EQ(gelu_backward_f32(fn.act, 16, x.data(), nullptr, out.data()), kBad);
    EXPECT_EQ(gelu_backward_f32(fn.act, 16, x.data(), dy.data(), nullptr), kBad);
    EXPECT_TRUE(untouched()) << ref::FnName(fn);
  }
  float dmu = kSentinel, dsigma = kSentinel;
  const float bad_sigma[] = {0.0f, -0.0f, -1.0f, kNaN, kInf, -kInf};
  for (float s : bad_sigma) {
    EXPECT_EQ(gelu_gaussian_forward_f32(0.0f, s, 16, x.data(), out.data()), kBad) << s;
    EXPECT_EQ(
        gelu_gaussian_backward_f32(0.0f, s, 16, x.data(), dy.data(), out.data(), &dmu, &dsigma),
        kBad)
        << s;
  }
  for (float m : {kNaN, kInf, -kInf}) {
    EXPECT_EQ(gelu_gaussian_forward_f32(m, 1.0f, 16, x.data(), out.data()), kBad) << m;
    EXPECT_EQ(
        gelu_gaussian_backward_f32(m, 1.0f, 16, x.data(), dy.data(), out.data(), &dmu, &dsigma),
        kBad)
        << m;
  }
  EXPECT_EQ(gelu_gaussian_forward_f32(0.0f, 1.0f, 16, nullptr, out.data()), kBad);
  EXPECT_EQ(gelu_gaussian_forward_f32(0.0f, 1.0f, 16, x.data(), nullptr), kBad);
  EXPECT_EQ(
      gelu_gaussian_backward_f32(0.0f, 1.0f, 16, nullptr, dy.data(), out.data(), &dmu, &dsigma),
      kBad);
  EXPECT_EQ(
      gelu_gaussian_backward_f32(0.0f, 1.0f, 16, x.data(), nullptr, out.data(), &dmu, &dsigma),
      kBad);
  EXPECT_EQ(gelu_gaussian_backward_f32(0.0f, 1.0f, 16, x.data(), dy.data(), nullptr, &dmu, &dsigma),
            kBad);
  EXPECT_TRUE(untouched());
  EXPECT_EQ(dmu, kSentinel);
  EXPECT_EQ(dsigma, kSentinel);
  // Partly overlapping arrays (other than exactly in place) are refused.
  std::vector<float> buf(40, 0.25f);
  EXPECT_EQ(gelu_forward_f32(GELU_ACT_GELU, 16, buf.data(), buf.data() + 1), kBad);
  EXPECT_EQ(gelu_backward_f32(GELU_ACT_GELU, 16, buf.data(), buf.data() + 20, buf.data() + 3),
            kBad);
  EXPECT_EQ(gelu_backward_f32(GELU_ACT_GELU, 16, buf.data() + 20, buf.data(), buf.data() + 3),
            kBad);
  EXPECT_EQ(gelu_gaussian_forward_f32(0.0f, 1.0f, 16, buf.data() + 1, buf.data()), kBad);
  for (float v : buf) EXPECT_EQ(v, 0.25f);
  // Inputs are never written.
  for (float v : x) EXPECT_EQ(v, 0.5f);
  for (float v : dy) EXPECT_EQ(v, 1.0f);
}

// Elementwise means elementwise: f(x[i]) may not depend on the other values in the call (the
// lanes that share its vector, or whether it falls in the tail), or results would change with
// the array length, the caller's chunking (at::parallel_for) and the data around them.
TEST_P(EdgeCases, ResultIndependentOfNeighbours) {
  std::vector<float> x;
  for (int i = -38000; i <= 38000; ++i) x.push_back(static_cast<float>(i) * 1e-4f + 1.3e-5f);
  const size_t n = x.size();
  std::vector<float> mixed(x);
  for (size_t i = 0; i < n; i += 7) mixed[i] = (i % 2 == 0) ? 100.0f : kNaN;  // outlier lanes
  const std::vector<float> ones(n, 1.0f);
  for (const Fn& fn : EdgeKernels()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      std::vector<float> a(n), b(n);
      ASSERT_EQ(CallApi(fn, dir, n, x.data(), ones.data(), a.data()), GELU_OK);
      ASSERT_EQ(CallApi(fn, dir, n, mixed.data(), ones.data(), b.data()), GELU_OK);
      size_t differ = 0;
      size_t first = 0;
      for (size_t i = 0; i < n; ++i) {
        if (i % 7 == 0 || SameFloat(a[i], b[i])) continue;
        if (differ++ == 0) first = i;
      }
      EXPECT_EQ(differ, 0u) << ref::FnName(fn) << " " << ref::DirName(dir) << ": " << differ
                            << " results change with their neighbours, e.g. x = " << x[first]
                            << ": " << a[first] << " alone vs " << b[first]
                            << " next to 100 or NaN";
    }
  }
}

// The fast path tests two vectors' ranges at once (src/act/gelu_fast-inl.h, FastOutside2):
// an input it does not cover must be found whatever sits in the same lane of the other vector,
// quiet or signalling NaN included (vrangeps turns a signalling NaN into NaN and would hide the
// other lane). Every element must equal its result in a call of its own.
TEST_P(EdgeCases, OutOfRangeNextToNaNInTheOtherVector) {
  auto from_bits = [](uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
  };
  const float lanes_a[] = {from_bits(0x7f800001u), from_bits(0xff812345u), kNaN, -kNaN, 0.25f};
  const float lanes_b[] = {100.0f, -100.0f, kInf, -kInf, 3.875f, -3.875f, -4.0f, 3.4028235e38f};
  const std::vector<float> ones(64, 1.0f);
  for (const Fn& fn : AllActivations()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      for (float a : lanes_a) {
        for (float b : lanes_b) {
          for (size_t j = 0; j < 48; j += 5) {
            for (int swap = 0; swap < 2; ++swap) {
              std::vector<float> x(64, 0.25f), y(64, kSentinel);
              x[swap ? j + 16 : j] = a;
              x[swap ? j : j + 16] = b;
              ASSERT_EQ(CallApi(fn, dir, x.size(), x.data(), ones.data(), y.data()), GELU_OK);
              for (size_t i = 0; i < x.size(); ++i) {
                float alone = kSentinel;
                ASSERT_EQ(CallApi(fn, dir, 1, &x[i], ones.data(), &alone), GELU_OK);
                ASSERT_TRUE(SameFloat(y[i], alone))
                    << ref::FnName(fn) << " " << ref::DirName(dir) << " x[" << i << "] = " << x[i]
                    << " next to " << a << " and " << b << ": " << y[i] << ", alone " << alone;
              }
            }
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Api, EdgeCases, testing::ValuesIn(AllTargets()), TargetParamName);

// An infinite upstream gradient gives f'(x) * dy: +-inf (NaN only where f'(x) = 0), on the
// table path too, where dy times the small correction term once made inf - inf = NaN.
class InfiniteDy : public TargetTest {};
TEST_P(InfiniteDy, BackwardGivesInfinity) {
  const float xs[] = {-3.5f, -2.0f, -1.0f, -0.5f, 0.25f, 1.0f, 2.5f, 3.7f};
  const float inf = std::numeric_limits<float>::infinity();
  for (const Fn& fn : AllActivations()) {
    for (const float dy : {inf, -inf}) {
      std::vector<float> x(std::begin(xs), std::end(xs)), g(x.size(), dy), dx(x.size());
      // Also in full vectors: the inputs repeated past one AVX-512 vector.
      for (int rep = 0; rep < 3; ++rep) {
        for (size_t i = 0; i < 8; ++i) {
          x.push_back(xs[i]);
          g.push_back(dy);
        }
      }
      dx.resize(x.size());
      ASSERT_EQ(CallApi(fn, Dir::kBackward, x.size(), x.data(), g.data(), dx.data()), GELU_OK);
      for (size_t i = 0; i < x.size(); ++i) {
        const double want =
            ref::Eval(fn, Dir::kBackward, static_cast<double>(x[i])) * static_cast<double>(dy);
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(dx[i])) << ref::FnName(fn) << " x = " << x[i];
        } else {
          EXPECT_EQ(static_cast<double>(dx[i]), want) << ref::FnName(fn) << " x = " << x[i];
        }
      }
    }
  }
}
INSTANTIATE_TEST_SUITE_P(Api, InfiniteDy, testing::ValuesIn(AllTargets()), TargetParamName);

// The target libgelu dispatched to when it was loaded, before any test pinned one: what
// GELU_SIMD_TARGET chose (ctest runs this suite again with it set, see tests/gelu/CMakeLists.txt).
const std::string kTargetAtLoad = gelu_simd_target();

TEST(SimdTarget, PinRestoreAndRefuse) {
  const std::string automatic = gelu_simd_target();
  std::vector<std::string> pinned;
  for (const char* name : {"AVX3", "AVX2", "SSE4", "SCALAR", "EMU128"}) {
    if (gelu_set_simd_target(name) != GELU_OK) {
      EXPECT_EQ(gelu_simd_target(), automatic) << "a refused " << name << " changed the target";
      continue;
    }
    EXPECT_STREQ(gelu_simd_target(), name);
    pinned.push_back(name);
    ASSERT_EQ(gelu_set_simd_target(nullptr), GELU_OK);
    EXPECT_EQ(gelu_simd_target(), automatic) << "NULL did not restore the automatic choice";
  }
  // x86-64 has SSE4 or better plus a portable fallback; this project's CI machines have AVX3.
  EXPECT_GE(pinned.size(), 2u);
  EXPECT_EQ(pinned.front(), automatic) << "the automatic choice is not the best target";
  ASSERT_EQ(gelu_set_simd_target(pinned.back().c_str()), GELU_OK);
  for (const char* bad : {"", "avx2", "AVX2 ", "NEON", "AVX3_SPR", "gelu"}) {
    EXPECT_EQ(gelu_set_simd_target(bad), GELU_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_EQ(gelu_simd_target(), pinned.back()) << "a refused '" << bad << "' changed the target";
  }
  EXPECT_THROW(gelu::SetSimdTarget("NEON"), gelu::Error);
  gelu::SetSimdTarget(nullptr);
  EXPECT_EQ(gelu_simd_target(), automatic);
}

// Pinning changes the code that runs: the AVX-512 table path and the double path of AVX2 round
// some inputs differently (both within the bounds of docs/ACCURACY.md).
TEST(SimdTarget, PinnedTargetRunsItsOwnCode) {
  if (gelu_set_simd_target("AVX3") != GELU_OK || gelu_set_simd_target("AVX2") != GELU_OK) {
    gelu_set_simd_target(nullptr);
    GTEST_SKIP() << "needs AVX3 and AVX2";
  }
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-3.5f, 3.5f);
  std::vector<float> x(100000), y3(x.size()), y2(x.size());
  for (auto& v : x) v = u(rng);
  ASSERT_EQ(gelu_set_simd_target("AVX3"), GELU_OK);
  ASSERT_EQ(gelu_forward_f32(GELU_ACT_GELU, x.size(), x.data(), y3.data()), GELU_OK);
  ASSERT_EQ(gelu_set_simd_target("AVX2"), GELU_OK);
  ASSERT_EQ(gelu_forward_f32(GELU_ACT_GELU, x.size(), x.data(), y2.data()), GELU_OK);
  gelu_set_simd_target(nullptr);
  size_t differ = 0;
  for (size_t i = 0; i < x.size(); ++i) differ += ToBits(y3[i]) != ToBits(y2[i]);
  EXPECT_GT(differ, 0u) << "AVX3 and AVX2 gave identical bits on 100K inputs";
  EXPECT_LT(differ, x.size() / 4) << "most results differ: one of the paths is wrong";
}

// GELU_SIMD_TARGET_EXPECT names what GELU_SIMD_TARGET should have chosen at load ("auto": the
// automatic choice, for an unusable value); without it (the plain run) there is nothing to check.
TEST(SimdTarget, EnvironmentVariableAppliesAtLoad) {
  const char* expect = std::getenv("GELU_SIMD_TARGET_EXPECT");
  if (expect == nullptr) GTEST_SKIP() << "run by ctest with GELU_SIMD_TARGET set";
  if (std::string(expect) == "auto") {
    ASSERT_EQ(gelu_set_simd_target(nullptr), GELU_OK);
    EXPECT_EQ(kTargetAtLoad, gelu_simd_target());
  } else {
    EXPECT_EQ(kTargetAtLoad, expect);
  }
}

TEST(Status, Strings) {
  const char* ok = gelu_status_string(GELU_OK);
  const char* bad = gelu_status_string(GELU_ERR_INVALID_ARGUMENT);
  ASSERT_NE(ok, nullptr);
  ASSERT_NE(bad, nullptr);
  EXPECT_GT(std::string(ok).size(), 0u);
  EXPECT_GT(std::string(bad).size(), 0u);
  EXPECT_NE(std::string(ok), std::string(bad));
  for (int s : {-1, 2, 99}) {
    const char* t = gelu_status_string(static_cast<gelu_status>(s));
    ASSERT_NE(t, nullptr) << s;
    EXPECT_NE(std::string(t), std::string(ok)) << s;
  }
}

// gelu_act_name / gelu_act_from_name agree with the one list, activations.def.
TEST(Names, RoundTripOverActivationsDef) {
  int rows = 0;
#define X(ID, NAME, ENUM, DESC)                                        \
  {                                                                    \
    ++rows;                                                            \
    EXPECT_EQ(static_cast<int>(ENUM), ID);                             \
    ASSERT_NE(gelu_act_name(ENUM), nullptr);                           \
    EXPECT_STREQ(gelu_act_name(ENUM), #NAME);                          \
    gelu_act a = RawAct(-1);                                           \
    EXPECT_EQ(gelu_act_from_name(#NAME, &a), GELU_OK) << #NAME;        \
    EXPECT_EQ(a, ENUM) << #NAME;                                       \
    EXPECT_EQ(gelu::Name(static_cast<gelu::Act>(ENUM)), #NAME);        \
    EXPECT_EQ(gelu::ActFromName(#NAME), static_cast<gelu::Act>(ENUM)); \
  }
#include "src/act/activations.def"
#undef X
  EXPECT_EQ(rows, GELU_ACT_COUNT);
  EXPECT_EQ(gelu_act_name(RawAct(GELU_ACT_COUNT)), nullptr);
  EXPECT_EQ(gelu_act_name(RawAct(-1)), nullptr);
  gelu_act a = GELU_ACT_SILU;
  for (const char* bad : {"", "GELU", "gelu ", "tanh", "gaussian_gelu", "reluu"}) {
    EXPECT_EQ(gelu_act_from_name(bad, &a), GELU_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_EQ(a, GELU_ACT_SILU) << "changed *act on failure: " << bad;
  }
  EXPECT_EQ(gelu_act_from_name(nullptr, &a), GELU_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(gelu_act_from_name("gelu", nullptr), GELU_ERR_INVALID_ARGUMENT);
}

TEST(CppApi, ErrorsAndSizes) {
  std::vector<float> x(8, 1.0f), y(8), dy(8, 1.0f), small(7);
  gelu::Forward(gelu::Act::kGelu, x, y);
  EXPECT_FLOAT_EQ(y[0], 0.841344714f);
  EXPECT_THROW(gelu::Forward(gelu::Act::kGelu, x, small), std::invalid_argument);
  EXPECT_THROW(gelu::Backward(gelu::Act::kGelu, x, small, y), std::invalid_argument);
  EXPECT_THROW(gelu::Backward(gelu::Act::kGelu, x, dy, small), std::invalid_argument);
  EXPECT_THROW(gelu::GaussianForward(0.0f, 1.0f, x, small), std::invalid_argument);
  EXPECT_THROW(gelu::GaussianBackward(0.0f, 1.0f, x, dy, small), std::invalid_argument);
  try {
    gelu::Forward(static_cast<gelu::Act>(6), x, y);
    FAIL() << "no exception for an unknown activation";
  } catch (const gelu::Error& e) {
    EXPECT_EQ(e.status(), GELU_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find(gelu_status_string(GELU_ERR_INVALID_ARGUMENT)),
              std::string::npos)
        << e.what();
  }
  try {
    gelu::GaussianForward(0.0f, 0.0f, x, y);
    FAIL() << "no exception for sigma = 0";
  } catch (const gelu::Error& e) {
    EXPECT_EQ(e.status(), GELU_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find(gelu_status_string(GELU_ERR_INVALID_ARGUMENT)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(gelu::Name(static_cast<gelu::Act>(6)), gelu::Error);
  EXPECT_THROW(gelu::ActFromName("nope"), std::invalid_argument);
  const gelu::GaussianGrads g = gelu::GaussianBackward(0.0f, 1.0f, x, dy, y);
  float dmu = 0.0f, dsigma = 0.0f;
  std::vector<float> dx(8);
  ASSERT_EQ(
      gelu_gaussian_backward_f32(0.0f, 1.0f, 8, x.data(), dy.data(), dx.data(), &dmu, &dsigma),
      GELU_OK);
  EXPECT_EQ(g.dmu, dmu);
  EXPECT_EQ(g.dsigma, dsigma);
  EXPECT_EQ(gelu::SimdTarget(), std::string(gelu_simd_target()));
}

// One thread or two: bitwise the same results, Gaussian sums included (deterministic order).
class Threads : public TargetTest {};
TEST_P(Threads, ResultsIndependentOfThreadCount) {
  const size_t n = (size_t{1} << 20) + 7;
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> u(-8.0f, 8.0f);
  std::vector<float> x(n), dy(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = u(rng);
    dy[i] = u(rng) * 0.125f;
  }
  const int saved = gelu_get_num_threads();
  struct Out {
    std::vector<float> y;
    float dmu, dsigma;
  };
  const auto run = [&](const Fn& fn, Dir dir, int threads) {
    gelu_set_num_threads(threads);
    EXPECT_EQ(gelu_get_num_threads(), threads);
    Out o{std::vector<float>(n), 0.0f, 0.0f};
    EXPECT_EQ(CallApi(fn, dir, n, x.data(), dy.data(), o.y.data(), &o.dmu, &o.dsigma), GELU_OK);
    return o;
  };
  for (const Fn& fn : EdgeKernels()) {
    for (Dir dir : {Dir::kForward, Dir::kBackward}) {
      const Out one = run(fn, dir, 1);
      const Out two = run(fn, dir, 2);
      const Out three = run(fn, dir, 3);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(SameFloat(one.y[i], two.y[i]) && SameFloat(one.y[i], three.y[i]))
            << ref::FnName(fn) << " " << ref::DirName(dir) << " i=" << i;
      }
      if (fn.gaussian && dir == Dir::kBackward) {
        EXPECT_EQ(ToBits(one.dmu), ToBits(two.dmu)) << one.dmu << " vs " << two.dmu;
        EXPECT_EQ(ToBits(one.dsigma), ToBits(two.dsigma)) << one.dsigma << " vs " << two.dsigma;
        EXPECT_EQ(ToBits(one.dmu), ToBits(three.dmu));
        EXPECT_EQ(ToBits(one.dsigma), ToBits(three.dsigma));
      }
    }
  }
  gelu_set_num_threads(0);  // back to the default
  EXPECT_GE(gelu_get_num_threads(), 1);
  gelu_set_num_threads(saved);
}
INSTANTIATE_TEST_SUITE_P(Api, Threads, testing::ValuesIn(AllTargets()), TargetParamName);

// Gaussian GELU parameter gradients: the kernel's sums against the double reference sums, and
// the reference sums against central finite differences of sum(dy * y) in mu and sigma.
struct GaussCase {
  float mu, sigma;
};
class GaussianGrads : public TargetTestT<GaussCase> {};
TEST_P(GaussianGrads, SumsMatchReferenceAndFiniteDifferences) {
  const GaussCase c = Param();
  const size_t n = 10007;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> ux(-6.0f, 6.0f), ug(-1.0f, 1.0f);
  std::vector<float> x(n), dy(n), dx(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = ux(rng) * c.sigma + c.mu;
    dy[i] = ug(rng);
  }
  float dmu = 0.0f, dsigma = 0.0f;
  ASSERT_EQ(
      gelu_gaussian_backward_f32(c.mu, c.sigma, n, x.data(), dy.data(), dx.data(), &dmu, &dsigma),
      GELU_OK);
  const auto mu = static_cast<double>(c.mu), sigma = static_cast<double>(c.sigma);
  double ref_mu = 0.0, ref_sigma = 0.0, abs_mu = 0.0, abs_sigma = 0.0;
  double worst_dx = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const auto xi = static_cast<double>(x[i]), gi = static_cast<double>(dy[i]);
    const ref::GaussianGrads g = ref::GaussianGeluGrads(xi, mu, sigma);
    ref_mu += gi * g.dmu;
    ref_sigma += gi * g.dsigma;
    abs_mu += std::fabs(gi * g.dmu);
    abs_sigma += std::fabs(gi * g.dsigma);
    if (std::fabs(g.dx) >= 0x1p-10) worst_dx = std::max(worst_dx, ref::UlpError(dx[i], gi * g.dx));
  }
  EXPECT_LE(worst_dx, 4.0);
  // S(p) = sum dy * y(p); central differences in long double have ~1e-10 relative error.
  const auto S = [&](double m, double s) {
    long double acc = 0.0L;
    for (size_t i = 0; i < n; ++i) {
      acc += static_cast<long double>(dy[i]) *
             static_cast<long double>(ref::GaussianGelu(static_cast<double>(x[i]), m, s));
    }
    return acc;
  };
  const double hm = 1e-5 * std::max(1.0, std::fabs(mu)), hs = 1e-5 * sigma;
  const auto fd_mu = static_cast<double>((S(mu + hm, sigma) - S(mu - hm, sigma)) / (2 * hm));
  const auto fd_sigma = static_cast<double>((S(mu, sigma + hs) - S(mu, sigma - hs)) / (2 * hs));
  EXPECT_NEAR(fd_mu, ref_mu, 1e-6 * abs_mu) << "reference d/dmu disagrees with finite differences";
  EXPECT_NEAR(fd_sigma, ref_sigma, 1e-6 * abs_sigma)
      << "reference d/dsigma disagrees with finite differences";
  // The kernel returns a float of a double sum: rounding of the result plus float-accurate
  // per-element terms (2^-22 of the sum of |terms|).
  EXPECT_NEAR(static_cast<double>(dmu), ref_mu, ref::UlpF32(ref_mu) + 0x1p-22 * abs_mu)
      << "mu " << mu << " sigma " << sigma;
  EXPECT_NEAR(static_cast<double>(dsigma), ref_sigma, ref::UlpF32(ref_sigma) + 0x1p-22 * abs_sigma)
      << "mu " << mu << " sigma " << sigma;
  std::printf(
      "gaussian(%g,%g) on %s: dmu %.9g (ref %.9g, fd %.9g), dsigma %.9g (ref %.9g, fd %.9g)\n", mu,
      sigma, gelu_simd_target(), static_cast<double>(dmu), ref_mu, fd_mu,
      static_cast<double>(dsigma), ref_sigma, fd_sigma);
  // Either output may be omitted.
  ASSERT_EQ(gelu_gaussian_backward_f32(c.mu, c.sigma, n, x.data(), dy.data(), dx.data(), nullptr,
                                       &dsigma),
            GELU_OK);
  ASSERT_EQ(
      gelu_gaussian_backward_f32(c.mu, c.sigma, n, x.data(), dy.data(), dx.data(), &dmu, nullptr),
      GELU_OK);
}

std::string GaussName(const testing::TestParamInfo<std::tuple<int64_t, GaussCase>>& info) {
  const GaussCase c = std::get<1>(info.param);
  std::string s = std::string(hwy::TargetName(std::get<0>(info.param))) + "_mu" +
                  std::to_string(static_cast<int>(c.mu * 100)) + "_sigma" +
                  std::to_string(static_cast<int>(c.sigma * 100));
  for (char& ch : s) {
    if (ch == '-') ch = 'm';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Api, GaussianGrads,
                         testing::Combine(testing::ValuesIn(AllTargets()),
                                          testing::Values(GaussCase{0.0f, 1.0f},
                                                          GaussCase{0.5f, 2.0f},
                                                          GaussCase{-1.0f, 0.25f})),
                         GaussName);

}  // namespace
}  // namespace gelu::test
