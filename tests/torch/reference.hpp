// Shared by the gelu_torch tests: double-precision references for every activation (value and
// the scale of its derivative's terms), central differences, float tolerances, test inputs and a
// bitwise comparison. Independent of libgelu: std::erfc, std::exp, std::expm1 only.
#ifndef GELU_TESTS_TORCH_REFERENCE_HPP_
#define GELU_TESTS_TORCH_REFERENCE_HPP_

#include <ATen/ATen.h>
#include <gelu/gelu.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gelu_torch_test {

constexpr gelu_act kActs[] = {
#define X(ID, NAME, ENUM, DESC) ENUM,
#include "src/act/activations.def"
#undef X
};

inline std::string ActName(gelu_act act) { return gelu_act_name(act); }

// ---- Double references: value f(x) and the magnitude S(x) of the terms that make up f'(x) ----
// S bounds the rounding error of a float derivative computed from those terms (cancellation in
// f' = Phi + x phi near x = -0.75 is measured against S, not against |f'|).

inline double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
inline double PhiDensity(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
inline double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}
// s(1 - s) without cancellation.
inline double SigmoidSlope(double z) {
  const double e = std::exp(-std::fabs(z));
  return e / ((1.0 + e) * (1.0 + e));
}
inline const double kTanhK = std::sqrt(2.0 / M_PI);
constexpr double kTanhC = 0.044715;

inline double RefValue(gelu_act act, double x) {
  switch (act) {
    case GELU_ACT_GELU:
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case GELU_ACT_GELU_TANH:  // 0.5 (1 + tanh(u)) = sigmoid(2u): no cancellation as u -> -inf
      return x * Sigmoid(2.0 * kTanhK * (x + kTanhC * x * x * x));
    case GELU_ACT_GELU_SIGMOID:
      return x * Sigmoid(1.702 * x);
    case GELU_ACT_SILU:
      return x * Sigmoid(x);
    case GELU_ACT_RELU:
      return x > 0 ? x : 0.0;
    case GELU_ACT_ELU:
      return x > 0 ? x : std::expm1(x);
  }
  return NAN;
}

inline double RefTermScale(gelu_act act, double x) {
  switch (act) {
    case GELU_ACT_GELU:
      return Phi(x) + std::fabs(x) * PhiDensity(x);
    case GELU_ACT_GELU_TANH: {
      const double z = 2.0 * kTanhK * (x + kTanhC * x * x * x);
      const double dz = 2.0 * kTanhK * (1.0 + 3.0 * kTanhC * x * x);
      return Sigmoid(z) + std::fabs(x * SigmoidSlope(z) * dz);
    }
    case GELU_ACT_GELU_SIGMOID:
      return Sigmoid(1.702 * x) + std::fabs(1.702 * x * SigmoidSlope(1.702 * x));
    case GELU_ACT_SILU:
      return Sigmoid(x) + std::fabs(x * SigmoidSlope(x));
    case GELU_ACT_RELU:
      return x > 0 ? 1.0 : 0.0;
    case GELU_ACT_ELU:
      return x > 0 ? 1.0 : std::exp(x);
  }
  return NAN;
}

// Central difference in double. h = 1e-5: truncation h^2 |f'''| / 6 and rounding
// 1e-16 |f| / h are both ~1e-10 relative here, far below float's 6e-8.
template <typename F>
double CentralDifference(const F& f, double x) {
  constexpr double h = 1e-5;
  return (f(x + h) - f(x - h)) / (2.0 * h);
}

// Float tolerance of a gradient against the double reference: 1e-5 of the term scale (about 170
// float ulps, room for a few ulps in each term plus the product with dy) and, for results that
// underflow float, a floor just above FLT_MIN. Exact GELU (and the Gaussian GELU) promise
// accuracy into the far tail, so that is all; the approximations promise nothing there (a
// faithful 0.5 x (1 + tanh(u)) loses everything below 1e-7 to cancellation), so they get an
// absolute 1e-7 |dy| more.
inline double GradTolerance(double dy, double term_scale, bool tail_accurate = true) {
  return 1e-5 * std::fabs(dy) * term_scale + 2e-38 + (tail_accurate ? 0.0 : 1e-7 * std::fabs(dy));
}
inline bool TailAccurate(gelu_act act) { return act == GELU_ACT_GELU; }

// ---- Inputs -------------------------------------------------------------------------------------

inline std::vector<float> SpecialInputs() {
  return {-10.0f, -6.0f, 0.5f,   -8.0f,   -5.0f,  -4.0f,   -3.0f,   -2.0f,   -1.0f,
          -0.75f, -0.5f, -0.25f, -1e-3f,  -1e-7f, -0.0f,   0.0f,    1e-7f,   1e-3f,
          0.25f,  1.0f,  2.0f,   3.0f,    4.0f,   5.0f,    6.0f,    8.0f,    10.0f,
          -12.0f, 12.0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 3.0e38f, -3.0e38f};
}

inline at::Tensor Inputs(int64_t random_count, uint64_t seed, bool with_nonfinite) {
  at::manual_seed(seed);
  std::vector<float> v = SpecialInputs();
  if (with_nonfinite) {
    v.push_back(std::numeric_limits<float>::infinity());
    v.push_back(-std::numeric_limits<float>::infinity());
    v.push_back(std::numeric_limits<float>::quiet_NaN());
  }
  const at::Tensor special = at::tensor(v, at::kFloat);
  const at::Tensor random = at::randn({random_count}, at::kFloat) * 3.0;
  return at::cat({special, random});
}

inline std::vector<float> ToVector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

inline std::vector<double> ToDoubles(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// Bitwise comparison that reports the first differing element.
inline void ExpectBitwiseEqual(const std::vector<float>& got, const std::vector<float>& want,
                               const std::vector<float>& x, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i])) {
      ADD_FAILURE() << what << ": element " << i << " (x = " << x[i] << "): got " << got[i]
                    << ", want " << want[i];
      return;
    }
  }
}

}  // namespace gelu_torch_test

#endif  // GELU_TESTS_TORCH_REFERENCE_HPP_
