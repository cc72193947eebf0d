// Claims on runs, so that processes sharing an --out folder (mpirun ranks, array tasks, machines
// on a shared file system, a second command started by mistake) never compute a run twice.
//
// A claim is a file DIR/locks/RUN_ID.lock (generation 0) or RUN_ID.lock.G (a takeover), created
// with O_CREAT|O_EXCL, so exactly one process creates each generation; it holds the owner's host,
// pid and start time, and its mtime is the heartbeat, refreshed while the run computes. The newest
// generation is the claim. A claim is stale when its owner is on this host and its pid is gone, or
// when its heartbeat is older than the timeout; a stale claim of generation G is taken over by
// creating generation G + 1 (O_EXCL again: one winner) and removing the older ones. Release removes
// the owner's own file only. The claimer checks that the run is unfinished after it holds the
// claim (a run file is renamed into place before its claim is released).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace gelu::lab {

struct ClaimOptions {
  std::filesystem::path dir;   // DIR/locks
  double stale_after_s = 300;  // a heartbeat older than this is a dead owner's
};
// How often an owner refreshes its heartbeat: a tenth of the timeout, 1 to 30 s.
double HeartbeatInterval(const ClaimOptions& options);

// Creates the claim folder; throws LabError naming it with a hint when it cannot.
void PrepareClaimDir(const ClaimOptions& options);

class RunClaim {
 public:
  RunClaim() = default;
  RunClaim(RunClaim&& other) noexcept;
  RunClaim& operator=(RunClaim&& other) noexcept;
  RunClaim(const RunClaim&) = delete;
  RunClaim& operator=(const RunClaim&) = delete;
  ~RunClaim();

  // Claims run_id. Not held when another live process holds it (holder() says who). Throws
  // LabError naming the lock file when the folder is not writable.
  static RunClaim Acquire(const ClaimOptions& options, const std::string& run_id);

  bool held() const { return !file_.empty(); }
  const std::filesystem::path& file() const { return file_; }
  // Not held: "host H pid P, heartbeat 3 s ago".
  const std::string& holder() const { return holder_; }
  // Held after a takeover: whose claim it was and why it was stale; empty otherwise.
  const std::string& took_over() const { return took_over_; }
  // Refreshes the heartbeat; false when the file is gone (another process took the claim over).
  bool Touch() const;
  // Removes the claim file if this process still owns it.
  void Release();

 private:
  std::filesystem::path file_;
  std::string content_, holder_, took_over_;
};

// Touches a claim every `interval_s` from a small thread while a run computes in this thread.
class Heartbeat {
 public:
  Heartbeat(const RunClaim& claim, double interval_s);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// "host H pid P, heartbeat 3 s ago" when a live process holds run_id's claim, else nullopt.
std::optional<std::string> LiveHolder(const ClaimOptions& options, const std::string& run_id);

// This machine's name as claims record it.
std::string HostName();

}  // namespace gelu::lab
