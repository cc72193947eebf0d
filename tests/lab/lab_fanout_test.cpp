// gelu-lab beyond one process: shards from the launcher's environment (OpenMPI, PMI, srun, Slurm
// arrays), run claims in a shared folder, and end to end: a 2-task Slurm array, two processes on
// one folder at once (the claim test), a stale claim taken over, and `mpirun -np 3` (LabMpi, ctest
// label mpi; skipped without mpirun). Every fan-out must give the run files of one process, byte
// for byte, and a summary written once the plan is complete.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "lab/core/claim.hpp"
#include "lab/core/error.hpp"
#include "lab/core/shard.hpp"
#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;

EnvLookup Env(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// The LabError message of ShardFromEnvironment, or "" when it did not throw.
std::string ShardError(const std::map<std::string, std::string>& vars) {
  try {
    ShardFromEnvironment(Env(vars));
  } catch (const LabError& e) {
    return e.what();
  }
  return "";
}

TEST(LabShard, FromLaunchers) {
  EXPECT_FALSE(ShardFromEnvironment(Env({})).has_value());
  auto s =
      ShardFromEnvironment(Env({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "3"}}));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->index, 1);
  EXPECT_EQ(s->count, 3);
  EXPECT_EQ(s->source, "OMPI_COMM_WORLD_RANK=1 of OMPI_COMM_WORLD_SIZE=3");
  s = ShardFromEnvironment(Env({{"PMI_RANK", "3"}, {"PMI_SIZE", "4"}}));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->index, 3);
  EXPECT_EQ(s->count, 4);
  // OpenMPI's variables win over PMI's when a launcher sets both.
  s = ShardFromEnvironment(Env({{"OMPI_COMM_WORLD_RANK", "0"},
                                {"OMPI_COMM_WORLD_SIZE", "2"},
                                {"PMI_RANK", "5"},
                                {"PMI_SIZE", "6"}}));
  EXPECT_EQ(s->count, 2);
  // srun: SLURM_PROCID counts only inside a step; a batch script's own SLURM_PROCID=0 does not.
  EXPECT_FALSE(ShardFromEnvironment(Env({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}})));
  s = ShardFromEnvironment(
      Env({{"SLURM_PROCID", "2"}, {"SLURM_NTASKS", "4"}, {"SLURM_STEP_ID", "0"}}));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
}

TEST(LabShard, FromSlurmArrays) {
  // --array=1-2: ids from SLURM_ARRAY_TASK_MIN.
  const std::map<std::string, std::string> base = {{"SLURM_ARRAY_TASK_COUNT", "2"},
                                                   {"SLURM_ARRAY_TASK_MIN", "1"},
                                                   {"SLURM_ARRAY_TASK_MAX", "2"}};
  for (const int id : {1, 2}) {
    auto vars = base;
    vars["SLURM_ARRAY_TASK_ID"] = std::to_string(id);
    const auto s = ShardFromEnvironment(Env(vars));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->index, id - 1);
    EXPECT_EQ(s->count, 2);
  }
  // --array=0-6:3 (ids 0, 3, 6), and no MIN (ids from 0).
  auto s = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "6"},
                                     {"SLURM_ARRAY_TASK_COUNT", "3"},
                                     {"SLURM_ARRAY_TASK_MIN", "0"},
                                     {"SLURM_ARRAY_TASK_MAX", "6"},
                                     {"SLURM_ARRAY_TASK_STEP", "3"}}));
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 3);
  s = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "2"}}));
  EXPECT_EQ(s->index, 1);
  // No COUNT (old Slurm): from MIN, MAX and STEP.
  s = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "4"},
                                {"SLURM_ARRAY_TASK_MIN", "1"},
                                {"SLURM_ARRAY_TASK_MAX", "4"}}));
  EXPECT_EQ(s->index, 3);
  EXPECT_EQ(s->count, 4);
  // mpirun -np 3 inside array task 2 of 2 (ids 0-1): shard 1 * 3 + rank.
  s = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "1"},
                                {"SLURM_ARRAY_TASK_COUNT", "2"},
                                {"OMPI_COMM_WORLD_RANK", "2"},
                                {"OMPI_COMM_WORLD_SIZE", "3"}}));
  EXPECT_EQ(s->index, 5);
  EXPECT_EQ(s->count, 6);
  EXPECT_NE(s->source.find("SLURM_ARRAY_TASK_ID=1 (task 2 of 2"), std::string::npos) << s->source;
  EXPECT_NE(s->source.find(" x OMPI_COMM_WORLD_RANK=2 of OMPI_COMM_WORLD_SIZE=3"),
            std::string::npos)
      << s->source;
}

TEST(LabShard, BadEnvironmentsGiveClearErrors) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::vector<std::string>>> cases =
      {
          {{{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "0"}},
           {"OMPI_COMM_WORLD_SIZE=0 is not a number of processes", "hint: "}},
          {{{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "3"}},
           {"OMPI_COMM_WORLD_RANK=3 is not a rank of OMPI_COMM_WORLD_SIZE=3 (0 to 2)"}},
          {{{"OMPI_COMM_WORLD_RANK", "-1"}, {"OMPI_COMM_WORLD_SIZE", "3"}},
           {"OMPI_COMM_WORLD_RANK=-1 is not a rank"}},
          {{{"PMI_RANK", "x1"}, {"PMI_SIZE", "3"}}, {"PMI_RANK='x1' is not an integer"}},
          {{{"PMI_RANK", "1"}}, {"PMI_RANK is set but PMI_SIZE is not"}},
          {{{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "2"}},
           {"SLURM_ARRAY_TASK_ID=2 is not a task of the array (SLURM_ARRAY_TASK_MIN=0",
            "--array=0-N-1"}},
          {{{"SLURM_ARRAY_TASK_ID", "0"},
            {"SLURM_ARRAY_TASK_COUNT", "2"},
            {"SLURM_ARRAY_TASK_MIN", "1"}},
           {"SLURM_ARRAY_TASK_ID=0 is not a task of the array (SLURM_ARRAY_TASK_MIN=1"}},
          {{{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "0"}},
           {"SLURM_ARRAY_TASK_COUNT=0 is not a number of array tasks"}},
          {{{"SLURM_ARRAY_TASK_ID", "7"},
            {"SLURM_ARRAY_TASK_COUNT", "3"},
            {"SLURM_ARRAY_TASK_MIN", "0"},
            {"SLURM_ARRAY_TASK_MAX", "7"}},
           {"not an evenly spaced range", "SLURM_ARRAY_TASK_MAX=7"}},
          {{{"SLURM_ARRAY_TASK_ID", "3"}}, {"neither SLURM_ARRAY_TASK_COUNT nor"}},
          {{{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}, {"SLURM_STEP_ID", "0"}},
           {"SLURM_PROCID=4 is not a rank of SLURM_NTASKS=4"}},
      };
  for (const auto& [vars, expected] : cases) {
    const std::string error = ShardError(vars);
    for (const auto& e : expected) EXPECT_NE(error.find(e), std::string::npos) << error;
  }
  EXPECT_EQ(ParseShardFlag("2/3").index, 1);
  EXPECT_EQ(ParseShardFlag("2/3").count, 3);
  EXPECT_THROW(ParseShardFlag("0/3"), LabError);
}

// A pid that is certainly not running: a child that exited and was reaped.
pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

void WriteClaim(const fs::path& file, const std::string& host, long long pid, double age_s) {
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr) << file;
  std::fprintf(f, "host %s\npid %lld\nrun x\nsince 0\n", host.c_str(), pid);
  std::fclose(f);
  const auto t = std::chrono::system_clock::now() - std::chrono::duration<double>(age_s);
  const auto s = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const timespec times[2] = {{static_cast<time_t>(s / 1'000'000'000), s % 1'000'000'000},
                             {static_cast<time_t>(s / 1'000'000'000), s % 1'000'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
}

double AgeSeconds(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return -1;
  return static_cast<double>(std::time(nullptr) - st.st_mtim.tv_sec);
}

TEST(LabClaim, OneOwnerStaleClaimsTakenOverLiveOnesKept) {
  test::TempDir dir("claims");
  const ClaimOptions o{dir.path() / "locks", 300};
  PrepareClaimDir(o);
  {
    RunClaim a = RunClaim::Acquire(o, "r1");
    ASSERT_TRUE(a.held());
    EXPECT_EQ(a.file(), o.dir / "r1.lock");
    EXPECT_TRUE(a.took_over().empty());
    const RunClaim b = RunClaim::Acquire(o, "r1");  // this process is alive: a live holder
    EXPECT_FALSE(b.held());
    EXPECT_NE(b.holder().find("pid " + std::to_string(::getpid())), std::string::npos)
        << b.holder();
    EXPECT_EQ(LiveHolder(o, "r1"), b.holder());
    a.Release();
    EXPECT_FALSE(fs::exists(o.dir / "r1.lock"));
    EXPECT_FALSE(LiveHolder(o, "r1").has_value());
  }
  // A dead process on this host: taken over at once, as generation 1; the old file is removed.
  const pid_t dead = DeadPid();
  WriteClaim(o.dir / "r2.lock", HostName(), dead, 0);
  {
    const RunClaim c = RunClaim::Acquire(o, "r2");
    ASSERT_TRUE(c.held());
    EXPECT_EQ(c.file(), o.dir / "r2.lock.1");
    EXPECT_NE(c.took_over().find("pid " + std::to_string(dead)), std::string::npos);
    EXPECT_NE(c.took_over().find("its process is gone"), std::string::npos) << c.took_over();
    EXPECT_FALSE(fs::exists(o.dir / "r2.lock"));
  }
  EXPECT_FALSE(fs::exists(o.dir / "r2.lock.1"));  // released by the destructor
  // Another machine: live while its heartbeat is fresh, taken over when it is older than the
  // timeout.
  WriteClaim(o.dir / "r3.lock", "another-host", 1, 10);
  EXPECT_FALSE(RunClaim::Acquire(o, "r3").held());
  WriteClaim(o.dir / "r3.lock", "another-host", 1, 3600);
  {
    const RunClaim c = RunClaim::Acquire(o, "r3");
    ASSERT_TRUE(c.held());
    EXPECT_NE(c.took_over().find("host another-host pid 1"), std::string::npos);
    EXPECT_NE(c.took_over().find("its heartbeat is 3600 s old (stale after 300 s)"),
              std::string::npos)
        << c.took_over();
  }
  // The heartbeat thread refreshes the claim's mtime.
  {
    const RunClaim c = RunClaim::Acquire(o, "r4");
    ASSERT_TRUE(c.held());
    WriteClaim(c.file(), HostName(), ::getpid(), 1000);
    {
      const Heartbeat beat(c, 0.02);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_LT(AgeSeconds(c.file()), 5);
  }
}

TEST(LabClaim, OnlyOneOfManyProcessesTakesOverAStaleClaim) {
  test::TempDir dir("claims");
  const ClaimOptions o{dir.path() / "locks", 300};
  PrepareClaimDir(o);
  for (int round = 0; round < 5; ++round) {
    const std::string id = "run" + std::to_string(round);
    WriteClaim(o.dir / (id + ".lock"), HostName(), DeadPid(), 0);
    const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    std::vector<pid_t> pids;
    for (int i = 0; i < 6; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        std::this_thread::sleep_until(start);
        RunClaim c = RunClaim::Acquire(o, id);
        const int code = c.held() ? 0 : 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // hold it while others try
        ::_exit(code);  // keeps the claim file: no release
      }
      pids.push_back(pid);
    }
    int owners = 0;
    for (const pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status));
      owners += WEXITSTATUS(status) == 0 ? 1 : 0;
    }
    EXPECT_EQ(owners, 1) << "round " << round;
  }
}

TEST(LabClaim, UnusableClaimFolderIsAClearError) {
  test::TempDir dir("claims");
  const ClaimOptions o{dir.path() / "locks", 300};
  {
    std::FILE* f = std::fopen(o.dir.c_str(), "w");
    std::fclose(f);
  }  // a file in its place
  try {
    PrepareClaimDir(o);
    FAIL() << "no error";
  } catch (const LabError& e) {
    EXPECT_NE(
        std::string(e.what()).find(o.dir.string() + ": cannot create the folder of run claims"),
        std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("hint:"), std::string::npos) << e.what();
  }
  const ClaimOptions missing{dir.path() / "nowhere" / "locks", 300};
  try {
    RunClaim::Acquire(missing, "r");
    FAIL() << "no error";
  } catch (const LabError& e) {
    EXPECT_NE(std::string(e.what()).find((missing.dir / "r.lock").string() +
                                         ": cannot create the run's claim"),
              std::string::npos)
        << e.what();
  }
}

// End to end: one plan of 8 runs (--quick: gelu, relu, elu, silu x dropout 0, 0.5; one seed, 3
// epochs) on a tiny generated MNIST, computed once by one process as the reference.
class LabFanout : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<test::TempDir>("fanout_data");
    test::WriteTinyMnist(data_->path(), 1100, 200, true);
    reference_ = std::make_unique<test::TempDir>("fanout_reference");
    const auto r = test::RunLab(Plan(reference_->path(), {"--jobs", "1"}));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_EQ(RunFiles(reference_->path()).size(), 8U) << r.output;
  }
  static void TearDownTestSuite() {
    data_.reset();
    reference_.reset();
  }

  static std::vector<std::string> Plan(const fs::path& out, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"run",
                                     "mnist_classify",
                                     "--quick",
                                     "--data",
                                     data_->path().string(),
                                     "--validation",
                                     "100",
                                     "--seeds",
                                     "1",
                                     "--epochs",
                                     "3",
                                     "--threads",
                                     "1",
                                     "--out",
                                     out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  static std::map<std::string, std::string> RunFiles(const fs::path& out) {
    std::map<std::string, std::string> files;
    if (!fs::is_directory(out / "runs")) return files;
    for (const auto& e : fs::directory_iterator(out / "runs")) {
      files[e.path().filename().string()] = test::ReadFile(e.path());
    }
    return files;
  }

  // The results a complete plan leaves, byte for byte as one process writes them.
  static void ExpectSameAsOneProcess(const fs::path& out) {
    EXPECT_EQ(RunFiles(out), RunFiles(reference_->path()));  // also: no *.tmp.* left
    for (const char* f : {"summary.csv", "selection.csv", "claims.csv", "experiments.json"}) {
      EXPECT_EQ(test::ReadFile(out / f), test::ReadFile(reference_->path() / f)) << f;
    }
    EXPECT_TRUE(fs::is_empty(out / "locks"));  // every claim released
  }

  // Run ids of the "[i/n] RUN_ID: test error ..." lines: the runs a process computed.
  static std::vector<std::string> Computed(const std::string& log, const std::string& tag = "") {
    std::vector<std::string> ids;
    const std::regex line(std::string("(^|\n)") + tag + R"(\[\d+/\d+\] (mnist_classify-\S+): )");
    for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
      ids.push_back((*it)[2]);
    }
    return ids;
  }

  // The numbers of the "N runs planned, N in this shard, N already finished, N run now" line.
  static std::vector<int> Stats(const std::string& log, const std::string& tag = "") {
    const std::regex line(
        tag +
        R"(mnist_classify: (\d+) runs planned, (\d+) in this shard, (\d+) already finished, (\d+) run now)");
    std::smatch m;
    if (!std::regex_search(log, m, line)) return {};
    return {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4])};
  }

  static std::vector<std::string> PlanIds() {
    std::vector<std::string> ids;
    for (const auto& [name, text] : RunFiles(reference_->path())) {
      ids.push_back(name.substr(0, name.size() - 6));
    }
    return ids;
  }

  static std::unique_ptr<test::TempDir> data_, reference_;
};
std::unique_ptr<test::TempDir> LabFanout::data_, LabFanout::reference_;

TEST_F(LabFanout, SlurmArrayTasksGiveTheRunFilesOfOneProcess) {
  // sbatch --array=1-2: both tasks at once, the second with --jobs 2 (runs side by side).
  test::TempDir out("array");
  std::vector<int> pids;
  for (const int id : {1, 2}) {
    const test::Env env = {{"SLURM_ARRAY_TASK_ID", std::to_string(id)},
                           {"SLURM_ARRAY_TASK_COUNT", "2"},
                           {"SLURM_ARRAY_TASK_MIN", "1"},
                           {"SLURM_ARRAY_TASK_MAX", "2"}};
    pids.push_back(test::StartLab(Plan(out.path(), {"--jobs", std::to_string(id)}),
                                  out.path() / ("task" + std::to_string(id) + ".log"), env));
  }
  std::set<std::string> all;
  for (const int id : {1, 2}) {
    const fs::path log = out.path() / ("task" + std::to_string(id) + ".log");
    const auto r = test::Wait(pids[static_cast<std::size_t>(id - 1)], log);
    fs::remove(log);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string shard = "mnist_classify: shard " + std::to_string(id) +
                              "/2 (SLURM_ARRAY_TASK_ID=" + std::to_string(id) + " (task " +
                              std::to_string(id) + " of 2, SLURM_ARRAY_TASK_MIN=1, step 1, " +
                              "SLURM_ARRAY_TASK_COUNT=2)): runs " +
                              (id == 1 ? "1, 3, 5, 7" : "2, 4, 6, 8") + " of 8, 4 to compute";
    EXPECT_NE(r.output.find(shard), std::string::npos) << r.output;
    EXPECT_EQ(Stats(r.output), (std::vector<int>{8, 4, 0, 4})) << r.output;
    const auto ids = Computed(r.output);
    EXPECT_EQ(ids.size(), 4U) << r.output;
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 8U);
  ExpectSameAsOneProcess(out.path());

  // --shard wins over the environment: with a broken one it is not even read.
  const auto again = test::RunLab(Plan(out.path(), {"--shard", "2/2"}),
                                  {{"SLURM_ARRAY_TASK_ID", "9"}, {"SLURM_ARRAY_TASK_COUNT", "x"}});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("shard 2/2 (--shard 2/2): runs 2, 4, 6, 8 of 8, 0 to compute"),
            std::string::npos)
      << again.output;
  EXPECT_EQ(Stats(again.output), (std::vector<int>{8, 4, 4, 0})) << again.output;
}

TEST_F(LabFanout, BadLauncherEnvironmentStopsBeforeWriting) {
  test::TempDir out("bad_env");
  const fs::path o = out.path() / "r";
  auto r =
      test::RunLab(Plan(o, {}), {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "2"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("gelu-lab: error: SLURM_ARRAY_TASK_ID=2 is not a task of the array"),
            std::string::npos)
      << r.output;
  r = test::RunLab(Plan(o, {}), {{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "0"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("OMPI_COMM_WORLD_SIZE=0 is not a number of processes"), std::string::npos)
      << r.output;
  r = test::RunLab(Plan(o, {"--claim-timeout", "0"}));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--claim-timeout: 0 is not"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(o));
  // A claim folder that cannot be made: named, with a hint, and no run computed.
  fs::create_directories(o);
  {
    std::FILE* f = std::fopen((o / "locks").c_str(), "w");
    std::fclose(f);
  }
  r = test::RunLab(Plan(o, {"--jobs", "1"}));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find((o / "locks").string() + ": cannot create the folder of run claims"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(RunFiles(o).empty());
}

TEST_F(LabFanout, TwoProcessesOnOneFolderComputeEveryRunOnce) {
  // The claim test: the same plan into the same folder, started at the same moment, one
  // in-process (--jobs 1), one with forked runs (--jobs 2).
  test::TempDir out("claim");
  const fs::path log_a = out.path() / "a.log", log_b = out.path() / "b.log";
  const int a = test::StartLab(Plan(out.path(), {"--jobs", "1"}), log_a);
  const int b = test::StartLab(Plan(out.path(), {"--jobs", "2"}), log_b);
  const auto ra = test::Wait(a, log_a), rb = test::Wait(b, log_b);
  fs::remove(log_a);
  fs::remove(log_b);
  ASSERT_EQ(ra.exit_code, 0) << ra.output;
  ASSERT_EQ(rb.exit_code, 0) << rb.output;
  const auto ca = Computed(ra.output), cb = Computed(rb.output);
  std::set<std::string> all(ca.begin(), ca.end());
  EXPECT_EQ(all.size(), ca.size());  // no run twice in one process
  for (const auto& id : cb) EXPECT_TRUE(all.insert(id).second) << id << " computed twice";
  const auto ids = PlanIds();
  EXPECT_EQ(all, std::set<std::string>(ids.begin(), ids.end()));
  // Each process accounts for all 8: computed + finished by the other + claimed by the other.
  const auto sa = Stats(ra.output), sb = Stats(rb.output);
  ASSERT_EQ(sa.size(), 4U) << ra.output;
  ASSERT_EQ(sb.size(), 4U) << rb.output;
  EXPECT_EQ(sa[3] + sb[3], 8) << ra.output << rb.output;
  EXPECT_EQ(sa[3], static_cast<int>(ca.size()));
  EXPECT_EQ(sb[3], static_cast<int>(cb.size()));
  std::printf("claim test: process A computed %zu runs, process B %zu\n", ca.size(), cb.size());
  ExpectSameAsOneProcess(out.path());
}

TEST_F(LabFanout, StaleClaimOfADeadProcessIsTakenOverALiveOneIsLeft) {
  test::TempDir out("stale");
  const std::vector<std::string> one = {"--activations", "gelu", "--dropout", "0", "--jobs", "1"};
  const std::string id = "mnist_classify-gelu-d0-lr0.001-s1-e3-v100";
  fs::create_directories(out.path() / "locks");
  // A live claim of another machine: left to it; the results files wait for it.
  WriteClaim(out.path() / "locks" / (id + ".lock"), "another-host", 77, 5);
  auto r = test::RunLab(Plan(out.path(), one));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(id + ": claimed by host another-host pid 77, heartbeat "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("0 run now, 1 claimed by another process"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 of 1 runs of the plan still to be finished by other processes"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(RunFiles(out.path()).empty());
  EXPECT_FALSE(fs::exists(out.path() / "summary.csv"));
  // The owner died on this machine: its claim is taken over at once, with a log line.
  const pid_t dead = DeadPid();
  WriteClaim(out.path() / "locks" / (id + ".lock"), HostName(), dead, 5);
  r = test::RunLab(Plan(out.path(), one));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(id + ": took over the claim of host " + HostName() + " pid " +
                          std::to_string(dead)),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("its process is gone"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 already finished, 1 run now"), std::string::npos) << r.output;
  const auto files = RunFiles(out.path());
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(files.at(id + ".jsonl"), RunFiles(reference_->path()).at(id + ".jsonl"));
  EXPECT_TRUE(fs::is_empty(out.path() / "locks"));
  EXPECT_TRUE(fs::exists(out.path() / "summary.csv"));
}

TEST_F(LabFanout, NoiseShardsWaitForEachOthersModels) {
  // mnist_noise evaluates mnist_classify's models at the lr chosen on all of them: a shard that
  // finishes its training runs first waits for the other's before it plans the noise runs. The
  // shards come from a Slurm array's variables (started together, so they wait for each other).
  test::TempDir one("noise_one"), two("noise_two");
  const auto plan = [&](const fs::path& out) {
    std::vector<std::string> args = {
        "run",          "mnist_noise", "--data",        data_->path().string(),
        "--validation", "100",         "--activations", "gelu,relu",
        "--seeds",      "1",           "--epochs",      "2",
        "--lr",         "1e-3,1e-4",   "--jobs",        "1",
        "--threads",    "1",           "--out",         out.string()};
    return args;
  };
  const auto r = test::RunLab(plan(one.path()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path log1 = two.path() / "1.log", log2 = two.path() / "2.log";
  const int p1 = test::StartLab(plan(two.path()), log1,
                                {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "2"}});
  const int p2 = test::StartLab(plan(two.path()), log2,
                                {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "2"}});
  const auto r1 = test::Wait(p1, log1), r2 = test::Wait(p2, log2);
  fs::remove(log1);
  fs::remove(log2);
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  const auto files = RunFiles(one.path());
  EXPECT_EQ(files.size(), 6U);  // 4 training runs, 2 noise runs
  EXPECT_EQ(RunFiles(two.path()), files);
  for (const char* f : {"summary.csv", "selection.csv", "claims.csv"}) {
    EXPECT_EQ(test::ReadFile(two.path() / f), test::ReadFile(one.path() / f)) << f;
  }
  // Each shard: 2 of the 4 training runs and 1 of the 2 noise runs.
  for (const auto* out : {&r1.output, &r2.output}) {
    EXPECT_NE(out->find("mnist_classify: 4 runs planned, 2 in this shard, 0 already finished, 2 "
                        "run now"),
              std::string::npos)
        << *out;
    EXPECT_NE(out->find("mnist_noise: 2 runs planned, 1 in this shard, 0 already finished, 1 run "
                        "now"),
              std::string::npos)
        << *out;
  }
}

TEST_F(LabFanout, MpiRanksGiveTheRunFilesOfOneProcess) {
  const fs::path mpirun = test::FindOnPath("mpirun");
  if (mpirun.empty()) {
    GTEST_SKIP() << "mpirun not found on PATH: install openmpi-bin (scripts/deps) to run the "
                    "MPI fan-out test";
  }
  test::TempDir out("mpi");
  std::vector<std::string> args = {
      mpirun.string(), "--allow-run-as-root", "--oversubscribe", "--tag-output", "-np", "3",
      GELU_LAB_EXE};
  const auto plan = Plan(out.path(), {});  // no --jobs, no --shard: the ranks need no flag
  args.insert(args.end(), plan.begin(), plan.end());
  const fs::path log = out.path() / "mpirun.log";
  const auto r = test::Wait(test::StartProgram(args, log), log);
  fs::remove(log);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> all;
  const auto ids = PlanIds();  // sorted by name; the plan's order is activation, dropout
  int results_lines = 0;
  for (int rank = 0; rank < 3; ++rank) {
    SCOPED_TRACE("rank " + std::to_string(rank));
    const std::string tag = "\\[1," + std::to_string(rank) + "\\]<stdout>:";
    const auto computed = Computed(r.output, tag);
    const int expected = rank < 2 ? 3 : 2;  // runs rank, rank + 3, ... of 8
    EXPECT_EQ(static_cast<int>(computed.size()), expected) << r.output;
    EXPECT_EQ(Stats(r.output, tag), (std::vector<int>{8, expected, 0, expected})) << r.output;
    const std::string shard = "mnist_classify: shard " + std::to_string(rank + 1) +
                              "/3 (OMPI_COMM_WORLD_RANK=" + std::to_string(rank) +
                              " of OMPI_COMM_WORLD_SIZE=3): runs ";
    EXPECT_NE(r.output.find(shard), std::string::npos) << r.output;
    for (const auto& id : computed) EXPECT_TRUE(all.insert(id).second) << id << " twice";
    results_lines += std::regex_search(r.output, std::regex(tag + "results: ")) ? 1 : 0;
  }
  EXPECT_EQ(all, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_GE(results_lines, 1);  // the summary was written by the last rank (or ranks) to finish
  ExpectSameAsOneProcess(out.path());
}

}  // namespace
}  // namespace gelu::lab
