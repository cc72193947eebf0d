// Results files: JSON lines per run, summary.csv and selection.csv (see results.hpp).
#include "lab/core/results.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "lab/core/error.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string RowToJson(const Row& r) {
  Json j;
  j["experiment"] = r.experiment;
  j["activation"] = r.activation;
  j["lr"] = r.lr;
  j["dropout"] = r.dropout;
  j["keep"] = 1.0 - r.dropout;
  j["seed"] = r.seed;
  j["epoch"] = r.epoch;
  j["split"] = r.split;
  if (r.noise) j["noise"] = *r.noise;
  j["loss"] = r.loss;
  if (r.error) j["error"] = *r.error;
  j["data"] = r.data;
  j["run"] = r.run;
  return j.dump();
}

Row RowFromJson(const std::string& line, const std::string& where) {
  try {
    const Json j = Json::parse(line);
    Row r;
    r.experiment = j.at("experiment").get<std::string>();
    r.activation = j.at("activation").get<std::string>();
    r.lr = j.at("lr").get<double>();
    r.dropout = j.at("dropout").get<double>();
    r.seed = j.at("seed").get<int>();
    r.epoch = j.at("epoch").get<int>();
    r.split = j.at("split").get<std::string>();
    r.loss = j.at("loss").get<double>();
    if (j.contains("error")) r.error = j.at("error").get<double>();
    if (j.contains("noise")) r.noise = j.at("noise").get<double>();
    if (j.contains("data")) r.data = j.at("data").get<std::string>();
    if (j.contains("run")) r.run = j.at("run").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw LabError(where + ": not a valid result row (" + e.what() +
                   "); hint: delete the file and rerun to recompute that run");
  }
}

void WriteFileAtomic(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    throw LabError(tmp.string() + ": cannot create file; hint: check that --out is writable");
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    throw LabError(tmp.string() + ": write failed; hint: is the disk full?");
  }
  fs::rename(tmp, path);
}

fs::path RunFile(const fs::path& out_dir, const std::string& run_id) {
  return out_dir / "runs" / (run_id + ".jsonl");
}

bool RunFinished(const fs::path& out_dir, const std::string& run_id) {
  return fs::is_regular_file(RunFile(out_dir, run_id));
}

void WriteRunFile(const fs::path& out_dir, const std::string& run_id, const Rows& rows) {
  std::string text;
  for (const Row& r : rows) text += RowToJson(r) + "\n";
  WriteFileAtomic(RunFile(out_dir, run_id), text);
}

Rows ReadRunFile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw LabError(file.string() + ": cannot open");
  Rows rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    rows.push_back(RowFromJson(line, file.string() + ":" + std::to_string(n)));
  }
  return rows;
}

Rows ReadAllRuns(const fs::path& out_dir) {
  std::vector<fs::path> files;
  const fs::path dir = out_dir / "runs";
  if (!fs::is_directory(dir)) return {};
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  Rows all;
  for (const auto& f : files) {
    Rows r = ReadRunFile(f);
    all.insert(all.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  return all;
}

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double SampleStd(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = Mean(v);
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

namespace {

using GroupKey = std::tuple<std::string, std::string, double, double>;  // exp, act, dropout, lr

struct RunFinal {
  int epoch = -1;
  const Row* test = nullptr;  // final test row (largest noise for noise runs)
  const Row* val = nullptr;   // final validation row
};

// Per group, per run id: the final rows.
std::map<GroupKey, std::map<std::string, RunFinal>> Finals(const Rows& rows) {
  std::map<GroupKey, std::map<std::string, RunFinal>> out;
  for (const Row& r : rows) {
    const std::string id = r.run.empty()
                               ? r.experiment + "/" + r.activation + "/" + std::to_string(r.seed) +
                                     "/" + std::to_string(r.lr) + "/" + std::to_string(r.dropout)
                               : r.run;
    RunFinal& f = out[{r.experiment, r.activation, r.dropout, r.lr}][id];
    if (r.epoch > f.epoch) {
      f = RunFinal{r.epoch, nullptr, nullptr};
    }
    if (r.epoch < f.epoch) continue;
    if (r.split == "test") {
      if (f.test == nullptr || r.noise.value_or(0.0) >= f.test->noise.value_or(0.0)) f.test = &r;
    } else if (r.split == "val" && !r.noise) {
      f.val = &r;
    }
  }
  // Keep only the runs with the group's largest epoch count.
  for (auto& [key, runs] : out) {
    int max_epoch = -1;
    for (const auto& [id, f] : runs) max_epoch = std::max(max_epoch, f.epoch);
    std::erase_if(runs, [&](const auto& kv) { return kv.second.epoch != max_epoch; });
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

std::vector<SummaryRow> Summarize(const Rows& rows) {
  std::vector<SummaryRow> out;
  for (const auto& [key, runs] : Finals(rows)) {
    std::vector<double> errors, losses;
    int epochs = 0;
    for (const auto& [id, f] : runs) {
      if (f.test == nullptr) continue;
      losses.push_back(f.test->loss);
      if (f.test->error) errors.push_back(*f.test->error);
      epochs = f.epoch;
    }
    if (losses.empty()) continue;
    SummaryRow s;
    std::tie(s.experiment, s.activation, s.dropout, s.lr) = key;
    s.seeds = static_cast<int>(losses.size());
    s.epochs = epochs;
    s.test_loss_mean = Mean(losses);
    s.test_loss_std = SampleStd(losses);
    s.test_loss_median = Median(losses);
    s.test_error_mean = Mean(errors);
    s.test_error_std = SampleStd(errors);
    s.test_error_median = Median(errors);
    out.push_back(s);
  }
  return out;
}

void WriteSummary(const fs::path& out_dir, const std::vector<SummaryRow>& summary) {
  std::ostringstream s;
  s << "experiment,activation,dropout,lr,seeds,epochs,test_error_mean,test_error_std,"
       "test_loss_mean,test_loss_std\n";
  for (const auto& r : summary) {
    s << r.experiment << ',' << r.activation << ',' << Num(r.dropout) << ',' << Num(r.lr) << ','
      << r.seeds << ',' << r.epochs << ',' << Num(r.test_error_mean) << ',' << Num(r.test_error_std)
      << ',' << Num(r.test_loss_mean) << ',' << Num(r.test_loss_std) << '\n';
  }
  WriteFileAtomic(out_dir / "summary.csv", s.str());
}

std::map<SelectionKey, Selection> SelectLr(const Rows& rows) {
  std::map<SelectionKey, Selection> out;
  for (const auto& [key, runs] : Finals(rows)) {
    std::vector<double> val;
    for (const auto& [id, f] : runs) {
      if (f.val != nullptr) val.push_back(f.val->loss);
    }
    if (val.empty()) continue;
    const auto& [exp, act, dropout, lr] = key;
    const double med = Median(val);
    const SelectionKey k{exp, act, dropout};
    auto it = out.find(k);
    // Ties keep the larger lr (groups are visited in increasing lr order).
    if (it == out.end() || !(it->second.val_loss_median < med)) {
      out[k] = Selection{lr, med, static_cast<int>(val.size())};
    }
  }
  return out;
}

void WriteSelection(const fs::path& out_dir, const std::map<SelectionKey, Selection>& selection) {
  std::ostringstream s;
  s << "experiment,activation,dropout,lr,seeds,val_loss_median\n";
  for (const auto& [k, v] : selection) {
    s << k.experiment << ',' << k.activation << ',' << Num(k.dropout) << ',' << Num(v.lr) << ','
      << v.seeds << ',' << Num(v.val_loss_median) << '\n';
  }
  WriteFileAtomic(out_dir / "selection.csv", s.str());
}

}  // namespace gelu::lab
