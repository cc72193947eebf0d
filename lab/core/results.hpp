// Results files, per DESIGN.md "gelu-lab: command line and results":
//   DIR/runs/RUN_ID.jsonl  one JSON object per evaluated epoch and split (written to a temporary
//                          file, then renamed: its existence means the run finished);
//   DIR/summary.csv        one row per (experiment, activation, dropout, lr), final-epoch test
//                          error and loss, mean and sample std (n - 1) over seeds;
//   DIR/selection.csv      the lr chosen per (experiment, activation, dropout): lowest median
//                          final-epoch validation loss over seeds.
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
  std::string split;  // "train" | "val" | "test"
  double loss = 0;
  std::optional<double> error;  // fraction misclassified
  std::optional<double> noise;  // noise experiments: the noise strength a
  std::string data;             // data set name (folder), informative
  std::string run;              // run id
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
// All rows of all finished runs in DIR/runs, in file-name order.
Rows ReadAllRuns(const std::filesystem::path& out_dir);

struct SummaryRow {
  std::string experiment, activation;
  double dropout = 0, lr = 0;
  int seeds = 0, epochs = 0;
  double test_error_mean = 0, test_error_std = 0, test_loss_mean = 0, test_loss_std = 0;
  double test_error_median = 0, test_loss_median = 0;  // for the terminal table only
};
// Final-epoch test rows per run (for noise experiments: the rows at the largest noise),
// aggregated over seeds. Runs with fewer epochs than the group's maximum are left out.
std::vector<SummaryRow> Summarize(const Rows& rows);
void WriteSummary(const std::filesystem::path& out_dir, const std::vector<SummaryRow>& summary);

struct SelectionKey {
  std::string experiment, activation;
  double dropout = 0;
  auto operator<=>(const SelectionKey&) const = default;
};
struct Selection {
  double lr = 0, val_loss_median = 0;
  int seeds = 0;
};
// Per (experiment, activation, dropout): the lr with the lowest median final validation loss.
std::map<SelectionKey, Selection> SelectLr(const Rows& rows);
void WriteSelection(const std::filesystem::path& out_dir,
                    const std::map<SelectionKey, Selection>& selection);

// Writes text to path via a temporary file and rename.
void WriteFileAtomic(const std::filesystem::path& path, const std::string& text);

double Median(std::vector<double> v);
double Mean(const std::vector<double>& v);
double SampleStd(const std::vector<double>& v);  // n - 1 in the denominator; 0 for n < 2

}  // namespace gelu::lab
