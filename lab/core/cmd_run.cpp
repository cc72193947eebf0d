// `gelu-lab run EXPERIMENT [options]`: builds the grid (--full by default, --quick, then the
// explicit flags), validates everything before touching the output folder, takes its shard (from
// --shard or the launcher's environment), runs the sweep (and first the runs of an experiment whose
// models this one reuses), then, once every run of the plan is finished (the process that finishes
// last), rewrites DIR/summary.csv, selection.csv and claims.csv and prints a table of the results.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include <limits>
#include <nlohmann/json.hpp>

#include "lab/core/claim.hpp"
#include "lab/core/cli.hpp"
#include "lab/core/dataset.hpp"
#include "lab/core/error.hpp"
#include "lab/core/experiment.hpp"
#include "lab/core/progress.hpp"
#include "lab/core/results.hpp"
#include "lab/core/shard.hpp"
#include "lab/core/sweep.hpp"
#include "lab/core/tasks.hpp"

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
  double claim_timeout = 300;
  long long train_limit = -1, validation = -1;
  std::string data, vectors, out = "gelu-lab-results", shard;
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

// --shard wins over the launcher's environment (mpirun, srun, a Slurm array).
void TakeShard(const std::string& flag, SweepOptions& o) {
  const std::optional<Shard> shard =
      !flag.empty() ? std::optional<Shard>(ParseShardFlag(flag)) : ShardFromEnvironment();
  if (!shard) return;
  o.shard_index = shard->index;
  o.shard_count = shard->count;
  o.shard_source = shard->source;
  // Ranks of mpirun or srun share one terminal (OpenMPI gives each a pty): plain lines, no redraws.
  o.live_progress = !flag.empty();
  o.shards_run_together = flag.empty();
}

// The cores this process may run on (its affinity mask: what Slurm or mpirun bound it to).
int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::map<std::string, SelectMode> SelectModes() {
  std::map<std::string, SelectMode> modes;
  for (const auto& e : Registry::All()) {
    modes[e.name] = e.select;
  }
  return modes;
}

// The rows of `runs` among all rows of the folder.
Rows RowsOf(const std::vector<RunSpec>& runs, const Rows& all) {
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(r.id);
  Rows mine;
  for (const Row& r : all) {
    if (ids.count(r.run) != 0) mine.push_back(r);
  }
  return mine;
}

// "0.1234", or "diverged" / "diverged (k of n)" for +inf statistics.
std::string Stat(double v, int diverged, int seeds) {
  if (std::isinf(v)) {
    return diverged == seeds ? "diverged"
                             : "div. " + std::to_string(diverged) + "/" + std::to_string(seeds);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

void PrintTable(const Experiment& exp, const std::vector<RunSpec>& runs, const Rows& all) {
  const Rows mine = RowsOf(runs, all);
  if (mine.empty()) return;
  const bool noise =
      std::any_of(mine.begin(), mine.end(), [](const Row& r) { return r.noise.has_value(); });
  if (noise) {
    // Median over seeds of the test error (or loss) at a few noise strengths.
    const bool err = Describe(exp.task).has_error;
    std::map<std::tuple<std::string, double, double>, std::map<double, std::vector<double>>> t;
    for (const Row& r : mine) {
      t[{r.activation, r.dropout, r.lr}][*r.noise].push_back(
          r.diverged ? std::numeric_limits<double>::infinity()
          : err      ? r.error.value_or(0)
                     : r.loss);
    }
    std::printf("\n%s: median test %s over seeds, by noise strength a\n", exp.name.c_str(),
                err ? "error" : "loss");
    std::printf("%-14s %7s %8s", "activation", "dropout", "lr");
    const double show[] = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
    for (const double a : show) std::printf("  a=%-5g", a);
    std::printf("\n");
    for (const auto& [key, by_a] : t) {
      std::printf("%-14s %7g %8g", std::get<0>(key).c_str(), std::get<1>(key), std::get<2>(key));
      for (const double a : show) {
        auto it = std::find_if(by_a.begin(), by_a.end(),
                               [&](const auto& kv) { return std::fabs(kv.first - a) < 1e-9; });
        std::printf("  %-7s", it == by_a.end() ? "-" : Stat(Median(it->second), 1, 1).c_str());
      }
      std::printf("\n");
    }
    return;
  }
  const auto selection = SelectLr(mine, SelectModes());
  const bool joint = exp.select == Select::kLrDropout;
  std::printf("\n%s: %s test results over seeds%s\n", exp.name.c_str(),
              exp.checkpoint == Checkpoint::kBestValError ? "best-validation-epoch" : "final-epoch",
              exp.select == Select::kNone ? "" : " (* = chosen on validation)");
  std::printf("%-15s %7s %9s %5s %6s | %-19s | %-19s\n", "activation", "dropout", "lr", "seeds",
              "epochs", "test error med/mean", "test loss med/mean");
  for (const SummaryRow& s : Summarize(mine)) {
    const GroupKey& k = s.key;
    const auto it = selection.find({k.experiment, k.activation, joint ? -1.0 : k.dropout, k.epochs,
                                    k.train_limit, k.validation});
    const bool chosen =
        it != selection.end() && it->second.lr == k.lr && it->second.dropout == k.dropout;
    const auto pair = [&](double med, double mean, bool has) {
      return has ? Stat(med, s.diverged, s.seeds) + " / " + Stat(mean, s.diverged, s.seeds)
                 : std::string("-");
    };
    std::printf("%-15s %7g %8g%s %5d %6d | %-19s | %-19s\n", k.activation.c_str(), k.dropout, k.lr,
                chosen ? "*" : " ", s.seeds, k.epochs,
                pair(s.test_error_median, s.test_error_mean, s.has_error).c_str(),
                pair(s.test_loss_median, s.test_loss_mean, true).c_str());
  }
}

std::string ClaimSentence(const ClaimResult& c) {
  char buf[512];
  const std::string cond = c.dropout < 0    ? "dropout tuned"
                           : c.dropout == 0 ? "no dropout"
                                            : "dropout " + Compact(c.dropout);
  std::snprintf(buf, sizeof buf,
                "%s: %s %s lower than %s (%s%s, %d epochs): %s (difference %+.4g, 95%% CI [%.4g, "
                "%.4g], %d seeds paired)",
                c.experiment.c_str(), c.activation.c_str(), c.metric.c_str(), c.baseline.c_str(),
                cond.c_str(), c.lr > 0 ? (", lr " + Compact(c.lr)).c_str() : "", c.epochs,
                c.verdict.c_str(), c.diff_mean, c.ci_low, c.ci_high, c.seeds);
  return buf;
}

// DIR/experiments.json: what the report needs to know of each experiment that has runs in DIR.
void WriteExperimentsJson(const fs::path& out, const Rows& all) {
  std::set<std::string> present;
  for (const Row& r : all) present.insert(r.experiment);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& e : Registry::All()) {
    if (present.count(e.name) == 0) continue;
    nlohmann::ordered_json j;
    j["name"] = e.name;
    j["figure"] = e.figure;
    j["summary"] = e.summary;
    const TaskInfo task = Describe(e.task);
    j["task"] = task.kind;
    j["reuses"] = e.reuses;
    j["metrics"] = task.has_error ? std::vector<std::string>{"loss", "error"}
                                  : std::vector<std::string>{"loss"};
    j["loss_name"] = task.loss_name;
    j["plot"] = e.plot;
    j["select"] = e.select == Select::kLr          ? "lr"
                  : e.select == Select::kLrDropout ? "lr,dropout"
                                                   : "none";
    j["splits"] = !task.trains                    ? std::vector<std::string>{"test"}
                  : e.data.default_validation > 0 ? std::vector<std::string>{"train", "val", "test"}
                                                  : std::vector<std::string>{"train", "test"};
    // The epoch whose values count per run: the last, or the one with the lowest validation
    // error (ties: the earliest), as summary.csv and selection.csv use them.
    j["checkpoint"] = e.checkpoint == Checkpoint::kBestValError ? "best_val_error" : "final";
    j["data_format"] = e.data.format;
    j["paper"] = e.paper;
    list.push_back(j);
  }
  nlohmann::ordered_json doc;
  doc["experiments"] = list;
  WriteFileAtomic(out / "experiments.json", doc.dump(2) + "\n");
}

std::vector<ClaimSpec> ClaimSpecs() {
  std::vector<ClaimSpec> specs;
  for (const auto& e : Registry::All()) {
    for (const Claim& c : e.claims) {
      specs.push_back(ClaimSpec{e.name, c.metric, c.activation, c.baseline,
                                e.select == Select::kLrDropout ? -1.0 : c.dropout,
                                e.reuses.empty() ? e.name : e.reuses, e.select == Select::kNone});
    }
  }
  return specs;
}

void PrintStats(const Experiment& exp, const SweepStats& s) {
  std::printf("%s: %d runs planned, %d in this shard, %d already finished, %d run now",
              exp.name.c_str(), s.planned, s.in_shard, s.skipped, s.ran);
  if (s.ran > 0 && !Describe(exp.task).trains) {
    std::printf(" in %s", FormatDuration(s.seconds).c_str());
  } else if (s.ran > 0) {
    std::printf(" in %s (%.2f s per epoch, wall)", FormatDuration(s.seconds).c_str(),
                s.seconds / std::max(1.0, s.epochs_run));
  }
  if (s.claimed_elsewhere > 0) {
    std::printf(", %d claimed by another process", s.claimed_elsewhere);
  }
  std::printf("\n");
  std::fflush(stdout);
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
  TakeShard(f.shard, o);
  if (!(f.claim_timeout >= 2) || !std::isfinite(f.claim_timeout)) {
    throw LabError("--claim-timeout: " + Compact(f.claim_timeout) +
                   " is not a number of seconds >= 2 (heartbeats come every tenth of it)");
  }
  o.claim_timeout_s = f.claim_timeout;
  // The machine's cores shared among the processes of a fan-out on it (mpirun -np 4 on one host).
  o.jobs = f.jobs > 0 ? f.jobs : std::max(1, UsableCores() / LocalProcesses());
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
  const DataSource& ds = (source != nullptr ? source : exp)->data;
  const Dataset data =
      ds.load(DataOptions{data_dir, grid.validation > 0 ? grid.validation : ds.default_validation,
                          grid.train_limit, f.vectors.empty() ? fs::path() : fs::path(f.vectors)});
  BindDataSet(o.out_dir, data.name, data.dir, data.fingerprint);
  std::printf(
      "%s (%s): data %s (%s, fingerprint %s; %zu train, %zu val, %zu test), out %s, %d job(s) x "
      "%d thread(s)%s\n",
      exp->name.c_str(), exp->figure.c_str(), data.name.c_str(), data_dir.c_str(),
      data.fingerprint.c_str(), data.train.size(), data.val.size(), data.test.size(),
      o.out_dir.c_str(), o.jobs, o.threads,
      o.shard_count > 1
          ? (", shard " + std::to_string(o.shard_index + 1) + "/" + std::to_string(o.shard_count) +
             " on " + HostName() + " pid " + std::to_string(::getpid()))
                .c_str()
          : "");
  std::fflush(stdout);

  std::vector<RunSpec> runs;
  if (source != nullptr) {
    PrintStats(*source, RunSweep(*source, source_runs, data, o));
    // The lr is chosen on all of the source's runs: wait for the other shards' (and processes').
    WaitForRuns(source_runs, o);
    const auto selection = SelectLr(RowsOf(source_runs, ReadAllRuns(o.out_dir)), SelectModes());
    for (const auto& act : grid.activations) {
      for (const double dropout : exp->reuse_dropouts) {
        const auto it = selection.find({source->name, act,
                                        source->select == Select::kLrDropout ? -1.0 : dropout,
                                        grid.epochs, grid.train_limit, grid.validation});
        if (it == selection.end()) {
          throw LabError(exp->name + ": no finished " + source->name + " runs with validation " +
                         "rows for " + act + " at dropout " + Compact(dropout) + " in " +
                         o.out_dir.string() + "; hint: with --shard, run every shard of " +
                         source->name + " first");
        }
        for (int seed = 1; seed <= grid.seeds; ++seed) {
          RunSpec r;
          r.experiment = exp->name;
          r.activation = act;
          r.dropout = it->second.dropout;
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
  // The results files are written once, by a process that finds the whole plan finished (the last
  // shard to end; any rerun of the command): never from a part of the runs.
  const std::size_t missing =
      Unfinished(runs, o.out_dir).size() + Unfinished(source_runs, o.out_dir).size();
  if (missing > 0) {
    std::printf(
        "%zu of %zu runs of the plan still to be finished by other processes: summary.csv, "
        "selection.csv and claims.csv are left to the last one (or rerun this command)\n",
        missing, runs.size() + source_runs.size());
    PrintStats(*exp, stats);
    return;
  }
  PrintStats(*exp, stats);
  const Rows all = ReadAllRuns(o.out_dir);
  const auto selection = SelectLr(all, SelectModes());
  const auto claims = CheckClaims(all, selection, ClaimSpecs());
  WriteSummary(o.out_dir, Summarize(all));
  WriteSelection(o.out_dir, selection);
  WriteClaims(o.out_dir, claims);
  WriteExperimentsJson(o.out_dir, all);
  if (source != nullptr) PrintTable(*source, source_runs, all);
  PrintTable(*exp, runs, all);
  bool header = false;
  for (const ClaimResult& c : claims) {
    if (c.experiment != exp->name || c.epochs != grid.epochs || c.train_limit != grid.train_limit ||
        c.validation != grid.validation) {
      continue;
    }
    if (!header) std::printf("\nthe paper's claims at these seeds:\n");
    header = true;
    std::printf("  %s\n", ClaimSentence(c).c_str());
  }
  std::printf("\nresults: %s/runs/*.jsonl, summary.csv, selection.csv, claims.csv\n",
              o.out_dir.c_str());
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
                  "Validation examples (MNIST: taken from the start of the training file, "
                  "default 5000, none for the autoencoder; Twitter: the first N tokens of the "
                  "dev file, default all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--data", f.data,
                  "Data folder in the experiment's format (MNIST experiments: the four IDX "
                  "files, default: $GELU_LAB_DATA or /usr/share/datasets/fashion-mnist; Twitter "
                  "experiments: oct27.train/.dev/.test of the ARK Twitter POS corpus)");
  cmd->add_option("--vectors", f.vectors,
                  "Twitter experiments: word vectors in the paper's format (a word, then 50 "
                  "floats per line; UUUNKKK and </s> included); default: DATA/"
                  "embeddings-twitter.txt if present, else the fixed substitute (lab/README.md)");
  cmd->add_option("--out", f.out, "Results folder (default: gelu-lab-results)");
  cmd->add_option("--threads", f.threads,
                  "BLAS threads per run (default: 1; see lab/README.md, Speed)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--jobs", f.jobs, "Runs side by side, each in its own process (default: cores)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", f.shard,
                  "Run only shard K of N of the runs (K/N, 1-based; default: from mpirun's, "
                  "srun's or a Slurm array's environment, else all)");
  cmd->add_option("--claim-timeout", f.claim_timeout,
                  "Seconds after which a run claimed by a process with no heartbeat is taken over "
                  "(default: 300; see lab/README.md, Many processes)");
  cmd->add_flag("--keep-denormals", f.keep_denormals,
                "Compute with IEEE subnormal floats instead of flushing them to zero (2x slower "
                "late in training; see lab/README.md, Speed)");
  cmd->add_flag("--quick", f.quick, "Small grid that finishes in minutes");
  cmd->add_flag("--full", f.full, "The paper's protocol (the default)");
  cmd->callback([] { Run(f); });
}

}  // namespace gelu::lab
