// mnist_classify: the paper's Fig. 2 (paper-spec.md section 3). An 8-hidden-layer, 128-wide MLP
// trained on MNIST-format data with and without dropout, per activation; the figure plots median
// train and validation log loss per epoch over 5 seeds. Default data: Fashion-MNIST (Debian);
// the paper's MNIST: --data /work/shared/data/mnist (or $GELU_LAB_DATA).
#include "lab/core/experiment.hpp"
#include "lab/core/train.hpp"

namespace gelu::lab {
namespace {

// Identity.
constexpr const char* kName = "mnist_classify";
constexpr const char* kFigure = "Fig. 2";
constexpr const char* kSummary =
    "MNIST classification, 784-8x128-10 MLP, with and without dropout: log loss per epoch";

// Data: 55k train / the first 5k of the training file as validation / 10k test, pixels / 255.
constexpr std::size_t kValidation = 5000;

// Model: 784 -> 128 (x8, affine -> activation -> dropout) -> 10 logits; 217,354 parameters.
constexpr std::size_t kInputs = 784, kWidth = 128, kHiddenLayers = 8, kClasses = 10;

// Training: Adam (TF defaults), batch 128, constant lr chosen on validation from the grid,
// unit-norm Gaussian init, mean softmax cross-entropy.
constexpr std::size_t kBatch = 128;

Experiment Make() {
  Experiment e;
  e.name = kName;
  e.figure = kFigure;
  e.summary = kSummary;
  e.data.validation = kValidation;
  e.model = MlpSpec{kInputs, std::vector<std::size_t>(kHiddenLayers, kWidth), kClasses};
  e.train.batch = kBatch;
  // --full: the paper's protocol, 5 seeds x 3 lrs x 2 dropout conditions x 50 epochs.
  e.full = Grid{.activations = {"gelu", "relu", "elu", "silu"},
                .seeds = 5,
                .epochs = 50,
                .lrs = {1e-3, 1e-4, 1e-5},
                .dropouts = {0.0, 0.5},
                .train_limit = 0};
  // --quick: one seed, 3 epochs, lr 1e-3, both dropout conditions, 20k training examples.
  e.quick = Grid{.activations = {"gelu", "relu", "elu", "silu"},
                 .seeds = 1,
                 .epochs = 3,
                 .lrs = {1e-3},
                 .dropouts = {0.0, 0.5},
                 .train_limit = 20000};
  e.run = TrainClassifier;
  return e;
}

const Registrar kRegistrar(Make());

}  // namespace
}  // namespace gelu::lab
