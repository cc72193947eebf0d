// Test helpers (see lab_test_util.hpp).
#include "tests/lab/lab_test_util.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lab/core/dataset.hpp"

namespace gelu::lab::test {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& tag) {
  static int counter = 0;
  path_ = fs::temp_directory_path() /
          ("gelu_lab_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteTinyMnist(const fs::path& dir, std::uint32_t n_train, std::uint32_t n_test, bool gzip) {
  WriteSampleMnist(dir, n_train, n_test, gzip);
}

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int StartProgram(const std::vector<std::string>& args, const fs::path& log_file, const Env& env) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    std::vector<std::string> launcher;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const std::string name = kv.substr(0, kv.find('='));
      for (const char* prefix :
           {"OMPI_COMM_WORLD_", "PMI_", "PMIX_", "SLURM_", "MPI_LOCALNRANKS"}) {
        if (name.rfind(prefix, 0) == 0) launcher.push_back(name);
      }
    }
    for (const auto& name : launcher) ::unsetenv(name.c_str());
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int StartLab(const std::vector<std::string>& args, const fs::path& log_file, const Env& env) {
  std::vector<std::string> all = {GELU_LAB_EXE};
  all.insert(all.end(), args.begin(), args.end());
  return StartProgram(all, log_file, env);
}

Result Wait(int pid, const fs::path& log_file) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = ReadFile(log_file);
  return r;
}

Result RunLab(const std::vector<std::string>& args, const Env& env) {
  const fs::path log =
      fs::temp_directory_path() / ("gelu_lab_log_" + std::to_string(::getpid()) + ".txt");
  Result r = Wait(StartLab(args, log, env), log);
  fs::remove(log);
  return r;
}

fs::path FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

}  // namespace gelu::lab::test
