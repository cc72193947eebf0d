// The lab's networks (see model.hpp): the MLP, its init, dropout and fused dense layers, fused
// Adam, the model factory and the compute-thread setup. Everything says ::torch because
// gelu::torch (our ops) is also in scope.
#include "lab/core/model.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "lab/core/dropout_mask.hpp"
#include "lab/core/error.hpp"
#include "lab/core/results.hpp"
#include "torch/gelu_modules.hpp"

#if GELU_LAB_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#include <gelu/gelu.h>
#include <torch/csrc/autograd/custom_function.h>

namespace gelu::lab {
namespace fs = std::filesystem;
using ::torch::Tensor;

namespace {
constexpr double kNormEps = 1e-12;         // tf.nn.l2_normalize's epsilon
constexpr std::int64_t kEvalChunk = 5000;  // rows per evaluation forward pass
}  // namespace

void UnitNormInit(::torch::nn::Linear& layer) {
  ::torch::NoGradGuard no_grad;
  auto& w = layer->weight;  // [out, in]
  w.normal_(0.0, 1.0);
  const Tensor norms = w.norm(2, /*dim=*/1, /*keepdim=*/true).clamp_min(kNormEps);
  w.div_(norms);
  layer->bias.zero_();
}

Tensor InvertedDropout(const Tensor& x, double keep, std::uint64_t* rng_state) {
  if (keep >= 1.0) return x;
  Tensor mask = ::torch::empty(x.sizes(), x.options().dtype(::torch::kFloat32));
  // P(keep) = threshold / 2^32: exact for keep = 0.5.
  const auto threshold = static_cast<std::uint64_t>(keep * 4294967296.0 + 0.5);
  *rng_state = FillDropoutMask(mask.data_ptr<float>(), static_cast<std::size_t>(mask.numel()),
                               *rng_state, threshold, static_cast<float>(1.0 / keep));
  return x * mask.to(x.scalar_type());
}

namespace {

std::atomic<int> g_gemm_backend{-1};  // -1: not chosen yet

// C[M, N] = op(A) op(B) in row-major float32, op = transpose for 'T'.
void Gemm(char ta, char tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          const float* b, float* c) {
#if GELU_LAB_HAVE_DNNL
  if (CurrentGemmBackend() == GemmBackend::kOneDnn) {
    const std::int64_t lda = ta == 'N' ? k : m;
    const std::int64_t ldb = tb == 'N' ? n : k;
    const dnnl_status_t st = dnnl_sgemm(ta, tb, m, n, k, 1.0F, a, lda, b, ldb, 0.0F, c, n);
    if (st != dnnl_success) {
      throw LabError("oneDNN sgemm failed (status " + std::to_string(static_cast<int>(st)) + ")");
    }
    return;
  }
#endif
  auto view = [](const float* p, std::int64_t rows, std::int64_t cols, char t) {
    Tensor v = ::torch::from_blob(const_cast<float*>(p), {rows, cols}, ::torch::kFloat32);
    return t == 'N' ? v : v.t();
  };
  Tensor out = ::torch::from_blob(c, {m, n}, ::torch::kFloat32);
  ::at::mm_out(out, view(a, ta == 'N' ? m : k, ta == 'N' ? k : m, ta),
               view(b, tb == 'N' ? k : n, tb == 'N' ? n : k, tb));
}

Tensor Float32Contiguous(const Tensor& t) { return t.to(::torch::kFloat32).contiguous(); }

void CheckGelu(gelu_status s, const char* what) {
  if (s != GELU_OK) throw LabError(std::string("libgelu ") + what + ": " + gelu_status_string(s));
}

// One autograd node per layer: y = f(x W^T + b), or x W^T + b for act < 0. The GEMM writes z =
// x W^T; libgelu's fused gelu_bias_forward_f32 computes f(z + b) in one pass, and backward's
// gelu_bias_backward_f32 gives dz = dy f'(z + b) and db (summed over rows in double) in one.
class DenseFunction : public ::torch::autograd::Function<DenseFunction> {
 public:
  static Tensor forward(::torch::autograd::AutogradContext* ctx, const Tensor& x_in,
                        const Tensor& w_in, const Tensor& b_in, std::int64_t act) {
    const Tensor x = Float32Contiguous(x_in), w = Float32Contiguous(w_in),
                 b = Float32Contiguous(b_in);
    const std::int64_t rows = x.size(0), in = x.size(1), out = w.size(0);
    if (w.size(1) != in || b.numel() != out) throw LabError("Dense: shapes do not fit");
    Tensor z = ::torch::empty({rows, out}, x.options());
    Gemm('N', 'T', rows, out, in, x.data_ptr<float>(), w.data_ptr<float>(), z.data_ptr<float>());
    Tensor y;
    if (act >= 0) {
      y = ::torch::empty_like(z);
      CheckGelu(gelu_bias_forward_f32(static_cast<gelu_act>(act), static_cast<std::size_t>(rows),
                                      static_cast<std::size_t>(out), z.data_ptr<float>(),
                                      b.data_ptr<float>(), y.data_ptr<float>()),
                "gelu_bias_forward_f32");
    } else {
      y = z.add_(b);
    }
    ctx->saved_data["act"] = act;
    ctx->save_for_backward({x, w, b, act >= 0 ? z : Tensor()});
    return y;
  }

  static ::torch::autograd::variable_list backward(::torch::autograd::AutogradContext* ctx,
                                                   ::torch::autograd::variable_list grads) {
    const std::int64_t act = ctx->saved_data["act"].toInt();
    const auto saved = ctx->get_saved_variables();
    const Tensor &x = saved[0], &w = saved[1], &b = saved[2];
    if (!grads[0].defined()) return {Tensor(), Tensor(), Tensor(), Tensor()};
    const Tensor dy = Float32Contiguous(grads[0]);
    const std::int64_t rows = x.size(0), in = x.size(1), out = w.size(0);
    Tensor dz, db;
    if (act >= 0) {
      dz = ::torch::empty_like(dy);
      db = ::torch::empty_like(b);
      CheckGelu(gelu_bias_backward_f32(static_cast<gelu_act>(act), static_cast<std::size_t>(rows),
                                       static_cast<std::size_t>(out), saved[3].data_ptr<float>(),
                                       b.data_ptr<float>(), dy.data_ptr<float>(),
                                       dz.data_ptr<float>(), db.data_ptr<float>()),
                "gelu_bias_backward_f32");
    } else {
      dz = dy;
      db = dy.sum(0);
    }
    Tensor dw = ::torch::empty_like(w);
    Gemm('T', 'N', out, in, rows, dz.data_ptr<float>(), x.data_ptr<float>(), dw.data_ptr<float>());
    Tensor dx;
    if (ctx->needs_input_grad(0)) {
      dx = ::torch::empty_like(x);
      Gemm('N', 'N', rows, in, out, dz.data_ptr<float>(), w.data_ptr<float>(),
           dx.data_ptr<float>());
    }
    return {dx, dw, db, Tensor()};
  }
};

}  // namespace

GemmBackend CurrentGemmBackend() {
  int b = g_gemm_backend.load();
  if (b < 0) {
    const char* env = std::getenv("GELU_LAB_GEMM");
    const bool blas = !GELU_LAB_HAVE_DNNL || (env != nullptr && std::string(env) == "blas");
    b = static_cast<int>(blas ? GemmBackend::kBlas : GemmBackend::kOneDnn);
    g_gemm_backend.store(b);
  }
  return static_cast<GemmBackend>(b);
}

bool SetGemmBackend(GemmBackend backend) {
  if (backend == GemmBackend::kOneDnn && !GELU_LAB_HAVE_DNNL) return false;
  g_gemm_backend.store(static_cast<int>(backend));
  return true;
}

Tensor Dense(const Tensor& x, const Tensor& weight, const Tensor& bias, int act) {
  return DenseFunction::apply(x, weight, bias, static_cast<std::int64_t>(act));
}

MlpImpl::MlpImpl(const MlpSpec& spec, const std::string& activation, double keep)
    : keep_(keep), fused_act_([&] {
        gelu_act act{};
        return gelu_act_from_name(activation.c_str(), &act) == GELU_OK ? static_cast<int>(act) : -1;
      }()) {
  std::size_t in = spec.inputs;
  for (std::size_t i = 0; i <= spec.hidden.size(); ++i) {
    const std::size_t out = i < spec.hidden.size() ? spec.hidden[i] : spec.outputs;
    ::torch::nn::Linear layer = register_module(
        "fc" + std::to_string(i),
        ::torch::nn::Linear(static_cast<std::int64_t>(in), static_cast<std::int64_t>(out)));
    UnitNormInit(layer);
    layers_.push_back(layer);
    if (i < spec.hidden.size()) {
      ::torch::nn::AnyModule act;
      try {
        act = gelu::torch::MakeActivation(activation);
      } catch (const std::invalid_argument& e) {
        throw LabError("--activations: " + std::string(e.what()));
      }
      register_module("act" + std::to_string(i), act.ptr());
      activations_.push_back(std::move(act));
    }
    in = out;
  }
}

Tensor MlpImpl::forward(Tensor x) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const bool hidden = i < activations_.size();
    if (fused_act_ >= 0 || !hidden) {  // one Dense node: GEMM + fused bias (+ activation)
      x = Dense(x, layers_[i]->weight, layers_[i]->bias, hidden ? fused_act_ : -1);
    } else {  // gaussian_gelu, stochastic_gelu: Linear, then the activation module
      x = activations_[i].forward(layers_[i]->forward(x));
    }
    if (hidden && is_training()) x = InvertedDropout(x, keep_, &dropout_state_);
  }
  return x;
}

FusedAdam::FusedAdam(std::vector<Tensor> params, const AdamHyper& hyper)
    : params_(std::move(params)), hyper_(hyper) {
  for (const Tensor& p : params_) {
    if (p.scalar_type() != ::torch::kFloat32 || !p.is_contiguous() || !p.device().is_cpu()) {
      throw LabError("FusedAdam: parameters must be contiguous float32 CPU tensors");
    }
    m_.push_back(::torch::zeros_like(p));
    v_.push_back(::torch::zeros_like(p));
  }
}

void FusedAdam::ZeroGrad() {
  for (Tensor& p : params_) p.mutable_grad().reset();
}

void FusedAdam::Step() {
  ++step_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& grad = params_[i].grad();
    if (!grad.defined()) continue;
    const Tensor g = grad.to(::torch::kFloat32).contiguous();
    AdamStep(hyper_, step_, static_cast<std::size_t>(g.numel()), g.data_ptr<float>(),
             m_[i].data_ptr<float>(), v_[i].data_ptr<float>(), params_[i].data_ptr<float>());
  }
}

void SetComputeThreads(int threads, bool flush_denormals) {
  const int n = std::max(1, threads);
  // libtorch's intra-op pool (OpenMP, spin-waiting) stays at one thread: beside OpenBLAS's own
  // pool it made the MLP epoch 4x slower with 2 threads (3.7 s instead of 0.89 s, lab/README.md).
  // The threads go to the GEMMs, where the time is.
  at::set_num_threads(1);
  // Subnormals: exact GELU gives them for pre-activations below -13.2 (x Phi(x) < 2^-126), and
  // its gradients below about -13; with lr 1e-3 a quarter of the pre-activations end up below
  // -3.9 late in training. Every GEMM that reads them then runs at microcode-assist speed:
  // a 50-epoch gelu run took 1.82 s per epoch with IEEE subnormals and 0.83 s flushed, with the
  // same final test error and loss to 4 digits (lab/README.md, Speed).
  at::globalContext().setFlushDenormal(flush_denormals);
  // libtorch does not tell OpenBLAS (Debian's BLAS) its thread count; ask it directly if loaded.
  using SetFn = void (*)(int);
  if (void* sym = dlsym(RTLD_DEFAULT, "openblas_set_num_threads"); sym != nullptr) {
    reinterpret_cast<SetFn>(sym)(n);
  }
}

void SaveNetwork(Network& net, const fs::path& file) {
  fs::create_directories(file.parent_path());
  const fs::path tmp = TempFileFor(file);
  ::torch::serialize::OutputArchive archive;
  net.save(archive);
  archive.save_to(tmp.string());
  fs::rename(tmp, file);
}

void LoadNetwork(Network& net, const fs::path& file) {
  try {
    ::torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    net.load(archive);
  } catch (const c10::Error& e) {
    throw LabError(file.string() + ": not a model of this experiment (" +
                   e.what_without_backtrace() +
                   "); hint: delete it and the run file of the same name, then rerun");
  }
}

ModelFactory MlpModel(const MlpSpec& spec) {
  return [spec](const ModelOptions& o) -> std::shared_ptr<Network> {
    if (o.features != spec.inputs) {
      throw LabError("the MLP expects " + std::to_string(spec.inputs) +
                     " inputs but the data has " + std::to_string(o.features) +
                     " features per example; hint: check --data");
    }
    return std::make_shared<MlpImpl>(spec, o.activation, o.keep);
  };
}

}  // namespace gelu::lab
