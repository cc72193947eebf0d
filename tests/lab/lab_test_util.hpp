// Helpers for the lab tests: small generated MNIST-format folders, a temporary directory, and
// running the gelu-lab executable with its output captured.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gelu::lab::test {

// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes the four IDX files (gzipped or raw) of a 28x28, 10-class data set with n_train training
// and n_test test examples. Images are learnable: class c lights up a c-dependent block.
void WriteTinyMnist(const std::filesystem::path& dir, std::uint32_t n_train, std::uint32_t n_test,
                    bool gzip);

std::string ReadFile(const std::filesystem::path& file);

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Variables set for a started program. Launcher variables of the test's own environment
// (OMPI_COMM_WORLD_*, PMI_*, PMIX_*, SLURM_*, MPI_LOCALNRANKS) are removed first, so that a test
// suite run inside mpirun or a Slurm job does not shard the tests' sweeps.
using Env = std::vector<std::pair<std::string, std::string>>;
// Runs gelu-lab with args and waits for it.
Result RunLab(const std::vector<std::string>& args, const Env& env = {});
// Starts gelu-lab with args (output to log_file) and returns its pid.
int StartLab(const std::vector<std::string>& args, const std::filesystem::path& log_file,
             const Env& env = {});
// Starts any program (args[0] = its path) with output to log_file; returns its pid.
int StartProgram(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                 const Env& env = {});
// Waits for a started process; its output is log_file's content.
Result Wait(int pid, const std::filesystem::path& log_file);
// The path of `name` on $PATH, or empty.
std::filesystem::path FindOnPath(const std::string& name);

}  // namespace gelu::lab::test
