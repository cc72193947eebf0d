// Run claims: lock files with O_EXCL, heartbeats, takeover of stale claims (see claim.hpp).
#include "lab/core/claim.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "lab/core/error.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;

namespace {

fs::path GenerationFile(const ClaimOptions& o, const std::string& run_id, long long g) {
  std::string name = run_id + ".lock";
  if (g != 0) {  // appended piecewise: GCC 12's -Wrestrict misfires on "." + std::to_string(g)
    name += '.';
    name += std::to_string(g);
  }
  return o.dir / name;
}

// The claim files of run_id, by generation.
std::map<long long, fs::path> Generations(const ClaimOptions& o, const std::string& run_id) {
  std::map<long long, fs::path> gens;
  const std::string stem = run_id + ".lock";
  std::error_code ec;
  for (fs::directory_iterator it(o.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;
    const std::string rest = name.substr(stem.size());
    if (rest.empty()) {
      gens[0] = it->path();
    } else if (rest.size() > 1 && rest.size() < 19 && rest[0] == '.' &&
               std::all_of(rest.begin() + 1, rest.end(),
                           [](char c) { return c >= '0' && c <= '9'; })) {
      gens[std::stoll(rest.substr(1))] = it->path();
    }
  }
  return gens;
}

double Now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Owner {
  bool exists = false;
  std::string content, host;
  long long pid = 0;
  double heartbeat_age = 0;  // seconds since the file's mtime
};

Owner Inspect(const fs::path& file) {
  Owner o;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return o;
  o.exists = true;
  const double mtime =
      static_cast<double>(st.st_mtim.tv_sec) + 1e-9 * static_cast<double>(st.st_mtim.tv_nsec);
  o.heartbeat_age = std::max(0.0, Now() - mtime);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  o.content = s.str();
  std::istringstream lines(o.content);
  std::string key, value;
  while (lines >> key >> value) {
    if (key == "host") o.host = value;
    if (key == "pid") o.pid = std::atoll(value.c_str());
  }
  return o;
}

std::string Describe(const Owner& o) {
  char age[32];
  std::snprintf(age, sizeof age, "%.0f", o.heartbeat_age);
  return "host " + (o.host.empty() ? std::string("?") : o.host) + " pid " +
         (o.pid > 0 ? std::to_string(o.pid) : std::string("?")) + ", heartbeat " + age + " s ago";
}

// Why the owner's claim is stale, or "" when it is live.
std::string StaleReason(const Owner& o, double stale_after_s) {
  if (!o.host.empty() && o.host == HostName() && o.pid > 0 &&
      ::kill(static_cast<pid_t>(o.pid), 0) != 0 && errno == ESRCH) {
    return "its process is gone";
  }
  if (o.heartbeat_age > stale_after_s) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "its heartbeat is %.0f s old (stale after %.0f s)",
                  o.heartbeat_age, stale_after_s);
    return buf;
  }
  return "";
}

// Creates file with O_EXCL and writes content: true when this process created it, false when it
// exists. Throws LabError for anything else (no permission, read-only, no space).
bool CreateExclusive(const fs::path& file, const std::string& content) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw LabError(file.string() + ": cannot create the run's claim (" + std::strerror(errno) +
                   "); hint: every process of a sweep must be able to write --out and its " +
                   "locks/ folder");
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(file.c_str());
      throw LabError(file.string() + ": cannot write the run's claim (" + std::strerror(err) +
                     "); hint: is the disk full?");
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return true;
}

}  // namespace

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "unknown-host";
  std::string h = buf;
  std::replace_if(
      h.begin(), h.end(), [](char c) { return c == ' ' || c == '\n'; }, '_');
  return h;
}

double HeartbeatInterval(const ClaimOptions& o) {
  return std::clamp(o.stale_after_s / 10.0, 1.0, 30.0);
}

void PrepareClaimDir(const ClaimOptions& o) {
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (ec || !fs::is_directory(o.dir)) {
    throw LabError(o.dir.string() + ": cannot create the folder of run claims (" +
                   (ec ? ec.message() : std::string("a file of that name exists")) +
                   "); hint: every process of a sweep must be able to write --out; move away " +
                   "whatever is at that path");
  }
}

RunClaim::RunClaim(RunClaim&& other) noexcept
    : file_(std::move(other.file_)),
      content_(std::move(other.content_)),
      holder_(std::move(other.holder_)),
      took_over_(std::move(other.took_over_)) {
  other.file_.clear();
}

RunClaim& RunClaim::operator=(RunClaim&& other) noexcept {
  if (this != &other) {
    Release();
    file_ = std::move(other.file_);
    content_ = std::move(other.content_);
    holder_ = std::move(other.holder_);
    took_over_ = std::move(other.took_over_);
    other.file_.clear();
  }
  return *this;
}

RunClaim::~RunClaim() { Release(); }

RunClaim RunClaim::Acquire(const ClaimOptions& o, const std::string& run_id) {
  RunClaim c;
  c.content_ = "host " + HostName() + "\npid " + std::to_string(::getpid()) + "\nrun " + run_id +
               "\nsince " + std::to_string(static_cast<long long>(Now())) + "\n";
  // Each pass either ends or saw another process change the claim files; they settle fast.
  for (int pass = 0; pass < 1000; ++pass) {
    const auto gens = Generations(o, run_id);
    if (gens.empty()) {
      const fs::path file = GenerationFile(o, run_id, 0);
      if (CreateExclusive(file, c.content_)) {
        c.file_ = file;
        return c;
      }
      continue;
    }
    const auto& [g, file] = *gens.rbegin();
    const Owner owner = Inspect(file);
    if (!owner.exists) continue;  // released or taken over just now
    const std::string reason = StaleReason(owner, o.stale_after_s);
    if (reason.empty()) {
      c.holder_ = Describe(owner);
      return c;
    }
    const fs::path next = GenerationFile(o, run_id, g + 1);
    if (!CreateExclusive(next, c.content_)) continue;  // another process took it over first
    // This process owns generation g + 1; the older ones are history.
    for (const auto& [old, path] : Generations(o, run_id)) {
      if (old <= g) ::unlink(path.c_str());
    }
    c.file_ = next;
    c.took_over_ = "the claim of " + Describe(owner) + ": " + reason;
    if (Generations(o, run_id).rbegin()->first != g + 1) {  // a newer one appeared meanwhile
      c.Release();
      c.took_over_.clear();
      continue;
    }
    return c;
  }
  throw LabError(GenerationFile(o, run_id, 0).string() +
                 ": the claim kept changing hands (1000 tries); hint: rerun; if it persists, "
                 "remove " +
                 o.dir.string() + " while no gelu-lab process runs");
}

bool RunClaim::Touch() const {
  if (!held()) return false;
  return ::utimensat(AT_FDCWD, file_.c_str(), nullptr, 0) == 0 || errno != ENOENT;
}

void RunClaim::Release() {
  if (!held()) return;
  const Owner now = Inspect(file_);
  if (now.exists && now.content == content_) ::unlink(file_.c_str());
  file_.clear();
}

Heartbeat::Heartbeat(const RunClaim& claim, double interval_s)
    : thread_([this, &claim, interval_s] {
        std::unique_lock lock(mutex_);
        const auto period = std::chrono::duration<double>(interval_s);
        while (!wake_.wait_for(lock, period, [this] { return stop_; })) claim.Touch();
      }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::optional<std::string> LiveHolder(const ClaimOptions& o, const std::string& run_id) {
  const auto gens = Generations(o, run_id);
  if (gens.empty()) return std::nullopt;
  const Owner owner = Inspect(gens.rbegin()->second);
  if (!owner.exists || !StaleReason(owner, o.stale_after_s).empty()) return std::nullopt;
  return Describe(owner);
}

}  // namespace gelu::lab
