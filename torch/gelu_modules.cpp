// gelu_torch nn modules and the MakeActivation factory (contract in torch/gelu_modules.hpp).
#include "torch/gelu_modules.hpp"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "torch/gelu_ops.hpp"

namespace gelu::torch {
namespace {

constexpr std::array kIds = {
#define X(ID, NAME, ENUM, DESC) std::string_view(#NAME),
#include "src/act/activations.def"
#undef X
    std::string_view("gaussian_gelu"), std::string_view("stochastic_gelu")};

std::string ValidIds() {
  std::string s;
  for (std::string_view id : kIds) {
    if (!s.empty()) s += ", ";
    s += id;
  }
  return s;
}

[[noreturn]] void ThrowUnknownId(const char* where, std::string_view id, std::string_view valid) {
  throw std::invalid_argument(std::string(where) + ": unknown activation id '" + std::string(id) +
                              "' (valid: " + std::string(valid) + ")");
}

// activations.def's ids, for error messages.
std::string ValidActIds() {
  std::string valid;
#define X(ID, NAME, ENUM, DESC) valid += valid.empty() ? #NAME : ", " #NAME;
#include "src/act/activations.def"
#undef X
  return valid;
}

// Inverse of softplus for s > 0: log(exp(s) - 1), written to stay finite for large s.
double InverseSoftplus(double s) { return s + std::log(-std::expm1(-s)); }

}  // namespace

// ---- Activation --------------------------------------------------------------------------------

ActivationImpl::ActivationImpl(gelu_act act) : act_(act) {
  if (gelu_act_name(act) == nullptr) {
    throw std::invalid_argument("gelu::torch::Activation: unknown gelu_act " +
                                std::to_string(static_cast<int>(act)));
  }
}

ActivationImpl::ActivationImpl(std::string_view id) : act_(GELU_ACT_GELU) {
  const std::string name(id);
  if (gelu_act_from_name(name.c_str(), &act_) != GELU_OK) {
    ThrowUnknownId("gelu::torch::Activation", id, ValidActIds());
  }
}

at::Tensor ActivationImpl::forward(const at::Tensor& x) { return activation(act_, x); }

void ActivationImpl::pretty_print(std::ostream& stream) const {
  stream << "gelu::torch::Activation(" << gelu_act_name(act_) << ")";
}

// ---- GaussianGelu ------------------------------------------------------------------------------

GaussianGeluImpl::GaussianGeluImpl(double mu0, double sigma0) : mu0_(mu0), sigma0_(sigma0) {
  if (!std::isfinite(mu0) || !std::isfinite(sigma0) || !(sigma0 > kMinSigma)) {
    throw std::invalid_argument("gelu::torch::GaussianGelu: need finite mu0 and finite sigma0 > " +
                                std::to_string(kMinSigma) + ", got mu0 = " + std::to_string(mu0) +
                                ", sigma0 = " + std::to_string(sigma0));
  }
  reset();
}

void GaussianGeluImpl::reset() {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  mu = register_parameter("mu", at::full({}, mu0_, opts));
  rho = register_parameter("rho", at::full({}, InverseSoftplus(sigma0_ - kMinSigma), opts));
}

at::Tensor GaussianGeluImpl::sigma() const { return at::softplus(rho) + kMinSigma; }

at::Tensor GaussianGeluImpl::forward(const at::Tensor& x) { return gaussian_gelu(x, mu, sigma()); }

void GaussianGeluImpl::pretty_print(std::ostream& stream) const {
  c10::NoGradGuard no_grad;
  stream << "gelu::torch::GaussianGelu(mu=" << mu.item<double>()
         << ", sigma=" << sigma().item<double>() << ")";
}

// ---- StochasticGelu ----------------------------------------------------------------------------

at::Tensor StochasticGeluImpl::forward(const at::Tensor& x) {
  if (!is_training()) return activation(GELU_ACT_GELU, x);
  at::Tensor mask;
  {
    // The mask is a sample, not a function of x to differentiate: dy/dx = mask.
    c10::NoGradGuard no_grad;
    const at::Tensor phi = 0.5 * at::erfc(x * -M_SQRT1_2);  // exact Phi(x), no cancellation
    mask = at::lt(at::rand_like(x), phi).to(x.scalar_type());
  }
  return x * mask;
}

void StochasticGeluImpl::pretty_print(std::ostream& stream) const {
  stream << "gelu::torch::StochasticGelu()";
}

// ---- Gated units -------------------------------------------------------------------------------

GatedImpl::GatedImpl(gelu_act act) : act_(act) {
  if (gelu_act_name(act) == nullptr) {
    throw std::invalid_argument("gelu::torch::Gated: unknown gelu_act " +
                                std::to_string(static_cast<int>(act)));
  }
}

GatedImpl::GatedImpl(std::string_view id) : act_(GELU_ACT_GELU) {
  const std::string name(id);
  if (gelu_act_from_name(name.c_str(), &act_) != GELU_OK) {
    ThrowUnknownId("gelu::torch::Gated", id, ValidActIds());
  }
}

at::Tensor GatedImpl::forward(const at::Tensor& x) { return gated(x, act_); }

void GatedImpl::pretty_print(std::ostream& stream) const {
  stream << "gelu::torch::Gated(" << gelu_act_name(act_) << ")";
}

GegluImpl::GegluImpl(std::string_view approximate) : act_(GELU_ACT_GELU) {
  if (approximate == "tanh") {
    act_ = GELU_ACT_GELU_TANH;
  } else if (approximate == "sigmoid") {
    act_ = GELU_ACT_GELU_SIGMOID;
  } else if (approximate != "none") {
    throw std::invalid_argument("gelu::torch::Geglu: unknown approximate '" +
                                std::string(approximate) + "' (valid: none, tanh, sigmoid)");
  }
}

at::Tensor GegluImpl::forward(const at::Tensor& x) { return gated(x, act_); }

void GegluImpl::pretty_print(std::ostream& stream) const {
  const char* approximate = act_ == GELU_ACT_GELU_TANH      ? "tanh"
                            : act_ == GELU_ACT_GELU_SIGMOID ? "sigmoid"
                                                            : "none";
  stream << "gelu::torch::Geglu(approximate=" << approximate << ")";
}

at::Tensor SwigluImpl::forward(const at::Tensor& x) { return gated(x, GELU_ACT_SILU); }

void SwigluImpl::pretty_print(std::ostream& stream) const { stream << "gelu::torch::Swiglu()"; }

// ---- Factory -----------------------------------------------------------------------------------

std::span<const std::string_view> ActivationIds() { return kIds; }

::torch::nn::AnyModule MakeActivation(std::string_view id) {
  if (id == "gaussian_gelu") return ::torch::nn::AnyModule(GaussianGelu());
  if (id == "stochastic_gelu") return ::torch::nn::AnyModule(StochasticGelu());
  const std::string name(id);
  gelu_act act = GELU_ACT_GELU;
  if (gelu_act_from_name(name.c_str(), &act) != GELU_OK) {
    ThrowUnknownId("gelu::torch::MakeActivation", id, ValidIds());
  }
  return ::torch::nn::AnyModule(Activation(act));
}

}  // namespace gelu::torch
