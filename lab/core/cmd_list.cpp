// `gelu-lab list`: the registered experiments, one per line: name, paper figure, summary.
#include <cstdio>

#include "lab/core/cli.hpp"
#include "lab/core/experiment.hpp"

namespace gelu::lab {

void AddListCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List the experiments");
  cmd->callback([] {
    for (const auto& e : Registry::All()) {
      std::printf("%-16s %-8s %s\n", e.name.c_str(), e.figure.c_str(), e.summary.c_str());
    }
  });
}

}  // namespace gelu::lab
