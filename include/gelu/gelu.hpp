// libgelu C++ API: std::span overloads of the C API in <gelu/gelu.h>, errors as exceptions.
// Header-only; every call forwards to the C entry point, so accuracy and speed are the C API's.
#ifndef GELU_GELU_HPP_
#define GELU_GELU_HPP_

#include <gelu/gelu.h>

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

inline std::string_view SimdTarget() { return gelu_simd_target(); }
inline void SetNumThreads(int n) { gelu_set_num_threads(n); }
inline int NumThreads() { return gelu_get_num_threads(); }

}  // namespace gelu

#endif  // GELU_GELU_HPP_
