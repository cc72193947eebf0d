// mnist_soi: the ICLR-2017 draft's SOI-map experiment on MNIST (paper-spec.md sections 1.3 and 9).
// The mnist_classify network with the stochastic 0-I map instead of an activation and without
// dropout (training: x times a Bernoulli(Phi(x)) mask; test: x Phi(x)), against ReLU with its
// dropout keep {1, 0.75, 0.5} tuned jointly with the lr on validation. The draft reports the test
// error of each at its selected setting.
#include "lab/core/data_sources.hpp"
#include "lab/core/experiment.hpp"
#include "lab/core/models.hpp"
#include "lab/core/tasks.hpp"

namespace gelu::lab {
namespace {

// Identity.
constexpr const char* kName = "mnist_soi";
constexpr const char* kFigure = "draft §4";
constexpr const char* kSummary =
    "MNIST SOI map (stochastic 0-I mask, no activation) vs ReLU with tuned dropout: test error";
constexpr const char* kPaper =
    "ICLR-2017 draft, section 4: test error ReLU with tuned dropout 2.10 %, SOI map 2.00 %.";

// Data, model and training: those of mnist_classify (paper-spec.md section 3): 5,000 validation
// images, the paper's 8 x 128 MLP, Adam with batch 128.
constexpr std::size_t kValidation = 5000;
constexpr std::size_t kBatch = 128;

Experiment Make() {
  Experiment e;
  e.name = kName;
  e.figure = kFigure;
  e.summary = kSummary;
  e.paper = kPaper;
  e.data = MnistIdx(kValidation);
  e.model = MlpModel(PaperMnistMlp());
  e.task = ClassifyTask();
  e.train.batch = kBatch;
  e.select = Select::kLrDropout;  // ReLU's keep is tuned with the lr
  e.plot = "curves_by_activation";
  e.claims = {{"test_error", "stochastic_gelu", "relu", 0.0},
              {"test_loss", "stochastic_gelu", "relu", 0.0}};
  // --full: the draft's protocol: drop rates {0, 0.25, 0.5} for ReLU, none for the SOI map.
  e.full.activations = {"relu", "stochastic_gelu"};
  e.full.seeds = 5;
  e.full.epochs = 50;
  e.full.lrs = {1e-3, 1e-4, 1e-5};
  e.full.dropouts = {0.0, 0.25, 0.5};
  e.full.no_dropout = {"stochastic_gelu"};
  e.quick.activations = {"relu", "stochastic_gelu"};
  e.quick.seeds = 2;
  e.quick.epochs = 3;
  e.quick.lrs = {1e-3};
  e.quick.dropouts = {0.0, 0.5};
  e.quick.no_dropout = {"stochastic_gelu"};
  return e;
}

const Registrar kRegistrar(Make());

}  // namespace
}  // namespace gelu::lab
