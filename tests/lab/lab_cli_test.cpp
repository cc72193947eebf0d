// gelu-lab end to end on a tiny generated data set: CLI errors, resume after SIGKILL, determinism
// (same seed and threads -> byte-identical results, in-process or in forked jobs), the noise
// experiment's rows.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;
using test::RunLab;
using test::TempDir;

class LabCli : public ::testing::Test {
 protected:
  void SetUp() override { test::WriteTinyMnist(data_.path(), 1100, 200, true); }

  std::vector<std::string> Sweep(const fs::path& out, const std::string& activations, int epochs,
                                 const std::string& dropout, int jobs) {
    return {"run",           "mnist_classify",
            "--data",        data_.path().string(),
            "--validation",  "100",
            "--activations", activations,
            "--seeds",       "1",
            "--epochs",      std::to_string(epochs),
            "--lr",          "1e-3",
            "--dropout",     dropout,
            "--jobs",        std::to_string(jobs),
            "--threads",     "1",
            "--out",         out.string()};
  }

  static std::map<std::string, std::string> RunFiles(const fs::path& out) {
    std::map<std::string, std::string> files;
    if (!fs::is_directory(out / "runs")) return files;
    for (const auto& e : fs::directory_iterator(out / "runs")) {
      if (e.path().extension() == ".jsonl") {
        files[e.path().filename().string()] = test::ReadFile(e.path());
      }
    }
    return files;
  }

  TempDir data_{"data"};
};

TEST_F(LabCli, ErrorsExitNonZeroWithOneClearMessage) {
  TempDir out("out");
  const fs::path o = out.path() / "r";
  auto r = RunLab({"run", "mnist_classify", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--bogus"), std::string::npos) << r.output;
  r = RunLab({"run", "no_such_experiment", "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown experiment 'no_such_experiment'"), std::string::npos)
      << r.output;
  r = RunLab(
      {"run", "mnist_classify", "--data", (out.path() / "missing").string(), "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--data"), std::string::npos) << r.output;
  r = RunLab({"run", "mnist_classify", "--activations", "gelu,nope", "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown activation 'nope'"), std::string::npos) << r.output;
  r = RunLab({"run", "mnist_classify", "--lr", "-1", "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--lr"), std::string::npos) << r.output;
  r = RunLab({"run", "mnist_classify", "--shard", "3/2", "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--shard"), std::string::npos) << r.output;
  // A corrupt data folder: one truncated file.
  TempDir bad("bad");
  test::WriteTinyMnist(bad.path(), 300, 20, false);
  fs::resize_file(bad.path() / "train-labels-idx1-ubyte", 100);
  r = RunLab({"run", "mnist_classify", "--data", bad.path().string(), "--validation", "100",
              "--out", o.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("train-labels-idx1-ubyte (byte offset"), std::string::npos) << r.output;
  // Nothing half-written: the results folder was never created.
  EXPECT_FALSE(fs::exists(o));
  r = RunLab({"report", (out.path() / "nothing").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
  r = RunLab({"list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("mnist_classify"), std::string::npos);
  EXPECT_NE(r.output.find("mnist_noise"), std::string::npos);
}

TEST_F(LabCli, KilledSweepResumesWithoutRecomputingFinishedRuns) {
  // In-process (--jobs 1) and with forked runs (--jobs 2, whose children die with the parent).
  for (const int jobs : {1, 2}) {
    SCOPED_TRACE("--jobs " + std::to_string(jobs));
    TempDir out("out");
    const auto args = Sweep(out.path(), "gelu,relu,elu,silu", 10, "0", jobs);
    const int pid = test::StartLab(args, out.path() / "log1.txt");
    std::map<std::string, std::string> before;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (before.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      before = RunFiles(out.path());
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_FALSE(before.empty()) << test::ReadFile(out.path() / "log1.txt");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // children see the death
    before = RunFiles(out.path());
    if (before.size() == 4) GTEST_SKIP() << "the sweep finished before it could be killed";
    std::map<std::string, fs::file_time_type> mtimes;
    for (const auto& [name, text] : before) {
      mtimes[name] = fs::last_write_time(out.path() / "runs" / name);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // so a rewrite would move mtime

    const auto r = RunLab(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::ostringstream expect;
    expect << "4 runs planned, 4 in this shard, " << before.size() << " already finished, "
           << 4 - before.size() << " run now";
    EXPECT_NE(r.output.find(expect.str()), std::string::npos) << r.output;
    const auto after = RunFiles(out.path());
    EXPECT_EQ(after.size(), 4U);
    for (const auto& [name, text] : before) {
      EXPECT_EQ(after.at(name), text) << name;
      EXPECT_EQ(fs::last_write_time(out.path() / "runs" / name), mtimes[name]) << name;
    }
    // Each finished run has 10 epochs x 3 splits; summary.csv covers all four.
    for (const auto& [name, text] : after) {
      EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 30) << name;
    }
    const std::string summary = test::ReadFile(out.path() / "summary.csv");
    EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 5) << summary;
    // A third run does nothing.
    const auto again = RunLab(args);
    EXPECT_NE(again.output.find("4 already finished, 0 run now"), std::string::npos)
        << again.output;
  }
}

TEST_F(LabCli, SameSeedSameThreadsGivesIdenticalResultsInProcessOrForked) {
  TempDir a("a"), b("b");
  const auto ra = RunLab(Sweep(a.path(), "gelu,elu", 3, "0,0.5", 1));
  ASSERT_EQ(ra.exit_code, 0) << ra.output;
  const auto rb = RunLab(Sweep(b.path(), "gelu,elu", 3, "0,0.5", 2));
  ASSERT_EQ(rb.exit_code, 0) << rb.output;
  const auto fa = RunFiles(a.path()), fb = RunFiles(b.path());
  ASSERT_EQ(fa.size(), 4U);
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(test::ReadFile(a.path() / "summary.csv"), test::ReadFile(b.path() / "summary.csv"));
  // The rows carry the contract's fields; the train loss with dropout comes from the paper's
  // dropout-off pass, so it is a valid loss.
  std::istringstream lines(fa.begin()->second);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    for (const char* k :
         {"experiment", "activation", "lr", "dropout", "seed", "epoch", "split", "loss", "error"}) {
      ASSERT_TRUE(j.contains(k)) << k << " in " << line;
    }
    EXPECT_GT(j["loss"].get<double>(), 0.0);
    ++n;
  }
  EXPECT_EQ(n, 9);
}

TEST_F(LabCli, NoiseExperimentReusesTrainedModels) {
  TempDir out("out");
  const std::vector<std::string> args = {
      "run",          "mnist_noise", "--data",        data_.path().string(),
      "--validation", "100",         "--activations", "gelu,relu",
      "--seeds",      "1",           "--epochs",      "2",
      "--lr",         "1e-3,1e-4",   "--jobs",        "1",
      "--threads",    "1",           "--out",         out.path().string()};
  const auto r = RunLab(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto files = RunFiles(out.path());
  EXPECT_EQ(files.size(), 6U);  // 4 classifier runs (2 activations x 2 lrs) + 2 noise runs
  EXPECT_TRUE(fs::exists(out.path() / "selection.csv"));
  int noise_files = 0;
  for (const auto& [name, text] : files) {
    if (name.rfind("mnist_noise-", 0) != 0) continue;
    ++noise_files;
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    double last = -1;
    while (std::getline(lines, line)) {
      const auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["split"], "test");
      EXPECT_EQ(j["dropout"].get<double>(), 0.0);
      EXPECT_GT(j["noise"].get<double>(), last);
      last = j["noise"].get<double>();
      ++n;
    }
    EXPECT_EQ(n, 31);  // a = 0, 0.1, ..., 3.0
    EXPECT_DOUBLE_EQ(last, 3.0);
  }
  EXPECT_EQ(noise_files, 2);
  // Rerunning is a no-op for both experiments.
  const auto again = RunLab(args);
  EXPECT_NE(again.output.find("4 already finished, 0 run now"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("2 already finished, 0 run now"), std::string::npos) << again.output;
}

TEST_F(LabCli, AFolderNeverPoolsTwoDataSets) {
  // Defect 1 of the lab-suite issue: the same run on another data set into the same folder was
  // taken as finished and reported the first data set's error as the second's.
  TempDir other("other"), out("out");
  test::WriteTinyMnist(other.path(), 1000, 200, true);  // another data set (other content)
  const auto first = RunLab(Sweep(out.path(), "gelu", 1, "0", 1));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto files = RunFiles(out.path());
  auto args = Sweep(out.path(), "gelu", 1, "0", 1);
  args[3] = other.path().string();  // --data
  const auto second = RunLab(args);
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("holds results on"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("another --out"), std::string::npos) << second.output;
  EXPECT_EQ(RunFiles(out.path()), files);  // nothing written, nothing lost
  const auto dataset = nlohmann::json::parse(test::ReadFile(out.path() / "dataset.json"));
  EXPECT_EQ(dataset["fingerprint"].get<std::string>().size(), 16U);
  // Every row names the data set's fingerprint.
  std::istringstream lines(files.begin()->second);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_EQ(nlohmann::json::parse(line)["data_fingerprint"], dataset["fingerprint"]);
  }
}

TEST_F(LabCli, DivergedRunIsRecordedAndNeverStopsTheSweepOrTheReport) {
  // Defect 2: lr 1000 makes elu's loss NaN; the run must be a finished result marked diverged,
  // the other activation's run must still happen, and summary, selection and report must work.
  TempDir out("out");
  auto args = Sweep(out.path(), "elu,gelu", 4, "0", 1);
  args[13] = "1000,1e-3";  // --lr
  const auto r = RunLab(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("4 run now"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("diverged (NaN or inf loss) at epoch"), std::string::npos) << r.output;
  const auto files = RunFiles(out.path());
  const std::string& diverged = files.at("mnist_classify-elu-d0-lr1000-s1-e4-v100.jsonl");
  const auto last =
      nlohmann::json::parse(diverged.substr(diverged.rfind('\n', diverged.size() - 2) + 1));
  EXPECT_TRUE(last["diverged"].get<bool>()) << diverged;
  EXPECT_TRUE(last["loss"].is_null()) << diverged;
  const std::string summary = test::ReadFile(out.path() / "summary.csv");
  EXPECT_NE(summary.find("mnist_classify,elu,0,1000,1,4,inf,inf,inf,inf,0,100,1,inf,inf"),
            std::string::npos)
      << summary;
  // Selection: elu's finite lr wins over the diverged one.
  const std::string selection = test::ReadFile(out.path() / "selection.csv");
  EXPECT_NE(selection.find("mnist_classify,elu,0,0.001,1,"), std::string::npos) << selection;
  // Rerunning reads the folder (the old code failed on its own null) and computes nothing.
  const auto again = RunLab(args);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("4 already finished, 0 run now"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("diverged"), std::string::npos) << again.output;
  const auto report = RunLab({"report", out.path().string()});
  EXPECT_EQ(report.exit_code, 0) << report.output;
  const std::string html = test::ReadFile(out.path() / "report.html");
  EXPECT_NE(html.find("diverged"), std::string::npos);
}

}  // namespace
}  // namespace gelu::lab
