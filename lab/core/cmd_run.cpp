// `gelu-lab run EXPERIMENT [options]`: builds the grid (--full by default, --quick, then the
// explicit flags), validates everything before touching the output folder, runs the sweep (and
// first the runs of an experiment whose models this one reuses), then rewrites DIR/summary.csv and
// DIR/selection.csv from all finished runs and prints a table of this sweep's results.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "lab/core/cli.hpp"
#include "lab/core/dataset.hpp"
#include "lab/core/error.hpp"
#include "lab/core/experiment.hpp"
#include "lab/core/progress.hpp"
#include "lab/core/results.hpp"
#include "lab/core/sweep.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;

const std::vector<std::string>& KnownActivations() {
  static const std::vector<std::string> ids = {
#define X(ID, NAME, ENUM, DESC) #NAME,
#include "src/act/activations.def"
#undef X
      "gaussian_gelu", "stochastic_gelu"};
  return ids;
}

namespace {

struct RunFlags {
  std::string experiment;
  std::vector<std::string> activations;
  std::vector<double> lrs, dropouts;
  int seeds = 0, epochs = 0, threads = 0, jobs = 0;
  long long train_limit = -1, validation = -1;
  std::string data, out = "gelu-lab-results", shard;
  bool quick = false, full = false, keep_denormals = false;
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Grid MakeGrid(const Experiment& exp, const RunFlags& f) {
  Grid g = f.quick ? exp.quick : exp.full;
  if (!f.activations.empty()) g.activations = f.activations;
  if (!f.lrs.empty()) g.lrs = f.lrs;
  if (!f.dropouts.empty()) g.dropouts = f.dropouts;
  if (f.seeds > 0) g.seeds = f.seeds;
  if (f.epochs > 0) g.epochs = f.epochs;
  if (f.train_limit >= 0) g.train_limit = static_cast<std::size_t>(f.train_limit);
  if (f.validation > 0) g.validation = static_cast<std::size_t>(f.validation);
  const auto& known = KnownActivations();
  std::set<std::string> seen;
  for (const auto& a : g.activations) {
    if (std::find(known.begin(), known.end(), a) == known.end()) {
      throw LabError("--activations: unknown activation '" + a + "'; known: " + Join(known));
    }
    if (!seen.insert(a).second) throw LabError("--activations: '" + a + "' given twice");
  }
  for (const double lr : g.lrs) {
    if (!(lr > 0) || !std::isfinite(lr)) {
      throw LabError("--lr: " + std::to_string(lr) + " is not a positive learning rate");
    }
  }
  for (const double d : g.dropouts) {
    if (!(d >= 0 && d < 1)) {
      throw LabError("--dropout: " + std::to_string(d) +
                     " is not a drop rate in [0, 1) (0 = no dropout, 0.5 = keep half)");
    }
  }
  return g;
}

void ParseShard(const std::string& s, SweepOptions& o) {
  if (s.empty()) return;
  int k = 0, n = 0;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n) {
    throw LabError("--shard: '" + s + "' is not K/N with 1 <= K <= N (e.g. --shard 2/4)");
  }
  o.shard_index = k - 1;
  o.shard_count = n;
}

void PrintTable(const Experiment& exp, const std::vector<RunSpec>& runs, const fs::path& out) {
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(r.id);
  Rows mine;
  for (Row& r : ReadAllRuns(out)) {
    if (ids.count(r.run) != 0) mine.push_back(std::move(r));
  }
  if (mine.empty()) return;
  const bool noise =
      std::any_of(mine.begin(), mine.end(), [](const Row& r) { return r.noise.has_value(); });
  if (noise) {
    // Median over seeds of the test error at a few noise strengths.
    std::map<std::tuple<std::string, double, double>, std::map<double, std::vector<double>>> t;
    for (const Row& r : mine)
      t[{r.activation, r.dropout, r.lr}][*r.noise].push_back(r.error.value_or(0));
    std::printf("\n%s: median test error over seeds, by noise strength a\n", exp.name.c_str());
    std::printf("%-14s %7s %8s", "activation", "dropout", "lr");
    const double show[] = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
    for (const double a : show) std::printf("  a=%-5g", a);
    std::printf("\n");
    for (const auto& [key, by_a] : t) {
      std::printf("%-14s %7g %8g", std::get<0>(key).c_str(), std::get<1>(key), std::get<2>(key));
      for (const double a : show) {
        auto it = std::find_if(by_a.begin(), by_a.end(),
                               [&](const auto& kv) { return std::fabs(kv.first - a) < 1e-9; });
        if (it == by_a.end()) {
          std::printf("  %-7s", "-");
        } else {
          std::printf("  %-7.4f", Median(it->second));
        }
      }
      std::printf("\n");
    }
    return;
  }
  const auto selection = SelectLr(mine);
  std::printf("\n%s: final-epoch test results over seeds (* = lr chosen on validation)\n",
              exp.name.c_str());
  std::printf("%-14s %7s %9s %5s %6s | %-17s | %-17s\n", "activation", "dropout", "lr", "seeds",
              "epochs", "test error med/mean", "test loss med/mean");
  for (const SummaryRow& s : Summarize(mine)) {
    const auto it = selection.find({s.experiment, s.activation, s.dropout});
    const bool chosen = it != selection.end() && it->second.lr == s.lr;
    std::printf("%-14s %7g %8g%s %5d %6d | %.4f / %.4f   | %.4f / %.4f\n", s.activation.c_str(),
                s.dropout, s.lr, chosen ? "*" : " ", s.seeds, s.epochs, s.test_error_median,
                s.test_error_mean, s.test_loss_median, s.test_loss_mean);
  }
}

void PrintStats(const Experiment& exp, const SweepStats& s) {
  std::printf("%s: %d runs planned, %d in this shard, %d already finished, %d run now",
              exp.name.c_str(), s.planned, s.in_shard, s.skipped, s.ran);
  if (s.ran > 0 && !exp.reuses.empty()) {
    std::printf(" in %s", FormatDuration(s.seconds).c_str());
  } else if (s.ran > 0) {
    std::printf(" in %s (%.2f s per epoch, wall)", FormatDuration(s.seconds).c_str(),
                s.seconds / std::max(1.0, s.epochs_run));
  }
  std::printf("\n");
}

void Run(const RunFlags& f) {
  const Experiment* exp = Registry::Find(f.experiment);
  if (exp == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : Registry::All()) names.push_back(e.name);
    throw LabError("run: unknown experiment '" + f.experiment + "'; known: " + Join(names) +
                   " (see `gelu-lab list`)");
  }
  if (f.quick && f.full) throw LabError("--quick and --full exclude each other");
  const Grid grid = MakeGrid(*exp, f);
  SweepOptions o;
  o.out_dir = f.out;
  ParseShard(f.shard, o);
  const int hw = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  o.jobs = f.jobs > 0 ? f.jobs : hw;
  // One thread per run by default: 2 threads gain nothing at this model size, and on a shared
  // machine libgomp's/OpenBLAS's spinning made them 17x slower (lab/README.md, Speed).
  o.threads = f.threads > 0 ? f.threads : 1;
  o.flush_denormals = !f.keep_denormals;

  const Experiment* source = nullptr;
  std::vector<RunSpec> source_runs;
  if (!exp->reuses.empty()) {
    source = Registry::Find(exp->reuses);
    if (source == nullptr) throw LabError(exp->name + ": reuses unknown experiment " + exp->reuses);
    Grid sg = grid;
    sg.dropouts = exp->reuse_dropouts;
    source_runs = PlanRuns(*source, sg);
  }
  const fs::path data_dir = f.data.empty() ? DefaultDataDir() : fs::path(f.data);
  const std::size_t validation = grid.validation > 0 ? grid.validation : exp->data.validation;
  const Dataset data = LoadMnistFolder(data_dir, validation, grid.train_limit);
  std::printf("%s (%s): data %s (%zu train, %zu val, %zu test), out %s, %d job(s) x %d thread(s)\n",
              exp->name.c_str(), exp->figure.c_str(), data_dir.c_str(), data.train.size(),
              data.val.size(), data.test.size(), o.out_dir.c_str(), o.jobs, o.threads);
  std::fflush(stdout);

  std::vector<RunSpec> runs;
  if (source != nullptr) {
    PrintStats(*source, RunSweep(*source, source_runs, data, o));
    std::set<std::string> ids;
    for (const auto& r : source_runs) ids.insert(r.id);
    Rows rows;
    for (Row& r : ReadAllRuns(o.out_dir)) {
      if (ids.count(r.run) != 0) rows.push_back(std::move(r));
    }
    const auto selection = SelectLr(rows);
    for (const auto& act : grid.activations) {
      for (const double dropout : exp->reuse_dropouts) {
        const auto it = selection.find({source->name, act, dropout});
        if (it == selection.end()) {
          throw LabError(exp->name + ": no finished " + source->name + " runs for " + act +
                         " at dropout " + std::to_string(dropout) + " in " + o.out_dir.string() +
                         "; hint: with --shard, run every shard of " + source->name + " first");
        }
        for (int seed = 1; seed <= grid.seeds; ++seed) {
          RunSpec r;
          r.experiment = exp->name;
          r.activation = act;
          r.dropout = dropout;
          r.lr = it->second.lr;
          r.seed = seed;
          r.epochs = grid.epochs;
          r.train_limit = grid.train_limit;
          r.validation = grid.validation;
          r.id = MakeRunId(r);
          RunSpec src = r;
          src.experiment = source->name;
          r.model_from = MakeRunId(src);
          if (!RunFinished(o.out_dir, r.model_from)) {
            throw LabError(exp->name + ": training run " + r.model_from + " missing in " +
                           o.out_dir.string() + "; hint: run every shard of " + source->name +
                           " first");
          }
          runs.push_back(r);
        }
      }
    }
  } else {
    runs = PlanRuns(*exp, grid);
  }
  const SweepStats stats = RunSweep(*exp, runs, data, o);
  PrintStats(*exp, stats);
  const Rows all = ReadAllRuns(o.out_dir);
  WriteSummary(o.out_dir, Summarize(all));
  WriteSelection(o.out_dir, SelectLr(all));
  if (source != nullptr) PrintTable(*source, source_runs, o.out_dir);
  PrintTable(*exp, runs, o.out_dir);
  std::printf("\nresults: %s/runs/*.jsonl, %s/summary.csv, %s/selection.csv\n", o.out_dir.c_str(),
              o.out_dir.c_str(), o.out_dir.c_str());
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  static RunFlags f;
  auto* cmd = app.add_subcommand("run", "Train and evaluate an experiment's grid of runs");
  cmd->add_option("EXPERIMENT", f.experiment, "Experiment name (see `gelu-lab list`)")->required();
  cmd->add_option("--activations", f.activations,
                  "Comma-separated activation ids (default: gelu,relu,elu,silu)")
      ->delimiter(',');
  cmd->add_option("--seeds", f.seeds, "Number of seeds (runs use seeds 1..N)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--epochs", f.epochs, "Epochs per run")->check(CLI::PositiveNumber);
  cmd->add_option("--lr", f.lrs, "Comma-separated learning-rate grid")->delimiter(',');
  cmd->add_option("--dropout", f.dropouts, "Comma-separated drop rates (0 = none, 0.5 = keep 0.5)")
      ->delimiter(',');
  cmd->add_option("--train-limit", f.train_limit,
                  "Train on the first N training examples only (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--validation", f.validation,
                  "Validation examples taken from the start of the training file (default: the "
                  "experiment's, 5000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--data", f.data,
                  "Folder with the four MNIST-format IDX files (default: $GELU_LAB_DATA or "
                  "/usr/share/datasets/fashion-mnist)");
  cmd->add_option("--out", f.out, "Results folder (default: gelu-lab-results)");
  cmd->add_option("--threads", f.threads,
                  "BLAS threads per run (default: 1; see lab/README.md, Speed)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--jobs", f.jobs, "Runs side by side, each in its own process (default: cores)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", f.shard, "Run only shard K of N of the runs (K/N, 1-based)");
  cmd->add_flag("--keep-denormals", f.keep_denormals,
                "Compute with IEEE subnormal floats instead of flushing them to zero (2x slower "
                "late in training; see lab/README.md, Speed)");
  cmd->add_flag("--quick", f.quick, "Small grid that finishes in minutes");
  cmd->add_flag("--full", f.full, "The paper's protocol (the default)");
  cmd->callback([] { Run(f); });
}

}  // namespace gelu::lab
