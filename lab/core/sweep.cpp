// Sweep execution: resume, sharding, claims, jobs side by side (fork), progress (see sweep.hpp).
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

#include "lab/core/claim.hpp"
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

namespace {

// "runs 2, 5, 8 of 8" (1-based positions in the plan), shortened after a dozen.
std::string Positions(const std::vector<std::size_t>& mine, std::size_t planned) {
  std::string s = mine.size() == 1 ? "run " : "runs ";
  for (std::size_t i = 0; i < mine.size(); ++i) {
    if (i == 12 && mine.size() > 13) {
      s += ", ..., " + std::to_string(mine.back() + 1);
      break;
    }
    s += (i == 0 ? "" : ", ") + std::to_string(mine[i] + 1);
  }
  if (mine.empty()) s += "none";
  return s + " of " + std::to_string(planned);
}

}  // namespace

std::vector<const RunSpec*> Unfinished(const std::vector<RunSpec>& runs,
                                       const std::filesystem::path& out_dir) {
  std::vector<const RunSpec*> missing;
  for (const RunSpec& r : runs) {
    if (!RunFinished(out_dir, r.id)) missing.push_back(&r);
  }
  return missing;
}

SweepStats RunSweep(const Experiment& exp, const std::vector<RunSpec>& runs, const Dataset& data,
                    const SweepOptions& o) {
  SweepStats stats;
  stats.planned = static_cast<int>(runs.size());
  std::vector<const RunSpec*> todo;
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(o.shard_count)) != o.shard_index) continue;
    ++stats.in_shard;
    mine.push_back(i);
    if (RunFinished(o.out_dir, runs[i].id)) {
      ++stats.skipped;
    } else {
      todo.push_back(&runs[i]);
    }
  }
  if (o.shard_count > 1) {
    std::printf("%s: shard %d/%d (%s): %s, %zu to compute\n", exp.name.c_str(), o.shard_index + 1,
                o.shard_count, o.shard_source.c_str(), Positions(mine, runs.size()).c_str(),
                todo.size());
    std::fflush(stdout);
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir / "runs", ec);
  if (ec) {
    throw LabError("--out " + o.out_dir.string() + ": cannot create " +
                   (o.out_dir / "runs").string() + ": " + ec.message() +
                   "; hint: pick a writable folder");
  }
  const ClaimOptions claims{o.out_dir / "locks", o.claim_timeout_s};
  if (!todo.empty()) PrepareClaimDir(claims);
  double epochs_total = 0;
  for (const RunSpec* r : todo) epochs_total += r->epochs;
  const auto start = Clock::now();
  ProgressView view(static_cast<int>(todo.size()), epochs_total, o.live_progress);

  // The next run of todo that this process holds the claim of and that is still unfinished.
  std::size_t next = 0;
  const auto claim_next = [&]() -> std::pair<const RunSpec*, RunClaim> {
    while (next < todo.size()) {
      const RunSpec* r = todo[next++];
      RunClaim claim = RunClaim::Acquire(claims, r->id);
      if (!claim.held()) {
        ++stats.claimed_elsewhere;
        view.Dropped(*r);
        view.Note(r->id + ": claimed by " + claim.holder() + "; left to it");
        continue;
      }
      if (RunFinished(o.out_dir, r->id)) {  // another process finished it since the plan was made
        ++stats.skipped;
        view.Dropped(*r);
        continue;
      }
      if (!claim.took_over().empty()) view.Note(r->id + ": took over " + claim.took_over());
      return {r, std::move(claim)};
    }
    return {nullptr, RunClaim()};
  };
  std::vector<const RunSpec*> done;

  if (o.jobs <= 1) {  // in-process; with jobs > 1 this process never runs torch code
    for (;;) {
      auto [run, claim] = claim_next();
      if (run == nullptr) break;
      const RunSpec* r = run;
      const auto t = Clock::now();
      Rows rows;
      {
        const Heartbeat heartbeat(claim, HeartbeatInterval(claims));
        rows = RunAndWrite(exp, *r, data, o, [&](const Progress& p) { view.Epoch(*r, p); });
      }
      claim.Release();  // after the run file is in place
      view.RunFinished(*r, rows, Since(t));
      done.push_back(r);
      ++stats.ran;
    }
  } else {
    // Children are forked before this process has run any torch code (no thread pools to break),
    // and this process keeps no threads: it refreshes its children's claims itself.
    std::map<pid_t, Child> children;
    std::map<pid_t, RunClaim> held;
    std::string failure;
    bool more = true;
    auto beat = Clock::now();
    while ((more && failure.empty()) || !children.empty()) {
      while (children.size() < static_cast<std::size_t>(o.jobs) && more && failure.empty()) {
        auto [run, claim] = claim_next();
        if (run == nullptr) {
          more = false;
          break;
        }
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
          const RunSpec& r = *run;
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
          ::_exit(code);  // no destructors: the claim is the parent's to release
        }
        ::close(fds[1]);
        const auto index =
            static_cast<std::size_t>(std::find(todo.begin(), todo.end(), run) - todo.begin());
        children[pid] = Child{index, fds[0], {}, {}, Clock::now()};
        held[pid] = std::move(claim);
      }
      if (Since(beat) >= HeartbeatInterval(claims)) {
        for (const auto& [pid, claim] : held) claim.Touch();
        beat = Clock::now();
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
        held.erase(pid);  // releases the claim: the run file is in place, or the run failed
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
          done.push_back(&r);
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
  for (const RunSpec* r : done) stats.epochs_run += r->epochs;
  return stats;
}

std::vector<const RunSpec*> WaitForRuns(const std::vector<RunSpec>& runs, const SweepOptions& o) {
  const ClaimOptions claims{o.out_dir / "locks", o.claim_timeout_s};
  auto missing = Unfinished(runs, o.out_dir);
  auto progress = Clock::now(), shown = Clock::now();
  int idle = 0;  // polls in a row that saw no claim
  while (!missing.empty()) {
    // A live claim proves a run is being computed, however long it takes; shards started together
    // that have not claimed their runs yet get the claim timeout to show progress. Two idle polls
    // in a row, not one: between two runs a process holds no claim for a moment.
    const bool computing = std::any_of(missing.begin(), missing.end(), [&](const RunSpec* r) {
      return LiveHolder(claims, r->id).has_value();
    });
    idle = computing ? 0 : idle + 1;
    if (computing) {
      progress = Clock::now();
    } else if (idle >= 2 && (!o.shards_run_together || o.shard_count == 1 ||
                             Since(progress) > o.claim_timeout_s)) {
      break;
    }
    if (Since(shown) >= 60) {
      std::printf("waiting for %zu run(s) of other processes, e.g. %s\n", missing.size(),
                  missing.front()->id.c_str());
      std::fflush(stdout);
      shown = Clock::now();
    }
    ::poll(nullptr, 0, 1000);
    const auto now = Unfinished(runs, o.out_dir);
    if (now.size() < missing.size()) progress = Clock::now();
    missing = now;
  }
  return missing;
}

}  // namespace gelu::lab
