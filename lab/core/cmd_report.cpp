// `gelu-lab report DIR`: runs lab/report/make_report.py DIR with /usr/bin/python3 (Debian's
// python, the one that sees matplotlib), which writes DIR/report.html and the figures.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "lab/core/cli.hpp"
#include "lab/core/error.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPython = "/usr/bin/python3";

fs::path FindReportScript() {
  std::vector<fs::path> tried;
  if (const char* env = std::getenv("GELU_LAB_REPORT_SCRIPT"); env != nullptr && *env != '\0') {
    tried.emplace_back(env);
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    tried.push_back(exe.parent_path().parent_path() / GELU_LAB_REPORT_INSTALL_REL);
  }
  tried.emplace_back(GELU_LAB_REPORT_SOURCE);
  std::string list;
  for (const auto& p : tried) {
    if (fs::is_regular_file(p)) return p;
    list += (list.empty() ? "" : ", ") + p.string();
  }
  throw LabError("report script make_report.py not found (looked at " + list +
                 "); hint: set GELU_LAB_REPORT_SCRIPT to its path");
}

}  // namespace

void AddReportCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Write DIR/report.html and figures from DIR's results");
  static std::string dir;
  cmd->add_option("DIR", dir, "Results folder (the --out of `gelu-lab run`)")->required();
  cmd->callback([] {
    if (!fs::is_directory(dir)) {
      throw LabError("report: results folder " + dir +
                     " does not exist; hint: pass the --out folder of `gelu-lab run`");
    }
    if (!fs::is_directory(fs::path(dir) / "runs")) {
      throw LabError("report: " + dir +
                     " holds no runs/ folder; hint: run `gelu-lab run "
                     "EXPERIMENT --out " +
                     dir + "` first");
    }
    const fs::path script = FindReportScript();
    if (::access(kPython, X_OK) != 0) {
      throw LabError(std::string("report: ") + kPython +
                     " not found; hint: install python3 and python3-matplotlib (apt)");
    }
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) throw LabError(std::string("report: fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      const std::string s = script.string();
      ::execl(kPython, kPython, s.c_str(), dir.c_str(), static_cast<char*>(nullptr));
      std::fprintf(stderr, "gelu-lab: error: cannot run %s: %s\n", kPython, std::strerror(errno));
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw LabError("report: " + script.string() + " failed (exit status " +
                     std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                     "); see its message above");
    }
  });
}

}  // namespace gelu::lab
