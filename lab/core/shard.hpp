// Which shard of a sweep's plan this process runs: `--shard K/N`, or the launcher's environment
// (OpenMPI's mpirun, MPICH-style PMI launchers, srun, Slurm job arrays; no MPI library linked).
// A shard is runs index, index + count, ... of the plan; every shard of a fan-out writes into the
// same --out folder.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

namespace gelu::lab {

struct Shard {
  int index = 0;  // 0-based
  int count = 1;
  std::string
      source;  // where it came from, for the log: "--shard 2/3", "OMPI_COMM_WORLD_RANK=1 ..."
};

// Reads one environment variable (nullptr when unset); tests pass a map instead of the process's.
using EnvLookup = std::function<const char*(const char*)>;
inline const char* ProcessEnv(const char* name) { return std::getenv(name); }

// `--shard K/N` (1-based K); throws LabError naming the flag.
Shard ParseShardFlag(const std::string& flag);

// The shard from the launcher's variables, nullopt when none is set. A process rank comes from
// OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE, else PMI_RANK/PMI_SIZE, else (inside an srun step,
// SLURM_STEP_ID set) SLURM_PROCID/SLURM_NTASKS; a Slurm array task from SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT (ids counted from SLURM_ARRAY_TASK_MIN, 0 when unset, in steps of
// SLURM_ARRAY_TASK_STEP). Both together (mpirun or srun inside an array task) give array task t,
// rank r of R: shard t * R + r. Throws LabError naming the variable on a value that is no integer,
// a size below 1, a rank or task id out of range, or half of a pair.
std::optional<Shard> ShardFromEnvironment(const EnvLookup& env = ProcessEnv);

// Processes of this fan-out on this machine (OMPI_COMM_WORLD_LOCAL_SIZE or MPI_LOCALNRANKS; 1 when
// unknown): --jobs' default divides the machine's cores among them.
int LocalProcesses(const EnvLookup& env = ProcessEnv);

}  // namespace gelu::lab
