// Runs a list of runs: skips finished ones (DIR/runs/RUN_ID.jsonl exists), takes this process's
// shard, executes the rest in-process (jobs = 1) or in up to `jobs` forked children side by side,
// each with `threads` compute threads, and shows progress. Each run writes its .jsonl atomically,
// so a sweep killed at any moment is resumed by running the same command again.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

struct SweepOptions {
  std::filesystem::path out_dir;
  int threads = 1;
  int jobs = 1;
  bool flush_denormals = true;  // see RunContext
  int shard_index = 0;          // 0-based
  int shard_count = 1;
};

struct SweepStats {
  int planned = 0, in_shard = 0, skipped = 0, ran = 0;
  double seconds = 0, epochs_run = 0;
};

// A number as printf's %g writes it ("0.001", "1e-05"): run ids and messages.
std::string Compact(double v);

// RUN_ID: experiment-activation-dDROPOUT-lrLR-sSEED-eEPOCHS[-nTRAIN_LIMIT][-vVALIDATION].
std::string MakeRunId(const RunSpec& run);

// Every (activation, dropout, lr, seed) of the grid, in that nesting order, with ids filled in.
std::vector<RunSpec> PlanRuns(const Experiment& exp, const Grid& grid);

SweepStats RunSweep(const Experiment& exp, const std::vector<RunSpec>& runs, const Dataset& data,
                    const SweepOptions& options);

}  // namespace gelu::lab
