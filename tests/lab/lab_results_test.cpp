// Results files: JSON-lines fields, summary.csv columns and values computed by hand, lr selection
// on validation, run ids and the sharded plan.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

#include "lab/core/results.hpp"
#include "lab/core/sweep.hpp"
#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;

Row MakeRow(const std::string& act, double lr, int seed, int epoch, const std::string& split,
            double loss, double error) {
  Row r;
  r.experiment = "mnist_classify";
  r.activation = act;
  r.lr = lr;
  r.dropout = 0.5;
  r.seed = seed;
  r.epoch = epoch;
  r.split = split;
  r.loss = loss;
  r.error = error;
  r.data = "tiny";
  r.run = act + "-" + std::to_string(lr) + "-" + std::to_string(seed);
  return r;
}

TEST(LabResults, JsonLineHasTheContractFields) {
  Row r = MakeRow("gelu", 1e-3, 2, 7, "val", 0.25, 0.125);
  const auto j = nlohmann::json::parse(RowToJson(r));
  for (const char* k :
       {"experiment", "activation", "lr", "dropout", "seed", "epoch", "split", "loss", "error"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_FALSE(j.contains("noise"));
  EXPECT_EQ(j["split"], "val");
  EXPECT_EQ(j["epoch"], 7);
  EXPECT_DOUBLE_EQ(j["lr"].get<double>(), 1e-3);
  EXPECT_DOUBLE_EQ(j["dropout"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["keep"].get<double>(), 0.5);
  r.noise = 1.5;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(RowToJson(r))["noise"].get<double>(), 1.5);
  const Row back = RowFromJson(RowToJson(r), "x");
  EXPECT_EQ(back.activation, "gelu");
  EXPECT_EQ(*back.noise, 1.5);
  EXPECT_EQ(*back.error, 0.125);
}

TEST(LabResults, SummaryByHand) {
  test::TempDir dir("res");
  Rows rows;
  // Three seeds; final epoch 2; epoch-1 rows must be ignored.
  const double errors[] = {0.1, 0.2, 0.4}, losses[] = {1.0, 2.0, 6.0};
  for (int s = 0; s < 3; ++s) {
    rows.push_back(MakeRow("gelu", 1e-3, s + 1, 1, "test", 9.0, 0.9));
    rows.push_back(MakeRow("gelu", 1e-3, s + 1, 2, "train", 0.0, 0.0));
    rows.push_back(MakeRow("gelu", 1e-3, s + 1, 2, "test", losses[s], errors[s]));
  }
  WriteRunFile(dir.path(), "r1", rows);
  EXPECT_TRUE(RunFinished(dir.path(), "r1"));
  const Rows back = ReadAllRuns(dir.path());
  ASSERT_EQ(back.size(), rows.size());
  const auto summary = Summarize(back);
  ASSERT_EQ(summary.size(), 1U);
  const SummaryRow& s = summary[0];
  EXPECT_EQ(s.seeds, 3);
  EXPECT_EQ(s.epochs, 2);
  EXPECT_NEAR(s.test_error_mean, 0.7 / 3, 1e-12);
  // Sample std: sqrt(((0.1-m)^2 + (0.2-m)^2 + (0.4-m)^2) / 2) with m = 0.7/3.
  EXPECT_NEAR(s.test_error_std, std::sqrt(0.14 / 3 / 2), 1e-12);
  EXPECT_NEAR(s.test_loss_mean, 3.0, 1e-12);
  EXPECT_NEAR(s.test_loss_std, std::sqrt((4.0 + 1.0 + 9.0) / 2), 1e-12);
  EXPECT_DOUBLE_EQ(s.test_error_median, 0.2);
  WriteSummary(dir.path(), summary);
  std::istringstream csv(test::ReadFile(dir.path() / "summary.csv"));
  std::string header, line;
  std::getline(csv, header);
  std::getline(csv, line);
  EXPECT_EQ(header,
            "experiment,activation,dropout,lr,seeds,epochs,test_error_mean,test_error_std,"
            "test_loss_mean,test_loss_std");
  EXPECT_EQ(line, "mnist_classify,gelu,0.5,0.001,3,2,0.2333333333,0.1527525232,3,2.645751311");
}

TEST(LabResults, SelectsLrByMedianFinalValidationLoss) {
  Rows rows;
  // lr 1e-3: val losses 0.5, 0.1, 0.6 (median 0.5); lr 1e-4: 0.3, 0.4, 0.35 (median 0.35).
  const double a[] = {0.5, 0.1, 0.6}, b[] = {0.3, 0.4, 0.35};
  for (int s = 0; s < 3; ++s) {
    rows.push_back(MakeRow("relu", 1e-3, s + 1, 3, "val", a[s], 0));
    rows.push_back(MakeRow("relu", 1e-4, s + 1, 3, "val", b[s], 0));
  }
  const auto sel = SelectLr(rows);
  ASSERT_EQ(sel.size(), 1U);
  const auto& [key, v] = *sel.begin();
  EXPECT_EQ(key.activation, "relu");
  EXPECT_EQ(v.lr, 1e-4);
  EXPECT_DOUBLE_EQ(v.val_loss_median, 0.35);
  EXPECT_EQ(v.seeds, 3);
}

TEST(LabResults, AtomicWriteLeavesNoTemporaryFiles) {
  test::TempDir dir("res");
  WriteFileAtomic(dir.path() / "a" / "f.txt", "hello\n");
  EXPECT_EQ(test::ReadFile(dir.path() / "a" / "f.txt"), "hello\n");
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "a")) n += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(n, 1);
}

TEST(LabResults, PlanAndRunIds) {
  Experiment e;
  e.name = "exp";
  Grid g{.activations = {"gelu", "relu"},
         .seeds = 2,
         .epochs = 5,
         .lrs = {1e-3, 1e-5},
         .dropouts = {0.0, 0.5},
         .train_limit = 100};
  const auto runs = PlanRuns(e, g);
  ASSERT_EQ(runs.size(), 16U);
  EXPECT_EQ(runs[0].id, "exp-gelu-d0-lr0.001-s1-e5-n100");
  EXPECT_EQ(runs[3].id, "exp-gelu-d0-lr1e-05-s2-e5-n100");
  EXPECT_EQ(runs[15].id, "exp-relu-d0.5-lr1e-05-s2-e5-n100");
}

}  // namespace
}  // namespace gelu::lab
