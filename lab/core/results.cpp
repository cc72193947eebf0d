// Results files: JSON lines per run, summary.csv and selection.csv (see results.hpp).
#include "lab/core/results.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "lab/core/claim.hpp"
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
  j["epochs"] = r.epochs;
  j["split"] = r.split;
  if (r.noise) j["noise"] = *r.noise;
  if (std::isfinite(r.loss)) {
    j["loss"] = r.loss;
  } else {
    j["loss"] = nullptr;
  }
  if (r.error) {
    j["error"] = *r.error;
  } else if (r.diverged) {
    j["error"] = nullptr;
  }
  if (r.diverged) j["diverged"] = true;
  j["train_limit"] = r.train_limit;
  j["validation"] = r.validation;
  j["data"] = r.data;
  j["data_fingerprint"] = r.data_fingerprint;
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
    r.epochs = j.value("epochs", 0);
    r.split = j.at("split").get<std::string>();
    const Json& loss = j.at("loss");
    r.loss = loss.is_null() ? std::numeric_limits<double>::infinity() : loss.get<double>();
    r.diverged = j.value("diverged", false) || loss.is_null();
    if (j.contains("error") && !j.at("error").is_null()) r.error = j.at("error").get<double>();
    if (j.contains("noise")) r.noise = j.at("noise").get<double>();
    r.train_limit = j.value("train_limit", std::size_t{0});
    r.validation = j.value("validation", std::size_t{0});
    r.data = j.value("data", std::string());
    r.data_fingerprint = j.value("data_fingerprint", std::string());
    r.run = j.value("run", std::string());
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw LabError(where + ": not a valid result row (" + e.what() +
                   "); hint: move the file away and rerun to recompute that run");
  }
}

fs::path TempFileFor(const fs::path& path) {
  return path.string() + ".tmp." + HostName() + "." + std::to_string(::getpid());
}

void WriteFileAtomic(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = TempFileFor(path);
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
  std::map<std::string, std::string> example;  // fingerprint -> a file that has it
  for (const auto& f : files) {
    Rows r = ReadRunFile(f);
    for (const Row& row : r) example.emplace(row.data_fingerprint, f.filename().string());
    all.insert(all.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  if (example.size() > 1) {
    std::string list;
    for (const auto& [fp, file] : example) {
      list += (list.empty() ? "" : ", ") + (fp.empty() ? std::string("none") : fp) + " (e.g. " +
              file + ")";
    }
    throw LabError(dir.string() + " mixes runs on different data sets (fingerprints " + list +
                   "); hint: keep one data set per --out folder and move the others' runs away");
  }
  return all;
}

void BindDataSet(const fs::path& out_dir, const std::string& name, const fs::path& path,
                 const std::string& fingerprint) {
  const fs::path file = out_dir / "dataset.json";
  const auto refuse = [&](const std::string& theirs, const std::string& what) {
    throw LabError("--out " + out_dir.string() + " holds results on " + what + " (fingerprint " +
                   theirs + "), this run uses " + name + " at " + path.string() + " (fingerprint " +
                   fingerprint + "); hint: use another --out folder for each data set");
  };
  if (fs::is_regular_file(file)) {
    std::ifstream in(file);
    Json j;
    try {
      j = Json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw LabError(file.string() + ": not valid JSON (" + e.what() +
                     "); hint: it is written by gelu-lab run; restore or delete it");
    }
    const std::string theirs = j.value("fingerprint", std::string());
    if (theirs != fingerprint) {
      refuse(theirs,
             j.value("name", std::string("?")) + " at " + j.value("path", std::string("?")));
    }
    return;
  }
  for (const Row& r : ReadAllRuns(out_dir)) {
    if (r.data_fingerprint != fingerprint) {
      refuse(r.data_fingerprint.empty() ? "none: written by an older gelu-lab" : r.data_fingerprint,
             "data set '" + r.data + "'");
    }
  }
  Json j;
  j["name"] = name;
  j["path"] = path.string();
  j["fingerprint"] = fingerprint;
  WriteFileAtomic(file, j.dump(2) + "\n");
}

double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  for (double& x : v) {
    if (std::isnan(x)) x = std::numeric_limits<double>::infinity();
  }
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double SampleStd(const std::vector<double>& v) {
  const double m = Mean(v);
  if (!v.empty() && !std::isfinite(m)) return std::numeric_limits<double>::infinity();
  if (v.size() < 2) return 0.0;
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

std::map<std::string, RunFinal> FinalRows(const Rows& rows) {
  std::map<std::string, int> last_epoch, checkpoint;
  std::map<std::string, double> best_val;  // kBestValError: the lowest validation error so far
  std::map<std::string, Checkpoint> rule;
  for (const Row& r : rows) {
    int& e = last_epoch[r.run];
    e = std::max(e, r.epoch);
    const auto [it, fresh] = rule.try_emplace(r.experiment);
    if (fresh) it->second = CheckpointOf(r.experiment);
    if (it->second != Checkpoint::kBestValError || r.split != "val" || !r.error || r.diverged ||
        r.noise) {
      continue;
    }
    const auto best = best_val.find(r.run);
    if (best == best_val.end() || *r.error < best->second ||
        (*r.error == best->second && r.epoch < checkpoint[r.run])) {
      best_val[r.run] = *r.error;
      checkpoint[r.run] = r.epoch;
    }
  }
  std::map<std::string, RunFinal> out;
  for (const Row& r : rows) {
    RunFinal& f = out[r.run];
    f.key = GroupKey{
        r.experiment,  r.activation, r.dropout, r.lr, r.epochs > 0 ? r.epochs : last_epoch[r.run],
        r.train_limit, r.validation};
    f.seed = r.seed;
    const auto at = checkpoint.find(r.run);
    f.epoch = at != checkpoint.end() ? at->second : last_epoch[r.run];
    f.diverged = f.diverged || r.diverged;
    if (r.epoch != f.epoch) continue;
    if (r.split == "test") f.test.push_back(&r);
    if (r.split == "val" && !r.noise) f.val = &r;
  }
  return out;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// A run's final test row for the summary: the one at the largest noise for noise runs.
const Row* SummaryTest(const RunFinal& f) {
  const Row* best = nullptr;
  for (const Row* r : f.test) {
    if (best == nullptr || r->noise.value_or(0.0) >= best->noise.value_or(0.0)) best = r;
  }
  return best;
}

// A run's value of a claim metric: the mean over its final test rows (over noise levels).
double ClaimValue(const RunFinal& f, const std::string& metric) {
  if (f.diverged || f.test.empty()) return kInf;
  double sum = 0;
  for (const Row* r : f.test) {
    sum += metric == "test_error" ? r->error.value_or(std::nan("")) : r->loss;
  }
  return sum / static_cast<double>(f.test.size());
}

}  // namespace

std::vector<SummaryRow> Summarize(const Rows& rows) {
  std::set<std::string> with_error;  // experiments whose rows carry an error metric
  for (const Row& r : rows) {
    if (r.error) with_error.insert(r.experiment);
  }
  std::map<GroupKey, SummaryRow> groups;
  std::map<GroupKey, std::pair<std::vector<double>, std::vector<double>>> values;  // error, loss
  for (const auto& [id, f] : FinalRows(rows)) {
    const Row* t = SummaryTest(f);
    if (t == nullptr && !f.diverged) continue;  // a run without test rows
    SummaryRow& s = groups[f.key];
    s.key = f.key;
    s.has_error = with_error.count(f.key.experiment) != 0;
    ++s.seeds;
    auto& [errors, losses] = values[f.key];
    if (f.diverged) {
      ++s.diverged;
      errors.push_back(kInf);
      losses.push_back(kInf);
      continue;
    }
    losses.push_back(t->loss);
    if (t->error) errors.push_back(*t->error);
  }
  std::vector<SummaryRow> out;
  for (auto& [key, s] : groups) {
    const auto& [errors, losses] = values[key];
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
       "test_loss_mean,test_loss_std,train_limit,validation,diverged,test_error_median,"
       "test_loss_median\n";
  for (const auto& r : summary) {
    const auto err = [&](double v) { return r.has_error ? Num(v) : std::string(); };
    s << r.key.experiment << ',' << r.key.activation << ',' << Num(r.key.dropout) << ','
      << Num(r.key.lr) << ',' << r.seeds << ',' << r.key.epochs << ',' << err(r.test_error_mean)
      << ',' << err(r.test_error_std) << ',' << Num(r.test_loss_mean) << ',' << Num(r.test_loss_std)
      << ',' << r.key.train_limit << ',' << r.key.validation << ',' << r.diverged << ','
      << err(r.test_error_median) << ',' << Num(r.test_loss_median) << '\n';
  }
  WriteFileAtomic(out_dir / "summary.csv", s.str());
}

SelectionMap SelectLr(const Rows& rows, const std::map<std::string, SelectMode>& modes) {
  struct Candidate {
    std::vector<double> loss, error;
    int diverged = 0;
  };
  std::map<GroupKey, Candidate> groups;
  for (const auto& [id, f] : FinalRows(rows)) {
    if (f.val == nullptr && !f.diverged) continue;
    Candidate& c = groups[f.key];
    c.loss.push_back(f.diverged ? kInf : f.val->loss);
    c.error.push_back(f.diverged || !f.val->error ? kInf : *f.val->error);
    c.diverged += f.diverged ? 1 : 0;
  }
  SelectionMap out;
  std::map<SelectionKey, double> best;  // the chosen group's median of the selection metric
  for (const auto& [g, c] : groups) {   // increasing dropout, then lr
    const auto it = modes.find(g.experiment);
    const SelectMode mode = it == modes.end() ? SelectMode::kLr : it->second;
    if (mode == SelectMode::kNone) continue;
    const SelectionKey k{g.experiment, g.activation,  mode == SelectMode::kLr ? g.dropout : -1.0,
                         g.epochs,     g.train_limit, g.validation};
    const bool by_error = CheckpointOf(g.experiment) == Checkpoint::kBestValError;
    const double med = Median(by_error ? c.error : c.loss);
    const auto found = out.find(k);
    // Visited in increasing lr within a dropout: "<=" hands ties to the larger lr; across
    // dropouts (joint selection) a tie keeps the smaller dropout.
    const bool better = found == out.end() || med < best[k] ||
                        (med == best[k] && g.dropout == found->second.dropout);
    if (better) {
      best[k] = med;
      out[k] =
          Selection{g.lr,       g.dropout,      Median(c.loss), static_cast<int>(c.loss.size()),
                    c.diverged, Median(c.error)};
    }
  }
  return out;
}

void WriteSelection(const fs::path& out_dir, const SelectionMap& selection) {
  std::ostringstream s;
  s << "experiment,activation,dropout,lr,seeds,val_loss_median,epochs,train_limit,validation,"
       "diverged\n";
  for (const auto& [k, v] : selection) {
    s << k.experiment << ',' << k.activation << ',' << Num(v.dropout) << ',' << Num(v.lr) << ','
      << v.seeds << ',' << Num(v.val_loss_median) << ',' << k.epochs << ',' << k.train_limit << ','
      << k.validation << ',' << v.diverged << '\n';
  }
  WriteFileAtomic(out_dir / "selection.csv", s.str());
}

double T975(int df) {
  // Two-sided 95% quantiles of Student's t for df = 1..30; beyond, the normal quantile plus the
  // first three Cornish-Fisher terms (error < 1e-6 at df = 31).
  static constexpr double kTable[] = {
      12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
      2.364624252,  2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830,
      2.160368656,  2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040,
      2.093024054,  2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562,
      2.059538553,  2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456};
  if (df < 1) return std::nan("");
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959963985, n = df;
  return z + (z * z * z + z) / (4 * n) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n) +
         (3 * std::pow(z, 7) + 19 * std::pow(z, 5) + 17 * z * z * z - 15 * z) / (384 * n * n * n);
}

ClaimResult CheckClaim(const std::vector<double>& diffs) {
  ClaimResult c;
  c.seeds = static_cast<int>(diffs.size());
  c.diff_mean = Mean(diffs);
  if (diffs.size() < 2 || !std::isfinite(c.diff_mean)) {
    // One seed, or a diverged run: no interval. A diverged side loses outright.
    c.ci_low = c.ci_high = c.diff_mean;
    const bool decided = diffs.size() >= 2 && std::isinf(c.diff_mean);
    c.verdict = !decided ? "undecided" : c.diff_mean < 0 ? "holds" : "does not hold";
    if (!decided) c.ci_low = -kInf, c.ci_high = kInf;
    return c;
  }
  const double half =
      T975(c.seeds - 1) * SampleStd(diffs) / std::sqrt(static_cast<double>(c.seeds));
  c.ci_low = c.diff_mean - half;
  c.ci_high = c.diff_mean + half;
  c.verdict = c.ci_high < 0 ? "holds" : c.ci_low > 0 ? "does not hold" : "undecided";
  return c;
}

std::vector<ClaimResult> CheckClaims(const Rows& rows, const SelectionMap& selection,
                                     const std::vector<ClaimSpec>& specs) {
  const auto finals = FinalRows(rows);
  std::vector<ClaimResult> out;
  for (const ClaimSpec& spec : specs) {
    // The pairs of groups to compare: each side at its selected lr (and dropout), or, without a
    // selection, the two activations at every lr they share.
    std::vector<std::tuple<SelectionKey, Selection, Selection>> pairs;
    if (spec.per_lr) {
      std::set<std::tuple<SelectionKey, double>> seen;
      for (const auto& [id, f] : finals) {
        const GroupKey& g = f.key;
        if (g.experiment != spec.experiment || g.activation != spec.activation ||
            g.dropout != spec.dropout) {
          continue;
        }
        const SelectionKey k{g.experiment, g.activation,  g.dropout,
                             g.epochs,     g.train_limit, g.validation};
        if (seen.insert({k, g.lr}).second) {
          const Selection at{g.lr, g.dropout, 0, 0, 0, 0};
          pairs.emplace_back(k, at, at);
        }
      }
    } else {
      for (const auto& [k, sel] : selection) {
        if (k.experiment != spec.selection_from || k.activation != spec.activation ||
            k.dropout != spec.dropout) {
          continue;
        }
        SelectionKey bk = k;
        bk.activation = spec.baseline;
        const auto base = selection.find(bk);
        if (base != selection.end()) pairs.emplace_back(k, sel, base->second);
      }
    }
    for (const auto& [k, sel, base] : pairs) {
      // Per seed, the claim metric of each side's group.
      std::map<int, double> mine, theirs;
      for (const auto& [id, f] : finals) {
        if (f.key.experiment != spec.experiment || f.key.epochs != k.epochs ||
            f.key.train_limit != k.train_limit || f.key.validation != k.validation) {
          continue;
        }
        for (const auto& [side, s, act] :
             {std::tuple{&mine, &sel, spec.activation}, {&theirs, &base, spec.baseline}}) {
          if (f.key.activation == act && f.key.lr == s->lr && f.key.dropout == s->dropout) {
            (*side)[f.seed] = ClaimValue(f, spec.metric);
          }
        }
      }
      std::vector<double> diffs;
      for (const auto& [seed, v] : mine) {
        const auto t = theirs.find(seed);
        if (t == theirs.end()) continue;
        // inf - inf (both diverged) is a tie, not NaN.
        diffs.push_back(v == t->second ? 0.0 : v - t->second);
      }
      if (diffs.empty()) continue;
      ClaimResult c = CheckClaim(diffs);
      c.experiment = spec.experiment;
      c.metric = spec.metric;
      c.activation = spec.activation;
      c.baseline = spec.baseline;
      c.dropout = spec.dropout;
      c.lr = spec.per_lr ? sel.lr : 0.0;
      c.epochs = k.epochs;
      c.train_limit = k.train_limit;
      c.validation = k.validation;
      out.push_back(c);
    }
  }
  return out;
}

void WriteClaims(const fs::path& out_dir, const std::vector<ClaimResult>& claims) {
  std::ostringstream s;
  s << "experiment,dropout,metric,activation,baseline,seeds,diff_mean,ci_low,ci_high,verdict,"
       "epochs,train_limit,validation,lr\n";
  for (const auto& c : claims) {
    s << c.experiment << ',' << Num(c.dropout) << ',' << c.metric << ',' << c.activation << ','
      << c.baseline << ',' << c.seeds << ',' << Num(c.diff_mean) << ',' << Num(c.ci_low) << ','
      << Num(c.ci_high) << ',' << c.verdict << ',' << c.epochs << ',' << c.train_limit << ','
      << c.validation << ',' << (c.lr > 0 ? Num(c.lr) : std::string()) << '\n';
  }
  WriteFileAtomic(out_dir / "claims.csv", s.str());
}

}  // namespace gelu::lab
