// Sweep execution: resume, sharding, jobs side by side (fork), progress (see sweep.hpp).
#include "lab/core/sweep.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "lab/core/error.hpp"
#include "lab/core/progress.hpp"
#include "lab/core/results.hpp"

namespace gelu::lab {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Rows RunAndWrite(const Experiment& exp, const RunSpec& run, const Dataset& data,
                 const SweepOptions& o, std::function<void(const Progress&)> progress) {
  const RunContext ctx{
      exp, run, data, o.out_dir, o.threads, std::move(progress), o.flush_denormals};
  Rows rows = ExecuteRun(ctx);
  WriteRunFile(o.out_dir, run.id, rows);
  return rows;
}

void WriteAll(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nothing to report to
    done += static_cast<std::size_t>(n);
  }
}

struct Child {
  std::size_t index = 0;
  int fd = -1;
  std::string buffer, error;
  Clock::time_point start;
};

}  // namespace

std::string Compact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string MakeRunId(const RunSpec& r) {
  std::string id = r.experiment + "-" + r.activation + "-d" + Compact(r.dropout) + "-lr" +
                   Compact(r.lr) + "-s" + std::to_string(r.seed) + "-e" + std::to_string(r.epochs);
  if (r.train_limit > 0) id += "-n" + std::to_string(r.train_limit);
  if (r.validation > 0) id += "-v" + std::to_string(r.validation);
  return id;
}

std::vector<RunSpec> PlanRuns(const Experiment& exp, const Grid& grid) {
  std::vector<RunSpec> runs;
  for (const auto& act : grid.activations) {
    const bool fixed =
        std::find(grid.no_dropout.begin(), grid.no_dropout.end(), act) != grid.no_dropout.end();
    for (const double dropout : fixed ? std::vector<double>{0.0} : grid.dropouts) {
      for (const double lr : grid.lrs) {
        for (int seed = 1; seed <= grid.seeds; ++seed) {
          RunSpec r;
          r.experiment = exp.name;
          r.activation = act;
          r.dropout = dropout;
          r.lr = lr;
          r.seed = seed;
          r.epochs = grid.epochs;
          r.train_limit = grid.train_limit;
          r.validation = grid.validation;
          r.id = MakeRunId(r);
          runs.push_back(r);
        }
      }
    }
  }
  return runs;
}

SweepStats RunSweep(const Experiment& exp, const std::vector<RunSpec>& runs, const Dataset& data,
                    const SweepOptions& o) {
  SweepStats stats;
  stats.planned = static_cast<int>(runs.size());
  std::vector<const RunSpec*> todo;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(o.shard_count)) != o.shard_index) continue;
    ++stats.in_shard;
    if (RunFinished(o.out_dir, runs[i].id)) {
      ++stats.skipped;
    } else {
      todo.push_back(&runs[i]);
    }
  }
  double epochs_total = 0;
  for (const RunSpec* r : todo) epochs_total += r->epochs;
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir / "runs", ec);
  if (ec) {
    throw LabError("--out " + o.out_dir.string() + ": cannot create " +
                   (o.out_dir / "runs").string() + ": " + ec.message() +
                   "; hint: pick a writable folder");
  }
  const auto start = Clock::now();
  ProgressView view(static_cast<int>(todo.size()), epochs_total);

  if (o.jobs <= 1) {  // in-process; with jobs > 1 this process never runs torch code
    for (const RunSpec* r : todo) {
      const auto t = Clock::now();
      const Rows rows =
          RunAndWrite(exp, *r, data, o, [&](const Progress& p) { view.Epoch(*r, p); });
      view.RunFinished(*r, rows, Since(t));
      ++stats.ran;
    }
  } else {
    // Children are forked before this process has run any torch code (no thread pools to break).
    std::map<pid_t, Child> children;
    std::size_t next = 0;
    std::string failure;
    while ((next < todo.size() && failure.empty()) || !children.empty()) {
      while (children.size() < static_cast<std::size_t>(o.jobs) && next < todo.size() &&
             failure.empty()) {
        int fds[2];
        if (::pipe(fds) != 0) throw LabError(std::string("pipe failed: ") + std::strerror(errno));
        std::fflush(stdout);
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) throw LabError(std::string("fork failed: ") + std::strerror(errno));
        if (pid == 0) {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed sweep takes its runs with it
          if (::getppid() != parent) ::_exit(1);
          ::close(fds[0]);
          const RunSpec& r = *todo[next];
          int code = 0;
          try {
            RunAndWrite(exp, r, data, o, [&](const Progress& p) {
              char buf[128];
              std::snprintf(buf, sizeof buf, "P %d %d %.17g %.17g\n", p.epoch, p.epochs,
                            p.train_loss, p.val_metric);
              WriteAll(fds[1], buf);
            });
          } catch (const std::exception& e) {
            WriteAll(fds[1], std::string("E ") + e.what() + "\n");
            code = 2;
          }
          ::close(fds[1]);
          ::_exit(code);
        }
        ::close(fds[1]);
        children[pid] = Child{next, fds[0], {}, {}, Clock::now()};
        ++next;
      }
      std::vector<pollfd> pfds;
      for (const auto& [pid, c] : children) pfds.push_back({c.fd, POLLIN, 0});
      ::poll(pfds.data(), pfds.size(), 200);
      for (auto& [pid, c] : children) {
        char buf[4096];
        for (const auto& p : pfds) {
          if (p.fd != c.fd || (p.revents & (POLLIN | POLLHUP)) == 0) continue;
          const ssize_t n = ::read(c.fd, buf, sizeof buf);
          if (n > 0) c.buffer.append(buf, static_cast<std::size_t>(n));
        }
        std::size_t nl;
        while ((nl = c.buffer.find('\n')) != std::string::npos) {
          const std::string line = c.buffer.substr(0, nl);
          c.buffer.erase(0, nl + 1);
          Progress p;
          if (line.rfind("P ", 0) == 0 &&
              std::sscanf(line.c_str(), "P %d %d %lf %lf", &p.epoch, &p.epochs, &p.train_loss,
                          &p.val_metric) == 4) {
            view.Epoch(*todo[c.index], p);
          } else if (line.rfind("E ", 0) == 0) {
            c.error = line.substr(2);
          }
        }
      }
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = children.find(pid);
        if (it == children.end()) continue;
        Child c = std::move(it->second);
        children.erase(it);
        // Drain what the child wrote last.
        char buf[4096];
        ssize_t n;
        while ((n = ::read(c.fd, buf, sizeof buf)) > 0)
          c.buffer.append(buf, static_cast<std::size_t>(n));
        ::close(c.fd);
        if (const auto e = c.buffer.find("E "); c.error.empty() && e != std::string::npos) {
          c.error = c.buffer.substr(e + 2, c.buffer.find('\n', e) - e - 2);
        }
        const RunSpec& r = *todo[c.index];
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && RunFinished(o.out_dir, r.id)) {
          view.RunFinished(r, ReadRunFile(RunFile(o.out_dir, r.id)), Since(c.start));
          ++stats.ran;
        } else if (failure.empty()) {
          failure = "run " + r.id + " failed: " +
                    (!c.error.empty() ? c.error
                     : WIFSIGNALED(status)
                         ? std::string("killed by signal ") + std::to_string(WTERMSIG(status))
                         : "exit status " + std::to_string(WEXITSTATUS(status)));
        }
      }
    }
    if (!failure.empty()) {
      view.Done();
      throw LabError(failure);
    }
  }
  view.Done();
  stats.seconds = Since(start);
  for (const RunSpec* r : todo) stats.epochs_run += r->epochs;
  return stats;
}

}  // namespace gelu::lab
