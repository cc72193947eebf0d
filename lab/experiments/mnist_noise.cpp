// mnist_noise: the paper's Fig. 3 (paper-spec.md section 4). The no-dropout mnist_classify models
// (final epoch, lr chosen on validation per activation) evaluated on the 10k test set with
// per-pixel Unif[-a, a] noise added, a = 0, 0.1, ..., 3.0, no clipping. The models are those of
// mnist_classify in the same --out folder; missing ones are trained first.
#include "lab/core/experiment.hpp"
#include "lab/core/train.hpp"

namespace gelu::lab {
namespace {

// Identity.
constexpr const char* kName = "mnist_noise";
constexpr const char* kFigure = "Fig. 3";
constexpr const char* kSummary =
    "MNIST robustness: test error and log loss of the no-dropout classifiers under Unif[-a,a] "
    "pixel noise";

// Data: the mnist_classify splits; the noise is one fixed draw per seed (kNoiseSeed + seed), the
// same for every activation, scaled by a.
constexpr std::uint64_t kNoiseSeed = 1000;
constexpr int kNoiseSteps = 30;  // a = 0, 0.1, ..., 3.0
constexpr double kNoiseMax = 3.0;

// Model and training: reused from mnist_classify at dropout 0 (keep 1.0).
constexpr const char* kReuses = "mnist_classify";

std::vector<double> NoiseLevels() {
  std::vector<double> a;
  for (int i = 0; i <= kNoiseSteps; ++i) a.push_back(kNoiseMax * i / kNoiseSteps);
  return a;
}

Experiment Make() {
  Experiment e;
  e.name = kName;
  e.figure = kFigure;
  e.summary = kSummary;
  e.reuses = kReuses;
  e.reuse_dropouts = {0.0};
  // Grids as mnist_classify's (the models to train or reuse), dropout fixed by reuse_dropouts.
  e.full = Grid{.activations = {"gelu", "relu", "elu", "silu"},
                .seeds = 5,
                .epochs = 50,
                .lrs = {1e-3, 1e-4, 1e-5},
                .dropouts = {0.0},
                .train_limit = 0};
  e.quick = Grid{.activations = {"gelu", "relu", "elu", "silu"},
                 .seeds = 1,
                 .epochs = 3,
                 .lrs = {1e-3},
                 .dropouts = {0.0},
                 .train_limit = 20000};
  e.run = [](const RunContext& ctx) { return EvaluateUnderNoise(ctx, NoiseLevels(), kNoiseSeed); };
  return e;
}

const Registrar kRegistrar(Make());

}  // namespace
}  // namespace gelu::lab
