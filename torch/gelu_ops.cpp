// The "gelu" torch library: schemas, CPU kernels (libgelu's C API on float32 chunks under
// at::parallel_for) and Autograd kernels (torch::autograd::Function calling libgelu's backward).
// Contract in torch/gelu_ops.hpp; one op per row of src/act/activations.def plus gaussian_gelu
// and the gated ops (gated: fused [a | b] input; gated2: separate a and b).
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
#include <string>
#include <string_view>
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
void CheckFloat32Cpu(const at::Tensor& t, const char* op, const char* what) {
  TORCH_CHECK(t.defined(), "gelu::", op, ": ", what, " is an undefined tensor");
  TORCH_CHECK(t.device().is_cpu(), "gelu::", op, ": ", what, " must be a CPU tensor, got ",
              t.device());
  TORCH_CHECK(t.scalar_type() == at::kFloat, "gelu::", op, ": expected ", what,
              " to be a float32 tensor, got ", t.scalar_type(),
              "; libgelu computes in float32 only (convert with .to(torch.float32))");
}

at::Tensor Float32Contiguous(const at::Tensor& t, const char* op, const char* what) {
  CheckFloat32Cpu(t, op, what);
  return t.contiguous();
}

// The ids of activations.def, for error messages.
const std::string& ValidActNames() {
  static const std::string names = [] {
    std::string s;
#define X(ID, NAME, ENUM, DESC) s += s.empty() ? #NAME : ", " #NAME;
#include "src/act/activations.def"
#undef X
    return s;
  }();
  return names;
}

gelu_act ParseAct(const char* op, c10::string_view name) {
  const std::string s(name.data(), name.size());
  gelu_act act = GELU_ACT_GELU;
  TORCH_CHECK(gelu_act_from_name(s.c_str(), &act) == GELU_OK, "gelu::", op,
              ": unknown activation '", s, "' (valid: ", ValidActNames(), ")");
  return act;
}

const char* CheckedActName(const char* op, gelu_act act) {
  const char* name = gelu_act_name(act);
  TORCH_CHECK(name != nullptr, "gelu::torch::", op, ": unknown gelu_act ", static_cast<int>(act),
              " (valid: 0 to ", GELU_ACT_COUNT - 1, ")");
  return name;
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

// A tensor seen as a rows x cols float32 matrix: element (r, c) at p[r * ld + c].
struct RowMatrix {
  at::Tensor keep;  // the view or copy that owns p
  const float* p;
  int64_t rows;
  int64_t ld;
};

// t (float32, CPU, numel() > 0, last dimension cols, or 0-dim with cols = 1) as a matrix without
// a copy when its leading dimensions collapse to one row stride >= cols and its last dimension
// is contiguous; otherwise a contiguous copy. (reshape returns a view exactly when the strides
// allow one; a stride-0 row, as in the expanded gradient of sum(), gets copied.)
RowMatrix AsRowMatrix(const at::Tensor& t, int64_t cols) {
  at::Tensor m = t.reshape({-1, cols});
  const bool last_ok = cols == 1 || m.stride(1) == 1;
  const bool rows_ok = m.size(0) == 1 || m.stride(0) >= cols;
  if (!last_ok || !rows_ok) m = m.contiguous();
  const int64_t ld = m.size(0) == 1 ? cols : m.stride(0);
  return {m, m.data_ptr<float>(), m.size(0), ld};
}

// Calls f(first_row, row_count) for fixed blocks of max(1, kChunk / cols) rows under
// at::parallel_for. Each element is computed on its own, so any split should give the same bits;
// fixed blocks (as in ForChunks) make sure of it: libgelu sees the same row segments, and so the
// same vector/tail split, for every thread count.
template <typename F>
void ForRowBlocks(int64_t rows, int64_t cols, const F& f) {
  const int64_t block = std::max<int64_t>(1, kChunk / std::max<int64_t>(cols, 1));
  const int64_t blocks = (rows + block - 1) / block;
  at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const int64_t r0 = i * block;
      f(r0, std::min(block, rows - r0));
    }
  });
}

size_t Size(int64_t v) { return static_cast<size_t>(v); }

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

// ---- Gated CPU kernels -----------------------------------------------------------------------

// C of the fused [..., 2C] input of gated.
int64_t GatedHalf(const at::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1, "gelu::gated: x must have shape [..., 2*C] (a | b halves), got a ",
              "0-dim tensor");
  TORCH_CHECK(x.size(-1) % 2 == 0, "gelu::gated: the last dimension of x must be even, ",
              "[..., 2*C] with a = x[..., :C] activated and b = x[..., C:] the gate; got shape ",
              x.sizes(), " (for separate a and b use gelu::gated2)");
  return x.size(-1) / 2;
}

at::Tensor GatedCpuKernel(const at::Tensor& x, c10::string_view act_name) {
  const gelu_act act = ParseAct("gated", act_name);
  CheckFloat32Cpu(x, "gated", "x");
  const int64_t c = GatedHalf(x);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = c;
  at::Tensor y = at::empty(shape, x.options());
  if (y.numel() == 0) return y;
  const RowMatrix xm = AsRowMatrix(x, 2 * c);
  float* yp = y.data_ptr<float>();
  ForRowBlocks(xm.rows, c, [&](int64_t r0, int64_t n) {
    const float* a = xm.p + r0 * xm.ld;
    CheckStatus(gelu_gated_forward_f32(act, Size(n), Size(c), a, Size(xm.ld), a + c, Size(xm.ld),
                                       yp + r0 * c, Size(c)),
                "gated", "gelu_gated_forward_f32");
  });
  return y;
}

// dx = [da | db] for y = gated(x), written by libgelu in one pass into interleaved rows.
at::Tensor GatedBackwardCpu(gelu_act act, const at::Tensor& x, const at::Tensor& dy) {
  CheckFloat32Cpu(x, "gated", "x");
  CheckFloat32Cpu(dy, "gated", "the incoming gradient");
  const int64_t c = GatedHalf(x);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = c;
  TORCH_CHECK(dy.sizes() == at::IntArrayRef(shape), "gelu::gated: gradient has shape ", dy.sizes(),
              ", expected ", at::IntArrayRef(shape));
  at::Tensor dx = at::empty(x.sizes(), x.options());
  if (dy.numel() == 0) return dx;
  const RowMatrix xm = AsRowMatrix(x, 2 * c);
  const RowMatrix dym = AsRowMatrix(dy, c);
  float* dxp = dx.data_ptr<float>();
  ForRowBlocks(xm.rows, c, [&](int64_t r0, int64_t n) {
    const float* a = xm.p + r0 * xm.ld;
    float* da = dxp + r0 * 2 * c;
    CheckStatus(gelu_gated_backward_f32(act, Size(n), Size(c), a, Size(xm.ld), a + c, Size(xm.ld),
                                        dym.p + r0 * dym.ld, Size(dym.ld), da, Size(2 * c), da + c,
                                        Size(2 * c)),
                "gated", "gelu_gated_backward_f32");
  });
  return dx;
}

// C of gated2's a and b ([..., C]; a 0-dim pair is one element).
int64_t Gated2Cols(const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(a.sizes() == b.sizes(), "gelu::gated2: a and b must have the same shape, got ",
              a.sizes(), " and ", b.sizes(), " (no broadcasting; for one fused [..., 2*C] tensor ",
              "use gelu::gated)");
  return a.dim() == 0 ? 1 : a.size(-1);
}

at::Tensor Gated2CpuKernel(const at::Tensor& a, const at::Tensor& b, c10::string_view act_name) {
  const gelu_act act = ParseAct("gated2", act_name);
  CheckFloat32Cpu(a, "gated2", "a");
  CheckFloat32Cpu(b, "gated2", "b");
  const int64_t c = Gated2Cols(a, b);
  at::Tensor y = at::empty(a.sizes(), a.options());
  if (y.numel() == 0) return y;
  const RowMatrix am = AsRowMatrix(a, c);
  const RowMatrix bm = AsRowMatrix(b, c);
  float* yp = y.data_ptr<float>();
  ForRowBlocks(am.rows, c, [&](int64_t r0, int64_t n) {
    CheckStatus(gelu_gated_forward_f32(act, Size(n), Size(c), am.p + r0 * am.ld, Size(am.ld),
                                       bm.p + r0 * bm.ld, Size(bm.ld), yp + r0 * c, Size(c)),
                "gated2", "gelu_gated_forward_f32");
  });
  return y;
}

struct Gated2Grads {
  at::Tensor da, db;
};

Gated2Grads Gated2BackwardCpu(gelu_act act, const at::Tensor& a, const at::Tensor& b,
                              const at::Tensor& dy) {
  CheckFloat32Cpu(a, "gated2", "a");
  CheckFloat32Cpu(b, "gated2", "b");
  CheckFloat32Cpu(dy, "gated2", "the incoming gradient");
  const int64_t c = Gated2Cols(a, b);
  TORCH_CHECK(dy.sizes() == a.sizes(), "gelu::gated2: gradient has shape ", dy.sizes(),
              ", expected ", a.sizes());
  at::Tensor da = at::empty(a.sizes(), a.options());
  at::Tensor db = at::empty(b.sizes(), b.options());
  if (dy.numel() == 0) return {da, db};
  const RowMatrix am = AsRowMatrix(a, c);
  const RowMatrix bm = AsRowMatrix(b, c);
  const RowMatrix dym = AsRowMatrix(dy, c);
  float* dap = da.data_ptr<float>();
  float* dbp = db.data_ptr<float>();
  ForRowBlocks(am.rows, c, [&](int64_t r0, int64_t n) {
    CheckStatus(gelu_gated_backward_f32(act, Size(n), Size(c), am.p + r0 * am.ld, Size(am.ld),
                                        bm.p + r0 * bm.ld, Size(bm.ld), dym.p + r0 * dym.ld,
                                        Size(dym.ld), dap + r0 * c, Size(c), dbp + r0 * c, Size(c)),
                "gated2", "gelu_gated_backward_f32");
  });
  return {da, db};
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

using GatedOp = c10::TypedOperatorHandle<at::Tensor(const at::Tensor&, c10::string_view)>;
using Gated2Op =
    c10::TypedOperatorHandle<at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view)>;

const GatedOp& GatedOpHandle() {
  static const GatedOp op = c10::Dispatcher::singleton()
                                .findSchemaOrThrow("gelu::gated", "")
                                .typed<at::Tensor(const at::Tensor&, c10::string_view)>();
  return op;
}

const Gated2Op& Gated2OpHandle() {
  static const Gated2Op op =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("gelu::gated2", "")
          .typed<at::Tensor(const at::Tensor&, const at::Tensor&, c10::string_view)>();
  return op;
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

// The act travels as its enum value (saved_data holds IValues); the op below gets its id back.
class GatedFunction : public ::torch::autograd::Function<GatedFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, int64_t act) {
    ctx->saved_data["act"] = act;
    ctx->save_for_backward({x});
    at::AutoDispatchBelowADInplaceOrView guard;
    return GatedOpHandle().call(x, gelu_act_name(static_cast<gelu_act>(act)));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto act = static_cast<gelu_act>(ctx->saved_data["act"].toInt());
    const at::Tensor x = ctx->get_saved_variables()[0];
    const at::Tensor& dy = grad_outputs[0];
    if (!dy.defined()) return {at::Tensor(), at::Tensor()};
    return {GatedBackwardCpu(act, x, dy), at::Tensor()};
  }
};

at::Tensor GatedAutogradKernel(const at::Tensor& x, c10::string_view act) {
  return GatedFunction::apply(x, static_cast<int64_t>(ParseAct("gated", act)));
}

class Gated2Function : public ::torch::autograd::Function<Gated2Function> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b,
                            int64_t act) {
    ctx->saved_data["act"] = act;
    ctx->save_for_backward({a, b});
    at::AutoDispatchBelowADInplaceOrView guard;
    return Gated2OpHandle().call(a, b, gelu_act_name(static_cast<gelu_act>(act)));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto act = static_cast<gelu_act>(ctx->saved_data["act"].toInt());
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor& dy = grad_outputs[0];
    if (!dy.defined()) return {at::Tensor(), at::Tensor(), at::Tensor()};
    Gated2Grads g = Gated2BackwardCpu(act, saved[0], saved[1], dy);
    return {g.da, g.db, at::Tensor()};
  }
};

at::Tensor Gated2AutogradKernel(const at::Tensor& a, const at::Tensor& b, c10::string_view act) {
  return Gated2Function::apply(a, b, static_cast<int64_t>(ParseAct("gated2", act)));
}

}  // namespace

at::Tensor activation(gelu_act act, const at::Tensor& x) { return ActivationOp(act).call(x); }

at::Tensor gaussian_gelu(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma) {
  return GaussianGeluOp().call(x, mu, sigma);
}

at::Tensor gated(const at::Tensor& x, gelu_act act) {
  return GatedOpHandle().call(x, CheckedActName("gated", act));
}

at::Tensor gated(const at::Tensor& x, std::string_view act) {
  return GatedOpHandle().call(x, c10::string_view(act.data(), act.size()));
}

at::Tensor gated2(const at::Tensor& a, const at::Tensor& b, gelu_act act) {
  return Gated2OpHandle().call(a, b, CheckedActName("gated2", act));
}

at::Tensor gated2(const at::Tensor& a, const at::Tensor& b, std::string_view act) {
  return Gated2OpHandle().call(a, b, c10::string_view(act.data(), act.size()));
}

}  // namespace gelu::torch

// The registration macros spell libtorch as unqualified `torch::`, so they live at global scope,
// where that cannot resolve to gelu::torch.
TORCH_LIBRARY(gelu, m) {
#define X(ID, NAME, ENUM, DESC) m.def(#NAME "(Tensor x) -> Tensor");
#include "src/act/activations.def"
#undef X
  m.def("gaussian_gelu(Tensor x, Tensor mu, Tensor sigma) -> Tensor");
  m.def("gated(Tensor x, str act=\"gelu\") -> Tensor");
  m.def("gated2(Tensor a, Tensor b, str act=\"gelu\") -> Tensor");
}

TORCH_LIBRARY_IMPL(gelu, CPU, m) {
#define X(ID, NAME, ENUM, DESC) m.impl(#NAME, TORCH_FN(gelu::torch::ActivationCpuKernel<ENUM>));
#include "src/act/activations.def"
#undef X
  m.impl("gaussian_gelu", TORCH_FN(gelu::torch::GaussianCpuKernel));
  m.impl("gated", TORCH_FN(gelu::torch::GatedCpuKernel));
  m.impl("gated2", TORCH_FN(gelu::torch::Gated2CpuKernel));
}

TORCH_LIBRARY_IMPL(gelu, Autograd, m) {
#define X(ID, NAME, ENUM, DESC) \
  m.impl(#NAME, TORCH_FN(gelu::torch::ActivationAutogradKernel<ENUM>));
#include "src/act/activations.def"
#undef X
  m.impl("gaussian_gelu", TORCH_FN(gelu::torch::GaussianAutogradKernel));
  m.impl("gated", TORCH_FN(gelu::torch::GatedAutogradKernel));
  m.impl("gated2", TORCH_FN(gelu::torch::Gated2AutogradKernel));
}
