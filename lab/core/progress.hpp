// Terminal progress for a sweep: on a TTY one updating line (runs done of n, the latest run's
// epoch and loss, ETA); otherwise, or when `live` is false (ranks of mpirun, whose outputs share
// one terminal), one plain line per finished run, for logs.
#pragma once

#include <chrono>
#include <string>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

class ProgressView {
 public:
  ProgressView(int runs_total, double epochs_total, bool live = true);
  void Epoch(const RunSpec& run, const Progress& p);
  void RunFinished(const RunSpec& run, const Rows& rows, double seconds);
  // A line for the log (a run left to another process, a claim taken over).
  void Note(const std::string& line);
  // A run that this process will not compute after all (another one has it): out of the totals.
  void Dropped(const RunSpec& run);
  void Done();

 private:
  void Draw();
  bool tty_;
  int runs_total_, runs_done_ = 0;
  double epochs_total_, epochs_done_ = 0;
  std::string last_;
  std::chrono::steady_clock::time_point start_;
};

std::string FormatDuration(double seconds);

}  // namespace gelu::lab
