// Results files, per DESIGN.md "gelu-lab: command line and results":
//   DIR/runs/RUN_ID.jsonl  one JSON object per evaluated epoch and split (written to a temporary
//                          file, then renamed: its existence means the run finished);
//   DIR/summary.csv        one row per (experiment, activation, dropout, lr, epochs, train limit,
//                          validation): final test error and loss over seeds;
//   DIR/selection.csv      the lr (or lr and dropout) chosen per group on validation;
//   DIR/claims.csv         the paper's claims checked, paired by seed;
//   DIR/dataset.json       the one data set the folder holds results for.
// A diverged run (NaN or inf loss) is a finished run: its rows say "diverged", its loss counts as
// +inf in medians and selection, and its mean and std are inf.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace gelu::lab {

struct Row {
  std::string experiment, activation;
  double lr = 0, dropout = 0;  // dropout = drop rate (1 - keep probability)
  int seed = 0, epoch = 0;
  int epochs = 0;  // the run's planned epochs (a diverged run stops before them)
  std::size_t train_limit = 0, validation = 0;
  std::string split;  // "train" | "val" | "test"
  double loss = 0;    // NaN or inf when diverged (null in JSON)
  bool diverged = false;
  std::optional<double> error;  // fraction misclassified (classification tasks)
  std::optional<double> noise;  // noise experiments: the noise strength a
  std::string data;             // data set name (folder)
  std::string data_fingerprint;
  std::string run;  // run id
};
using Rows = std::vector<Row>;

std::string RowToJson(const Row& row);                               // one line, no newline
Row RowFromJson(const std::string& line, const std::string& where);  // throws LabError

std::filesystem::path RunFile(const std::filesystem::path& out_dir, const std::string& run_id);
bool RunFinished(const std::filesystem::path& out_dir, const std::string& run_id);
// Writes the rows to a temporary file in DIR/runs and renames it to RUN_ID.jsonl.
void WriteRunFile(const std::filesystem::path& out_dir, const std::string& run_id,
                  const Rows& rows);
Rows ReadRunFile(const std::filesystem::path& file);
// All rows of all finished runs in DIR/runs, in file-name order. Throws LabError if they come from
// more than one data set (a folder merged by hand), naming both.
Rows ReadAllRuns(const std::filesystem::path& out_dir);

// Binds DIR to one data set: the first run writes DIR/dataset.json (name, path, fingerprint);
// a later run with another fingerprint, or into a folder whose runs carry none or another one, is
// refused with a LabError before anything is written.
void BindDataSet(const std::filesystem::path& out_dir, const std::string& name,
                 const std::filesystem::path& path, const std::string& fingerprint);

// What identifies a group of seeds: never pools runs of different length or data limits.
struct GroupKey {
  std::string experiment, activation;
  double dropout = 0, lr = 0;
  int epochs = 0;
  std::size_t train_limit = 0, validation = 0;
  auto operator<=>(const GroupKey&) const = default;
};

struct SummaryRow {
  GroupKey key;
  int seeds = 0, diverged = 0;
  bool has_error = false;
  double test_error_mean = 0, test_error_std = 0, test_loss_mean = 0, test_loss_std = 0;
  double test_error_median = 0, test_loss_median = 0;
};
// Final test rows per run (for noise experiments: the rows at the largest noise), aggregated over
// seeds per group.
std::vector<SummaryRow> Summarize(const Rows& rows);
void WriteSummary(const std::filesystem::path& out_dir, const std::vector<SummaryRow>& summary);

// How an experiment selects (Experiment::select; see experiment.hpp).
enum class SelectMode { kLr, kLrDropout, kNone };
struct SelectionKey {
  std::string experiment, activation;
  double dropout = 0;  // -1 for a joint (lr, dropout) selection
  int epochs = 0;
  std::size_t train_limit = 0, validation = 0;
  auto operator<=>(const SelectionKey&) const = default;
};
struct Selection {
  double lr = 0, dropout = 0, val_loss_median = 0;
  int seeds = 0, diverged = 0;
  double val_error_median = 0;  // +inf without an error metric
};
using SelectionMap = std::map<SelectionKey, Selection>;
// The lowest median validation loss over seeds at the runs' checkpoints (Checkpoint; the final
// epoch unless the experiment says otherwise; diverged = +inf; ties keep the larger lr,
// then the smaller dropout), per (activation, dropout) or per activation over (lr, dropout).
// Experiments with Checkpoint::kBestValError select by the median validation error at the runs'
// checkpoints instead (paper-spec.md section 6's DEFAULT; the loss at an error-chosen epoch would
// favour the slow learning rates that have not yet overfitted the loss); selection.csv's
// val_loss_median is still the median validation loss there.
// `modes` gives each experiment's rule (absent: kLr); groups without validation rows get no entry.
SelectionMap SelectLr(const Rows& rows, const std::map<std::string, SelectMode>& modes = {});
void WriteSelection(const std::filesystem::path& out_dir, const SelectionMap& selection);

// A claim checked on the results: activation minus baseline of a final test metric, paired by
// seed, at each one's selected lr (and dropout).
struct ClaimResult {
  std::string experiment, metric, activation, baseline;
  double dropout = 0;  // -1: each at its jointly selected dropout
  double lr = 0;       // > 0: both at this lr (experiments without a selection); 0: selected
  int epochs = 0;
  std::size_t train_limit = 0, validation = 0;
  int seeds = 0;
  double diff_mean = 0, ci_low = 0, ci_high = 0;
  std::string verdict;  // "holds" | "does not hold" | "undecided"
};
struct ClaimSpec {
  std::string experiment, metric, activation, baseline;
  double dropout = 0;          // -1: each activation at its jointly selected dropout
  std::string selection_from;  // the experiment whose selection gives the lr (itself or reused)
  bool per_lr = false;         // no selection: compare at every lr both activations ran
};
// One result per claim and protocol (epochs, train limit, validation) present in the rows, with
// both activations selected (or, per_lr, per lr both ran). metric "test_loss" | "test_error": a
// run's mean over its final test rows (over noise levels for noise runs); a diverged run counts
// +inf.
std::vector<ClaimResult> CheckClaims(const Rows& rows, const SelectionMap& selection,
                                     const std::vector<ClaimSpec>& specs);
void WriteClaims(const std::filesystem::path& out_dir, const std::vector<ClaimResult>& claims);
// The paired check itself: diffs[i] = activation - baseline on seed i; lower is better.
ClaimResult CheckClaim(const std::vector<double>& diffs);
// Student's t quantile t_{0.975}(df), df >= 1.
double T975(int df);

// Writes text to path via a temporary file and rename.
void WriteFileAtomic(const std::filesystem::path& path, const std::string& text);
// The temporary file beside path that this process writes before renaming it to path:
// PATH.tmp.HOST.PID, so processes on different machines sharing a folder never share one.
std::filesystem::path TempFileFor(const std::filesystem::path& path);

double Median(std::vector<double> v);  // NaN counts as +inf
double Mean(const std::vector<double>& v);
double SampleStd(const std::vector<double>& v);  // n - 1 in the denominator; 0 for n < 2

// Which epoch of a run stands for it in the summary, the selection and the claims
// (Experiment::checkpoint): the last epoch it reached, or the epoch with the lowest validation
// error (ties: the earliest; early stopping on validation, paper-spec.md section 6's DEFAULT for
// Twitter POS). The training curves in DIR/runs are the same either way.
enum class Checkpoint { kFinal, kBestValError };
// The registered experiment's rule; kFinal for a name that is not registered (registry.cpp).
Checkpoint CheckpointOf(const std::string& experiment);

// Per run: its rows at its checkpoint (the epoch in `epoch`) and whether it diverged.
struct RunFinal {
  GroupKey key;
  int seed = 0, epoch = -1;  // epoch: the checkpoint
  bool diverged = false;
  std::vector<const Row*> test;  // the checkpoint's test rows (one per noise level)
  const Row* val = nullptr;
};
std::map<std::string, RunFinal> FinalRows(const Rows& rows);  // by run id

}  // namespace gelu::lab
