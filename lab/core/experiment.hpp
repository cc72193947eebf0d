// What an experiment is (identity, data, model, training config, --quick/--full grids and the
// function that performs one run) and the registry that lab/experiments/*.cpp add themselves to
// with a static Registrar. Torch-free, so experiments compile fast.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lab/core/dataset.hpp"
#include "lab/core/results.hpp"

namespace gelu::lab {

struct DataSpec {
  std::size_t validation = 5000;  // the first N training images (the paper's TF loader)
};

struct MlpSpec {  // inputs -> hidden[0] -> ... -> hidden[k-1] -> outputs, affine layers
  std::size_t inputs = 784;
  std::vector<std::size_t> hidden;
  std::size_t outputs = 10;
};

struct TrainSpec {
  std::size_t batch = 128;
  // Adam with TensorFlow's defaults; constant learning rate, no weight decay.
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// One sweep: every (activation, dropout, lr, seed) combination is a run.
struct Grid {
  std::vector<std::string> activations;
  int seeds = 1;  // seeds 1..seeds
  int epochs = 1;
  std::vector<double> lrs;
  std::vector<double> dropouts;  // drop rates: 0 = no dropout, 0.5 = keep 0.5
  std::size_t train_limit = 0;   // > 0: train on the first N training examples only
  std::size_t validation = 0;    // > 0: overrides DataSpec::validation (--validation)
};

struct RunSpec {
  std::string experiment, activation;
  double lr = 0, dropout = 0;
  int seed = 1, epochs = 1;
  std::size_t train_limit = 0, validation = 0;
  std::string id;          // file stem under DIR/runs and DIR/models
  std::string model_from;  // for experiments that evaluate trained models: the training run's id
};

struct Experiment;

struct Progress {
  int epoch = 0, epochs = 0;
  double train_loss = 0, val_error = 0;
};

struct RunContext {
  const Experiment& experiment;
  const RunSpec& run;
  const Dataset& data;
  std::filesystem::path out_dir;
  int threads = 1;
  std::function<void(const Progress&)> progress;  // called after each epoch; may be empty
  bool flush_denormals = true;                    // FTZ/DAZ in the run's thread (SetComputeThreads)
};

struct Experiment {
  // Identity.
  std::string name, figure, summary;
  // Data, model and training configuration.
  DataSpec data;
  MlpSpec model;
  TrainSpec train;
  // Grids: --quick (minutes) and --full (the paper's protocol, the default).
  Grid quick, full;
  // Experiments that evaluate another experiment's trained models name it here; its runs with
  // `reuse_dropouts` are run first (resumed if present), and the lr is the one it chose on
  // validation per (activation, dropout).
  std::string reuses;
  std::vector<double> reuse_dropouts;
  // Performs one run and returns its result rows (the core writes DIR/runs/RUN_ID.jsonl).
  std::function<Rows(const RunContext&)> run;
};

class Registry {
 public:
  static void Add(Experiment e);
  static const std::vector<Experiment>& All();
  static const Experiment* Find(const std::string& name);
};

struct Registrar {
  explicit Registrar(Experiment e) { Registry::Add(std::move(e)); }
};

}  // namespace gelu::lab
