// libgelu C++ API: std::span overloads of the C API in <gelu/gelu.h>, errors as exceptions.
// Header-only; every call forwards to the C entry point, so accuracy and speed are the C API's.
#ifndef GELU_GELU_HPP_
#define GELU_GELU_HPP_

#include <gelu/gelu.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gelu {

enum class Act : int {
  kGelu = GELU_ACT_GELU,
  kGeluTanh = GELU_ACT_GELU_TANH,
  kGeluSigmoid = GELU_ACT_GELU_SIGMOID,
  kSilu = GELU_ACT_SILU,
  kRelu = GELU_ACT_RELU,
  kElu = GELU_ACT_ELU,
};

// Thrown for every status other than GELU_OK; what() holds the status text and the call.
class Error : public std::invalid_argument {
 public:
  Error(gelu_status status, const std::string& where)
      : std::invalid_argument(where + ": " + gelu_status_string(status)), status_(status) {}
  gelu_status status() const noexcept { return status_; }

 private:
  gelu_status status_;
};

namespace detail {
inline void Check(gelu_status s, const char* where) {
  if (s != GELU_OK) throw Error(s, where);
}
inline void CheckSameSize(size_t a, size_t b, const char* where) {
  if (a != b) {
    throw std::invalid_argument(std::string(where) + ": spans differ in size (" +
                                std::to_string(a) + " vs " + std::to_string(b) + ")");
  }
}
// size must be rows * cols (without overflow).
inline void CheckShape(size_t rows, size_t cols, size_t size, const char* where) {
  const bool ok = cols == 0 ? size == 0 : (size % cols == 0 && size / cols == rows);
  if (!ok) {
    throw std::invalid_argument(std::string(where) + ": span of " + std::to_string(size) +
                                " elements is not rows x cols = " + std::to_string(rows) + " x " +
                                std::to_string(cols));
  }
}
}  // namespace detail

inline std::string_view Name(Act act) {
  const char* n = gelu_act_name(static_cast<gelu_act>(act));
  if (n == nullptr) throw Error(GELU_ERR_INVALID_ARGUMENT, "gelu::Name");
  return n;
}

inline Act ActFromName(std::string_view name) {
  gelu_act a = GELU_ACT_GELU;
  const std::string s(name);
  if (gelu_act_from_name(s.c_str(), &a) != GELU_OK) {
    throw std::invalid_argument("unknown activation '" + s +
                                "' (expected gelu, gelu_tanh, gelu_sigmoid, silu, relu or elu)");
  }
  return static_cast<Act>(a);
}

// y = f(x); y may be the same span as x.
inline void Forward(Act act, std::span<const float> x, std::span<float> y) {
  detail::CheckSameSize(x.size(), y.size(), "gelu::Forward");
  detail::Check(gelu_forward_f32(static_cast<gelu_act>(act), x.size(), x.data(), y.data()),
                "gelu::Forward");
}

// dx = dy * f'(x); dx may be the same span as dy.
inline void Backward(Act act, std::span<const float> x, std::span<const float> dy,
                     std::span<float> dx) {
  detail::CheckSameSize(x.size(), dy.size(), "gelu::Backward");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::Backward");
  detail::Check(
      gelu_backward_f32(static_cast<gelu_act>(act), x.size(), x.data(), dy.data(), dx.data()),
      "gelu::Backward");
}

// y = x * Phi((x - mu) / sigma).
inline void GaussianForward(float mu, float sigma, std::span<const float> x, std::span<float> y) {
  detail::CheckSameSize(x.size(), y.size(), "gelu::GaussianForward");
  detail::Check(gelu_gaussian_forward_f32(mu, sigma, x.size(), x.data(), y.data()),
                "gelu::GaussianForward");
}

struct GaussianGrads {
  float dmu = 0.0f;
  float dsigma = 0.0f;
};

// dx = dy * dy/dx; returns the sums of dy * dy/dmu and dy * dy/dsigma.
inline GaussianGrads GaussianBackward(float mu, float sigma, std::span<const float> x,
                                      std::span<const float> dy, std::span<float> dx) {
  detail::CheckSameSize(x.size(), dy.size(), "gelu::GaussianBackward");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::GaussianBackward");
  GaussianGrads g;
  detail::Check(gelu_gaussian_backward_f32(mu, sigma, x.size(), x.data(), dy.data(), dx.data(),
                                           &g.dmu, &g.dsigma),
                "gelu::GaussianBackward");
  return g;
}

// ---- Further data types: bf16 and fp16 as bit patterns (uint16_t), fp64 -----------------------

// y = f(x) on bfloat16 bit patterns; y may be the same span as x.
inline void ForwardBf16(Act act, std::span<const uint16_t> x, std::span<uint16_t> y) {
  detail::CheckSameSize(x.size(), y.size(), "gelu::ForwardBf16");
  detail::Check(gelu_forward_bf16(static_cast<gelu_act>(act), x.size(), x.data(), y.data()),
                "gelu::ForwardBf16");
}

// dx = dy * f'(x) on bfloat16 bit patterns; dx may be the same span as dy.
inline void BackwardBf16(Act act, std::span<const uint16_t> x, std::span<const uint16_t> dy,
                         std::span<uint16_t> dx) {
  detail::CheckSameSize(x.size(), dy.size(), "gelu::BackwardBf16");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::BackwardBf16");
  detail::Check(
      gelu_backward_bf16(static_cast<gelu_act>(act), x.size(), x.data(), dy.data(), dx.data()),
      "gelu::BackwardBf16");
}

// y = f(x) on IEEE binary16 bit patterns; y may be the same span as x.
inline void ForwardF16(Act act, std::span<const uint16_t> x, std::span<uint16_t> y) {
  detail::CheckSameSize(x.size(), y.size(), "gelu::ForwardF16");
  detail::Check(gelu_forward_f16(static_cast<gelu_act>(act), x.size(), x.data(), y.data()),
                "gelu::ForwardF16");
}

// dx = dy * f'(x) on IEEE binary16 bit patterns; dx may be the same span as dy.
inline void BackwardF16(Act act, std::span<const uint16_t> x, std::span<const uint16_t> dy,
                        std::span<uint16_t> dx) {
  detail::CheckSameSize(x.size(), dy.size(), "gelu::BackwardF16");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::BackwardF16");
  detail::Check(
      gelu_backward_f16(static_cast<gelu_act>(act), x.size(), x.data(), dy.data(), dx.data()),
      "gelu::BackwardF16");
}

// y = f(x) in double (scalar long double inside); y may be the same span as x.
inline void Forward(Act act, std::span<const double> x, std::span<double> y) {
  detail::CheckSameSize(x.size(), y.size(), "gelu::Forward");
  detail::Check(gelu_forward_f64(static_cast<gelu_act>(act), x.size(), x.data(), y.data()),
                "gelu::Forward");
}

// dx = dy * f'(x) in double; dx may be the same span as dy.
inline void Backward(Act act, std::span<const double> x, std::span<const double> dy,
                     std::span<double> dx) {
  detail::CheckSameSize(x.size(), dy.size(), "gelu::Backward");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::Backward");
  detail::Check(
      gelu_backward_f64(static_cast<gelu_act>(act), x.size(), x.data(), dy.data(), dx.data()),
      "gelu::Backward");
}

// ---- Fused bias + activation (fp32), row-major [rows, cols] ----------------------------------

// y = f(fl(x + bias)) with bias broadcast over rows; x.size() = y.size() = rows * bias.size().
inline void BiasForward(Act act, size_t rows, std::span<const float> x, std::span<const float> bias,
                        std::span<float> y) {
  const size_t cols = bias.size();
  detail::CheckShape(rows, cols, x.size(), "gelu::BiasForward");
  detail::CheckSameSize(x.size(), y.size(), "gelu::BiasForward");
  detail::Check(gelu_bias_forward_f32(static_cast<gelu_act>(act), rows, cols, x.data(), bias.data(),
                                      y.data()),
                "gelu::BiasForward");
}

// dx = dy * f'(fl(x + bias)); dbias = column sums of dx (pass an empty span to skip them).
inline void BiasBackward(Act act, size_t rows, std::span<const float> x,
                         std::span<const float> bias, std::span<const float> dy,
                         std::span<float> dx, std::span<float> dbias = {}) {
  const size_t cols = bias.size();
  detail::CheckShape(rows, cols, x.size(), "gelu::BiasBackward");
  detail::CheckSameSize(x.size(), dy.size(), "gelu::BiasBackward");
  detail::CheckSameSize(x.size(), dx.size(), "gelu::BiasBackward");
  if (!dbias.empty()) detail::CheckSameSize(dbias.size(), cols, "gelu::BiasBackward");
  detail::Check(
      gelu_bias_backward_f32(static_cast<gelu_act>(act), rows, cols, x.data(), bias.data(),
                             dy.data(), dx.data(), dbias.empty() ? nullptr : dbias.data()),
      "gelu::BiasBackward");
}

inline std::string_view SimdTarget() { return gelu_simd_target(); }

// Pins the instruction set ("AVX3", "AVX2", "SSE4", "SCALAR"); nullptr restores the automatic
// choice. Throws gelu::Error for a target this CPU or build lacks.
inline void SetSimdTarget(const char* name) {
  detail::Check(gelu_set_simd_target(name), "gelu::SetSimdTarget");
}
inline void SetNumThreads(int n) { gelu_set_num_threads(n); }
inline int NumThreads() { return gelu_get_num_threads(); }

// ---- Gated activations (GEGLU, SwiGLU) --------------------------------------------------------

// y = f(a) * b on the fused layout: x holds rows of [a | b] (2 * cols each), y rows of cols.
inline void GatedForward(Act act, size_t cols, std::span<const float> x, std::span<float> y) {
  if (cols == 0 && !x.empty()) throw std::invalid_argument("gelu::GatedForward: cols is 0");
  const size_t rows = cols == 0 ? 0 : y.size() / cols;
  detail::CheckShape(rows, cols, y.size(), "gelu::GatedForward");
  detail::CheckShape(rows, 2 * cols, x.size(), "gelu::GatedForward");
  detail::Check(gelu_gated_forward_f32(static_cast<gelu_act>(act), rows, cols, x.data(), 2 * cols,
                                       x.data() + cols, 2 * cols, y.data(), cols),
                "gelu::GatedForward");
}

// The backward of GatedForward: dx rows of [da | db] = [dy * b * f'(a) | dy * f(a)].
inline void GatedBackward(Act act, size_t cols, std::span<const float> x, std::span<const float> dy,
                          std::span<float> dx) {
  if (cols == 0 && !x.empty()) throw std::invalid_argument("gelu::GatedBackward: cols is 0");
  const size_t rows = cols == 0 ? 0 : dy.size() / cols;
  detail::CheckShape(rows, cols, dy.size(), "gelu::GatedBackward");
  detail::CheckShape(rows, 2 * cols, x.size(), "gelu::GatedBackward");
  detail::CheckShape(rows, 2 * cols, dx.size(), "gelu::GatedBackward");
  detail::Check(gelu_gated_backward_f32(static_cast<gelu_act>(act), rows, cols, x.data(), 2 * cols,
                                        x.data() + cols, 2 * cols, dy.data(), cols, dx.data(),
                                        2 * cols, dx.data() + cols, 2 * cols),
                "gelu::GatedBackward");
}

}  // namespace gelu

#endif  // GELU_GELU_HPP_
