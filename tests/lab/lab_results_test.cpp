// Results files: JSON-lines fields, summary.csv columns and values computed by hand, lr selection
// on validation, run ids and the sharded plan.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

#include "lab/core/error.hpp"
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
  EXPECT_EQ(s.key.epochs, 2);
  EXPECT_EQ(s.diverged, 0);
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
            "test_loss_mean,test_loss_std,train_limit,validation,diverged,test_error_median,"
            "test_loss_median");
  EXPECT_EQ(
      line,
      "mnist_classify,gelu,0.5,0.001,3,2,0.2333333333,0.1527525232,3,2.645751311,0,0,0,0.2,2");
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

TEST(LabResults, BestValidationCheckpointPicksTheLowestValidationErrorEpoch) {
  EXPECT_EQ(CheckpointOf("twitter_pos"), Checkpoint::kBestValError);
  EXPECT_EQ(CheckpointOf("mnist_classify"), Checkpoint::kFinal);
  EXPECT_EQ(CheckpointOf("no_such_experiment"), Checkpoint::kFinal);
  // Validation error per epoch 0.3, 0.2, 0.2, 0.25: epoch 2 (the first of the tie).
  const double val_error[] = {0.3, 0.2, 0.2, 0.25}, val_loss[] = {0.9, 0.7, 0.6, 0.8};
  const double test_error[] = {0.31, 0.22, 0.21, 0.24}, test_loss[] = {0.95, 0.75, 0.65, 0.85};
  for (const char* experiment : {"twitter_pos", "mnist_classify"}) {
    SCOPED_TRACE(experiment);
    Rows rows;
    for (int e = 1; e <= 4; ++e) {
      rows.push_back(MakeRow("gelu", 1e-3, 1, e, "train", 0.1, 0.01));
      rows.push_back(MakeRow("gelu", 1e-3, 1, e, "val", val_loss[e - 1], val_error[e - 1]));
      rows.push_back(MakeRow("gelu", 1e-3, 1, e, "test", test_loss[e - 1], test_error[e - 1]));
    }
    for (Row& r : rows) r.experiment = experiment;
    const bool best = std::string(experiment) == "twitter_pos";
    const auto finals = FinalRows(rows);
    ASSERT_EQ(finals.size(), 1U);
    const RunFinal& f = finals.begin()->second;
    EXPECT_EQ(f.epoch, best ? 2 : 4);
    EXPECT_EQ(f.key.epochs, 4);  // the group is still the 4-epoch protocol
    const auto summary = Summarize(rows);
    ASSERT_EQ(summary.size(), 1U);
    EXPECT_DOUBLE_EQ(summary[0].test_error_median, best ? 0.22 : 0.24);
    EXPECT_DOUBLE_EQ(summary[0].test_loss_mean, best ? 0.75 : 0.85);
    auto sel = SelectLr(rows);
    ASSERT_EQ(sel.size(), 1U);
    EXPECT_DOUBLE_EQ(sel.begin()->second.val_loss_median, best ? 0.7 : 0.8);
    EXPECT_DOUBLE_EQ(sel.begin()->second.val_error_median, best ? 0.2 : 0.25);
    // A slower lr with a lower validation loss but a higher error: chosen by the final-epoch
    // loss rule, not by the best-validation-error rule (which compares errors).
    for (int e = 1; e <= 4; ++e) {
      rows.push_back(MakeRow("gelu", 1e-4, 1, e, "val", 0.5, 0.27));
      rows.push_back(MakeRow("gelu", 1e-4, 1, e, "test", 0.5, 0.28));
    }
    for (Row& r : rows) {
      r.experiment = experiment;
      r.run = "run-" + std::to_string(r.lr);
    }
    sel = SelectLr(rows);
    ASSERT_EQ(sel.size(), 1U);
    EXPECT_EQ(sel.begin()->second.lr, best ? 1e-3 : 1e-4);
  }
}

TEST(LabResults, DivergedRunIsValidJsonAndCountsAsInfinity) {
  // A NaN loss is written as null with "diverged": true, and reads back as +inf.
  Row r = MakeRow("elu", 1e3, 1, 2, "val", std::nan(""), 0.0);
  r.diverged = true;
  r.error.reset();
  const auto j = nlohmann::json::parse(RowToJson(r));
  EXPECT_TRUE(j["loss"].is_null());
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["diverged"].get<bool>());
  const Row back = RowFromJson(RowToJson(r), "x");
  EXPECT_TRUE(back.diverged);
  EXPECT_TRUE(std::isinf(back.loss) && back.loss > 0);
  // Selection: lr 1e3 has seeds (diverged, 0.1, 0.1): median 0.1 beats 1e-3's 0.2; lr 10 has two
  // diverged seeds of three: median +inf, never chosen although its one finite loss is 0.01.
  Rows rows;
  for (int s = 1; s <= 3; ++s) {
    Row a = MakeRow("elu", 1e3, s, 2, "val", s == 1 ? std::nan("") : 0.1, 0.0);
    a.diverged = s == 1;
    Row b = MakeRow("elu", 10, s, 2, "val", s == 3 ? 0.01 : std::nan(""), 0.0);
    b.diverged = s != 3;
    rows.push_back(RowFromJson(RowToJson(a), "a"));
    rows.push_back(RowFromJson(RowToJson(b), "b"));
    rows.push_back(MakeRow("elu", 1e-3, s, 2, "val", 0.2, 0.0));
    for (const Row* v : {&a, &b}) {  // the test rows of the same epoch
      Row t = *v;
      t.split = "test";
      rows.push_back(RowFromJson(RowToJson(t), "t"));
    }
  }
  const auto sel = SelectLr(rows);
  ASSERT_EQ(sel.size(), 1U);
  EXPECT_EQ(sel.begin()->second.lr, 1e3);
  EXPECT_DOUBLE_EQ(sel.begin()->second.val_loss_median, 0.1);
  EXPECT_EQ(sel.begin()->second.diverged, 1);
  EXPECT_EQ(Median({std::nan(""), 1.0, 2.0}), 2.0);  // NaN sorts as +inf
  // Summary: the diverged seeds are counted, mean and std are inf, the median counts them +inf.
  for (const SummaryRow& s : Summarize(rows)) {
    if (s.key.lr == 1e3) {
      EXPECT_EQ(s.seeds, 3);
      EXPECT_EQ(s.diverged, 1);
      EXPECT_TRUE(std::isinf(s.test_loss_mean));
      EXPECT_TRUE(std::isinf(s.test_loss_std));
      EXPECT_DOUBLE_EQ(s.test_loss_median, 0.1);
    }
    if (s.key.lr == 10) {
      EXPECT_TRUE(std::isinf(s.test_loss_median));
    }
  }
  test::TempDir dir("div");
  WriteSummary(dir.path(), Summarize(rows));
  EXPECT_NE(test::ReadFile(dir.path() / "summary.csv").find(",inf,inf,"), std::string::npos);
  EXPECT_EQ(test::ReadFile(dir.path() / "summary.csv").find("nan"), std::string::npos);
}

TEST(LabResults, GroupsNeverPoolEpochCountsOrTrainLimits) {
  Rows rows;
  // Seed 1 ran 3 epochs, seed 2 ran 10 epochs, seed 3 ran 10 epochs on a train limit: three groups.
  const auto add = [&](int seed, int epochs, std::size_t limit, double val) {
    Row v = MakeRow("gelu", 1e-3, seed, epochs, "val", val, 0.0);
    v.epochs = epochs;
    v.train_limit = limit;
    v.run.append(1, '-')
        .append(std::to_string(epochs))
        .append(1, '-')
        .append(std::to_string(limit));
    Row t = v;
    t.split = "test";
    rows.push_back(v);
    rows.push_back(t);
  };
  add(1, 3, 0, 0.5);
  add(2, 10, 0, 0.2);
  add(3, 10, 100, 0.9);
  const auto summary = Summarize(rows);
  ASSERT_EQ(summary.size(), 3U);
  for (const auto& s : summary) EXPECT_EQ(s.seeds, 1);
  EXPECT_EQ(SelectLr(rows).size(), 3U);
}

TEST(LabResults, JointSelectionOfLrAndDropout) {
  Rows rows;
  // relu: (lr 1e-3, drop 0) median 0.30; (1e-3, 0.5) 0.25; (1e-4, 0.25) 0.20 wins.
  const std::tuple<double, double, double> groups[] = {
      {1e-3, 0.0, 0.30}, {1e-3, 0.5, 0.25}, {1e-4, 0.25, 0.20}, {1e-4, 0.0, 0.40}};
  for (const auto& [lr, dropout, val] : groups) {
    for (int s = 1; s <= 3; ++s) {
      Row r = MakeRow("relu", lr, s, 4, "val", val + 0.01 * (s - 2), 0.0);
      r.experiment = "soi";
      r.dropout = dropout;
      r.run.append(1, '-').append(std::to_string(dropout));
      rows.push_back(r);
    }
  }
  const auto sel = SelectLr(rows, {{"soi", SelectMode::kLrDropout}});
  ASSERT_EQ(sel.size(), 1U);
  EXPECT_EQ(sel.begin()->first.dropout, -1.0);
  EXPECT_EQ(sel.begin()->second.lr, 1e-4);
  EXPECT_EQ(sel.begin()->second.dropout, 0.25);
  EXPECT_DOUBLE_EQ(sel.begin()->second.val_loss_median, 0.20);
  EXPECT_TRUE(SelectLr(rows, {{"soi", SelectMode::kNone}}).empty());
  EXPECT_EQ(SelectLr(rows).size(), 3U);  // per dropout: 0, 0.25, 0.5
}

TEST(LabResults, ClaimVerdictsFromPairedTIntervals) {
  // diffs -0.01, -0.02, -0.03: mean -0.02, sd 0.01, t(2) = 4.302652730:
  // half width 4.302652730 * 0.01 / sqrt(3) = 0.024841...: CI [-0.0448, 0.0048] contains 0.
  ClaimResult c = CheckClaim({-0.01, -0.02, -0.03});
  EXPECT_NEAR(c.diff_mean, -0.02, 1e-15);
  EXPECT_NEAR(c.ci_low, -0.02 - 4.302652730 * 0.01 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(c.ci_high, -0.02 + 4.302652730 * 0.01 / std::sqrt(3.0), 1e-12);
  EXPECT_EQ(c.verdict, "undecided");
  EXPECT_EQ(CheckClaim({-0.010, -0.011, -0.012}).verdict, "holds");  // CI high -0.0085
  EXPECT_EQ(CheckClaim({0.010, 0.011, 0.012}).verdict, "does not hold");
  EXPECT_EQ(CheckClaim({-0.5}).verdict, "undecided");  // one seed: no interval
  EXPECT_NEAR(T975(4), 2.776445105, 1e-9);
  EXPECT_NEAR(T975(40), 2.021075390, 1e-6);  // beyond the table: Cornish-Fisher
}

TEST(LabResults, ClaimsWithoutSelectionCompareAtEveryLr) {
  // An autoencoder-like experiment: no validation rows, two lrs, test losses by hand. At lr 1e-3
  // gelu - relu = -0.010, -0.012, -0.011 (holds); at 1e-4 +0.01, -0.01, 0 (undecided).
  Rows rows;
  const double gelu[2][3] = {{0.010, 0.011, 0.012}, {0.030, 0.020, 0.025}};
  const double relu[2][3] = {{0.020, 0.023, 0.023}, {0.020, 0.030, 0.025}};
  const double lrs[2] = {1e-3, 1e-4};
  for (int l = 0; l < 2; ++l) {
    for (int s = 0; s < 3; ++s) {
      for (const auto& [act, v] : {std::pair{"gelu", gelu}, {"relu", relu}}) {
        Row r = MakeRow(act, lrs[l], s + 1, 5, "test", v[l][s], 0.0);
        r.experiment = "ae";
        r.dropout = 0.0;
        r.error.reset();
        rows.push_back(r);
      }
    }
  }
  const auto claims =
      CheckClaims(rows, SelectLr(rows), {{"ae", "test_loss", "gelu", "relu", 0.0, "ae", true}});
  ASSERT_EQ(claims.size(), 2U);
  for (const ClaimResult& c : claims) {
    if (c.lr == 1e-3) {
      EXPECT_NEAR(c.diff_mean, -0.011, 1e-12);
      EXPECT_EQ(c.verdict, "holds");
    } else {
      EXPECT_EQ(c.lr, 1e-4);
      EXPECT_NEAR(c.diff_mean, 0.0, 1e-12);
      EXPECT_EQ(c.verdict, "undecided");
    }
  }
  // With a selection rule instead, and no validation rows, there is nothing to compare.
  EXPECT_TRUE(
      CheckClaims(rows, SelectLr(rows), {{"ae", "test_loss", "gelu", "relu", 0.0, "ae", false}})
          .empty());
}

TEST(LabResults, FolderIsBoundToOneDataSet) {
  test::TempDir dir("bind");
  BindDataSet(dir.path(), "fashion-mnist", "/a", "1111111111111111");
  BindDataSet(dir.path(), "fashion-mnist", "/a", "1111111111111111");  // same data: fine
  try {
    BindDataSet(dir.path(), "mnist", "/b", "2222222222222222");
    FAIL() << "expected a refusal";
  } catch (const LabError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("1111111111111111"), std::string::npos) << m;
    EXPECT_NE(m.find("2222222222222222"), std::string::npos) << m;
    EXPECT_NE(m.find("another --out"), std::string::npos) << m;
  }
  // A folder of runs without dataset.json (written by hand or an older gelu-lab) is checked
  // against its rows, and runs of two data sets are never read together.
  test::TempDir old("old");
  Row a = MakeRow("gelu", 1e-3, 1, 1, "test", 0.1, 0.1);
  a.data_fingerprint = "3333333333333333";
  WriteRunFile(old.path(), "a", {a});
  EXPECT_THROW(BindDataSet(old.path(), "mnist", "/b", "2222222222222222"), LabError);
  a.data_fingerprint = "2222222222222222";
  WriteRunFile(old.path(), "b", {a});
  EXPECT_THROW(ReadAllRuns(old.path()), LabError);
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
  Grid g;
  g.activations = {"gelu", "relu", "stochastic_gelu"};
  g.seeds = 2;
  g.epochs = 5;
  g.lrs = {1e-3, 1e-5};
  g.dropouts = {0.0, 0.5};
  g.train_limit = 100;
  g.no_dropout = {"stochastic_gelu"};
  const auto runs = PlanRuns(e, g);
  ASSERT_EQ(runs.size(), 20U);  // stochastic_gelu: dropout 0 only
  EXPECT_EQ(runs[0].id, "exp-gelu-d0-lr0.001-s1-e5-n100");
  EXPECT_EQ(runs[3].id, "exp-gelu-d0-lr1e-05-s2-e5-n100");
  EXPECT_EQ(runs[15].id, "exp-relu-d0.5-lr1e-05-s2-e5-n100");
}

}  // namespace
}  // namespace gelu::lab
