// What an experiment is: identity, data (a DataSource), model (a ModelFactory), a Task (loss and
// metrics), training configuration and the --quick/--full grids, plus the registry that
// lab/experiments/*.cpp add themselves to with a static Registrar. Torch-free: data sources, models
// and tasks are opaque here (lab/core/data_sources.hpp, models.hpp, tasks.hpp make them), so an
// experiment file compiles in about a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lab/core/dataset.hpp"
#include "lab/core/results.hpp"

namespace gelu::lab {

// Where a run's data comes from: a loader for one on-disk format and the way the experiment
// splits it, plus a writer of a tiny valid data set in that format (the registry-driven test trains
// every experiment on it).
struct DataOptions {
  std::filesystem::path dir;
  std::size_t validation = 0;     // examples held out for validation (0 = the source's default)
  std::size_t train_limit = 0;    // > 0: train on the first N training examples only
  std::filesystem::path vectors;  // word vectors in the paper's format (twitter_pos; empty: none)
};
struct DataSource {
  std::string format;                  // e.g. "mnist-idx", shown in errors and experiments.json
  std::size_t default_validation = 0;  // 0: this source has no validation split
  std::function<Dataset(const DataOptions&)> load;
  std::function<void(const std::filesystem::path&)> write_sample;
};

// Torch-side objects, defined in lab/core/network.hpp and lab/core/task.hpp.
class Network;
class Task;
struct ModelOptions {
  std::string activation;
  double keep = 1.0;                      // dropout keep probability after each hidden activation
  std::size_t features = 0, classes = 0;  // from the data set
};
using ModelFactory = std::function<std::shared_ptr<Network>(const ModelOptions&)>;
using TaskPtr = std::shared_ptr<const Task>;

struct TrainSpec {
  std::size_t batch = 128;  // the remainder of each epoch is dropped, as TF's next_batch
  // Adam with TensorFlow's defaults; constant learning rate, no weight decay.
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  // With dropout, log the training loss from a dropout-off pass on each minibatch before the
  // update (the paper's MNIST code) instead of the training step's own loss.
  bool log_without_dropout = true;
};

// One sweep: every (activation, dropout, lr, seed) combination is a run.
struct Grid {
  std::vector<std::string> activations;
  int seeds = 1;  // seeds 1..seeds
  int epochs = 1;
  std::vector<double> lrs;
  std::vector<double> dropouts = {0.0};  // drop rates: 0 = no dropout, 0.5 = keep 0.5
  std::size_t train_limit = 0;           // > 0: train on the first N training examples only
  std::size_t validation = 0;            // > 0: overrides the data source's validation size
  std::vector<std::string> no_dropout;   // activations run at dropout 0 only (the SOI map)
};

// How gelu-lab chooses among a group's learning rates (selection.csv): per (activation, dropout),
// jointly over (lr, dropout) per activation (the SOI experiment tunes ReLU's keep), or not at all
// (the autoencoder reports every lr). The rule (SelectLr in results.hpp): lowest median over seeds
// of the final validation loss, a diverged run counting +inf.
using Select = SelectMode;

// A claim of the paper that the run checks (claims.csv): `activation` has a lower `metric` than
// `baseline`, each at its selected lr (and dropout), paired by seed, 95% t-interval.
struct Claim {
  std::string metric;  // "test_loss" | "test_error": final-epoch test rows (mean over noise levels)
  std::string activation, baseline;
  double dropout = 0;  // the dropout condition (ignored for Select::kLrDropout)
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
  double train_loss = 0, val_metric = 0;
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
  // Identity: the name equals the file stem under lab/experiments/.
  std::string name, figure, summary;
  std::string paper;  // the paper's reported values, for the report
  // Data, model, task and training configuration.
  DataSource data;
  ModelFactory model;
  TaskPtr task;
  TrainSpec train;
  Select select = Select::kLr;
  // The epoch a run's results are read at (summary, selection, claims): the last one, or the one
  // with the lowest validation error (Twitter POS, paper-spec.md section 6).
  Checkpoint checkpoint = Checkpoint::kFinal;
  // The report's figure kind (experiments.json): "curves_by_dropout" (Fig. 2: a panel per dropout
  // condition, each activation at its selected lr), "curves_by_lr" (Fig. 4: a panel per lr),
  // "curves_by_activation" (each activation at its selected lr and dropout), "noise" (Fig. 3).
  std::string plot = "curves_by_dropout";
  std::vector<Claim> claims;
  // Grids: --quick (minutes) and --full (the paper's protocol, the default).
  Grid quick, full;
  // Experiments that evaluate another experiment's trained models name it here; its runs with
  // `reuse_dropouts` are run first (resumed if present), and the lr is the one it chose on
  // validation per (activation, dropout). Their task does not train (Task::trains()).
  std::string reuses;
  std::vector<double> reuse_dropouts;
};

class Registry {
 public:
  static void Add(Experiment e);
  static const std::vector<Experiment>& All();
  static const Experiment* Find(const std::string& name);
  // True when another registered experiment evaluates `name`'s trained models (so its runs save
  // them to DIR/models).
  static bool ModelsReused(const std::string& name);
};

struct Registrar {
  explicit Registrar(Experiment e) { Registry::Add(std::move(e)); }
};

// Performs one run (trains with the experiment's task, or evaluates reused models) and returns
// its result rows; the sweep writes them to DIR/runs/RUN_ID.jsonl. Defined in train.cpp.
Rows ExecuteRun(const RunContext& ctx);

}  // namespace gelu::lab
