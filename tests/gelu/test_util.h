// Shared helpers for the libgelu suites: a fixture that runs a test on one Highway target
// (pinned through the public gelu_set_simd_target), calls through the public C API for any
// kernel, and bit-pattern helpers.
#ifndef GELU_TESTS_GELU_TEST_UTIL_H_
#define GELU_TESTS_GELU_TEST_UTIL_H_

#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "hwy/targets.h"
#include "tools/reference/reference.h"

namespace gelu::test {

// An out-of-range activation id as a C caller can pass it (C++ forbids static_cast of values
// outside the enum's range, so copy the bits of the int).
inline gelu_act RawAct(int v) {
  static_assert(sizeof(gelu_act) == sizeof(int));
  gelu_act a;
  std::memcpy(&a, &v, sizeof a);
  return a;
}

inline float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
inline uint32_t ToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Pins libgelu to `target` (gelu_set_simd_target) and checks gelu_simd_target() names it.
// Returns false (and the reason) when libgelu has no code for that target here.
inline bool UseTarget(int64_t target, std::string* why) {
  const char* name = hwy::TargetName(target);
  if (gelu_set_simd_target(name) != GELU_OK) {
    *why =
        std::string("libgelu has no ") + name + " code on this CPU (gelu_set_simd_target refused)";
    return false;
  }
  const std::string got = gelu_simd_target();
  if (got == name) return true;
  *why = std::string("gelu_set_simd_target(") + name + ") dispatched to " + got;
  gelu_set_simd_target(nullptr);
  return false;
}

// Every Highway target this CPU supports and libgelu was compiled for, the portable fallback
// included (EMU128, or SCALAR where Highway deems EMU128 broken: GCC < 12.3). Candidates are all
// targets Highway can build here (this file is compiled with HWY_COMPILE_ALL_ATTAINABLE and
// HWY_WANT_AVX3_DL); each is kept if libgelu then reports it. gtest evaluates this in
// InitGoogleTest, after static initialisation.
inline std::vector<int64_t> AllTargets() {
  std::vector<int64_t> out;
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    std::string why;
    if (UseTarget(t, &why)) out.push_back(t);
  }
  gelu_set_simd_target(nullptr);
  return out;
}

// Fixture base for tests parameterised by (target, T).
template <typename T>
class TargetTestT : public testing::TestWithParam<std::tuple<int64_t, T>> {
 protected:
  void SetUp() override {
    std::string why;
    if (!UseTarget(std::get<0>(this->GetParam()), &why)) GTEST_SKIP() << why;
  }
  void TearDown() override { gelu_set_simd_target(nullptr); }
  int64_t Target() const { return std::get<0>(this->GetParam()); }
  const T& Param() const { return std::get<1>(this->GetParam()); }
};

// Fixture for tests parameterised by target only.
class TargetTest : public testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    std::string why;
    if (!UseTarget(GetParam(), &why)) GTEST_SKIP() << why;
  }
  void TearDown() override { gelu_set_simd_target(nullptr); }
};

inline std::string TargetParamName(const testing::TestParamInfo<int64_t>& info) {
  return hwy::TargetName(info.param);
}

// Calls the C API for fn in direction dir. Backward uses dy (n values); dmu/dsigma optional.
inline gelu_status CallApi(const ref::Fn& fn, ref::Dir dir, size_t n, const float* x,
                           const float* dy, float* out, float* dmu = nullptr,
                           float* dsigma = nullptr) {
  const auto mu = static_cast<float>(fn.mu);
  const auto sigma = static_cast<float>(fn.sigma);
  if (fn.gaussian) {
    return dir == ref::Dir::kForward
               ? gelu_gaussian_forward_f32(mu, sigma, n, x, out)
               : gelu_gaussian_backward_f32(mu, sigma, n, x, dy, out, dmu, dsigma);
  }
  return dir == ref::Dir::kForward ? gelu_forward_f32(fn.act, n, x, out)
                                   : gelu_backward_f32(fn.act, n, x, dy, out);
}

// Bitwise equality that treats any two NaNs as equal.
inline bool SameFloat(float a, float b) {
  if (a != a && b != b) return true;
  return ToBits(a) == ToBits(b);
}

// All kernels by id: the six activations from activations.def plus Gaussian GELUs.
inline std::vector<ref::Fn> AllActivations() {
  std::vector<ref::Fn> v;
#define X(ID, NAME, ENUM, DESC) v.push_back(ref::Fn{ENUM, false, 0.0, 1.0});
#include "src/act/activations.def"
#undef X
  return v;
}

// A mix of special, boundary and ordinary inputs for edge-case tests.
inline std::vector<float> EdgeValues() {
  const uint32_t patterns[] = {
      0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007FFFFFu, 0x807FFFFFu,
      0x00800000u, 0x80800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u, 0xFF800000u,
      0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7FBFFFFFu, 0x3F800000u, 0xBF800000u,
      0xC1500000u, 0xC1580000u, 0xC1660000u, 0xC1680000u, 0xC2200000u, 0x42200000u,
      0xBF40755Eu, 0xBFA3A5E3u, 0x3E800000u, 0xBE800000u, 0x33800000u, 0xB3800000u,
  };
  std::vector<float> v;
  for (uint32_t p : patterns) v.push_back(FromBits(p));
  for (int i = -80; i <= 80; ++i) v.push_back(0.1f * static_cast<float>(i));
  return v;
}

}  // namespace gelu::test

#endif  // GELU_TESTS_GELU_TEST_UTIL_H_
