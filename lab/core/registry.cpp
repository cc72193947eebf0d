// The experiment registry, filled by static Registrars before main runs.
#include <algorithm>

#include "lab/core/experiment.hpp"

namespace gelu::lab {
namespace {
std::vector<Experiment>& Storage() {
  static std::vector<Experiment> all;  // function-local: safe from static init order
  return all;
}
}  // namespace

void Registry::Add(Experiment e) {
  auto& all = Storage();
  all.push_back(std::move(e));
  std::sort(all.begin(), all.end(),
            [](const Experiment& a, const Experiment& b) { return a.name < b.name; });
}

const std::vector<Experiment>& Registry::All() { return Storage(); }

const Experiment* Registry::Find(const std::string& name) {
  for (const auto& e : Storage()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Checkpoint CheckpointOf(const std::string& experiment) {
  const Experiment* e = Registry::Find(experiment);
  return e != nullptr ? e->checkpoint : Checkpoint::kFinal;
}

bool Registry::ModelsReused(const std::string& name) {
  return std::any_of(Storage().begin(), Storage().end(),
                     [&](const Experiment& e) { return e.reuses == name; });
}

}  // namespace gelu::lab
