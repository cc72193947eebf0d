// The lab's networks in libtorch: the Network base every model factory returns, and the paper's
// MLP with its initialization, dropout, fused dense layers and fused Adam. MLP tensor shapes: input
// [batch, inputs] -> hidden [batch, hidden[i]] (affine -> activation -> inverted dropout) -> output
// [batch, outputs]. Only the lab's torch TUs and the tests include this header.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lab/core/adam.hpp"
#include "lab/core/experiment.hpp"
#include "lab/core/models.hpp"

namespace gelu::lab {

// What a ModelFactory returns: a module with a forward pass over [batch, features] inputs.
// Dropout and stochastic activations act only in training mode (is_training()).
class Network : public ::torch::nn::Module {
 public:
  virtual ::torch::Tensor forward(::torch::Tensor x) = 0;
  // Seeds the network's own random streams (dropout masks) with the run's seed.
  virtual void SeedDropout(std::uint64_t /*seed*/) {}
};

// Gives OpenBLAS `threads` threads for this process; libtorch's intra-op pool stays at 1 (the two
// spin-waiting pools fight over the cores, lab/README.md). With flush_denormals the calling thread
// computes with subnormal floats flushed to zero (x86 FTZ and DAZ, torch's set_flush_denormal),
// otherwise with IEEE subnormals.
void SetComputeThreads(int threads, bool flush_denormals);

// DIR/models/RUN_ID.pt, written via a temporary file and rename; loading names the file on error.
void SaveNetwork(Network& net, const std::filesystem::path& file);
void LoadNetwork(Network& net, const std::filesystem::path& file);

// W ~ N(0, 1), then each output unit's incoming weight vector (a row of torch's [out, in] weight,
// a column of TF's [in, out]) scaled to unit L2 norm (eps 1e-12, as tf.nn.l2_normalize); bias 0.
void UnitNormInit(::torch::nn::Linear& layer);

// Inverted dropout: keeps each unit with probability keep and scales kept units by 1 / keep
// (tf.nn.dropout(x, keep)); keep >= 1 returns x unchanged. The mask comes from a splitmix64
// stream (*rng_state advances; FillDropoutMask, vectorized) instead of torch's rand_like +
// compare + cast, and is independent of torch's global generator (which init and
// stochastic_gelu use).
::torch::Tensor InvertedDropout(const ::torch::Tensor& x, double keep, std::uint64_t* rng_state);

// Who computes Dense's GEMMs. kOneDnn (oneDNN's sgemm; the default where the build has it):
// measured on this project's machine for the MLP's shapes, one thread, 1.1-1.7x the GEMM
// throughput of Debian's OpenBLAS 0.3.21 (lab/README.md, Speed). kBlas: libtorch's at::mm, i.e.
// the system BLAS (the default without oneDNN, or with GELU_LAB_GEMM=blas in the environment).
enum class GemmBackend { kOneDnn, kBlas };
GemmBackend CurrentGemmBackend();
bool SetGemmBackend(GemmBackend backend);  // false: kOneDnn requested but not built in

// One fully connected layer as a single autograd node: f(x weight^T + bias) for act = a gelu_act
// value (libgelu's fused bias + activation kernels), x weight^T + bias for act < 0. x [rows, in],
// weight [out, in] (torch::nn::Linear's layout), bias [out], float32 CPU. The GEMMs run on
// CurrentGemmBackend(). Gradients reach x, weight and bias.
::torch::Tensor Dense(const ::torch::Tensor& x, const ::torch::Tensor& weight,
                      const ::torch::Tensor& bias, int act);

class MlpImpl : public Network {
 public:
  MlpImpl(const MlpSpec& spec, const std::string& activation, double keep);
  ::torch::Tensor forward(::torch::Tensor x) override;
  void SeedDropout(std::uint64_t seed) override { dropout_state_ = seed; }

 private:
  std::vector<::torch::nn::Linear> layers_;
  std::vector<::torch::nn::AnyModule> activations_;
  double keep_;
  // The gelu_act of a plain libgelu activation: every layer then runs as one Dense node (same
  // parameters, same saved model). -1 for gaussian_gelu and stochastic_gelu: torch's Linear,
  // then the activation module.
  int fused_act_;
  std::uint64_t dropout_state_ = 0;
};
// Written out instead of TORCH_MODULE(Mlp): that macro says `torch::`, which inside gelu::lab
// would find gelu::torch once torch/gelu_modules.hpp is included.
class Mlp : public ::torch::nn::ModuleHolder<MlpImpl> {
 public:
  using ::torch::nn::ModuleHolder<MlpImpl>::ModuleHolder;
  using Impl = MlpImpl;
};

// torch::optim::Adam's update with each parameter's seven tensor operations fused into one pass
// (AdamStep), and gradients dropped instead of zeroed (the next backward writes them afresh,
// skipping a zeroing and an accumulation pass). Measured: see lab/README.md, Speed.
class FusedAdam {
 public:
  FusedAdam(std::vector<::torch::Tensor> params, const AdamHyper& hyper);
  void ZeroGrad();  // drops every gradient
  void Step();      // parameters without a gradient are skipped (their step count still advances)

 private:
  std::vector<::torch::Tensor> params_, m_, v_;
  AdamHyper hyper_;
  std::int64_t step_ = 0;
};

}  // namespace gelu::lab
