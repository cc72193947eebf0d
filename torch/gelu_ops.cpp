// The "gelu" torch library: schemas, CPU kernels (libgelu's C API on float32 chunks under
// at::parallel_for) and Autograd kernels (torch::autograd::Function calling libgelu's backward).
// Contract in torch/gelu_ops.hpp; one op per row of src/act/activations.def plus gaussian_gelu.
#include "torch/gelu_ops.hpp"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace gelu::torch {
namespace {

using ::torch::autograd::AutogradContext;
using ::torch::autograd::variable_list;

// The ops parallelize with at::parallel_for; libgelu must stay on the calling thread inside each
// chunk or every torch worker would start libgelu's own pool (documented in gelu_ops.hpp).
[[maybe_unused]] const bool kLibgeluSingleThreaded = [] {
  gelu_set_num_threads(1);
  return true;
}();

const char* ActName(gelu_act act) {
  const char* name = gelu_act_name(act);
  return name != nullptr ? name : "unknown activation";
}

void CheckStatus(gelu_status s, const char* op, const char* call) {
  TORCH_CHECK(s == GELU_OK, "gelu::", op, ": libgelu's ", call, " failed: ", gelu_status_string(s));
}

// Our kernels read float32 only (see the dtype contract in gelu_ops.hpp).
at::Tensor Float32Contiguous(const at::Tensor& t, const char* op, const char* what) {
  TORCH_CHECK(t.defined(), "gelu::", op, ": ", what, " is an undefined tensor");
  TORCH_CHECK(t.device().is_cpu(), "gelu::", op, ": ", what, " must be a CPU tensor, got ",
              t.device());
  TORCH_CHECK(t.scalar_type() == at::kFloat, "gelu::", op, ": expected ", what,
              " to be a float32 tensor, got ", t.scalar_type(),
              "; libgelu computes in float32 only (convert with .to(torch.float32))");
  return t.contiguous();
}

float ReadParam(const at::Tensor& t, const char* what) {
  TORCH_CHECK(t.defined(), "gelu::gaussian_gelu: ", what, " is an undefined tensor");
  TORCH_CHECK(t.numel() == 1, "gelu::gaussian_gelu: expected ", what,
              " to have one element (a 0-dim tensor), got shape ", t.sizes());
  TORCH_CHECK(at::isFloatingType(t.scalar_type()), "gelu::gaussian_gelu: expected ", what,
              " to be a floating tensor, got ", t.scalar_type());
  return t.item<float>();
}

float ReadSigma(const at::Tensor& sigma) {
  const float s = ReadParam(sigma, "sigma");
  TORCH_CHECK(s > 0.0f && std::isfinite(s), "gelu::gaussian_gelu: sigma must be positive and ",
              "finite, got ", s);
  return s;
}

// Calls f(chunk_index, begin, length) for fixed chunks of kChunk elements. The chunking does not
// depend on the thread count, so neither do the results.
template <typename F>
void ForChunks(int64_t n, const F& f) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  at::parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) {
      const int64_t begin = c * kChunk;
      f(c, begin, static_cast<size_t>(std::min(kChunk, n - begin)));
    }
  });
}

// ---- CPU kernels -----------------------------------------------------------------------------

at::Tensor ActivationCpu(gelu_act act, const at::Tensor& x) {
  const char* op = ActName(act);
  const at::Tensor xc = Float32Contiguous(x, op, "x");
  at::Tensor y = at::empty(xc.sizes(), xc.options());
  const float* xp = xc.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  ForChunks(xc.numel(), [&](int64_t, int64_t begin, size_t len) {
    CheckStatus(gelu_forward_f32(act, len, xp + begin, yp + begin), op, "gelu_forward_f32");
  });
  return y;
}

template <gelu_act kAct>
at::Tensor ActivationCpuKernel(const at::Tensor& x) {
  return ActivationCpu(kAct, x);
}

at::Tensor ActivationBackwardCpu(gelu_act act, const at::Tensor& x, const at::Tensor& dy) {
  const char* op = ActName(act);
  const at::Tensor xc = Float32Contiguous(x, op, "x");
  const at::Tensor dyc = Float32Contiguous(dy, op, "the incoming gradient");
  TORCH_CHECK(xc.numel() == dyc.numel(), "gelu::", op, ": gradient has ", dyc.numel(),
              " elements, input has ", xc.numel());
  at::Tensor dx = at::empty(xc.sizes(), xc.options());
  const float* xp = xc.data_ptr<float>();
  const float* dyp = dyc.data_ptr<float>();
  float* dxp = dx.data_ptr<float>();
  ForChunks(xc.numel(), [&](int64_t, int64_t begin, size_t len) {
    CheckStatus(gelu_backward_f32(act, len, xp + begin, dyp + begin, dxp + begin), op,
                "gelu_backward_f32");
  });
  return dx;
}

at::Tensor GaussianCpuKernel(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma) {
  const at::Tensor xc = Float32Contiguous(x, "gaussian_gelu", "x");
  const float m = ReadParam(mu, "mu");
  const float s = ReadSigma(sigma);
  at::Tensor y = at::empty(xc.sizes(), xc.options());
  const float* xp = xc.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  ForChunks(xc.numel(), [&](int64_t, int64_t begin, size_t len) {
    CheckStatus(gelu_gaussian_forward_f32(m, s, len, xp + begin, yp + begin), "gaussian_gelu",
                "gelu_gaussian_forward_f32");
  });
  return y;
}

struct GaussianGrads {
  at::Tensor dx, dmu, dsigma;
};

GaussianGrads GaussianBackwardCpu(const at::Tensor& x, const at::Tensor& mu,
                                  const at::Tensor& sigma, const at::Tensor& dy) {
  const at::Tensor xc = Float32Contiguous(x, "gaussian_gelu", "x");
  const at::Tensor dyc = Float32Contiguous(dy, "gaussian_gelu", "the incoming gradient");
  TORCH_CHECK(xc.numel() == dyc.numel(), "gelu::gaussian_gelu: gradient has ", dyc.numel(),
              " elements, input has ", xc.numel());
  const float m = ReadParam(mu, "mu");
  const float s = ReadSigma(sigma);
  const int64_t n = xc.numel();
  at::Tensor dx = at::empty(xc.sizes(), xc.options());
  const float* xp = xc.data_ptr<float>();
  const float* dyp = dyc.data_ptr<float>();
  float* dxp = dx.data_ptr<float>();
  // One partial sum per fixed chunk, added in chunk order: deterministic for any thread count.
  const auto chunks = static_cast<size_t>((n + kChunk - 1) / kChunk);
  std::vector<float> dmu_part(chunks, 0.0f);
  std::vector<float> dsigma_part(chunks, 0.0f);
  ForChunks(n, [&](int64_t c, int64_t begin, size_t len) {
    const auto i = static_cast<size_t>(c);
    CheckStatus(gelu_gaussian_backward_f32(m, s, len, xp + begin, dyp + begin, dxp + begin,
                                           &dmu_part[i], &dsigma_part[i]),
                "gaussian_gelu", "gelu_gaussian_backward_f32");
  });
  double dmu = 0.0;
  double dsigma = 0.0;
  for (size_t i = 0; i < chunks; ++i) {
    dmu += static_cast<double>(dmu_part[i]);
    dsigma += static_cast<double>(dsigma_part[i]);
  }
  // Gradients take the parameters' own shape and dtype (autograd requires it).
  return {dx, at::full(mu.sizes(), dmu, mu.options()),
          at::full(sigma.sizes(), dsigma, sigma.options())};
}

// ---- Dispatcher handles ------------------------------------------------------------------------

using UnaryOp = c10::TypedOperatorHandle<at::Tensor(const at::Tensor&)>;
using GaussianOp =
    c10::TypedOperatorHandle<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>;

const UnaryOp& ActivationOp(gelu_act act) {
  static const std::array<std::optional<UnaryOp>, GELU_ACT_COUNT> ops = [] {
    std::array<std::optional<UnaryOp>, GELU_ACT_COUNT> a;
#define X(ID, NAME, ENUM, DESC)                                                       \
  static_assert((ID) == (ENUM) && (ID) < GELU_ACT_COUNT, "activations.def: bad row"); \
  a[ID] = c10::Dispatcher::singleton()                                                \
              .findSchemaOrThrow("gelu::" #NAME, "")                                  \
              .typed<at::Tensor(const at::Tensor&)>();
#include "src/act/activations.def"
#undef X
    return a;
  }();
  const auto i = static_cast<int>(act);
  TORCH_CHECK(i >= 0 && i < GELU_ACT_COUNT && ops[static_cast<size_t>(i)].has_value(),
              "gelu::torch::activation: unknown gelu_act ", i);
  return *ops[static_cast<size_t>(i)];
}

const GaussianOp& GaussianGeluOp() {
  static const GaussianOp op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("gelu::gaussian_gelu", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>();
  return op;
}

// ---- Autograd kernels --------------------------------------------------------------------------

class ActivationFunction : public ::torch::autograd::Function<ActivationFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, int64_t act) {
    ctx->saved_data["act"] = act;
    ctx->save_for_backward({x});
    at::AutoDispatchBelowADInplaceOrView guard;
    return ActivationOp(static_cast<gelu_act>(act)).call(x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto act = static_cast<gelu_act>(ctx->saved_data["act"].toInt());
    const at::Tensor x = ctx->get_saved_variables()[0];
    const at::Tensor& dy = grad_outputs[0];
    if (!dy.defined()) return {at::Tensor(), at::Tensor()};
    return {ActivationBackwardCpu(act, x, dy), at::Tensor()};
  }
};

template <gelu_act kAct>
at::Tensor ActivationAutogradKernel(const at::Tensor& x) {
  return ActivationFunction::apply(x, static_cast<int64_t>(kAct));
}

class GaussianFunction : public ::torch::autograd::Function<GaussianFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& mu,
                            const at::Tensor& sigma) {
    ctx->save_for_backward({x, mu, sigma});
    at::AutoDispatchBelowADInplaceOrView guard;
    return GaussianGeluOp().call(x, mu, sigma);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& dy = grad_outputs[0];
    if (!dy.defined()) return {at::Tensor(), at::Tensor(), at::Tensor()};
    GaussianGrads g = GaussianBackwardCpu(saved[0], saved[1], saved[2], dy);
    return {g.dx, g.dmu, g.dsigma};
  }
};

at::Tensor GaussianAutogradKernel(const at::Tensor& x, const at::Tensor& mu,
                                  const at::Tensor& sigma) {
  return GaussianFunction::apply(x, mu, sigma);
}

}  // namespace

at::Tensor activation(gelu_act act, const at::Tensor& x) { return ActivationOp(act).call(x); }

at::Tensor gaussian_gelu(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma) {
  return GaussianGeluOp().call(x, mu, sigma);
}

}  // namespace gelu::torch

// The registration macros spell libtorch as unqualified `torch::`, so they live at global scope,
// where that cannot resolve to gelu::torch.
TORCH_LIBRARY(gelu, m) {
#define X(ID, NAME, ENUM, DESC) m.def(#NAME "(Tensor x) -> Tensor");
#include "src/act/activations.def"
#undef X
  m.def("gaussian_gelu(Tensor x, Tensor mu, Tensor sigma) -> Tensor");
}

TORCH_LIBRARY_IMPL(gelu, CPU, m) {
#define X(ID, NAME, ENUM, DESC) m.impl(#NAME, TORCH_FN(gelu::torch::ActivationCpuKernel<ENUM>));
#include "src/act/activations.def"
#undef X
  m.impl("gaussian_gelu", TORCH_FN(gelu::torch::GaussianCpuKernel));
}

TORCH_LIBRARY_IMPL(gelu, Autograd, m) {
#define X(ID, NAME, ENUM, DESC) \
  m.impl(#NAME, TORCH_FN(gelu::torch::ActivationAutogradKernel<ENUM>));
#include "src/act/activations.def"
#undef X
  m.impl("gaussian_gelu", TORCH_FN(gelu::torch::GaussianAutogradKernel));
}
