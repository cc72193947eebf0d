// gelu_torch nn modules: libgelu's activations as ::torch::nn modules (usable in Sequential), the
// learnable Gaussian GELU, the paper's stochastic 0-I map, MakeActivation(id), the one place
// that turns an activation id into a module, and the gated units Gated, Geglu and Swiglu.
#ifndef GELU_TORCH_GELU_MODULES_HPP_
#define GELU_TORCH_GELU_MODULES_HPP_

#include <gelu/gelu.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

#include <ostream>
#include <span>
#include <string_view>

namespace gelu::torch {

// TORCH_MODULE(Name) spells libtorch as unqualified `torch::`, which inside gelu::torch names
// this namespace; GELU_TORCH_MODULE is what it expands to, with `::torch::`.
#define GELU_TORCH_MODULE(Name)                                \
  class Name : public ::torch::nn::ModuleHolder<Name##Impl> {  \
   public:                                                     \
    using ::torch::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
    using Impl = Name##Impl;                                   \
  }

// y = f(x) for one of libgelu's activations (the ops of gelu_ops.hpp: float32 input, any shape).
class ActivationImpl : public ::torch::nn::Cloneable<ActivationImpl> {
 public:
  explicit ActivationImpl(gelu_act act);
  // id: one of activations.def's ids ("gelu", "gelu_tanh", ...); std::invalid_argument otherwise.
  explicit ActivationImpl(std::string_view id);

  at::Tensor forward(const at::Tensor& x);
  void reset() override {}
  // Prints "gelu::torch::Activation(gelu)".
  void pretty_print(std::ostream& stream) const override;
  gelu_act act() const { return act_; }

 private:
  gelu_act act_;
};
GELU_TORCH_MODULE(Activation);

// y = x * Phi((x - mu) / sigma) with learnable mu and sigma (0-dim float32 parameters).
// sigma = softplus(rho) + kMinSigma stays positive whatever the optimizer does to rho; the
// registered parameters are "mu" and "rho".
class GaussianGeluImpl : public ::torch::nn::Cloneable<GaussianGeluImpl> {
 public:
  static constexpr double kMinSigma = 1e-4;

  // sigma0 must be finite and > kMinSigma, mu0 finite; std::invalid_argument otherwise.
  explicit GaussianGeluImpl(double mu0 = 0.0, double sigma0 = 1.0);

  at::Tensor forward(const at::Tensor& x);
  // softplus(rho) + kMinSigma, differentiable with respect to rho.
  at::Tensor sigma() const;
  // Re-creates mu and rho from the constructor's mu0 and sigma0.
  void reset() override;
  // Prints "gelu::torch::GaussianGelu(mu=..., sigma=...)" with the current values.
  void pretty_print(std::ostream& stream) const override;

  at::Tensor mu;
  at::Tensor rho;

 private:
  double mu0_;
  double sigma0_;
};
GELU_TORCH_MODULE(GaussianGelu);

// The paper's stochastic 0-I map (SOI map). Training: y = x * m with m ~ Bernoulli(Phi(x)) drawn
// from torch's global generator (exact Phi via erfc; the mask is not differentiated, so dy/dx is
// the mask). Evaluation: y = x * Phi(x), the exact gelu op, the map's expectation.
class StochasticGeluImpl : public ::torch::nn::Cloneable<StochasticGeluImpl> {
 public:
  StochasticGeluImpl() = default;

  at::Tensor forward(const at::Tensor& x);
  void reset() override {}
  // Prints "gelu::torch::StochasticGelu()".
  void pretty_print(std::ostream& stream) const override;
};
GELU_TORCH_MODULE(StochasticGelu);

// Gated linear unit activation on a fused input: x = [a | b] of shape [..., 2C] -> f(a) * b of
// shape [..., C], a = x[..., :C] activated, b = x[..., C:] the gate value (vLLM / ggml order), via
// the gelu::gated op (float32). No parameters: put Linear(d, 2 * C) in front of it.
class GatedImpl : public ::torch::nn::Cloneable<GatedImpl> {
 public:
  explicit GatedImpl(gelu_act act);
  // id: one of activations.def's ids ("gelu", "silu", "relu", ...); std::invalid_argument
  // otherwise.
  explicit GatedImpl(std::string_view id);

  at::Tensor forward(const at::Tensor& x);
  void reset() override {}
  // Prints "gelu::torch::Gated(relu)".
  void pretty_print(std::ostream& stream) const override;
  gelu_act act() const { return act_; }

 private:
  gelu_act act_;
};
GELU_TORCH_MODULE(Gated);

// GEGLU (Shazeer 2020, "GLU Variants Improve Transformer"): gelu(a) * b on the fused [a | b]
// input, as Gated. approximate names the GELU like torch.nn.GELU: "none" (exact, id gelu),
// "tanh" (gelu_tanh, the form Gemma uses) or "sigmoid" (gelu_sigmoid); std::invalid_argument
// otherwise.
class GegluImpl : public ::torch::nn::Cloneable<GegluImpl> {
 public:
  explicit GegluImpl(std::string_view approximate = "none");

  at::Tensor forward(const at::Tensor& x);
  void reset() override {}
  // Prints "gelu::torch::Geglu(approximate=tanh)".
  void pretty_print(std::ostream& stream) const override;
  gelu_act act() const { return act_; }

 private:
  gelu_act act_;
};
GELU_TORCH_MODULE(Geglu);

// SwiGLU (Shazeer 2020; LLaMA's feed-forward): silu(a) * b on the fused [a | b] input, as Gated.
class SwigluImpl : public ::torch::nn::Cloneable<SwigluImpl> {
 public:
  SwigluImpl() = default;

  at::Tensor forward(const at::Tensor& x);
  void reset() override {}
  // Prints "gelu::torch::Swiglu()".
  void pretty_print(std::ostream& stream) const override;
};
GELU_TORCH_MODULE(Swiglu);

// Every id MakeActivation accepts: activations.def's ids in order, then "gaussian_gelu" and
// "stochastic_gelu".
std::span<const std::string_view> ActivationIds();

// A fresh module for id (Activation, GaussianGelu() or StochasticGelu()), ready for
// Sequential::push_back. Unknown id: std::invalid_argument naming it and listing the valid ids.
::torch::nn::AnyModule MakeActivation(std::string_view id);

#undef GELU_TORCH_MODULE

}  // namespace gelu::torch

#endif  // GELU_TORCH_GELU_MODULES_HPP_
