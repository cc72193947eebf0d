// Shards from `--shard` and from launcher environments (see shard.hpp).
#include "lab/core/shard.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "lab/core/error.hpp"

namespace gelu::lab {
namespace {

const char* const kHint =
    "; hint: start gelu-lab under mpirun, srun or sbatch --array as lab/README.md shows, or pass "
    "--shard K/N (it wins over the environment)";

std::optional<long long> Integer(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  if (v == nullptr) return std::nullopt;
  long long x = 0;
  const char* end = v + std::strlen(v);
  const auto [ptr, ec] = std::from_chars(v, end, x);
  if (ec != std::errc() || ptr != end || ptr == v) {
    throw LabError(std::string(name) + "='" + v + "' is not an integer" + kHint);
  }
  return x;
}

std::string Var(const char* name, long long v) {
  return std::string(name) + "=" + std::to_string(v);
}

struct Level {
  long long index = 0, count = 1;
  std::string source;
};

// A rank/size pair: both set or neither, 1 <= size, 0 <= rank < size.
std::optional<Level> RankPair(const EnvLookup& env, const char* rank_name, const char* size_name) {
  const auto rank = Integer(env, rank_name);
  const auto size = Integer(env, size_name);
  if (!rank && !size) return std::nullopt;
  if (!rank || !size) {
    throw LabError(std::string(rank ? rank_name : size_name) + " is set but " +
                   (rank ? size_name : rank_name) + " is not" + kHint);
  }
  if (*size < 1) {
    throw LabError(Var(size_name, *size) + " is not a number of processes (at least 1)" + kHint);
  }
  if (*rank < 0 || *rank >= *size) {
    throw LabError(Var(rank_name, *rank) + " is not a rank of " + Var(size_name, *size) +
                   " (0 to " + std::to_string(*size - 1) + ")" + kHint);
  }
  return Level{*rank, *size, Var(rank_name, *rank) + " of " + Var(size_name, *size)};
}

std::optional<Level> ProcessRank(const EnvLookup& env) {
  if (auto l = RankPair(env, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")) return l;
  if (auto l = RankPair(env, "PMI_RANK", "PMI_SIZE")) return l;
  // The batch script itself may carry SLURM_PROCID=0 and SLURM_NTASKS=N: only a task of an srun
  // step (SLURM_STEP_ID set) is one of N processes; otherwise one process would do 1/N of the plan.
  if (env("SLURM_STEP_ID") != nullptr || env("SLURM_STEPID") != nullptr) {
    return RankPair(env, "SLURM_PROCID", "SLURM_NTASKS");
  }
  return std::nullopt;
}

std::optional<Level> ArrayTask(const EnvLookup& env) {
  const auto id = Integer(env, "SLURM_ARRAY_TASK_ID");
  auto count = Integer(env, "SLURM_ARRAY_TASK_COUNT");
  if (!id && !count) return std::nullopt;
  if (!id)
    throw LabError(std::string("SLURM_ARRAY_TASK_COUNT is set but SLURM_ARRAY_TASK_ID is not") +
                   kHint);
  const long long min = Integer(env, "SLURM_ARRAY_TASK_MIN").value_or(0);
  const long long step = Integer(env, "SLURM_ARRAY_TASK_STEP").value_or(1);
  const auto max = Integer(env, "SLURM_ARRAY_TASK_MAX");
  if (step < 1) throw LabError(Var("SLURM_ARRAY_TASK_STEP", step) + " is not a step >= 1" + kHint);
  if (!count && max) count = (*max - min) / step + 1;  // Slurm before 18.08 sets no count
  if (!count) {
    throw LabError(
        "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX" +
        std::string(kHint));
  }
  if (*count < 1) {
    throw LabError(Var("SLURM_ARRAY_TASK_COUNT", *count) +
                   " is not a number of array tasks (at least 1)" + kHint);
  }
  const std::string range = "SLURM_ARRAY_TASK_MIN=" + std::to_string(min) + ", step " +
                            std::to_string(step) + ", " + Var("SLURM_ARRAY_TASK_COUNT", *count);
  if (max && *max != min + (*count - 1) * step) {
    throw LabError("the Slurm array is not an evenly spaced range (" + range + ", " +
                   Var("SLURM_ARRAY_TASK_MAX", *max) +
                   "); hint: submit it as --array=0-N-1 (a %limit is fine), or pass --shard K/N");
  }
  if (*id < min || (*id - min) % step != 0 || (*id - min) / step >= *count) {
    throw LabError(Var("SLURM_ARRAY_TASK_ID", *id) + " is not a task of the array (" + range +
                   "); hint: ids run from SLURM_ARRAY_TASK_MIN (0 when unset) in steps of " +
                   "SLURM_ARRAY_TASK_STEP; submit the array as --array=0-N-1 or pass --shard K/N");
  }
  const long long index = (*id - min) / step;
  return Level{index, *count,
               Var("SLURM_ARRAY_TASK_ID", *id) + " (task " + std::to_string(index + 1) + " of " +
                   std::to_string(*count) + ", " + range + ")"};
}

}  // namespace

Shard ParseShardFlag(const std::string& s) {
  int k = 0, n = 0;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n) {
    throw LabError("--shard: '" + s + "' is not K/N with 1 <= K <= N (e.g. --shard 2/4)");
  }
  return Shard{k - 1, n, "--shard " + s};
}

std::optional<Shard> ShardFromEnvironment(const EnvLookup& env) {
  const auto rank = ProcessRank(env);
  const auto task = ArrayTask(env);
  if (!rank && !task) return std::nullopt;
  const Level r = rank.value_or(Level{});
  const Level t = task.value_or(Level{});
  const long long count = t.count * r.count;
  if (count > 1'000'000) {
    throw LabError("the launcher asks for " + std::to_string(count) + " shards (" + t.source +
                   (task && rank ? " x " : "") + r.source + "), more than 1,000,000" + kHint);
  }
  std::string source = t.source;
  if (task && rank) source += " x ";
  source += r.source;
  return Shard{static_cast<int>(t.index * r.count + r.index), static_cast<int>(count), source};
}

int LocalProcesses(const EnvLookup& env) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    const auto n = Integer(env, name);
    if (n && *n >= 1 && *n <= 1'000'000) return static_cast<int>(*n);
  }
  return 1;
}

}  // namespace gelu::lab
