// Every registered experiment, run end to end by the gelu-lab executable on the tiny sample data
// its data source writes: it must finish, write the contract's files, and learn (classifiers far
// below chance, the autoencoder below the mean image's MSE). A new experiment is tested here
// without a line of test code of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lab/core/experiment.hpp"
#include "lab/core/results.hpp"
#include "lab/core/tasks.hpp"
#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;

// MSE of predicting the training set's mean image for every test image.
double MeanImageMse(const Dataset& d) {
  std::vector<double> mean(d.train.features, 0.0);
  for (std::size_t i = 0; i < d.train.inputs.size(); ++i) {
    mean[i % d.train.features] +=
        static_cast<double>(d.train.inputs[i]) / static_cast<double>(d.train.size());
  }
  double sum = 0;
  for (std::size_t i = 0; i < d.test.inputs.size(); ++i) {
    const double e = static_cast<double>(d.test.inputs[i]) - mean[i % d.test.features];
    sum += e * e;
  }
  return sum / static_cast<double>(d.test.inputs.size());
}

TEST(LabRegistry, EveryExperimentRunsAndLearnsOnItsSampleData) {
  ASSERT_GE(Registry::All().size(), 4U);
  for (const Experiment& e : Registry::All()) {
    SCOPED_TRACE(e.name);
    const Experiment* source = e.reuses.empty() ? &e : Registry::Find(e.reuses);
    ASSERT_NE(source, nullptr) << e.name << " reuses an unknown experiment";
    ASSERT_TRUE(source->data.write_sample) << "no sample writer";
    test::TempDir data("sample"), out("out");
    source->data.write_sample(data.path());
    const auto r = test::RunLab({"run", e.name, "--quick", "--data", data.path().string(),
                                 "--validation", "100", "--seeds", "1", "--epochs", "15", "--jobs",
                                 "2", "--out", out.path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(e.name + ": "), std::string::npos) << r.output;
    for (const char* f :
         {"summary.csv", "selection.csv", "claims.csv", "experiments.json", "dataset.json"}) {
      EXPECT_TRUE(fs::is_regular_file(out.path() / f)) << f;
    }
    const TaskInfo task = Describe(e.task);
    const auto doc = nlohmann::json::parse(test::ReadFile(out.path() / "experiments.json"));
    bool listed = false;
    for (const auto& j : doc["experiments"]) {
      if (j["name"] != e.name) continue;
      listed = true;
      EXPECT_EQ(j["task"], task.kind);
      EXPECT_EQ(j["plot"], e.plot);
    }
    EXPECT_TRUE(listed) << test::ReadFile(out.path() / "experiments.json");

    const Dataset d = source->data.load(DataOptions{data.path(), 100, 0, {}});
    const double baseline = MeanImageMse(d);
    int runs = 0;
    const Rows all = ReadAllRuns(out.path());
    std::map<std::string, double> first_train_loss;
    for (const Row& row : all) {
      if (row.epoch == 1 && row.split == "train") first_train_loss[row.run] = row.loss;
    }
    for (const auto& [id, f] : FinalRows(all)) {
      if (f.key.experiment != e.name) continue;
      ++runs;
      ASSERT_FALSE(f.diverged) << id;
      ASSERT_FALSE(f.test.empty()) << id;
      if (task.trains) {
        const auto last = std::find_if(all.rbegin(), all.rend(), [&](const Row& row) {
          return row.run == id && row.split == "train";
        });
        ASSERT_NE(last, all.rend()) << id;
        EXPECT_LT(last->loss, (f.key.dropout > 0 ? 0.9 : 0.5) * first_train_loss.at(id)) << id;
      }
      for (const Row* t : f.test) {
        ASSERT_TRUE(std::isfinite(t->loss)) << id;
        if (t->noise.value_or(0.0) > 0.0) continue;  // noisy inputs: no learning claim
        if (task.has_error) {
          // 10 balanced classes: chance is 0.9. With dropout 0.5 after each of 8 layers ReLU
          // learns slowly (as in the paper's Fig. 2): below chance, and the loss falls.
          EXPECT_LT(*t->error, f.key.dropout > 0 ? 0.85 : 0.2) << id;
        } else {
          EXPECT_LT(t->loss, 0.7 * baseline) << id << " (mean image: " << baseline << ")";
        }
      }
    }
    EXPECT_GT(runs, 0);
  }
}

}  // namespace
}  // namespace gelu::lab
