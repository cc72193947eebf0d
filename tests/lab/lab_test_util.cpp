// Test helpers (see lab_test_util.hpp).
#include "tests/lab/lab_test_util.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

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

int StartLab(const std::vector<std::string>& args, const fs::path& log_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    std::vector<char*> argv;
    std::string exe = GELU_LAB_EXE;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

Result RunLab(const std::vector<std::string>& args) {
  const fs::path log =
      fs::temp_directory_path() / ("gelu_lab_log_" + std::to_string(::getpid()) + ".txt");
  const int pid = StartLab(args, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = ReadFile(log);
  fs::remove(log);
  return r;
}

}  // namespace gelu::lab::test
