// Runs a list of runs: skips finished ones (DIR/runs/RUN_ID.jsonl exists), takes this process's
// shard, claims each run before computing it (DIR/locks, claim.hpp: processes sharing DIR never
// compute a run twice), executes the rest in-process (jobs = 1) or in up to `jobs` forked children
// side by side, each with `threads` compute threads, and shows progress. Each run writes its .jsonl
// atomically, so a sweep killed at any moment is resumed by running the same command again.
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
  std::string shard_source;          // where the shard came from (shard.hpp), for the log
  double claim_timeout_s = 300;      // a claim whose heartbeat is older is taken over
  bool live_progress = true;         // false: plain lines even on a TTY (see ProgressView)
  bool shards_run_together = false;  // the shards were started at once (mpirun, srun, an array)
};

struct SweepStats {
  int planned = 0, in_shard = 0, skipped = 0, ran = 0;
  int claimed_elsewhere = 0;  // in the shard, but another live process holds its claim
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

// The runs of the list that have no run file yet.
std::vector<const RunSpec*> Unfinished(const std::vector<RunSpec>& runs,
                                       const std::filesystem::path& out_dir);

// Waits until every run of the list is finished by other processes: while one of them holds a live
// claim on a missing run, and, for shards started together, while runs keep finishing (at most
// options.claim_timeout_s without one). Returns the runs still unfinished.
std::vector<const RunSpec*> WaitForRuns(const std::vector<RunSpec>& runs,
                                        const SweepOptions& options);

}  // namespace gelu::lab
