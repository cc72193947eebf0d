// mnist_noise: the paper's Fig. 3 (paper-spec.md section 4). The no-dropout mnist_classify models
// (final epoch, lr chosen on validation per activation) evaluated on the 10k test set with
// per-pixel Unif[-a, a] noise added, a = 0, 0.1, ..., 3.0, no clipping. The models are those of
// mnist_classify in the same --out folder; missing ones are trained first.
#include "lab/core/experiment.hpp"
#include "lab/core/tasks.hpp"

namespace gelu::lab {
namespace {

// Identity.
constexpr const char* kName = "mnist_noise";
constexpr const char* kFigure = "Fig. 3";
constexpr const char* kSummary =
    "MNIST robustness: test error and log loss of the no-dropout classifiers under Unif[-a,a] "
    "pixel noise";
constexpr const char* kPaper =
    "Fig. 3: \"GELUs display robustness matching or exceeding ELUs and ReLUs\" (test accuracy and "
    "log loss against noise strength a = 0..3).";

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
  e.paper = kPaper;
  e.reuses = kReuses;
  e.reuse_dropouts = {0.0};
  e.task = NoiseTask(ClassifyTask(), NoiseLevels(), kNoiseSeed);
  e.plot = "noise";
  // The claims on the mean over all noise levels (the area under each curve of Fig. 3).
  for (const char* other : {"relu", "elu"}) {
    e.claims.push_back({"test_error", "gelu", other, 0.0});
    e.claims.push_back({"test_loss", "gelu", other, 0.0});
  }
  // Grids as mnist_classify's (the models to train or reuse), dropout fixed by reuse_dropouts.
  e.full.activations = {"gelu", "gelu_tanh", "relu", "elu", "silu"};
  e.full.seeds = 5;
  e.full.epochs = 50;
  e.full.lrs = {1e-3, 1e-4, 1e-5};
  e.quick.activations = {"gelu", "relu", "elu", "silu"};
  e.quick.seeds = 3;
  e.quick.epochs = 12;
  e.quick.lrs = {1e-3};
  return e;
}

const Registrar kRegistrar(Make());

}  // namespace
}  // namespace gelu::lab
